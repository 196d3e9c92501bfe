"""Ranking payment methods for a payer: history, preferences and what is usual in the shopper's country.

``PaymentHistory`` and ``PaymentPreferences`` are the seams to the transaction history and ProfileService of
issue 8. Until those are wired the defaults are the instruments the customer holds (cards and accounts,
without usage counts) and no stated preferences.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from crs.domain.checkout.norms import usual_methods
from crs.domain.records import AccountRecord, CardRecord, decode
from crs.storage import schema
from crs.storage.base import Key, Record, Store, Table

CARD, SEPA_DIRECT_DEBIT, BANK_TRANSFER = "CARD", "SEPA_DIRECT_DEBIT", "BANK_TRANSFER"
_CARD_ACTIVE, _ACCOUNT_ACTIVE = 1, 1
_BANK_KINDS = (1, 2)  # checking, savings
MAX_INSTRUMENTS = 50

# Score parts (documented in docs/risk.md "Payment method ranking").
PREFERRED = 50
HELD = 20
PER_USE = 1
MAX_USES = 30
COUNTRY_TOP = 25
COUNTRY_STEP = 5


@dataclass(frozen=True, slots=True)
class MethodUse:
    method: str
    instrument: str  # resource name (tenants/t/cards/c, tenants/t/accounts/a) or "" for a method not held
    uses: int = 0
    last_used_us: int = 0


@dataclass(frozen=True, slots=True)
class Preferences:
    # channel number -> method, or method:instrument name (e.g. "CARD:tenants/t/cards/c")
    default_by_channel: dict[int, str] = field(default_factory=dict)
    trusted_beneficiaries: frozenset[str] = frozenset()  # merchant ids on the payer's list (PSD2 Art. 13)


class PaymentHistory(Protocol):
    async def methods_used(self, tenant: str, customer_id: str) -> list[MethodUse]: ...


class PaymentPreferences(Protocol):
    async def preferences(self, tenant: str, customer_id: str, cluster_id: str | None = None) -> Preferences:
        """``cluster_id``: the customer's cluster when the caller read it already ("" for none)."""
        ...

    def preference_reads(self, tenant: str, customer_id: str, cluster_id: str) -> list[tuple[Table, Key]]:
        """The rows ``preferences_from`` needs, for a caller that reads them in one step with others (the
        authorization path); ``cluster_id`` as for ``preferences``."""
        ...

    def preferences_from(
        self, tenant: str, customer_id: str, cluster_id: str, stored: Sequence[Record | None]
    ) -> Preferences:
        """What ``preferences`` answers, from the rows ``preference_reads`` named, in that order."""
        ...


class HeldInstruments:
    """Default history: the customer's active cards and bank accounts, each as one method (no usage counts)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def methods_used(self, tenant: str, customer_id: str) -> list[MethodUse]:
        out: list[MethodUse] = []
        rows = await self._store.scan(schema.cards_by_customer, (tenant, customer_id), limit=MAX_INSTRUMENTS)
        cards = await self._store.get_many(schema.cards_by_id, [(tenant, str(r.clustering[0])) for r in rows])
        for s in cards:
            card = decode(CardRecord, s.value) if s else None
            if card is not None and card.state == _CARD_ACTIVE:
                out.append(MethodUse(CARD, f"tenants/{tenant}/cards/{card.id}", 0, card.create_us))
        rows = await self._store.scan(schema.accounts_by_customer, (tenant, customer_id), limit=MAX_INSTRUMENTS)
        ids = sorted({str(r.clustering[0]) for r in rows})
        accounts = await self._store.get_many(schema.accounts_by_id, [(tenant, a) for a in ids])
        for s in accounts:
            acct = decode(AccountRecord, s.value) if s else None
            if acct is not None and acct.status == _ACCOUNT_ACTIVE and acct.kind in _BANK_KINDS:
                method = SEPA_DIRECT_DEBIT if acct.currency_code == "EUR" else BANK_TRANSFER
                out.append(MethodUse(method, f"tenants/{tenant}/accounts/{acct.id}", 0, acct.create_us))
        return out


class NoPreferences:
    """Default preferences: none stated (ProfileService, issue 8, supplies them once wired)."""

    async def preferences(self, tenant: str, customer_id: str, cluster_id: str | None = None) -> Preferences:
        return Preferences()

    def preference_reads(self, tenant: str, customer_id: str, cluster_id: str) -> list[tuple[Table, Key]]:
        return []

    def preferences_from(
        self, tenant: str, customer_id: str, cluster_id: str, stored: Sequence[Record | None]
    ) -> Preferences:
        return Preferences()


@dataclass(slots=True)
class RankedMethod:
    method: str
    instrument: str
    score: int
    reasons: list[str] = field(default_factory=list)


def rank(
    history: list[MethodUse], prefs: Preferences, channel: int, country: str, card_instrument: str = ""
) -> list[RankedMethod]:
    """Methods ordered by score (then name): held instruments, the preferred one, the country's usual ones."""
    by_key: dict[tuple[str, str], RankedMethod] = {}

    def entry(method: str, instrument: str) -> RankedMethod:
        return by_key.setdefault((method, instrument), RankedMethod(method, instrument, 0))

    for use in history:
        m = entry(use.method, use.instrument)
        m.score += HELD + PER_USE * min(use.uses, MAX_USES)
        m.reasons.append(f"HELD_INSTRUMENT (used {use.uses} times)" if use.uses else "HELD_INSTRUMENT")
    if card_instrument:
        m = entry(CARD, card_instrument)
        if "PRESENTED_CARD" not in m.reasons:
            m.score += HELD
            m.reasons.append("PRESENTED_CARD")
    preferred = prefs.default_by_channel.get(channel, "")
    if preferred:
        method, _, instrument = preferred.partition(":")
        # A stated instrument the payer holds is that held entry (whatever method name it is listed under).
        same = [m for (_meth, inst), m in by_key.items() if instrument and inst == instrument]
        m = same[0] if same else entry(method, instrument)
        m.score += PREFERRED
        m.reasons.append("CUSTOMER_PREFERENCE")
    usual = usual_methods(country)
    for i, method in enumerate(usual):
        bonus = max(COUNTRY_TOP - COUNTRY_STEP * i, COUNTRY_STEP)
        held = [m for (meth, _inst), m in by_key.items() if meth == method]
        for m in held or [entry(method, "")]:
            m.score += bonus
            m.reasons.append(f"USUAL_IN_{country or 'ANY'} (#{i + 1})")
    return sorted(by_key.values(), key=lambda m: (-m.score, m.method, m.instrument))
