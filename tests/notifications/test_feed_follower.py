"""Notifications follow the change feed: a contact change committed without the servicer's fast path (a process
that died before notifying) is still noticed, once, from the internal consumer's cursor."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from crs.domain.changefeed import outbox
from crs.domain.changefeed.events import time_cursor
from crs.domain.customers import CustomerInput
from crs.domain.names import Name
from crs.domain.notifications.feed_follower import consumer_name, follow_once
from crs.domain.notifications.model import FixedClock
from crs.domain.records import now_us
from tests.notifications.world import ADMIN, TENANT, World, make_world, utc_us


@pytest.fixture
def short_settle() -> Iterator[None]:
    retention, settle = outbox.SETTINGS.retention_seconds, outbox.SETTINGS.settle_seconds
    outbox.configure(retention, 0.05)
    yield
    outbox.configure(retention, settle)


async def _follow(w: World) -> int:
    await asyncio.sleep(0.1)  # past the settle horizon
    return await follow_once(w.store, w.domain.consumers, w.notifications, TENANT)


async def _change_email(w: World, cid: str, email: str) -> None:
    name = Name(TENANT, "customers", cid)
    current = await w.domain.customers.get(name)
    await w.domain.customers.update(ADMIN, name, CustomerInput(emails=[email]), ["emails"], current.version)


def test_contact_change_is_noticed_from_the_feed_once(tmp_path: Path, short_settle: None) -> None:
    async def scenario() -> None:
        w = make_world(tmp_path, FixedClock(utc_us(2026, 3, 2, 10)))
        try:
            assert await _follow(w) == 0  # first run: the consumer starts at the horizon
            cid = await w.customer(["old@example.com"])
            await _change_email(w, cid, "new@example.com")  # no servicer, so no fast-path notice
            assert await w.notifications.recent(TENANT, cid, 10) == []
            assert await _follow(w) >= 2  # the create and the update
            notices = [i.notice for i in await w.notifications.recent(TENANT, cid, 10) if i.notice is not None]
            assert [n.kind for n in notices] == ["CONTACT_DATA_CHANGED"] * len(notices) and notices
            first = {n.id for n in notices}
            # nothing new: the committed cursor is past the events
            assert await _follow(w) == 0
            # a consumer rewound (e.g. restored cursor) sees the events again and claims nothing twice
            rewound = await w.domain.consumers.get(consumer_name(TENANT))
            assert rewound.cursor
            await w.domain.consumers.commit(ADMIN, consumer_name(TENANT), time_cursor(now_us() - 60_000_000))
            await _follow(w)
            again = [i.notice for i in await w.notifications.recent(TENANT, cid, 10) if i.notice is not None]
            assert {n.id for n in again} == first
        finally:
            await w.store.close()

    asyncio.run(scenario())
