"""The outbox: change events written in the same ``Store.apply`` as the change they describe.

``Mutation.run`` and the cluster engine call ``derive`` (events for every write to a registered ``*_by_id``
table); modules with bulk writes of their own call ``event_writes`` and apply with ``apply`` so a late write
is re-published (see ``apply``). Settings are per process (``configure``, from ``crs serve``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from crs.domain.changefeed.events import (
    CREATED,
    DELETED,
    UPDATED,
    FeedEventRecord,
    hour_of,
    position,
    shard_of,
)
from crs.domain.ids import new_id
from crs.domain.records import decode, encode
from crs.storage import schema
from crs.storage.base import Delete, NotExists, Put, Store, Table, Write

log = logging.getLogger("crs.changefeed")

DEFAULT_SETTLE_SECONDS = 2.0


@dataclass(slots=True)
class FeedSettings:
    retention_seconds: int = schema.FEED_RETENTION_SECONDS
    # Consumers see only events committed before now - settle: covers write latency and clock skew between
    # server processes. A write that took longer than half of it is re-published at a fresh position.
    settle_seconds: float = DEFAULT_SETTLE_SECONDS


SETTINGS = FeedSettings()

NameOf = Callable[[str, str], str]  # (tenant, id from the row key) -> resource name


def _collection(resource_type: str) -> NameOf:
    return lambda tenant, rid: f"tenants/{tenant}/{resource_type}/{rid}"


# Table name -> (resource type, resource name) for the tables whose rows ARE the resources (key: tenant, id).
_RESOURCE_TABLES: dict[str, tuple[str, NameOf]] = {
    t.name: (rtype, _collection(rtype))
    for t, rtype in (
        (schema.customers_by_id, "customers"),
        (schema.accounts_by_id, "accounts"),
        (schema.cards_by_id, "cards"),
        (schema.relationships_by_id, "relationships"),
        (schema.clusters_by_id, "clusters"),
        (schema.transactions_by_id, "transactions"),
        (schema.risk_alerts_by_id, "riskAlerts"),
    )
}
_RESOURCE_TABLES[schema.segments_by_customer.name] = (
    "segments",
    lambda tenant, cid: f"tenants/{tenant}/customers/{cid}/segments",
)


def configure(retention_seconds: int, settle_seconds: float = DEFAULT_SETTLE_SECONDS) -> None:
    if retention_seconds < 60:
        raise ValueError("feed retention must be at least 60 seconds")
    if settle_seconds <= 0:
        raise ValueError("feed settle time must be positive")
    SETTINGS.retention_seconds = retention_seconds
    SETTINGS.settle_seconds = settle_seconds


def register_table(table: Table, resource_type: str, name: NameOf | None = None) -> None:
    """Every write to ``table`` (key: tenant, id) made through ``Mutation.run`` becomes an event of this type;
    ``name`` makes the resource name from (tenant, id) (default ``tenants/{tenant}/{resource_type}/{id}``)."""
    _RESOURCE_TABLES[table.name] = (resource_type, name or _collection(resource_type))


def resource_types() -> set[str]:
    return {rtype for rtype, _name in _RESOURCE_TABLES.values()}


def event_writes(
    tenant: str,
    resource: str,
    kind: int,
    changed_fields: Sequence[str],
    value: bytes | None,
    *,
    resource_type: str = "",
    commit_us: int = 0,
    event_id: str = "",
) -> list[Write]:
    """The feed row of one change, to go into the same ``Store.apply`` as the change itself.

    ``resource``: its name, ``tenants/{tenant}/{resource_type}/{id}``; ``kind``: CREATED/UPDATED/DELETED;
    ``value``: the stored record after the change (None for DELETED). Apply with ``apply`` below.
    """
    rtype = resource_type or resource.split("/")[2]
    now = commit_us or time.time_ns() // 1000
    eid = event_id or new_id()
    rec = FeedEventRecord(
        event_id=eid,
        tenant=tenant,
        resource=resource,
        resource_type=rtype,
        kind=kind,
        changed_fields=sorted(changed_fields),
        value=value.decode() if value is not None and kind != DELETED else "",
        commit_us=now,
        position=position(now, eid),
    )
    return [_row(rec, now)]


def _row(rec: FeedEventRecord, at_us: int) -> Put:
    key = (rec.tenant, shard_of(rec.resource), hour_of(at_us), rec.position)
    return Put(schema.feed_by_shard, key, encode(rec), ttl_seconds=SETTINGS.retention_seconds)


def derive(writes: Sequence[Write], resource: str = "", changed_fields: Sequence[str] = ()) -> list[Write]:
    """Events for the writes to registered resource tables: one per resource, kind from the write."""
    out: list[Write] = []
    seen: set[str] = set()
    now = time.time_ns() // 1000
    for w in writes:
        known = _RESOURCE_TABLES.get(w.table.name)
        if known is None or len(w.key) != 2:
            continue
        rtype, name_of = known
        tenant = str(w.key[0])
        name = name_of(tenant, str(w.key[1]))
        if name in seen:
            continue
        seen.add(name)
        if isinstance(w, Delete):
            kind, value = DELETED, None
        else:
            # A create: an insert-if-not-exists, or the change's own resource written whole ("*").
            whole = name == resource and list(changed_fields) == ["*"]
            kind, value = (CREATED if isinstance(w.condition, NotExists) or whole else UPDATED), w.value
        fields = list(changed_fields) if name == resource and kind == UPDATED else ["*"]
        out += event_writes(tenant, name, kind, fields, value, resource_type=rtype, commit_us=now)
    return out


async def apply(store: Store, writes: Sequence[Write]) -> None:
    """``store.apply(writes)``; then, if it took so long that a consumer may already have read past its events
    (more than half the settle time), writes copies of them at a fresh position (same event ids)."""
    await store.apply(writes)
    events = [w for w in writes if isinstance(w, Put) and w.table is schema.feed_by_shard]
    if not events:
        return
    now = time.time_ns() // 1000
    oldest = min(int(str(w.key[3])[:17]) for w in events)
    if now - oldest <= SETTINGS.settle_seconds * 500_000:
        return
    copies: list[Write] = []
    for w in events:
        assert isinstance(w, Put)
        rec = decode(FeedEventRecord, w.value)
        copies.append(_row(replace(rec, position=position(now, rec.event_id)), now))
    try:
        await store.apply(copies)
        log.warning("feed_events_republished", extra={"events": len(copies), "late_ms": (now - oldest) // 1000})
    except Exception:  # the change stands; a consumer already past the original position may miss it
        log.exception("feed_republish_failed")
