"""Reading the audit trail: by resource, by actor (per day), or tenant-wide by time range."""

from __future__ import annotations

import datetime as dt

from crs.domain import listing
from crs.domain.audit import day_of, decode_event
from crs.domain.errors import InvalidArgument, NotFound
from crs.domain.names import name_tenant
from crs.domain.paging import PageTokens, page_size, query_hash
from crs.domain.records import AuditRecord, now_us
from crs.domain.validation import is_plain_text
from crs.storage import schema
from crs.storage.base import Key, Record, Store

DEFAULT_WINDOW_US = 7 * 86400 * 1_000_000
LAST_US = 253_402_128_000_000_000  # 9999-12-30T00:00:00Z: day arithmetic stays inside datetime's range
MAX_WINDOW_DAYS = 366


class AuditLog:
    def __init__(self, store: Store, pages: PageTokens) -> None:
        self._store = store
        self._pages = pages

    async def list_page(
        self, tenant: str, resource: str, actor: str, start_us: int, end_us: int, size: int, token: str
    ) -> tuple[list[AuditRecord], str]:
        _check_filters(tenant, resource, actor)
        n = page_size(size)
        q = query_hash("audit", tenant, resource, actor, start_us, end_us)
        position = self._pages.decode(token, q)
        if position:  # the window was fixed by the first page
            start, end, cursor = int(position[0]), int(position[1]), position[2:]
        else:
            end = min(end_us or (LAST_US if resource else now_us()), LAST_US)
            start = start_us or (0 if resource else end - DEFAULT_WINDOW_US)
            cursor = []
        if start > end:
            raise InvalidArgument.of("start_time", "must not be after end_time")

        def keep(_key: Key, record: Record) -> AuditRecord | None:
            rec = decode_event(record.value)
            return rec if start <= rec.time_us < end else None

        def token_for(rest: list[object]) -> str:
            return self._pages.encode(q, [start, end, *rest])

        if resource:
            after = tuple(str(p) for p in cursor) if cursor else None
            items, nxt = await listing.list_partition(
                self._store, schema.audit_by_resource, (tenant, resource), after, n, keep
            )
            return items, (token_for(list(nxt)) if nxt else "")
        days = _days(start, end)
        if len(days) > MAX_WINDOW_DAYS:
            raise InvalidArgument.of("start_time", f"the time range must span at most {MAX_WINDOW_DAYS} days")
        day_index = int(cursor[0]) if cursor else 0
        after2: Key | None = tuple(str(p) for p in cursor[1:]) if len(cursor) > 1 else None
        items2: list[AuditRecord] = []
        while day_index < len(days):
            partition: Key = (tenant, actor, days[day_index]) if actor else (tenant, days[day_index])
            table = schema.audit_by_actor if actor else schema.audit_by_day
            got, nxt2 = await listing.list_partition(self._store, table, partition, after2, n - len(items2), keep)
            items2 += got
            if nxt2 is not None:
                return items2, token_for([day_index, *nxt2])
            day_index += 1
            after2 = None
            if len(items2) == n:
                return items2, (token_for([day_index]) if day_index < len(days) else "")
        return items2, ""


def _check_filters(tenant: str, resource: str, actor: str) -> None:
    if resource and actor:
        raise InvalidArgument.of("actor", "set at most one of resource or actor")
    for field_path, value in (("resource", resource), ("actor", actor)):
        if len(value) > 300 or not is_plain_text(value):
            raise InvalidArgument.of(field_path, "must be at most 300 printable characters")
    if resource and name_tenant(resource) != tenant:
        raise NotFound(f"{resource} not found", "NOT_FOUND", {}, "", resource)


def _days(start_us: int, end_us: int) -> list[str]:
    first = dt.datetime.fromtimestamp(start_us / 1e6, dt.UTC).date()
    last = dt.datetime.fromtimestamp(max(end_us - 1, start_us) / 1e6, dt.UTC).date()
    out: list[str] = []
    d = first
    while d <= last and len(out) <= MAX_WINDOW_DAYS:
        out.append(d.strftime("%Y%m%d"))
        d += dt.timedelta(days=1)
    return out


__all__ = ["AuditLog", "day_of"]
