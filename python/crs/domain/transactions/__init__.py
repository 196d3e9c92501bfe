"""Transactions reported by the switch, their per-customer aggregates, segments and insights."""
