"""TransactionService contract: per-item results, idempotency by transaction id, reads and time-ranged lists."""

from __future__ import annotations

import datetime as dt

import grpc
import pytest

from crs.v1 import transaction_pb2
from tests.helpers.data import ACME, GLOBEX, uid
from tests.helpers.rpc import expect_error, list_all
from tests.helpers.transactions import at, payer, record, stubs, txn

T = transaction_pb2
SC = grpc.StatusCode
NOW = dt.datetime.now(dt.UTC)


@pytest.fixture(scope="module")
def s(crs_server):  # type: ignore[no-untyped-def]
    return stubs(crs_server)


def test_record_by_card_token_resolves_card_account_customer_and_cluster(admin, s):
    p = payer(admin)
    resp = record(s, [txn(p.token, tid=f"t-{uid()}", sca_outcome=T.SCA_OUTCOME_CHALLENGE_SUCCEEDED)])
    assert [r.status for r in resp.results] == [T.RECORD_STATUS_RECORDED]
    assert (resp.recorded, resp.duplicates, resp.rejected) == (1, 0, 0)
    got = s.transactions.GetTransaction(T.GetTransactionRequest(name=resp.results[0].name), timeout=30)
    assert got.card == p.card and got.account == p.account and got.customer == p.customer
    assert got.cluster.startswith("tenants/acme/clusters/")
    assert got.amount_minor == 1234 and got.currency_code == "EUR" and got.mcc == "5411"
    assert got.sca_outcome == T.SCA_OUTCOME_CHALLENGE_SUCCEEDED
    assert got.card_token == "" and got.instrument_account == ""  # the token is input only
    assert got.record_time.seconds > 0


def test_record_by_account_and_exemption(admin, s):
    p = payer(admin)
    item = txn(
        account=p.account,
        kind=T.TRANSACTION_KIND_TRANSFER,
        channel=T.PAYMENT_CHANNEL_ACH,
        sca_outcome=T.SCA_OUTCOME_EXEMPTION_APPLIED,
        sca_exemption=T.SCA_EXEMPTION_TRUSTED_BENEFICIARY,
    )
    resp = record(s, [item])
    assert resp.results[0].status == T.RECORD_STATUS_RECORDED, resp
    got = s.transactions.GetTransaction(T.GetTransactionRequest(name=resp.results[0].name), timeout=30)
    assert got.card == "" and got.account == p.account and got.customer == p.customer
    assert got.instrument_account == p.account
    assert got.sca_exemption == T.SCA_EXEMPTION_TRUSTED_BENEFICIARY


def test_per_item_errors_keep_the_rest(admin, s):
    p = payer(admin)
    good = txn(p.token)
    unknown_token = txn("4111110000009999")
    unknown_account = txn(account="tenants/acme/accounts/nope-" + uid())
    foreign_account = txn(account="tenants/globex/accounts/whatever")
    bad_fields = txn(p.token, amount=-5, currency="XXQ", mcc="12a", channel=0)
    no_instrument = txn()
    pan_in_text = txn(p.token, merchant="shop 4111 1111 1111 1111")
    declined_with_reason = txn(p.token, result=T.TRANSACTION_RESULT_DECLINED, decline_reason="51 insufficient funds")
    approved_with_reason = txn(p.token, decline_reason="51")
    exemption_missing = txn(p.token, sca_outcome=T.SCA_OUTCOME_EXEMPTION_APPLIED)
    bad_id = txn(p.token, tid="Not Valid!")
    future = txn(p.token, when=NOW + dt.timedelta(days=3))
    items = [
        good,
        unknown_token,
        unknown_account,
        foreign_account,
        bad_fields,
        no_instrument,
        pan_in_text,
        declined_with_reason,
        approved_with_reason,
        exemption_missing,
        bad_id,
        future,
    ]
    resp = record(s, items)
    statuses = [r.status for r in resp.results]
    R, X = T.RECORD_STATUS_RECORDED, T.RECORD_STATUS_REJECTED
    assert statuses == [R, X, X, X, X, X, X, R, X, X, X, X], resp
    reasons = [r.reason for r in resp.results]
    assert reasons[1:4] == ["UNKNOWN_INSTRUMENT"] * 3
    assert reasons[4] == "INVALID_ARGUMENT"
    assert set(resp.results[4].fields) == {
        "transaction.amount_minor",
        "transaction.currency_code",
        "transaction.mcc",
        "transaction.channel",
    }
    assert resp.results[5].fields == ["transaction.instrument"]
    assert resp.results[6].fields == ["transaction.merchant_id"]
    assert "4111" not in resp.results[6].message
    assert resp.results[8].fields == ["transaction.decline_reason"]
    assert resp.results[9].fields == ["transaction.sca_exemption"]
    assert resp.results[10].fields == ["transaction_id"]
    assert resp.results[11].fields == ["transaction.occur_time"]
    assert (resp.recorded, resp.rejected) == (2, 10)
    for rejected in (unknown_token, bad_fields):
        name = f"tenants/acme/transactions/{rejected.transaction_id}"
        expect_error(SC.NOT_FOUND, s.transactions.GetTransaction, T.GetTransactionRequest(name=name), timeout=30)


