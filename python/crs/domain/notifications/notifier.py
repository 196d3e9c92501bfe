"""``Notifier.handle(event)``: decide channel, address and send time for one event, and claim its notice.

One notice per (event, channel): the notice id is derived from both and written insert-if-not-exists, so
handling the same event again (feed redelivery, a retried scheduler run, two processes) finds the claim
and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from crs.domain.ids import new_version
from crs.domain.mutation import Change, Mutation
from crs.domain.notifications import notices
from crs.domain.notifications.model import (
    EMAIL,
    PENDING,
    SMS,
    SUPPRESSED,
    Clock,
    ContactQualityRecord,
    NoticeRecord,
    NotificationEvent,
    notice_id,
    notice_name,
    system_context,
)
from crs.domain.notifications.preferences import ContactPreferences, ContactPreferencesSource, PaymentBehaviour
from crs.domain.notifications.quality import Bounces, usable_address
from crs.domain.notifications.rules import KindRule, NotificationRules, Rules
from crs.domain.notifications.timing import send_time
from crs.storage import schema
from crs.storage.base import ConditionFailed, Store

NO_CHANNEL = "NONE"
_ADDRESS_KIND = {EMAIL: "email", SMS: "phone"}


class _Claimed(Exception):
    """The notice already exists (this event was handled before)."""


@dataclass(frozen=True, slots=True)
class Choice:
    channels: list[tuple[str, str]]  # usable (channel, address), preferred first
    skipped: dict[str, str]  # channel -> why not


def choose_channels(
    prefs: ContactPreferences, rule: KindRule, rules: Rules, bounces: ContactQualityRecord | None
) -> Choice:
    """The customer's channel order, restricted to the kind's channels, opt-outs and usable addresses."""
    usable: list[tuple[str, str]] = []
    skipped: dict[str, str] = {}
    for channel in prefs.channels:
        if channel not in rule.channels:
            skipped[channel] = "channel not used for this kind"
            continue
        if prefs.opted_out(channel, rule.purpose) and not rule.override_opt_out:
            skipped[channel] = f"opted out of {rule.purpose}"
            continue
        address = prefs.addresses.get(channel, "")
        if not address:
            skipped[channel] = "no address"
            continue
        if not usable_address(_ADDRESS_KIND.get(channel, "url"), address, bounces, rules.bounce_threshold):
            skipped[channel] = "address invalid or bouncing"
            continue
        usable.append((channel, address))
    return Choice(usable, skipped)


class Notifier:
    def __init__(
        self,
        store: Store,
        mutation: Mutation,
        rules: NotificationRules,
        preferences: ContactPreferencesSource,
        behaviour: PaymentBehaviour,
        clock: Clock,
    ) -> None:
        self._store = store
        self._mutation = mutation
        self._rules = rules
        self.preferences = preferences
        self.behaviour = behaviour
        self._clock = clock
        self._bounces = Bounces(store)

    async def handle(self, event: NotificationEvent) -> NoticeRecord | None:
        """The notice for this event (claimed now or before), or None when no rule asks for one."""
        rules = self._rules.of(event.tenant)
        rule = rules.kind(event.kind)
        if not rule.enabled:
            return None
        prefs = await self.preferences.get(event.tenant, event.customer_id)
        if prefs is None:
            return None
        return await self._notice_for(event, prefs, rules, rule, exclude=())

    async def fallback(self, dead: NoticeRecord) -> NoticeRecord | None:
        """After ``dead`` gave up: the same event on the next usable channel (its own (event, channel) notice)."""
        event = NotificationEvent(
            dead.event_id, dead.tenant, dead.kind, dead.customer_id, dead.occurred_us, dict(dead.facts)
        )
        rules = self._rules.of(dead.tenant)
        prefs = await self.preferences.get(dead.tenant, dead.customer_id)
        if prefs is None or not dead.fallback:
            return None
        tried = tuple(c for c in prefs.channels if c not in dead.fallback)
        return await self._notice_for(event, prefs, rules, rules.kind(dead.kind), exclude=tried)

    async def _notice_for(
        self,
        event: NotificationEvent,
        prefs: ContactPreferences,
        rules: Rules,
        rule: KindRule,
        exclude: tuple[str, ...],
    ) -> NoticeRecord | None:
        bounces = await self._bounces.get(event.tenant, event.customer_id)
        choice = choose_channels(prefs, rule, rules, bounces)
        usable = [(c, a) for c, a in choice.channels if c not in exclude]
        now = self._clock.now_us()
        if usable:
            channel, address = usable[0]
            usual = None if rule.urgent else await self.behaviour.usual_hour(event.tenant, event.customer_id)
            send_us = send_time(now, prefs, rule, usual, rules.default_send_hour)
            status, error = PENDING, ""
        else:
            channel, address, send_us, status = NO_CHANNEL, "", now, SUPPRESSED
            error = "; ".join(f"{c}: {why}" for c, why in sorted(choice.skipped.items())) or "no channel"
        rec = NoticeRecord(
            tenant=event.tenant,
            id=notice_id(event.event_id, channel),
            event_id=event.event_id,
            kind=event.kind,
            customer_id=event.customer_id,
            channel=channel,
            address=address,
            purpose=rule.purpose,
            language=prefs.language,
            status=status,
            send_us=send_us,
            create_us=now,
            occurred_us=event.occurred_us,
            facts=dict(event.facts),
            last_error=error,
            fallback=[c for c, _ in usable[1:]],
            version=new_version(),
        )
        return await self._claim(rec)

    async def _claim(self, rec: NoticeRecord) -> NoticeRecord:
        existing = await notices.load_notice(self._store, rec.tenant, rec.id)
        if existing is not None:
            await self._repair(existing)
            return existing

        async def build() -> Change[NoticeRecord]:
            return Change(notices.claim_writes(rec), rec, notice_name(rec.tenant, rec.id), ["*"], rec.kind)

        async def conflict(_failed: ConditionFailed) -> Exception:
            return _Claimed()

        try:
            return await self._mutation.run(system_context(rec.tenant, "claim"), NoticeRecord, build, conflict)
        except _Claimed:
            found = await notices.load_notice(self._store, rec.tenant, rec.id)
            assert found is not None  # the claim that beat us is durable
            return found

    async def _repair(self, rec: NoticeRecord) -> None:
        """On Cassandra the claim (a lightweight transaction) lands before the batch with the notice's queue and
        history rows; a crash in between leaves a claimed notice nobody would send. Handling the event again
        (the feed redelivers, the scheduler re-runs) rewrites the missing rows."""
        if rec.status != PENDING:
            return
        if await self._store.get(schema.notices_by_send_day, notices.queue_key(rec)) is not None:
            return
        await self._store.apply([w for w in notices.claim_writes(rec) if w.condition is None])
