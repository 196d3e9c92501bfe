"""Where checkout and the authorization path get a payer's preferences and payment history (issue 8 wiring).

``ProfilePreferences``: the stated default payment method per channel from the customer's *effective* profile
(the customer's own, else the cluster's). Profiles name checkout channels; those with a ``PaymentChannel``
are used: POS, ECOMMERCE, MOTO, and IN_APP as WALLET. RECURRING and P2P have no payment channel and ACH no
profile channel. Profiles hold no trusted-beneficiary list yet, so ``trusted_beneficiaries`` stays empty and
the Art. 13 exemption is never recommended from CRS data (it needs the payer's list at their bank).

``AggregateHistory``: the instruments the customer holds (``HeldInstruments``: active cards, checking and
savings accounts), each with its number of uses in the last ``MONTHS`` UTC months from the customer-month
aggregates' per-instrument spend (one ``get_many`` of the months' rows; counted since the aggregates kept
instruments).
"""

from __future__ import annotations

from collections.abc import Sequence

from crs.domain.checkout.methods import CARD, HeldInstruments, MethodUse, Preferences
from crs.domain.checkout.norms import BY_COUNTRY, DEFAULT
from crs.domain.profile_records import ACCOUNT, BANK_TRANSFER, PaymentMethodRecord
from crs.domain.profile_records import CARD as PROFILE_CARD
from crs.domain.profiles import Profiles, effective_reads, stated_methods_from
from crs.domain.records import decode, now_us
from crs.domain.risk.txn import CHANNEL_ECOMMERCE, CHANNEL_MOTO, CHANNEL_POS, CHANNEL_WALLET
from crs.domain.transactions.aggregates import MonthAggregate, months_back
from crs.domain.transactions.model import month_of
from crs.storage import schema
from crs.storage.base import Key, Record, Store, Table

CHANNEL_OF = {"POS": CHANNEL_POS, "ECOMMERCE": CHANNEL_ECOMMERCE, "IN_APP": CHANNEL_WALLET, "MOTO": CHANNEL_MOTO}
MONTHS = 12
KNOWN_METHODS = frozenset(DEFAULT).union(*BY_COUNTRY.values())


def method_of(tenant: str, m: PaymentMethodRecord) -> str:
    """A stated default as the ranking names it: METHOD or METHOD:instrument resource name."""
    base = f"tenants/{tenant}"
    if m.kind == PROFILE_CARD:
        return f"{CARD}:{base}/cards/{m.card_id}" if m.card_id else CARD
    if m.kind == BANK_TRANSFER and m.provider in KNOWN_METHODS:
        return m.provider  # a scheme that is a method of its own: IDEAL, BLIK, ...
    if m.kind in (ACCOUNT, BANK_TRANSFER):
        return f"{BANK_TRANSFER}:{base}/accounts/{m.account_id}" if m.account_id else BANK_TRANSFER
    return m.provider  # WALLET, BNPL: the provider (PAYPAL, APPLE_PAY, KLARNA, ...)


class ProfilePreferences:
    def __init__(self, profiles: Profiles) -> None:
        self._profiles = profiles

    async def preferences(self, tenant: str, customer_id: str, cluster_id: str | None = None) -> Preferences:
        profile = await self._profiles.effective_of_id(tenant, customer_id, cluster_id)
        return _stated(tenant, profile.merged.payment_methods)

    def preference_reads(self, tenant: str, customer_id: str, cluster_id: str) -> list[tuple[Table, Key]]:
        return effective_reads(tenant, customer_id, cluster_id)

    def preferences_from(
        self, tenant: str, customer_id: str, cluster_id: str, stored: Sequence[Record | None]
    ) -> Preferences:
        return _stated(tenant, stated_methods_from(cluster_id, stored))


def _stated(tenant: str, methods: Sequence[PaymentMethodRecord]) -> Preferences:
    stated = {CHANNEL_OF[m.channel]: method_of(tenant, m) for m in methods if m.channel in CHANNEL_OF}
    return Preferences(default_by_channel=stated)


class AggregateHistory:
    def __init__(self, store: Store, months: int = MONTHS) -> None:
        self._store = store
        self._held = HeldInstruments(store)
        self.months = months

    async def uses(self, tenant: str, customer_id: str) -> dict[str, int]:
        """Instrument resource name -> approved spend transactions in the last ``months`` months."""
        keys = [(tenant, customer_id, m) for m in months_back(month_of(now_us()), self.months)]
        out: dict[str, int] = {}
        for stored in await self._store.get_many(schema.aggregates_by_customer, keys):
            if stored is None:
                continue
            for key, cells in decode(MonthAggregate, stored.value).instruments.items():
                name = f"tenants/{tenant}/{key}"
                out[name] = out.get(name, 0) + sum(n for n, _amount in cells.values())
        return out

    async def methods_used(self, tenant: str, customer_id: str) -> list[MethodUse]:
        held = await self._held.methods_used(tenant, customer_id)
        uses = await self.uses(tenant, customer_id)
        return [MethodUse(h.method, h.instrument, uses.get(h.instrument, 0), h.last_used_us) for h in held]
