"""The large-or-unusual rule (notifications/large_payments.py) and its per-tenant settings."""

from __future__ import annotations

import pytest

from crs.domain.notifications.large_payments import LARGE, NEW_COUNTRY, UNUSUAL_AMOUNT, reasons
from crs.domain.notifications.rules import NotificationRules, Rules
from crs.domain.transactions import model as M
from crs.domain.transactions.aggregates import MonthAggregate, add_all


def _txn(amount: int, currency: str = "EUR", country: str = "EE", n: int = 0) -> M.TransactionRecord:
    return M.TransactionRecord(
        tenant="t",
        id=f"x{n}",
        kind=M.CAPTURE,
        amount_minor=amount,
        currency=currency,
        channel=M.POS,
        result=M.APPROVED,
        occurred_us=1_780_000_000_000_000 + n,
        customer_id="c",
        account_id="a",
        merchant_country=country,
    )


def _history(*amounts: int, country: str = "EE") -> MonthAggregate:
    agg = MonthAggregate("t", "c", "202605")
    add_all(agg, [_txn(a, country=country, n=i) for i, a in enumerate(amounts)])
    return agg


def test_large_is_per_currency_threshold() -> None:
    rules = Rules(large_transaction_minor={"EUR": 500_00, "SEK": 10_000_00})
    empty = MonthAggregate("t", "c", "")
    assert reasons(rules, _txn(500_00), empty) == [LARGE]
    assert reasons(rules, _txn(499_99), empty) == []
    assert reasons(rules, _txn(9_999_99, "SEK"), empty) == []
    assert reasons(rules, _txn(10**9, "USD"), empty) == []  # no USD threshold


def test_unusual_needs_enough_history() -> None:
    rules = Rules()
    four = _history(10_00, 10_00, 10_00, 10_00)
    assert reasons(rules, _txn(900_00, country="BR"), four) == []  # 4 < unusual_min_payments
    five = _history(10_00, 10_00, 10_00, 10_00, 10_00)
    assert reasons(rules, _txn(100_00), five) == [UNUSUAL_AMOUNT]  # exactly 10 x the average
    assert reasons(rules, _txn(99_99), five) == []
    assert reasons(rules, _txn(10_00, country="BR"), five) == [NEW_COUNTRY]
    assert reasons(rules, _txn(5_000_00, "USD"), five) == []  # a currency never used: no average to exceed
    assert reasons(rules, _txn(1_000_00, country="BR"), five) == [LARGE, UNUSUAL_AMOUNT, NEW_COUNTRY]
    off = Rules(unusual_amount_multiple=0, unusual_new_country=False)
    assert reasons(off, _txn(900_00, country="BR"), five) == []


def test_rules_file_keys_are_checked() -> None:
    rules = NotificationRules.from_json({"acme": {"large_transaction_minor": {"EUR": 250_00}, "usual_months": 6}})
    assert rules.of("acme").large_transaction_minor == {"EUR": 250_00} and rules.of("acme").usual_months == 6
    assert rules.of("other").large_transaction_minor == {"EUR": 1_000_00}
    for bad in ({"large_transaction_minor": {"EUR": 0}}, {"large_transaction_minor": {"EURO": 1}}, {"usual_months": 0}):
        with pytest.raises(ValueError):
            NotificationRules.from_json({"acme": bad})
