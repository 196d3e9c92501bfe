"""The storage interface: Cassandra-shaped tables, keyed reads, one atomic write per change.

Every table has partition-key columns, clustering-key columns and one opaque ``value`` (the record,
serialized by the domain layer) plus a ``version`` used for compare-and-set. Reads are by full key
(``get``/``get_many``) or by partition with a clustering range (``scan``): nothing a Cassandra table
could not serve. ``apply`` writes every copy of one change (denormalized rows, audit event,
idempotency record) as one durable unit; conditions (``NotExists``/``VersionIs``) express the few
places where uniqueness or etags demand a compare-and-set.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field

KeyPart = str | int
Key = tuple[KeyPart, ...]


@dataclass(frozen=True, slots=True)
class Table:
    """A query-first table: one access path, named ``x_by_y``."""

    name: str
    partition_key: tuple[str, ...]
    clustering_key: tuple[str, ...]
    query: str  # the query this table serves (becomes the CQL table comment)
    ttl_seconds: int | None = None  # rows expire after this long (idempotency records)

    @property
    def key_columns(self) -> tuple[str, ...]:
        return self.partition_key + self.clustering_key

    def split(self, key: Key) -> tuple[Key, Key]:
        if len(key) != len(self.key_columns):
            raise ValueError(f"{self.name}: key has {len(key)} parts, expected {len(self.key_columns)}")
        n = len(self.partition_key)
        return key[:n], key[n:]


@dataclass(frozen=True, slots=True)
class Record:
    value: bytes
    version: str


@dataclass(frozen=True, slots=True)
class Row:
    clustering: Key
    record: Record


@dataclass(frozen=True, slots=True)
class NotExists:
    """The row must not exist (insert-if-not-exists)."""


@dataclass(frozen=True, slots=True)
class VersionIs:
    """The row must exist with exactly this version (compare-and-set)."""

    version: str


Condition = NotExists | VersionIs


@dataclass(frozen=True, slots=True)
class Put:
    table: Table
    key: Key
    value: bytes
    version: str = ""
    condition: Condition | None = None
    ttl_seconds: int | None = None  # this row expires after this long (overrides the table's default)


@dataclass(frozen=True, slots=True)
class Delete:
    table: Table
    key: Key
    condition: Condition | None = None


Write = Put | Delete


@dataclass(slots=True)
class ConditionFailed(Exception):
    """A conditional write did not apply; nothing of the change was written."""

    write: Write
    current: Record | None = field(default=None)

    def __str__(self) -> str:
        return f"condition failed on {self.write.table.name}"


class StoreUnavailable(Exception):
    """The store cannot serve the request now (no quorum, closed, timed out)."""


def index_key_text(index: Table, value: bytes) -> str:
    """An index row's value as the key part it holds: UTF-8 text without control characters (which no encoded
    key part holds); ``StoreUnavailable`` otherwise, naming the index, never the value."""
    try:
        text = value.decode()
    except UnicodeDecodeError:
        text = "\x00"
    if not text.isprintable() and any(c < " " for c in text):
        raise StoreUnavailable(f"store read failed: {index.name} holds an index value that is not key text")
    return text


_NO_SNAPSHOT: contextlib.AbstractAsyncContextManager[None] = contextlib.nullcontext()


class Store(abc.ABC):
    """A backend. Implementations: ``EmbeddedStore`` (SQLite, WAL) and ``CassandraStore``."""

    # True when ``apply`` checks every condition of a change atomically, so a change may hold several
    # compare-and-sets (SQLite: one transaction). Cassandra applies its compare-and-sets one row at a time.
    atomic_conditions: bool = False
    # True when single-row reads complete without waiting on anything (SQLite's page cache, on the event loop):
    # running such reads concurrently buys nothing and costs a task each. Cassandra's reads are network trips.
    inline_reads: bool = False

    @abc.abstractmethod
    async def get(self, table: Table, key: Key) -> Record | None: ...

    def snapshot(self) -> contextlib.AbstractAsyncContextManager[None]:
        """``async with store.snapshot():`` the reads inside come from one state of the store where the backend
        keeps snapshots (the embedded store: one read transaction, the state when the first read ran); here,
        and on Cassandra, each read stands alone (a query of its own, at its consistency level). For read-only
        work, such as a lookup's chain of reads: a write made inside is not visible to the reads after it.
        A snapshot inside a snapshot joins the outer one."""
        return _NO_SNAPSHOT

    @abc.abstractmethod
    async def get_many(self, table: Table, keys: Sequence[Key]) -> list[Record | None]: ...

    async def get_each(self, reads: Sequence[tuple[Table, Key]]) -> list[Record | None]:
        """Keyed reads of any tables, answered in order: the independent reads of one step of a lookup in one
        call. Concurrent where reads are network trips; the embedded store answers them from one snapshot."""
        if self.inline_reads:
            return [await self.get(table, key) for table, key in reads]
        return list(await asyncio.gather(*(self.get(table, key) for table, key in reads)))

    async def get_each_and_scan(
        self, reads: Sequence[tuple[Table, Key]], table: Table, partition: Key, *, limit: int
    ) -> tuple[list[Record | None], list[Row]]:
        """``get_each(reads)`` and ``scan(table, partition, limit=limit)``, the independent reads of one step of
        a lookup, in one call: concurrent where reads are network trips; the embedded store answers both from
        one snapshot."""
        if self.inline_reads:
            return await self.get_each(reads), await self.scan(table, partition, limit=limit)
        found, rows = await asyncio.gather(self.get_each(reads), self.scan(table, partition, limit=limit))
        return found, rows

    async def get_through(
        self, index: Table, index_key: Key, table: Table, key_head: Key
    ) -> tuple[Record | None, Record | None]:
        """An index row and the row it names: the index row's value is the UTF-8 text of the last part of a key
        of ``table`` whose other parts are ``key_head`` (``cards_by_token`` -> ``cards_by_id``). ``(None, None)``
        without an index row; ``(index row, None)`` when the row it names is missing. Two reads in turn (the
        second needs the first's value); the embedded store answers both from one snapshot. Raises
        ``StoreUnavailable`` for an index value that is not key text (not UTF-8, or a control character)."""
        found = await self.get(index, index_key)
        if found is None:
            return None, None
        return found, await self.get(table, (*key_head, index_key_text(index, found.value)))

    @abc.abstractmethod
    async def scan(
        self,
        table: Table,
        partition: Key,
        *,
        after: Key | None = None,
        before: Key | None = None,
        limit: int,
    ) -> list[Row]:
        """Rows of one partition in clustering order, strictly after ``after`` and before ``before``."""

    @abc.abstractmethod
    async def apply(self, writes: Sequence[Write]) -> None:
        """Write all of ``writes`` durably as one change, or raise ``ConditionFailed`` and write nothing."""

    @abc.abstractmethod
    async def healthy(self) -> bool: ...

    @abc.abstractmethod
    async def close(self) -> None: ...
