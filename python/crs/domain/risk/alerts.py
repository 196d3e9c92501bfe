"""Risk alerts: stored, audited and listed. ``emit`` is the one function that writes an alert (the change feed
event is added there once the feed exists).

An alert is keyed by (subject, signal codes, UTC day): assessing the same subject again the same day with the
same signals finds the alert already there and writes nothing, so repeated reads do not flood the list.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from crs.domain import listing
from crs.domain.audit import day_of
from crs.domain.context import CallContext
from crs.domain.errors import InvalidArgument
from crs.domain.mutation import Change, Mutation
from crs.domain.paging import PageTokens, page_size, query_hash
from crs.domain.records import decode, encode, now_us
from crs.domain.risk.signals import Signal
from crs.storage import schema
from crs.storage.base import ConditionFailed, Key, NotExists, Put, Record, Store, Write

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
MAX_LIST_DAYS = 90


@dataclass(slots=True)
class RiskAlertRecord:
    tenant: str
    id: str
    cluster_id: str
    subject: str  # the resource assessed: a card, customer or cluster name
    score: int
    threshold: int
    codes: list[str] = field(default_factory=list)
    # [{"code", "score", "reason"}]
    signals: list[dict[str, str | int]] = field(default_factory=list)
    create_us: int = 0


def alert_name(tenant: str, alert_id: str) -> str:
    return f"tenants/{tenant}/riskAlerts/{alert_id}"


def alert_id(tenant: str, subject: str, codes: Sequence[str], day: str) -> str:
    """ULID-shaped: the day's first millisecond, then 80 bits of a hash of (subject, codes, day)."""
    start = dt.datetime.strptime(day, "%Y%m%d").replace(tzinfo=dt.UTC)
    ms = int(start.timestamp() * 1000)
    digest = hashlib.sha256(f"{tenant}|{subject}|{','.join(sorted(codes))}|{day}".encode()).digest()
    value = (ms << 80) | int.from_bytes(digest[:10], "big")
    chars = []
    for _ in range(26):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def _writes(rec: RiskAlertRecord) -> list[Write]:
    value = encode(rec)
    writes: list[Write] = [
        Put(schema.risk_alerts_by_id, (rec.tenant, rec.id), value, condition=NotExists()),
        Put(schema.risk_alerts_by_day, (rec.tenant, day_of(rec.create_us), rec.id), value),
    ]
    if rec.cluster_id:
        writes.append(Put(schema.risk_alerts_by_cluster, (rec.tenant, rec.cluster_id, rec.id), value))
    return writes


class Alerts:
    def __init__(self, store: Store, mutation: Mutation, pages: PageTokens) -> None:
        self._store = store
        self._mutation = mutation
        self._pages = pages

    async def emit(
        self, ctx: CallContext, cluster_id: str, subject: str, score: int, threshold: int, signals: Sequence[Signal]
    ) -> RiskAlertRecord:
        """Stores and audits the alert for this subject and these signals today (or returns the one stored)."""
        tenant = ctx.tenant
        ts = now_us()
        codes = sorted({s.code for s in signals})
        aid = alert_id(tenant, subject, codes, day_of(ts))

        async def build() -> Change[RiskAlertRecord]:
            stored = await self._store.get(schema.risk_alerts_by_id, (tenant, aid))
            if stored is not None:
                return Change([], decode(RiskAlertRecord, stored.value), alert_name(tenant, aid))
            rec = RiskAlertRecord(
                tenant,
                aid,
                cluster_id,
                subject,
                score,
                threshold,
                codes,
                [{"code": s.code, "score": s.score, "reason": s.reason} for s in signals],
                ts,
            )
            return Change(_writes(rec), rec, alert_name(tenant, aid), ["*"])

        async def conflict(_failed: ConditionFailed) -> Exception | None:
            return None  # emitted concurrently: the rebuild returns the stored one

        return await self._mutation.run(_without_request_id(ctx), RiskAlertRecord, build, conflict)

    async def get(self, tenant: str, aid: str) -> RiskAlertRecord | None:
        stored = await self._store.get(schema.risk_alerts_by_id, (tenant, aid))
        return decode(RiskAlertRecord, stored.value) if stored else None

    async def list_page(
        self, tenant: str, cluster_id: str, start_us: int, size: int, token: str
    ) -> tuple[list[RiskAlertRecord], str]:
        """A cluster's alerts (oldest first), or the tenant's from ``start_us``'s day to today (default: 7 days)."""
        n = page_size(size)
        now = now_us()
        q = query_hash("risk-alerts", tenant, cluster_id, start_us)
        pos = self._pages.decode(token, q)

        def keep(_k: Key, r: Record) -> RiskAlertRecord:
            return decode(RiskAlertRecord, r.value)

        if cluster_id:
            after = tuple(str(p) for p in pos) if pos else None
            items, nxt = await listing.list_partition(
                self._store, schema.risk_alerts_by_cluster, (tenant, cluster_id), after, n, keep
            )
            return items, (self._pages.encode(q, list(nxt)) if nxt else "")
        start = start_us or now - 6 * 86_400_000_000
        if start < now - MAX_LIST_DAYS * 86_400_000_000:
            raise InvalidArgument.of("start_time", f"must be within the last {MAX_LIST_DAYS} days")
        day_us = int(pos[0]) if pos else start
        after_key = (str(pos[1]),) if pos and len(pos) > 1 else None
        out: list[RiskAlertRecord] = []
        while day_of(day_us) <= day_of(now):
            got, nxt = await listing.list_partition(
                self._store, schema.risk_alerts_by_day, (tenant, day_of(day_us)), after_key, n - len(out), keep
            )
            out += got
            if nxt is not None:
                return out, self._pages.encode(q, [day_us, str(nxt[0])])
            day_us += 86_400_000_000
            after_key = None
            if len(out) == n:
                more = day_of(day_us) <= day_of(now)
                return out, (self._pages.encode(q, [day_us]) if more else "")
        return out, ""


def _without_request_id(ctx: CallContext) -> CallContext:
    """An alert is a side effect of an assessment, not the call's own result: never replayed by request_id."""
    return replace(ctx, request_id="")
