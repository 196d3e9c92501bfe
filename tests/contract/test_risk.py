"""RiskService, DecisionService and the risk summary of GetAuthorizationContext (contract, both backends).

Transactions are fed here from the test process through ``Domain.observe_transaction`` (one at a time) on the
server's own store (``tests/helpers/risk.py``), as another server process would: the server must see them. The
same facts reported through BatchRecordTransactions are in ``test_risk_scenarios.py``.
"""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import field_mask_pb2

from crs.v1 import audit_pb2, card_pb2, cluster_pb2, customer_pb2, decision_pb2, lookup_pb2, risk_pb2
from crs.v1 import transaction_pb2 as T
from tests.helpers.data import (
    ACME,
    GLOBEX,
    create_account,
    create_customer,
    register_card,
    request_id,
    tokenize,
    uid,
)
from tests.helpers.pans import make_pan
from tests.helpers.risk import RECORD_METHOD, decision_stub, risk_stub, side_process
from tests.helpers.rpc import expect_error, list_all

SC = grpc.StatusCode
D = decision_pb2
ECOM = T.PAYMENT_CHANNEL_ECOMMERCE


@pytest.fixture(scope="module")
def risk(crs_server):  # type: ignore[no-untyped-def]
    return risk_stub(crs_server)


@pytest.fixture(scope="module")
def decision(crs_server):  # type: ignore[no-untyped-def]
    return decision_stub(crs_server)


def _holder(admin, **kw):  # type: ignore[no-untyped-def]
    c = create_customer(admin, **kw)
    a = create_account(admin, c.name)
    card = register_card(admin, a.name)
    return c, a, card


def _cluster(admin, customer: str) -> str:  # type: ignore[no-untyped-def]
    return admin.clusters.ResolveCluster(cluster_pb2.ResolveClusterRequest(parent=ACME, customer=customer)).name


def _advice(decision, payer: dict, amount: int, currency: str = "EUR", **kw):  # type: ignore[no-untyped-def]
    kw.setdefault("merchant_id", "shop-1")
    kw.setdefault("channel", ECOM)
    kw.setdefault("country_code", "NL")
    return decision.GetCheckoutAdvice(
        D.GetCheckoutAdviceRequest(
            parent=ACME, amount=risk_pb2.MinorAmount(amount_minor=amount, currency_code=currency), **payer, **kw
        ),
        timeout=30,
    )


def _codes(signals) -> set[str]:  # type: ignore[no-untyped-def]
    return {s.code for s in signals}


# ---- GetRiskSignals -----------------------------------------------------------------------------------------------


def test_a_new_customer_has_no_signals_and_empty_windows(admin, risk):  # type: ignore[no-untyped-def]
    c, _a, card = _holder(admin)
    for req in (
        risk_pb2.GetRiskSignalsRequest(parent=ACME, customer=c.name),
        risk_pb2.GetRiskSignalsRequest(parent=ACME, card_token=card.token),
    ):
        got = risk.GetRiskSignals(req, timeout=30)
        assert got.score == 0 and not got.signals and not got.HasField("alert")
        assert got.cluster == _cluster(admin, c.name)
        assert [w.window for w in got.velocity.windows] == ["1m", "1h", "24h", "30d"]
        assert all(w.count == 0 for w in got.velocity.windows)
        assert got.alert_score == 50
    assert risk.GetRiskSignals(risk_pb2.GetRiskSignalsRequest(parent=ACME, card_token=card.token)).subject == card.name


