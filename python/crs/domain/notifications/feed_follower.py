"""Notifications driven by the change feed: each tenant's internal consumer ``crs-notifier``.

The card and customer servicers notify right after their change commits (the fast path). The feed is the
guarantee: the feed row is written in the same apply as the change, so a change whose process died before it
could notify is still noticed here, from the consumer's committed cursor. Both paths derive the same event id
(resource + record version + kind), and a notice is claimed once per (event, channel), so whichever path comes
first sends it and the other finds the claim (docs/notifications.md).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from crs.domain.changefeed.consumers import Consumers, horizon_us, retained_from_us
from crs.domain.changefeed.events import DELETED, cursor_time_us, time_cursor
from crs.domain.changefeed.reader import read_page
from crs.domain.context import CallContext, Principal
from crs.domain.names import Name
from crs.domain.notifications.service import Notifications
from crs.storage.base import Store

log = logging.getLogger("crs.notifications")

CONSUMER = "crs-notifier"
FOLLOWED_TYPES = frozenset({"customers", "cards"})  # large payments are noticed when recorded
PAGE = 500


def consumer_name(tenant: str) -> Name:
    return Name(tenant, "consumers", CONSUMER)


def _context(tenant: str) -> CallContext:
    return CallContext(Principal(f"system:{CONSUMER}", tenant, frozenset({"admin"})), "notifications/follow-feed")


async def follow_once(
    store: Store, consumers: Consumers, notifications: Notifications, tenant: str, *, max_pages: int = 20
) -> int:
    """Turns the feed events after the consumer's cursor into notices, then commits the cursor.

    A consumer without a cursor starts at the settle horizon (changes before the notifier first ran were
    notified by the fast path or not at all). Returns the number of events looked at.
    """
    name = consumer_name(tenant)
    current = await consumers.find(name)
    horizon = horizon_us()
    if current is None:
        await consumers.commit(_context(tenant), name, time_cursor(horizon))
        return 0
    cursor, seen = current.cursor, 0
    if cursor_time_us(cursor) < retained_from_us():
        log.warning("notifier cursor older than the feed retention: continuing from the oldest retained events")
        cursor = time_cursor(retained_from_us())
    for _ in range(max_pages):
        page = await read_page(store, tenant, cursor, horizon, PAGE)
        for event in page.events:
            seen += 1
            if event.resource_type not in FOLLOWED_TYPES or event.kind == DELETED or not event.value:
                continue
            new: dict[str, Any] = json.loads(event.value)
            await notifications.on_change(event.resource, event.changed_fields, None, new, event.commit_us)
        cursor = page.cursor
        if not page.more:
            break
    if cursor != current.cursor:
        await consumers.commit(_context(tenant), name, cursor)
    return seen
