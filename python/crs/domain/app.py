"""Wires the domain services over one store and one key ring."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from typing import Any

from crs._core import KeyRing
from crs.domain.accounts import Accounts
from crs.domain.after_recording import AfterRecording
from crs.domain.audit_log import AuditLog
from crs.domain.cards import Cards
from crs.domain.cases import Cases
from crs.domain.changefeed.consumers import Consumers
from crs.domain.checkout.advice import Checkout
from crs.domain.checkout.sca_state import ScaStates
from crs.domain.checkout.sources import AggregateHistory, ProfilePreferences
from crs.domain.clusters.engine import Engine, NationalIds
from crs.domain.clusters.rules import TenantRules
from crs.domain.clusters.service import Clusters
from crs.domain.context import CallContext
from crs.domain.customer360 import Customer360
from crs.domain.customers import Customers
from crs.domain.feedback import Feedback
from crs.domain.lookup import Lookup
from crs.domain.mutation import Mutation
from crs.domain.notifications.large_payments import LargeOrUnusual
from crs.domain.notifications.preferences import CustomerRecordPreferences
from crs.domain.notifications.rules import NotificationRules
from crs.domain.notifications.service import Notifications
from crs.domain.paging import PageTokens
from crs.domain.profile_contact import ProfileContactPreferences
from crs.domain.profiles import Profiles
from crs.domain.records import now_us
from crs.domain.relationships import Relationships
from crs.domain.risk.alerts import Alerts
from crs.domain.risk.config import TenantRiskConfig
from crs.domain.risk.from_transactions import risk_txns
from crs.domain.risk.gather import FactReader
from crs.domain.risk.service import Risk
from crs.domain.risk.txn import RiskTxn
from crs.domain.risk.velocity import Velocities
from crs.domain.transactions.insights import CustomerInsights
from crs.domain.transactions.model import TransactionRecord
from crs.domain.transactions.recorder import Transactions
from crs.domain.transactions.segment_rules import TenantSegmentRules
from crs.domain.transactions.segments import Segments
from crs.domain.vault import Vault
from crs.storage.base import Store

log = logging.getLogger("crs.clusters")


class Domain:
    def __init__(
        self,
        store: Store,
        keyring: KeyRing,
        rules: TenantRules | None = None,
        notification_rules: NotificationRules | None = None,
        risk_config: TenantRiskConfig | None = None,
        segment_rules: TenantSegmentRules | None = None,
    ) -> None:
        self.store = store
        self.keyring = keyring
        mutation = Mutation(store)
        pages = PageTokens(keyring)
        self.customers = Customers(store, keyring, mutation, pages)
        self.relationships = Relationships(store, mutation, pages)
        self.accounts = Accounts(store, self.customers, mutation, pages)
        self.vault = Vault(store, keyring, mutation)
        self.cards = Cards(store, self.vault, self.accounts, self.customers, mutation, pages)
        self.audit_log = AuditLog(store, pages)
        engine = Engine(store, keyring, NationalIds(self.customers.reveal_national_ids), rules or TenantRules())
        self.clusters = Clusters(store, keyring, self.customers, self.cards, engine, mutation, pages)
        self.profiles = Profiles(store, mutation)
        self.cases = Cases(store, mutation, pages)
        self.feedback = Feedback(store, mutation, pages)
        notification_rules = notification_rules or NotificationRules()
        contact = ProfileContactPreferences(self.profiles, CustomerRecordPreferences(store, notification_rules))
        self.notifications = Notifications(store, mutation, pages, notification_rules, preferences=contact)
        self.risk_config = risk_config or TenantRiskConfig()
        self.velocities = Velocities(store)
        self.risk = Risk(
            self.velocities,
            self.cards,
            self.customers,
            self.clusters,
            FactReader(store, keyring, self.velocities),
            Alerts(store, mutation, pages),
            self.risk_config,
        )
        self.sca = ScaStates(store, self.risk_config)
        preferences = ProfilePreferences(self.profiles)
        self.checkout = Checkout(self.risk, self.sca, AggregateHistory(store), preferences)
        self.lookup = Lookup(store, self.cards, self.risk_config, preferences)
        self.consumers = Consumers(store, mutation)  # change-feed consumers (docs/back-office.md)
        # Transactions, segments, insights (docs/transactions.md, docs/segments.md).
        self.segments = Segments(store, mutation, pages, segment_rules)
        large = LargeOrUnusual(store, notification_rules, self.notifications)
        after = AfterRecording(
            [("segments", self.segments.observe), ("risk", self.observe_recorded), ("notifications", large.observe)]
        )
        self.transactions = Transactions(store, self.cards, mutation, pages, on_recorded=after)
        self.insights = CustomerInsights(store, self.customers, self.clusters)
        self.customer360 = Customer360(
            store, self.profiles, self.cases, self.feedback, self.segments, self.transactions, self.notifications
        )

    async def observe_transaction(self, txn: RiskTxn, ctx: CallContext | None = None) -> None:
        """Feeds one newly recorded transaction to the cluster velocity and the payer's SCA state
        (RecordTransactions calls this for each transaction it newly records, with its call context so that a
        velocity threshold crossed by the transaction raises the cluster's risk alert at once)."""
        await self.risk.observe(txn, ctx)
        await self.sca.observe(txn)

    async def observe_recorded(self, ctx: CallContext, tenant: str, records: list[TransactionRecord]) -> None:
        """RecordTransactions' newly recorded transactions (never duplicates): the payments among them feed the
        cluster velocity (with the call's context: a crossed threshold raises the cluster's alert) and the
        payers' SCA state, one compare-and-set per cluster and per payer."""
        txns = await risk_txns(self.store, tenant, records)
        if not txns:
            return
        try:
            await self.risk.observe_many(txns, ctx)
        finally:  # the SCA state is fed even when the velocity could not be
            await self.sca.observe_many(txns)

    async def after_change(self, tenant: str, customer_ids: Iterable[str], reason: str) -> None:
        """Brings the customers' identifiers and clusters up to date after a committed change.

        The change itself is already durable; if this fails (store unavailable, a cluster that kept
        changing), the call still succeeds and the cluster catches up on the customer's next change, on
        ResolveCluster for a customer without a cluster, or on ``crs clusters rebuild``.
        """
        try:
            await self.clusters.engine.reconcile(tenant, customer_ids, reason)
        except Exception:
            log.exception("cluster reconciliation failed; it will catch up on the next change")

    async def notify_change(self, resource: str, changed_fields: Sequence[str], new: Any) -> None:
        """Notification events of a committed change (card state, customer contact data). The change feed's
        internal consumer replaces this call; like ``after_change`` a failure here never fails the call."""
        try:
            await self.notifications.on_change(resource, changed_fields, None, asdict(new), now_us())
        except Exception:
            logging.getLogger("crs.notifications").exception("notification of a change failed")
