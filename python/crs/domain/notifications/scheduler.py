"""Time-driven notices: the late-payment workflow over dues, and card-expiring notices over card expiries.

``Scheduler.run_once(tenant)`` is safe to run often, late, twice or from two processes: a workflow step is
notified first (its event id is derived from (due, step), so its notice is claimed once) and then recorded on
the due with a compare-and-set, so a crash in between repeats only the idempotent part.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zoneinfo
from dataclasses import dataclass, field, replace

from crs.domain.ids import new_version
from crs.domain.mutation import Change, Mutation
from crs.domain.notifications import notices
from crs.domain.notifications.dues import Dues, row_writes
from crs.domain.notifications.model import (
    CARD_EXPIRING,
    DUE_COLLECTIONS,
    DUE_OPEN,
    US,
    Clock,
    DueRecord,
    HistoryEntry,
    NotificationEvent,
    due_name,
    system_context,
)
from crs.domain.notifications.notifier import Notifier
from crs.domain.notifications.rules import LateStep, NotificationRules
from crs.domain.records import CardRecord, decode
from crs.storage import schema
from crs.storage.base import ConditionFailed, Store, VersionIs

CATCH_UP_DAYS = 3  # a scheduler that did not run for this many days still takes the steps it missed
_ACTIVE_CARD = 1


@dataclass(slots=True)
class ScheduleReport:
    steps: list[str] = field(default_factory=list)  # "due-name:step"
    notices: list[str] = field(default_factory=list)
    card_notices: list[str] = field(default_factory=list)


def step_event_id(tenant: str, account_id: str, due_id: str, step: str) -> str:
    return hashlib.sha256(f"due|{tenant}|{account_id}|{due_id}|{step}".encode()).hexdigest()[:32]


class _StepTaken(Exception):
    pass


class Scheduler:
    def __init__(
        self,
        store: Store,
        mutation: Mutation,
        rules: NotificationRules,
        dues: Dues,
        notifier: Notifier,
        clock: Clock,
    ) -> None:
        self._store = store
        self._mutation = mutation
        self._rules = rules
        self._dues = dues
        self._notifier = notifier
        self._clock = clock

    def _today(self, tenant: str) -> dt.date:
        tz = zoneinfo.ZoneInfo(self._rules.of(tenant).default_timezone)
        return dt.datetime.fromtimestamp(self._clock.now_us() / US, dt.UTC).astimezone(tz).date()

    async def run_once(self, tenant: str) -> ScheduleReport:
        report = ScheduleReport()
        await self.late_payments(tenant, report)
        await self.card_expiries(tenant, report)
        return report

    # -- late-payment workflow -------------------------------------------------------------------------

    async def late_payments(self, tenant: str, report: ScheduleReport) -> None:
        today = self._today(tenant)
        steps = self._rules.of(tenant).late_payment
        for step in steps:
            for back in range(CATCH_UP_DAYS, -1, -1):
                due_date = today - dt.timedelta(days=step.offset_days + back)
                for due in await self._dues.on_date(tenant, due_date.isoformat()):
                    await self._step(due, step, steps, report)

    async def _step(self, due: DueRecord, step: LateStep, steps: tuple[LateStep, ...], report: ScheduleReport) -> None:
        current = await self._dues.get(due.tenant, due.account_id, due.id)
        if current.status not in (DUE_OPEN, DUE_COLLECTIONS) or step.name in current.steps_done:
            return
        later = [s.name for s in steps if s.offset_days > step.offset_days]
        if any(name in current.steps_done for name in later):
            return  # a later step was already taken (catch-up after a long pause): do not go backwards
        name = due_name(due.tenant, due.account_id, due.id)
        if step.notify:
            event = NotificationEvent(
                step_event_id(due.tenant, due.account_id, due.id, step.name),
                due.tenant,
                step.kind,
                current.customer_id,
                self._clock.now_us(),
                {
                    "due": name,
                    "step": step.name,
                    "due_date": current.due_date,
                    "amount_minor": str(current.amount_minor),
                    "currency_code": current.currency_code,
                },
            )
            notice = await self._notifier.handle(event)
            if notice is not None:
                report.notices.append(notice.id)
        await self._record_step(current, step, name)
        report.steps.append(f"{name}:{step.name}")

    async def _record_step(self, current: DueRecord, step: LateStep, name: str) -> None:
        async def build() -> Change[DueRecord]:
            fresh = await self._dues.get(current.tenant, current.account_id, current.id)
            if step.name in fresh.steps_done or fresh.status not in (DUE_OPEN, DUE_COLLECTIONS):
                raise _StepTaken()
            now = self._clock.now_us()
            status = DUE_COLLECTIONS if step.collections else fresh.status
            rec = replace(
                fresh, steps_done=[*fresh.steps_done, step.name], status=status, update_us=now, version=new_version()
            )
            summary = f"{step.name}{' (collections)' if step.collections else ''}"
            writes = [
                *row_writes(rec, VersionIs(fresh.version)),
                notices.history_put(
                    rec.tenant,
                    rec.customer_id,
                    HistoryEntry("step", now, step.kind, name, summary),
                    f"{rec.account_id}.{rec.id}.{step.name}",
                ),
            ]
            changed = ["steps_done", "status"] if step.collections else ["steps_done"]
            return Change(writes, rec, name, changed, f"late-payment step {step.name}")

        async def conflict(_failed: ConditionFailed) -> None:
            return None  # changed meanwhile (paid, or another scheduler): rebuild sees it

        try:
            await self._mutation.run(system_context(current.tenant, "late-payment"), DueRecord, build, conflict)
        except _StepTaken:
            return

    # -- card expiring ---------------------------------------------------------------------------------

    async def card_expiries(self, tenant: str, report: ScheduleReport) -> None:
        """Cards whose expiry month ends within ``card_expiry_notice_days``: one notice per card and expiry."""
        rules = self._rules.of(tenant)
        today = self._today(tenant)
        horizon = today + dt.timedelta(days=rules.card_expiry_notice_days)
        month = dt.date(today.year, today.month, 1)
        while month <= horizon:
            following = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
            last_day = following - dt.timedelta(days=1)  # a card is valid through its expiry month
            if last_day - dt.timedelta(days=rules.card_expiry_notice_days) <= today:
                await self._expiring_in(tenant, f"{month.year:04d}{month.month:02d}", report)
            month = following

    async def _expiring_in(self, tenant: str, month: str, report: ScheduleReport) -> None:
        after = None
        while True:
            rows = await self._store.scan(schema.cards_by_expiry, (tenant, month), after=after, limit=200)
            ids = [str(r.clustering[0]) for r in rows]
            stored = await self._store.get_many(schema.cards_by_id, [(tenant, i) for i in ids])
            for s in stored:
                if s is None:
                    continue
                card = decode(CardRecord, s.value)
                if card.state != _ACTIVE_CARD:
                    continue
                event = NotificationEvent(
                    hashlib.sha256(f"card-expiring|{tenant}|{card.id}|{month}".encode()).hexdigest()[:32],
                    tenant,
                    CARD_EXPIRING,
                    card.customer_id,
                    self._clock.now_us(),
                    {
                        "card": f"tenants/{tenant}/cards/{card.id}",
                        "last4": card.last4,
                        "expiry": f"{month[4:]}/{month[:4]}",
                    },
                )
                notice = await self._notifier.handle(event)
                if notice is not None:
                    report.card_notices.append(notice.id)
            if len(rows) < 200:
                return
            after = rows[-1].clustering
