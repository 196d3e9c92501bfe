"""Change-feed client helpers for tests: snapshots, bounded subscriptions."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import grpc

from crs.v1 import changefeed_pb2, changefeed_pb2_grpc
from tests.helpers.data import ACME

F = changefeed_pb2
SETTLE_S = 0.5  # the feed settle horizon the tests' servers run with (--feed-settle)
FEED_ARGS = ("--feed-settle", str(SETTLE_S))


def stub(server: Any, key: str = "acme-admin") -> changefeed_pb2_grpc.ChangeFeedServiceStub:
    return changefeed_pb2_grpc.ChangeFeedServiceStub(server.channel(key))


def snapshot(
    feed: changefeed_pb2_grpc.ChangeFeedServiceStub, types: list[str], parent: str = ACME
) -> tuple[list[changefeed_pb2.SnapshotRecord], changefeed_pb2.SnapshotEnd]:
    records: list[changefeed_pb2.SnapshotRecord] = []
    end: changefeed_pb2.SnapshotEnd | None = None
    for item in feed.ExportSnapshot(F.ExportSnapshotRequest(parent=parent, resource_types=types), timeout=120):
        if item.HasField("record"):
            assert end is None, "records after the end message"
            records.append(item.record)
        else:
            end = item.end
    assert end is not None, "the snapshot stream had no end message"
    return records, end


def cursor_now(feed: changefeed_pb2_grpc.ChangeFeedServiceStub) -> str:
    """A cursor after everything committed so far (a snapshot of nothing but accounts of no one is cheap)."""
    return snapshot(feed, ["accounts"])[1].cursor


def collect(
    feed: changefeed_pb2_grpc.ChangeFeedServiceStub,
    consumer: str,
    cursor: str,
    done: Callable[[list[changefeed_pb2.ChangeEvent]], bool],
    *,
    types: tuple[str, ...] = (),
    timeout: float = 30.0,
) -> tuple[list[changefeed_pb2.ChangeEvent], str]:
    """Subscribes from `cursor` until `done(events)` (or timeout -> AssertionError); returns events and last cursor."""
    events: list[changefeed_pb2.ChangeEvent] = []
    last = cursor
    deadline = time.monotonic() + timeout
    call = feed.Subscribe(
        F.SubscribeRequest(consumer=consumer, start_cursor=cursor, resource_types=list(types)), timeout=timeout + 5
    )
    try:
        for item in call:
            if item.HasField("event"):
                events.append(item.event)
                last = item.event.cursor
            else:
                last = item.heartbeat.cursor
            if done(events):
                return events, last
            if time.monotonic() > deadline:
                break
    except grpc.RpcError as err:
        if err.code() != grpc.StatusCode.DEADLINE_EXCEEDED:
            raise
    finally:
        call.cancel()
    raise AssertionError(f"feed: condition not met in {timeout}s; got {len(events)} events")


def has_all(resources: set[str], kind: int | None = None) -> Callable[[list[changefeed_pb2.ChangeEvent]], bool]:
    def check(events: list[changefeed_pb2.ChangeEvent]) -> bool:
        seen = {e.resource for e in events if kind is None or e.kind == kind}
        return resources <= seen

    return check
