"""Per-tenant risk settings: loading, validation and EUR conversion (rounded up, refused without a rate)."""

from __future__ import annotations

import pytest

from crs.domain.risk.config import RiskConfig, TenantRiskConfig


def test_eur_conversion_rounds_up_and_knows_exponents() -> None:
    cfg = RiskConfig(eur_rates={"USD": "0.92", "JPY": "0.0062", "SEK": "0.0875"})
    assert cfg.to_eur_cents(1234, "EUR") == 1234
    assert cfg.to_eur_cents(1000, "USD") == 920
    assert cfg.to_eur_cents(1, "SEK") == 1  # 0.0875 cent rounds up to 1
    assert cfg.to_eur_cents(1000, "JPY") == 620  # JPY has no minor unit
    assert cfg.to_eur_cents(1000, "GBP") is None


def test_tenant_overrides_and_defaults() -> None:
    rules = TenantRiskConfig.from_json({"acme": {"alert_score": 40, "eur_rates": {"USD": "0.9"}}})
    assert rules.of("acme").alert_score == 40
    assert rules.of("other").alert_score == RiskConfig().alert_score


@pytest.mark.parametrize(
    "bad",
    [
        [],
        {"acme": {"no_such_key": 1}},
        {"acme": {"low_value_counter": "both"}},
        {"acme": {"eur_rates": {"usd": "0.9"}}},
        {"acme": {"eur_rates": {"USD": "-1"}}},
        {"acme": {"eur_rates": {"USD": "abc"}}},
    ],
)
def test_bad_rules_are_refused(bad: object) -> None:
    with pytest.raises(ValueError):
        TenantRiskConfig.from_json(bad)
