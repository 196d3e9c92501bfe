"""The segment rules applied: a pure function of the rules, the clock, first/last activity and the window's
monthly aggregates (docs/segments.md has every rule with an example)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from crs.domain.transactions.aggregates import MonthAggregate
from crs.domain.transactions.segment_rules import SegmentRules

HIGH, MEDIUM, LOW = 1, 2, 3
TIER_NAMES = {HIGH: "HIGH", MEDIUM: "MEDIUM", LOW: "LOW"}
NEW, ACTIVE, DORMANT, CHURNED = 1, 2, 3, 4
LIFECYCLE_NAMES = {NEW: "NEW", ACTIVE: "ACTIVE", DORMANT: "DORMANT", CHURNED: "CHURNED"}
DAY_US = 86_400_000_000


@dataclass(frozen=True, slots=True)
class Evaluation:
    tier: int
    lifecycle: int
    reason: str
    recency_days: int
    frequency: int
    monetary_minor: int
    due_us: int  # the next moment the outcome can change without a new transaction (0: never)


def _score(value: int, low: int, high: int) -> int:
    return 3 if value >= high else 2 if value >= low else 1


def _tier(rules: SegmentRules, recency: int, frequency: int, monetary: int) -> tuple[int, str]:
    r = 3 if recency <= rules.recency_days[0] else 2 if recency <= rules.recency_days[1] else 1
    f = _score(frequency, *rules.frequency)
    m = _score(monetary, *rules.monetary_minor)
    total = r + f + m
    tier = HIGH if total >= rules.high_score else MEDIUM if total >= rules.medium_score else LOW
    why = (
        f"R{r} (last activity {recency}d ago; 3 up to {rules.recency_days[0]}d, 2 up to {rules.recency_days[1]}d) "
        f"+ F{f} ({frequency} purchases in {rules.window_months} months; 2 from {rules.frequency[0]}, "
        f"3 from {rules.frequency[1]}) + M{m} ({monetary} {rules.currency} minor units; 2 from "
        f"{rules.monetary_minor[0]}, 3 from {rules.monetary_minor[1]}) = {total}: {TIER_NAMES[tier]} "
        f"(HIGH from {rules.high_score}, MEDIUM from {rules.medium_score})"
    )
    return tier, why


def _lifecycle(rules: SegmentRules, now_us: int, first_us: int, last_us: int) -> tuple[int, str]:
    idle = max(0, now_us - last_us) // DAY_US
    age = max(0, now_us - first_us) // DAY_US
    if now_us - last_us > rules.churned_after_days * DAY_US:
        return CHURNED, f"no activity for {idle}d (> {rules.churned_after_days}d): CHURNED"
    if now_us - last_us > rules.dormant_after_days * DAY_US:
        return DORMANT, f"no activity for {idle}d (> {rules.dormant_after_days}d): DORMANT"
    if now_us - first_us <= rules.new_days * DAY_US:
        return NEW, f"first activity {age}d ago (<= {rules.new_days}d): NEW"
    return ACTIVE, f"active {idle}d ago (<= {rules.dormant_after_days}d), first {age}d ago: ACTIVE"


def next_month_start(now_us: int) -> int:
    now = dt.datetime.fromtimestamp(now_us / 1e6, dt.UTC)
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    return int(dt.datetime(year, month, 1, tzinfo=dt.UTC).timestamp()) * 1_000_000


def evaluate(
    rules: SegmentRules, now_us: int, first_us: int, last_us: int, window: Sequence[MonthAggregate]
) -> Evaluation:
    """``window``: the aggregates of the window's months that exist, oldest first."""
    frequency = 0
    monetary = 0
    for agg in window:
        for currency, (n, amount) in agg.spend().items():
            frequency += n
            if currency == rules.currency:
                monetary += amount
    recency = max(0, now_us - last_us) // DAY_US
    tier, tier_why = _tier(rules, recency, frequency, monetary)
    lifecycle, life_why = _lifecycle(rules, now_us, first_us, last_us)
    candidates = [
        first_us + rules.new_days * DAY_US + 1,
        last_us + rules.dormant_after_days * DAY_US + 1,
        last_us + rules.churned_after_days * DAY_US + 1,
        last_us + (rules.recency_days[0] + 1) * DAY_US,
        last_us + (rules.recency_days[1] + 1) * DAY_US,
    ]
    if frequency:  # spend leaves the window at a month boundary
        candidates.append(next_month_start(now_us))
    due = min((c for c in candidates if c > now_us), default=0)
    return Evaluation(tier, lifecycle, f"{tier_why}; {life_why}", int(recency), frequency, monetary, due)
