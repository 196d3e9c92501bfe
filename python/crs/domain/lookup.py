"""GetAuthorizationContext: the switch's one call in the authorization window.

Three store calls inside one ``Store.snapshot()`` (on the embedded store one read transaction: the answer
describes one state of the store; reads of one call that do not depend on each other are concurrent on
Cassandra): the card index (token or fingerprint) and the card it names
(``Store.get_through``); the account, the cardholder's cluster assignment and the account's relationships
(``Store.get_each_and_scan``); then the owners' customer records, the other owners' cluster assignments, the
cardholder's cluster, its velocity row and the preference rows (``Store.get_each``). The risk
summary is computed from the velocity row, the cluster row and the card. Nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass

from crs.domain.cards import CardLookup, Cards
from crs.domain.checkout.methods import PaymentPreferences
from crs.domain.clusters.records import ACTIVE, ClusterRecord, Membership
from crs.domain.errors import InvalidArgument
from crs.domain.records import decode, now_us
from crs.domain.risk.config import TenantRiskConfig
from crs.domain.risk.signals import Assessment, Facts, assess
from crs.domain.risk.velocity import Velocity, of_row, velocity_read
from crs.storage import schema
from crs.storage.base import Key, Store, Table


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
        risk_config: TenantRiskConfig,
        preferences: PaymentPreferences,
    ) -> None:
        self._store = store
        self._cards = cards
        self._risk_config = risk_config
        self._preferences = preferences

    async def authorization_context(
        self, tenant: str, *, token: str = "", pan: str = "", fingerprint: str = ""
    ) -> AuthorizationContext:
        if not (token or pan or fingerprint):
            raise InvalidArgument.of("key", "set token, pan or card_fingerprint")
        async with self._store.snapshot():
            return await self._context(tenant, token, pan, fingerprint)

    async def _context(self, tenant: str, token: str, pan: str, fingerprint: str) -> AuthorizationContext:
        card_json, fields = await self._cards.card_for(tenant, pan=pan, token=token, fingerprint=fingerprint)
        account_id, holder = fields["account_id"], fields["customer_id"]
        (stored_account, holder_membership), owner_ids = await self._cards.account_and_owners(
            tenant, account_id, also=[_membership(tenant, holder)]
        )
        if holder not in owner_ids:
            owner_ids.append(holder)
        holder_cluster = decode(Membership, holder_membership.value).cluster_id if holder_membership else ""
        others = [c for c in owner_ids if c != holder]
        stored = await self._store.get_each(
            [
                *((schema.customers_by_id, (tenant, c)) for c in owner_ids),
                *(_membership(tenant, c) for c in others),
                *(
                    ((schema.clusters_by_id, (tenant, holder_cluster)), velocity_read(tenant, holder_cluster))
                    if holder_cluster
                    else ()
                ),
                *self._preferences.preference_reads(tenant, holder, holder_cluster),
            ]
        )
        rows = iter(stored)  # in the order read
        customers = [next(rows) for _ in owner_ids]
        memberships = [next(rows) for _ in others]
        stored_cluster, stored_velocity = (next(rows), next(rows)) if holder_cluster else (None, None)
        prefs = self._preferences.preferences_from(tenant, holder, holder_cluster, list(rows))
        clusters_of = {c: decode(Membership, m.value).cluster_id for c, m in zip(others, memberships, strict=True) if m}
        if holder_cluster:
            clusters_of[holder] = holder_cluster
        found = CardLookup(
            fields,
            card_json,
            stored_account.value if stored_account else None,
            [c.value for c in customers if c is not None],
            owner_ids,
        )
        cluster: ClusterRecord | None = None
        if stored_cluster is not None:
            rec = decode(ClusterRecord, stored_cluster.value)
            cluster = rec if rec.state == ACTIVE else None
        preferred = prefs.default_by_channel[min(prefs.default_by_channel)] if prefs.default_by_channel else ""
        if cluster is None:
            return AuthorizationContext(found, clusters_of, None, preferred_method=preferred)
        now = now_us()
        velocity = of_row(cluster.id, stored_velocity, now)
        risk = assess(self._risk_config.of(tenant), Facts(now, velocity, cluster, found.card))
        return AuthorizationContext(found, clusters_of, cluster, risk, velocity, preferred)


def _membership(tenant: str, customer_id: str) -> tuple[Table, Key]:
    return schema.cluster_by_customer, (tenant, customer_id)
