"""Exactly one notice per (event, channel) across retries and crashes, including a crash between send and record.

What CRS guarantees: one notice row per (event, channel) (insert-if-not-exists on the derived id), and every
delivery of it carries the same notice id. A crash after the provider accepted the message and before CRS
recorded it makes CRS send again (at-least-once towards the provider); the receiver sees the same Message-ID /
Idempotency-Key twice and keeps one. These tests prove both halves against a real SMTP server.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from crs.domain.notifications.delivery import SmtpSender
from crs.domain.notifications.dispatcher import LEASE_SECONDS
from crs.domain.notifications.model import (
    CARD_BLOCKED_OR_REPLACED,
    DELIVERED,
    EMAIL,
    PENDING,
    FixedClock,
    NoticeRecord,
    NotificationEvent,
    notice_id,
)
from crs.storage import schema
from tests.notifications.sinks import smtp_server
from tests.notifications.world import TENANT, make_world, utc_us

T0 = utc_us(2026, 6, 1, 12, 0)
ROOT = Path(__file__).resolve().parents[2]


class Crash(Exception):
    pass


def event(customer: str) -> NotificationEvent:
    return NotificationEvent("evt-crash-1", TENANT, CARD_BLOCKED_OR_REPLACED, customer, T0, {"last4": "0005"})


async def rows_for_event(world_store: object, customer: str) -> int:
    from crs.storage.embedded import EmbeddedStore

    assert isinstance(world_store, EmbeddedStore)
    rows = await world_store.scan(schema.notices_by_customer, (TENANT, customer), limit=100)
    return len(rows)


def test_crash_between_send_and_record_raised_at_the_injected_point(tmp_path: Path) -> None:
    async def scenario() -> None:
        clock = FixedClock(T0)
        with smtp_server() as (sink, port):
            world = make_world(tmp_path, clock, senders={EMAIL: SmtpSender("127.0.0.1", port)})
            n = world.notifications
            cid = await world.customer(["crash@example.com"])
            notice = await n.notifier.handle(event(cid))
            assert notice is not None

            async def crash(_notice: NoticeRecord) -> None:
                raise Crash("process dies after the SMTP server accepted the message")

            n.dispatcher.after_send = crash
            with pytest.raises(Crash):
                await n.dispatcher.run_once(TENANT)
            n.dispatcher.after_send = None
            assert len(sink.messages) == 1
            stuck = await n.get(TENANT, notice.id)
            assert stuck.status == PENDING and stuck.attempts == 1
            # While the lease runs nobody sends it again (another dispatcher may be mid-send).
            assert (await n.dispatcher.run_once(TENANT)).delivered == []
            # The event is redelivered meanwhile (feed at-least-once): still the same one notice.
            assert (await n.notifier.handle(event(cid))).id == notice.id  # type: ignore[union-attr]
            clock.advance(LEASE_SECONDS + 1)
            assert (await n.dispatcher.run_once(TENANT)).delivered == [notice.id]
            assert (await n.dispatcher.run_once(TENANT)).delivered == []
            ids = sink.message_ids()
            assert ids == [f"<{notice.id}@notifications.crs>"] * 2  # sent twice, same Message-ID
            assert len(set(ids)) == 1  # the receiver's dedupe keeps exactly one
            final = await n.get(TENANT, notice.id)
            assert final.status == DELIVERED and final.attempts == 2
            assert await rows_for_event(world.store, cid) == 1
            await world.store.close()

    asyncio.run(scenario())


def test_process_killed_between_send_and_record(tmp_path: Path) -> None:
    """A real crash: a child process dispatches and os._exit()s after the send; the parent recovers."""

    async def prepare() -> tuple[str, str]:
        world = make_world(tmp_path, FixedClock(T0))
        cid = await world.customer(["killed@example.com"])
        notice = await world.notifications.notifier.handle(event(cid))
        assert notice is not None and notice.id == notice_id("evt-crash-1", EMAIL)
        await world.store.close()
        return cid, notice.id

    cid, nid = asyncio.run(prepare())
    with smtp_server() as (sink, port):
        env = {**os.environ, "PYTHONPATH": f"{ROOT / 'python'}{os.pathsep}{ROOT}"}
        child = subprocess.run(
            [sys.executable, "-m", "tests.notifications.crash_child", str(tmp_path), str(port), str(T0)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            timeout=120,
        )
        assert child.returncode == 137, child.stderr.decode()[-2000:]
        assert sink.message_ids() == [f"<{nid}@notifications.crs>"]

        async def recover() -> None:
            clock = FixedClock(T0)
            world = make_world(tmp_path, clock, senders={EMAIL: SmtpSender("127.0.0.1", port)})
            n = world.notifications
            assert (await n.get(TENANT, nid)).status == PENDING  # the send was never recorded
            clock.advance(LEASE_SECONDS + 1)
            assert (await n.dispatcher.run_once(TENANT)).delivered == [nid]
            assert (await n.get(TENANT, nid)).status == DELIVERED
            assert await rows_for_event(world.store, cid) == 1
            await world.store.close()

        asyncio.run(recover())
        assert sink.message_ids() == [f"<{nid}@notifications.crs>"] * 2
