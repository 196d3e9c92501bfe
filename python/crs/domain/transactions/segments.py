"""Segments kept current: evaluated when a customer's transactions arrive and, for changes that happen with
no transaction (DORMANT, CHURNED, spend leaving the window), by ``refresh`` over the customers due by then."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass

from crs.domain.audit import day_of
from crs.domain.context import CallContext
from crs.domain.errors import InvalidArgument
from crs.domain.ids import new_id, new_version
from crs.domain.listing import bucket_of, list_partition
from crs.domain.mutation import Change, Mutation
from crs.domain.names import Name
from crs.domain.paging import PageTokens, page_size, query_hash
from crs.domain.records import decode, encode, now_us
from crs.domain.transactions.aggregates import MonthAggregate, months_back
from crs.domain.transactions.model import TransactionRecord, month_of
from crs.domain.transactions.recorder import Clock
from crs.domain.transactions.rfm import LIFECYCLE_NAMES, TIER_NAMES, evaluate
from crs.domain.transactions.segment_rules import SegmentRules, TenantSegmentRules
from crs.storage import schema
from crs.storage.base import ConditionFailed, Delete, NotExists, Put, Store, VersionIs, Write
from crs.storage.schema import LIST_BUCKETS

_ATTEMPTS = 8
_DUE_PAGE = 500


@dataclass(slots=True)
class SegmentRecord:
    tenant: str
    customer_id: str
    tier: int = 0
    lifecycle: int = 0
    reason: str = ""
    recency_days: int = 0
    frequency: int = 0
    monetary_minor: int = 0
    currency: str = ""
    tier_since_us: int = 0
    lifecycle_since_us: int = 0
    evaluate_us: int = 0
    first_us: int = 0
    last_us: int = 0
    due_day: str = ""
    version: str = ""


@dataclass(slots=True)
class SegmentChange:
    change_id: str
    tenant: str
    customer_id: str
    from_tier: int
    to_tier: int
    from_lifecycle: int
    to_lifecycle: int
    reason: str
    trigger: str  # TRANSACTION or REFRESH
    time_us: int


def segment_key(kind: str, value: int) -> str:
    names = TIER_NAMES if kind == "tier" else LIFECYCLE_NAMES
    return f"{kind}:{names[value]}"


def _membership(tenant: str, kind: str, old: int, new: int, customer_id: str) -> list[Write]:
    if old == new:
        return []
    out: list[Write] = []
    bucket = bucket_of(customer_id)
    if old:
        out.append(Delete(schema.customers_by_segment, (tenant, segment_key(kind, old), bucket, customer_id)))
    out.append(Put(schema.customers_by_segment, (tenant, segment_key(kind, new), bucket, customer_id), b"{}"))
    return out


def segment_writes(old: SegmentRecord | None, new: SegmentRecord, change: SegmentChange | None) -> list[Write]:
    """The one place a segment evaluation's writes are assembled (the change feed hooks in here): the row
    (compare-and-set), tier and lifecycle memberships, the history and day copies of a change, the due index."""
    t, cid = new.tenant, new.customer_id
    condition = VersionIs(old.version) if old is not None else NotExists()
    writes: list[Write] = [Put(schema.segments_by_customer, (t, cid), encode(new), new.version, condition)]
    writes += _membership(t, "tier", old.tier if old else 0, new.tier, cid)
    writes += _membership(t, "lifecycle", old.lifecycle if old else 0, new.lifecycle, cid)
    if change is not None:
        value = encode(change)
        writes.append(Put(schema.segment_changes_by_customer, (t, cid, change.change_id), value))
        writes.append(Put(schema.segment_changes_by_day, (t, day_of(change.time_us), change.change_id), value))
    old_due = old.due_day if old else ""
    if old_due != new.due_day:
        if old_due:
            writes.append(Delete(schema.segments_due_by_day, (t, old_due, cid)))
        if new.due_day:
            writes.append(Put(schema.segments_due_by_day, (t, new.due_day, cid), b"{}"))
    return writes


def _material(old: SegmentRecord | None, new: SegmentRecord) -> bool:
    """Worth a write: a move, a new first activity, a new day of last activity, a new due day."""
    if old is None:
        return True
    return (
        (old.tier, old.lifecycle, old.first_us, old.due_day) != (new.tier, new.lifecycle, new.first_us, new.due_day)
        or day_of(old.last_us) != day_of(new.last_us)
        or old.currency != new.currency
    )


def _assess(
    rules: SegmentRules,
    tenant: str,
    customer_id: str,
    now: int,
    trigger: str,
    seen: tuple[int, int],
    old: SegmentRecord | None,
    window: list[MonthAggregate],
) -> tuple[list[Write], bool] | None:
    """The writes of one customer's evaluation and whether it moved; None when nothing material changed."""
    known = [x for x in (old.first_us if old else 0, seen[0]) if x]
    if not known:
        return None  # never active
    first_us, last_us = min(known), max(old.last_us if old else 0, seen[1])
    ev = evaluate(rules, now, first_us, last_us, window)
    new = SegmentRecord(
        tenant,
        customer_id,
        ev.tier,
        ev.lifecycle,
        ev.reason,
        ev.recency_days,
        ev.frequency,
        ev.monetary_minor,
        rules.currency,
        old.tier_since_us if old and old.tier == ev.tier else now,
        old.lifecycle_since_us if old and old.lifecycle == ev.lifecycle else now,
        now,
        first_us,
        last_us,
        day_of(ev.due_us) if ev.due_us else "",
        new_version(),
    )
    if not _material(old, new):
        return None
    moved = old is None or (old.tier, old.lifecycle) != (new.tier, new.lifecycle)
    change = None
    if moved:
        change = SegmentChange(
            new_id(),
            tenant,
            customer_id,
            old.tier if old else 0,
            new.tier,
            old.lifecycle if old else 0,
            new.lifecycle,
            ev.reason,
            trigger,
            now,
        )
    return segment_writes(old, new, change), moved


