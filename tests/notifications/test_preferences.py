"""Channel choice: preference order, opt-outs per purpose (security overrides only when the rules say so),
invalid contact data never used, and the change mapping that feeds the notifier."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from crs.domain.notifications.mapping import events_for_change
from crs.domain.notifications.model import (
    CARD_BLOCKED_OR_REPLACED,
    CONTACT_DATA_CHANGED,
    EMAIL,
    SMS,
    SUPPRESSED,
    FixedClock,
    NotificationEvent,
    notice_id,
)
from crs.domain.notifications.preferences import ContactPreferences
from crs.domain.notifications.quality import phone_problem
from crs.domain.notifications.rules import NotificationRules
from tests.notifications.world import TENANT, make_world, utc_us

T0 = utc_us(2026, 6, 1, 12, 0)


@dataclass
class Prefs:
    by_customer: dict[str, ContactPreferences] = field(default_factory=dict)

    async def get(self, tenant: str, customer_id: str) -> ContactPreferences | None:
        return self.by_customer.get(customer_id)


def p(
    channels: tuple[str, ...], opt_outs: set[tuple[str, str]] | None = None, email: str = "a@example.com"
) -> ContactPreferences:
    return ContactPreferences(
        channels, {EMAIL: email, SMS: "+37251234567"}, "et", "Europe/Tallinn", opt_outs=frozenset(opt_outs or set())
    )


def ev(customer: str, kind: str = CARD_BLOCKED_OR_REPLACED) -> NotificationEvent:
    return NotificationEvent(f"e-{customer}-{kind}", TENANT, kind, customer, T0, {"last4": "1111", "state": "BLOCKED"})


@pytest.mark.parametrize(
    ("prefs", "rules", "channel"),
    [
        (p((SMS, EMAIL)), {}, SMS),
        (p((EMAIL, SMS), {(EMAIL, "security")}), {}, SMS),
        (p((EMAIL, SMS), {("*", "security")}), {}, "NONE"),
        (
            p((EMAIL, SMS), {("*", "security")}),
            {"kinds": {CARD_BLOCKED_OR_REPLACED: {"override_opt_out": True}}},
            EMAIL,
        ),
        (p((EMAIL, SMS), {(EMAIL, "billing")}), {}, EMAIL),  # another purpose's opt-out does not apply
        (p((EMAIL, SMS), email="not-an-address"), {}, SMS),
        (p((EMAIL, SMS)), {"kinds": {CARD_BLOCKED_OR_REPLACED: {"channels": ["SMS"]}}}, SMS),
    ],
)
def test_channel_choice(tmp_path: Path, prefs: ContactPreferences, rules: dict[str, object], channel: str) -> None:
    async def scenario() -> None:
        source = Prefs({"c1": prefs})
        world = make_world(tmp_path, FixedClock(T0), NotificationRules.from_json({TENANT: rules}), preferences=source)
        notice = await world.notifications.notifier.handle(ev("c1"))
        assert notice is not None and notice.channel == channel
        assert notice.id == notice_id(notice.event_id, channel)
        if channel == "NONE":
            assert notice.status == SUPPRESSED and "opted out" in notice.last_error
        assert notice.language == "et"
        await world.store.close()

    asyncio.run(scenario())


def test_handling_an_event_twice_yields_one_notice(tmp_path: Path) -> None:
    async def scenario() -> None:
        world = make_world(tmp_path, FixedClock(T0), preferences=Prefs({"c1": p((EMAIL,))}))
        a = await world.notifications.notifier.handle(ev("c1"))
        b = await world.notifications.notifier.handle(ev("c1"))
        results = await asyncio.gather(*(world.notifications.notifier.handle(ev("c1")) for _ in range(5)))
        assert a is not None and b is not None and a.id == b.id and {r.id for r in results if r} == {a.id}
        assert len(await world.notifications.recent(TENANT, "c1", 50)) == 1
        await world.store.close()

    asyncio.run(scenario())


def test_disabled_kind_and_unknown_customer_send_nothing(tmp_path: Path) -> None:
    async def scenario() -> None:
        rules = NotificationRules.from_json({TENANT: {"kinds": {CARD_BLOCKED_OR_REPLACED: {"enabled": False}}}})
        world = make_world(tmp_path, FixedClock(T0), rules, preferences=Prefs({"c1": p((EMAIL,))}))
        assert await world.notifications.notifier.handle(ev("c1")) is None
        assert await world.notifications.notifier.handle(ev("nobody", CONTACT_DATA_CHANGED)) is None
        await world.store.close()

    asyncio.run(scenario())


def test_change_mapping() -> None:
    card = "tenants/acme/cards/c9"
    blocked = events_for_change(
        card,
        ["state", "state_reason"],
        {"state": 1},
        {"state": 2, "customer_id": "u1", "last4": "4242", "version": "v2"},
        T0,
    )
    assert [(e.kind, e.customer_id, e.facts["state"]) for e in blocked] == [(CARD_BLOCKED_OR_REPLACED, "u1", "BLOCKED")]
    again = events_for_change(card, ["state"], None, {"state": 2, "customer_id": "u1", "version": "v2"}, T0)
    assert again[0].event_id == blocked[0].event_id  # the same change redelivered: the same event
    assert events_for_change(card, ["state"], {"state": 2}, {"state": 1, "customer_id": "u1"}, T0) == []  # unblocked
    customer = "tenants/acme/customers/u1"
    changed = events_for_change(customer, ["emails", "display_name"], None, {"version": "v3"}, T0)
    assert [(e.kind, e.customer_id, e.facts["changed"]) for e in changed] == [(CONTACT_DATA_CHANGED, "u1", "emails")]
    assert events_for_change(customer, ["display_name"], None, {"version": "v4"}, T0) == []
    assert events_for_change(customer, ["emails"], {"emails": ["a@x.ee"]}, {"emails": ["a@x.ee"]}, T0) == []


def test_rules_file_is_validated() -> None:
    for bad in (
        {"acme": {"nope": 1}},
        {"acme": {"default_send_hour": 24}},
        {"acme": {"kinds": {"NOT_A_KIND": {}}}},
        {"acme": {"kinds": {CARD_BLOCKED_OR_REPLACED: {"channels": ["PIGEON"]}}}},
        {"acme": {"late_payment": [{"name": "x"}]}},
        {"acme": {"default_timezone": "Mars/Olympus"}},
    ):
        with pytest.raises(Exception):  # noqa: B017 (ValueError or ZoneInfoNotFoundError)
            NotificationRules.from_json(bad)
    steps = NotificationRules.from_json(
        {
            "acme": {
                "late_payment": [
                    {"name": "b", "offset_days": 5},
                    {"name": "a", "offset_days": -1, "kind": "PAYMENT_DUE_REMINDER"},
                ]
            }
        }
    )
    assert [s.name for s in steps.of("acme").late_payment] == ["a", "b"]
    assert NotificationRules().of("acme").late_payment[-1].collections


def test_phone_validation_uses_phonenumbers() -> None:
    assert phone_problem("+37251234567") == ""
    assert phone_problem("+3725551234") != ""  # E.164-shaped but not a valid Estonian number
    assert phone_problem("+999123") != ""
    assert phone_problem("12345") != ""