def test_velocity_reported_by_another_process_is_seen_at_once(crs_server, admin, risk):  # type: ignore[no-untyped-def]
    c, _a, card = _holder(admin)
    cluster = _cluster(admin, c.name)
    cid = cluster.rsplit("/", 1)[1]
    with side_process(crs_server) as side:
        for i in range(6):
            txn = side.observe("acme", cid, c.name.rsplit("/", 1)[1], amount_minor=100 + i, instrument=card.token)
        side.observe("acme", cid, txn.customer_id, transaction_id=txn.transaction_id)  # a duplicate report
        side.observe("acme", cid, txn.customer_id, currency="USD", amount_minor=5000)
    got = risk.GetRiskSignals(risk_pb2.GetRiskSignalsRequest(parent=ACME, cluster=cluster), timeout=30)
    one_min = got.velocity.windows[0]
    assert (one_min.window, one_min.count) == ("1m", 7)
    totals = {t.currency_code: (t.count, t.amount_minor) for t in one_min.totals}
    assert totals == {"EUR": (6, 615), "USD": (1, 5000)}
    assert got.velocity.duplicates == 1
    assert {"VELOCITY_1M"} <= _codes(got.signals)
    vel = next(s for s in got.signals if s.code == "VELOCITY_1M")
    assert vel.score == 25 and "7 payments" in vel.reason
    # The authorization path carries the same summary (one keyed read of the velocity row).
    ctx = admin.lookup.GetAuthorizationContext(lookup_pb2.GetAuthorizationContextRequest(parent=ACME, token=card.token))
    assert ctx.risk.velocity.windows[0].count == 7 and "VELOCITY_1M" in _codes(ctx.risk.signals)
    assert ctx.risk.score >= 25 and ctx.preferred_method == ""


def test_transactions_crossing_the_alert_score_raise_the_cluster_alert(crs_server, admin, risk):  # type: ignore[no-untyped-def]
    c, _a, card = _holder(admin)
    cluster = _cluster(admin, c.name)
    cid, who = cluster.rsplit("/", 1)[1], c.name.rsplit("/", 1)[1]
    listed = risk_pb2.ListRiskAlertsRequest(parent=ACME, cluster=cluster)
    with side_process(crs_server) as side:
        for _ in range(19):  # VELOCITY_1M (25) + VELOCITY_24H_AMOUNT (15) = 40 < 50
            side.observe("acme", cid, who, instrument=card.token, amount_minor=300_00, with_context=True)
        assert not risk.ListRiskAlerts(listed, timeout=30).risk_alerts
        side.observe("acme", cid, who, instrument=card.token, amount_minor=300_00, with_context=True)  # + VELOCITY_1H
    alerts = risk.ListRiskAlerts(listed, timeout=30).risk_alerts
    assert len(alerts) == 1 and alerts[0].subject == cluster and alerts[0].score == 60
    assert {s.code for s in alerts[0].signals} == {"VELOCITY_1M", "VELOCITY_1H", "VELOCITY_24H_AMOUNT"}
    events = admin.audit.ListAuditEvents(audit_pb2.ListAuditEventsRequest(parent=ACME, resource=alerts[0].name))
    assert [(e.method, e.actor) for e in events.audit_events] == [(RECORD_METHOD, "acme-switch")]


