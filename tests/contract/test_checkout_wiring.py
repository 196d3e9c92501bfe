"""Checkout and the authorization path read ProfileService and the transaction aggregates (issue 8 + 9 wiring):
the stated default per channel (the customer's, else the cluster's) is the preferred method and ranks first;
usage counts come from recorded transactions."""

from __future__ import annotations

from typing import Any

import pytest
from google.protobuf import field_mask_pb2

from crs.v1 import cluster_pb2, decision_pb2, lookup_pb2, profile_pb2, profile_pb2_grpc, risk_pb2
from crs.v1 import transaction_pb2 as T
from tests.helpers.data import ACME, create_account, create_customer, register_card, request_id
from tests.helpers.risk import decision_stub
from tests.helpers.transactions import record, stubs, txn

P, D = profile_pb2, decision_pb2


@pytest.fixture(scope="module")
def profiles(crs_server):  # type: ignore[no-untyped-def]
    return crs_server.stub(profile_pb2_grpc.ProfileServiceStub, "acme-admin")


def _set_defaults(profiles: Any, owner: str, methods: dict[str, P.PaymentMethod]) -> None:
    profiles.UpdateProfile(
        P.UpdateProfileRequest(
            profile=P.Profile(name=f"{owner}/profile", default_payment_methods=methods),
            update_mask=field_mask_pb2.FieldMask(paths=[f"default_payment_methods.{c}" for c in methods]),
            request_id=request_id(),
        ),
        timeout=30,
    )


def _preferred(admin: Any, token: str) -> str:
    req = lookup_pb2.GetAuthorizationContextRequest(parent=ACME, token=token)
    return str(admin.lookup.GetAuthorizationContext(req, timeout=30).preferred_method)


def test_the_stated_default_is_the_preferred_method(admin, profiles):  # type: ignore[no-untyped-def]
    c = create_customer(admin)
    account = create_account(admin, c.name)
    card, other = register_card(admin, account.name), register_card(admin, account.name)
    assert _preferred(admin, card.token) == ""  # nothing stated
    _set_defaults(profiles, c.name, {"IN_APP": P.PaymentMethod(wallet=P.WalletMethod(provider="APPLE_PAY"))})
    assert _preferred(admin, card.token) == "APPLE_PAY"
    # The first stated channel in PaymentChannel order: ECOMMERCE (2) before WALLET (IN_APP, 4).
    _set_defaults(profiles, c.name, {"ECOMMERCE": P.PaymentMethod(card_token=other.token)})
    assert _preferred(admin, card.token) == f"CARD:{other.name}"
    # A channel without a PaymentChannel (P2P) is not used.
    d = create_customer(admin)
    d_card = register_card(admin, create_account(admin, d.name).name)
    _set_defaults(profiles, d.name, {"P2P": P.PaymentMethod(account=create_account(admin, d.name).name)})
    assert _preferred(admin, d_card.token) == ""


def test_a_cluster_default_is_inherited_and_the_customers_own_wins(admin, profiles):  # type: ignore[no-untyped-def]
    c = create_customer(admin)
    card = register_card(admin, create_account(admin, c.name).name)
    cluster = admin.clusters.ResolveCluster(cluster_pb2.ResolveClusterRequest(parent=ACME, customer=c.name)).name
    _set_defaults(profiles, cluster, {"ECOMMERCE": P.PaymentMethod(bnpl=P.BnplMethod(provider="KLARNA"))})
    assert _preferred(admin, card.token) == "KLARNA"
    _set_defaults(profiles, c.name, {"ECOMMERCE": P.PaymentMethod(wallet=P.WalletMethod(provider="PAYPAL"))})
    assert _preferred(admin, card.token) == "PAYPAL"


def test_advice_ranks_by_stated_default_and_recorded_uses(crs_server, admin, profiles):  # type: ignore[no-untyped-def]
    c = create_customer(admin)
    account = create_account(admin, c.name)
    used, stated = register_card(admin, account.name), register_card(admin, account.name)
    got = record(
        stubs(crs_server),
        [txn(used.token) for _ in range(3)]
        + [txn(stated.token), txn(used.token, kind=T.TRANSACTION_KIND_REFUND)]  # a refund is not a use
        + [txn(used.token, result=T.TRANSACTION_RESULT_DECLINED, decline_reason="51")],  # nor a decline
    )
    assert got.recorded == 6
    _set_defaults(profiles, c.name, {"ECOMMERCE": P.PaymentMethod(card_token=stated.token)})
    advice = decision_stub(crs_server).GetCheckoutAdvice(
        D.GetCheckoutAdviceRequest(
            parent=ACME,
            customer=c.name,
            amount=risk_pb2.MinorAmount(amount_minor=20_00, currency_code="EUR"),
            merchant_id="shop-1",
            channel=T.PAYMENT_CHANNEL_ECOMMERCE,
            country_code="GB",
        ),
        timeout=30,
    )
    by_instrument = {m.instrument: m for m in advice.payment_methods}
    first = advice.payment_methods[0]
    assert (first.method, first.instrument) == ("CARD", stated.name)
    assert first.reasons[:2] == ["HELD_INSTRUMENT (used 1 times)", "CUSTOMER_PREFERENCE"]
    assert by_instrument[used.name].reasons[0] == "HELD_INSTRUMENT (used 3 times)"
    assert by_instrument[used.name].score == 20 + 3 + 25  # held, uses, usual in GB (#1)
    assert [m.instrument for m in advice.payment_methods].count(stated.name) == 1  # one entry, not two
    # The account the customer holds is listed once, under its held method, when stated as the default.
    _set_defaults(profiles, c.name, {"ECOMMERCE": P.PaymentMethod(account=account.name)})
    advice = decision_stub(crs_server).GetCheckoutAdvice(
        D.GetCheckoutAdviceRequest(
            parent=ACME,
            customer=c.name,
            amount=risk_pb2.MinorAmount(amount_minor=20_00, currency_code="EUR"),
            merchant_id="shop-1",
            channel=T.PAYMENT_CHANNEL_ECOMMERCE,
            country_code="GB",
        ),
        timeout=30,
    )
    top = advice.payment_methods[0]
    assert (top.instrument, top.reasons[-1]) == (account.name, "CUSTOMER_PREFERENCE")
    assert [m.instrument for m in advice.payment_methods].count(account.name) == 1
