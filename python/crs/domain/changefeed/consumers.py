"""Named feed consumers and their committed cursors (``tenants/{t}/consumers/{name}``)."""

from __future__ import annotations

from dataclasses import dataclass

from crs.domain.changefeed.events import cursor_time_us, time_cursor, valid_cursor
from crs.domain.changefeed.outbox import SETTINGS
from crs.domain.context import CallContext
from crs.domain.errors import FailedPrecondition, InvalidArgument, NotFound
from crs.domain.mutation import Change, Mutation
from crs.domain.names import Name
from crs.domain.records import decode, encode, now_us
from crs.storage import schema
from crs.storage.base import Put, Store


@dataclass(slots=True)
class ConsumerRecord:
    tenant: str
    name: str
    cursor: str
    update_us: int = 0


def retained_from_us() -> int:
    """Events committed before this instant may already have expired."""
    return now_us() - SETTINGS.retention_seconds * 1_000_000


def horizon_us() -> int:
    """Events committed before this instant are all visible (the settle horizon)."""
    return now_us() - int(SETTINGS.settle_seconds * 1_000_000)


def check_cursor(cursor: str, field_path: str) -> str:
    if not valid_cursor(cursor):
        raise InvalidArgument.of(field_path, "is not a cursor returned by this service", "INVALID_CURSOR")
    if cursor_time_us(cursor) < retained_from_us():
        raise FailedPrecondition(
            "the cursor is older than the feed retention: events after it may be gone; take a new snapshot",
            "CURSOR_EXPIRED",
        )
    if cursor > time_cursor(now_us() + 60_000_000):
        raise InvalidArgument.of(field_path, "is in the future", "INVALID_CURSOR")
    return cursor


class Consumers:
    def __init__(self, store: Store, mutation: Mutation) -> None:
        self._store = store
        self._mutation = mutation

    async def find(self, name: Name) -> ConsumerRecord | None:
        stored = await self._store.get(schema.feed_consumers_by_name, (name.tenant, name.id))
        return decode(ConsumerRecord, stored.value) if stored else None

    async def get(self, name: Name) -> ConsumerRecord:
        rec = await self.find(name)
        if rec is None:
            raise NotFound(f"{name} not found", "NOT_FOUND", {}, "crs.v1/Consumer", str(name))
        return rec

    async def commit(self, ctx: CallContext, name: Name, cursor: str) -> ConsumerRecord:
        if not cursor:
            raise InvalidArgument.of("cursor", "is required")
        check_cursor(cursor, "cursor")
        rec = ConsumerRecord(name.tenant, name.id, cursor, now_us())

        async def build() -> Change[ConsumerRecord]:
            writes = [Put(schema.feed_consumers_by_name, (name.tenant, name.id), encode(rec))]
            return Change(writes, rec, str(name), ["cursor"])

        return await self._mutation.run(ctx, ConsumerRecord, build)
