"""Delivery adapters against real local receivers; retries with backoff, dead letters, replay, fallback, bounces."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from crs.domain.notifications.delivery import DeliveryError, Message, SmsProviderSender, SmtpSender, WebhookSender
from crs.domain.notifications.model import (
    CARD_BLOCKED_OR_REPLACED,
    DEAD,
    DELIVERED,
    EMAIL,
    PENDING,
    SMS,
    WEBHOOK,
    FixedClock,
    NotificationEvent,
)
from crs.domain.notifications.rules import NotificationRules
from tests.notifications.sinks import http_server, smtp_server
from tests.notifications.world import ADMIN, TENANT, make_world, utc_us

SECRET = {"k1": b"webhook-secret-one"}
T0 = utc_us(2026, 6, 1, 12, 0)


def blocked(customer: str, n: int = 1) -> NotificationEvent:
    return NotificationEvent(
        f"ev-{customer}-{n}", TENANT, CARD_BLOCKED_OR_REPLACED, customer, T0, {"last4": "4242", "state": "BLOCKED"}
    )


def test_smtp_adapter_sends_with_the_notice_id_as_message_id() -> None:
    with smtp_server() as (sink, port):
        msg = Message("n1", EMAIL, "ada@example.com", "K", "en", "Subject", "Body\n")
        got = asyncio.run(SmtpSender("127.0.0.1", port).send(msg))
        assert got == "<n1@notifications.crs>"
        assert sink.message_ids() == ["<n1@notifications.crs>"]
        assert sink.messages[0]["To"] == "ada@example.com" and sink.messages[0]["Subject"] == "Subject"
        sink.reject["gone@example.com"] = 550
        with pytest.raises(DeliveryError) as permanent:
            asyncio.run(
                SmtpSender("127.0.0.1", port).send(Message("n2", EMAIL, "gone@example.com", "K", "en", "S", "B"))
            )
        assert permanent.value.permanent
        sink.reject["busy@example.com"] = 451
        with pytest.raises(DeliveryError) as transient:
            asyncio.run(
                SmtpSender("127.0.0.1", port).send(Message("n3", EMAIL, "busy@example.com", "K", "en", "S", "B"))
            )
        assert not transient.value.permanent
    with pytest.raises(DeliveryError) as down:  # nobody listening any more
        asyncio.run(SmtpSender("127.0.0.1", port, timeout=2).send(msg))
    assert not down.value.permanent


def test_webhook_is_signed_and_carries_the_idempotency_key() -> None:
    with http_server(SECRET) as (sink, url):
        msg = Message("n9", WEBHOOK, url, CARD_BLOCKED_OR_REPLACED, "en", "Card blocked", "b", {"last4": "4242"})
        provider_id = asyncio.run(WebhookSender("k1", SECRET["k1"]).send(msg))
        assert provider_id == "prov-1"
        assert sink.bad_signatures == 0 and sink.keys() == ["n9"]
        assert sink.requests[0]["json"]["facts"] == {"last4": "4242"}
        assert sink.requests[0]["signature"].startswith("keyId=k1,v1=")
        with pytest.raises(DeliveryError) as wrong_key:  # a key the receiver does not know: 401, permanent
            asyncio.run(WebhookSender("k2", b"other").send(msg))
        assert wrong_key.value.permanent and sink.bad_signatures == 1


def test_sms_goes_through_the_provider_webhook() -> None:
    with http_server(SECRET) as (sink, url):
        msg = Message("n5", SMS, "+37251234567", "K", "en", "Your card ending 4242 is BLOCKED", "b")
        asyncio.run(SmsProviderSender(url, "k1", SECRET["k1"]).send(msg))
        body = sink.requests[0]["json"]
        assert body == {
            "from": "CRS",
            "reference": "n5",
            "text": "Your card ending 4242 is BLOCKED",
            "to": "+37251234567",
        }
        assert sink.keys() == ["n5"]


def test_retries_back_off_exponentially_then_deliver(tmp_path: Path) -> None:
    async def scenario() -> None:
        clock = FixedClock(T0)
        rules = NotificationRules.from_json({TENANT: {"backoff_base_seconds": 60, "webhook_url": ""}})
        with http_server(SECRET) as (sink, url):
            world = make_world(tmp_path, clock, rules, senders={SMS: SmsProviderSender(url, "k1", SECRET["k1"])})
            n = world.notifications
            cid = await world.customer([], phones=["+37251234567"])
            notice = await n.notifier.handle(blocked(cid))
            assert notice is not None and notice.channel == SMS and notice.send_us == T0
            sink.fail_next = 2
            assert (await n.dispatcher.run_once(TENANT)).retried == [notice.id]
            assert (await n.get(TENANT, notice.id)).send_us == T0 + 60_000_000
            clock.advance(59)
            assert (await n.dispatcher.run_once(TENANT)).retried == []  # not yet
            clock.advance(1)
            assert (await n.dispatcher.run_once(TENANT)).retried == [notice.id]
            assert (await n.get(TENANT, notice.id)).send_us == clock.t_us + 120_000_000  # doubled
            clock.advance(120)
            assert (await n.dispatcher.run_once(TENANT)).delivered == [notice.id]
            final = await n.get(TENANT, notice.id)
            assert final.status == DELIVERED and final.attempts == 3 and final.provider_id == "prov-1"
            assert sink.keys() == [notice.id]
            await world.store.close()

    asyncio.run(scenario())


def test_dead_letter_bounce_fallback_and_replay(tmp_path: Path) -> None:
    async def scenario() -> None:
        clock = FixedClock(T0)
        rules = NotificationRules.from_json({TENANT: {"max_attempts": 2, "bounce_threshold": 1}})
        with smtp_server() as (mail, port), http_server(SECRET) as (sms, url):
            senders = {EMAIL: SmtpSender("127.0.0.1", port), SMS: SmsProviderSender(url, "k1", SECRET["k1"])}
            world = make_world(tmp_path, clock, rules, senders=senders)
            n = world.notifications
            cid = await world.customer(["gone@example.com"], phones=["+37255512345"])
            mail.reject["gone@example.com"] = 550
            first = await n.notifier.handle(blocked(cid))
            assert first is not None and first.channel == EMAIL and first.fallback == [SMS]
            report = await n.dispatcher.run_once(TENANT)
            assert report.dead == [first.id]
            dead = await n.get(TENANT, first.id)
            assert dead.status == DEAD and "550" in dead.last_error
            # The bounce is recorded and flags the customer's contact data.
            quality = await n.contact_quality(TENANT, cid)
            assert "BOUNCING_CONTACT" in quality.flags
            assert [c.usable for c in quality.checks if c.kind == "email"] == [False]
            # Fallback: the same event on the next channel, as its own (event, channel) notice, delivered by SMS.
            recent = await n.recent(TENANT, cid, 10)
            fallback = [i.notice for i in recent if i.notice is not None and i.notice.channel == SMS]
            assert len(fallback) == 1 and fallback[0].event_id == first.event_id
            assert (await n.dispatcher.run_once(TENANT)).delivered == [fallback[0].id]
            assert sms.keys() == [fallback[0].id]
            # The next event skips the bouncing e-mail address: no notice into the void.
            second = await n.notifier.handle(blocked(cid, 2))
            assert second is not None and second.channel == SMS
            # The operator lists the dead letter and replays it once the mailbox works again.
            letters, _ = await n.dead_letters(TENANT, 10, "")
            assert [x.id for x in letters] == [first.id]
            del mail.reject["gone@example.com"]
            replayed = await n.replay(ADMIN, TENANT, first.id)
            assert replayed.status == PENDING and replayed.attempts == 0
            assert (await n.dead_letters(TENANT, 10, ""))[0] == []
            report = await n.dispatcher.run_once(TENANT)
            assert first.id in report.delivered
            assert mail.message_ids() == [f"<{first.id}@notifications.crs>"]
            assert "BOUNCING_CONTACT" not in (await n.contact_quality(TENANT, cid)).flags  # delivered: cleared
            await world.store.close()

    asyncio.run(scenario())


def test_transient_failures_exhaust_into_the_dead_letter_list(tmp_path: Path) -> None:
    async def scenario() -> None:
        clock = FixedClock(T0)
        rules = NotificationRules.from_json({TENANT: {"max_attempts": 3, "backoff_base_seconds": 10}})
        with smtp_server() as (mail, port):
            world = make_world(tmp_path, clock, rules, senders={EMAIL: SmtpSender("127.0.0.1", port)})
            n = world.notifications
            cid = await world.customer(["busy@example.com"])
            mail.reject["busy@example.com"] = 451
            notice = await n.notifier.handle(blocked(cid))
            assert notice is not None
            outcomes = []
            for _ in range(3):
                report = await n.dispatcher.run_once(TENANT)
                outcomes.append("retried" if report.retried else "dead" if report.dead else "none")
                clock.advance(3600)
            assert outcomes == ["retried", "retried", "dead"]
            assert (await n.get(TENANT, notice.id)).attempts == 3
            await world.store.close()

    asyncio.run(scenario())
