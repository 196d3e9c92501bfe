"""SegmentService and InsightService contract (through a real server; times relative to now)."""

from __future__ import annotations

import datetime as dt

import grpc
import pytest

from crs.v1 import insight_pb2, segment_pb2, transaction_pb2
from tests.helpers.data import ACME, create_customer
from tests.helpers.rpc import expect_error, list_all
from tests.helpers.transactions import at, payer, record, stubs, txn

S, IN, T = segment_pb2, insight_pb2, transaction_pb2
SC = grpc.StatusCode
NOW = dt.datetime.now(dt.UTC)


@pytest.fixture(scope="module")
def s(crs_server):  # type: ignore[no-untyped-def]
    return stubs(crs_server)


def _month(when: dt.datetime) -> insight_pb2.YearMonth:
    return IN.YearMonth(year=when.year, month=when.month)


def _month_start(when: dt.datetime, back: int = 0) -> dt.datetime:
    year, month = when.year, when.month - back
    while month < 1:
        year, month = year - 1, month + 12
    return dt.datetime(year, month, 1, tzinfo=dt.UTC)


def test_segments_follow_transactions(admin, s):
    p = payer(admin)
    empty = s.segments.GetSegments(S.GetSegmentsRequest(customer=p.customer), timeout=30)
    assert empty.value_tier == S.VALUE_TIER_UNSPECIFIED and empty.lifecycle == S.LIFECYCLE_UNSPECIFIED
    assert empty.customer == p.customer
    record(s, [txn(p.token, amount=5_000)])
    one = s.segments.GetSegments(S.GetSegmentsRequest(customer=p.customer), timeout=30)
    assert (one.value_tier, one.lifecycle) == (S.VALUE_TIER_LOW, S.LIFECYCLE_NEW)  # R3 + F1 + M1 = 5
    assert one.frequency == 1 and one.monetary_minor == 5_000 and one.monetary_currency == "EUR"
    assert "LOW" in one.reason and "NEW" in one.reason
    # Twelve more purchases of 100 EUR: R3 + F3 + M3 = 9 -> HIGH
    record(s, [txn(p.token, amount=10_000, when=NOW - dt.timedelta(minutes=10 + i)) for i in range(12)])
    high = s.segments.GetSegments(S.GetSegmentsRequest(customer=p.customer), timeout=30)
    assert high.value_tier == S.VALUE_TIER_HIGH and high.frequency == 13 and high.monetary_minor == 125_000
    changes = s.segments.ListSegmentChanges(S.ListSegmentChangesRequest(parent=ACME, customer=p.customer))
    assert [(c.from_tier, c.to_tier) for c in changes.changes] == [
        (S.VALUE_TIER_UNSPECIFIED, S.VALUE_TIER_LOW),
        (S.VALUE_TIER_LOW, S.VALUE_TIER_HIGH),
    ]
    assert all(c.trigger == "TRANSACTION" and c.customer == p.customer for c in changes.changes)
    day = NOW.strftime("%Y%m%d")
    by_day = list_all(s.segments.ListSegmentChanges, S.ListSegmentChangesRequest(parent=ACME, day=day), "changes")
    assert {c.change_id for c in changes.changes} <= {c.change_id for c in by_day}
    members = list_all(
        s.segments.ListSegmentMembers,
        S.ListSegmentMembersRequest(parent=ACME, value_tier=S.VALUE_TIER_HIGH),
        "members",
        page_size=2,
    )
    assert p.customer in {m.customer for m in members}
    low = list_all(
        s.segments.ListSegmentMembers, S.ListSegmentMembersRequest(parent=ACME, value_tier=S.VALUE_TIER_LOW), "members"
    )
    assert p.customer not in {m.customer for m in low}


