"""What the IdentifierService and ClusterService calls do."""

from __future__ import annotations

from dataclasses import dataclass

from crs._core import KeyRing
from crs.domain import audit
from crs.domain.cards import Cards
from crs.domain.context import CallContext
from crs.domain.customers import CLOSED as CUSTOMER_CLOSED
from crs.domain.customers import Customers
from crs.domain.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound, Violations
from crs.domain.identity.normalize import IdentifierError, normalize
from crs.domain.mutation import Change, Mutation
from crs.domain.names import Name
from crs.domain.paging import PageTokens, page_size, query_hash
from crs.domain.records import AccountRecord, CustomerRecord, decode, encode, now_us
from crs.domain.validation import MAX_REASON, check_text
from crs.storage import schema
from crs.storage.base import Delete, Put, Store, Write

from . import identifiers
from .engine import Engine
from .graph import Edge, cluster, explain
from .records import (
    ACTIVE,
    ANALYST,
    CANNOT_LINK,
    MERGED,
    MUST_LINK,
    SOURCE_ADDED,
    SPLIT,
    ClusterEventRecord,
    ClusterRecord,
    IdentifierRecord,
    LinkRecord,
    Membership,
    OverrideRecord,
)

MAX_MEMBERS_INLINE = 100
_MAX_MERGE = 50
_MAX_HOPS = 64
# Tenant-wide event listing stops this far behind "now", so events committed a moment late by another
# process (their ids were taken before their write landed) are not skipped by a follower's resume token.
EVENT_SETTLE_US = 2_000_000
_DEFAULT_EVENT_WINDOW_US = 7 * 86_400 * 1_000_000


@dataclass(frozen=True, slots=True)
class Member:
    customer: CustomerRecord
    identifiers: list[IdentifierRecord]


@dataclass(frozen=True, slots=True)
class ClusterView:
    record: ClusterRecord
    members: list[Member]


def cluster_name(tenant: str, cluster_id: str) -> str:
    return f"tenants/{tenant}/clusters/{cluster_id}"


def identifier_name(tenant: str, customer_id: str, identifier_id: str) -> str:
    return f"tenants/{tenant}/customers/{customer_id}/identifiers/{identifier_id}"


