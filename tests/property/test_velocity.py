"""Windowed velocity equals a brute-force recount over random event streams (docs/risk.md "Velocity").

Streams have out-of-order arrival within the lateness, duplicates by transaction id, several currencies and
query times at and after the newest event. The brute force keeps every event and recounts each window from
scratch; the implementation keeps bounded buckets only, and the windows ``_core`` computes from the stored row
(the authorization path) equal the Python ones. A second test adds events later than the lateness and
checks them against a from-scratch model of the acceptance rule; a third runs the store-backed ``observe`` with
concurrent writers on a real embedded store.
"""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crs._core import CoreError, velocity_windows
from crs.domain.records import encode
from crs.domain.risk import windows as W
from crs.domain.risk.txn import CHANNEL_ECOMMERCE, RiskTxn
from crs.domain.risk.velocity import Velocities, of_row, of_state
from crs.storage.base import Record
from crs.storage.embedded import EmbeddedStore

T0 = 1_764_000_000_000_000  # 2025-11-24, microseconds
LATENESS = 10 * W.MINUTE_US
CURRENCIES = ("EUR", "USD", "SEK")

Event = tuple[str, int, str, int]  # id, occurred_us, currency, amount


def brute(events: list[Event], level: W.Level, at_us: int) -> tuple[int, dict[str, tuple[int, int]]]:
    newest = at_us // level.granularity_us
    oldest = newest - level.buckets + 1
    per: dict[str, list[int]] = {}
    for _id, t, cur, amount in events:
        if oldest <= t // level.granularity_us <= newest:
            acc = per.setdefault(cur, [0, 0])
            acc[0] += 1
            acc[1] += amount
    return sum(v[0] for v in per.values()), {c: (v[0], v[1]) for c, v in sorted(per.items())}


# Offsets spread over ~40 days so every window level sees events entering and leaving it.
spans = st.sampled_from([W.MINUTE_US, W.HOUR_US, W.DAY_US, 40 * W.DAY_US])


@st.composite
def streams(draw: st.DrawFn) -> tuple[list[Event], list[Event]]:
    """(unique events, arrival order with duplicates); every arrival is within the lateness."""
    span = draw(spans)
    n = draw(st.integers(1, 60))
    times = sorted(draw(st.lists(st.integers(0, span), min_size=n, max_size=n)))
    unique = [
        (f"tx{i}", T0 + t, draw(st.sampled_from(CURRENCIES)), draw(st.integers(1, 100_000)))
        for i, t in enumerate(times)
    ]
    copies = list(unique)
    for i in draw(st.lists(st.integers(0, n - 1), max_size=20)):
        copies.append(unique[i])  # the switch reporting the same transaction again
    # Arrival order: by occurred + a delay below the lateness, so each event is within the lateness of all before.
    delays = draw(st.lists(st.integers(0, LATENESS - 1), min_size=len(copies), max_size=len(copies)))
    order = sorted(range(len(copies)), key=lambda i: (copies[i][1] + delays[i], i))
    return unique, [copies[i] for i in order]


@settings(max_examples=400, deadline=None)
@given(streams(), st.integers(0, 35 * W.DAY_US))
def test_windows_equal_brute_force_recount(stream: tuple[list[Event], list[Event]], later: int) -> None:
    unique, arrivals = stream
    state = W.VelocityState()
    for tid, t, cur, amount in arrivals:
        W.apply_event(state, tid, t, cur, amount, LATENESS)
    assert state.late_dropped == 0
    assert state.accepted == len(unique)
    assert state.duplicates == len(arrivals) - len(unique)
    newest = max(t for _i, t, _c, _a in unique)
    for at in (newest, newest + later):
        for level in W.LEVELS:
            got = W.totals(state, level, at)
            assert (got.count, got.by_currency) == brute(unique, level, at), (level.name, at - newest)
        _same_in_core(state, at)
    # Bounded: never more buckets than the windows have, ids only within the lateness.
    for level in W.LEVELS:
        assert len(state.levels[level.name]) <= level.buckets
    assert all(t >= state.watermark_us - LATENESS for t in state.seen.values())


@st.composite
def late_streams(draw: st.DrawFn) -> list[Event]:
    n = draw(st.integers(1, 60))
    out: list[Event] = []
    for i in range(n):
        t = T0 + draw(st.integers(0, 3 * W.HOUR_US))
        out.append((f"tx{i}", t, draw(st.sampled_from(CURRENCIES)), draw(st.integers(1, 1000))))
    for i in draw(st.lists(st.integers(0, n - 1), max_size=15)):
        out.insert(draw(st.integers(0, len(out))), out[i])
    return out


@settings(max_examples=300, deadline=None)
@given(late_streams(), st.integers(2, 80))
def test_late_events_follow_the_acceptance_rule(arrivals: list[Event], max_seen: int) -> None:
    """Any arrival order: exactly the events the stated rule accepts are counted, each once."""
    state = W.VelocityState()
    accepted: list[Event] = []
    accepted_ids: set[str] = set()
    for tid, t, cur, amount in arrivals:
        outcome = W.apply_event(state, tid, t, cur, amount, LATENESS, max_seen)
        if outcome == W.ACCEPTED:
            assert tid not in accepted_ids, "a transaction id was counted twice"
            accepted_ids.add(tid)
            accepted.append((tid, t, cur, amount))
            newest_before = max((e[1] for e in accepted[:-1]), default=t)
            assert t >= newest_before - LATENESS
        elif outcome == W.LATE:
            newest = max((e[1] for e in accepted), default=t)
            assert t < newest - LATENESS or t < state.seen_floor_us
        else:
            assert outcome == W.DUPLICATE and tid in accepted_ids
    assert len(state.seen) <= max_seen
    at = max(e[1] for e in accepted)
    for level in W.LEVELS:
        got = W.totals(state, level, at)
        assert (got.count, got.by_currency) == brute(accepted, level, at)
    _same_in_core(state, at - W.HOUR_US)  # before the watermark: the windows end at the watermark