def test_refresh_moves_inactive_customers(admin, s):
    p = payer(admin)
    record(s, [txn(p.token, when=NOW - dt.timedelta(days=40))])  # NEW? no: first activity 40 days ago
    got = s.segments.GetSegments(S.GetSegmentsRequest(customer=p.customer), timeout=30)
    assert got.lifecycle == S.LIFECYCLE_ACTIVE
    later = NOW + dt.timedelta(days=60)  # 100 days after the purchase
    resp = s.segments.RefreshSegments(S.RefreshSegmentsRequest(parent=ACME, as_of=at(later)), timeout=60)
    assert resp.evaluated >= 1 and resp.changed >= 1
    got = s.segments.GetSegments(S.GetSegmentsRequest(customer=p.customer), timeout=30)
    assert got.lifecycle == S.LIFECYCLE_DORMANT
    history = s.segments.ListSegmentChanges(S.ListSegmentChangesRequest(parent=ACME, customer=p.customer)).changes
    assert history[-1].to_lifecycle == S.LIFECYCLE_DORMANT and history[-1].trigger == "REFRESH"
    dormant = list_all(
        s.segments.ListSegmentMembers,
        S.ListSegmentMembersRequest(parent=ACME, lifecycle=S.LIFECYCLE_DORMANT),
        "members",
    )
    assert p.customer in {m.customer for m in dormant}


def test_segment_errors(admin, s, crs_server):
    c = create_customer(admin)
    expect_error(SC.NOT_FOUND, s.segments.GetSegments, S.GetSegmentsRequest(customer="tenants/globex/customers/x"))
    expect_error(
        SC.NOT_FOUND, s.segments.GetSegments, S.GetSegmentsRequest(customer=c.name.replace("acme", "acme") + "zz")
    )
    expect_error(SC.INVALID_ARGUMENT, s.segments.GetSegments, S.GetSegmentsRequest(customer="nope"))
    expect_error(
        SC.INVALID_ARGUMENT, s.segments.ListSegmentMembers, S.ListSegmentMembersRequest(parent=ACME), field="segment"
    )
    expect_error(
        SC.INVALID_ARGUMENT,
        s.segments.ListSegmentChanges,
        S.ListSegmentChangesRequest(parent=ACME, day="2026-13-01"),
        field="day",
    )
    reader = stubs(crs_server, "acme-rw")
    expect_error(SC.PERMISSION_DENIED, reader.segments.RefreshSegments, S.RefreshSegmentsRequest(parent=ACME))