class Segments:
    def __init__(
        self,
        store: Store,
        mutation: Mutation,
        pages: PageTokens,
        rules: TenantSegmentRules | None = None,
        clock: Clock = now_us,
    ) -> None:
        self._store = store
        self._mutation = mutation
        self._pages = pages
        self.rules = rules or TenantSegmentRules()
        self.clock = clock

    async def get(self, tenant: str, customer_id: str) -> SegmentRecord | None:
        """The customer's current segments, or None when it has no recorded transactions."""
        stored = await self._store.get(schema.segments_by_customer, (tenant, customer_id))
        return decode(SegmentRecord, stored.value) if stored else None

    async def observe(self, ctx: CallContext, tenant: str, txns: Sequence[TransactionRecord]) -> None:
        """After transactions were recorded: re-evaluate each customer they belong to."""
        seen: dict[str, tuple[int, int]] = {}
        for txn in txns:
            first, last = seen.get(txn.customer_id, (txn.occurred_us, txn.occurred_us))
            seen[txn.customer_id] = (min(first, txn.occurred_us), max(last, txn.occurred_us))
        await self.evaluate_many(ctx, tenant, seen, self.clock(), "TRANSACTION")

    async def evaluate(self, ctx: CallContext, tenant: str, customer_id: str, now: int, trigger: str) -> bool:
        """Re-evaluates one customer at ``now``; True when its tier or lifecycle moved."""
        return await self.evaluate_many(ctx, tenant, {customer_id: (0, 0)}, now, trigger) > 0

    async def evaluate_many(
        self, ctx: CallContext, tenant: str, seen: dict[str, tuple[int, int]], now: int, trigger: str
    ) -> int:
        """Re-evaluates customers at ``now`` (with the first/last activity just seen, 0 for none); returns how
        many moved. One atomic write for all of them where the store checks conditions atomically, else one
        per customer (each a compare-and-set on its row), concurrently."""
        if not seen:
            return 0
        if self._store.atomic_conditions or len(seen) == 1:
            return await self._evaluate_together(ctx, tenant, seen, now, trigger)
        moved = await asyncio.gather(
            *(self._evaluate_together(ctx, tenant, {cid: span}, now, trigger) for cid, span in seen.items())
        )
        return sum(moved)

    async def _evaluate_together(
        self, ctx: CallContext, tenant: str, seen: dict[str, tuple[int, int]], now: int, trigger: str
    ) -> int:
        rules = self.rules.of(tenant)
        months = months_back(month_of(now), rules.window_months)
        ids = sorted(seen)
        resource = f"tenants/{tenant}/customers/{ids[0]}/segments" if len(ids) == 1 else f"tenants/{tenant}/segments"

        async def build() -> Change[int]:
            rows = await self._store.get_many(schema.segments_by_customer, [(tenant, c) for c in ids])
            keys = [(tenant, c, m) for c in ids for m in months]
            aggregates = await self._store.get_many(schema.aggregates_by_customer, keys)
            writes: list[Write] = []
            moved = 0
            for i, cid in enumerate(ids):
                old = decode(SegmentRecord, rows[i].value) if rows[i] is not None else None  # type: ignore[union-attr]
                got = aggregates[i * len(months) : (i + 1) * len(months)]
                window = [decode(MonthAggregate, a.value) for a in got if a is not None]
                assessed = _assess(rules, tenant, cid, now, trigger, seen[cid], old, window)
                if assessed is not None:
                    writes += assessed[0]
                    moved += assessed[1]
            return Change(writes, moved, resource, ["segments"])

        async def retry(_failed: ConditionFailed) -> None:
            await asyncio.sleep(random.uniform(0.0, 0.01))
            return None

        return await self._mutation.run(ctx, int, build, retry, attempts=_ATTEMPTS)

    async def refresh(self, ctx: CallContext, tenant: str, as_of: int, lookback_days: int = 400) -> tuple[int, int]:
        """Re-evaluates every customer due on a day up to ``as_of`` (the past ``lookback_days`` days' due lists)."""
        evaluated = changed = 0
        day = dt.datetime.fromtimestamp(as_of / 1e6, dt.UTC).date()
        for back in range(lookback_days, -1, -1):
            key = (day - dt.timedelta(days=back)).strftime("%Y%m%d")
            after = None
            while True:
                rows = await self._store.scan(schema.segments_due_by_day, (tenant, key), after=after, limit=_DUE_PAGE)
                due = {str(row.clustering[0]): (0, 0) for row in rows}
                evaluated += len(due)
                changed += await self.evaluate_many(ctx, tenant, due, as_of, "REFRESH")
                if len(rows) < _DUE_PAGE:
                    break
                after = rows[-1].clustering
        return evaluated, changed

    async def list_members(
        self, tenant: str, kind: str, value: int, size: int, token: str
    ) -> tuple[list[SegmentRecord], str]:
        n = page_size(size)
        segment = segment_key(kind, value)
        q = query_hash("segment-members", tenant, segment)
        position = self._pages.decode(token, q)
        bucket = int(position[0]) if position else 0
        after = (str(position[1]),) if position and len(position) > 1 else None
        ids: list[str] = []
        nxt: list[object] | None = None
        while bucket < LIST_BUCKETS and len(ids) < n:
            got, more = await list_partition(
                self._store,
                schema.customers_by_segment,
                (tenant, segment, bucket),
                after,
                n - len(ids),
                lambda k, _r: k[0],
            )
            ids += [str(i) for i in got]
            if more is not None:
                nxt = [bucket, *more]
                break
            bucket, after = bucket + 1, None
        if nxt is None and len(ids) == n and bucket < LIST_BUCKETS:
            nxt = [bucket]
        stored = await self._store.get_many(schema.segments_by_customer, [(tenant, i) for i in ids])
        members = [decode(SegmentRecord, s.value) for s in stored if s is not None]
        # A membership row whose move has not landed yet (Cassandra: the row's compare-and-set comes before the
        # batch with the memberships) is not reported under the segment the customer already left.
        members = [m for m in members if (m.tier if kind == "tier" else m.lifecycle) == value]
        return members, (self._pages.encode(q, nxt) if nxt else "")

    async def list_changes(
        self, tenant: str, customer: Name | None, day: str, size: int, token: str
    ) -> tuple[list[SegmentChange], str]:
        n = page_size(size)
        if customer is not None:
            table, partition = schema.segment_changes_by_customer, (tenant, customer.id)
        else:
            try:
                dt.datetime.strptime(day, "%Y%m%d")
            except ValueError:
                raise InvalidArgument.of("day", "must be a date YYYYMMDD") from None
            table, partition = schema.segment_changes_by_day, (tenant, day)
        q = query_hash("segment-changes", tenant, table.name, partition)
        position = self._pages.decode(token, q)
        after = tuple(str(p) for p in position) if position else None
        items, nxt = await list_partition(
            self._store, table, partition, after, n, lambda _k, r: decode(SegmentChange, r.value)
        )
        return items, (self._pages.encode(q, list(nxt)) if nxt else "")
