"""Feed event records, positions and cursors.

A position is ``{commit_us:017d}.{event_id}``: text that sorts by commit time, unique per stored copy of an
event. A cursor is a position (``after this event``) or a bare ``{time_us:017d}`` (``after everything committed
before this instant``); both compare as text, so one cursor covers every shard of a tenant.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field

from crs.storage.schema import FEED_SHARDS

CREATED, UPDATED, DELETED = 1, 2, 3
_CURSOR = re.compile(r"\d{17}(\.[0-9a-z]{26})?")
_WIDTH = 17


@dataclass(slots=True)
class FeedEventRecord:
    event_id: str
    tenant: str
    resource: str
    resource_type: str
    kind: int
    changed_fields: list[str] = field(default_factory=list)
    value: str = ""  # the resource's stored record (domain JSON); "" for DELETED
    commit_us: int = 0  # the original commit time (a late event re-written at a fresh position keeps it)
    position: str = ""


def position(time_us: int, event_id: str) -> str:
    return f"{time_us:0{_WIDTH}d}.{event_id}"


def time_cursor(time_us: int) -> str:
    """The cursor after every event committed before ``time_us``."""
    return f"{max(time_us, 0):0{_WIDTH}d}"


def cursor_time_us(cursor: str) -> int:
    return int(cursor[:_WIDTH])


def valid_cursor(cursor: str) -> bool:
    return _CURSOR.fullmatch(cursor) is not None


def shard_of(resource: str) -> str:
    """One resource's events always land in one shard, so they keep their order there."""
    digest = hashlib.sha256(resource.encode()).digest()
    return f"{int.from_bytes(digest[:4], 'big') % FEED_SHARDS:02d}"


def hour_of(time_us: int) -> str:
    return time.strftime("%Y%m%d%H", time.gmtime(time_us // 1_000_000))


def hours_between(start_us: int, end_us: int) -> list[str]:
    """The UTC hour buckets from the one holding ``start_us`` to the one holding ``end_us``, in order."""
    out: list[str] = []
    hour_us = 3600 * 1_000_000
    t = start_us - start_us % hour_us
    while t <= end_us:
        out.append(hour_of(t))
        t += hour_us
    return out


def all_shards() -> list[str]:
    return [f"{i:02d}" for i in range(FEED_SHARDS)]
