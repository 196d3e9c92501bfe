"""The transaction record, its enumerations and the per-item validation of what the switch reports."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, fields

from crs.domain.errors import Violations
from crs.domain.ids import valid_id
from crs.domain.validation import ISO_4217, check_region, check_text

AUTHORIZATION, CAPTURE, REFUND, REVERSAL, CHARGEBACK, TRANSFER = 1, 2, 3, 4, 5, 6
KIND_NAMES = {
    AUTHORIZATION: "AUTHORIZATION",
    CAPTURE: "CAPTURE",
    REFUND: "REFUND",
    REVERSAL: "REVERSAL",
    CHARGEBACK: "CHARGEBACK",
    TRANSFER: "TRANSFER",
}
POS, ECOMMERCE, ACH, WALLET = 1, 2, 3, 4
CHANNEL_NAMES = {POS: "POS", ECOMMERCE: "ECOMMERCE", ACH: "ACH", WALLET: "WALLET"}
APPROVED, DECLINED = 1, 2
SCA_NOT_APPLICABLE, SCA_FRICTIONLESS, SCA_CHALLENGE_SUCCEEDED, SCA_CHALLENGE_FAILED, SCA_EXEMPTION_APPLIED = (
    1,
    2,
    3,
    4,
    5,
)
SCA_EXEMPTIONS = range(1, 7)
# Money that left the customer: what "spend" means in aggregates, tiers and insights (approved only).
SPEND_KINDS = frozenset({CAPTURE, TRANSFER})
MAX_AMOUNT_MINOR = 10**15
MAX_BATCH = 500
EARLIEST_US = 946_684_800_000_000  # 2000-01-01
FUTURE_SLACK_US = 86_400_000_000  # a switch clock may run a little ahead; a day at most
_MCC = re.compile(r"[0-9]{4}")
# 12-19 digits, optionally separated: a possible card number in a free-text field is refused, never stored.
_CARD_NUMBER = re.compile(r"(?:\d[ -]?){11,18}\d")


@dataclass(slots=True)
class TransactionInput:
    """One reported transaction, as the API layer hands it over (no gRPC types)."""

    transaction_id: str
    kind: int
    amount_minor: int
    currency: str
    merchant_id: str
    mcc: str
    merchant_country: str
    channel: int
    card_token: str
    account_id: str  # from the instrument's account resource name (already in the caller's tenant)
    result: int
    decline_reason: str
    sca_outcome: int
    sca_exemption: int
    occurred_us: int
    original_id: str = ""
    bad_account: bool = False  # the instrument account name did not parse
    recurring: bool = False  # part of a recurring series / merchant-initiated (PSD2 Art. 14)


@dataclass(slots=True)
class TransactionRecord:
    tenant: str
    id: str
    kind: int
    amount_minor: int
    currency: str
    channel: int
    result: int
    occurred_us: int
    customer_id: str
    account_id: str
    card_id: str = ""
    cluster_id: str = ""
    merchant_id: str = ""
    mcc: str = ""
    merchant_country: str = ""
    decline_reason: str = ""
    sca_outcome: int = SCA_NOT_APPLICABLE
    sca_exemption: int = 0
    original_id: str = ""
    record_us: int = 0
    content_hash: str = ""
    recurring: bool = False

    @property
    def is_spend(self) -> bool:
        return self.result == APPROVED and self.kind in SPEND_KINDS


def month_of(time_us: int) -> str:
    return dt.datetime.fromtimestamp(time_us / 1e6, dt.UTC).strftime("%Y%m")


def rtime(time_us: int) -> str:
    """Clustering text that sorts newest first."""
    return str(10**16 - time_us).zfill(17)


_CONTENT_FIELDS = tuple(f.name for f in fields(TransactionInput) if f.name not in ("bad_account", "recurring"))


def transaction_name(tenant: str, transaction_id: str) -> str:
    return f"tenants/{tenant}/transactions/{transaction_id}"


def content_hash(inp: TransactionInput) -> str:
    """What makes two reports of one id the same transaction (everything the switch sent)."""
    fields = [getattr(inp, name) for name in _CONTENT_FIELDS]  # asdict() is slow (deep copies)
    if inp.recurring:  # hashed only when set: reports recorded before the field existed keep their hash
        fields.append("recurring")
    return hashlib.sha256(json.dumps(fields).encode()).hexdigest()[:32]


def _free_text(v: Violations, path: str, value: str, limit: int) -> None:
    check_text(v, path, value, limit=limit)
    if _CARD_NUMBER.search(value):
        v.add(path, "must not contain a card number")


def _check_instrument(v: Violations, inp: TransactionInput) -> None:
    if inp.bad_account:
        v.add("transaction.instrument_account", "must be tenants/{tenant}/accounts/{id}")
    elif bool(inp.card_token) == bool(inp.account_id):
        v.add("transaction.instrument", "set exactly one of card_token or instrument_account")


def _check_result(v: Violations, inp: TransactionInput) -> None:
    if inp.result not in (APPROVED, DECLINED):
        v.add("transaction.result", "must be APPROVED or DECLINED")
    if inp.decline_reason and inp.result != DECLINED:
        v.add("transaction.decline_reason", "is only set for DECLINED transactions")
    _free_text(v, "transaction.decline_reason", inp.decline_reason, 200)
    if inp.sca_outcome not in range(0, 6):
        v.add("transaction.sca_outcome", "must be a defined SCA outcome")
    if inp.sca_outcome == SCA_EXEMPTION_APPLIED and inp.sca_exemption not in SCA_EXEMPTIONS:
        v.add("transaction.sca_exemption", "is required with SCA_OUTCOME_EXEMPTION_APPLIED")
    if inp.sca_outcome != SCA_EXEMPTION_APPLIED and inp.sca_exemption:
        v.add("transaction.sca_exemption", "is only set with SCA_OUTCOME_EXEMPTION_APPLIED")


def validate(inp: TransactionInput, now_us: int) -> Violations:
    """Every problem of one item (paths relative to the TransactionInput)."""
    v = Violations()
    if not valid_id(inp.transaction_id):
        v.add("transaction_id", "must match ^[a-z0-9][a-z0-9-]{0,62}$")
    if inp.kind not in KIND_NAMES:
        v.add("transaction.kind", "must be a defined transaction kind")
    if not 0 < inp.amount_minor < MAX_AMOUNT_MINOR:
        v.add("transaction.amount_minor", "must be a positive amount in minor units")
    if inp.currency not in ISO_4217:
        v.add("transaction.currency_code", "must be an ISO 4217 currency code")
    _free_text(v, "transaction.merchant_id", inp.merchant_id, 64)
    if inp.mcc and not _MCC.fullmatch(inp.mcc):
        v.add("transaction.mcc", "must be 4 digits")
    check_region(v, "transaction.merchant_country", inp.merchant_country)
    if inp.channel not in CHANNEL_NAMES:
        v.add("transaction.channel", "must be POS, ECOMMERCE, ACH or WALLET")
    _check_instrument(v, inp)
    _check_result(v, inp)
    if not EARLIEST_US <= inp.occurred_us <= now_us + FUTURE_SLACK_US:
        v.add("transaction.occur_time", "is required, after 2000 and not more than a day ahead")
    if inp.original_id and not valid_id(inp.original_id):
        v.add("transaction.original_transaction_id", "must match ^[a-z0-9][a-z0-9-]{0,62}$")
    return v