class Clusters:
    def __init__(
        self,
        store: Store,
        keyring: KeyRing,
        customers: Customers,
        cards: Cards,
        engine: Engine,
        mutation: Mutation,
        pages: PageTokens,
    ) -> None:
        self._store = store
        self._keyring = keyring
        self._customers = customers
        self._cards = cards
        self.engine = engine
        self._mutation = mutation
        self._pages = pages

    # ---- identifiers ------------------------------------------------------------------------------------------

    async def _active_customer(self, name: Name) -> CustomerRecord:
        rec = await self._customers.get(name)
        if rec.status == CUSTOMER_CLOSED:
            raise FailedPrecondition("identifiers cannot be added to a closed customer", "CUSTOMER_CLOSED")
        return rec

    async def create_identifier(
        self, ctx: CallContext, customer: Name, kind_number: int, value: str, region: str
    ) -> IdentifierRecord:
        kind = identifiers.KINDS_BY_NUMBER.get(kind_number)
        v = Violations()
        if kind is None:
            v.add("identifier.kind", "must be set to a defined identifier kind")
        if not value:
            v.add("identifier.value", "is required")
        v.raise_if_any()
        assert kind is not None
        try:
            norm = normalize(kind, value, default_region=region.upper() or None)
        except IdentifierError as exc:
            raise InvalidArgument.of("identifier.value", str(exc), "INVALID_IDENTIFIER") from None
        await self._active_customer(customer)
        rec = identifiers.make(self._keyring, customer.tenant, kind, norm, SOURCE_ADDED, now_us())
        name = identifier_name(customer.tenant, customer.id, rec.id)

        async def build() -> Change[IdentifierRecord]:
            existing = await self._store.get(schema.identifiers_by_customer, (customer.tenant, customer.id, rec.id))
            if existing is not None:
                raise AlreadyExists(f"{name} already exists", "ALREADY_EXISTS", {}, "crs.v1/Identifier", name)
            writes: list[Write] = [
                Put(schema.identifiers_by_customer, (customer.tenant, customer.id, rec.id), encode(rec)),
                Put(schema.customers_by_identifier, (customer.tenant, rec.kind, rec.fingerprint, customer.id), b"{}"),
            ]
            return Change(writes, rec, name, ["*"])

        result = await self._mutation.run(ctx, IdentifierRecord, build)
        await self.engine.reconcile(customer.tenant, [customer.id], "identifier added")
        return result

    async def list_identifiers(self, customer: Name, size: int, token: str) -> tuple[list[IdentifierRecord], str]:
        await self._customers.get(customer)
        n = page_size(size)
        partition = (customer.tenant, customer.id)
        q = query_hash("identifiers", *partition)
        pos = self._pages.decode(token, q)
        after = (str(pos[0]),) if pos else None
        rows = await self._store.scan(schema.identifiers_by_customer, partition, after=after, limit=n + 1)
        items = [decode(IdentifierRecord, r.record.value) for r in rows[:n]]
        nxt = self._pages.encode(q, [items[-1].id]) if len(rows) > n else ""
        return items, nxt

    async def delete_identifier(self, ctx: CallContext, customer: Name, identifier_id: str) -> None:
        name = identifier_name(customer.tenant, customer.id, identifier_id)
        await self._customers.get(customer)

        async def build() -> Change[None]:
            stored = await self._store.get(
                schema.identifiers_by_customer, (customer.tenant, customer.id, identifier_id)
            )
            if stored is None:
                raise NotFound(f"{name} not found", "NOT_FOUND", {}, "crs.v1/Identifier", name)
            rec = decode(IdentifierRecord, stored.value)
            if rec.source != SOURCE_ADDED:
                raise FailedPrecondition(
                    "this identifier is derived from the customer record or a card; change that instead",
                    "DERIVED_IDENTIFIER",
                )
            writes: list[Write] = [
                Delete(schema.identifiers_by_customer, (customer.tenant, customer.id, identifier_id)),
                Delete(schema.customers_by_identifier, (customer.tenant, rec.kind, rec.fingerprint, customer.id)),
            ]
            return Change(writes, None, name, ["*"])

        await self._mutation.run(ctx, type(None), build)
        await self.engine.reconcile(customer.tenant, [customer.id], "identifier removed")

    # ---- resolution ---------------------------------------------------------------------------------------------

    async def cluster_of_customer(self, tenant: str, customer_id: str) -> str:
        """The customer's cluster id, reconciling first when it has none yet (a customer created before
        clusters existed, or whose reconciliation was interrupted)."""
        stored = await self._store.get(schema.cluster_by_customer, (tenant, customer_id))
        if stored is None:
            rec = await self._customers.get(Name(tenant, "customers", customer_id))
            if rec.status == CUSTOMER_CLOSED:
                raise FailedPrecondition("a closed customer belongs to no cluster", "CUSTOMER_CLOSED")
            await self.engine.reconcile(tenant, [customer_id], "catch-up")
            stored = await self._store.get(schema.cluster_by_customer, (tenant, customer_id))
            if stored is None:
                raise FailedPrecondition("the customer's cluster is being recomputed; retry", "CLUSTER_PENDING")
        return decode(Membership, stored.value).cluster_id

    async def _load(self, tenant: str, cluster_id: str) -> ClusterRecord:
        stored = await self._store.get(schema.clusters_by_id, (tenant, cluster_id))
        if stored is None:
            name = cluster_name(tenant, cluster_id)
            raise NotFound(f"{name} not found", "NOT_FOUND", {}, "crs.v1/Cluster", name)
        return decode(ClusterRecord, stored.value)

    async def follow(self, tenant: str, cluster_id: str) -> ClusterRecord:
        """An absorbed cluster resolves to its survivor; a split one is FAILED_PRECONDITION naming the pieces."""
        rec = await self._load(tenant, cluster_id)
        for _hop in range(_MAX_HOPS):
            if rec.state == MERGED and rec.successors:
                rec = await self._load(tenant, rec.successors[0])
                continue
            break
        if rec.state == SPLIT:
            pieces = ", ".join(cluster_name(tenant, s) for s in rec.successors)
            raise FailedPrecondition(
                f"{cluster_name(tenant, rec.id)} was split into {pieces}", "CLUSTER_SPLIT", {"successors": pieces}
            )
        if rec.state != ACTIVE:
            raise FailedPrecondition(f"{cluster_name(tenant, rec.id)} has no members any more", "CLUSTER_EMPTY")
        return rec

    async def resolve(
        self,
        tenant: str,
        *,
        customer: Name | None = None,
        account: Name | None = None,
        card: Name | None = None,
        token: str = "",
        identifier: tuple[int, str, str] | None = None,
        cluster: Name | None = None,
    ) -> ClusterView:
        if cluster is not None:
            rec = await self.follow(tenant, cluster.id)
            return await self.view(rec)
        if customer is not None:
            cid = customer.id
        elif account is not None:
            stored = await self._store.get(schema.accounts_by_id, (tenant, account.id))
            if stored is None:
                raise NotFound(f"{account} not found", "NOT_FOUND", {}, "crs.v1/Account", str(account))
            cid = decode(AccountRecord, stored.value).customer_id
        elif card is not None or token:
            cid = await self._card_holder(tenant, card, token)
        elif identifier is not None:
            return await self._by_identifier(tenant, *identifier)
        else:
            raise InvalidArgument.of("key", "set one of customer, account, card, token, identifier or cluster")
        return await self.view(await self.follow(tenant, await self.cluster_of_customer(tenant, cid)))

    async def _card_holder(self, tenant: str, card: Name | None, token: str) -> str:
        card_id = card.id if card is not None else await self._cards.card_id_for(tenant, token=token)
        return (await self._cards.get(Name(tenant, "cards", card_id))).customer_id

    async def _by_identifier(self, tenant: str, kind_number: int, value: str, region: str) -> ClusterView:
        kind = identifiers.KINDS_BY_NUMBER.get(kind_number)
        if kind is None:
            raise InvalidArgument.of("identifier.kind", "must be set to a defined identifier kind")
        try:
            norm = normalize(kind, value, default_region=region.upper() or None)
        except IdentifierError as exc:
            raise InvalidArgument.of("identifier.value", str(exc), "INVALID_IDENTIFIER") from None
        fp = identifiers.fingerprint(self._keyring, tenant, kind, norm)
        rows = await self._store.scan(schema.customers_by_identifier, (tenant, kind.value, fp), limit=1000)
        if not rows:
            raise NotFound("no customer carries this identifier", "NOT_FOUND", {}, "crs.v1/Cluster", "")
        carriers = [str(r.clustering[0]) for r in rows]
        stored = await self._store.get_many(schema.cluster_by_customer, [(tenant, c) for c in carriers])
        found = {decode(Membership, m.value).cluster_id for m in stored if m is not None}
        for c, m in zip(carriers, stored, strict=True):
            if m is None:  # not reconciled yet: catch up now
                found.add(await self.cluster_of_customer(tenant, c))
        if len(found) > 1:
            raise FailedPrecondition(
                f"customers in {len(found)} clusters carry this identifier",
                "AMBIGUOUS_IDENTIFIER",
                {"clusters": str(len(found))},
            )
        return await self.view(await self.follow(tenant, found.pop()))

    async def view(self, rec: ClusterRecord, limit: int = MAX_MEMBERS_INLINE) -> ClusterView:
        if rec.state != ACTIVE:
            return ClusterView(rec, [])
        rows = await self._store.scan(schema.customers_by_cluster, (rec.tenant, rec.id), limit=limit)
        return ClusterView(rec, await self._members(rec.tenant, [str(r.clustering[0]) for r in rows]))

    async def _members(self, tenant: str, ids: list[str]) -> list[Member]:
        customers = await self._customers.get_many(tenant, ids)
        out: list[Member] = []
        for c in customers:
            rows = await self._store.scan(schema.identifiers_by_customer, (tenant, c.id), limit=1000)
            out.append(Member(c, [decode(IdentifierRecord, r.record.value) for r in rows]))
        return out

    async def get(self, name: Name) -> ClusterView:
        return await self.view(await self._load(name.tenant, name.id))

    async def list_members(self, name: Name, size: int, token: str) -> tuple[list[Member], str]:
        await self._load(name.tenant, name.id)
        n = page_size(size)
        partition = (name.tenant, name.id)
        q = query_hash("cluster-members", *partition)
        pos = self._pages.decode(token, q)
        after = (str(pos[0]),) if pos else None
        rows = await self._store.scan(schema.customers_by_cluster, partition, after=after, limit=n + 1)
        ids = [str(r.clustering[0]) for r in rows[:n]]
        nxt = self._pages.encode(q, [ids[-1]]) if len(rows) > n else ""
        return await self._members(name.tenant, ids), nxt

    async def explain(self, a: Name, b: Name) -> tuple[str, list[Edge]]:
        if a.tenant != b.tenant:
            raise InvalidArgument.of("other_customer", "must be in the same tenant as customer")
        await self._customers.get(a)
        await self._customers.get(b)
        view = await self.engine.view(a.tenant, [a.id, b.id])
        clustering = cluster(view)
        chain = explain(clustering, a.id, b.id) if a.id != b.id else []
        if chain is None:
            return "", []
        membership = view.nodes[a.id].membership
        return (membership.cluster_id if membership else ""), chain

    # ---- events -------------------------------------------------------------------------------------------------

    async def list_events(
        self, tenant: str, cluster: Name | None, size: int, token: str, start_us: int
    ) -> tuple[list[ClusterEventRecord], str, str]:
        n = page_size(size)
        q = query_hash("cluster-events", tenant, cluster.id if cluster else "")
        pos = self._pages.decode(token, q)
        horizon = now_us() - EVENT_SETTLE_US
        events: list[ClusterEventRecord] = []
        if cluster is not None:
            await self._load(tenant, cluster.id)
            after = (str(pos[0]),) if pos else None
            rows = await self._store.scan(
                schema.cluster_events_by_cluster, (tenant, cluster.id), after=after, limit=n + 1
            )
            # One cluster's events are serialized by the compare-and-set on its row: no settle window.
            events = [decode(ClusterEventRecord, r.record.value) for r in rows[:n]]
            more = len(rows) > n
            last: list[object] = [events[-1].event_id] if events else (list(pos) if pos else [""])
            return events, (self._pages.encode(q, last) if more else ""), self._pages.encode(q, last)
        return await self._tenant_events(tenant, q, pos, n, horizon, start_us)

    async def _tenant_events(
        self, tenant: str, q: str, pos: list[object] | None, n: int, horizon: int, start_us: int
    ) -> tuple[list[ClusterEventRecord], str, str]:
        """Day partitions in order; the position is [day number, last event id]."""
        day_us = 86_400 * 1_000_000
        if pos:
            day, after_id = int(str(pos[0])), str(pos[1])
        else:
            day, after_id = (start_us or now_us() - _DEFAULT_EVENT_WINDOW_US) // day_us, ""
        last_day = horizon // day_us
        events: list[ClusterEventRecord] = []
        more = False
        while day <= last_day:
            partition = (tenant, audit.day_of(day * day_us))
            rows = await self._store.scan(
                schema.cluster_events_by_day, partition, after=(after_id,) if after_id else None, limit=n + 1
            )
            reached = False
            for r in rows:
                ev = decode(ClusterEventRecord, r.record.value)
                if ev.time_us > horizon:
                    reached = True
                    break
                if len(events) == n:
                    more = True
                    break
                events.append(ev)
                after_id = ev.event_id
            if more or reached:
                break
            if len(rows) > n:
                continue  # more of this day
            if day == last_day:
                break
            day, after_id = day + 1, ""
        position: list[object] = [day, after_id]
        token = self._pages.encode(q, position)
        return events, (token if more else ""), token

    # ---- analyst overrides -------------------------------------------------------------------------------------

    async def _override(
        self, ctx: CallContext, pairs: list[tuple[str, str]], kind: str, reason: str, tenant: str, resource: str
    ) -> None:
        ts = now_us()
        value = encode(OverrideRecord(kind, reason, ctx.actor, ts))
        link = encode(LinkRecord(ANALYST, 0.0, {}, reason, ts))

        async def build() -> Change[None]:
            writes: list[Write] = []
            for a, b in pairs:
                for x, y in ((a, b), (b, a)):
                    writes.append(Put(schema.overrides_by_customer, (tenant, x, y), value))
                    if kind == MUST_LINK:
                        writes.append(Put(schema.links_by_customer, (tenant, x, y), link))
                    else:
                        writes.append(Delete(schema.links_by_customer, (tenant, x, y)))
            return Change(writes, None, resource, [f"override:{kind}"], purpose=reason)

        await self._mutation.run(ctx, type(None), build)

    async def merge(self, ctx: CallContext, customers: list[Name], reason: str) -> ClusterView:
        v = Violations()
        ids = sorted({c.id for c in customers})
        if len(ids) < 2 or len(ids) > _MAX_MERGE:
            v.add("customers", f"must name 2 to {_MAX_MERGE} different customers")
        if any(c.tenant != ctx.tenant for c in customers):
            v.add("customers", "must all be in the caller's tenant")
        check_text(v, "reason", reason, limit=MAX_REASON)
        if not reason.strip():
            v.add("reason", "is required")
        v.raise_if_any()
        for c in customers:
            await self._active_customer(c)
        pairs = [(ids[0], other) for other in ids[1:]]
        await self._override(ctx, pairs, MUST_LINK, reason, ctx.tenant, f"tenants/{ctx.tenant}/customers/{ids[0]}")
        await self.engine.recluster(ctx.tenant, ids, f"analyst merge: {reason}")
        return await self.resolve(ctx.tenant, customer=customers[0])

    async def split(self, ctx: CallContext, customer: Name, apart_from: list[Name], reason: str) -> ClusterView:
        v = Violations()
        check_text(v, "reason", reason, limit=MAX_REASON)
        if not reason.strip():
            v.add("reason", "is required")
        if any(a.tenant != customer.tenant for a in apart_from):
            v.add("apart_from", "must be in the customer's tenant")
        if any(a.id == customer.id for a in apart_from):
            v.add("apart_from", "must not name the customer itself")
        v.raise_if_any()
        await self._active_customer(customer)
        if apart_from:
            others = sorted({a.id for a in apart_from})
            for a in apart_from:
                await self._customers.get(a)
        else:
            current = await self.cluster_of_customer(customer.tenant, customer.id)
            rows = await self._store.scan(schema.customers_by_cluster, (customer.tenant, current), limit=5000)
            others = sorted(str(r.clustering[0]) for r in rows if str(r.clustering[0]) != customer.id)
        if others:
            pairs = [(customer.id, o) for o in others]
            await self._override(ctx, pairs, CANNOT_LINK, reason, customer.tenant, str(customer))
            await self.engine.recluster(customer.tenant, [customer.id, *others], f"analyst split: {reason}")
        return await self.resolve(customer.tenant, customer=customer)

    # ---- model ------------------------------------------------------------------------------------------------

    async def save_model(self, tenant: str, model_json: str) -> None:
        await self._store.apply([Put(schema.match_model_by_tenant, (tenant,), model_json.encode())])
