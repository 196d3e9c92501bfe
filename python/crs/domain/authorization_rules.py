"""The authorization path's rules as ``_core`` evaluates them: one ``AuthorizationRules`` per tenant, built
from the tenant's ``RiskConfig`` and the data the Python rules name (default scores, card state wording,
identifier kind numbers, checkout channels, known method names), so that data lives only here in Python.

``_core.AuthorizationRules.authorization_context`` computes GetAuthorizationContext's risk summary and
preferred method from the stored rows and encodes the whole answer; the Python rules
(``risk.signals.assess``, ``checkout.sources.ProfilePreferences``) stay the reference and serve whatever the
core leaves to them. ``tests/property/test_authorization_core.py`` holds both equal.
"""

from __future__ import annotations

from dataclasses import fields

from crs._core import AuthorizationRules
from crs.domain.checkout.sources import CHANNEL_OF, KNOWN_METHODS
from crs.domain.clusters.identifiers import KIND_NUMBERS
from crs.domain.risk.config import RiskConfig, exponent
from crs.domain.risk.signals import CARD_STATES, DEFAULT_SCORES

# The RiskConfig fields the authorization path's rules read (all integers).
THRESHOLDS = (
    "velocity_1m_count",
    "velocity_1h_count",
    "velocity_24h_count",
    "velocity_30d_count",
    "velocity_24h_amount_eur_cents",
    "many_names",
    "identity_burst",
    "burst_window_hours",
    "new_card_days",
    "old_cluster_days",
)
assert set(THRESHOLDS) <= {f.name for f in fields(RiskConfig)}


def core_rules(tenant: str, cfg: RiskConfig) -> AuthorizationRules | None:
    """The tenant's rules for ``_core``; None when a setting is one the core does not reproduce exactly (an
    exchange rate that is not a plain decimal, a value that is not a 64-bit integer): the tenant's lookups
    then take the Python path."""
    try:
        return AuthorizationRules(
            tenant,
            thresholds={name: getattr(cfg, name) for name in THRESHOLDS},
            scores={code: cfg.scores.get(code, score) for code, score in DEFAULT_SCORES.items()},
            eur_rates={cur: (rate, exponent(cur)) for cur, rate in cfg.eur_rates.items()},
            card_states=CARD_STATES,
            kind_numbers={kind.value: number for kind, number in KIND_NUMBERS.items()},
            channels=CHANNEL_OF,
            known_methods=set(KNOWN_METHODS),
        )
    except (ValueError, TypeError, OverflowError):  # CoreError is a ValueError
        return None
