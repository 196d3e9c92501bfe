"""Segment rules per tenant, as data (docs/segments.md): RFM scores for the value tier, inactivity windows for
the lifecycle. ``--segment-rules FILE``: ``{"tenant-id": {"high_score": 7, "dormant_after_days": 60}}``."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class SegmentRules:
    # Monetary value counts spend in this currency only (minor units).
    currency: str = "EUR"
    # Frequency and monetary value look back this many calendar months (the current one included).
    window_months: int = 12
    # Recency score 3 when the last activity is at most recency_days[0] days ago, 2 up to recency_days[1], else 1.
    recency_days: tuple[int, int] = (30, 90)
    # Frequency score (number of purchases in the window): 3 from frequency[1], 2 from frequency[0], else 1.
    frequency: tuple[int, int] = (3, 12)
    # Monetary score (spend in the window, minor units): 3 from monetary_minor[1], 2 from monetary_minor[0].
    monetary_minor: tuple[int, int] = (10_000, 100_000)
    # Tier from the summed score (3..9): HIGH from high_score, MEDIUM from medium_score, else LOW.
    high_score: int = 8
    medium_score: int = 6
    # Lifecycle: NEW while the first activity is at most new_days old; DORMANT after dormant_after_days without
    # activity; CHURNED after churned_after_days; ACTIVE otherwise.
    new_days: int = 30
    dormant_after_days: int = 90
    churned_after_days: int = 180

    def check(self) -> SegmentRules:
        ok = (
            1 <= self.window_months <= 36
            and 0 <= self.recency_days[0] <= self.recency_days[1]
            and 0 < self.frequency[0] <= self.frequency[1]
            and 0 < self.monetary_minor[0] <= self.monetary_minor[1]
            and 3 <= self.medium_score <= self.high_score <= 9
            and self.new_days >= 0
            and 0 < self.dormant_after_days < self.churned_after_days
        )
        if not ok:
            raise ValueError(f"inconsistent segment rules: {self}")
        return self


class TenantSegmentRules:
    def __init__(self, overrides: dict[str, SegmentRules] | None = None, default: SegmentRules | None = None) -> None:
        self._overrides = overrides or {}
        self._default = default or SegmentRules()

    def of(self, tenant: str) -> SegmentRules:
        return self._overrides.get(tenant, self._default)

    @classmethod
    def from_file(cls, path: str | Path) -> TenantSegmentRules:
        data = json.loads(Path(path).read_text())
        if not isinstance(data, dict):
            raise ValueError("segment rules file must be a JSON object of tenant -> rules")
        known = {f.name for f in fields(SegmentRules)}
        overrides: dict[str, SegmentRules] = {}
        for tenant, values in data.items():
            if not isinstance(values, dict) or not set(values) <= known:
                raise ValueError(f"segment rules for {tenant!r}: unknown keys (known: {sorted(known)})")
            fixed: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
            overrides[str(tenant)] = replace(SegmentRules(), **fixed).check()
        return cls(overrides)
