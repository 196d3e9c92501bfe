"""PSD2 strong customer authentication: which exemption may be requested, as one readable decision.

The limits are the regulation's (Commission Delegated Regulation (EU) 2018/389, the RTS on SCA), kept as data
below. ``decide`` never returns an exemption whose conditions are not all met; when none applies it returns
CHALLENGE. Amounts are compared in euro cents: a non-EUR amount is converted with the tenant's fixed rate
table, rounded up (never in the payer's favour), and a currency without a rate gets no euro-limited exemption.

Order (the first that applies wins; every check made is reported as a reason code):
  1. not a remote electronic payment (POS, ACH, MOTO)        -> CHALLENGE  (SCA_NOT_REMOTE)
  2. risk score at or over the tenant's challenge score      -> CHALLENGE  (RISK_SCORE_HIGH)
  3. recurring series, Art. 14: same payee and same amount as a series whose first payment had SCA
                                                            -> RECURRING; a first or changed payment -> CHALLENGE
  4. payee on the payer's trusted-beneficiary list, Art. 13   -> TRUSTED_BENEFICIARY
  5. low value, Art. 16: <= EUR 30 and, including this payment, at most 5 payments or EUR 100 since the
     last SCA (the tenant's PSP chooses which counter it applies; both are reported) -> LOW_VALUE
  6. transaction risk analysis, Art. 18: the acquirer's fraud rate within a reference band, the amount
     within that band's exemption threshold value, and no risk score over the tenant's TRA maximum
                                                            -> TRANSACTION_RISK_ANALYSIS
  7. otherwise                                              -> CHALLENGE  (NO_EXEMPTION_APPLIES)
"""

from __future__ import annotations

from dataclasses import dataclass, field

CHALLENGE = "CHALLENGE"
LOW_VALUE = "LOW_VALUE"
TRANSACTION_RISK_ANALYSIS = "TRANSACTION_RISK_ANALYSIS"
TRUSTED_BENEFICIARY = "TRUSTED_BENEFICIARY"
RECURRING = "RECURRING"
RECOMMENDATIONS = (CHALLENGE, LOW_VALUE, TRANSACTION_RISK_ANALYSIS, TRUSTED_BENEFICIARY, RECURRING)

# ---- the regulation's limits (data) -----------------------------------------------------------------------------

# Art. 16 low-value remote payments.
LOW_VALUE_MAX_EUR_CENTS = 30_00
LOW_VALUE_MAX_CUMULATIVE_EUR_CENTS = 100_00
LOW_VALUE_MAX_CONSECUTIVE = 5
COUNTER_COUNT, COUNTER_AMOUNT = "count", "amount"  # the one Art. 16 counter a PSP applies

# Art. 18 and its Annex: reference fraud rate (parts per million) -> exemption threshold value (euro cents).
TRA_BANDS_CARD: tuple[tuple[int, int], ...] = (
    (100, 500_00),  # fraud rate <= 0.01 %  -> up to EUR 500
    (600, 250_00),  # <= 0.06 %             -> up to EUR 250
    (1300, 100_00),  # <= 0.13 %            -> up to EUR 100
)
TRA_BANDS_CREDIT_TRANSFER: tuple[tuple[int, int], ...] = (
    (50, 500_00),  # <= 0.005 %
    (100, 250_00),  # <= 0.01 %
    (150, 100_00),  # <= 0.015 %
)
INSTRUMENT_CARD, INSTRUMENT_CREDIT_TRANSFER = "card", "credit_transfer"

# ---- reason codes ------------------------------------------------------------------------------------------------

SCA_NOT_REMOTE = "SCA_NOT_REMOTE"
RISK_SCORE_HIGH = "RISK_SCORE_HIGH"
RECURRING_SAME_AMOUNT_SAME_PAYEE = "RECURRING_SAME_AMOUNT_SAME_PAYEE"
RECURRING_FIRST_PAYMENT = "RECURRING_FIRST_PAYMENT"
RECURRING_AMOUNT_CHANGED = "RECURRING_AMOUNT_CHANGED"
TRUSTED_BENEFICIARY_LISTED = "TRUSTED_BENEFICIARY_LISTED"
LOW_VALUE_WITHIN_LIMITS = "LOW_VALUE_WITHIN_LIMITS"
LOW_VALUE_AMOUNT_OVER_LIMIT = "LOW_VALUE_AMOUNT_OVER_LIMIT"
LOW_VALUE_COUNT_EXCEEDED = "LOW_VALUE_COUNT_EXCEEDED"
LOW_VALUE_CUMULATIVE_EXCEEDED = "LOW_VALUE_CUMULATIVE_EXCEEDED"
TRA_WITHIN_BAND = "TRA_WITHIN_BAND"
TRA_AMOUNT_OVER_BAND = "TRA_AMOUNT_OVER_BAND"
TRA_FRAUD_RATE_OVER_BANDS = "TRA_FRAUD_RATE_OVER_BANDS"
TRA_NO_FRAUD_RATE = "TRA_NO_FRAUD_RATE"
TRA_RISK_SIGNALS = "TRA_RISK_SIGNALS"
CURRENCY_NOT_CONVERTIBLE = "CURRENCY_NOT_CONVERTIBLE"
NO_EXEMPTION_APPLIES = "NO_EXEMPTION_APPLIES"


