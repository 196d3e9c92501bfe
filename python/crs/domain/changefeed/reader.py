"""Reading the feed: the events of a tenant between a cursor and a settle horizon, merged over the shards.

Every shard partition of an hour is scanned from the cursor up to the horizon; the merge delivers events in
position order and never past the last position read from a shard that had more, so one text cursor is a
complete resume point for all shards.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from crs.domain.changefeed.events import (
    FeedEventRecord,
    all_shards,
    cursor_time_us,
    hours_between,
    time_cursor,
)
from crs.domain.records import decode
from crs.storage import schema
from crs.storage.base import Store


@dataclass(slots=True)
class Page:
    events: list[FeedEventRecord]
    cursor: str  # every event at or before this has been returned
    more: bool  # the page was cut at `limit`: read again at once


async def read_page(store: Store, tenant: str, after: str, horizon_us: int, limit: int) -> Page:
    """Events with ``after < position < time_cursor(horizon_us)``, oldest first, at most about ``limit``."""
    before = time_cursor(horizon_us)
    if after >= before:
        return Page([], after, False)
    shards = all_shards()
    out: list[FeedEventRecord] = []
    for hour in hours_between(cursor_time_us(after), horizon_us):
        pages = await asyncio.gather(
            *(
                store.scan(schema.feed_by_shard, (tenant, s, hour), after=(after,), before=(before,), limit=limit)
                for s in shards
            )
        )
        rows = [row for page in pages for row in page]
        cut = [str(page[-1].clustering[0]) for page in pages if len(page) >= limit]
        bound = min(cut) if cut else None
        rows.sort(key=lambda r: str(r.clustering[0]))
        for row in rows:
            pos = str(row.clustering[0])
            if bound is not None and pos > bound:
                break
            out.append(decode(FeedEventRecord, row.record.value))
        if bound is not None:
            return Page(out, bound, True)
        if len(out) >= limit:
            return Page(out, out[-1].position, True)
    return Page(out, before, False)
