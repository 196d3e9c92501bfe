"""The payer's SCA state from reported transactions: order, duplicates, overflow, series, merchants."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from crs.domain.checkout.sca_state import MAX_PENDING, ScaState, apply_txn, counters
from crs.domain.risk.txn import (
    CHANNEL_ECOMMERCE,
    CHANNEL_POS,
    RESULT_DECLINED,
    SCA_FAILED,
    SCA_NOT_PERFORMED,
    SCA_SUCCEEDED,
    RiskTxn,
)


def txn(tid: str, t: int, *, sca: str = SCA_NOT_PERFORMED, amount: int = 500, **kw: object) -> RiskTxn:
    fields: dict[str, object] = {
        "tenant": "acme", "transaction_id": tid, "cluster_id": "cl", "customer_id": "c1", "instrument": "tok",
        "amount_minor": amount, "currency": "EUR", "merchant_id": "m1", "merchant_country": "NL",
        "channel": CHANNEL_ECOMMERCE, "occurred_us": t, "sca_outcome": sca,
    }  # fmt: skip
    fields.update(kw)
    return RiskTxn(**fields)  # type: ignore[arg-type]


def test_counts_remote_approved_payments_since_the_last_sca() -> None:
    s = ScaState()
    apply_txn(s, txn("sca", 100, sca=SCA_SUCCEEDED), 0)
    apply_txn(s, txn("a", 200), 500)
    apply_txn(s, txn("pos", 210, channel=CHANNEL_POS), 500)
    apply_txn(s, txn("declined", 220, result=RESULT_DECLINED), 500)
    apply_txn(s, txn("failed", 230, sca=SCA_FAILED), 500)  # counted: approved without SCA
    apply_txn(s, txn("mit", 240, recurring=True), 500)
    apply_txn(s, txn("before", 50), 500)  # occurred before the SCA: not since it
    assert counters(s).count == 2 and counters(s).eur_cents == 1000
    assert not apply_txn(s, txn("a", 200), 500)  # duplicate report
    assert counters(s).count == 2
    apply_txn(s, txn("sca2", 235, sca=SCA_SUCCEEDED), 0)  # a late SCA drops the payments before it
    assert counters(s).count == 0 and s.last_sca_us == 235 and s.successful_scas == 2


def test_unknown_currency_makes_the_amount_unknown() -> None:
    s = ScaState()
    apply_txn(s, txn("a", 1, currency="XYZ"), None)
    assert counters(s).count == 1 and counters(s).eur_cents is None


def test_overflow_errs_towards_more_payments() -> None:
    s = ScaState()
    for i in range(MAX_PENDING + 10):
        apply_txn(s, txn(f"p{i}", 1000 + i), 100)
    assert counters(s).count == MAX_PENDING + 10 and s.overflow_count == 10
    # An SCA among the aggregated payments cannot tell which were before it: they all stay counted.
    apply_txn(s, txn("sca", 1003, sca=SCA_SUCCEEDED), 0)
    assert counters(s).count == MAX_PENDING + 10
    apply_txn(s, txn("sca-late", 5000, sca=SCA_SUCCEEDED), 0)
    assert counters(s).count == 0


def test_recurring_series_and_known_merchants() -> None:
    s = ScaState()
    apply_txn(s, txn("r1", 10, sca=SCA_SUCCEEDED, recurring=True, merchant_id="stream", amount=999), 999)
    assert s.series["stream"]["amount_minor"] == 999 and "stream" in s.merchants
    apply_txn(s, txn("r2", 20, sca=SCA_SUCCEEDED, recurring=True, merchant_id="stream", amount=1299), 1299)
    assert s.series["stream"]["amount_minor"] == 999  # the series is the one whose first payment had SCA


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 1000), st.booleans(), st.integers(1, 5000)), min_size=1, max_size=40),
    st.randoms(),
)
def test_counters_equal_a_recount_in_any_arrival_order(events: list[tuple[int, bool, int]], rnd: random.Random) -> None:
    """Within MAX_PENDING, any order gives exactly the payments after the newest SCA."""
    txns = [
        txn(f"t{i}", t, sca=SCA_SUCCEEDED if sca else SCA_NOT_PERFORMED, amount=a)
        for i, (t, sca, a) in enumerate(events)
    ]
    arrivals = txns + rnd.sample(txns, k=min(5, len(txns)))
    rnd.shuffle(arrivals)
    s = ScaState()
    for x in arrivals:
        apply_txn(s, x, x.amount_minor)
    last = max((x.occurred_us for x in txns if x.sca_outcome == SCA_SUCCEEDED), default=0)
    after = [x for x in txns if x.sca_outcome != SCA_SUCCEEDED and x.occurred_us > last]
    assert counters(s).count == len(after)
    assert counters(s).eur_cents == sum(x.amount_minor for x in after)
    assert s.successful_scas == sum(1 for x in txns if x.sca_outcome == SCA_SUCCEEDED)
