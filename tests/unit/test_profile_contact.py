"""The notifier's contact preferences follow the effective profile (own, else cluster), else the record."""

from __future__ import annotations

import asyncio
from pathlib import Path

from crs._core import KeyRing
from crs.domain.app import Domain
from crs.domain.context import CallContext, Principal
from crs.domain.customers import KIND_PERSON, CustomerInput
from crs.domain.names import Name
from crs.domain.profile_input import ProfileInput, QuietInput
from crs.storage.embedded import EmbeddedStore

TENANT = "acme"
ADMIN = CallContext(Principal("acme-admin", TENANT, frozenset({"admin"})), "/test/profiles")
EMAIL, SMS, PUSH, WEBHOOK = 1, 2, 3, 4
REMINDERS, SECURITY, MARKETING = 1, 2, 3


def test_contact_preferences_from_profile(tmp_path: Path) -> None:
    async def scenario() -> None:
        KeyRing.generate(str(tmp_path / "keys.json"))
        store = EmbeddedStore(tmp_path / "crs.db")
        domain = Domain(store, KeyRing.from_file(str(tmp_path / "keys.json")))
        try:
            rec = await domain.customers.create(
                ADMIN,
                TENANT,
                CustomerInput(
                    kind=KIND_PERSON,
                    display_name="A",
                    emails=["a@example.com"],
                    phones=["+3725551234"],
                    preferred_language="en",
                ),
                "",
            )
            source = domain.notifications.notifier.preferences
            before = await source.get(TENANT, rec.id)
            assert before is not None and before.channels[0] == "EMAIL" and not before.opt_outs
            assert before.quiet_start_minute is None and before.language == "en"
            await domain.profiles.update(
                ADMIN,
                Name(TENANT, "customers", rec.id),
                ProfileInput(
                    preferred_language="et",
                    channel_order=[PUSH, SMS],
                    quiet_hours=QuietInput((22, 0, 0, 0), (7, 0, 0, 0), "Europe/Tallinn"),
                    opt_outs=[(EMAIL, MARKETING, False), (SMS, REMINDERS, False)],
                ),
                ["*"],
                "",
            )
            after = await source.get(TENANT, rec.id)
            assert after is not None
            assert after.channels[0] == "SMS" and set(after.channels) == set(before.channels)  # PUSH has no sender
            assert after.language == "et" and after.timezone == "Europe/Tallinn"
            assert (after.quiet_start_minute, after.quiet_end_minute) == (22 * 60, 7 * 60)
            assert after.opted_out("EMAIL", "marketing") and after.opted_out("SMS", "billing")
            assert not after.opted_out("EMAIL", "billing")
            assert after.addresses == before.addresses
            assert await source.get(TENANT, "nobody") is None
        finally:
            await store.close()

    asyncio.run(scenario())
