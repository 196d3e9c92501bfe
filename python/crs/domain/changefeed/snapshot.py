"""A consistent snapshot without store snapshots (Cassandra has none): fuzzy scan, then replay the feed.

1. At S, scan the resource tables (fuzzy: changes land while it runs). It ends at E.
2. Wait until the settle horizon passes E: every event committed before E is then visible.
3. Read the feed events in [S - settle, E) and replace every resource they touch by its latest value there
   (a delete removes it). Any change the scan may have missed or half-seen committed after S, so its event
   was stamped after S - settle and is in that range.
The result is the state as of cursor C = E; Subscribe from C continues without a gap.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from crs.domain.changefeed.events import DELETED, FeedEventRecord, time_cursor
from crs.domain.changefeed.outbox import SETTINGS
from crs.domain.changefeed.reader import read_page
from crs.domain.clusters.records import ACTIVE, ClusterRecord, Membership
from crs.domain.records import decode, now_us
from crs.storage import schema
from crs.storage.base import Key, Store, Table

SNAPSHOT_TYPES = ("customers", "accounts", "cards", "relationships", "clusters")
_PAGE = 1000


@dataclass(slots=True)
class Snapshot:
    cursor: str
    as_of_us: int
    # resource type -> resource name -> stored record (domain JSON)
    records: dict[str, dict[str, bytes]] = field(default_factory=dict)


async def _partition_keys(store: Store, table: Table, partition: Key) -> list[str]:
    """The last clustering column of every row of one partition, paged."""
    out: list[str] = []
    after: Key | None = None
    while True:
        rows = await store.scan(table, partition, after=after, limit=_PAGE)
        out += [str(r.clustering[-1]) for r in rows]
        if len(rows) < _PAGE:
            return out
        after = rows[-1].clustering


async def _ids_by_bucket(store: Store, table: Table, tenant: str) -> list[str]:
    ids: list[str] = []
    for bucket in range(schema.LIST_BUCKETS):
        ids += await _partition_keys(store, table, (tenant, bucket))
    return ids


async def _records(store: Store, table: Table, tenant: str, rtype: str, ids: Sequence[str]) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    unique = sorted(set(ids))
    for i in range(0, len(unique), _PAGE):
        chunk = unique[i : i + _PAGE]
        for rid, rec in zip(chunk, await store.get_many(table, [(tenant, x) for x in chunk]), strict=True):
            if rec is not None:
                out[f"tenants/{tenant}/{rtype}/{rid}"] = rec.value
    return out


async def _each(ids: Sequence[str], read: Callable[[str], Awaitable[list[str]]]) -> list[str]:
    out: list[str] = []
    for i in range(0, len(ids), 64):
        for got in await asyncio.gather(*(read(x) for x in ids[i : i + 64])):
            out += got
    return out


async def scan(store: Store, tenant: str, types: Sequence[str]) -> dict[str, dict[str, bytes]]:
    """The fuzzy scan: every resource of the wanted types, each read once (not as of one instant)."""
    want = set(types)
    customers = await _ids_by_bucket(store, schema.customers_by_tenant, tenant)
    out: dict[str, dict[str, bytes]] = {}
    if "customers" in want:
        out["customers"] = await _records(store, schema.customers_by_id, tenant, "customers", customers)
    if want & {"accounts", "cards"}:
        accounts = await _ids_by_bucket(store, schema.accounts_by_tenant, tenant)
        if "accounts" in want:
            out["accounts"] = await _records(store, schema.accounts_by_id, tenant, "accounts", accounts)
        if "cards" in want:

            async def cards_of(aid: str) -> list[str]:
                return await _partition_keys(store, schema.cards_by_account, (tenant, aid))

            out["cards"] = await _records(store, schema.cards_by_id, tenant, "cards", await _each(accounts, cards_of))
    if "relationships" in want:

        async def rels_of(cid: str) -> list[str]:
            return await _partition_keys(store, schema.relationships_by_customer, (tenant, cid))

        rels = await _each(customers, rels_of)
        out["relationships"] = await _records(store, schema.relationships_by_id, tenant, "relationships", rels)
    if "clusters" in want:
        members = await store.get_many(schema.cluster_by_customer, [(tenant, c) for c in customers])
        cluster_ids = [decode(Membership, m.value).cluster_id for m in members if m is not None]
        found = await _records(store, schema.clusters_by_id, tenant, "clusters", cluster_ids)
        out["clusters"] = {k: v for k, v in found.items() if decode(ClusterRecord, v).state == ACTIVE}
    return out


def _latest(events: Sequence[FeedEventRecord]) -> dict[str, FeedEventRecord]:
    """Per resource, the event of the latest commit (a late re-published copy never overrides a newer one)."""
    latest: dict[str, FeedEventRecord] = {}
    for ev in events:
        cur = latest.get(ev.resource)
        if cur is None or (ev.commit_us, ev.position) > (cur.commit_us, cur.position):
            latest[ev.resource] = ev
    return latest


async def replay(store: Store, tenant: str, start_us: int, end_us: int) -> list[FeedEventRecord]:
    events: list[FeedEventRecord] = []
    after = time_cursor(start_us)
    while True:
        page = await read_page(store, tenant, after, end_us, _PAGE)
        events += page.events
        after = page.cursor
        if not page.more:
            return events


async def take(
    store: Store,
    tenant: str,
    types: Sequence[str],
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> Snapshot:
    settle_us = int(SETTINGS.settle_seconds * 1_000_000)
    start = now_us()
    records = await scan(store, tenant, types)
    end = now_us()
    wait = (end + settle_us - now_us()) / 1e6
    if wait > 0:
        await sleep(wait)
    for ev in _latest(await replay(store, tenant, start - settle_us, end)).values():
        if ev.resource_type not in records:
            continue
        table = records[ev.resource_type]
        gone = ev.kind == DELETED
        if not gone and ev.resource_type == "clusters":
            gone = decode(ClusterRecord, ev.value.encode()).state != ACTIVE
        if gone:
            table.pop(ev.resource, None)
        else:
            table[ev.resource] = ev.value.encode()
    return Snapshot(time_cursor(end), end, records)
