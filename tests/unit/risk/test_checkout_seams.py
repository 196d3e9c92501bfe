"""The PaymentPreferences and PaymentHistory seams (ProfileService and transactions of issue 8 plug in here):
a stated preference ranks first and reaches GetAuthorizationContext, a trusted beneficiary is exempted, usage
counts order the held instruments. In-process on a real embedded store."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from crs._core import KeyRing
from crs.domain.app import Domain
from crs.domain.checkout.advice import CheckoutRequest
from crs.domain.checkout.methods import MethodUse, Preferences, rank
from crs.domain.context import CallContext, Principal
from crs.domain.customers import CustomerInput
from crs.domain.lookup import Lookup
from crs.domain.names import Name
from crs.domain.risk.txn import CHANNEL_ECOMMERCE
from crs.storage import schema
from crs.storage.base import Key, Record, Table
from crs.storage.embedded import EmbeddedStore
from tests.helpers.pans import make_pan

T = "acme"
CTX = CallContext(Principal("k", T, frozenset({"admin"})), "/crs.v1.DecisionService/GetCheckoutAdvice")


class Stated:
    def __init__(self, prefs: Preferences) -> None:
        self.prefs = prefs
        self.asked: list[str] = []

    async def preferences(self, tenant: str, customer_id: str, cluster_id: str | None = None) -> Preferences:
        self.asked.append(customer_id)
        return self.prefs

    def preference_reads(self, tenant: str, customer_id: str, cluster_id: str) -> list[tuple[Table, Key]]:
        return [(schema.profiles_by_customer, (tenant, customer_id))]

    def preferences_from(
        self, tenant: str, customer_id: str, cluster_id: str, stored: Sequence[Record | None]
    ) -> Preferences:
        assert len(stored) == 1  # what preference_reads named, and nothing else
        self.asked.append(customer_id)
        return self.prefs


def test_rank_orders_by_preference_usage_and_country() -> None:
    history = [MethodUse("CARD", "tenants/acme/cards/a", uses=3), MethodUse("CARD", "tenants/acme/cards/b", uses=9)]
    got = rank(history, Preferences({CHANNEL_ECOMMERCE: "KLARNA"}), CHANNEL_ECOMMERCE, "NL")
    assert [(m.method, m.instrument) for m in got][:4] == [
        ("KLARNA", ""),  # stated preference 50 + usual in NL (#3) 15
        ("CARD", "tenants/acme/cards/b"),  # held 20 + 9 uses + NL #2 20
        ("CARD", "tenants/acme/cards/a"),
        ("IDEAL", ""),
    ]
    assert got[0].reasons == ["CUSTOMER_PREFERENCE", "USUAL_IN_NL (#3)"]


def test_preferences_reach_advice_and_the_authorization_context(tmp_path: Path) -> None:
    async def run() -> None:
        KeyRing.generate(str(tmp_path / "keys.json"))
        store = EmbeddedStore(tmp_path / "crs.db")
        try:
            d = Domain(store, KeyRing.from_file(str(tmp_path / "keys.json")))
            c = await d.customers.create(CTX, T, CustomerInput(kind=1, display_name="Pref Person"), "")
            a = await d.accounts.create(CTX, T, Name(T, "customers", c.id), 1, "EUR", "", (0, 0, 0), "")
            card = await d.cards.register(CTX, T, make_pan(), 12, 2031, "", Name(T, "accounts", a.id), None, "")
            await d.after_change(T, [c.id], "test")
            stated = Stated(Preferences({CHANNEL_ECOMMERCE: "PAYPAL"}, frozenset({"utility-co"})))
            d.checkout.preferences = stated
            req = CheckoutRequest(250_00, "EUR", "utility-co", CHANNEL_ECOMMERCE, "DE")
            advice = await d.checkout.advice(CTX, T, req, token=card.token)
            assert advice.decision.recommendation == "TRUSTED_BENEFICIARY"
            assert advice.methods[0].method == "PAYPAL" and "CUSTOMER_PREFERENCE" in advice.methods[0].reasons
            other = await d.checkout.advice(
                CTX, T, CheckoutRequest(250_00, "EUR", "shop", CHANNEL_ECOMMERCE, "DE"), token=card.token
            )
            assert other.decision.recommendation == "CHALLENGE"
            lookup = Lookup(store, d.cards, d.risk_config, stated)
            ctx = await lookup.authorization_context(T, token=card.token)
            assert ctx.preferred_method == "PAYPAL" and ctx.risk is not None and ctx.risk.score == 0
            assert stated.asked == [c.id, c.id, c.id]
        finally:
            await store.close()

    asyncio.run(run())
