"""Sliding-window velocity as bounded, incrementally kept buckets (pure functions, no I/O).

Window semantics (docs/risk.md "Velocity"): a window of length ``W`` with granularity ``g`` at query time
``t`` counts the accepted events whose ``occurred_us // g`` lies in ``(t // g - W / g, t // g]``: the current
``g``-bucket and the ``W / g - 1`` before it. Levels: 1 min by the second, 1 h by the minute, 24 h by the
hour, 30 d by the UTC day. Results are exact for ``t >= watermark`` (the newest event's time); the service
queries at ``max(now, watermark)``.

Acceptance: an event is counted once per transaction id. It is accepted when its time is not older than the
horizon ``max(watermark_after - lateness, seen_floor)``; older events are dropped (``late_dropped``). The
ids of accepted events within the lateness are kept to recognize duplicates; beyond ``max_seen`` of them the
oldest are forgotten and ``seen_floor`` rises past them, so memory stays bounded and nothing is counted twice.
Per cluster the state holds at most 60 + 60 + 24 + 30 buckets (each a map currency -> [count, amount]) plus
``max_seen`` ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SECOND_US = 1_000_000
MINUTE_US = 60 * SECOND_US
HOUR_US = 60 * MINUTE_US
DAY_US = 24 * HOUR_US


@dataclass(frozen=True, slots=True)
class Level:
    name: str
    window_us: int
    granularity_us: int

    @property
    def buckets(self) -> int:
        return self.window_us // self.granularity_us


LEVELS: tuple[Level, ...] = (
    Level("1m", MINUTE_US, SECOND_US),
    Level("1h", HOUR_US, MINUTE_US),
    Level("24h", DAY_US, HOUR_US),
    Level("30d", 30 * DAY_US, DAY_US),
)
LEVEL_NAMES = tuple(lv.name for lv in LEVELS)
DEFAULT_LATENESS_US = 15 * MINUTE_US
DEFAULT_MAX_SEEN = 2000

ACCEPTED, DUPLICATE, LATE = "ACCEPTED", "DUPLICATE", "LATE"


@dataclass(slots=True)
class VelocityState:
    watermark_us: int = 0
    seen_floor_us: int = 0
    # level name -> bucket index (str, JSON keys) -> currency -> [count, amount_minor]
    levels: dict[str, dict[str, dict[str, list[int]]]] = field(default_factory=dict)
    seen: dict[str, int] = field(default_factory=dict)  # transaction id -> occurred_us, within the lateness
    accepted: int = 0
    late_dropped: int = 0
    duplicates: int = 0


@dataclass(frozen=True, slots=True)
class Totals:
    """One window's counts and amounts at one query time."""

    count: int
    by_currency: dict[str, tuple[int, int]]  # currency -> (count, amount_minor)


def horizon(state: VelocityState, occurred_us: int, lateness_us: int) -> int:
    return max(max(state.watermark_us, occurred_us) - lateness_us, state.seen_floor_us)


def apply_event(
    state: VelocityState,
    txn_id: str,
    occurred_us: int,
    currency: str,
    amount_minor: int,
    lateness_us: int = DEFAULT_LATENESS_US,
    max_seen: int = DEFAULT_MAX_SEEN,
) -> str:
    """Adds one event to ``state`` in place; returns ACCEPTED, DUPLICATE or LATE."""
    if txn_id in state.seen:
        state.duplicates += 1
        return DUPLICATE
    if occurred_us < horizon(state, occurred_us, lateness_us):
        state.late_dropped += 1
        return LATE
    state.watermark_us = max(state.watermark_us, occurred_us)
    for lv in LEVELS:
        newest = state.watermark_us // lv.granularity_us
        oldest_kept = newest - lv.buckets + 1
        buckets = state.levels.setdefault(lv.name, {})
        b = occurred_us // lv.granularity_us
        if b >= oldest_kept:
            cell = buckets.setdefault(str(b), {}).setdefault(currency, [0, 0])
            cell[0] += 1
            cell[1] += amount_minor
        for key in [k for k in buckets if int(k) < oldest_kept]:
            del buckets[key]
    state.accepted += 1
    state.seen[txn_id] = occurred_us
    _prune_seen(state, lateness_us, max_seen)
    return ACCEPTED


def _prune_seen(state: VelocityState, lateness_us: int, max_seen: int) -> None:
    limit = state.watermark_us - lateness_us
    for key in [k for k, t in state.seen.items() if t < limit]:
        del state.seen[key]
    if len(state.seen) > max_seen:
        ordered = sorted(state.seen.items(), key=lambda kv: (kv[1], kv[0]))
        dropped = ordered[: len(ordered) - max_seen]
        for key, _t in dropped:
            del state.seen[key]
        # Anything at or before the newest forgotten id is refused from now on: it can no longer be recognized.
        state.seen_floor_us = max(state.seen_floor_us, dropped[-1][1] + 1)


def totals(state: VelocityState, level: Level, at_us: int) -> Totals:
    """The window ``level`` ending at ``max(at_us, watermark)``."""
    t = max(at_us, state.watermark_us)
    newest = t // level.granularity_us
    oldest = newest - level.buckets + 1
    count = 0
    per: dict[str, list[int]] = {}
    for key, cells in state.levels.get(level.name, {}).items():
        if oldest <= int(key) <= newest:
            for cur, (n, amount) in cells.items():
                acc = per.setdefault(cur, [0, 0])
                acc[0] += n
                acc[1] += amount
                count += n
    return Totals(count, {c: (v[0], v[1]) for c, v in sorted(per.items())})


def all_totals(state: VelocityState, at_us: int) -> dict[str, Totals]:
    return {lv.name: totals(state, lv, at_us) for lv in LEVELS}
