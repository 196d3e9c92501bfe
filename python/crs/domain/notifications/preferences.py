"""Contact preferences and payment behaviour, read through Protocols the coordinator can re-plug.

Defaults: preferences derived from the customer record (first e-mail, first phone, the tenant's webhook),
no quiet hours, no opt-outs; no payment behaviour (so the tenant's default send hour).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from crs.domain.notifications.model import EMAIL, SMS, WEBHOOK
from crs.domain.notifications.rules import NotificationRules
from crs.domain.records import CustomerRecord, decode
from crs.storage import schema
from crs.storage.base import Store


@dataclass(frozen=True, slots=True)
class ContactPreferences:
    channels: tuple[str, ...]  # preferred first, then fallbacks
    addresses: dict[str, str]  # channel -> address
    language: str = "en"
    timezone: str = "UTC"  # IANA
    quiet_start_minute: int | None = None  # local minutes after midnight; None = no quiet hours
    quiet_end_minute: int | None = None
    opt_outs: frozenset[tuple[str, str]] = field(default_factory=frozenset)  # (channel or "*", purpose)

    def opted_out(self, channel: str, purpose: str) -> bool:
        return (channel, purpose) in self.opt_outs or ("*", purpose) in self.opt_outs


class ContactPreferencesSource(Protocol):
    async def get(self, tenant: str, customer_id: str) -> ContactPreferences | None:
        """None when the customer does not exist (nothing is sent)."""
        ...


class PaymentBehaviour(Protocol):
    async def usual_hour(self, tenant: str, customer_id: str) -> int | None:
        """The local hour (0..23) the customer usually pays at, or None without history."""
        ...


class NoPaymentHistory:
    async def usual_hour(self, tenant: str, customer_id: str) -> int | None:
        return None


class CustomerRecordPreferences:
    """Preferences from the customer record: e-mail first, then SMS, then the tenant webhook."""

    def __init__(self, store: Store, rules: NotificationRules) -> None:
        self._store = store
        self._rules = rules

    async def get(self, tenant: str, customer_id: str) -> ContactPreferences | None:
        stored = await self._store.get(schema.customers_by_id, (tenant, customer_id))
        if stored is None:
            return None
        rec = decode(CustomerRecord, stored.value)
        rules = self._rules.of(tenant)
        addresses: dict[str, str] = {}
        if rec.emails:
            addresses[EMAIL] = rec.emails[0]
        if rec.phones:
            addresses[SMS] = rec.phones[0]
        if rules.webhook_url:
            addresses[WEBHOOK] = rules.webhook_url
        return ContactPreferences(
            channels=(EMAIL, SMS, WEBHOOK),
            addresses=addresses,
            language=rec.preferred_language or "en",
            timezone=rules.default_timezone,
        )
