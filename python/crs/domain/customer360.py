"""GetCustomer360: one customer's whole picture, assembled from one read per source.

Each section is one method reading by key or from one partition; the sections that depend only on the
customer id run concurrently (first wave), the ones that need the customer's cluster id or the ids found
by the first wave run in a second wave. New sources (segments, recent transactions, notifications) become
one more section method and one more field of ``Customer360View``; no fake data stands in for them. Segments,
the last transactions and the notification history are first-wave sections (each one keyed read or one
partition slice per month / one partition).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from crs.domain.cases import Cases
from crs.domain.clusters.records import ClusterRecord, Membership
from crs.domain.effective_profile import EffectiveProfile
from crs.domain.errors import InvalidArgument, NotFound
from crs.domain.feedback import Feedback
from crs.domain.loading import load_many
from crs.domain.names import Name
from crs.domain.notifications.service import HistoryItem, Notifications
from crs.domain.profiles import Profiles
from crs.domain.records import AccountRecord, CardRecord, CustomerRecord, decode
from crs.domain.support_records import CaseRecord, FeedbackRecord
from crs.domain.transactions.model import TransactionRecord
from crs.domain.transactions.recorder import Transactions
from crs.domain.transactions.segments import SegmentRecord, Segments
from crs.storage import schema
from crs.storage.base import Store

SECTION_LIMIT = 100
DEFAULT_FEEDBACK = 5
MAX_FEEDBACK = 50
DEFAULT_TRANSACTIONS = 10
DEFAULT_NOTIFICATIONS = 10
MAX_RECENT = 50


@dataclass(frozen=True, slots=True)
class Customer360View:
    customer: CustomerRecord
    cluster: ClusterRecord | None
    accounts: list[AccountRecord]
    cards: list[CardRecord]
    profile: EffectiveProfile
    open_cases: list[CaseRecord]
    recent_feedback: list[FeedbackRecord]
    truncated: list[str] = field(default_factory=list)  # names of sections cut at SECTION_LIMIT
    segments: SegmentRecord | None = None  # None while the customer has no recorded transaction
    recent_transactions: list[TransactionRecord] = field(default_factory=list)
    recent_notifications: list[HistoryItem] = field(default_factory=list)


def feedback_count(requested: int) -> int:
    if requested < 0 or requested > MAX_FEEDBACK:
        raise InvalidArgument.of("feedback_count", f"must be 0 (default {DEFAULT_FEEDBACK}) to {MAX_FEEDBACK}")
    return requested or DEFAULT_FEEDBACK


def recent_count(path: str, requested: int, default: int) -> int:
    if requested < 0 or requested > MAX_RECENT:
        raise InvalidArgument.of(path, f"must be 0 (default {default}) to {MAX_RECENT}")
    return requested or default


class Customer360:
    def __init__(
        self,
        store: Store,
        profiles: Profiles,
        cases: Cases,
        feedback: Feedback,
        segments: Segments,
        transactions: Transactions,
        notifications: Notifications,
    ) -> None:
        self._store = store
        self._profiles = profiles
        self._cases = cases
        self._feedback = feedback
        self._segments = segments
        self._transactions = transactions
        self._notifications = notifications

    # -- sections ----------------------------------------------------------------------------------

    async def _customer(self, name: Name) -> CustomerRecord:
        stored = await self._store.get(schema.customers_by_id, (name.tenant, name.id))
        if stored is None:
            raise NotFound(f"{name} not found", "NOT_FOUND", {}, "crs.v1/Customer", str(name))
        return decode(CustomerRecord, stored.value)

    async def _cluster_id(self, tenant: str, customer_id: str) -> str:
        stored = await self._store.get(schema.cluster_by_customer, (tenant, customer_id))
        return decode(Membership, stored.value).cluster_id if stored else ""

    async def _cluster(self, tenant: str, cluster_id: str) -> ClusterRecord | None:
        if not cluster_id:
            return None
        stored = await self._store.get(schema.clusters_by_id, (tenant, cluster_id))
        return decode(ClusterRecord, stored.value) if stored else None

    async def _account_ids(self, tenant: str, customer_id: str) -> tuple[list[str], bool]:
        # One row per (account, relationship): a customer related to one account in two roles has two rows.
        rows = await self._store.scan(schema.accounts_by_customer, (tenant, customer_id), limit=2 * SECTION_LIMIT)
        ids = list(dict.fromkeys(str(r.clustering[0]) for r in rows))
        return ids[:SECTION_LIMIT], len(ids) > SECTION_LIMIT or len(rows) == 2 * SECTION_LIMIT

    async def _card_ids(self, tenant: str, customer_id: str) -> tuple[list[str], bool]:
        rows = await self._store.scan(schema.cards_by_customer, (tenant, customer_id), limit=SECTION_LIMIT + 1)
        return [str(r.clustering[0]) for r in rows[:SECTION_LIMIT]], len(rows) > SECTION_LIMIT

    async def _activity(
        self, tenant: str, customer_id: str, n_feedback: int, n_txns: int, n_notices: int
    ) -> tuple[list[FeedbackRecord], SegmentRecord | None, list[TransactionRecord], list[HistoryItem]]:
        """Feedback, segments, the last transactions and notifications: independent reads, concurrent."""
        return await asyncio.gather(
            self._feedback.recent(tenant, customer_id, n_feedback),
            self._segments.get(tenant, customer_id),
            self._transactions.recent(tenant, customer_id, n_txns),
            self._notifications.recent(tenant, customer_id, n_notices),
        )

    # -- the view ----------------------------------------------------------------------------------

    async def get(self, name: Name, feedback: int, transactions: int = 0, notifications: int = 0) -> Customer360View:
        n_feedback = feedback_count(feedback)
        n_txns = recent_count("transaction_count", transactions, DEFAULT_TRANSACTIONS)
        n_notices = recent_count("notification_count", notifications, DEFAULT_NOTIFICATIONS)
        tenant, cid = name.tenant, name.id
        (
            customer,
            cluster_id,
            (account_ids, more_accounts),
            (card_ids, more_cards),
            cases,
            (recent, segments, txns, notices),
        ) = await asyncio.gather(
            self._customer(name),
            self._cluster_id(tenant, cid),
            self._account_ids(tenant, cid),
            self._card_ids(tenant, cid),
            self._cases.open_cases(tenant, cid, SECTION_LIMIT),
            self._activity(tenant, cid, n_feedback, n_txns, n_notices),
        )
        cluster, profile, accounts, cards = await asyncio.gather(
            self._cluster(tenant, cluster_id),
            self._profiles.effective_for(customer, cluster_id),
            load_many(self._store, schema.accounts_by_id, tenant, account_ids, AccountRecord),
            load_many(self._store, schema.cards_by_id, tenant, card_ids, CardRecord),
        )
        open_cases, more_cases = cases
        truncated = [
            s for s, cut in (("accounts", more_accounts), ("cards", more_cards), ("open_cases", more_cases)) if cut
        ]
        return Customer360View(
            customer, cluster, accounts, cards, profile, open_cases, recent, truncated, segments, txns, notices
        )
