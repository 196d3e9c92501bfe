"""The PSD2 SCA rules module at every boundary, and a property: no exemption outside the regulation's limits."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crs.domain.checkout import sca_rules as R
from crs.domain.checkout.sca_rules import ScaFacts, decide

BASE = ScaFacts(amount_eur_cents=10_00, remote=True)


def rec(f: ScaFacts) -> str:
    return decide(f).recommendation


def test_not_remote_is_always_challenged() -> None:
    d = decide(replace(BASE, remote=False, trusted_beneficiary=True))
    assert (d.recommendation, d.reasons) == (R.CHALLENGE, [R.SCA_NOT_REMOTE])


def test_risk_score_at_challenge_score_forces_challenge() -> None:
    assert rec(replace(BASE, risk_score=59, challenge_score=60)) == R.LOW_VALUE
    d = decide(replace(BASE, risk_score=60, challenge_score=60, trusted_beneficiary=True))
    assert (d.recommendation, d.reasons) == (R.CHALLENGE, [R.RISK_SCORE_HIGH])


@pytest.mark.parametrize(("amount", "expected"), [(30_00, R.LOW_VALUE), (30_01, R.CHALLENGE), (1, R.LOW_VALUE)])
def test_low_value_amount_boundary(amount: int, expected: str) -> None:
    d = decide(replace(BASE, amount_eur_cents=amount))
    assert d.recommendation == expected
    if expected == R.CHALLENGE:
        assert R.LOW_VALUE_AMOUNT_OVER_LIMIT in d.reasons and R.TRA_NO_FRAUD_RATE in d.reasons


@pytest.mark.parametrize(
    ("before", "expected"), [(0, R.LOW_VALUE), (4, R.LOW_VALUE), (5, R.CHALLENGE), (9, R.CHALLENGE)]
)
def test_low_value_count_counter_sixth_payment_is_challenged(before: int, expected: str) -> None:
    d = decide(replace(BASE, count_since_sca=before, amount_since_sca_eur_cents=0))
    assert d.recommendation == expected
    if expected == R.CHALLENGE:
        assert R.LOW_VALUE_COUNT_EXCEEDED in d.reasons


@pytest.mark.parametrize(
    ("before_cents", "amount", "expected"),
    [(70_00, 30_00, R.LOW_VALUE), (70_01, 30_00, R.CHALLENGE), (99_99, 1, R.LOW_VALUE), (100_00, 1, R.CHALLENGE)],
)
def test_low_value_amount_counter_boundary(before_cents: int, amount: int, expected: str) -> None:
    f = replace(
        BASE, amount_eur_cents=amount, amount_since_sca_eur_cents=before_cents, count_since_sca=50,
        low_value_counter=R.COUNTER_AMOUNT,
    )  # fmt: skip
    d = decide(f)
    assert d.recommendation == expected
    if expected == R.CHALLENGE:
        assert R.LOW_VALUE_CUMULATIVE_EXCEEDED in d.reasons


@pytest.mark.parametrize(
    ("ppm", "etv"),
    [(0, 500_00), (100, 500_00), (101, 250_00), (600, 250_00), (601, 100_00), (1300, 100_00), (1301, None)],
)
def test_tra_band_of_fraud_rate(ppm: int, etv: int | None) -> None:
    assert R.tra_threshold_eur_cents(ppm) == etv


@pytest.mark.parametrize(
    ("ppm", "etv"), [(50, 500_00), (51, 250_00), (100, 250_00), (101, 100_00), (150, 100_00), (151, None)]
)
def test_tra_band_for_credit_transfers(ppm: int, etv: int | None) -> None:
    assert R.tra_threshold_eur_cents(ppm, R.INSTRUMENT_CREDIT_TRANSFER) == etv


@pytest.mark.parametrize(
    ("ppm", "amount", "expected"),
    [
        (100, 500_00, R.TRANSACTION_RISK_ANALYSIS),
        (100, 500_01, R.CHALLENGE),
        (600, 250_00, R.TRANSACTION_RISK_ANALYSIS),
        (600, 250_01, R.CHALLENGE),
        (1300, 100_00, R.TRANSACTION_RISK_ANALYSIS),
        (1300, 100_01, R.CHALLENGE),
        (1301, 31_00, R.CHALLENGE),
    ],
)
def test_tra_amount_boundaries(ppm: int, amount: int, expected: str) -> None:
    d = decide(replace(BASE, amount_eur_cents=amount, fraud_rate_ppm=ppm))
    assert d.recommendation == expected
    if expected == R.TRANSACTION_RISK_ANALYSIS:
        assert d.reasons[0] == R.TRA_WITHIN_BAND and R.LOW_VALUE_AMOUNT_OVER_LIMIT in d.reasons
    else:
        assert d.reasons[0] == R.NO_EXEMPTION_APPLIES
        assert {R.TRA_AMOUNT_OVER_BAND, R.TRA_FRAUD_RATE_OVER_BANDS} & set(d.reasons)


def test_tra_needs_a_low_score() -> None:
    f = replace(BASE, amount_eur_cents=200_00, fraud_rate_ppm=100, tra_max_score=20)
    assert rec(replace(f, risk_score=20)) == R.TRANSACTION_RISK_ANALYSIS
    d = decide(replace(f, risk_score=21))
    assert d.recommendation == R.CHALLENGE and R.TRA_RISK_SIGNALS in d.reasons


def test_tra_without_a_fraud_rate_is_not_recommended() -> None:
    d = decide(replace(BASE, amount_eur_cents=200_00))
    assert d.recommendation == R.CHALLENGE and R.TRA_NO_FRAUD_RATE in d.reasons


def test_currency_without_rate_gets_no_euro_limited_exemption() -> None:
    d = decide(replace(BASE, amount_eur_cents=None, fraud_rate_ppm=0))
    assert (d.recommendation, d.reasons) == (R.CHALLENGE, [R.CURRENCY_NOT_CONVERTIBLE])
    assert rec(replace(BASE, amount_eur_cents=None, trusted_beneficiary=True)) == R.TRUSTED_BENEFICIARY


def test_recurring_series() -> None:
    f = replace(BASE, amount_eur_cents=999_00, recurring=True)
    assert decide(f).reasons == [R.RECURRING_FIRST_PAYMENT]
    assert rec(f) == R.CHALLENGE
    est = replace(f, recurring_series_established=True)
    assert decide(est).reasons == [R.RECURRING_AMOUNT_CHANGED]
    d = decide(replace(est, recurring_same_amount=True))
    assert (d.recommendation, d.reasons) == (R.RECURRING, [R.RECURRING_SAME_AMOUNT_SAME_PAYEE])


def test_trusted_beneficiary() -> None:
    d = decide(replace(BASE, amount_eur_cents=5_000_00, trusted_beneficiary=True))
    assert (d.recommendation, d.reasons) == (R.TRUSTED_BENEFICIARY, [R.TRUSTED_BENEFICIARY_LISTED])


facts = st.builds(
    ScaFacts,
    amount_eur_cents=st.one_of(st.none(), st.integers(1, 1_000_00)),
    remote=st.booleans(),
    risk_score=st.integers(0, 100),
    challenge_score=st.integers(0, 100),
    tra_max_score=st.integers(0, 100),
    count_since_sca=st.integers(0, 10),
    amount_since_sca_eur_cents=st.integers(0, 200_00),
    low_value_counter=st.sampled_from([R.COUNTER_COUNT, R.COUNTER_AMOUNT]),
    recurring=st.booleans(),
    recurring_series_established=st.booleans(),
    recurring_same_amount=st.booleans(),
    trusted_beneficiary=st.booleans(),
    fraud_rate_ppm=st.one_of(st.none(), st.integers(0, 2000)),
)


@settings(max_examples=2000, deadline=None)
@given(facts)
def test_never_an_exemption_the_regulation_does_not_allow(f: ScaFacts) -> None:
    """Re-states each article's conditions with literal numbers, independently of the module's tables."""
    d = decide(f)
    assert d.reasons
    if d.recommendation == R.CHALLENGE:
        return
    assert f.remote and f.risk_score < f.challenge_score
    if d.recommendation == R.RECURRING:
        assert f.recurring and f.recurring_series_established and f.recurring_same_amount
        return
    assert not f.recurring  # a recurring payment is never exempted on other grounds
    if d.recommendation == R.TRUSTED_BENEFICIARY:
        assert f.trusted_beneficiary
        return
    assert f.amount_eur_cents is not None
    if d.recommendation == R.LOW_VALUE:
        assert f.amount_eur_cents <= 3000
        if f.low_value_counter == R.COUNTER_COUNT:
            assert f.count_since_sca + 1 <= 5
        else:
            assert f.amount_since_sca_eur_cents + f.amount_eur_cents <= 10000
        return
    assert d.recommendation == R.TRANSACTION_RISK_ANALYSIS
    assert f.fraud_rate_ppm is not None and f.risk_score <= f.tra_max_score
    limit = 50000 if f.fraud_rate_ppm <= 100 else 25000 if f.fraud_rate_ppm <= 600 else 10000
    assert f.fraud_rate_ppm <= 1300 and f.amount_eur_cents <= limit
