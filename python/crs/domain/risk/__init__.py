"""Risk signals: cluster velocity, identity signals, per-tenant thresholds and risk alerts (docs/risk.md)."""
