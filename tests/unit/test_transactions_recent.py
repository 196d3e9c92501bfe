"""The domain API the customer 360 view uses: Transactions.recent and Segments.get."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from crs.domain.transactions.rfm import ACTIVE, MEDIUM
from tests.helpers.txn_domain import CTX, TENANT, item, world

NOW = dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)


def test_recent_is_newest_first_across_months_and_segments_get(tmp_path: Path) -> None:
    async def main() -> None:
        w = world(tmp_path, NOW)
        try:
            customer = await w.payer("p")
            other = await w.payer("q")
            assert await w.domain.segments.get(TENANT, customer) is None
            whens = [NOW - dt.timedelta(days=d) for d in (1, 20, 33, 70, 400)]  # three months and one too old
            items = [item(f"r{i}", w.accounts[customer], when) for i, when in enumerate(whens)]
            items.append(item("other", w.accounts[other], NOW - dt.timedelta(hours=1)))
            await w.domain.transactions.record_batch(CTX, TENANT, items[::-1])
            recent = await w.domain.transactions.recent(TENANT, customer, 3)
            assert [t.id for t in recent] == ["r0", "r1", "r2"]
            everything = await w.domain.transactions.recent(TENANT, customer, 10)
            assert [t.id for t in everything] == ["r0", "r1", "r2", "r3"]  # the past year only
            seg = await w.domain.segments.get(TENANT, customer)
            assert seg is not None and seg.frequency == 4 and seg.monetary_minor == 4000
            assert (seg.tier, seg.lifecycle) == (MEDIUM, ACTIVE)  # R3 + F2 + M1; first activity 400 days ago
        finally:
            await w.store.close()

    asyncio.run(main())
