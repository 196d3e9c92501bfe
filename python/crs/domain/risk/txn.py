"""The transaction facts risk and checkout need, independent of how transactions are recorded.

``TransactionService.RecordTransactions`` (issue 8) builds one ``RiskTxn`` per newly recorded transaction and
passes it to ``Velocity.observe`` and ``ScaStates.observe``.
"""

from __future__ import annotations

from dataclasses import dataclass

# Channels (crs.v1.PaymentChannel numbers).
CHANNEL_UNSPECIFIED, CHANNEL_POS, CHANNEL_ECOMMERCE, CHANNEL_ACH, CHANNEL_WALLET, CHANNEL_MOTO = 0, 1, 2, 3, 4, 5
CHANNELS = range(0, 6)
# Remote electronic payments (PSD2 RTS Art. 16, 18 apply to these).
REMOTE_CHANNELS = frozenset({CHANNEL_ECOMMERCE, CHANNEL_WALLET})

# Results of the reported transaction.
RESULT_APPROVED, RESULT_DECLINED = "APPROVED", "DECLINED"

# SCA outcome of the reported transaction (crs.v1.ScaOutcome names).
SCA_NOT_PERFORMED, SCA_SUCCEEDED, SCA_FAILED, SCA_EXEMPTED = "NOT_PERFORMED", "SUCCEEDED", "FAILED", "EXEMPTED"


@dataclass(frozen=True, slots=True)
class RiskTxn:
    tenant: str
    transaction_id: str  # the switch's id: duplicates by this id are counted once
    cluster_id: str  # the payer's cluster when recorded ("" if none yet)
    customer_id: str
    instrument: str  # card token, or the account name for bank payments
    amount_minor: int
    currency: str  # ISO 4217
    merchant_id: str
    merchant_country: str  # ISO 3166-1 alpha-2
    channel: int
    occurred_us: int
    result: str = RESULT_APPROVED
    sca_outcome: str = SCA_NOT_PERFORMED
    exemption: str = ""  # the exemption applied when sca_outcome is EXEMPTED (sca_rules names)
    recurring: bool = False  # part of a series of same-amount payments to the same payee (Art. 14) / MIT
