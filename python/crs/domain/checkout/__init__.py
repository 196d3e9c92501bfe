"""Checkout decisions: ranked payment methods and the PSD2 SCA recommendation (docs/risk.md)."""
