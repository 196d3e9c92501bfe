"""Notification contact preferences from the effective profile (``ContactPreferencesSource`` for the notifier).

The customer record still gives the addresses (first e-mail, first phone, the tenant's webhook) and the
defaults; the effective profile (the customer's own, else its cluster's) overrides what it sets:

- channel order: the profile's channels the notifier can send on, in that order, then the remaining default
  channels as fallbacks (a channel is refused with an opt-out, not by leaving it out of the order);
- opt-outs per (channel, purpose), purposes mapped PAYMENT_REMINDERS -> billing, SECURITY -> security,
  SERVICE -> service, MARKETING -> marketing;
- quiet hours and their time zone (which also becomes the customer's time zone for send times);
- the language.
"""

from __future__ import annotations

from dataclasses import replace

from crs.domain.errors import NotFound
from crs.domain.notifications.preferences import ContactPreferences, ContactPreferencesSource
from crs.domain.profiles import Profiles

PURPOSES = {"PAYMENT_REMINDERS": "billing", "SECURITY": "security", "SERVICE": "service", "MARKETING": "marketing"}


class ProfileContactPreferences:
    def __init__(self, profiles: Profiles, base: ContactPreferencesSource) -> None:
        self._profiles = profiles
        self._base = base

    async def get(self, tenant: str, customer_id: str) -> ContactPreferences | None:
        base = await self._base.get(tenant, customer_id)
        if base is None:
            return None
        try:
            contact = (await self._profiles.effective(tenant, customer_id)).contact
        except NotFound:  # removed between the two reads
            return None
        ordered = tuple(c for c in contact.channel_order if c in base.channels)
        prefs = replace(
            base,
            channels=ordered + tuple(c for c in base.channels if c not in ordered),
            language=contact.language or base.language,
            opt_outs=base.opt_outs | {(channel, PURPOSES[purpose]) for channel, purpose in contact.opt_outs},
        )
        quiet = contact.quiet_hours
        if quiet is not None:
            prefs = replace(
                prefs, timezone=quiet.time_zone, quiet_start_minute=quiet.start_min, quiet_end_minute=quiet.end_min
            )
        return prefs
