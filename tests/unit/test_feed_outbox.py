"""The outbox: events derived from a change's writes, cursors, retention TTL and late re-publishing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from crs.domain.changefeed import outbox
from crs.domain.changefeed.events import (
    CREATED,
    DELETED,
    UPDATED,
    FeedEventRecord,
    cursor_time_us,
    shard_of,
    time_cursor,
    valid_cursor,
)
from crs.domain.changefeed.reader import read_page
from crs.domain.records import decode
from crs.storage import schema
from crs.storage.base import Delete, NotExists, Put, VersionIs, Write
from crs.storage.embedded import EmbeddedStore


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    s = EmbeddedStore(tmp_path / "crs.db")
    yield s
    asyncio.run(s.close())


def _events(writes: Sequence[Write]) -> list[FeedEventRecord]:
    return [decode(FeedEventRecord, w.value) for w in writes if isinstance(w, Put)]


def test_derive_kinds_and_fields() -> None:
    writes: list[Write] = [
        Put(schema.customers_by_id, ("acme", "c1"), b'{"id":"c1"}', "v1", NotExists()),
        Put(schema.customers_by_tenant, ("acme", 3, "c1"), b"{}"),  # a copy, not the resource row
        Put(schema.accounts_by_id, ("acme", "a1"), b'{"id":"a1"}', "v2", VersionIs("v1")),
        Delete(schema.relationships_by_id, ("acme", "r1")),
        Put(schema.vault_by_token, ("acme", "tok"), b"{}"),  # not a feed resource
    ]
    events = {e.resource: e for e in _events(outbox.derive(writes, "tenants/acme/accounts/a1", ["display_name"]))}
    assert set(events) == {"tenants/acme/customers/c1", "tenants/acme/accounts/a1", "tenants/acme/relationships/r1"}
    c, a, r = (
        events["tenants/acme/customers/c1"],
        events["tenants/acme/accounts/a1"],
        events["tenants/acme/relationships/r1"],
    )
    assert (c.kind, c.changed_fields, c.value) == (CREATED, ["*"], '{"id":"c1"}')
    assert (a.kind, a.changed_fields) == (UPDATED, ["display_name"])
    assert (r.kind, r.value) == (DELETED, "")
    assert len({e.event_id for e in events.values()}) == 3


def test_a_whole_write_of_the_changes_own_resource_is_a_create() -> None:
    writes: list[Write] = [Put(schema.relationships_by_id, ("acme", "r1"), b"{}")]
    (ev,) = _events(outbox.derive(writes, "tenants/acme/relationships/r1", ["*"]))
    assert ev.kind == CREATED


def test_rows_expire_after_the_configured_retention() -> None:
    saved = outbox.SETTINGS.retention_seconds
    try:
        outbox.configure(3600)
        (row,) = outbox.event_writes("acme", "tenants/acme/segments/s1", UPDATED, ["rules"], b"{}")
        assert isinstance(row, Put) and row.ttl_seconds == 3600
        assert row.key[1] == shard_of("tenants/acme/segments/s1")
        assert decode(FeedEventRecord, row.value).resource_type == "segments"
        with pytest.raises(ValueError):
            outbox.configure(10)
    finally:
        outbox.configure(saved)


def test_cursors() -> None:
    assert valid_cursor(time_cursor(123)) and cursor_time_us(time_cursor(123)) == 123
    (row,) = outbox.event_writes("acme", "tenants/acme/cards/k1", UPDATED, [], b"{}", commit_us=5_000_000)
    pos = decode(FeedEventRecord, row.value).position  # type: ignore[union-attr]
    assert valid_cursor(pos) and time_cursor(5_000_000) < pos < time_cursor(5_000_001)
    for bad in ("", "abc", "1" * 16, time_cursor(1) + ".X"):
        assert not valid_cursor(bad)


class SlowStore(EmbeddedStore):
    """Every apply takes longer than the settle horizon allows."""

    delay = 0.0

    async def apply(self, writes: Sequence[Write]) -> None:
        await asyncio.sleep(self.delay)
        await super().apply(writes)


def test_a_late_write_is_republished_at_a_fresh_position_with_the_same_event_id(tmp_path: Path) -> None:
    saved = outbox.SETTINGS.settle_seconds

    async def scenario() -> None:
        store = SlowStore(tmp_path / "slow.db")
        try:
            outbox.configure(outbox.SETTINGS.retention_seconds, 0.2)
            before = time_cursor(time.time_ns() // 1000 - 1)
            store.delay = 0.3  # > settle / 2
            writes = outbox.event_writes("acme", "tenants/acme/accounts/a1", UPDATED, ["x"], b"{}")
            await outbox.apply(store, writes)
            store.delay = 0.0
            page = await read_page(store, "acme", before, time.time_ns() // 1000 + 1, 100)
            assert len(page.events) == 2
            first, copy = page.events
            assert first.event_id == copy.event_id and first.commit_us == copy.commit_us
            assert copy.position > first.position
            # A fast write is not republished.
            fast = outbox.event_writes("acme", "tenants/acme/accounts/a2", UPDATED, ["x"], b"{}")
            after = page.cursor
            await outbox.apply(store, fast)
            again = await read_page(store, "acme", after, time.time_ns() // 1000 + 1, 100)
            assert [e.resource for e in again.events] == ["tenants/acme/accounts/a2"]
        finally:
            outbox.configure(outbox.SETTINGS.retention_seconds, saved)
            await store.close()

    asyncio.run(scenario())
