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
    stored = await store.get(table, (name.tenant, name.id))
    if stored is None:
        raise NotFound(f"{name} not found", "NOT_FOUND", {}, resource_type, str(name))
    return decode(cls, stored.value)


async def load_many(store: Store, table: Table, tenant: str, ids: Sequence[str], cls: type[T]) -> list[T]:
    """The records that exist, in the order of ``ids``."""
    if len(ids) == 1:  # the common case (a card's one owner): a single keyed read
        one = await store.get(table, (tenant, ids[0]))
        return [] if one is None else [decode(cls, one.value)]
    stored = await store.get_many(table, [(tenant, i) for i in ids])
    return [decode(cls, s.value) for s in stored if s is not None]