def test_idempotent_by_transaction_id(admin, s):
    p = payer(admin)
    first = txn(p.token)
    assert record(s, [first]).results[0].status == T.RECORD_STATUS_RECORDED
    again = record(s, [first])
    assert again.results[0].status == T.RECORD_STATUS_DUPLICATE and again.duplicates == 1
    changed = T.TransactionInput()
    changed.CopyFrom(first)
    changed.transaction.amount_minor += 1
    reused = record(s, [changed])
    assert reused.results[0].status == T.RECORD_STATUS_REJECTED
    assert reused.results[0].reason == "TRANSACTION_ID_REUSED"
    # Within one batch: the same id twice with the same content is a duplicate, with other content rejected.
    twin = txn(p.token)
    twin_changed = T.TransactionInput()
    twin_changed.CopyFrom(twin)
    twin_changed.transaction.mcc = "5812"
    resp = record(s, [twin, twin, twin_changed])
    assert [r.status for r in resp.results] == [
        T.RECORD_STATUS_RECORDED,
        T.RECORD_STATUS_DUPLICATE,
        T.RECORD_STATUS_REJECTED,
    ]
    listed = list_all(
        s.transactions.ListTransactions, T.ListTransactionsRequest(parent=ACME, customer=p.customer), "transactions"
    )
    assert sorted(t.name.rsplit("/", 1)[1] for t in listed) == sorted([first.transaction_id, twin.transaction_id])


def test_batch_limits_and_parent(admin, s):
    expect_error(SC.INVALID_ARGUMENT, record, s, [], field="transactions")
    p = payer(admin)
    expect_error(SC.INVALID_ARGUMENT, record, s, [txn(p.token) for _ in range(501)], field="transactions")
    expect_error(SC.NOT_FOUND, record, s, [txn(p.token)], parent=GLOBEX)
    expect_error(SC.INVALID_ARGUMENT, record, s, [txn(p.token)], parent="tenants/")


def test_list_by_customer_cluster_account_card_time_range_paged(admin, s):
    p = payer(admin)
    base = dt.datetime(2025, 1, 15, 12, tzinfo=dt.UTC)
    whens = [base + dt.timedelta(days=17 * i, hours=i) for i in range(10)]  # spans 6 months
    items = [txn(p.token, when=w) for w in whens]
    items[3] = txn(account=p.account, when=whens[3])  # not by card
    # out of order arrival: newest first, then the rest
    assert record(s, items[::-1][:4]).recorded == 4
    assert record(s, items[::-1][4:]).recorded == 6
    start, end = at(base - dt.timedelta(days=1)), at(base + dt.timedelta(days=400))

    def listed(**scope: str) -> list[str]:
        req = T.ListTransactionsRequest(parent=ACME, start_time=start, end_time=end, **scope)
        return [t.name.rsplit("/", 1)[1] for t in list_all(s.transactions.ListTransactions, req, "transactions", 3)]

    newest_first = [i.transaction_id for i in items][::-1]
    assert listed(customer=p.customer) == newest_first
    assert listed(account=p.account) == newest_first
    assert listed(card=p.card) == [t for t in newest_first if t != items[3].transaction_id]
    one = s.transactions.GetTransaction(T.GetTransactionRequest(name=f"tenants/acme/transactions/{newest_first[0]}"))
    assert listed(cluster=one.cluster) == newest_first
    # A narrower range: [whens[2], whens[5]) -> items 2, 3, 4.
    req = T.ListTransactionsRequest(parent=ACME, customer=p.customer, start_time=at(whens[2]), end_time=at(whens[5]))
    got = [t.name.rsplit("/", 1)[1] for t in list_all(s.transactions.ListTransactions, req, "transactions", 2)]
    assert got == [items[4].transaction_id, items[3].transaction_id, items[2].transaction_id]


def test_list_errors(admin, s):
    p = payer(admin)
    expect_error(SC.INVALID_ARGUMENT, s.transactions.ListTransactions, T.ListTransactionsRequest(parent=ACME))
    expect_error(
        SC.NOT_FOUND,
        s.transactions.ListTransactions,
        T.ListTransactionsRequest(parent=ACME, customer="tenants/globex/customers/x"),
    )
    expect_error(
        SC.INVALID_ARGUMENT,
        s.transactions.ListTransactions,
        T.ListTransactionsRequest(parent=ACME, customer=p.customer, start_time=at(NOW), end_time=at(NOW)),
        field="start_time",
    )
    expect_error(
        SC.INVALID_ARGUMENT,
        s.transactions.ListTransactions,
        T.ListTransactionsRequest(parent=ACME, customer=p.customer, page_token="garbage"),
        field="page_token",
    )
    other = T.ListTransactionsRequest(parent=ACME, account=p.account, page_token="x")
    expect_error(SC.INVALID_ARGUMENT, s.transactions.ListTransactions, other, field="page_token")


def test_other_tenant_cannot_read(admin, globex, s, crs_server):
    p = payer(admin)
    name = record(s, [txn(p.token)]).results[0].name
    theirs = stubs(crs_server, "globex-admin")
    expect_error(SC.NOT_FOUND, theirs.transactions.GetTransaction, T.GetTransactionRequest(name=name))
    # Their own tenant's name with our id: not found either.
    mirror = name.replace("tenants/acme", "tenants/globex")
    expect_error(SC.NOT_FOUND, theirs.transactions.GetTransaction, T.GetTransactionRequest(name=mirror))


def test_recording_needs_write_scope(crs_server, admin):
    p = payer(admin)
    reader = stubs(crs_server, "acme-read")
    expect_error(SC.PERMISSION_DENIED, record, reader, [txn(p.token)], reason="MISSING_SCOPE")
