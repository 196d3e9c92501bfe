"""Reading one resource by name, or many by id, from its ``*_by_id`` table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from crs.domain.errors import NotFound
from crs.domain.names import Name
from crs.domain.records import decode
from crs.storage.base import Store, Table

T = TypeVar("T")


async def load(store: Store, table: Table, name: Name, cls: type[T], resource_type: str) -> T:
    """The record, or NOT_FOUND naming the resource (also for another tenant's name)."""
    return decode(cls, await load_json(store, table, name, resource_type))


async def load_json(store: Store, table: Table, name: Name, resource_type: str) -> bytes:
    """The record as stored (JSON), or NOT_FOUND naming the resource (also for another tenant's name)."""
    stored = await store.get(table, (name.tenant, name.id))
    if stored is None:
        raise NotFound(f"{name} not found", "NOT_FOUND", {}, resource_type, str(name))
    return stored.value


async def load_many(store: Store, table: Table, tenant: str, ids: Sequence[str], cls: type[T]) -> list[T]:
    """The records that exist, in the order of ``ids``."""
    return [decode(cls, raw) for raw in await load_many_json(store, table, tenant, ids)]


async def load_many_json(store: Store, table: Table, tenant: str, ids: Sequence[str]) -> list[bytes]:
    """The records that exist, as stored (JSON), in the order of ``ids``."""
    if len(ids) == 1:  # the common case (a card's one owner): a single keyed read
        one = await store.get(table, (tenant, ids[0]))
        return [] if one is None else [one.value]
    stored = await store.get_many(table, [(tenant, i) for i in ids])
    return [s.value for s in stored if s is not None]
