"""A domain over a fresh embedded store with an injectable clock, for notification scenario tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from crs._core import KeyRing
from crs.domain.app import Domain
from crs.domain.context import CallContext, Principal
from crs.domain.customers import KIND_PERSON, CustomerInput
from crs.domain.mutation import Mutation
from crs.domain.names import Name
from crs.domain.notifications.delivery import Sender
from crs.domain.notifications.model import FixedClock
from crs.domain.notifications.preferences import ContactPreferencesSource, PaymentBehaviour
from crs.domain.notifications.rules import NotificationRules
from crs.domain.notifications.service import Notifications
from crs.domain.paging import PageTokens
from crs.storage.embedded import EmbeddedStore

TENANT = "acme"
ADMIN = CallContext(Principal("acme-admin", TENANT, frozenset({"admin"})), "/test/notifications")


def utc_us(*parts: int) -> int:
    return int(dt.datetime(*parts, tzinfo=dt.UTC).timestamp()) * 1_000_000  # type: ignore[misc]


@dataclass
class World:
    store: EmbeddedStore
    domain: Domain
    notifications: Notifications
    clock: FixedClock

    async def customer(self, emails: list[str], phones: list[str] | None = None, language: str = "") -> str:
        rec = await self.domain.customers.create(
            ADMIN,
            TENANT,
            CustomerInput(
                kind=KIND_PERSON,
                display_name="Test Person",
                emails=emails,
                phones=phones or [],
                preferred_language=language,
            ),
            "",
        )
        return rec.id

    async def account(self, customer_id: str) -> str:
        rec = await self.domain.accounts.create(
            ADMIN, TENANT, Name(TENANT, "customers", customer_id), 1, "EUR", "Main", (0, 0, 0), ""
        )
        return rec.id


def make_world(
    tmp: Path,
    clock: FixedClock,
    rules: NotificationRules | None = None,
    senders: Mapping[str, Sender] | None = None,
    preferences: ContactPreferencesSource | None = None,
    behaviour: PaymentBehaviour | None = None,
) -> World:
    keys = tmp / "keys.json"
    if not keys.exists():
        KeyRing.generate(str(keys))
    keyring = KeyRing.from_file(str(keys))
    store = EmbeddedStore(tmp / "crs.db")
    domain = Domain(store, keyring)
    notifications = Notifications(
        store,
        Mutation(store),
        PageTokens(keyring),
        rules,
        clock=clock,
        senders=senders,
        preferences=preferences,
        behaviour=behaviour,
    )
    domain.notifications = notifications
    return World(store, domain, notifications, clock)