def test_stolen_card_used_under_three_names_raises_one_audited_alert(admin, risk):  # type: ignore[no-untyped-def]
    u = uid()
    _owner, _a, card = _holder(admin, display_name=f"Anna Owner {u}", legal_name="")
    others = [create_customer(admin, display_name=f"{n} {u}", legal_name="") for n in ("Boris Fake", "Carl Mule")]
    for o in others:
        admin.identifiers.CreateIdentifier(
            cluster_pb2.CreateIdentifierRequest(
                parent=o.name,
                identifier=cluster_pb2.Identifier(
                    kind=cluster_pb2.IDENTIFIER_KIND_CARD_FINGERPRINT, value=card.fingerprint
                ),
                request_id=request_id(),
            ),
            timeout=30,
        )
    got = risk.GetRiskSignals(risk_pb2.GetRiskSignalsRequest(parent=ACME, card_token=card.token), timeout=30)
    codes = _codes(got.signals)
    assert {"CARD_MANY_NAMES", "CLUSTER_MANY_NAMES"} <= codes
    many = next(s for s in got.signals if s.code == "CARD_MANY_NAMES")
    assert many.score == 40 and f"ending {card.last4}" in many.reason and "3 different names" in many.reason
    assert got.score >= 70 and got.alert.name.startswith("tenants/acme/riskAlerts/")
    assert got.alert.subject == card.name and got.alert.cluster == got.cluster and got.alert.score == got.score
    # Asking again the same day finds the same alert: one alert, one audit event.
    again = risk.GetRiskSignals(risk_pb2.GetRiskSignalsRequest(parent=ACME, card_token=card.token), timeout=30)
    assert again.alert.name == got.alert.name
    listed = list_all(
        risk.ListRiskAlerts, risk_pb2.ListRiskAlertsRequest(parent=ACME, cluster=got.cluster), "risk_alerts"
    )
    assert [a.name for a in listed] == [got.alert.name]
    tenant_wide = list_all(risk.ListRiskAlerts, risk_pb2.ListRiskAlertsRequest(parent=ACME), "risk_alerts", page_size=1)
    assert got.alert.name in [a.name for a in tenant_wide]
    events = admin.audit.ListAuditEvents(audit_pb2.ListAuditEventsRequest(parent=ACME, resource=got.alert.name))
    assert [e.method for e in events.audit_events] == ["/crs.v1.RiskService/GetRiskSignals"]
    assert card.fingerprint not in str(got)  # reasons name the card by its last 4 digits only


def test_contact_change_before_a_large_payment(admin, risk):  # type: ignore[no-untyped-def]
    c, _a, _card = _holder(admin)
    c.emails[:] = [f"changed-{uid()}@example.com"]
    admin.customers.UpdateCustomer(
        customer_pb2.UpdateCustomerRequest(
            customer=c, update_mask=field_mask_pb2.FieldMask(paths=["emails"]), request_id=request_id()
        ),
        timeout=30,
    )
    small = risk.GetRiskSignals(risk_pb2.GetRiskSignalsRequest(parent=ACME, customer=c.name), timeout=30)
    assert _codes(small.signals) == {"RECENT_CONTACT_CHANGE"}
    large = risk.GetRiskSignals(
        risk_pb2.GetRiskSignalsRequest(
            parent=ACME, customer=c.name, amount=risk_pb2.MinorAmount(amount_minor=600_00, currency_code="EUR")
        ),
        timeout=30,
    )
    assert _codes(large.signals) == {"CONTACT_CHANGE_BEFORE_LARGE_PAYMENT"}
    assert large.signals[0].score == 35 and "EUR 600.00" in large.signals[0].reason


def test_risk_signals_input_errors_and_tenancy(admin, globex, risk, crs_server):  # type: ignore[no-untyped-def]
    c, _a, _card = _holder(admin)
    expect_error(SC.INVALID_ARGUMENT, risk.GetRiskSignals, risk_pb2.GetRiskSignalsRequest(parent=ACME), field="subject")
    expect_error(
        SC.INVALID_ARGUMENT,
        risk.GetRiskSignals,
        risk_pb2.GetRiskSignalsRequest(parent=ACME, card_token="not-a-token"),
        field="token",
    )
    expect_error(
        SC.INVALID_ARGUMENT,
        risk.GetRiskSignals,
        risk_pb2.GetRiskSignalsRequest(
            parent=ACME, customer=c.name, amount=risk_pb2.MinorAmount(amount_minor=-1, currency_code="EU1")
        ),
        field="amount.amount_minor",
    )
    expect_error(
        SC.INVALID_ARGUMENT,
        risk.GetRiskSignals,
        risk_pb2.GetRiskSignalsRequest(parent=ACME, customer="x"),
        field="customer",
    )
    other = risk_stub(crs_server, "globex-admin")
    expect_error(
        SC.NOT_FOUND,
        other.GetRiskSignals,
        risk_pb2.GetRiskSignalsRequest(parent=GLOBEX, customer=c.name.replace("acme", "globex")),
    )
    expect_error(SC.NOT_FOUND, other.GetRiskSignals, risk_pb2.GetRiskSignalsRequest(parent=ACME, customer=c.name))
    expect_error(
        SC.NOT_FOUND,
        risk.GetRiskSignals,
        risk_pb2.GetRiskSignalsRequest(parent=ACME, cluster="tenants/acme/clusters/cl-nope"),
    )
    no_read = risk_stub(crs_server, "acme-tok")
    expect_error(
        SC.PERMISSION_DENIED, no_read.GetRiskSignals, risk_pb2.GetRiskSignalsRequest(parent=ACME, customer=c.name)
    )
    expect_error(SC.INVALID_ARGUMENT, risk.ListRiskAlerts, risk_pb2.ListRiskAlertsRequest(parent=ACME, page_token="x"))


