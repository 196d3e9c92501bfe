"""Listing a month-partitioned history newest first, across month partitions, with keyset positions."""

from __future__ import annotations

from typing import Any

from crs.domain.errors import InvalidArgument
from crs.domain.transactions.model import month_of, rtime
from crs.storage.base import Key, Store, Table

_AFTER_ANY_ID = "~"  # sorts after every id character ([a-z0-9-])


def months_desc(start_us: int, end_us: int) -> list[str]:
    """The UTC months touching [start_us, end_us), newest first."""
    first, last = month_of(start_us), month_of(end_us - 1)
    year, month = int(last[:4]), int(last[4:])
    out = []
    while True:
        current = f"{year:04d}{month:02d}"
        out.append(current)
        if current <= first:
            return out
        month -= 1
        if month == 0:
            year, month = year - 1, 12


async def list_newest_first(
    store: Store,
    table: Table,
    owner: Key,
    start_us: int,
    end_us: int,
    position: list[Any] | None,
    size: int,
) -> tuple[list[bytes], list[Any] | None]:
    """Values of rows in [start_us, end_us), newest first; position = [month, rtime, id] to continue after."""
    months = months_desc(start_us, end_us)
    before: Key = (rtime(start_us), _AFTER_ANY_ID)  # rtime grows into the past: occurred >= start
    after: Key = (rtime(end_us), _AFTER_ANY_ID)  # occurred < end
    index = 0
    if position is not None:
        if len(position) != 3 or position[0] not in months:
            raise InvalidArgument.of("page_token", "is not a page token of this query", "INVALID_PAGE_TOKEN")
        index = months.index(position[0])
        after = (str(position[1]), str(position[2]))
    out: list[bytes] = []
    while index < len(months):
        need = size - len(out)
        rows = await store.scan(table, (*owner, months[index]), after=after, before=before, limit=need + 1)
        out += [r.record.value for r in rows[:need]]
        if len(rows) > need:
            last = rows[need - 1].clustering
            return out, [months[index], last[0], last[1]]
        index += 1
        after = (rtime(end_us), _AFTER_ANY_ID)
        if len(out) == size:
            return out, ([months[index], after[0], after[1]] if index < len(months) else None)
    return out, None
