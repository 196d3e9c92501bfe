"""Recording the switch's transactions (per-item results), reading them back, listing them by time."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace

from crs.domain.cards import Cards
from crs.domain.clusters.records import Membership
from crs.domain.context import CallContext
from crs.domain.errors import DomainError, InvalidArgument
from crs.domain.ids import new_version
from crs.domain.loading import load
from crs.domain.mutation import Change, Mutation
from crs.domain.names import Name
from crs.domain.paging import PageTokens, page_size, query_hash
from crs.domain.records import AccountRecord, CardRecord, decode, now_us
from crs.domain.transactions.aggregates import MonthAggregate, add_all
from crs.domain.transactions.model import (
    MAX_BATCH,
    TransactionInput,
    TransactionRecord,
    content_hash,
    month_of,
    rtime,
    validate,
)
from crs.domain.transactions.timeline import list_newest_first
from crs.domain.transactions.writes import recorded_writes
from crs.storage import schema
from crs.storage.base import ConditionFailed, Store, Table, Write

RECORDED, DUPLICATE, REJECTED = 1, 2, 3
_GROUP_ATTEMPTS = 12
_CHUNK = 8  # transactions per write on stores without atomic conditions (one customer-month each)
log = logging.getLogger("crs.transactions")

Clock = Callable[[], int]
OnRecorded = Callable[[CallContext, str, list[TransactionRecord]], Awaitable[None]]

SCOPES: dict[str, Table] = {
    "customers": schema.transactions_by_customer,
    "clusters": schema.transactions_by_cluster,
    "accounts": schema.transactions_by_account,
    "cards": schema.transactions_by_card,
}


@dataclass(slots=True)
class ItemResult:
    transaction_id: str
    status: int
    reason: str = ""
    message: str = ""
    fields: list[str] = field(default_factory=list)


@dataclass(slots=True)
class GroupOutcome:
    recorded: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Resolved:
    account_id: str
    customer_id: str
    card_id: str = ""


def _rejected(transaction_id: str, reason: str, message: str, fields: Sequence[str] = ()) -> ItemResult:
    return ItemResult(transaction_id, REJECTED, reason, message, list(fields))


def _same_or_reused(transaction_id: str, stored_hash: str, new_hash: str) -> ItemResult:
    if stored_hash == new_hash:
        return ItemResult(transaction_id, DUPLICATE)
    return _rejected(
        transaction_id, "TRANSACTION_ID_REUSED", "this transaction id was already recorded with different content"
    )


def _repeat(
    tid: str, digest: str, winner: str | None, first: tuple[int, str], results: list[ItemResult | None]
) -> ItemResult:
    """A later occurrence of an id in one batch: judged against what is recorded under the id, else like its
    first occurrence when the content is the same (e.g. the same unknown instrument)."""
    if winner is not None:
        return _same_or_reused(tid, winner, digest)
    earlier = results[first[0]]
    if digest == first[1] and earlier is not None:
        return replace(earlier)
    return _rejected(tid, "DUPLICATE_IN_BATCH", "this id appears earlier in the batch with other content; not kept")


class Transactions:
    def __init__(
        self,
        store: Store,
        cards: Cards,
        mutation: Mutation,
        pages: PageTokens,
        clock: Clock = now_us,
        on_recorded: OnRecorded | None = None,
    ) -> None:
        self._store = store
        self._cards = cards
        self._mutation = mutation
        self._pages = pages
        self.clock = clock
        self.on_recorded = on_recorded
        self._batch_lock = asyncio.Lock()

    # -- recording ---------------------------------------------------------------------------------

    async def record_batch(self, ctx: CallContext, tenant: str, items: Sequence[TransactionInput]) -> list[ItemResult]:
        if not items:
            raise InvalidArgument.of("transactions", "must hold at least one transaction")
        if len(items) > MAX_BATCH:
            raise InvalidArgument.of("transactions", f"must hold at most {MAX_BATCH} transactions")
        now = self.clock()
        results: list[ItemResult | None] = [None] * len(items)
        pending: dict[str, tuple[int, TransactionInput, str]] = {}
        firsts: dict[str, tuple[int, str]] = {}  # id -> (index, content hash) of its first valid occurrence
        repeats: list[tuple[int, str, str]] = []  # later occurrences in this batch, settled at the end
        for i, inp in enumerate(items):
            problems = validate(inp, now)
            if problems.items:
                first = problems.items[0]
                fields = [p.field for p in problems.items]
                results[i] = _rejected(
                    inp.transaction_id, "INVALID_ARGUMENT", f"{first.field} {first.description}", fields
                )
                continue
            digest = content_hash(inp)
            if inp.transaction_id in firsts:
                repeats.append((i, inp.transaction_id, digest))
                continue
            firsts[inp.transaction_id] = (i, digest)
            pending[inp.transaction_id] = (i, inp, digest)
        winners = await self._drop_recorded(tenant, pending, results)
        records = await self._build_records(tenant, pending, results, now)
        recorded = await self._record_groups(ctx, tenant, records, pending, results)
        winners.update({r.id: r.content_hash for r in recorded})
        for i, tid, digest in repeats:
            results[i] = _repeat(tid, digest, winners.get(tid), firsts[tid], results)
        if recorded and self.on_recorded is not None:
            try:
                await self.on_recorded(ctx, tenant, recorded)
            except Exception:  # each consumer catches up on its own (docs/transactions.md "After recording")
                log.exception("processing after recording failed")
        return [r if r is not None else _rejected("", "INTERNAL", "not processed") for r in results]

    async def _drop_recorded(
        self, tenant: str, pending: dict[str, tuple[int, TransactionInput, str]], results: list[ItemResult | None]
    ) -> dict[str, str]:
        """Ids recorded by an earlier call: a duplicate (same content) or a reused id (different content).
        Returns id -> content hash of what was recorded."""
        ids = list(pending)
        stored = await self._store.get_many(schema.transactions_by_id, [(tenant, i) for i in ids])
        winners = {}
        for tid, got in zip(ids, stored, strict=True):
            if got is not None:
                index, _inp, digest = pending.pop(tid)
                winners[tid] = decode(TransactionRecord, got.value).content_hash
                results[index] = _same_or_reused(tid, winners[tid], digest)
        return winners

    async def _card_ids(self, tenant: str, tokens: set[str]) -> dict[str, str]:
        async def one(token: str) -> tuple[str, str | None]:
            try:
                return token, await self._cards.card_id_for(tenant, token=token)
            except DomainError:
                return token, None

        found = await asyncio.gather(*(one(t) for t in sorted(tokens)))
        return {token: card_id for token, card_id in found if card_id is not None}

    async def _resolve(self, tenant: str, inputs: Sequence[TransactionInput]) -> dict[str, _Resolved]:
        """Instrument -> card, account and customer (card: the cardholder; account: its customer)."""
        card_of_token = await self._card_ids(tenant, {i.card_token for i in inputs if i.card_token})
        card_ids = sorted(set(card_of_token.values()))
        cards = await self._store.get_many(schema.cards_by_id, [(tenant, c) for c in card_ids])
        by_card = {c: decode(CardRecord, s.value) for c, s in zip(card_ids, cards, strict=True) if s is not None}
        account_ids = sorted({i.account_id for i in inputs if i.account_id})
        accounts = await self._store.get_many(schema.accounts_by_id, [(tenant, a) for a in account_ids])
        by_account = {
            a: decode(AccountRecord, s.value) for a, s in zip(account_ids, accounts, strict=True) if s is not None
        }
        out: dict[str, _Resolved] = {}
        for inp in inputs:
            card = by_card.get(card_of_token.get(inp.card_token, "")) if inp.card_token else None
            if card is not None:
                out[inp.transaction_id] = _Resolved(card.account_id, card.customer_id, card.id)
            elif inp.account_id and inp.account_id in by_account:
                out[inp.transaction_id] = _Resolved(inp.account_id, by_account[inp.account_id].customer_id)
        return out

    async def _build_records(
        self,
        tenant: str,
        pending: dict[str, tuple[int, TransactionInput, str]],
        results: list[ItemResult | None],
        now: int,
    ) -> list[TransactionRecord]:
        resolved = await self._resolve(tenant, [inp for _i, inp, _h in pending.values()])
        customers = sorted({r.customer_id for r in resolved.values()})
        stored = await self._store.get_many(schema.cluster_by_customer, [(tenant, c) for c in customers])
        cluster_of = {
            c: decode(Membership, s.value).cluster_id for c, s in zip(customers, stored, strict=True) if s is not None
        }
        records = []
        for tid, (index, inp, digest) in list(pending.items()):
            where = resolved.get(tid)
            if where is None:
                what = "card token" if inp.card_token else "account"
                results[index] = _rejected(tid, "UNKNOWN_INSTRUMENT", f"no {what} with this identifier in the tenant")
                del pending[tid]
                continue
            records.append(
                TransactionRecord(
                    tenant=tenant,
                    id=tid,
                    kind=inp.kind,
                    amount_minor=inp.amount_minor,
                    currency=inp.currency,
                    channel=inp.channel,
                    result=inp.result,
                    occurred_us=inp.occurred_us,
                    customer_id=where.customer_id,
                    account_id=where.account_id,
                    card_id=where.card_id,
                    cluster_id=cluster_of.get(where.customer_id, ""),
                    merchant_id=inp.merchant_id,
                    mcc=inp.mcc,
                    merchant_country=inp.merchant_country,
                    decline_reason=inp.decline_reason,
                    sca_outcome=inp.sca_outcome or 1,
                    sca_exemption=inp.sca_exemption,
                    original_id=inp.original_id,
                    record_us=now,
                    content_hash=digest,
                    recurring=inp.recurring,
                )
            )
        return records

    async def _record_groups(
        self,
        ctx: CallContext,
        tenant: str,
        records: list[TransactionRecord],
        pending: dict[str, tuple[int, TransactionInput, str]],
        results: list[ItemResult | None],
    ) -> list[TransactionRecord]:
        groups: dict[tuple[str, str], list[TransactionRecord]] = {}
        for rec in records:
            groups.setdefault((rec.customer_id, month_of(rec.occurred_us)), []).append(rec)
        quiet = replace(ctx, request_id="")  # idempotency is by transaction id
        outcomes: list[GroupOutcome | BaseException]
        if self._store.atomic_conditions:
            # One atomic write for the whole batch (several compare-and-sets in one SQLite transaction, one
            # fsync); serialized in this process so concurrent batches do not keep invalidating each other.
            async with self._batch_lock:
                try:
                    outcomes = [await self._record_together(quiet, tenant, groups)]
                except Exception as exc:
                    outcomes = [exc]
        else:
            outcomes = await asyncio.gather(
                *(self._record_chunks(quiet, tenant, c, m, recs) for (c, m), recs in groups.items()),
                return_exceptions=True,
            )
        failure = next((o for o in outcomes if isinstance(o, BaseException)), None)
        recorded: list[TransactionRecord] = []
        by_id = {r.id: r for r in records}
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                continue
            for tid in outcome.recorded:
                results[pending[tid][0]] = ItemResult(tid, RECORDED)
                recorded.append(by_id[tid])
            for tid in outcome.duplicates:
                results[pending[tid][0]] = ItemResult(tid, DUPLICATE)
            for tid in outcome.reused:
                results[pending[tid][0]] = _same_or_reused(tid, "", "-")
        if failure is not None:
            raise failure  # the switch retries the batch; what was recorded comes back as DUPLICATE
        return recorded

    async def _unrecorded(
        self, tenant: str, recs: list[TransactionRecord], outcome: GroupOutcome
    ) -> list[TransactionRecord]:
        """After a lost race: the records whose ids are still free (the rest are duplicates or reused ids)."""
        stored = await self._store.get_many(schema.transactions_by_id, [(tenant, r.id) for r in recs])
        todo = []
        for rec, got in zip(recs, stored, strict=True):
            if got is None:
                todo.append(rec)
            elif decode(TransactionRecord, got.value).content_hash == rec.content_hash:
                outcome.duplicates.append(rec.id)
            else:
                outcome.reused.append(rec.id)
        return todo

    async def _record_together(
        self, ctx: CallContext, tenant: str, groups: dict[tuple[str, str], list[TransactionRecord]]
    ) -> GroupOutcome:
        """Every customer-month group of the batch in one atomic write (stores with ``atomic_conditions``)."""
        attempt = 0

        async def build() -> Change[GroupOutcome]:
            nonlocal attempt
            attempt += 1
            outcome = GroupOutcome()
            todo = {k: recs for k, recs in groups.items()}
            if attempt > 1:
                todo = {k: await self._unrecorded(tenant, recs, outcome) for k, recs in groups.items()}
                todo = {k: recs for k, recs in todo.items() if recs}
            keys = list(todo)
            stored = await self._store.get_many(schema.aggregates_by_customer, [(tenant, c, m) for c, m in keys])
            writes: list[Write] = []
            for (customer_id, month), got in zip(keys, stored, strict=True):
                agg = decode(MonthAggregate, got.value) if got else MonthAggregate(tenant, customer_id, month)
                add_all(agg, todo[(customer_id, month)])
                agg.version = new_version()
                writes += recorded_writes(todo[(customer_id, month)], agg, got.version if got else None)
                outcome.recorded += [r.id for r in todo[(customer_id, month)]]
            return Change(writes, outcome, f"tenants/{tenant}/transactions", ["aggregates", "transactions"])

        async def retry(_failed: ConditionFailed) -> None:
            await asyncio.sleep(random.uniform(0.0, 0.01 * attempt))
            return None

        return await self._mutation.run(ctx, GroupOutcome, build, retry, attempts=_GROUP_ATTEMPTS)

    async def _record_chunks(
        self, ctx: CallContext, tenant: str, customer_id: str, month: str, recs: list[TransactionRecord]
    ) -> GroupOutcome:
        """One customer-month, a few transactions per write: a Cassandra logged batch stays far below its size
        limit (batch_size_fail_threshold, 50 KiB by default) however many of a customer's transactions come."""
        total = GroupOutcome()
        for i in range(0, len(recs), _CHUNK):
            part = await self._record_group(ctx, tenant, customer_id, month, recs[i : i + _CHUNK])
            total.recorded += part.recorded
            total.duplicates += part.duplicates
            total.reused += part.reused
        return total

    async def _record_group(
        self, ctx: CallContext, tenant: str, customer_id: str, month: str, recs: list[TransactionRecord]
    ) -> GroupOutcome:
        """One customer-month: claim the ids and compare-and-set the aggregate row in one atomic write; a lost
        race (another recorder on the same customer-month, or on the same id) re-reads and tries again."""
        attempt = 0

        async def build() -> Change[GroupOutcome]:
            nonlocal attempt
            attempt += 1
            outcome = GroupOutcome()
            todo = await self._unrecorded(tenant, recs, outcome) if attempt > 1 else recs
            resource = f"tenants/{tenant}/customers/{customer_id}"
            if not todo:
                return Change([], outcome, resource)
            stored_agg = await self._store.get(schema.aggregates_by_customer, (tenant, customer_id, month))
            agg = decode(MonthAggregate, stored_agg.value) if stored_agg else MonthAggregate(tenant, customer_id, month)
            add_all(agg, todo)
            agg.version = new_version()
            outcome.recorded = [r.id for r in todo]
            writes = recorded_writes(todo, agg, stored_agg.version if stored_agg else None)
            return Change(writes, outcome, resource, ["aggregates", "transactions"])

        async def retry(_failed: ConditionFailed) -> None:
            await asyncio.sleep(random.uniform(0.0, 0.01 * attempt))
            return None

        return await self._mutation.run(ctx, GroupOutcome, build, retry, attempts=_GROUP_ATTEMPTS)

    # -- reading -----------------------------------------------------------------------------------

    async def get(self, name: Name) -> TransactionRecord:
        return await load(self._store, schema.transactions_by_id, name, TransactionRecord, "crs.v1/Transaction")

    async def list_page(
        self, tenant: str, scope: Name, start_us: int, end_us: int, size: int, token: str
    ) -> tuple[list[TransactionRecord], str]:
        """Newest first within [start_us, end_us) (0: the defaults), of one customer, cluster, account or card."""
        n = page_size(size)
        start_us, end_us = self._range(start_us, end_us)
        q = query_hash("transactions", tenant, scope.collection, scope.id, start_us, end_us)
        position = self._pages.decode(token, q)
        rows, nxt = await list_newest_first(
            self._store, SCOPES[scope.collection], (tenant, scope.id), start_us, end_us, position, n
        )
        records = [decode(TransactionRecord, r) for r in rows]
        return records, (self._pages.encode(q, nxt) if nxt else "")

    def _range(self, start_us: int, end_us: int) -> tuple[int, int]:
        day = 86_400_000_000
        end = end_us or self.clock() + day
        start = start_us or end - 366 * day
        if start >= end:
            raise InvalidArgument.of("start_time", "must be before end_time")
        if end - start > 1830 * day:
            raise InvalidArgument.of("start_time", "the range must be at most 1830 days")
        if start < 0:
            raise InvalidArgument.of("start_time", "must not be before 1970")
        return start, end

    async def recent(self, tenant: str, customer_id: str, n: int = 10) -> list[TransactionRecord]:
        """The customer's last ``n`` transactions of the past year, newest first (for the customer 360 view)."""
        start, end = self._range(0, 0)
        rows, _ = await list_newest_first(
            self._store, schema.transactions_by_customer, (tenant, customer_id), start, end, None, n
        )
        return [decode(TransactionRecord, r) for r in rows]


__all__ = ["DUPLICATE", "RECORDED", "REJECTED", "ItemResult", "Transactions", "rtime"]