# ---- GetCheckoutAdvice --------------------------------------------------------------------------------------------


def test_checkout_advice_for_a_new_customer(admin, decision):  # type: ignore[no-untyped-def]
    c, a, card = _holder(admin)
    got = _advice(decision, {"card_token": card.token}, 12_00)
    assert got.payer == card.name and got.customer == c.name and got.cluster
    assert got.sca.recommendation == D.SCA_RECOMMENDATION_LOW_VALUE
    assert list(got.sca.reason_codes) == ["LOW_VALUE_WITHIN_LIMITS"]
    f = got.sca.facts
    assert (f.payments_since_last_sca, f.amount_since_last_sca_eur_minor, f.prior_successful_scas) == (0, 0, 0)
    assert f.amount_eur_minor == 12_00 and f.low_value_counter == "count" and not f.HasField("fraud_rate_ppm")
    methods = [(m.method, m.instrument) for m in got.payment_methods]
    assert methods[0] == ("CARD", card.name)  # presented, held, usual in NL
    assert ("IDEAL", "") in methods and ("SEPA_DIRECT_DEBIT", a.name) in methods
    de = _advice(decision, {"customer": c.name}, 12_00, country_code="DE")
    assert [m.method for m in de.payment_methods][:2] == ["SEPA_DIRECT_DEBIT", "CARD"]
    assert "PAYPAL" in [m.method for m in de.payment_methods]


def test_checkout_sca_rules_through_the_api(admin, decision):  # type: ignore[no-untyped-def]
    _c, _a, card = _holder(admin)
    payer = {"card_token": card.token}
    pos = _advice(decision, payer, 5_00, channel=T.PAYMENT_CHANNEL_POS)
    assert (pos.sca.recommendation, list(pos.sca.reason_codes)) == (D.SCA_RECOMMENDATION_CHALLENGE, ["SCA_NOT_REMOTE"])
    usd = _advice(decision, payer, 5_00, currency="USD")
    assert list(usd.sca.reason_codes) == ["CURRENCY_NOT_CONVERTIBLE"] and not usd.sca.facts.HasField("amount_eur_minor")
    tra = _advice(decision, payer, 400_00, acquirer_fraud_rate_ppm=100)
    assert tra.sca.recommendation == D.SCA_RECOMMENDATION_TRANSACTION_RISK_ANALYSIS
    assert tra.sca.facts.tra_threshold_eur_minor == 500_00 and tra.sca.reason_codes[0] == "TRA_WITHIN_BAND"
    over = _advice(decision, payer, 400_00, acquirer_fraud_rate_ppm=101)
    assert over.sca.recommendation == D.SCA_RECOMMENDATION_CHALLENGE and "TRA_AMOUNT_OVER_BAND" in over.sca.reason_codes
    none = _advice(decision, payer, 400_00)
    assert "TRA_NO_FRAUD_RATE" in none.sca.reason_codes


