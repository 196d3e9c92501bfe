"""``Notifications``: the notification engine wired over one store, and the reads the API and the 360 view use."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from crs.domain import listing
from crs.domain.context import CallContext
from crs.domain.errors import FailedPrecondition, NotFound
from crs.domain.ids import new_version
from crs.domain.mutation import Change, Mutation
from crs.domain.notifications import notices
from crs.domain.notifications.delivery import Sender
from crs.domain.notifications.dispatcher import Dispatcher
from crs.domain.notifications.dues import Dues
from crs.domain.notifications.mapping import events_for_change
from crs.domain.notifications.model import (
    DEAD,
    PENDING,
    Clock,
    HistoryEntry,
    NoticeRecord,
    SystemClock,
    notice_name,
)
from crs.domain.notifications.notifier import Notifier
from crs.domain.notifications.preferences import (
    ContactPreferencesSource,
    CustomerRecordPreferences,
    NoPaymentHistory,
    PaymentBehaviour,
)
from crs.domain.notifications.quality import Bounces, ContactQuality, assess
from crs.domain.notifications.rules import NotificationRules
from crs.domain.notifications.scheduler import Scheduler
from crs.domain.paging import PageTokens, page_size, query_hash
from crs.domain.records import CustomerRecord, decode
from crs.storage import schema
from crs.storage.base import ConditionFailed, Delete, Store, VersionIs, Write

NOTICE_TYPE = "crs.v1/Notification"


@dataclass(frozen=True, slots=True)
class HistoryItem:
    """One row of a customer's notification history, with the notice's current state when it is a notice."""

    entry: HistoryEntry
    notice: NoticeRecord | None


class Notifications:
    def __init__(
        self,
        store: Store,
        mutation: Mutation,
        pages: PageTokens,
        rules: NotificationRules | None = None,
        *,
        clock: Clock | None = None,
        preferences: ContactPreferencesSource | None = None,
        behaviour: PaymentBehaviour | None = None,
        senders: Mapping[str, Sender] | None = None,
    ) -> None:
        self._store = store
        self._mutation = mutation
        self._pages = pages
        self.rules = rules or NotificationRules()
        self.clock: Clock = clock or SystemClock()
        self.notifier = Notifier(
            store,
            mutation,
            self.rules,
            preferences or CustomerRecordPreferences(store, self.rules),
            behaviour or NoPaymentHistory(),
            self.clock,
        )
        self.dues = Dues(store, mutation, pages, self.clock)
        self.scheduler = Scheduler(store, mutation, self.rules, self.dues, self.notifier, self.clock)
        self.dispatcher = Dispatcher(store, mutation, self.rules, self.notifier, senders or {}, self.clock)
        self._bounces = Bounces(store)

    async def on_change(
        self,
        resource: str,
        changed_fields: Sequence[str],
        old: Mapping[str, Any] | None,
        new: Mapping[str, Any],
        occurred_us: int,
    ) -> list[NoticeRecord]:
        """The change feed's internal consumer calls this per change (today: the card and customer servicers)."""
        out: list[NoticeRecord] = []
        for event in events_for_change(resource, changed_fields, old, new, occurred_us):
            notice = await self.notifier.handle(event)
            if notice is not None:
                out.append(notice)
        return out

    # -- reads ------------------------------------------------------------------------------------------

    async def get(self, tenant: str, nid: str) -> NoticeRecord:
        rec = await notices.load_notice(self._store, tenant, nid)
        if rec is None:
            name = notice_name(tenant, nid)
            raise NotFound(f"{name} not found", "NOT_FOUND", {}, NOTICE_TYPE, name)
        return rec

    async def recent(self, tenant: str, customer_id: str, n: int) -> list[HistoryItem]:
        """The customer's newest ``n`` notices and late-payment steps (for the 360 view), newest first."""
        items, _ = await self._history(tenant, customer_id, None, max(1, min(n, 1000)))
        return items

    async def history_page(self, tenant: str, customer_id: str, size: int, token: str) -> tuple[list[HistoryItem], str]:
        n = page_size(size)
        q = query_hash("notifications", tenant, customer_id)
        position = self._pages.decode(token, q)
        after = tuple(str(p) for p in position) if position else None
        items, nxt = await self._history(tenant, customer_id, after, n)
        return items, (self._pages.encode(q, list(nxt)) if nxt else "")

    async def _history(
        self, tenant: str, customer_id: str, after: tuple[str, ...] | None, n: int
    ) -> tuple[list[HistoryItem], tuple[Any, ...] | None]:
        entries, nxt = await listing.list_partition(
            self._store,
            schema.notices_by_customer,
            (tenant, customer_id),
            after,
            n,
            lambda _k, r: decode(HistoryEntry, r.value),
        )
        ids = [e.ref for e in entries if e.entry == "notice"]
        stored = await self._store.get_many(schema.notices_by_id, [(tenant, i) for i in ids])
        by_id = {rec.id: rec for rec in (notices.decode_notice(s) for s in stored if s is not None)}
        return [HistoryItem(e, by_id.get(e.ref) if e.entry == "notice" else None) for e in entries], nxt

    async def dead_letters(self, tenant: str, size: int, token: str) -> tuple[list[NoticeRecord], str]:
        n = page_size(size)
        q = query_hash("dead-letters", tenant)
        position = self._pages.decode(token, q)
        after = tuple(str(p) for p in position) if position else None
        ids, nxt = await listing.list_partition(
            self._store, schema.dead_notices_by_tenant, (tenant,), after, n, lambda k, _r: str(k[0])
        )
        stored = await self._store.get_many(schema.notices_by_id, [(tenant, i) for i in ids])
        return [notices.decode_notice(s) for s in stored if s is not None], (
            self._pages.encode(q, list(nxt)) if nxt else ""
        )

    async def contact_quality(self, tenant: str, customer_id: str) -> ContactQuality:
        stored = await self._store.get(schema.customers_by_id, (tenant, customer_id))
        if stored is None:
            name = f"tenants/{tenant}/customers/{customer_id}"
            raise NotFound(f"{name} not found", "NOT_FOUND", {}, "crs.v1/Customer", name)
        bounces = await self._bounces.get(tenant, customer_id)
        return assess(decode(CustomerRecord, stored.value), bounces, self.rules.of(tenant).bounce_threshold)

    # -- operator ---------------------------------------------------------------------------------------

    async def replay(self, ctx: CallContext, tenant: str, nid: str) -> NoticeRecord:
        """A dead letter back into the queue, due now, with its attempts reset (audited as the operator)."""

        async def build() -> Change[NoticeRecord]:
            current = await self.get(tenant, nid)
            if current.status != DEAD:
                raise FailedPrecondition("only a dead-lettered notification can be replayed", "NOT_DEAD_LETTER")
            rec = replace(
                current,
                status=PENDING,
                attempts=0,
                deliver_us=0,
                send_us=self.clock.now_us(),
                version=new_version(),
            )
            writes: list[Write] = [
                notices.put_notice(rec, VersionIs(current.version)),
                notices.queue_put(rec),
                Delete(schema.dead_notices_by_tenant, (tenant, nid)),
            ]
            return Change(writes, rec, notice_name(tenant, nid), ["status", "attempts", "send_time"], "replay")

        async def conflict(_failed: ConditionFailed) -> None:
            return None  # the dispatcher or another operator changed it: rebuild sees the new state

        return await self._mutation.run(ctx, NoticeRecord, build, conflict)
