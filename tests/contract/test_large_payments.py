"""LARGE_OR_UNUSUAL_TRANSACTION notices from BatchRecordTransactions, through a real server (default rules:
large = EUR 1,000.00; unusual = 10x the average of the 3 earlier months or a new merchant country, given at least
5 earlier payments)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from crs.v1 import notification_pb2, notification_pb2_grpc
from crs.v1 import transaction_pb2 as T
from tests.helpers.transactions import payer, record, stubs, txn

N = notification_pb2
KIND = N.NOTIFICATION_KIND_LARGE_OR_UNUSUAL_TRANSACTION


@pytest.fixture(scope="module")
def notices(crs_server):  # type: ignore[no-untyped-def]
    return crs_server.stub(notification_pb2_grpc.NotificationServiceStub, "acme-admin")


def _flagged(notices: Any, customer: str) -> dict[str, str]:
    """transaction name -> reason of each LARGE_OR_UNUSUAL_TRANSACTION notice of the customer."""
    got = notices.ListNotifications(N.ListNotificationsRequest(parent=customer), timeout=30).entries
    return {e.notification.facts["transaction"]: e.notification.facts["reason"] for e in got if e.kind == KIND}


def _name(item: T.TransactionInput) -> str:
    return f"tenants/acme/transactions/{item.transaction_id}"


def test_a_large_payment_is_notified_once(crs_server, admin, notices):  # type: ignore[no-untyped-def]
    p = payer(admin)
    s = stubs(crs_server)
    large = txn(p.token, amount=1_500_00)
    small = txn(p.token, amount=999_99)
    declined = txn(p.token, amount=5_000_00, result=T.TRANSACTION_RESULT_DECLINED, decline_reason="51")
    refund = txn(p.token, amount=2_000_00, kind=T.TRANSACTION_KIND_REFUND)
    usd = txn(p.token, amount=9_000_00, currency="USD")  # no USD threshold by default
    assert record(s, [large, small, declined, refund, usd]).recorded == 5
    assert _flagged(notices, p.customer) == {_name(large): "LARGE"}
    entry = notices.ListNotifications(N.ListNotificationsRequest(parent=p.customer), timeout=30).entries[0]
    assert entry.notification.facts["amount_minor"] == "150000" and entry.notification.purpose == "security"
    again = record(s, [large])  # the switch re-sends: a duplicate, no second notice
    assert again.duplicates == 1
    assert len(notices.ListNotifications(N.ListNotificationsRequest(parent=p.customer), timeout=30).entries) == 1


def test_an_unusual_amount_or_country_against_earlier_months(crs_server, admin, notices):  # type: ignore[no-untyped-def]
    p = payer(admin)
    s = stubs(crs_server)
    now = dt.datetime.now(dt.UTC)
    last_month = now.replace(day=1, hour=12, minute=0, second=0, microsecond=0) - dt.timedelta(days=10)
    usual = [txn(p.token, amount=20_00 + i, when=last_month + dt.timedelta(hours=i)) for i in range(6)]
    assert record(s, usual).recorded == 6
    assert _flagged(notices, p.customer) == {}  # no history before these: nothing is unusual yet
    when = now - dt.timedelta(seconds=30)
    ordinary = txn(p.token, amount=60_00, when=when)
    high = txn(p.token, amount=300_00, when=when)  # >= 10 x the EUR 20 average, below the large threshold
    abroad = txn(p.token, amount=15_00, when=when, merchant_country="BR")
    got = record(s, [ordinary, high, abroad])
    assert got.recorded == 3
    assert _flagged(notices, p.customer) == {_name(high): "UNUSUAL_AMOUNT", _name(abroad): "NEW_COUNTRY"}
