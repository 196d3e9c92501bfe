"""What the cluster tables keep (JSON via ``crs.domain.records.encode``/``decode``)."""

from __future__ import annotations

from dataclasses import dataclass, field

# Identifier sources (crs.v1.IdentifierSource numbers).
SOURCE_CUSTOMER_RECORD, SOURCE_CARD, SOURCE_ADDED = 1, 2, 3

# Cluster states (crs.v1.ClusterState numbers).
ACTIVE, MERGED, SPLIT, EMPTY = 1, 2, 3, 4

# Link rules (crs.v1.LinkRule numbers), in the order links are applied.
STRONG_IDENTIFIER, WEAK_COMBINATION, PROBABILISTIC, ANALYST = 1, 2, 3, 4
RULE_ORDER = {ANALYST: 0, STRONG_IDENTIFIER: 1, WEAK_COMBINATION: 2, PROBABILISTIC: 3}

# Cluster event kinds (crs.v1.ClusterEventKind numbers).
EV_MERGED, EV_SPLIT, EV_MEMBER_ADDED, EV_MEMBER_REMOVED = 1, 2, 3, 4

MUST_LINK, CANNOT_LINK = "must", "cannot"


@dataclass(slots=True)
class IdentifierRecord:
    """One identifier of one customer: kind, keyed fingerprint, masked form. Never the value."""

    id: str
    kind: str  # IdentifierKind value
    fingerprint: str
    masked: str
    source: int
    strong: bool
    create_us: int = 0
    source_ref: str = ""  # the card id for SOURCE_CARD


@dataclass(slots=True)
class MatchState:
    """A customer's probabilistic-matching encodings (keyed only) and the blocking keys written for it."""

    record: str  # MatchRecord.to_json()
    blocks: list[str] = field(default_factory=list)


@dataclass(slots=True)
class LinkRecord:
    """A customer-customer link that is not a shared identifier: a probabilistic match or an analyst merge."""

    rule: int
    weight: float = 0.0
    levels: dict[str, str] = field(default_factory=dict)
    reason: str = ""
    create_us: int = 0


@dataclass(slots=True)
class OverrideRecord:
    kind: str  # MUST_LINK or CANNOT_LINK
    reason: str
    actor: str
    create_us: int = 0


@dataclass(slots=True)
class Membership:
    cluster_id: str
    join_us: int = 0


@dataclass(slots=True)
class ClusterRecord:
    tenant: str
    id: str
    state: int = ACTIVE
    version: int = 1
    size: int = 0
    successors: list[str] = field(default_factory=list)
    first_seen_us: int = 0
    last_seen_us: int = 0
    stats: dict[str, int] = field(default_factory=dict)
    # [{"kind", "fingerprint", "masked", "count"}]
    risk_flags: list[dict[str, str | int]] = field(default_factory=list)
    create_us: int = 0
    update_us: int = 0


@dataclass(slots=True)
class ClusterEventRecord:
    tenant: str
    event_id: str
    kind: int
    cluster_id: str
    cluster_version: int
    related: list[str] = field(default_factory=list)
    customers: list[str] = field(default_factory=list)
    reason: str = ""
    time_us: int = 0
