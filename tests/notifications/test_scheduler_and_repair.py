"""Card-expiring notices from the scheduler, and repair of the rows a crash between a lightweight transaction
and its batch (Cassandra) can leave behind."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from crs.domain.names import Name
from crs.domain.notifications import notices
from crs.domain.notifications.model import (
    CARD_BLOCKED_OR_REPLACED,
    CARD_EXPIRING,
    DELIVERED,
    EMAIL,
    FixedClock,
    NotificationEvent,
)
from crs.domain.notifications.rules import NotificationRules
from crs.storage import schema
from crs.storage.base import Delete, Put
from tests.helpers.pans import make_pan
from tests.notifications.world import ADMIN, TENANT, make_world, utc_us


class Accept:
    """An in-process sender that counts deliveries by notice id."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(self, message: object) -> str:
        nid = getattr(message, "notice_id")  # noqa: B009
        self.sent.append(nid)
        return nid


def test_card_expiring_notice_once_per_card_and_expiry(tmp_path: Path) -> None:
    async def scenario() -> None:
        clock = FixedClock(utc_us(2031, 10, 20, 9, 0))
        sender = Accept()
        world = make_world(
            tmp_path,
            clock,
            NotificationRules.from_json({TENANT: {"card_expiry_notice_days": 30}}),
            senders={EMAIL: sender},
        )
        n = world.notifications
        cid = await world.customer(["cards@example.com"])
        acct = Name(TENANT, "accounts", await world.account(cid))
        soon = await world.domain.cards.register(ADMIN, TENANT, make_pan(), 11, 2031, "HOLDER", acct, None, "")
        later = await world.domain.cards.register(ADMIN, TENANT, make_pan(), 12, 2031, "HOLDER", acct, None, "")
        blocked = await world.domain.cards.register(ADMIN, TENANT, make_pan(), 11, 2031, "HOLDER", acct, None, "")
        await world.domain.cards.update_state(ADMIN, Name(TENANT, "cards", blocked.id), 2, "lost", "")
        # 2031-10-20: November's cards (valid through 30 Nov) are within 30 days of expiry? No: 30 Nov - 30 d = 31 Oct.
        assert (await n.scheduler.run_once(TENANT)).card_notices == []
        clock.t_us = utc_us(2031, 11, 1, 9, 0)
        first = await n.scheduler.run_once(TENANT)
        assert len(first.card_notices) == 1  # the active November card only (not the blocked one, not December's)
        again = await n.scheduler.run_once(TENANT)
        assert again.card_notices == first.card_notices  # the same notice, not a new one
        notice = await n.get(TENANT, first.card_notices[0])
        assert (
            notice.kind == CARD_EXPIRING and notice.facts["last4"] == soon.last4 and notice.facts["expiry"] == "11/2031"
        )
        clock.t_us = utc_us(2031, 11, 1, 10, 0)  # non-urgent: at the tenant's default hour
        assert (await n.dispatcher.run_once(TENANT)).delivered == first.card_notices
        clock.t_us = utc_us(2031, 12, 1, 10, 0)
        december = await n.scheduler.run_once(TENANT)
        assert [((await n.get(TENANT, x)).facts["last4"]) for x in december.card_notices] == [later.last4]
        await n.dispatcher.run_once(TENANT)
        assert sorted(sender.sent) == sorted([first.card_notices[0], december.card_notices[0]])
        await world.store.close()

    asyncio.run(scenario())


def _event(customer: str) -> NotificationEvent:
    return NotificationEvent(
        "evt-repair", TENANT, CARD_BLOCKED_OR_REPLACED, customer, utc_us(2026, 1, 1), {"last4": "1"}
    )


def test_a_claim_without_its_queue_row_is_repaired_when_the_event_comes_again(tmp_path: Path) -> None:
    async def scenario() -> None:
        sender = Accept()
        world = make_world(tmp_path, FixedClock(utc_us(2026, 1, 1, 12)), senders={EMAIL: sender})
        n = world.notifications
        cid = await world.customer(["repair@example.com"])
        notice = await n.notifier.handle(_event(cid))
        assert notice is not None
        # What a crash after the claim's lightweight transaction and before its batch leaves on Cassandra.
        await world.store.apply([Delete(schema.notices_by_send_day, notices.queue_key(notice))])
        assert (await n.dispatcher.run_once(TENANT)).delivered == []
        again = await n.notifier.handle(_event(cid))  # the feed redelivers the change
        assert again is not None and again.id == notice.id
        assert (await n.dispatcher.run_once(TENANT)).delivered == [notice.id]
        assert sender.sent == [notice.id]
        await world.store.close()

    asyncio.run(scenario())


def test_a_stale_queue_row_is_removed_and_the_notice_sent_once(tmp_path: Path) -> None:
    async def scenario() -> None:
        clock = FixedClock(utc_us(2026, 1, 1, 12))
        sender = Accept()
        world = make_world(tmp_path, clock, senders={EMAIL: sender})
        n = world.notifications
        cid = await world.customer(["stale@example.com"])
        notice = await n.notifier.handle(_event(cid))
        assert notice is not None
        # A row for an older send time than the notice's (left by a retry's CAS whose batch never landed).
        older = replace(await n.get(TENANT, notice.id), send_us=notice.send_us - 60_000_000)
        await world.store.apply([Put(schema.notices_by_send_day, notices.queue_key(older), b"{}")])
        report = await n.dispatcher.run_once(TENANT)
        assert report.delivered == [notice.id] and notice.id in report.skipped
        assert sender.sent == [notice.id]
        assert (await n.get(TENANT, notice.id)).status == DELIVERED
        rows = await world.store.scan(schema.notices_by_send_day, (TENANT, "20260101"), limit=10)
        assert rows == []
        await world.store.close()

    asyncio.run(scenario())
