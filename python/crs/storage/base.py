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

    @abc.abstractmethod
    async def get_many(self, table: Table, keys: Sequence[Key]) -> list[Record | None]: ...

    async def get_each(self, reads: Sequence[tuple[Table, Key]]) -> list[Record | None]:
        """Keyed reads of any tables, answered in order: the independent reads of one step of a lookup in one
        call. Concurrent where reads are network trips; the embedded store answers them from one snapshot."""
        if self.inline_reads:
            return [await self.get(table, key) for table, key in reads]
        return list(await asyncio.gather(*(self.get(table, key) for table, key in reads)))

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
