"""Wires the domain services over one store and one key ring."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from crs._core import KeyRing
from crs.domain.accounts import Accounts
from crs.domain.audit_log import AuditLog
from crs.domain.cards import Cards
from crs.domain.clusters.engine import Engine, NationalIds
from crs.domain.clusters.rules import TenantRules
from crs.domain.clusters.service import Clusters
from crs.domain.customers import Customers
from crs.domain.lookup import Lookup
from crs.domain.mutation import Mutation
from crs.domain.paging import PageTokens
from crs.domain.relationships import Relationships
from crs.domain.transactions.insights import CustomerInsights
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
        self.cards = Cards(store, self.vault, self.accounts, self.customers, self.relationships, mutation, pages)
        self.audit_log = AuditLog(store, pages)
        engine = Engine(store, keyring, NationalIds(self.customers.reveal_national_ids), rules or TenantRules())
        self.clusters = Clusters(store, keyring, self.customers, self.cards, engine, mutation, pages)
        self.lookup = Lookup(store, self.cards)
        # Transactions, segments, insights (docs/transactions.md, docs/segments.md): for the 360 view use
        # transactions.recent(tenant, customer_id, n) and segments.get(tenant, customer_id).
        self.segments = Segments(store, mutation, pages, segment_rules)
        self.transactions = Transactions(store, self.cards, mutation, pages, on_recorded=self.segments.observe)
        self.insights = CustomerInsights(store, self.customers, self.clusters)

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
