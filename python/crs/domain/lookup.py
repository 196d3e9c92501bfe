"""GetAuthorizationContext: the switch's one call in the authorization window.

One store read per table: the card index (token or fingerprint), the card, the account, the account's
relationships, the customers, their cluster assignments, their clusters and the cluster's velocity row (the
risk summary is computed from that row, the cluster row and the card). Nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from crs.domain.cards import CardLookup, Cards
from crs.domain.checkout.methods import PaymentPreferences
from crs.domain.clusters.records import ACTIVE, ClusterRecord, Membership
from crs.domain.errors import InvalidArgument
from crs.domain.records import decode, now_us
from crs.domain.risk.config import TenantRiskConfig
from crs.domain.risk.signals import Assessment, Facts, assess
from crs.domain.risk.velocity import Velocities, Velocity
from crs.storage import schema
from crs.storage.base import Store


@dataclass(frozen=True, slots=True)
class AuthorizationContext:
    lookup: CardLookup
    clusters_of: dict[str, str]  # customer id -> cluster id
    cluster: ClusterRecord | None  # the cardholder's
    risk: Assessment | None = None  # from the cluster's velocity row, the cluster row and the card
    velocity: Velocity | None = None
    preferred_method: str = ""


class Lookup:
    def __init__(
        self,
        store: Store,
        cards: Cards,
        velocities: Velocities,
        risk_config: TenantRiskConfig,
        preferences: PaymentPreferences,
    ) -> None:
        self._store = store
        self._cards = cards
        self._velocities = velocities
        self._risk_config = risk_config
        self._preferences = preferences

    async def authorization_context(
        self, tenant: str, *, token: str = "", pan: str = "", fingerprint: str = ""
    ) -> AuthorizationContext:
        if not (token or pan or fingerprint):
            raise InvalidArgument.of("key", "set token, pan or card_fingerprint")
        card_id = await self._cards.card_id_for(tenant, pan=pan, token=token, fingerprint=fingerprint)
        found = await self._cards.lookup_by_id(tenant, card_id)
        people = found.owner_ids  # the owners as read, the cardholder among them: no customer record decoded
        memberships = await self._store.get_many(schema.cluster_by_customer, [(tenant, c) for c in people])
        clusters_of = {
            c: decode(Membership, m.value).cluster_id for c, m in zip(people, memberships, strict=True) if m is not None
        }
        holder_cluster = clusters_of.get(found.card.customer_id)
        cluster: ClusterRecord | None = None
        if holder_cluster:
            stored = await self._store.get(schema.clusters_by_id, (tenant, holder_cluster))
            if stored is not None:
                rec = decode(ClusterRecord, stored.value)
                cluster = rec if rec.state == ACTIVE else None
        out = AuthorizationContext(found, clusters_of, cluster)
        prefs = await self._preferences.preferences(tenant, found.card.customer_id, holder_cluster or "")
        preferred = prefs.default_by_channel[min(prefs.default_by_channel)] if prefs.default_by_channel else ""
        if cluster is None:
            return replace(out, preferred_method=preferred)
        now = now_us()
        velocity = await self._velocities.read(tenant, cluster.id, now)
        risk = assess(self._risk_config.of(tenant), Facts(now, velocity, cluster, found.card))
        return replace(out, risk=risk, velocity=velocity, preferred_method=preferred)