def test_checkout_advice_input_errors(admin, decision, crs_server):  # type: ignore[no-untyped-def]
    c, _a, _card = _holder(admin)
    payer = {"customer": c.name}
    expect_error(SC.INVALID_ARGUMENT, _advice, decision, {}, 100, field="payer")
    expect_error(SC.INVALID_ARGUMENT, _advice, decision, payer, 0, field="amount.amount_minor")
    expect_error(SC.INVALID_ARGUMENT, _advice, decision, payer, 100, currency="eur", field="amount.currency_code")
    expect_error(SC.INVALID_ARGUMENT, _advice, decision, payer, 100, currency="XQZ", field="amount.currency_code")
    expect_error(SC.INVALID_ARGUMENT, _advice, decision, payer, 100, country_code="Netherlands", field="country_code")
    expect_error(SC.INVALID_ARGUMENT, _advice, decision, payer, 100, channel=0, field="channel")
    expect_error(SC.INVALID_ARGUMENT, _advice, decision, payer, 100, channel=99, field="channel")
    expect_error(SC.INVALID_ARGUMENT, _advice, decision, payer, 100, merchant_id="", field="merchant_id")
    expect_error(
        SC.INVALID_ARGUMENT, _advice, decision, payer, 100, acquirer_fraud_rate_ppm=-1, field="acquirer_fraud_rate_ppm"
    )
    f = expect_error(SC.INVALID_ARGUMENT, _advice, decision, payer, 0, country_code="x", channel=0)
    assert {"amount.amount_minor", "country_code", "channel"} <= set(f.violation_fields)
    expect_error(SC.NOT_FOUND, _advice, decision_stub(crs_server, "globex-admin"), payer, 100)
    unregistered = tokenize(admin, make_pan()).token  # a vault token without a card
    expect_error(SC.NOT_FOUND, _advice, decision, {"card_token": unregistered}, 100)


def test_a_card_reported_stolen_is_challenged(admin, decision):  # type: ignore[no-untyped-def]
    _c, _a, card = _holder(admin)
    admin.cards.UpdateCardState(
        card_pb2.UpdateCardStateRequest(
            name=card.name, state=card_pb2.CARD_STATE_STOLEN, reason="reported by the holder", request_id=request_id()
        ),
        timeout=30,
    )
    got = _advice(decision, {"card_token": card.token}, 5_00)
    assert {s.code for s in got.risk_signals} == {"CARD_NOT_ACTIVE"} and got.risk_score == 60
    assert list(got.sca.reason_codes) == ["RISK_SCORE_HIGH"]
    assert card.name not in [m.instrument for m in got.payment_methods]  # never offered again
    ctx = admin.lookup.GetAuthorizationContext(lookup_pb2.GetAuthorizationContextRequest(parent=ACME, token=card.token))
    assert [s.code for s in ctx.risk.signals] == ["CARD_NOT_ACTIVE"]


def test_a_transaction_reported_with_a_merged_cluster_counts_in_the_survivor(crs_server, admin, risk):  # type: ignore[no-untyped-def]
    a, _acct_a, _card_a = _holder(admin)
    b, _acct_b, card_b = _holder(admin)
    old_a, old_b = _cluster(admin, a.name), _cluster(admin, b.name)
    merged = admin.clusters.MergeCustomers(
        cluster_pb2.MergeCustomersRequest(customers=[a.name, b.name], reason="same person", request_id=request_id()),
        timeout=30,
    )
    survivor = merged.name
    absorbed = old_b if old_b != survivor else old_a
    assert absorbed != survivor
    with side_process(crs_server) as side:
        side.observe("acme", absorbed.rsplit("/", 1)[1], b.name.rsplit("/", 1)[1], instrument=card_b.token)
    got = risk.GetRiskSignals(risk_pb2.GetRiskSignalsRequest(parent=ACME, cluster=survivor), timeout=30)
    assert got.cluster == survivor and got.velocity.windows[0].count == 1
