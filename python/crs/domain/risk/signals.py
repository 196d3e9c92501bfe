"""Risk signals: pure rules over gathered facts. Each signal has a code, a score contribution and a reason.

Every code, its default score and its threshold are listed in docs/risk.md; thresholds and scores are per
tenant (``RiskConfig``). The score of a subject is the sum of its signals' contributions (never below 0).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crs.domain.clusters.records import ClusterRecord
from crs.domain.records import CardRecord
from crs.domain.risk.config import RiskConfig
from crs.domain.risk.velocity import Velocity
from crs.domain.risk.windows import DAY_US, HOUR_US

VELOCITY_1M = "VELOCITY_1M"
VELOCITY_1H = "VELOCITY_1H"
VELOCITY_24H_COUNT = "VELOCITY_24H_COUNT"
VELOCITY_24H_AMOUNT = "VELOCITY_24H_AMOUNT"
VELOCITY_30D = "VELOCITY_30D"
SHARED_IDENTIFIER = "SHARED_IDENTIFIER"
CLUSTER_MANY_NAMES = "CLUSTER_MANY_NAMES"
CARD_MANY_NAMES = "CARD_MANY_NAMES"
NEW_IDENTITY_BURST = "NEW_IDENTITY_BURST"
NEW_CARD_ON_OLD_CLUSTER = "NEW_CARD_ON_OLD_CLUSTER"
RECENT_CONTACT_CHANGE = "RECENT_CONTACT_CHANGE"
CONTACT_CHANGE_BEFORE_LARGE_PAYMENT = "CONTACT_CHANGE_BEFORE_LARGE_PAYMENT"
KNOWN_MERCHANT = "KNOWN_MERCHANT"
CARD_NOT_ACTIVE = "CARD_NOT_ACTIVE"

DEFAULT_SCORES: dict[str, int] = {
    VELOCITY_1M: 25,
    VELOCITY_1H: 20,
    VELOCITY_24H_COUNT: 15,
    VELOCITY_24H_AMOUNT: 15,
    VELOCITY_30D: 10,
    SHARED_IDENTIFIER: 20,
    CLUSTER_MANY_NAMES: 30,
    CARD_MANY_NAMES: 40,
    NEW_IDENTITY_BURST: 20,
    NEW_CARD_ON_OLD_CLUSTER: 10,
    RECENT_CONTACT_CHANGE: 15,
    CONTACT_CHANGE_BEFORE_LARGE_PAYMENT: 35,
    KNOWN_MERCHANT: -10,
    CARD_NOT_ACTIVE: 60,
}
CARD_STATES = {2: "blocked", 3: "reported lost", 4: "reported stolen", 5: "expired", 6: "closed"}
_MAX_SHARED_FLAGS_SCORED = 2


@dataclass(frozen=True, slots=True)
class Signal:
    code: str
    score: int
    reason: str


@dataclass(slots=True)
class Facts:
    """What the rules look at; gathered by ``gather.py`` (or built directly in tests)."""

    now_us: int
    velocity: Velocity | None = None
    cluster: ClusterRecord | None = None
    card: CardRecord | None = None
    card_carrier_names: int = 0  # distinct names among the customers carrying the card's fingerprint
    new_identities: int = 0  # customers and identifiers created in the cluster within the burst window
    contact_changed_us: int = 0  # newest e-mail/phone change of the subject's customers (0: none seen)
    amount_eur_cents: int | None = None  # the payment being assessed, when there is one
    known_merchant: bool = False  # the payer paid this merchant before with SCA


@dataclass(frozen=True, slots=True)
class Assessment:
    signals: list[Signal] = field(default_factory=list)
    score: int = 0


def _score(cfg: RiskConfig, code: str) -> int:
    return cfg.scores.get(code, DEFAULT_SCORES[code])


def _velocity(cfg: RiskConfig, v: Velocity) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    w = v.windows
    for code, level, limit in (
        (VELOCITY_1M, "1m", cfg.velocity_1m_count),
        (VELOCITY_1H, "1h", cfg.velocity_1h_count),
        (VELOCITY_24H_COUNT, "24h", cfg.velocity_24h_count),
        (VELOCITY_30D, "30d", cfg.velocity_30d_count),
    ):
        if w[level].count >= limit:
            out.append((code, f"{w[level].count} payments in the cluster within {level} (threshold {limit})"))
    eur = 0
    for cur, (_n, amount) in w["24h"].by_currency.items():
        converted = cfg.to_eur_cents(amount, cur)
        eur += converted or 0
    if eur >= cfg.velocity_24h_amount_eur_cents:
        out.append(
            (
                VELOCITY_24H_AMOUNT,
                f"EUR {eur / 100:.2f} paid in the cluster within 24h "
                f"(threshold {cfg.velocity_24h_amount_eur_cents / 100:.2f})",
            )
        )
    return out


def _identity(cfg: RiskConfig, f: Facts) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    c = f.cluster
    if c is not None:
        for flag in c.risk_flags[:_MAX_SHARED_FLAGS_SCORED]:
            kind = str(flag["kind"]).lower().replace("_", " ")
            out.append((SHARED_IDENTIFIER, f"a {kind} ({flag['masked']}) is carried by {flag['count']} customers"))
        names = int(c.stats.get("distinct_names", 0))
        if names >= cfg.many_names:
            out.append((CLUSTER_MANY_NAMES, f"{names} different names in one cluster (threshold {cfg.many_names})"))
    if f.card is not None and f.card_carrier_names >= cfg.many_names:
        out.append(
            (
                CARD_MANY_NAMES,
                f"card ending {f.card.last4} is used under {f.card_carrier_names} different names "
                f"(threshold {cfg.many_names})",
            )
        )
    if f.card is not None and f.card.state in CARD_STATES:
        out.append((CARD_NOT_ACTIVE, f"card ending {f.card.last4} is {CARD_STATES[f.card.state]}"))
    if f.new_identities >= cfg.identity_burst:
        out.append(
            (
                NEW_IDENTITY_BURST,
                f"{f.new_identities} customers or identifiers added to the cluster within "
                f"{cfg.burst_window_hours}h (threshold {cfg.identity_burst})",
            )
        )
    if f.card is not None and c is not None and c.first_seen_us:
        card_age = f.now_us - f.card.create_us
        cluster_age = f.now_us - c.first_seen_us
        if card_age <= cfg.new_card_days * DAY_US and cluster_age >= cfg.old_cluster_days * DAY_US:
            out.append(
                (
                    NEW_CARD_ON_OLD_CLUSTER,
                    f"card ending {f.card.last4} added {card_age // DAY_US} days ago to a cluster known for "
                    f"{cluster_age // DAY_US} days",
                )
            )
    return out


def _contact(cfg: RiskConfig, f: Facts) -> list[tuple[str, str]]:
    if not f.contact_changed_us or f.now_us - f.contact_changed_us > cfg.contact_change_days * DAY_US:
        return []
    hours = (f.now_us - f.contact_changed_us) // HOUR_US
    if f.amount_eur_cents is not None and f.amount_eur_cents >= cfg.large_payment_eur_cents:
        return [
            (
                CONTACT_CHANGE_BEFORE_LARGE_PAYMENT,
                f"e-mail or phone changed {hours}h before a payment of EUR {f.amount_eur_cents / 100:.2f}",
            )
        ]
    return [(RECENT_CONTACT_CHANGE, f"e-mail or phone changed {hours}h ago")]


def assess(cfg: RiskConfig, f: Facts) -> Assessment:
    found: list[tuple[str, str]] = []
    if f.velocity is not None:
        found += _velocity(cfg, f.velocity)
    found += _identity(cfg, f)
    found += _contact(cfg, f)
    if f.known_merchant:
        found.append((KNOWN_MERCHANT, "the payer has paid this merchant before with strong authentication"))
    signals = [Signal(code, _score(cfg, code), reason) for code, reason in found]
    return Assessment(signals, max(0, sum(s.score for s in signals)))
