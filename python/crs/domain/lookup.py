"""GetAuthorizationContext: the switch's one call in the authorization window.

Three store calls inside one ``Store.snapshot()`` (on the embedded store one read transaction: the answer
describes one state of the store; reads of one call that do not depend on each other are concurrent on
Cassandra): the card index (token or fingerprint) and the card it names
(``Store.get_through``); the account, the cardholder's cluster assignment and the account's relationships
(``Store.get_each_and_scan``); then the owners' customer records, the other owners' cluster assignments, the
cardholder's cluster, its velocity row and the preference rows (``Store.get_each``): the ``ContextRows``.
The risk summary (from the velocity row, the cluster row and the card) and the preferred method are computed
from them by ``_core`` (``core_rules``, which the API layer hands the rows to: it computes and encodes the
answer in one call) or, for what the core leaves to Python, by the Python rules (``context_of``), which are
the reference. Nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass

from crs._core import AuthorizationRules
from crs.domain.authorization_rules import core_rules
from crs.domain.cards import CardLookup, Cards
from crs.domain.checkout.methods import PaymentPreferences
from crs.domain.checkout.sources import ProfilePreferences
from crs.domain.clusters.records import ACTIVE, ClusterRecord, Membership
from crs.domain.errors import InvalidArgument
from crs.domain.records import decode, now_us
from crs.domain.risk.config import RiskConfig, TenantRiskConfig
from crs.domain.risk.signals import Assessment, Facts, assess
from crs.domain.risk.velocity import Velocity, of_row, velocity_read
from crs.storage import schema
from crs.storage.base import Key, Record, Store, Table


@dataclass(frozen=True, slots=True)
class AuthorizationContext:
    lookup: CardLookup
    clusters_of: dict[str, str]  # customer id -> cluster id
    cluster: ClusterRecord | None  # the cardholder's
    risk: Assessment | None = None  # from the cluster's velocity row, the cluster row and the card
    velocity: Velocity | None = None
    preferred_method: str = ""


@dataclass(frozen=True, slots=True)
class ContextRows:
    """The rows one authorization lookup read (in one snapshot), before any rule looked at them."""

    tenant: str
    lookup: CardLookup
    clusters_of: dict[str, str]  # customer id -> cluster id, for the owners that have one
    holder_cluster: str  # the cardholder's cluster id ("" for none)
    cluster: Record | None  # the cardholder's cluster row
    velocity: Record | None  # that cluster's velocity row
    preferences: list[Record | None]  # the rows ``PaymentPreferences.preference_reads`` named

    @property
    def holder(self) -> str:
        return str(self.lookup.card_fields["customer_id"])


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
        self._core_rules: dict[str, tuple[RiskConfig, AuthorizationRules | None]] = {}

    async def authorization_context(
        self, tenant: str, *, token: str = "", pan: str = "", fingerprint: str = ""
    ) -> AuthorizationContext:
        rows = await self.authorization_rows(tenant, token=token, pan=pan, fingerprint=fingerprint)
        return self.context_of(rows, now_us())

    async def authorization_rows(
        self, tenant: str, *, token: str = "", pan: str = "", fingerprint: str = ""
    ) -> ContextRows:
        if not (token or pan or fingerprint):
            raise InvalidArgument.of("key", "set token, pan or card_fingerprint")
        async with self._store.snapshot():
            return await self._rows(tenant, token, pan, fingerprint)

    def core_rules(self, tenant: str) -> AuthorizationRules | None:
        """The tenant's rules as ``_core`` evaluates them (``authorization_rules.py``), built once per tenant;
        None when the core does not reproduce them (the preferences are not the profiles', or a setting is
        out of its range): ``context_of`` then answers."""
        cfg = self._risk_config.of(tenant)
        cached = self._core_rules.get(tenant)
        if cached is None or cached[0] is not cfg:
            rules = core_rules(tenant, cfg) if isinstance(self._preferences, ProfilePreferences) else None
            cached = self._core_rules[tenant] = (cfg, rules)
        return cached[1]

    async def _rows(self, tenant: str, token: str, pan: str, fingerprint: str) -> ContextRows:
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
        return ContextRows(tenant, found, clusters_of, holder_cluster, stored_cluster, stored_velocity, list(rows))

    def context_of(self, rows: ContextRows, now: int) -> AuthorizationContext:
        """The context from its rows at ``now`` (µs), by the Python rules."""
        tenant, holder, found = rows.tenant, rows.holder, rows.lookup
        prefs = self._preferences.preferences_from(tenant, holder, rows.holder_cluster, rows.preferences)
        cluster: ClusterRecord | None = None
        if rows.cluster is not None:
            rec = decode(ClusterRecord, rows.cluster.value)
            cluster = rec if rec.state == ACTIVE else None
        preferred = prefs.default_by_channel[min(prefs.default_by_channel)] if prefs.default_by_channel else ""
        if cluster is None:
            return AuthorizationContext(found, rows.clusters_of, None, preferred_method=preferred)
        velocity = of_row(cluster.id, rows.velocity, now)
        risk = assess(self._risk_config.of(tenant), Facts(now, velocity, cluster, found.card))
        return AuthorizationContext(found, rows.clusters_of, cluster, risk, velocity, preferred)


def _membership(tenant: str, customer_id: str) -> tuple[Table, Key]:
    return schema.cluster_by_customer, (tenant, customer_id)
