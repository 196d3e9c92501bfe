"""crs.v1.ChangeFeedService: Subscribe (long-lived, polling with backoff), cursors, snapshots."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import Any

import grpc

from crs.api import convert
from crs.api.call import current
from crs.api.feed_convert import event_out, value_out
from crs.api.resources import name, parent
from crs.domain.app import Domain
from crs.domain.changefeed import outbox, snapshot
from crs.domain.changefeed.consumers import ConsumerRecord, check_cursor, horizon_us, retained_from_us
from crs.domain.changefeed.events import cursor_time_us, time_cursor
from crs.domain.changefeed.reader import read_page
from crs.domain.errors import FailedPrecondition, InvalidArgument
from crs.domain.names import Name
from crs.v1 import changefeed_pb2, changefeed_pb2_grpc

Ctx = grpc.aio.ServicerContext[Any, Any]
PAGE = 500
POLL_MIN_S, POLL_MAX_S = 0.05, 1.0
HEARTBEAT_S = 1.0


def _types(requested: Sequence[str], known: set[str], field_path: str = "resource_types") -> set[str]:
    for i, t in enumerate(requested):
        if t not in known:
            raise InvalidArgument.of(f"{field_path}[{i}]", f"must be one of {', '.join(sorted(known))}")
    return set(requested) or set(known)


def _consumer_out(rec: ConsumerRecord) -> changefeed_pb2.Consumer:
    return changefeed_pb2.Consumer(
        name=f"tenants/{rec.tenant}/consumers/{rec.name}", cursor=rec.cursor, update_time=convert.ts(rec.update_us)
    )


class ChangeFeedServicer(changefeed_pb2_grpc.ChangeFeedServiceServicer):
    def __init__(self, domain: Domain) -> None:
        self.d = domain
        self.draining = asyncio.Event()

    async def _start(self, consumer: Name, request: changefeed_pb2.SubscribeRequest) -> str:
        if request.start_cursor:
            return check_cursor(request.start_cursor, "start_cursor")
        committed = await self.d.consumers.find(consumer)
        if committed is not None and request.start_position == changefeed_pb2.START_POSITION_UNSPECIFIED:
            return check_cursor(committed.cursor, "cursor")
        if request.start_position == changefeed_pb2.EARLIEST:
            return time_cursor(retained_from_us() + 5_000_000)  # just inside retention: nothing expires mid-read
        if request.start_position == changefeed_pb2.LATEST:
            return time_cursor(horizon_us())
        raise FailedPrecondition(
            f"{consumer} has no committed cursor: pass start_cursor (from ExportSnapshot) or start_position",
            "NO_CURSOR",
        )

    async def Subscribe(
        self, request: changefeed_pb2.SubscribeRequest, context: Ctx
    ) -> AsyncIterator[changefeed_pb2.SubscribeResponse]:
        consumer = name(request.consumer, "consumers", "consumer")
        types = _types(request.resource_types, outbox.resource_types())
        if request.max_events < 0:
            raise InvalidArgument.of("max_events", "must not be negative")
        who = current().principal
        cursor = await self._start(consumer, request)
        sent, delay, last_beat = 0, POLL_MIN_S, 0.0
        loop = asyncio.get_running_loop()
        while not self.draining.is_set():
            if cursor_time_us(cursor) < retained_from_us():
                raise FailedPrecondition(
                    "the consumer fell behind the feed retention; take a new snapshot", "CURSOR_EXPIRED"
                )
            page = await read_page(self.d.store, consumer.tenant, cursor, horizon_us(), PAGE)
            for ev in page.events:
                if ev.resource_type in types:
                    yield changefeed_pb2.SubscribeResponse(event=event_out(self.d, ev, who))
                    sent += 1
                    if request.max_events and sent >= request.max_events:
                        return
            moved = page.cursor != cursor
            cursor = page.cursor
            if page.more:
                delay = POLL_MIN_S
                continue
            now = loop.time()
            if moved and now - last_beat >= HEARTBEAT_S:
                last_beat = now
                yield changefeed_pb2.SubscribeResponse(
                    heartbeat=changefeed_pb2.Heartbeat(cursor=cursor, horizon_time=convert.ts(cursor_time_us(cursor)))
                )
            delay = POLL_MIN_S if page.events else min(delay * 2, POLL_MAX_S)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.draining.wait(), timeout=delay)

    async def CommitCursor(self, request: changefeed_pb2.CommitCursorRequest, context: Ctx) -> changefeed_pb2.Consumer:
        consumer = name(request.consumer, "consumers", "consumer")
        return _consumer_out(await self.d.consumers.commit(current(), consumer, request.cursor))

    async def GetConsumer(self, request: changefeed_pb2.GetConsumerRequest, context: Ctx) -> changefeed_pb2.Consumer:
        return _consumer_out(await self.d.consumers.get(name(request.name, "consumers")))

    async def ExportSnapshot(
        self, request: changefeed_pb2.ExportSnapshotRequest, context: Ctx
    ) -> AsyncIterator[changefeed_pb2.ExportSnapshotResponse]:
        tenant = parent(request.parent)
        types = _types(request.resource_types, set(snapshot.SNAPSHOT_TYPES))
        who = current().principal
        snap = await snapshot.take(self.d.store, tenant, sorted(types))
        counts: dict[str, int] = {}
        for rtype in sorted(types):
            records = snap.records.get(rtype, {})
            counts[rtype] = len(records)
            for resource in sorted(records):
                yield changefeed_pb2.ExportSnapshotResponse(
                    record=changefeed_pb2.SnapshotRecord(
                        resource_type=rtype, resource=resource, value=value_out(self.d, rtype, records[resource], who)
                    )
                )
        end = changefeed_pb2.SnapshotEnd(cursor=snap.cursor, counts=counts, as_of_time=convert.ts(snap.as_of_us))
        yield changefeed_pb2.ExportSnapshotResponse(end=end)
