"""RiskService: assess a card, customer or cluster, emit an alert when the score reaches the tenant's threshold."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from crs.domain.cards import Cards
from crs.domain.clusters.records import ClusterRecord
from crs.domain.clusters.service import Clusters
from crs.domain.context import CallContext
from crs.domain.customers import Customers
from crs.domain.errors import Aborted, FailedPrecondition, InvalidArgument, NotFound
from crs.domain.names import Name
from crs.domain.records import CardRecord, now_us
from crs.domain.risk.alerts import Alerts, RiskAlertRecord
from crs.domain.risk.config import RiskConfig, TenantRiskConfig
from crs.domain.risk.gather import FactReader, Subject
from crs.domain.risk.signals import Assessment, Facts, assess
from crs.domain.risk.txn import RiskTxn
from crs.domain.risk.velocity import ACCEPTED, Velocities, Velocity


@dataclass(frozen=True, slots=True)
class RiskReport:
    subject: str
    cluster_id: str
    assessment: Assessment
    velocity: Velocity | None
    alert: RiskAlertRecord | None
    alert_score: int
    facts: Facts


class Risk:
    def __init__(
        self,
        velocities: Velocities,
        cards: Cards,
        customers: Customers,
        clusters: Clusters,
        facts: FactReader,
        alerts: Alerts,
        config: TenantRiskConfig,
    ) -> None:
        self._velocities = velocities
        self._cards = cards
        self._customers = customers
        self._clusters = clusters
        self._facts = facts
        self.alerts = alerts
        self.config = config

    async def _cluster_of(self, tenant: str, customer_id: str) -> ClusterRecord | None:
        """The customer's live cluster, or None when it has none (closed, split or recomputed in flight)."""
        try:
            return await self._clusters.follow(tenant, await self._clusters.cluster_of_customer(tenant, customer_id))
        except (FailedPrecondition, NotFound, Aborted):
            return None

    async def subject(
        self, tenant: str, *, token: str = "", customer: Name | None = None, cluster: Name | None = None
    ) -> tuple[str, Subject]:
        """(resource name assessed, subject) for exactly one of token, customer, cluster."""
        if sum(bool(x) for x in (token, customer, cluster)) != 1:
            raise InvalidArgument.of("subject", "set exactly one of card_token, customer or cluster")
        if token:
            card = await self.card_by_token(tenant, token)
            return f"tenants/{tenant}/cards/{card.id}", Subject(
                await self._cluster_of(tenant, card.customer_id), [card.customer_id], card
            )
        if customer is not None:
            await self._customers.get(customer)
            return str(customer), Subject(await self._cluster_of(tenant, customer.id), [customer.id])
        assert cluster is not None
        rec = await self._clusters.follow(tenant, cluster.id)
        return f"tenants/{tenant}/clusters/{rec.id}", Subject(rec, [])

    async def card_by_token(self, tenant: str, token: str) -> CardRecord:
        card_id = await self._cards.card_id_for(tenant, token=token)
        return await self._cards.get(Name(tenant, "cards", card_id))

    async def assess(
        self,
        ctx: CallContext,
        name: str,
        subject: Subject,
        *,
        amount_eur_cents: int | None = None,
        known_merchant: bool = False,
    ) -> RiskReport:
        tenant = ctx.tenant
        cfg = self.config.of(tenant)
        now = now_us()
        facts = await self._facts.facts(tenant, subject, cfg, now)
        facts.amount_eur_cents = amount_eur_cents
        facts.known_merchant = known_merchant
        result = assess(cfg, facts)
        alert = await self._alert_if_crossed(ctx, cfg, name, subject, result)
        cluster_id = subject.cluster.id if subject.cluster else ""
        return RiskReport(name, cluster_id, result, facts.velocity, alert, cfg.alert_score, facts)

    async def observe(self, txn: RiskTxn, ctx: CallContext | None = None) -> str:
        """Counts one reported transaction in its cluster's velocity (a cluster merged since is followed to its
        survivor). With the reporting call's context, a cluster whose summary score (velocity and cluster-row
        signals) now reaches the alert score gets its alert."""
        cluster: ClusterRecord | None = None
        if txn.cluster_id:
            try:
                cluster = await self._clusters.follow(txn.tenant, txn.cluster_id)
            except (FailedPrecondition, NotFound):
                cluster = None  # split or emptied since, or unknown: counted under the id reported
        counted = replace(txn, cluster_id=cluster.id) if cluster is not None else txn
        outcome = await self._velocities.observe(counted)
        if ctx is None or outcome != ACCEPTED or cluster is None:
            return outcome
        now = now_us()
        velocity = await self._velocities.read(txn.tenant, cluster.id, now)
        cfg = self.config.of(txn.tenant)
        result = assess(cfg, Facts(now, velocity, cluster))
        name = f"tenants/{txn.tenant}/clusters/{cluster.id}"
        await self._alert_if_crossed(ctx, cfg, name, Subject(cluster, []), result)
        return outcome

    async def observe_many(self, txns: Sequence[RiskTxn], ctx: CallContext | None = None) -> list[str]:
        """``observe`` for a batch (RecordTransactions): one velocity compare-and-set per cluster, and each
        cluster whose summary score reaches the alert score after the batch gets its alert (assessed once, after
        the batch's events, rather than after each one)."""
        live: dict[tuple[str, str], ClusterRecord | None] = {}
        for t in txns:
            if t.cluster_id and (t.tenant, t.cluster_id) not in live:
                try:
                    live[(t.tenant, t.cluster_id)] = await self._clusters.follow(t.tenant, t.cluster_id)
                except (FailedPrecondition, NotFound):
                    live[(t.tenant, t.cluster_id)] = None  # counted under the id reported
        counted = []
        for t in txns:
            rec = live.get((t.tenant, t.cluster_id))
            counted.append(replace(t, cluster_id=rec.id) if rec is not None else t)
        outcomes = await self._velocities.observe_many(counted)
        if ctx is None:
            return outcomes
        clusters = {rec.id: rec for rec in live.values() if rec is not None}
        lifted = {(t.tenant, t.cluster_id) for t, o in zip(counted, outcomes, strict=True) if o == ACCEPTED}
        now = now_us()
        for tenant, cluster_id in sorted(lifted):
            cluster = clusters.get(cluster_id)
            if cluster is None:
                continue
            velocity = await self._velocities.read(tenant, cluster.id, now)
            cfg = self.config.of(tenant)
            result = assess(cfg, Facts(now, velocity, cluster))
            name = f"tenants/{tenant}/clusters/{cluster.id}"
            await self._alert_if_crossed(ctx, cfg, name, Subject(cluster, []), result)
        return outcomes

    async def _alert_if_crossed(
        self, ctx: CallContext, cfg: RiskConfig, name: str, subject: Subject, result: Assessment
    ) -> RiskAlertRecord | None:
        if result.score < cfg.alert_score or not result.signals:
            return None
        cluster_id = subject.cluster.id if subject.cluster else ""
        return await self.alerts.emit(ctx, cluster_id, name, result.score, cfg.alert_score, result.signals)
