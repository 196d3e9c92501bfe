"""Recorded transactions as risk facts: every enum value mapped explicitly, only payments fed, and the chain
after recording runs every consumer even when one fails."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging

import pytest

from crs.domain.after_recording import AfterRecording
from crs.domain.context import CallContext, Principal
from crs.domain.risk import txn as R
from crs.domain.risk.from_transactions import EXEMPTIONS, SCA_OUTCOMES, is_payment, risk_txn
from crs.domain.transactions import model as M
from crs.domain.transactions.model import TransactionRecord
from crs.v1 import transaction_pb2 as T


def _rec(**kw: object) -> TransactionRecord:
    fields: dict[str, object] = {
        "tenant": "acme",
        "id": "t1",
        "kind": M.AUTHORIZATION,
        "amount_minor": 12_00,
        "currency": "EUR",
        "channel": M.ECOMMERCE,
        "result": M.APPROVED,
        "occurred_us": 1_700_000_000_000_000,
        "customer_id": "c1",
        "account_id": "a1",
    }
    fields.update(kw)
    return TransactionRecord(**fields)  # type: ignore[arg-type]


def test_every_proto_enum_value_is_mapped() -> None:
    assert set(SCA_OUTCOMES) == set(T.ScaOutcome.values())
    assert set(EXEMPTIONS) == set(T.ScaExemption.values())
    assert set(R.CHANNELS) == set(T.PaymentChannel.values())


def test_fields_and_enums() -> None:
    card = risk_txn(_rec(card_id="k1", cluster_id="cl", merchant_id="m", merchant_country="NL"), "tok-1")
    assert (card.instrument, card.cluster_id, card.customer_id, card.merchant_id) == ("tok-1", "cl", "c1", "m")
    assert (card.result, card.sca_outcome, card.exemption, card.recurring) == ("APPROVED", "NOT_PERFORMED", "", False)
    bank = risk_txn(_rec(channel=M.ACH, result=M.DECLINED))
    assert (bank.instrument, bank.channel, bank.result) == ("tenants/acme/accounts/a1", R.CHANNEL_ACH, "DECLINED")
    assert risk_txn(_rec(sca_outcome=M.SCA_CHALLENGE_SUCCEEDED)).sca_outcome == R.SCA_SUCCEEDED
    assert risk_txn(_rec(sca_outcome=M.SCA_CHALLENGE_FAILED)).sca_outcome == R.SCA_FAILED
    # Frictionless 3-D Secure is not SCA: it must never reset the low-value counters.
    assert risk_txn(_rec(sca_outcome=M.SCA_FRICTIONLESS)).sca_outcome == R.SCA_EXEMPTED
    low = risk_txn(_rec(sca_outcome=M.SCA_EXEMPTION_APPLIED, sca_exemption=1))
    assert (low.sca_outcome, low.exemption, low.recurring) == (R.SCA_EXEMPTED, "LOW_VALUE", False)
    for exemption in (4, 5):  # RECURRING, MERCHANT_INITIATED imply a recurring payment
        assert risk_txn(_rec(sca_outcome=M.SCA_EXEMPTION_APPLIED, sca_exemption=exemption)).recurring
    assert risk_txn(_rec(recurring=True, sca_outcome=M.SCA_CHALLENGE_SUCCEEDED)).recurring


def test_only_payments_are_fed() -> None:
    assert is_payment(_rec(kind=M.AUTHORIZATION)) and is_payment(_rec(kind=M.TRANSFER))
    assert is_payment(_rec(kind=M.CAPTURE))  # a one-step sale
    assert not is_payment(_rec(kind=M.CAPTURE, original_id="auth-1"))  # the authorization was counted
    for kind in (M.REFUND, M.REVERSAL, M.CHARGEBACK):
        assert not is_payment(_rec(kind=kind))


def test_recurring_is_hashed_only_when_set() -> None:
    base = M.TransactionInput("t1", 1, 100, "EUR", "m", "5999", "NL", 2, "tok", "", 1, "", 1, 0, 1_700_000_000_000_000)
    flagged = M.TransactionInput(**{**{f: getattr(base, f) for f in base.__slots__}, "recurring": True})
    assert M.content_hash(base) != M.content_hash(flagged)
    # The hash of an unflagged report is what it was before the field existed (stored reports stay duplicates):
    # sha256 over the JSON list of the switch's fields in declaration order.
    before = ["t1", 1, 100, "EUR", "m", "5999", "NL", 2, "tok", "", 1, "", 1, 0, 1_700_000_000_000_000, ""]
    assert M.content_hash(base) == hashlib.sha256(json.dumps(before).encode()).hexdigest()[:32]


def test_a_failing_consumer_does_not_skip_the_next(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[str] = []

    async def broken(_ctx: CallContext, _tenant: str, _recs: list[TransactionRecord]) -> None:
        seen.append("broken")
        raise RuntimeError("store down")

    async def fine(_ctx: CallContext, tenant: str, recs: list[TransactionRecord]) -> None:
        seen.append(f"fine {tenant} {len(recs)}")

    chain = AfterRecording([("segments", broken), ("risk", fine)])
    ctx = CallContext(Principal("k", "acme", frozenset({"write"})), "/m")
    with caplog.at_level(logging.ERROR, "crs.transactions"):
        asyncio.run(chain(ctx, "acme", [_rec()]))
    assert seen == ["broken", "fine acme 1"]
    assert "segments after recording 1 transactions failed" in caplog.text
