"""Notification events, notices, dues and their stored records; the injectable clock."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import Protocol

from crs.domain.context import CallContext, Principal

# Event kinds (issue 10, "Payment notifications").
PAYMENT_DUE_REMINDER = "PAYMENT_DUE_REMINDER"
LATE_PAYMENT = "LATE_PAYMENT"
CARD_EXPIRING = "CARD_EXPIRING"
CARD_BLOCKED_OR_REPLACED = "CARD_BLOCKED_OR_REPLACED"
LARGE_OR_UNUSUAL_TRANSACTION = "LARGE_OR_UNUSUAL_TRANSACTION"
CONTACT_DATA_CHANGED = "CONTACT_DATA_CHANGED"
KINDS = (
    PAYMENT_DUE_REMINDER,
    LATE_PAYMENT,
    CARD_EXPIRING,
    CARD_BLOCKED_OR_REPLACED,
    LARGE_OR_UNUSUAL_TRANSACTION,
    CONTACT_DATA_CHANGED,
)

# Channels, in no particular order (the customer's preferences order them).
EMAIL, SMS, WEBHOOK = "EMAIL", "SMS", "WEBHOOK"
CHANNELS = (EMAIL, SMS, WEBHOOK)

# Notice status.
PENDING, DELIVERED, DEAD, SUPPRESSED = "PENDING", "DELIVERED", "DEAD", "SUPPRESSED"

# Due status.
DUE_OPEN, DUE_PAID, DUE_COLLECTIONS = 1, 2, 3

US = 1_000_000
DAY_US = 86_400 * US


class Clock(Protocol):
    def now_us(self) -> int: ...


class SystemClock:
    def now_us(self) -> int:
        return time.time_ns() // 1000


@dataclass(slots=True)
class FixedClock:
    """A clock tests move by hand (no sleeps)."""

    t_us: int

    def now_us(self) -> int:
        return self.t_us

    def advance(self, seconds: float) -> None:
        self.t_us += int(seconds * US)


@dataclass(frozen=True, slots=True)
class NotificationEvent:
    """Something a customer may be told about. ``event_id`` is stable across redeliveries of the same change."""

    event_id: str
    tenant: str
    kind: str
    customer_id: str
    occurred_us: int
    facts: dict[str, str] = field(default_factory=dict)


def notice_id(event_id: str, channel: str) -> str:
    """Deterministic: the same (event, channel) always names the same notice, so a claim decides once."""
    return hashlib.sha256(f"{event_id}|{channel}".encode()).hexdigest()[:32]


@dataclass(slots=True)
class NoticeRecord:
    tenant: str
    id: str
    event_id: str
    kind: str
    customer_id: str
    channel: str
    address: str  # where it goes (e-mail, E.164 phone, webhook URL); never card data
    purpose: str
    language: str
    status: str
    send_us: int  # when the dispatcher may send it (quiet hours and payment behaviour applied)
    create_us: int
    occurred_us: int
    facts: dict[str, str] = field(default_factory=dict)
    attempts: int = 0
    last_error: str = ""
    provider_id: str = ""
    deliver_us: int = 0
    fallback: list[str] = field(default_factory=list)  # channels to try next if this one dies
    version: str = ""


@dataclass(slots=True)
class HistoryEntry:
    """A row of a customer's notification history: a notice, or a late-payment workflow step."""

    entry: str  # "notice" | "step"
    time_us: int
    kind: str
    ref: str  # notice id, or the due's resource name
    summary: str = ""


@dataclass(slots=True)
class DueRecord:
    tenant: str
    account_id: str
    id: str
    customer_id: str
    amount_minor: int
    currency_code: str
    due_date: str  # YYYY-MM-DD
    status: int = DUE_OPEN
    steps_done: list[str] = field(default_factory=list)
    create_us: int = 0
    update_us: int = 0
    paid_us: int = 0
    version: str = ""


@dataclass(slots=True)
class ContactQualityRecord:
    """Delivery failures per address of one customer: ``{address: count}`` and the last error per address."""

    tenant: str
    customer_id: str
    bounces: dict[str, int] = field(default_factory=dict)
    last_error: dict[str, str] = field(default_factory=dict)
    update_us: int = 0
    version: str = ""


def due_name(tenant: str, account_id: str, due_id: str) -> str:
    return f"tenants/{tenant}/accounts/{account_id}/dues/{due_id}"


def notice_name(tenant: str, nid: str) -> str:
    return f"tenants/{tenant}/notifications/{nid}"


def system_context(tenant: str, action: str) -> CallContext:
    """The caller of changes CRS makes on its own (scheduler, dispatcher): audited as ``system:notifications``."""
    return CallContext(Principal("system:notifications", tenant, frozenset({"admin"})), f"notifications/{action}")
