"""Segment rules as data: per-tenant overrides from JSON, validated at load; the rules applied (rfm.evaluate)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crs.domain.transactions.aggregates import MonthAggregate
from crs.domain.transactions.rfm import (
    ACTIVE,
    CHURNED,
    DAY_US,
    DORMANT,
    HIGH,
    LOW,
    MEDIUM,
    NEW,
    evaluate,
    next_month_start,
)
from crs.domain.transactions.segment_rules import SegmentRules, TenantSegmentRules

NOW = 1_780_000_000_000_000  # 2026-05-28


def _window(purchases: int, amount: int, currency: str = "EUR") -> list[MonthAggregate]:
    agg = MonthAggregate("t", "c", "202605")
    agg.days = {"01": {currency: [purchases, amount]}}
    return [agg]


def test_overrides_from_file(tmp_path: Path) -> None:
    path = tmp_path / "rules.json"
    path.write_text(json.dumps({"acme": {"high_score": 7, "monetary_minor": [5000, 50000], "currency": "USD"}}))
    rules = TenantSegmentRules.from_file(path)
    acme = rules.of("acme")
    assert (acme.high_score, acme.monetary_minor, acme.currency) == (7, (5000, 50000), "USD")
    assert acme.dormant_after_days == 90  # untouched keys keep their defaults
    assert rules.of("globex") == SegmentRules()


@pytest.mark.parametrize(
    "bad",
    [
        {"acme": {"no_such_rule": 1}},
        {"acme": {"dormant_after_days": 200, "churned_after_days": 100}},
        {"acme": {"high_score": 5, "medium_score": 6}},
        {"acme": {"frequency": [12, 3]}},
        ["not", "an", "object"],
    ],
)
def test_bad_rules_refused(tmp_path: Path, bad: object) -> None:
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(bad))
    with pytest.raises(ValueError):
        TenantSegmentRules.from_file(path)


def test_documented_examples() -> None:
    r = SegmentRules()
    first = evaluate(r, NOW, NOW - DAY_US, NOW - DAY_US, _window(1, 5_000))
    assert (first.tier, first.lifecycle) == (LOW, NEW)  # R3 + F1 + M1 = 5
    four = evaluate(r, NOW, NOW - 20 * DAY_US, NOW - 2 * DAY_US, _window(4, 120_000))
    assert (four.tier, four.lifecycle) == (HIGH, NEW)  # R3 + F2 + M3 = 8, first activity 20 days ago
    later = evaluate(r, NOW, NOW - 60 * DAY_US, NOW - 35 * DAY_US, _window(4, 120_000))
    assert (later.tier, later.lifecycle) == (MEDIUM, ACTIVE)  # R2 + F2 + M3 = 7
    assert evaluate(r, NOW, NOW - 100 * DAY_US, NOW - 91 * DAY_US, _window(1, 100)).lifecycle == DORMANT
    assert evaluate(r, NOW, NOW - 300 * DAY_US, NOW - 181 * DAY_US, []).lifecycle == CHURNED
    usd = evaluate(r, NOW, NOW - 60 * DAY_US, NOW - 2 * DAY_US, _window(12, 10**7, "USD"))
    assert usd.monetary_minor == 0 and usd.frequency == 12 and usd.tier == MEDIUM  # 3 + 3 + 1 = 7
    assert "= 7: MEDIUM" in usd.reason


def test_due_is_the_next_change_without_activity() -> None:
    r = SegmentRules()
    last = NOW - 10 * DAY_US
    ev = evaluate(r, NOW, NOW - 100 * DAY_US, last, [])
    assert ev.due_us == last + 31 * DAY_US  # recency score drops after 30 days
    spent = evaluate(r, NOW, NOW - 100 * DAY_US, last, _window(2, 1000))
    assert spent.due_us == next_month_start(NOW) < last + 31 * DAY_US  # a month may leave the window first
    quiet = evaluate(r, NOW, NOW - 400 * DAY_US, NOW - 200 * DAY_US, [])
    assert quiet.lifecycle == CHURNED and quiet.due_us == 0  # nothing left to change
