"""Factories for transaction tests: a customer with an account and a card, and transaction messages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from google.protobuf import timestamp_pb2

from crs.v1 import insight_pb2_grpc, segment_pb2_grpc, transaction_pb2, transaction_pb2_grpc

from .data import ACME, create_account, create_customer, register_card, uid

T = transaction_pb2


@dataclass
class Payer:
    customer: str
    account: str
    card: str
    token: str


@dataclass
class TxnStubs:
    transactions: Any
    segments: Any
    insights: Any


def stubs(server: Any, key: str = "acme-admin") -> TxnStubs:
    channel = server.channel(key)
    return TxnStubs(
        transaction_pb2_grpc.TransactionServiceStub(channel),
        segment_pb2_grpc.SegmentServiceStub(channel),
        insight_pb2_grpc.InsightServiceStub(channel),
    )


def payer(clients: Any, parent: str = ACME) -> Payer:
    c = create_customer(clients, parent=parent)
    a = create_account(clients, c.name, parent=parent)
    card = register_card(clients, a.name, parent=parent)
    return Payer(c.name, a.name, card.name, card.token)


def at(when: dt.datetime) -> timestamp_pb2.Timestamp:
    out = timestamp_pb2.Timestamp()
    out.FromDatetime(when)
    return out


def txn(
    token: str = "",
    account: str = "",
    *,
    tid: str | None = None,
    kind: int = T.TRANSACTION_KIND_CAPTURE,
    amount: int = 1234,
    currency: str = "EUR",
    mcc: str = "5411",
    merchant: str = "m-grocer",
    channel: int = T.PAYMENT_CHANNEL_POS,
    result: int = T.TRANSACTION_RESULT_APPROVED,
    when: dt.datetime | None = None,
    **extra: Any,
) -> transaction_pb2.TransactionInput:
    fields: dict[str, Any] = {
        "kind": kind,
        "amount_minor": amount,
        "currency_code": currency,
        "merchant_id": merchant,
        "mcc": mcc,
        "merchant_country": "EE",
        "channel": channel,
        "result": result,
        "sca_outcome": T.SCA_OUTCOME_FRICTIONLESS,
        "occur_time": at(when or dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)),
    }
    if token:
        fields["card_token"] = token
    if account:
        fields["instrument_account"] = account
    fields.update(extra)
    return T.TransactionInput(transaction_id=tid or f"t-{uid()}", transaction=T.Transaction(**fields))


def record(s: TxnStubs, items: list[transaction_pb2.TransactionInput], parent: str = ACME) -> Any:
    return s.transactions.BatchRecordTransactions(
        T.BatchRecordTransactionsRequest(parent=parent, transactions=items), timeout=30
    )
