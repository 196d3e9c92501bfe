"""Sends due notices: lease, send (the notice id travels with it), record; retries with backoff; dead letters.

Per notice: (1) a compare-and-set takes a lease and counts the attempt, (2) the adapter sends with the notice
id as Message-ID / Idempotency-Key, (3) a compare-and-set records the outcome. A crash after (2) and before
(3) leaves the lease to expire; the next run sends again with the same notice id, which the receiver dedupes.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace

from crs.domain.ids import new_version
from crs.domain.mutation import Change, Mutation
from crs.domain.notifications import notices
from crs.domain.notifications.delivery import DeliveryError, Message, Sender
from crs.domain.notifications.model import (
    DEAD,
    DELIVERED,
    PENDING,
    US,
    Clock,
    NoticeRecord,
    notice_name,
    system_context,
)
from crs.domain.notifications.notifier import Notifier
from crs.domain.notifications.quality import MAX_ERROR, Bounces
from crs.domain.notifications.rules import NotificationRules
from crs.domain.notifications.templates import render
from crs.domain.records import encode
from crs.storage import schema
from crs.storage.base import ConditionFailed, Delete, Put, Store, VersionIs, Write

log = logging.getLogger("crs.notifications")
LEASE_SECONDS = 120

AfterSend = Callable[[NoticeRecord], Awaitable[None]]


@dataclass(slots=True)
class DispatchReport:
    delivered: list[str] = field(default_factory=list)
    retried: list[str] = field(default_factory=list)
    dead: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


class _Lost(Exception):
    """Another dispatcher changed the notice first."""


class Dispatcher:
    def __init__(
        self,
        store: Store,
        mutation: Mutation,
        rules: NotificationRules,
        notifier: Notifier,
        senders: Mapping[str, Sender],
        clock: Clock,
        after_send: AfterSend | None = None,
    ) -> None:
        self._store = store
        self._mutation = mutation
        self._rules = rules
        self._notifier = notifier
        self._senders = dict(senders)
        self._clock = clock
        self._bounces = Bounces(store)
        # Test hook: runs after the adapter accepted a notice and before the outcome is recorded.
        self.after_send = after_send

    def use_senders(self, senders: Mapping[str, Sender]) -> None:
        self._senders = dict(senders)

    async def run_once(self, tenant: str, limit: int = 200) -> DispatchReport:
        """Sends every notice of ``tenant`` whose send time has come (at most ``limit``)."""
        report = DispatchReport()
        now = self._clock.now_us()
        today = dt.datetime.fromtimestamp(now / US, dt.UTC).date()
        for back in range(self._rules.of(tenant).dispatch_lookback_days, -1, -1):
            day = (today - dt.timedelta(days=back)).strftime("%Y%m%d")
            rows = await self._store.scan(schema.notices_by_send_day, (tenant, day), limit=limit)
            for row in rows:
                key, nid = str(row.clustering[0]), str(row.clustering[1])
                if key > notices.send_key(now) or len(report.delivered) + len(report.retried) >= limit:
                    break
                await self._one(tenant, (tenant, day, key, nid), report)
        return report

    async def _one(self, tenant: str, row: tuple[str, str, str, str], report: DispatchReport) -> None:
        nid = row[3]
        rec = await notices.load_notice(self._store, tenant, nid)
        now = self._clock.now_us()
        if rec is None or rec.status != PENDING or notices.queue_key(rec) != row:
            # A queue row the notice has moved past. On Cassandra a compare-and-set on the notice and the batch
            # that moves its queue row are two steps; a crash between them leaves this row behind. Repair: the
            # notice's current row is (re)written if it is still pending, and this stale row goes.
            repair: list[Write] = [Delete(schema.notices_by_send_day, row)]
            if rec is not None and rec.status == PENDING:
                repair.append(notices.queue_put(rec))
            await self._store.apply(repair)
            report.skipped.append(nid)
            return
        if rec.deliver_us and rec.deliver_us > now:  # leased by another dispatcher
            report.skipped.append(nid)
            return
        try:
            leased = await self._lease(rec, now)
        except _Lost:
            report.skipped.append(nid)
            return
        subject, body = render(rec.kind, rec.language, rec.facts)
        message = Message(rec.id, rec.channel, rec.address, rec.kind, rec.language, subject, body, dict(rec.facts))
        sender = self._senders.get(rec.channel)
        try:
            if sender is None:
                raise DeliveryError(f"no {rec.channel} adapter configured", permanent=False)
            provider_id = await sender.send(message)
        except DeliveryError as exc:
            await self._failed(leased, str(exc), exc.permanent, report)
            return
        if self.after_send is not None:
            await self.after_send(leased)
        await self._delivered(leased, provider_id, report)

    async def _cas(self, old: NoticeRecord, new: NoticeRecord, extra: list[Write], action: str, field: str) -> None:
        async def build() -> Change[NoticeRecord]:
            writes: list[Write] = [notices.put_notice(new, VersionIs(old.version)), *extra]
            return Change(writes, new, notice_name(new.tenant, new.id), [field], new.kind)

        async def conflict(_failed: ConditionFailed) -> Exception:
            return _Lost()

        await self._mutation.run(system_context(new.tenant, action), NoticeRecord, build, conflict, attempts=1)

    async def _lease(self, rec: NoticeRecord, now: int) -> NoticeRecord:
        """Counts the attempt and holds the notice for LEASE_SECONDS (``deliver_us`` doubles as the lease end
        while PENDING)."""
        new = replace(rec, attempts=rec.attempts + 1, deliver_us=now + LEASE_SECONDS * US, version=new_version())
        await self._cas(rec, new, [], "lease", "attempts")
        return new

    async def _delivered(self, rec: NoticeRecord, provider_id: str, report: DispatchReport) -> None:
        now = self._clock.now_us()
        new = replace(
            rec, status=DELIVERED, deliver_us=now, provider_id=provider_id[:128], last_error="", version=new_version()
        )
        try:
            await self._cas(rec, new, [notices.queue_delete(rec)], "delivered", "status")
        except _Lost:
            report.skipped.append(rec.id)
            return
        report.delivered.append(rec.id)
        await self._bounces.clear(rec.tenant, rec.customer_id, rec.address, now)

    async def _failed(self, rec: NoticeRecord, error: str, permanent: bool, report: DispatchReport) -> None:
        rules = self._rules.of(rec.tenant)
        now = self._clock.now_us()
        if not permanent and rec.attempts < rules.max_attempts:
            new = replace(
                rec,
                send_us=now + rules.backoff_us(rec.attempts),
                deliver_us=0,
                last_error=error[:MAX_ERROR],
                version=new_version(),
            )
            try:
                await self._cas(rec, new, [notices.queue_delete(rec), notices.queue_put(new)], "retry", "send_time")
            except _Lost:
                report.skipped.append(rec.id)
                return
            report.retried.append(rec.id)
            return
        new = replace(rec, status=DEAD, deliver_us=0, last_error=error[:MAX_ERROR], version=new_version())
        dead_row = Put(schema.dead_notices_by_tenant, (rec.tenant, rec.id), encode(new))
        try:
            await self._cas(rec, new, [notices.queue_delete(rec), dead_row], "dead", "status")
        except _Lost:
            report.skipped.append(rec.id)
            return
        report.dead.append(rec.id)
        log.warning("notice dead-lettered", extra={"notice": rec.id, "channel": rec.channel, "error": error[:200]})
        if rec.address:
            await self._bounces.record(rec.tenant, rec.customer_id, rec.address, error, now)
        await self._notifier.fallback(new)