@dataclass(frozen=True, slots=True)
class ScaFacts:
    """Everything the decision depends on; reported back with the recommendation."""

    amount_eur_cents: int | None  # None: the currency has no rate (no euro-limited exemption)
    remote: bool
    risk_score: int = 0
    challenge_score: int = 60  # tenant: at or over this, always challenge
    tra_max_score: int = 20  # tenant: TRA only when the score is at most this
    # Art. 16 counters since the last successful SCA (payments before this one).
    count_since_sca: int = 0
    amount_since_sca_eur_cents: int = 0
    low_value_counter: str = COUNTER_COUNT
    # Art. 14.
    recurring: bool = False
    recurring_series_established: bool = False  # same payee, first payment had SCA
    recurring_same_amount: bool = False
    # Art. 13.
    trusted_beneficiary: bool = False
    # Art. 18.
    fraud_rate_ppm: int | None = None
    instrument_kind: str = INSTRUMENT_CARD


@dataclass(frozen=True, slots=True)
class ScaDecision:
    recommendation: str
    reasons: list[str] = field(default_factory=list)  # the deciding reason first, then the checks that failed


def tra_threshold_eur_cents(fraud_rate_ppm: int, instrument_kind: str = INSTRUMENT_CARD) -> int | None:
    """The exemption threshold value for a fraud rate (the highest band it is within), or None."""
    bands = TRA_BANDS_CARD if instrument_kind == INSTRUMENT_CARD else TRA_BANDS_CREDIT_TRANSFER
    for max_rate, etv in bands:
        if 0 <= fraud_rate_ppm <= max_rate:
            return etv
    return None


def low_value_check(f: ScaFacts) -> list[str]:
    """Empty when Art. 16 allows the exemption, else why not."""
    assert f.amount_eur_cents is not None
    why: list[str] = []
    if f.amount_eur_cents > LOW_VALUE_MAX_EUR_CENTS:
        why.append(LOW_VALUE_AMOUNT_OVER_LIMIT)
    if f.low_value_counter == COUNTER_AMOUNT:
        if f.amount_since_sca_eur_cents + f.amount_eur_cents > LOW_VALUE_MAX_CUMULATIVE_EUR_CENTS:
            why.append(LOW_VALUE_CUMULATIVE_EXCEEDED)
    elif f.count_since_sca + 1 > LOW_VALUE_MAX_CONSECUTIVE:
        why.append(LOW_VALUE_COUNT_EXCEEDED)
    return why


def tra_check(f: ScaFacts) -> list[str]:
    """Empty when Art. 18 allows the exemption, else why not."""
    assert f.amount_eur_cents is not None
    if f.fraud_rate_ppm is None:
        return [TRA_NO_FRAUD_RATE]
    etv = tra_threshold_eur_cents(f.fraud_rate_ppm, f.instrument_kind)
    why: list[str] = []
    if etv is None:
        why.append(TRA_FRAUD_RATE_OVER_BANDS)
    elif f.amount_eur_cents > etv:
        why.append(TRA_AMOUNT_OVER_BAND)
    if f.risk_score > f.tra_max_score:
        why.append(TRA_RISK_SIGNALS)
    return why


def decide(f: ScaFacts) -> ScaDecision:
    if not f.remote:
        return ScaDecision(CHALLENGE, [SCA_NOT_REMOTE])
    if f.risk_score >= f.challenge_score:
        return ScaDecision(CHALLENGE, [RISK_SCORE_HIGH])
    if f.recurring:
        if f.recurring_series_established and f.recurring_same_amount:
            return ScaDecision(RECURRING, [RECURRING_SAME_AMOUNT_SAME_PAYEE])
        return ScaDecision(
            CHALLENGE, [RECURRING_AMOUNT_CHANGED if f.recurring_series_established else RECURRING_FIRST_PAYMENT]
        )
    if f.trusted_beneficiary:
        return ScaDecision(TRUSTED_BENEFICIARY, [TRUSTED_BENEFICIARY_LISTED])
    if f.amount_eur_cents is None:
        return ScaDecision(CHALLENGE, [CURRENCY_NOT_CONVERTIBLE])
    failed = low_value_check(f)
    if not failed:
        return ScaDecision(LOW_VALUE, [LOW_VALUE_WITHIN_LIMITS])
    tra_failed = tra_check(f)
    if not tra_failed:
        return ScaDecision(TRANSACTION_RISK_ANALYSIS, [TRA_WITHIN_BAND, *failed])
    return ScaDecision(CHALLENGE, [NO_EXEMPTION_APPLIES, *failed, *tra_failed])
