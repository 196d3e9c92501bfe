"""Accounts: CRUD, the automatic OWNER relationship, listing per tenant and per customer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace

from crs.domain import etags, listing
from crs.domain.context import CallContext
from crs.domain.customers import CLOSED as CUSTOMER_CLOSED
from crs.domain.customers import Customers
from crs.domain.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    Violations,
)
from crs.domain.ids import new_id, new_version, valid_id
from crs.domain.loading import load, load_many
from crs.domain.mutation import Change, Mutation
from crs.domain.names import Name
from crs.domain.paging import PageTokens, page_size, query_hash
from crs.domain.records import AccountRecord, RelationshipRecord, decode, encode, now_us
from crs.domain.relationships import OWNER, relationship_writes
from crs.domain.validation import MAX_REASON, check_currency, check_text, parse_date
from crs.storage import schema
from crs.storage.base import ConditionFailed, NotExists, Put, Record, Store, VersionIs, Write

ACTIVE, FROZEN, DORMANT, CLOSED = 1, 2, 3, 4
KINDS = range(1, 7)
UPDATABLE_FIELDS = ("display_name", "status", "open_date")


class Accounts:
    def __init__(self, store: Store, customers: Customers, mutation: Mutation, pages: PageTokens) -> None:
        self._store = store
        self._customers = customers
        self._mutation = mutation
        self._pages = pages

    async def get(self, name: Name) -> AccountRecord:
        return await load(self._store, schema.accounts_by_id, name, AccountRecord, "crs.v1/Account")

    async def get_many(self, tenant: str, ids: Sequence[str]) -> list[AccountRecord]:
        return await load_many(self._store, schema.accounts_by_id, tenant, ids, AccountRecord)

    @staticmethod
    def _row_writes(rec: AccountRecord, condition: NotExists | VersionIs) -> list[Write]:
        value = encode(rec)
        return [
            Put(schema.accounts_by_id, (rec.tenant, rec.id), value, rec.version, condition),
            Put(schema.accounts_by_tenant, (rec.tenant, listing.bucket_of(rec.id), rec.id), value, rec.version),
        ]

    async def create(
        self,
        ctx: CallContext,
        tenant: str,
        customer: Name,
        kind: int,
        currency: str,
        display_name: str,
        open_date: tuple[int, int, int],
        account_id: str,
    ) -> AccountRecord:
        v = Violations()
        if account_id and not valid_id(account_id):
            v.add("account_id", "must match ^[a-z0-9][a-z0-9-]{0,62}$")
        if kind not in KINDS:
            v.add("account.kind", "must be set to a defined account kind")
        check_currency(v, "account.currency_code", currency)
        check_text(v, "account.display_name", display_name)
        opened = parse_date(v, "account.open_date", *open_date)
        v.raise_if_any()
        aid = account_id or ctx.new_id()
        owner = await self._customers.get(customer)
        if owner.status == CUSTOMER_CLOSED:
            raise FailedPrecondition("accounts cannot be opened for a closed customer", "CUSTOMER_CLOSED")

        async def build() -> Change[AccountRecord]:
            ts = now_us()
            rec = AccountRecord(
                tenant=tenant,
                id=aid,
                customer_id=customer.id,
                kind=kind,
                currency_code=currency,
                status=ACTIVE,
                display_name=display_name.strip(),
                open_date=opened,
                create_us=ts,
                update_us=ts,
                version=new_version(),
            )
            rel = RelationshipRecord(tenant, new_id(), customer.id, account_id=aid, account_role=OWNER, create_us=ts)
            writes = self._row_writes(rec, NotExists()) + relationship_writes(rel)
            return Change(writes, rec, f"tenants/{tenant}/accounts/{aid}", ["*"])

        async def conflict(failed: ConditionFailed) -> Exception:
            name = f"tenants/{tenant}/accounts/{aid}"
            return AlreadyExists(f"{name} already exists", "ALREADY_EXISTS", {}, "crs.v1/Account", name)

        return await self._mutation.run(ctx, AccountRecord, build, conflict)

    async def update(
        self,
        ctx: CallContext,
        name: Name,
        paths: Sequence[str],
        etag: str,
        display_name: str,
        status: int,
        open_date: tuple[int, int, int],
    ) -> AccountRecord:
        if "*" in paths:
            paths = UPDATABLE_FIELDS
        if not paths:
            raise InvalidArgument.of("update_mask", "must name at least one field")
        v = Violations()
        for p in paths:
            if p not in UPDATABLE_FIELDS:
                v.add("update_mask", f"unknown or immutable field path {p!r}")
        if "display_name" in paths:
            check_text(v, "account.display_name", display_name)
        if "status" in paths and status not in (ACTIVE, FROZEN, DORMANT):
            v.add("account.status", "must be ACTIVE, FROZEN or DORMANT (use CloseAccount to close)")
        opened = parse_date(v, "account.open_date", *open_date) if "open_date" in paths else ""
        v.raise_if_any("INVALID_UPDATE_MASK" if any(i.field == "update_mask" for i in v.items) else "INVALID_ARGUMENT")

        async def build() -> Change[AccountRecord]:
            current = await self.get(name)
            etags.check(etag, current.version, "account")
            if current.status == CLOSED:
                raise FailedPrecondition("a closed account cannot be changed", "ACCOUNT_CLOSED")
            rec = replace(current, update_us=now_us(), version=new_version())
            if "display_name" in paths:
                rec.display_name = display_name.strip()
            if "status" in paths:
                rec.status = status
            if "open_date" in paths:
                rec.open_date = opened
            return Change(self._row_writes(rec, VersionIs(current.version)), rec, str(name), paths)

        return await self._mutation.run(ctx, AccountRecord, build, etags.conflict("account"))

    async def close(self, ctx: CallContext, name: Name, etag: str, reason: str) -> AccountRecord:
        v = Violations()
        check_text(v, "reason", reason, limit=MAX_REASON)
        v.raise_if_any()

        async def build() -> Change[AccountRecord]:
            current = await self.get(name)
            etags.check(etag, current.version, "account")
            if current.status == CLOSED:
                return Change([], current, str(name), [])
            rec = replace(
                current,
                status=CLOSED,
                close_date=dt.datetime.now(dt.UTC).date().isoformat(),
                update_us=now_us(),
                version=new_version(),
            )
            return Change(self._row_writes(rec, VersionIs(current.version)), rec, str(name), ["status", "close_date"])

        return await self._mutation.run(ctx, AccountRecord, build, etags.conflict("account"))

    async def list_page(
        self, tenant: str, customer: Name | None, size: int, token: str
    ) -> tuple[list[AccountRecord], str]:
        n = page_size(size)
        if customer is None:
            q = query_hash("accounts", tenant)
            position = self._pages.decode(token, q)

            def keep(_key: object, record: Record) -> AccountRecord:
                return decode(AccountRecord, record.value)

            items, nxt = await listing.list_buckets(self._store, schema.accounts_by_tenant, tenant, position, n, keep)
            return items, (self._pages.encode(q, nxt) if nxt else "")
        q = query_hash("accounts-by-customer", tenant, customer.id)
        pos = self._pages.decode(token, q)
        # One row per (account, relationship): continue after *every* row of the last account listed, so an
        # account the customer holds in two roles is never returned on two pages. "~" sorts after any id.
        after = (str(pos[0]), "~") if pos else None
        keys, nxt2 = await listing.list_partition(
            self._store, schema.accounts_by_customer, (tenant, customer.id), after, n, lambda k, _r: k[0]
        )
        ids = list(dict.fromkeys(str(k) for k in keys))
        return await self.get_many(tenant, ids), (self._pages.encode(q, list(nxt2)) if nxt2 else "")