def test_customer_insights(admin, s):
    p = payer(admin)
    this_month = _month_start(NOW, 2)  # whole months in the past
    prev_month = _month_start(NOW, 3)
    items = [
        txn(p.token, amount=10_000, mcc="5411", merchant="m-grocer", when=this_month + dt.timedelta(hours=9)),
        txn(p.token, amount=20_000, mcc="5812", merchant="m-bistro", when=this_month + dt.timedelta(hours=19)),
        txn(p.token, amount=5_000, mcc="5812", merchant="m-bistro", when=this_month + dt.timedelta(hours=19, days=1)),
        txn(
            p.token,
            amount=700,
            currency="USD",
            channel=T.PAYMENT_CHANNEL_ECOMMERCE,
            when=this_month + dt.timedelta(hours=2),
        ),
        txn(p.token, kind=T.TRANSACTION_KIND_REFUND, amount=5_000, when=this_month + dt.timedelta(hours=20)),
        txn(p.token, kind=T.TRANSACTION_KIND_CHARGEBACK, amount=700, when=this_month + dt.timedelta(hours=21)),
        txn(
            p.token, result=T.TRANSACTION_RESULT_DECLINED, decline_reason="05", when=this_month + dt.timedelta(hours=1)
        ),
        txn(p.token, amount=14_000, when=prev_month + dt.timedelta(days=3, hours=9)),
        txn(p.token, kind=T.TRANSACTION_KIND_AUTHORIZATION, amount=99_999, when=this_month + dt.timedelta(hours=3)),
    ]
    assert record(s, items).recorded == len(items)
    ins = s.insights.GetCustomerInsights(
        IN.GetCustomerInsightsRequest(parent=ACME, customer=p.customer, end_month=_month(this_month), months=1),
        timeout=30,
    )
    assert ins.subject == p.customer and ins.customers == 1
    assert (ins.start_month.month, ins.end_month.month) == (this_month.month, this_month.month)
    spent = [i for i in items if i.transaction.kind == T.TRANSACTION_KIND_CAPTURE]
    this = [
        i
        for i in spent
        if i.transaction.occur_time.ToDatetime(dt.UTC) >= this_month
        and i.transaction.result == T.TRANSACTION_RESULT_APPROVED
    ]
    assert ins.spend_count == len(this)
    eur = sum(i.transaction.amount_minor for i in this if i.transaction.currency_code == "EUR")
    trend = {t.currency_code: t for t in ins.by_currency}
    assert trend["EUR"].amount_minor == eur
    assert trend["EUR"].previous_amount_minor == 14_000 and trend["EUR"].has_previous
    assert trend["EUR"].change_percent == pytest.approx(round((eur - 14_000) / 14_000 * 100, 2))
    categories = {(x.key, x.currency_code): x.amount_minor for x in ins.by_category}
    assert len(this) == 4
    assert categories == {("5812", "EUR"): 25_000, ("5411", "EUR"): 10_000, ("5411", "USD"): 700}
    assert {x.key for x in ins.by_channel} == {"POS", "ECOMMERCE"}
    assert ins.by_merchant[0].key == "m-bistro"
    assert ins.preferred_hours[0] == 19
    assert {h.hour: h.count for h in ins.hours} == {9: 1, 19: 2, 2: 1}
    assert ins.refund_ratio == pytest.approx(1 / 4) and ins.chargeback_ratio == pytest.approx(1 / 4)
    assert ins.declined_count == 1
    two = s.insights.GetCustomerInsights(
        IN.GetCustomerInsightsRequest(parent=ACME, customer=p.customer, end_month=_month(this_month), months=2),
        timeout=30,
    )
    two_eur = {t.currency_code: t for t in two.by_currency}["EUR"]
    assert two_eur.amount_minor == eur + 14_000 and not two_eur.has_previous
    # The cluster view sums its members (here the one customer, whose cluster it is).
    one_txn = s.transactions.GetTransaction(
        T.GetTransactionRequest(name=f"tenants/acme/transactions/{items[0].transaction_id}")
    )
    cluster = s.insights.GetCustomerInsights(
        IN.GetCustomerInsightsRequest(parent=ACME, cluster=one_txn.cluster, end_month=_month(this_month), months=2),
        timeout=30,
    )
    assert cluster.customers >= 1
    assert {t.currency_code: t.amount_minor for t in cluster.by_currency}["EUR"] >= two_eur.amount_minor


def test_insight_errors(admin, s):
    p = payer(admin)
    call = s.insights.GetCustomerInsights
    expect_error(SC.INVALID_ARGUMENT, call, IN.GetCustomerInsightsRequest(parent=ACME), field="subject")
    expect_error(
        SC.INVALID_ARGUMENT,
        call,
        IN.GetCustomerInsightsRequest(parent=ACME, customer=p.customer, months=25),
        field="months",
    )
    expect_error(
        SC.INVALID_ARGUMENT,
        call,
        IN.GetCustomerInsightsRequest(parent=ACME, customer=p.customer, end_month=IN.YearMonth(year=2026, month=13)),
        field="end_month",
    )
    expect_error(SC.NOT_FOUND, call, IN.GetCustomerInsightsRequest(parent=ACME, customer="tenants/globex/customers/x"))
    expect_error(
        SC.NOT_FOUND, call, IN.GetCustomerInsightsRequest(parent=ACME, customer="tenants/acme/customers/nobody")
    )
    expect_error(SC.NOT_FOUND, call, IN.GetCustomerInsightsRequest(parent=ACME, cluster="tenants/acme/clusters/nope"))
