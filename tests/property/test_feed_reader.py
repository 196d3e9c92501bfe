"""The feed reader merges shards and hours into one cursor order: every event exactly once, in position order,
whatever the page size, the shards the resources hash to and the hour buckets the events fall in."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crs.domain.changefeed import outbox
from crs.domain.changefeed.events import UPDATED, FeedEventRecord, time_cursor
from crs.domain.changefeed.reader import read_page
from crs.domain.records import decode
from crs.storage.embedded import EmbeddedStore

BASE_US = 1_790_000_000_000_000  # 2026-09-21, on an hour boundary give or take
HOUR_US = 3600 * 1_000_000

events_strategy = st.lists(
    st.tuples(st.integers(0, 40), st.integers(0, 3 * HOUR_US)),  # (resource number, commit offset)
    min_size=0,
    max_size=80,
)


async def _scenario(path: Path, specs: list[tuple[int, int]], limit: int) -> None:
    store = EmbeddedStore(path)
    try:
        written: list[FeedEventRecord] = []
        for n, offset in specs:
            writes = outbox.event_writes(
                "acme", f"tenants/acme/accounts/a{n}", UPDATED, ["x"], b"{}", commit_us=BASE_US + offset
            )
            await store.apply(writes)
            written.append(decode(FeedEventRecord, writes[0].value))  # type: ignore[union-attr]
        horizon = BASE_US + 3 * HOUR_US + 1
        got: list[FeedEventRecord] = []
        cursor = time_cursor(BASE_US - 1)
        for _ in range(10_000):
            page = await read_page(store, "acme", cursor, horizon, limit)
            assert all(e.position > cursor for e in page.events)
            assert page.cursor >= cursor
            got += page.events
            cursor = page.cursor
            if not page.more:
                break
        assert [e.position for e in got] == sorted(e.position for e in written)
        assert cursor == time_cursor(horizon)
        # Resuming from any delivered event's cursor yields exactly the events after it.
        if got:
            mid = got[len(got) // 2].position
            rest = await read_page(store, "acme", mid, horizon, 10_000)
            assert [e.position for e in rest.events] == [e.position for e in got if e.position > mid]
    finally:
        await store.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs=events_strategy, limit=st.integers(1, 12))
def test_every_event_once_in_position_order(specs: list[tuple[int, int]], limit: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(_scenario(Path(tmp) / "crs.db", specs, limit))
