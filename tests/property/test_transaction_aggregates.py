"""Aggregates equal a recomputation from the raw transactions, whatever the arrival order, duplicates and reused
ids; and two recorders on one store (two processes' worth of connections) lose no update."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import tempfile
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crs.domain.records import decode
from crs.domain.transactions.aggregates import MonthAggregate
from crs.domain.transactions.model import (
    APPROVED,
    CAPTURE,
    CHANNEL_NAMES,
    CHARGEBACK,
    DECLINED,
    KIND_NAMES,
    REFUND,
    TRANSFER,
    TransactionInput,
)
from crs.domain.transactions.recorder import DUPLICATE, RECORDED, REJECTED
from crs.storage import schema
from crs.storage.base import ConditionFailed, VersionIs, Write
from crs.storage.embedded import EmbeddedStore
from tests.helpers.txn_domain import CTX, TENANT, World, item, world

BASE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)

txn_spec = st.fixed_dictionaries(
    {
        "payer": st.integers(0, 2),
        "kind": st.sampled_from([CAPTURE, CAPTURE, TRANSFER, REFUND, CHARGEBACK, 1, 4]),
        "amount": st.integers(1, 500_000),
        "currency": st.sampled_from(["EUR", "USD", "JPY"]),
        "mcc": st.sampled_from(["5411", "5812", "4111", ""]),
        "channel": st.sampled_from(sorted(CHANNEL_NAMES)),
        "result": st.sampled_from([APPROVED, APPROVED, APPROVED, DECLINED]),
        "minutes": st.integers(0, 150 * 24 * 60),  # about five months: several month partitions
        "merchant": st.sampled_from(["m-a", "m-b", "m-c"]),
    }
)


def one_swap_per_apply(store: EmbeddedStore) -> None:
    """Cassandra applies compare-and-sets one row at a time and releases only insert-if-not-exists claims when a
    later condition fails: a change may hold at most one compare-and-set, or a failure would half-apply it."""
    apply = store.apply

    async def checked(writes: Sequence[Write]) -> None:
        swaps = [w for w in writes if isinstance(w.condition, VersionIs)]
        assert len(swaps) <= 1, [w.table.name for w in swaps]
        await apply(writes)

    store.apply = checked  # type: ignore[method-assign]


def _expected(winners: list[tuple[str, TransactionInput]]) -> dict[tuple[str, str], dict[str, Any]]:
    """Per (customer, month), computed straight from the raw transactions (not through aggregates.add)."""
    out: dict[tuple[str, str], dict[str, Any]] = defaultdict(
        lambda: {
            "count": 0,
            "declined": 0,
            "first": None,
            "last": 0,
            "kinds": Counter(),
            "days": Counter(),
            "day_counts": Counter(),
            "mcc": Counter(),
            "channels": Counter(),
            "merchants": Counter(),
            "hours": Counter(),
        }
    )
    for customer, t in winners:
        when = dt.datetime.fromtimestamp(t.occurred_us / 1e6, dt.UTC)
        e = out[(customer, when.strftime("%Y%m"))]
        e["count"] += 1
        e["day_counts"][f"{when.day:02d}"] += 1
        e["first"] = t.occurred_us if e["first"] is None else min(e["first"], t.occurred_us)
        e["last"] = max(e["last"], t.occurred_us)
        if t.result != APPROVED:
            e["declined"] += 1
            continue
        e["kinds"][(KIND_NAMES[t.kind], t.currency, "n")] += 1
        e["kinds"][(KIND_NAMES[t.kind], t.currency, "a")] += t.amount_minor
        if t.kind not in (CAPTURE, TRANSFER):
            continue
        for name, key in (
            ("days", f"{when.day:02d}"),
            ("mcc", t.mcc or "unknown"),
            ("channels", CHANNEL_NAMES[t.channel]),
            ("merchants", t.merchant_id),
        ):
            e[name][(key, t.currency, "n")] += 1
            e[name][(key, t.currency, "a")] += t.amount_minor
        e["hours"][f"{when.hour:02d}"] += 1
    return out


def _flat(breakdown: dict[str, dict[str, list[int]]]) -> Counter[tuple[str, str, str]]:
    out: Counter[tuple[str, str, str]] = Counter()
    for key, cells in breakdown.items():
        for currency, (n, amount) in cells.items():
            out[(key, currency, "n")] += n
            out[(key, currency, "a")] += amount
    return +out


async def _stored_aggregates(w: World, customers: list[str]) -> dict[tuple[str, str], MonthAggregate]:
    out = {}
    for c in customers:
        for month in ("202512", "202601", "202602", "202603", "202604", "202605", "202606", "202607"):
            got = await w.store.get(schema.aggregates_by_customer, (TENANT, c, month))
            if got is not None:
                out[(c, month)] = decode(MonthAggregate, got.value)
    return out


async def _scenario(
    root: Path, specs: list[dict[str, Any]], dup_picks: list[int], reuse_picks: list[int], seed: int, atomic: bool
) -> None:
    w = world(root, NOW)
    w.store.atomic_conditions = atomic  # False: the per customer-month path Cassandra takes
    if not atomic:
        one_swap_per_apply(w.store)
    try:
        payers = [await w.payer(str(i)) for i in range(3)]
        base = [
            (
                payers[s["payer"]],
                item(
                    f"t{i}",
                    w.accounts[payers[s["payer"]]],
                    BASE + dt.timedelta(minutes=s["minutes"]),
                    kind=s["kind"],
                    amount=s["amount"],
                    currency=s["currency"],
                    mcc=s["mcc"],
                    channel=s["channel"],
                    result=s["result"],
                    merchant=s["merchant"],
                ),
            )
            for i, s in enumerate(specs)
        ]
        stream = list(base)
        stream += [base[p % len(base)] for p in dup_picks]  # exact duplicates
        stream += [  # the same id with other content
            (c, replace(t, amount_minor=t.amount_minor + 1)) for c, t in (base[p % len(base)] for p in reuse_picks)
        ]
        rng = random.Random(seed)
        rng.shuffle(stream)  # out of order
        winners: dict[str, tuple[str, TransactionInput]] = {}
        position = 0
        while position < len(stream):
            size = rng.randint(1, 12)
            batch = stream[position : position + size]
            results = await w.domain.transactions.record_batch(CTX, TENANT, [t for _c, t in batch])
            for (customer, t), r in zip(batch, results, strict=True):
                first = winners.get(t.transaction_id)
                if first is None:
                    assert r.status == RECORDED, r
                    winners[t.transaction_id] = (customer, t)
                elif first[1] == t:
                    assert r.status == DUPLICATE, r
                else:
                    assert (r.status, r.reason) == (REJECTED, "TRANSACTION_ID_REUSED"), r
            position += size
        expected = _expected(list(winners.values()))
        stored = await _stored_aggregates(w, payers)
        assert set(stored) == set(expected)
        for key, agg in stored.items():
            e = expected[key]
            assert (agg.count, agg.declined, agg.first_us, agg.last_us) == (
                e["count"],
                e["declined"],
                e["first"],
                e["last"],
            ), key
            assert _flat(agg.kinds) == +e["kinds"]
            assert _flat(agg.days) == +e["days"]
            assert _flat(agg.mcc) == +e["mcc"]
            assert _flat(agg.channels) == +e["channels"]
            assert _flat(agg.merchants) == +e["merchants"]
            assert Counter(agg.hours) == e["hours"]
            assert Counter(agg.day_counts) == e["day_counts"]
    finally:
        await w.store.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    specs=st.lists(txn_spec, min_size=1, max_size=40),
    dup_picks=st.lists(st.integers(0, 1000), max_size=15),
    reuse_picks=st.lists(st.integers(0, 1000), max_size=5),
    seed=st.integers(0, 2**32),
    atomic=st.booleans(),
)
def test_aggregates_equal_recomputation(
    specs: list[dict[str, Any]], dup_picks: list[int], reuse_picks: list[int], seed: int, atomic: bool
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(_scenario(Path(tmp), specs, dup_picks, reuse_picks, seed, atomic))


@pytest.mark.parametrize("atomic", [True, False], ids=["one-write-per-batch", "one-write-per-customer-month"])
def test_two_recorders_on_one_store_lose_no_update(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, atomic: bool
) -> None:
    """Two domains, each with its own connections to one database (as two server processes have), record
    interleaved batches for the same customer-months concurrently, each also re-sending the other's ids."""
    lost_races = []
    apply = EmbeddedStore.apply

    async def counting_apply(self: EmbeddedStore, writes: Sequence[Write]) -> None:
        try:
            await apply(self, writes)
        except ConditionFailed:
            lost_races.append(1)
            raise

    monkeypatch.setattr(EmbeddedStore, "apply", counting_apply)

    async def main() -> None:
        a = world(tmp_path, NOW)
        b = world(tmp_path, NOW)
        a.store.atomic_conditions = b.store.atomic_conditions = atomic
        if not atomic:
            one_swap_per_apply(a.store)
            one_swap_per_apply(b.store)
        try:
            customer = await a.payer("shared")
            account = a.accounts[customer]
            items = [
                item(f"c{i}", account, BASE + dt.timedelta(days=i % 45, minutes=i), amount=100 + i) for i in range(240)
            ]
            batches = [items[i : i + 24] for i in range(0, len(items), 24)]  # > _CHUNK per customer-month

            async def run(w: World, mine: list[list[TransactionInput]]) -> None:
                for batch in mine:
                    await w.domain.transactions.record_batch(CTX, TENANT, batch)

            # a records the even batches then everything again (duplicates); b the odd ones, concurrently.
            await asyncio.gather(run(a, batches[0::2] + batches[1::2]), run(b, batches[1::2] + batches[0::2]))
            total = 0
            amount = 0
            for month in ("202601", "202602"):
                got = await a.store.get(schema.aggregates_by_customer, (TENANT, customer, month))
                assert got is not None
                agg = decode(MonthAggregate, got.value)
                total += agg.count
                amount += agg.spend()["EUR"][1]
            assert total == len(items)
            assert amount == sum(t.amount_minor for t in items)
            assert lost_races, "the recorders never raced: the compare-and-set path was not exercised"
        finally:
            await a.store.close()
            await b.store.close()

    asyncio.run(main())
