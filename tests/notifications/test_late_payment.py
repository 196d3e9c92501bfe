"""The late-payment workflow end to end: dues, the per-tenant steps as data, audit, delivery over real SMTP."""

from __future__ import annotations

import asyncio
from pathlib import Path

from crs.domain.notifications.delivery import SmtpSender
from crs.domain.notifications.model import DAY_US, DUE_COLLECTIONS, DUE_PAID, EMAIL, FixedClock
from crs.domain.notifications.rules import NotificationRules
from crs.storage import schema
from tests.notifications.sinks import smtp_server
from tests.notifications.world import ADMIN, TENANT, make_world, utc_us

RULES = {
    TENANT: {
        "default_send_hour": 10,
        "late_payment": [
            {"name": "reminder", "offset_days": -3, "kind": "PAYMENT_DUE_REMINDER"},
            {"name": "due_day", "offset_days": 0, "kind": "PAYMENT_DUE_REMINDER"},
            {"name": "escalation", "offset_days": 3, "kind": "LATE_PAYMENT"},
            {"name": "collections", "offset_days": 15, "kind": "LATE_PAYMENT", "notify": False, "collections": True},
        ],
    }
}


def test_workflow_steps_notices_audit_and_history(tmp_path: Path) -> None:
    asyncio.run(_workflow(tmp_path))


async def _workflow(tmp_path: Path) -> None:
    clock = FixedClock(utc_us(2026, 3, 1, 0, 30))
    with smtp_server() as (sink, port):
        world = make_world(
            tmp_path, clock, NotificationRules.from_json(RULES), senders={EMAIL: SmtpSender("127.0.0.1", port)}
        )
        n = world.notifications
        late = await world.customer(["late.payer@example.com"])
        prompt = await world.customer(["prompt.payer@example.com"])
        late_acct, prompt_acct = await world.account(late), await world.account(prompt)
        due = await n.dues.create(ADMIN, TENANT, late_acct, 12_345, "EUR", (2026, 3, 4), "march")
        paid = await n.dues.create(ADMIN, TENANT, prompt_acct, 500, "EUR", (2026, 3, 4), "march")
        sent_by_day: dict[int, list[str]] = {}
        for day in range(1, 22):
            clock.t_us = utc_us(2026, 3, day, 0, 30)
            await n.scheduler.run_once(TENANT)
            again = await n.scheduler.run_once(TENANT)  # a second run the same day takes no step twice
            assert again.steps == [] and again.notices == []
            if day == 5:
                await n.dues.mark_paid(ADMIN, TENANT, prompt_acct, paid.id, "")
            before = len(sink.messages)
            assert (await n.dispatcher.run_once(TENANT)).delivered == []  # 00:30: before the 10:00 send hour
            clock.t_us = utc_us(2026, 3, day, 10, 0)
            await n.dispatcher.run_once(TENANT)
            sent_by_day[day] = [str(m["To"]) for m in sink.messages[before:]]

        late_days = [d for d, to in sent_by_day.items() if "late.payer@example.com" in to]
        prompt_days = [d for d, to in sent_by_day.items() if "prompt.payer@example.com" in to]
        assert late_days == [1, 4, 7]  # reminder 3 days before, on the day, escalation 3 days after
        assert prompt_days == [1, 4]  # paid on day 5: no escalation
        assert len(set(sink.message_ids())) == len(sink.messages) == 5

        final = await n.dues.get(TENANT, late_acct, due.id)
        assert final.status == DUE_COLLECTIONS
        assert final.steps_done == ["reminder", "due_day", "escalation", "collections"]
        assert (await n.dues.get(TENANT, prompt_acct, paid.id)).status == DUE_PAID

        # Every step audited on the due, by the system actor, with the step as purpose.
        rows = await world.store.scan(
            schema.audit_by_resource, (TENANT, f"tenants/{TENANT}/accounts/{late_acct}/dues/march"), limit=100
        )
        from crs.domain.audit import decode_event

        purposes = [decode_event(r.record.value).purpose for r in rows]
        assert [p for p in purposes if p.startswith("late-payment")] == [
            "late-payment step reminder",
            "late-payment step due_day",
            "late-payment step escalation",
            "late-payment step collections",
        ]

        # Visible per customer, newest first: 4 steps and 3 delivered notices.
        recent = await n.recent(TENANT, late, 20)
        steps = [i.entry.summary for i in recent if i.entry.entry == "step"]
        assert steps == ["collections (collections)", "escalation", "due_day", "reminder"]
        delivered = [i.notice for i in recent if i.notice is not None]
        assert [x.status for x in delivered] == ["DELIVERED"] * 3
        assert all("12345" in str(m) for m in sink.messages if "late.payer" in str(m["To"]))
        await world.store.close()


def test_catch_up_does_not_go_backwards(tmp_path: Path) -> None:
    """A scheduler that was down takes the steps it missed within the catch-up window, newest last, never an
    earlier step after a later one."""

    async def scenario() -> None:
        clock = FixedClock(utc_us(2026, 3, 7, 1, 0))
        world = make_world(tmp_path, clock, NotificationRules.from_json(RULES))
        n = world.notifications
        acct = await world.account(await world.customer(["catch.up@example.com"]))
        await n.dues.create(ADMIN, TENANT, acct, 100, "EUR", (2026, 3, 4), "d1")
        report = await n.scheduler.run_once(TENANT)
        assert [s.rsplit(":", 1)[1] for s in report.steps] == ["due_day", "escalation"]
        clock.t_us += DAY_US
        assert (await n.scheduler.run_once(TENANT)).steps == []
        await world.store.close()

    asyncio.run(scenario())