def _same_in_core(state: W.VelocityState, at: int) -> None:
    """The windows ``_core`` computes from the stored row (``of_row``) are the Python ones (``of_state``), with
    currencies in the same order; so are the acceptance counters."""
    fast, reference = of_row("cl", Record(encode(state), "v1"), at), of_state("cl", state, at)
    assert fast == reference
    assert [list(t.by_currency) for t in fast.windows.values()] == [
        list(t.by_currency) for t in reference.windows.values()
    ]


def test_core_windows_of_no_row_and_the_python_path_for_numbers_beyond_64_bits() -> None:
    assert of_row("cl", None, T0) == of_state("cl", None, T0)
    state = W.VelocityState()
    for i, amount in enumerate((2**62, 2**62, 5)):  # a 24-hour total beyond 64 bits
        W.apply_event(state, f"tx{i}", T0 + i, "EUR", amount, LATENESS)
    row = Record(encode(state), "v1")
    with pytest.raises(CoreError):
        velocity_windows(row.value, T0)
    got = of_row("cl", row, T0 + 10)
    assert got == of_state("cl", state, T0 + 10)
    assert got.windows["24h"].by_currency == {"EUR": (3, 2**63 + 5)}
    # _core reads keys as they are stored; a key with a JSON escape (never written by ``encode``) takes the
    # Python path too, which reads it as the text it stands for
    small = W.VelocityState()
    W.apply_event(small, "tx", T0, "EUR", 5, LATENESS)
    escaped = Record(encode(small).replace(b'"EUR"', b'"E\\u0055R"'), "v1")
    assert escaped.value != encode(small)
    with pytest.raises(CoreError):
        velocity_windows(escaped.value, T0)
    assert of_row("cl", escaped, T0 + 10).windows["24h"].by_currency == {"EUR": (1, 5)}


def _txn(tid: str, t: int, cur: str, amount: int) -> RiskTxn:
    return RiskTxn("acme", tid, "cl-prop", "c1", "tok", amount, cur, "m1", "NL", CHANNEL_ECOMMERCE, t)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(streams())
def test_store_backed_observe_with_concurrent_writers(stream: tuple[list[Event], list[Event]]) -> None:
    unique, arrivals = stream

    async def run() -> None:
        with tempfile.TemporaryDirectory() as d:
            store = EmbeddedStore(Path(d) / "crs.db")
            try:
                # Interleaved writers break the per-stream arrival bound: a lateness beyond the span keeps all.
                vel = Velocities(store, 41 * W.DAY_US)
                now = max(t for _i, t, _c, _a in unique)
                # Four concurrent writers on one cluster row: compare-and-set must neither lose nor double an event.
                lanes = [arrivals[i::4] for i in range(4)]

                async def lane(events: list[Event]) -> None:
                    for e in events:
                        await vel.observe(_txn(*e), at_us=now)

                await asyncio.gather(*(lane(x) for x in lanes))
                v = await vel.read("acme", "cl-prop", now)
                for level in W.LEVELS:
                    got = v.windows[level.name]
                    assert (got.count, got.by_currency) == brute(unique, level, now)
                assert v.duplicates == len(arrivals) - len(unique)
            finally:
                await store.close()

    asyncio.run(run())


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(late_streams(), st.integers(1, 12))
def test_batched_observe_equals_one_by_one(arrivals: list[Event], batch: int) -> None:
    """``observe_many`` (RecordTransactions: one compare-and-set per cluster per batch) gives the same outcomes
    and the same row as ``observe`` one event at a time, late events and duplicates included, with two
    concurrent batch writers on one row equal to the recount."""

    async def run() -> None:
        with tempfile.TemporaryDirectory() as d:
            store = EmbeddedStore(Path(d) / "crs.db")
            try:
                one, many = Velocities(store, LATENESS), Velocities(store, LATENESS)
                now = max(t for _i, t, _c, _a in arrivals)
                singles = [await one.observe(_txn(*e), at_us=now) for e in arrivals]
                batched: list[str] = []
                for i in range(0, len(arrivals), batch):
                    part = [replace(_txn(*e), cluster_id="cl-batch") for e in arrivals[i : i + batch]]
                    batched += await many.observe_many(part, at_us=now)
                assert batched == singles
                a, b = await one.read("acme", "cl-prop", now), await many.read("acme", "cl-batch", now)
                assert (a.windows, a.late_dropped, a.duplicates) == (b.windows, b.late_dropped, b.duplicates)
                # Two writers' batches interleaving on one row (no event late: lateness beyond the span).
                wide = Velocities(store, 41 * W.DAY_US)
                uniq = list({e[0]: e for e in arrivals}.values())
                lanes = [[replace(_txn(*e), cluster_id="cl-two") for e in uniq[k::2]] for k in range(2)]

                async def lane(txns: list[RiskTxn]) -> None:
                    for i in range(0, len(txns), batch):
                        await wide.observe_many(txns[i : i + batch], at_us=now)

                await asyncio.gather(*(lane(x) for x in lanes))
                v = await wide.read("acme", "cl-two", now)
                for level in W.LEVELS:
                    got = v.windows[level.name]
                    assert (got.count, got.by_currency) == brute(uniq, level, now)
            finally:
                await store.close()

    asyncio.run(run())
