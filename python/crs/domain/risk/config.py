"""Per-tenant risk and checkout settings as data: defaults plus a JSON file (``crs serve --risk-rules``).

``{"acme": {"alert_score": 40, "eur_rates": {"USD": "0.92"}, "acquirer_fraud_rate_ppm": 500}}``: any key of
``RiskConfig`` may be overridden per tenant; unknown keys are refused when the file is loaded.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path

from crs.domain.checkout.sca_rules import COUNTER_AMOUNT, COUNTER_COUNT

# ISO 4217 minor-unit exponents that are not 2.
_EXPONENTS = {"JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "VND": 0, "HUF": 2, "BHD": 3, "KWD": 3, "JOD": 3, "OMR": 3}


def exponent(currency: str) -> int:
    return _EXPONENTS.get(currency, 2)


@dataclass(frozen=True, slots=True)
class RiskConfig:
    # Signals: a signal fires at or over its threshold and adds its score to the subject's risk score.
    velocity_1m_count: int = 5
    velocity_1h_count: int = 20
    velocity_24h_count: int = 50
    velocity_24h_amount_eur_cents: int = 5_000_00
    velocity_30d_count: int = 500
    many_names: int = 3  # distinct names in one cluster, or on one card
    identity_burst: int = 5  # customers and identifiers created in the cluster within burst_window_hours
    burst_window_hours: int = 24
    new_card_days: int = 7  # a card this young ...
    old_cluster_days: int = 180  # ... on a cluster at least this old
    contact_change_days: int = 7  # e-mail or phone changed within this many days
    large_payment_eur_cents: int = 500_00
    scores: dict[str, int] = field(default_factory=dict)  # overrides of signals.DEFAULT_SCORES by code
    # A subject whose score reaches this gets a risk alert.
    alert_score: int = 50
    # SCA: always challenge at or over challenge_score; TRA only at or under tra_max_score.
    challenge_score: int = 60
    tra_max_score: int = 20
    acquirer_fraud_rate_ppm: int = -1  # -1: unknown (a request may give it); 0.13 % = 1300
    low_value_counter: str = COUNTER_COUNT  # Art. 16: "count" (5 consecutive) or "amount" (EUR 100)
    # Fixed conversion rates to EUR: 1 unit of the currency = rate EUR (decimal strings).
    eur_rates: dict[str, str] = field(default_factory=dict)

    def to_eur_cents(self, amount_minor: int, currency: str) -> int | None:
        """The amount in euro cents, rounded up; None when the currency has no rate."""
        if currency == "EUR":
            return amount_minor
        rate = self.eur_rates.get(currency)
        if rate is None:
            return None
        cents = Decimal(amount_minor) * Decimal(rate) * Decimal(100) / (Decimal(10) ** exponent(currency))
        return math.ceil(cents)


class TenantRiskConfig:
    def __init__(self, overrides: dict[str, RiskConfig] | None = None, default: RiskConfig | None = None) -> None:
        self._overrides = overrides or {}
        self._default = default or RiskConfig()

    def of(self, tenant: str) -> RiskConfig:
        return self._overrides.get(tenant, self._default)

    @classmethod
    def from_file(cls, path: str | Path) -> TenantRiskConfig:
        return cls.from_json(json.loads(Path(path).read_text()))

    @classmethod
    def from_json(cls, data: object) -> TenantRiskConfig:
        if not isinstance(data, dict):
            raise ValueError("risk rules must be a JSON object of tenant -> settings")
        known = {f.name for f in fields(RiskConfig)}
        out: dict[str, RiskConfig] = {}
        for tenant, values in data.items():
            if not isinstance(values, dict) or not set(values) <= known:
                raise ValueError(f"risk rules for {tenant!r}: unknown keys (known: {sorted(known)})")
            cfg = replace(RiskConfig(), **values)
            _validate(str(tenant), cfg)
            out[str(tenant)] = cfg
        return cls(out)


def _validate(tenant: str, cfg: RiskConfig) -> None:
    if cfg.low_value_counter not in (COUNTER_COUNT, COUNTER_AMOUNT):
        raise ValueError(f"risk rules for {tenant!r}: low_value_counter must be 'count' or 'amount'")
    for cur, rate in cfg.eur_rates.items():
        try:
            ok = len(cur) == 3 and cur.isupper() and Decimal(rate) > 0
        except (InvalidOperation, TypeError):
            ok = False
        if not ok:
            raise ValueError(f"risk rules for {tenant!r}: eur_rates[{cur!r}] must be a positive decimal string")
