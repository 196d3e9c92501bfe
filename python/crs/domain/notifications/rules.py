"""Notification rules per tenant, as data: who gets what, the late-payment workflow, retries.

A JSON file (``crs serve --notification-rules``) maps tenant ids to overrides of the defaults::

    {"acme": {"default_send_hour": 9,
              "kinds": {"CARD_BLOCKED_OR_REPLACED": {"override_opt_out": true}},
              "late_payment": [{"name": "reminder", "offset_days": -3, "kind": "PAYMENT_DUE_REMINDER"},
                               {"name": "collections", "offset_days": 15, "kind": "LATE_PAYMENT",
                                "notify": false, "collections": true}]}}
"""

from __future__ import annotations

import json
import zoneinfo
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from crs.domain.notifications.model import (
    CARD_BLOCKED_OR_REPLACED,
    CARD_EXPIRING,
    CHANNELS,
    CONTACT_DATA_CHANGED,
    KINDS,
    LARGE_OR_UNUSUAL_TRANSACTION,
    LATE_PAYMENT,
    PAYMENT_DUE_REMINDER,
)

PURPOSES = ("billing", "security", "service", "marketing")


@dataclass(frozen=True, slots=True)
class KindRule:
    purpose: str = "billing"
    enabled: bool = True
    channels: tuple[str, ...] = CHANNELS  # channels this kind may use, in the customer's order
    urgent: bool = False  # send as soon as quiet hours allow, not at the customer's usual hour
    override_opt_out: bool = False  # security notices reach opted-out channels only when this says so
    override_quiet_hours: bool = False


@dataclass(frozen=True, slots=True)
class LateStep:
    name: str
    offset_days: int  # relative to the due date: -3 three days before, 0 on the day, 15 fifteen days late
    kind: str = LATE_PAYMENT
    notify: bool = True
    collections: bool = False  # the step flags the due for collections


DEFAULT_KINDS: dict[str, KindRule] = {
    PAYMENT_DUE_REMINDER: KindRule("billing"),
    LATE_PAYMENT: KindRule("billing"),
    CARD_EXPIRING: KindRule("service"),
    CARD_BLOCKED_OR_REPLACED: KindRule("security", urgent=True),
    LARGE_OR_UNUSUAL_TRANSACTION: KindRule("security", urgent=True),
    CONTACT_DATA_CHANGED: KindRule("security", urgent=True),
}

DEFAULT_LATE_PAYMENT: tuple[LateStep, ...] = (
    LateStep("reminder", -3, PAYMENT_DUE_REMINDER),
    LateStep("due_day", 0, PAYMENT_DUE_REMINDER),
    LateStep("escalation", 3, LATE_PAYMENT),
    LateStep("collections", 15, LATE_PAYMENT, collections=True),
)


@dataclass(frozen=True, slots=True)
class Rules:
    kinds: dict[str, KindRule] = field(default_factory=lambda: dict(DEFAULT_KINDS))
    late_payment: tuple[LateStep, ...] = DEFAULT_LATE_PAYMENT
    default_send_hour: int = 10  # local hour for non-urgent notices when the customer has no payment history
    default_timezone: str = "UTC"
    card_expiry_notice_days: int = 30  # card-expiring notice this many days before the expiry month ends
    max_attempts: int = 5
    backoff_base_seconds: float = 60.0
    backoff_max_seconds: float = 6 * 3600.0
    bounce_threshold: int = 3  # an address with this many failed deliveries is not used any more
    # The dispatcher reads today's queue partition and this many UTC days before it: notices whose send time
    # passed while no dispatcher ran for longer than this stay queued (and visible) but are not sent.
    dispatch_lookback_days: int = 7
    webhook_url: str = ""  # the tenant's own endpoint for WEBHOOK notices ("" = no webhook channel)
    # LARGE_OR_UNUSUAL_TRANSACTION (docs/notifications.md): a payment at or over the threshold of its currency
    # (currencies not listed are never "large"), or unusual against the customer's spend in the `usual_months`
    # UTC months before the payment's month, when those hold at least `unusual_min_payments` payments: an amount
    # at least `unusual_amount_multiple` times their average in that currency (0: off), or a merchant country
    # none of them had (`unusual_new_country`).
    large_transaction_minor: dict[str, int] = field(default_factory=lambda: {"EUR": 1_000_00})
    usual_months: int = 3
    unusual_min_payments: int = 5
    unusual_amount_multiple: int = 10
    unusual_new_country: bool = True

    def kind(self, kind: str) -> KindRule:
        return self.kinds.get(kind, KindRule(enabled=False))

    def backoff_us(self, attempts: int) -> int:
        """Exponential: base * 2^(attempts-1), capped."""
        seconds = min(self.backoff_base_seconds * (2 ** max(attempts - 1, 0)), self.backoff_max_seconds)
        return int(seconds * 1_000_000)


