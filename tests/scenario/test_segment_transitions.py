"""Segment transitions over simulated months: three customers' tiers and lifecycles, moved by their
transactions and by the weekly time-driven refresh, with the history and the membership lists."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from crs.domain.names import Name
from crs.domain.transactions.rfm import ACTIVE, CHURNED, DORMANT, HIGH, LOW, MEDIUM, NEW
from crs.domain.transactions.segments import SegmentChange
from tests.helpers.txn_domain import CTX, TENANT, World, item, world

START = dt.datetime(2026, 1, 5, 10, tzinfo=dt.UTC)
WEEK = dt.timedelta(days=7)
DAY = dt.timedelta(days=1)


async def _history(w: World, customer: str) -> list[SegmentChange]:
    items, _ = await w.domain.segments.list_changes(TENANT, Name(TENANT, "customers", customer), "", 100, "")
    return items


async def _simulate(root: Path) -> None:
    w = world(root, START)
    try:
        big, steady, once = await w.payer("big"), await w.payer("steady"), await w.payer("once")
        n = 0

        async def pay(customer: str, amount: int) -> None:
            nonlocal n
            n += 1
            when = dt.datetime.fromtimestamp(w.clock.now_us / 1e6, dt.UTC) - dt.timedelta(minutes=1)
            results = await w.domain.transactions.record_batch(
                CTX, TENANT, [item(f"s{n}", w.accounts[customer], when, amount=amount)]
            )
            assert results[0].status == 1, results

        snapshots: dict[str, dict[str, tuple[int, int]]] = {}
        for week in range(0, 40):  # 2026-01-05 .. 2026-10-05
            now = START + week * WEEK
            w.clock.set(now)
            if week < 4:
                await pay(big, 30_000)  # 4 purchases of 300 EUR in January
            if week == 36:
                await pay(big, 30_000)  # comes back in September
            await pay(steady, 2_000)  # every week
            if week == 0:
                await pay(once, 5_000)
            await w.domain.segments.refresh(CTX, TENANT, w.clock.now_us, lookback_days=14)
            state = {}
            for label, customer in (("big", big), ("steady", steady), ("once", once)):
                rec = await w.domain.segments.get(TENANT, customer)
                assert rec is not None
                state[label] = (rec.tier, rec.lifecycle)
            snapshots[now.strftime("%Y-%m-%d")] = state

        # The big spender (default rules: R 30/90 days, F 3/12 purchases, M 10000/100000 EUR cents, HIGH 8,
        # MEDIUM 6): four purchases in January, silent until September.
        assert snapshots["2026-01-05"]["big"] == (MEDIUM, NEW)  # 1 purchase, 30000: R3 + F1 + M2 = 6
        assert snapshots["2026-01-19"]["big"] == (MEDIUM, NEW)  # 3 purchases, 90000: R3 + F2 + M2 = 7
        assert snapshots["2026-01-26"]["big"] == (HIGH, NEW)  # 4 purchases, 120000: R3 + F2 + M3 = 8
        assert snapshots["2026-02-09"]["big"] == (HIGH, ACTIVE)  # more than 30 days after the first purchase
        assert snapshots["2026-03-02"]["big"] == (MEDIUM, ACTIVE)  # last purchase 35 days ago: R2 + F2 + M3 = 7
        assert snapshots["2026-04-20"]["big"] == (MEDIUM, ACTIVE)  # 84 days: still R2, not yet dormant
        assert snapshots["2026-05-04"]["big"] == (MEDIUM, DORMANT)  # 98 days (> 90): R1 + F2 + M3 = 6
        assert snapshots["2026-07-20"]["big"] == (MEDIUM, DORMANT)  # 175 days
        assert snapshots["2026-07-27"]["big"] == (MEDIUM, CHURNED)  # 182 days (> 180)
        assert snapshots["2026-09-14"]["big"] == (HIGH, ACTIVE)  # back, 5 purchases: not NEW again
        # The steady customer: NEW for 30 days, ACTIVE ever after, tier rising with frequency and spend.
        assert snapshots["2026-01-05"]["steady"] == (LOW, NEW)  # R3 + F1 + M1 = 5
        assert snapshots["2026-02-09"]["steady"] == (MEDIUM, ACTIVE)  # 6 purchases, 12000: R3 + F2 + M2 = 7
        assert snapshots["2026-03-16"]["steady"] == (MEDIUM, ACTIVE)  # 11 purchases: R3 + F2 + M2 = 7
        assert snapshots["2026-03-23"]["steady"] == (HIGH, ACTIVE)  # 12 purchases: R3 + F3 + M2 = 8
        assert all(s["steady"][1] == ACTIVE for d, s in snapshots.items() if d >= "2026-02-09")
        # The one-off: NEW -> ACTIVE -> DORMANT -> CHURNED without another transaction.
        once_history = await _history(w, once)
        assert [(c.to_lifecycle, c.trigger) for c in once_history if c.from_lifecycle != c.to_lifecycle] == [
            (NEW, "TRANSACTION"),
            (ACTIVE, "REFRESH"),
            (DORMANT, "REFRESH"),
            (CHURNED, "REFRESH"),
        ]
        moves = {c.to_lifecycle: dt.datetime.fromtimestamp(c.time_us / 1e6, dt.UTC) for c in once_history}
        assert moves[DORMANT] - START > 90 * DAY and moves[DORMANT] - START <= 90 * DAY + WEEK
        assert moves[CHURNED] - START > 180 * DAY and moves[CHURNED] - START <= 180 * DAY + WEEK
        assert all(c.reason for c in once_history)
        assert snapshots["2026-04-06"]["once"] == (LOW, DORMANT)  # 91 days after its only purchase
        assert snapshots["2026-07-06"]["once"] == (LOW, CHURNED)  # 182 days
        assert snapshots["2026-10-05"]["once"] == (LOW, CHURNED)
        # Membership lists follow the moves.
        churned, _ = await w.domain.segments.list_members(TENANT, "lifecycle", CHURNED, 100, "")
        active, _ = await w.domain.segments.list_members(TENANT, "lifecycle", ACTIVE, 100, "")
        assert {m.customer_id for m in churned} == {once}
        assert {m.customer_id for m in active} == {big, steady}
        new, _ = await w.domain.segments.list_members(TENANT, "lifecycle", NEW, 100, "")
        assert new == []
    finally:
        await w.store.close()


def test_segment_transitions_over_simulated_months(tmp_path: Path) -> None:
    asyncio.run(_simulate(tmp_path))
