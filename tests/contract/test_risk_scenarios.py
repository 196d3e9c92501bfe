"""Payments scenarios from issue 9, end to end through a real server: the switch reports its transactions with
BatchRecordTransactions, and risk and checkout see them (RecordTransactions feeds ``Domain.observe_recorded``).

1. A returning customer with a new card at a known merchant is not challenged needlessly.
2. A stolen card used under three names is caught: signals, alerts (the recording raised the cluster's), a
   challenge.
3. The sixth low-value payment after the last SCA is challenged; an SCA resets the counter.
4. A recurring payment: the first is challenged, the same amount to the same payee is exempted.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from crs.domain.records import now_us
from crs.v1 import audit_pb2, cluster_pb2, decision_pb2, lookup_pb2, risk_pb2
from crs.v1 import transaction_pb2 as T
from tests.helpers.data import ACME, create_account, create_customer, register_card, request_id, uid
from tests.helpers.risk import decision_stub, risk_stub, side_process
from tests.helpers.transactions import TxnStubs, record, stubs, txn

D = decision_pb2
DAY_US = 86_400_000_000
ECOM, POS = T.PAYMENT_CHANNEL_ECOMMERCE, T.PAYMENT_CHANNEL_POS
AUTH = T.TRANSACTION_KIND_AUTHORIZATION
SCA_OK = T.SCA_OUTCOME_CHALLENGE_SUCCEEDED


@pytest.fixture(scope="module")
def decision(crs_server):  # type: ignore[no-untyped-def]
    return decision_stub(crs_server)


@pytest.fixture(scope="module")
def switch(crs_server) -> TxnStubs:  # type: ignore[no-untyped-def]
    return stubs(crs_server)


def _id(name: str) -> str:
    return name.rsplit("/", 1)[1]


def _cluster_id(admin, customer: str) -> str:  # type: ignore[no-untyped-def]
    return _id(admin.clusters.ResolveCluster(cluster_pb2.ResolveClusterRequest(parent=ACME, customer=customer)).name)


def _when(time_us: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(time_us / 1e6, dt.UTC)


def _pay(token: str, amount: int = 10_00, merchant: str = "shop-1", *, occurred_us: int = 0, **kw: Any) -> Any:
    """An approved remote card authorization as the switch reports it (low-value exempted unless told)."""
    kw.setdefault("channel", ECOM)
    kw.setdefault("sca_outcome", T.SCA_OUTCOME_EXEMPTION_APPLIED)
    if kw["sca_outcome"] == T.SCA_OUTCOME_EXEMPTION_APPLIED:
        kw.setdefault("sca_exemption", T.SCA_EXEMPTION_LOW_VALUE)
    return txn(
        token, kind=AUTH, amount=amount, merchant=merchant, mcc="5999", when=_when(occurred_us or now_us()), **kw
    )


def _report(switch: TxnStubs, *items: Any) -> None:
    got = record(switch, list(items))
    assert got.recorded == len(items), got


def _advice(decision, token: str, amount: int, merchant: str, **kw):  # type: ignore[no-untyped-def]
    return decision.GetCheckoutAdvice(
        D.GetCheckoutAdviceRequest(
            parent=ACME,
            card_token=token,
            amount=risk_pb2.MinorAmount(amount_minor=amount, currency_code="EUR"),
            merchant_id=merchant,
            channel=kw.pop("channel", ECOM),
            country_code=kw.pop("country_code", "NL"),
            **kw,
        ),
        timeout=30,
    )


def test_returning_customer_with_a_new_card_at_a_known_merchant(crs_server, admin, decision, switch):  # type: ignore[no-untyped-def]
    c = create_customer(admin)
    account = create_account(admin, c.name)
    old_card = register_card(admin, account.name)
    cid = _cluster_id(admin, c.name)
    with side_process(crs_server) as side:
        side.age_cluster("acme", cid, [_id(c.name)], days=400)  # test setup: a customer known for over a year
    _report(switch, _pay(old_card.token, 45_00, "bookshop", sca_outcome=SCA_OK, occurred_us=now_us() - 20 * DAY_US))
    new_card = register_card(admin, account.name)
    got = _advice(decision, new_card.token, 80_00, "bookshop", acquirer_fraud_rate_ppm=100)
    codes = {s.code: s.score for s in got.risk_signals}
    assert codes == {"NEW_CARD_ON_OLD_CLUSTER": 10, "KNOWN_MERCHANT": -10}
    assert got.risk_score == 0
    assert got.sca.recommendation == D.SCA_RECOMMENDATION_TRANSACTION_RISK_ANALYSIS
    f = got.sca.facts
    assert f.prior_successful_scas == 1 and f.cluster_age_days >= 400 and f.payments_since_last_sca == 0
    assert got.payment_methods[0].instrument == new_card.name  # the presented card first
    assert old_card.name in [m.instrument for m in got.payment_methods]
    # At a merchant never paid before the new card still only costs 10 points: no needless challenge.
    elsewhere = _advice(decision, new_card.token, 80_00, "electronics-x", acquirer_fraud_rate_ppm=100)
    assert elsewhere.risk_score == 10
    assert elsewhere.sca.recommendation == D.SCA_RECOMMENDATION_TRANSACTION_RISK_ANALYSIS


def test_stolen_card_used_under_three_names(crs_server, admin, decision, switch):  # type: ignore[no-untyped-def]
    u = uid()
    owner = create_customer(admin, display_name=f"Maria Tamm {u}", legal_name="")
    card = register_card(admin, create_account(admin, owner.name).name)
    mules = [create_customer(admin, display_name=f"{n} {u}", legal_name="") for n in ("Ivan Petrov", "John Smith")]
    for m in mules:
        admin.identifiers.CreateIdentifier(
            cluster_pb2.CreateIdentifierRequest(
                parent=m.name,
                identifier=cluster_pb2.Identifier(
                    kind=cluster_pb2.IDENTIFIER_KIND_CARD_FINGERPRINT, value=card.fingerprint
                ),
                request_id=request_id(),
            ),
            timeout=30,
        )
    cid = _cluster_id(admin, owner.name)
    cluster = f"tenants/acme/clusters/{cid}"
    risk = risk_stub(crs_server)
    before = risk.ListRiskAlerts(risk_pb2.ListRiskAlertsRequest(parent=ACME, cluster=cluster), timeout=30)
    assert list(before.risk_alerts) == []
    batch = [_pay(card.token, 49_00 + i, "x", sca_outcome=T.SCA_OUTCOME_NOT_APPLICABLE) for i in range(6)]
    _report(switch, *batch)
    # The recording itself raised the cluster's alert (velocity within a minute on a cluster with three names).
    raised = risk.ListRiskAlerts(risk_pb2.ListRiskAlertsRequest(parent=ACME, cluster=cluster), timeout=30)
    assert [a.subject for a in raised.risk_alerts] == [cluster]
    assert {"VELOCITY_1M", "CLUSTER_MANY_NAMES"} <= {s.code for s in raised.risk_alerts[0].signals}
    # Re-sending the batch (a switch retry) is acknowledged as duplicates and counted nowhere again.
    again = record(switch, batch)
    assert (again.recorded, again.duplicates) == (0, 6)
    got = _advice(decision, card.token, 25_00, "gift-cards")
    codes = {s.code for s in got.risk_signals}
    assert {"CARD_MANY_NAMES", "CLUSTER_MANY_NAMES", "VELOCITY_1M"} <= codes
    assert got.risk_score >= 60
    assert (got.sca.recommendation, list(got.sca.reason_codes)) == (D.SCA_RECOMMENDATION_CHALLENGE, ["RISK_SCORE_HIGH"])
    alerts = risk.ListRiskAlerts(risk_pb2.ListRiskAlertsRequest(parent=ACME, cluster=cluster), timeout=30)
    assert sorted(a.subject for a in alerts.risk_alerts) == sorted([cluster, card.name])
    ctx = admin.lookup.GetAuthorizationContext(lookup_pb2.GetAuthorizationContextRequest(parent=ACME, token=card.token))
    assert {"CLUSTER_MANY_NAMES", "VELOCITY_1M"} <= {s.code for s in ctx.risk.signals}
    assert ctx.risk.velocity.windows[0].count == 6
    assert ctx.risk.velocity.duplicates == 0  # the retried batch never reached the velocity


def test_the_sixth_low_value_payment_after_the_last_sca(admin, decision, switch):  # type: ignore[no-untyped-def]
    c = create_customer(admin)
    card = register_card(admin, create_account(admin, c.name).name)
    tok = card.token
    t0 = now_us() - 3_600_000_000
    _report(
        switch,
        _pay(tok, sca_outcome=SCA_OK, occurred_us=t0),
        *[_pay(tok, 9_00, "cafe", occurred_us=t0 + (i + 1) * 60_000_000) for i in range(4)],
        _pay(tok, channel=POS, sca_outcome=T.SCA_OUTCOME_NOT_APPLICABLE, occurred_us=t0 + 400_000_000),  # in a shop
        _pay(tok, 5_00, occurred_us=t0 - 60_000_000),  # reported late, before the SCA: not counted
        # A refund and a capture of an earlier authorization are not new payments.
        txn(tok, kind=T.TRANSACTION_KIND_REFUND, amount=3_00, channel=ECOM, when=_when(t0 + 300_000_000)),
        txn(tok, original_transaction_id="auth-1", channel=ECOM, amount=9_00, when=_when(t0 + 301_000_000)),
    )
    fifth = _advice(decision, tok, 10_00, "cafe")
    assert fifth.sca.recommendation == D.SCA_RECOMMENDATION_LOW_VALUE
    assert (fifth.sca.facts.payments_since_last_sca, fifth.sca.facts.amount_since_last_sca_eur_minor) == (4, 36_00)
    _report(switch, _pay(tok, 10_00, "cafe", occurred_us=t0 + 500_000_000))
    sixth = _advice(decision, tok, 10_00, "cafe")
    assert sixth.sca.recommendation == D.SCA_RECOMMENDATION_CHALLENGE
    assert list(sixth.sca.reason_codes)[:2] == ["NO_EXEMPTION_APPLIES", "LOW_VALUE_COUNT_EXCEEDED"]
    assert sixth.sca.facts.payments_since_last_sca == 5 and sixth.sca.facts.amount_since_last_sca_eur_minor == 46_00
    # The challenge succeeds (the switch reports it): the counter starts again. A frictionless 3-D Secure flow
    # is not SCA and counts as one more payment without it.
    _report(switch, _pay(tok, sca_outcome=SCA_OK, occurred_us=t0 + 600_000_000))
    after = _advice(decision, tok, 10_00, "cafe")
    assert after.sca.recommendation == D.SCA_RECOMMENDATION_LOW_VALUE
    assert after.sca.facts.payments_since_last_sca == 0 and after.sca.facts.prior_successful_scas == 2
    _report(switch, _pay(tok, 7_00, sca_outcome=T.SCA_OUTCOME_FRICTIONLESS, occurred_us=t0 + 700_000_000))
    frictionless = _advice(decision, tok, 10_00, "cafe")
    assert frictionless.sca.facts.payments_since_last_sca == 1 and frictionless.sca.facts.prior_successful_scas == 2


def test_a_recurring_payment(admin, decision, switch):  # type: ignore[no-untyped-def]
    c = create_customer(admin)
    card = register_card(admin, create_account(admin, c.name).name)
    first = _advice(decision, card.token, 12_99, "stream-co", recurring=True)
    assert (first.sca.recommendation, list(first.sca.reason_codes)) == (
        D.SCA_RECOMMENDATION_CHALLENGE,
        ["RECURRING_FIRST_PAYMENT"],
    )
    # The series' first payment, authenticated with SCA and marked recurring.
    _report(switch, _pay(card.token, 12_99, "stream-co", sca_outcome=SCA_OK, recurring=True))
    nxt = _advice(decision, card.token, 12_99, "stream-co", recurring=True)
    assert (nxt.sca.recommendation, list(nxt.sca.reason_codes)) == (
        D.SCA_RECOMMENDATION_RECURRING,
        ["RECURRING_SAME_AMOUNT_SAME_PAYEE"],
    )
    # The next one, exempted as recurring, is not a low-value payment since the last SCA.
    _report(switch, _pay(card.token, 12_99, "stream-co", sca_exemption=T.SCA_EXEMPTION_RECURRING))
    assert _advice(decision, card.token, 10_00, "cafe").sca.facts.payments_since_last_sca == 0
    raised = _advice(decision, card.token, 15_99, "stream-co", recurring=True)
    assert list(raised.sca.reason_codes) == ["RECURRING_AMOUNT_CHANGED"]
    other_payee = _advice(decision, card.token, 12_99, "other-stream", recurring=True)
    assert list(other_payee.sca.reason_codes) == ["RECURRING_FIRST_PAYMENT"]


def test_a_recorded_batch_crossing_the_alert_score_raises_the_audited_cluster_alert(admin, switch, crs_server):  # type: ignore[no-untyped-def]
    c = create_customer(admin)
    card = register_card(admin, create_account(admin, c.name).name)
    cluster = f"tenants/acme/clusters/{_cluster_id(admin, c.name)}"
    listed = risk_pb2.ListRiskAlertsRequest(parent=ACME, cluster=cluster)
    risk = risk_stub(crs_server)
    # VELOCITY_1M (25) + VELOCITY_24H_AMOUNT (15) = 40 < 50: no alert yet.
    _report(switch, *[_pay(card.token, 300_00, sca_outcome=T.SCA_OUTCOME_NOT_APPLICABLE) for _ in range(19)])
    assert not risk.ListRiskAlerts(listed, timeout=30).risk_alerts
    _report(switch, _pay(card.token, 300_00, sca_outcome=T.SCA_OUTCOME_NOT_APPLICABLE))  # + VELOCITY_1H (20)
    alerts = risk.ListRiskAlerts(listed, timeout=30).risk_alerts
    assert len(alerts) == 1 and alerts[0].subject == cluster and alerts[0].score == 60
    assert {s.code for s in alerts[0].signals} == {"VELOCITY_1M", "VELOCITY_1H", "VELOCITY_24H_AMOUNT"}
    events = admin.audit.ListAuditEvents(audit_pb2.ListAuditEventsRequest(parent=ACME, resource=alerts[0].name))
    assert [(e.method, e.actor) for e in events.audit_events] == [
        ("/crs.v1.TransactionService/BatchRecordTransactions", "acme-admin")
    ]