class NotificationRules:
    """Defaults plus per-tenant overrides."""

    def __init__(self, overrides: dict[str, Rules] | None = None, default: Rules | None = None) -> None:
        self._overrides = overrides or {}
        self._default = default or Rules()

    def of(self, tenant: str) -> Rules:
        return self._overrides.get(tenant, self._default)

    @classmethod
    def from_file(cls, path: str | Path) -> NotificationRules:
        return cls.from_json(json.loads(Path(path).read_text()))

    @classmethod
    def from_json(cls, data: Any) -> NotificationRules:
        if not isinstance(data, dict):
            raise ValueError("notification rules must be a JSON object of tenant -> rules")
        return cls({str(t): parse_rules(str(t), v) for t, v in data.items()})


def _kind_rule(where: str, base: KindRule, raw: Any) -> KindRule:
    known = {f.name for f in fields(KindRule)}
    if not isinstance(raw, dict) or not set(raw) <= known:
        raise ValueError(f"{where}: unknown keys (known: {sorted(known)})")
    values = dict(raw)
    if "channels" in values:
        channels = tuple(values["channels"])
        if not set(channels) <= set(CHANNELS):
            raise ValueError(f"{where}.channels: must be among {CHANNELS}")
        values["channels"] = channels
    if values.get("purpose", base.purpose) not in PURPOSES:
        raise ValueError(f"{where}.purpose: must be one of {PURPOSES}")
    return replace(base, **values)


def _steps(where: str, raw: Any) -> tuple[LateStep, ...]:
    known = {f.name for f in fields(LateStep)}
    if not isinstance(raw, list):
        raise ValueError(f"{where}: must be a list of steps")
    steps: list[LateStep] = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or not set(item) <= known or "name" not in item or "offset_days" not in item:
            raise ValueError(f"{where}[{i}]: needs name and offset_days (known keys: {sorted(known)})")
        step = LateStep(**item)
        if step.kind not in (PAYMENT_DUE_REMINDER, LATE_PAYMENT):
            raise ValueError(f"{where}[{i}].kind: must be PAYMENT_DUE_REMINDER or LATE_PAYMENT")
        steps.append(step)
    if len({s.name for s in steps}) != len(steps):
        raise ValueError(f"{where}: step names must be unique")
    return tuple(sorted(steps, key=lambda s: s.offset_days))


def parse_rules(tenant: str, raw: Any) -> Rules:
    known = {f.name for f in fields(Rules)}
    if not isinstance(raw, dict) or not set(raw) <= known:
        raise ValueError(f"notification rules for {tenant!r}: unknown keys (known: {sorted(known)})")
    values = dict(raw)
    if "kinds" in values:
        kinds = dict(DEFAULT_KINDS)
        for kind, rule in dict(values["kinds"]).items():
            if kind not in KINDS:
                raise ValueError(f"{tenant}.kinds: unknown kind {kind!r}")
            kinds[kind] = _kind_rule(f"{tenant}.kinds.{kind}", kinds[kind], rule)
        values["kinds"] = kinds
    if "late_payment" in values:
        values["late_payment"] = _steps(f"{tenant}.late_payment", values["late_payment"])
    rules = replace(Rules(), **values)
    if not 0 <= rules.default_send_hour <= 23:
        raise ValueError(f"{tenant}.default_send_hour: must be 0..23")
    zoneinfo.ZoneInfo(rules.default_timezone)  # raises on an unknown zone
    for currency, limit in rules.large_transaction_minor.items():
        if not (isinstance(currency, str) and len(currency) == 3 and isinstance(limit, int) and limit > 0):
            raise ValueError(f"{tenant}.large_transaction_minor: must map currency codes to positive minor amounts")
    if not 1 <= rules.usual_months <= 12 or rules.unusual_min_payments < 1 or rules.unusual_amount_multiple < 0:
        raise ValueError(f"{tenant}: usual_months 1..12, unusual_min_payments >= 1, unusual_amount_multiple >= 0")
    if rules.max_attempts < 1:
        raise ValueError(f"{tenant}.max_attempts: must be at least 1")
    return rules
