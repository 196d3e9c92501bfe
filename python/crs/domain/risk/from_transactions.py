"""Recorded transactions (``crs.domain.transactions``) as the facts risk and checkout count (``RiskTxn``).

Which transactions are payments: an AUTHORIZATION, a TRANSFER, and a CAPTURE reported without an original
transaction (a one-step sale). A capture of an authorization, refunds, reversals and chargebacks are not new
payments and are not fed (the authorization was counted already).
"""

from __future__ import annotations

from collections.abc import Iterable

from crs.domain.records import CardRecord, decode
from crs.domain.risk import txn as R
from crs.domain.transactions import model as M
from crs.domain.transactions.model import TransactionRecord
from crs.storage import schema
from crs.storage.base import Store

# Both sides use crs.v1.PaymentChannel numbers (transaction.proto); asserted here so a drift fails at import.
assert (M.POS, M.ECOMMERCE, M.ACH, M.WALLET) == (R.CHANNEL_POS, R.CHANNEL_ECOMMERCE, R.CHANNEL_ACH, R.CHANNEL_WALLET)

RESULTS = {M.APPROVED: R.RESULT_APPROVED, M.DECLINED: R.RESULT_DECLINED}
# A frictionless 3-D Secure flow is not SCA (no second factor was checked: the issuer let it through on risk),
# so it never resets the Art. 16 counters; it is reported as exempted (by the issuer).
SCA_OUTCOMES = {
    0: R.SCA_NOT_PERFORMED,
    M.SCA_NOT_APPLICABLE: R.SCA_NOT_PERFORMED,
    M.SCA_FRICTIONLESS: R.SCA_EXEMPTED,
    M.SCA_CHALLENGE_SUCCEEDED: R.SCA_SUCCEEDED,
    M.SCA_CHALLENGE_FAILED: R.SCA_FAILED,
    M.SCA_EXEMPTION_APPLIED: R.SCA_EXEMPTED,
}
# crs.v1.ScaExemption -> the exemption names of checkout/sca_rules.py (and two outside its decision).
EXEMPTIONS = {
    0: "",
    1: "LOW_VALUE",
    2: "TRANSACTION_RISK_ANALYSIS",
    3: "TRUSTED_BENEFICIARY",
    4: "RECURRING",
    5: "MERCHANT_INITIATED",
    6: "SECURE_CORPORATE",
}
RECURRING_EXEMPTIONS = frozenset({4, 5})


def is_payment(rec: TransactionRecord) -> bool:
    if rec.kind in (M.AUTHORIZATION, M.TRANSFER):
        return True
    return rec.kind == M.CAPTURE and not rec.original_id


def risk_txn(rec: TransactionRecord, card_token: str = "") -> R.RiskTxn:
    """``card_token``: the paying card's vault token (a card payment); otherwise the account name is used."""
    instrument = card_token if rec.card_id else f"tenants/{rec.tenant}/accounts/{rec.account_id}"
    return R.RiskTxn(
        tenant=rec.tenant,
        transaction_id=rec.id,
        cluster_id=rec.cluster_id,
        customer_id=rec.customer_id,
        instrument=instrument,
        amount_minor=rec.amount_minor,
        currency=rec.currency,
        merchant_id=rec.merchant_id,
        merchant_country=rec.merchant_country,
        channel=rec.channel,
        occurred_us=rec.occurred_us,
        result=RESULTS[rec.result],
        sca_outcome=SCA_OUTCOMES[rec.sca_outcome],
        exemption=EXEMPTIONS[rec.sca_exemption] if rec.sca_outcome == M.SCA_EXEMPTION_APPLIED else "",
        recurring=rec.recurring or rec.sca_exemption in RECURRING_EXEMPTIONS,
    )


async def risk_txns(store: Store, tenant: str, records: Iterable[TransactionRecord]) -> list[R.RiskTxn]:
    """The payments among ``records``, in order (one ``get_many`` of the cards for their tokens)."""
    payments = [r for r in records if is_payment(r)]
    card_ids = sorted({r.card_id for r in payments if r.card_id})
    stored = await store.get_many(schema.cards_by_id, [(tenant, c) for c in card_ids])
    tokens = {c: decode(CardRecord, s.value).token for c, s in zip(card_ids, stored, strict=True) if s is not None}
    return [risk_txn(r, tokens.get(r.card_id, "")) for r in payments]
