"""The rows of one notice: the notice itself, its history row, its place in the dispatcher's queue."""

from __future__ import annotations

import datetime as dt

from crs.domain.notifications.model import PENDING, HistoryEntry, NoticeRecord
from crs.domain.records import decode, encode
from crs.storage import schema
from crs.storage.base import Condition, Delete, NotExists, Put, Record, Store, Write

_RANK_MAX = 10**19 - 1


def rank(time_us: int) -> str:
    """Inverted, fixed-width: ascending clustering order is newest first."""
    return f"{_RANK_MAX - time_us:019d}"


def send_day(send_us: int) -> str:
    return dt.datetime.fromtimestamp(send_us / 1e6, dt.UTC).strftime("%Y%m%d")


def send_key(send_us: int) -> str:
    return f"{send_us:017d}"


def queue_key(rec: NoticeRecord) -> tuple[str, str, str, str]:
    return (rec.tenant, send_day(rec.send_us), send_key(rec.send_us), rec.id)


def history_put(tenant: str, customer_id: str, entry: HistoryEntry, entry_id: str) -> Put:
    return Put(schema.notices_by_customer, (tenant, customer_id, rank(entry.time_us), entry_id), encode(entry))


def put_notice(rec: NoticeRecord, condition: Condition | None = None) -> Put:
    return Put(schema.notices_by_id, (rec.tenant, rec.id), encode(rec), rec.version, condition)


def queue_put(rec: NoticeRecord) -> Put:
    return Put(schema.notices_by_send_day, queue_key(rec), b"{}")


def queue_delete(rec: NoticeRecord) -> Delete:
    return Delete(schema.notices_by_send_day, queue_key(rec))


def claim_writes(rec: NoticeRecord) -> list[Write]:
    writes: list[Write] = [put_notice(rec, NotExists())]
    writes.append(
        history_put(
            rec.tenant,
            rec.customer_id,
            HistoryEntry("notice", rec.create_us, rec.kind, rec.id, f"{rec.channel} {rec.status}"),
            rec.id,
        )
    )
    if rec.status == PENDING:
        writes.append(queue_put(rec))
    return writes


def decode_notice(stored: Record) -> NoticeRecord:
    return decode(NoticeRecord, stored.value)


async def load_notice(store: Store, tenant: str, nid: str) -> NoticeRecord | None:
    stored = await store.get(schema.notices_by_id, (tenant, nid))
    return decode_notice(stored) if stored else None
