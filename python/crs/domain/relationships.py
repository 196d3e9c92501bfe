"""Relationships: customer<->account roles and customer<->customer links, listed from either side."""

from __future__ import annotations

from collections.abc import Sequence

from crs.domain import listing
from crs.domain.context import CallContext
from crs.domain.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound, Violations
from crs.domain.loading import load
from crs.domain.mutation import Change, Mutation
from crs.domain.names import Name
from crs.domain.paging import PageTokens, page_size, query_hash
from crs.domain.records import AccountRecord, RelationshipRecord, decode, encode, loads, now_us
from crs.storage import schema
from crs.storage.base import ConditionFailed, Delete, NotExists, Put, Record, Row, Store, Write

OWNER, JOINT_OWNER, AUTHORIZED_USER, BENEFICIARY, POWER_OF_ATTORNEY = 1, 2, 3, 4, 5
ACCOUNT_ROLES = range(1, 6)
LINK_TYPES = range(1, 5)


def edge_key(rel: RelationshipRecord) -> str:
    if rel.account_id:
        return f"c:{rel.customer_id}|a:{rel.account_id}|r:{rel.account_role}"
    return f"c:{rel.customer_id}|c:{rel.related_customer_id}|l:{rel.link_type}"


def relationship_writes(rel: RelationshipRecord) -> list[Write]:
    """All copies of one relationship; the edge row makes (customer, target, role) unique."""
    value = encode(rel)
    writes: list[Write] = [
        Put(schema.relationships_by_edge, (rel.tenant, edge_key(rel)), rel.id.encode(), condition=NotExists()),
        Put(schema.relationships_by_id, (rel.tenant, rel.id), value),
        Put(schema.relationships_by_customer, (rel.tenant, rel.customer_id, rel.id), value),
    ]
    if rel.account_id:
        writes += [
            Put(schema.relationships_by_account, (rel.tenant, rel.account_id, rel.id), value),
            Put(schema.accounts_by_customer, (rel.tenant, rel.customer_id, rel.account_id, rel.id), b"{}"),
        ]
    else:
        writes.append(Put(schema.relationships_by_customer, (rel.tenant, rel.related_customer_id, rel.id), value))
    return writes


def _delete_writes(rel: RelationshipRecord) -> list[Write]:
    writes: list[Write] = [
        Delete(schema.relationships_by_edge, (rel.tenant, edge_key(rel))),
        Delete(schema.relationships_by_id, (rel.tenant, rel.id)),
        Delete(schema.relationships_by_customer, (rel.tenant, rel.customer_id, rel.id)),
    ]
    if rel.account_id:
        writes += [
            Delete(schema.relationships_by_account, (rel.tenant, rel.account_id, rel.id)),
            Delete(schema.accounts_by_customer, (rel.tenant, rel.customer_id, rel.account_id, rel.id)),
        ]
    else:
        writes.append(Delete(schema.relationships_by_customer, (rel.tenant, rel.related_customer_id, rel.id)))
    return writes


class Relationships:
    def __init__(self, store: Store, mutation: Mutation, pages: PageTokens) -> None:
        self._store = store
        self._mutation = mutation
        self._pages = pages

    async def get(self, name: Name) -> RelationshipRecord:
        return await load(self._store, schema.relationships_by_id, name, RelationshipRecord, "crs.v1/Relationship")

    async def create(
        self,
        ctx: CallContext,
        tenant: str,
        customer: Name,
        account: Name | None,
        related: Name | None,
        account_role: int,
        link_type: int,
    ) -> RelationshipRecord:
        v = Violations()
        if (account is None) == (related is None):
            v.add("relationship.target", "set exactly one of account or related_customer")
        if account is not None and account_role not in ACCOUNT_ROLES:
            v.add("relationship.account_role", "is required with account")
        if related is not None and link_type not in LINK_TYPES:
            v.add("relationship.link_type", "is required with related_customer")
        if account is not None and link_type:
            v.add("relationship.link_type", "applies to related_customer, not to account")
        if related is not None and account_role:
            v.add("relationship.account_role", "applies to account, not to related_customer")
        if related is not None and related.id == customer.id:
            v.add("relationship.related_customer", "must differ from customer")
        v.raise_if_any()
        # Both ends must exist in the caller's tenant.
        for end, table, rtype in (
            (customer, schema.customers_by_id, "crs.v1/Customer"),
            (account, schema.accounts_by_id, "crs.v1/Account"),
            (related, schema.customers_by_id, "crs.v1/Customer"),
        ):
            if end is not None and await self._store.get(table, (end.tenant, end.id)) is None:
                raise NotFound(f"{end} not found", "NOT_FOUND", {}, rtype, str(end))

        rel = RelationshipRecord(
            tenant=tenant,
            id=ctx.new_id(),
            customer_id=customer.id,
            account_id=account.id if account else "",
            related_customer_id=related.id if related else "",
            account_role=account_role if account else 0,
            link_type=link_type if related else 0,
            create_us=now_us(),
        )

        async def build() -> Change[RelationshipRecord]:
            return Change(relationship_writes(rel), rel, f"tenants/{tenant}/relationships/{rel.id}", ["*"])

        async def conflict(failed: ConditionFailed) -> Exception:
            existing = failed.current.value.decode() if failed.current else ""
            name = f"tenants/{tenant}/relationships/{existing}"
            return AlreadyExists(
                f"this relationship already exists as {name}", "ALREADY_EXISTS", {}, "crs.v1/Relationship", name
            )

        return await self._mutation.run(ctx, RelationshipRecord, build, conflict)

    async def delete(self, ctx: CallContext, name: Name) -> None:
        async def build() -> Change[None]:
            rel = await self.get(name)
            if rel.account_role == OWNER:
                stored = await self._store.get(schema.accounts_by_id, (rel.tenant, rel.account_id))
                if stored is not None and decode(AccountRecord, stored.value).customer_id == rel.customer_id:
                    raise FailedPrecondition(
                        "the account owner's relationship goes with the account; close the account instead",
                        "OWNER_RELATIONSHIP",
                    )
            return Change(_delete_writes(rel), None, str(name), ["*"])

        await self._mutation.run(ctx, type(None), build)

    async def list_page(
        self, tenant: str, customer: Name | None, account: Name | None, size: int, token: str
    ) -> tuple[list[RelationshipRecord], str]:
        if (customer is None) == (account is None):
            raise InvalidArgument.of("customer", "set exactly one of customer or account")
        n = page_size(size)
        if customer is not None:
            table, partition = schema.relationships_by_customer, (tenant, customer.id)
        else:
            assert account is not None
            table, partition = schema.relationships_by_account, (tenant, account.id)
        q = query_hash("relationships", table.name, partition)
        pos = self._pages.decode(token, q)
        after = tuple(str(p) for p in pos) if pos else None

        def keep(_k: object, record: Record) -> RelationshipRecord:
            return decode(RelationshipRecord, record.value)

        items, nxt = await listing.list_partition(self._store, table, partition, after, n, keep)
        return items, (self._pages.encode(q, list(nxt)) if nxt else "")


OWNERS_READ = 100  # relationships of an account read to find its owners


def owners_in(rows: Sequence[Row]) -> list[str]:
    """The owners' (OWNER, JOINT_OWNER) customer ids among an account's relationship rows, in their order."""
    out = []
    for row in rows:
        rel = loads(row.record.value)  # two fields of the record: no RelationshipRecord built
        customer_id = rel["customer_id"]
        if rel.get("account_role", 0) in (OWNER, JOINT_OWNER) and customer_id not in out:
            out.append(customer_id)
    return out
