"""The embedded store: one SQLite file in WAL mode, one SQLite table per CRS table.

Durability: ``synchronous=FULL`` and every ``apply`` is one transaction, so a write acknowledged to a
client survives ``kill -9`` and power loss. Reads run inline on the event loop (they are served from
SQLite's page cache in microseconds); writes run on one writer thread so an fsync never blocks the loop.
Several server processes may share the file: SQLite's locks serialize the writers.

``snapshot()`` lends a reader connection of its own to the reads inside it, in one read transaction: a
lookup's chain of store calls then reads one state of the file and starts one transaction instead of one
per call (each start takes SQLite's WAL read lock: two ``fcntl`` calls and an ``fstat``).
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar, Token
from pathlib import Path
from types import TracebackType

from crs._core import StoreBusyError, StoreKeyError, StoreReader, StoreReadError
from crs.storage.base import (
    ConditionFailed,
    Key,
    NotExists,
    Put,
    Record,
    Row,
    Store,
    StoreUnavailable,
    Table,
    VersionIs,
    Write,
)
from crs.storage.keys import encode_key
from crs.storage.schema import ALL_TABLES

_PURGE_EVERY_WRITES = 1000
_INLINE_KEYS = 64  # get_many of more keys than this runs on a worker thread
_CHUNK = 400
_CACHE_KIB = 65_536  # page cache per connection (64 MiB)
# Reader connections lent to snapshots at once. A snapshot's reads never wait on the event loop, so one is
# lent at a time unless a holder is suspended (a read that fell back to a thread); past this many, a
# snapshot's reads stand alone.
_SNAPSHOT_READERS = 2


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute("PRAGMA foreign_keys=OFF")
    # SQLite's default page cache is 2 MiB per connection: past a few thousand customers most keyed reads
    # and every insert's B-tree descent would go to the OS for pages. Kept per connection (reader, writer).
    conn.execute(f"PRAGMA cache_size=-{_CACHE_KIB}")
    return conn


class EmbeddedStore(Store):
    atomic_conditions = True  # every apply is one SQLite transaction
    inline_reads = True  # get/scan run on the event loop against the page cache (see the module docstring)

    def __init__(self, path: Path, tables: Sequence[Table] = ALL_TABLES) -> None:
        self._path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._tables = {t.name: t for t in tables}
        self._writer = _connect(path)
        self._reader = _connect(path)
        self._read_lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="crs-sqlite-writer")
        self._writes = 0
        self._closed = False
        self._get_plan = {  # the single-row read of each table: its SQL, key parts in the partition key, in all
            t.name: (
                f'SELECT value, version FROM "{t.name}" WHERE pk=? AND ck=? AND (expires_at IS NULL OR expires_at > ?)',
                len(t.partition_key),
                len(t.key_columns),
            )
            for t in self._tables.values()
        }
        self._scan_sql = {  # a partition's rows, with or without each bound of the clustering range
            (name, after, before): (
                f'SELECT ck, value, version FROM "{name}" WHERE pk=? AND (expires_at IS NULL OR expires_at > ?)'
                + (" AND ck > ?" if after else "")
                + (" AND ck < ?" if before else "")
                + " ORDER BY ck LIMIT ?"
            )
            for name in self._tables
            for after in (False, True)
            for before in (False, True)
        }
        self._migrate()
        # Single-row reads and scans on the event loop: through _core, which keeps the GIL (Python's sqlite3
        # releases it around every step, a hand-off whenever another thread is waiting for it).
        # Each table's keyed-read plan, for the readers' own key encoding: (name, get SQL, unbounded scan SQL,
        # partition key parts, key parts).
        self._plans = [
            (name, sql, self._scan_sql[(name, False, False)], n, parts)
            for name, (sql, n, parts) in self._get_plan.items()
        ]
        self._fast = StoreReader(path, _CACHE_KIB, self._plans)
        # The reader lent to the current task's snapshot (None outside one), the idle ones, and every one opened.
        self._lent: ContextVar[_Lease] = ContextVar(f"crs_snapshot_{id(self)}", default=_NO_LEASE)
        self._idle: list[StoreReader] = []
        self._snapshot_readers: list[StoreReader] = []

    @property
    def path(self) -> Path:
        return self._path

    def _migrate(self) -> None:
        for table in self._tables.values():
            self._writer.execute(
                f'CREATE TABLE IF NOT EXISTS "{table.name}" ('
                "pk TEXT NOT NULL, ck TEXT NOT NULL, version TEXT NOT NULL, value BLOB NOT NULL, "
                "expires_at REAL, PRIMARY KEY (pk, ck)) WITHOUT ROWID"
            )

    # -- reads -------------------------------------------------------------------------------------

    def snapshot(self) -> _Snapshot:
        return _Snapshot(self)

    def _lend(self) -> tuple[_Lease, Token[_Lease]] | None:
        """A reader for a new snapshot, in its read transaction; None inside a snapshot (the inner one joins
        it) or when every snapshot reader is lent (the reads stand alone)."""
        self._check_open()
        if self._lent.get().reader is not None:
            return None
        if self._idle:
            reader = self._idle.pop()
        elif len(self._snapshot_readers) < _SNAPSHOT_READERS:
            try:
                reader = StoreReader(self._path, _CACHE_KIB, self._plans)
            except StoreReadError as e:
                raise StoreUnavailable(f"store read failed: {e}") from e
            self._snapshot_readers.append(reader)
        else:
            return None
        try:
            reader.begin()
        except StoreReadError as e:
            self._idle.append(reader)
            raise StoreUnavailable(f"store read failed: {e}") from e
        lease = _Lease(reader)
        return lease, self._lent.set(lease)

    def _give_back(self, lease: _Lease, token: Token[_Lease]) -> None:
        reader, lease.reader = lease.reader, None  # a task started inside the snapshot and still running reads
        self._lent.reset(token)  # on its own from now on
        if reader is None:
            return
        try:
            reader.end()
        except StoreReadError:
            return  # closed with the store
        if not self._closed:
            self._idle.append(reader)

    def _check_open(self) -> None:
        if self._closed:
            raise StoreUnavailable("store is closed")

    def _query(self, sql: str, args: Sequence[object]) -> list[tuple[object, ...]]:
        self._check_open()
        with self._read_lock:
            return self._reader.execute(sql, args).fetchall()

    # The keyed reads below hand their tables and key tuples to ``_core``, which encodes the keys
    # (``store_keys.rs``) and reads; a key it does not encode (``StoreKeyError``: a wrong shape, a control
    # character, an integer out of range, a part of another type) is encoded here, by ``_read``, which raises
    # the exact error or reads what it encodes. A file locked past the reader's short wait (``StoreBusyError``,
    # rare in WAL mode) is read again on the path that waits without the GIL.

    async def get(self, table: Table, key: Key) -> Record | None:
        now = time.time()
        self._check_open()
        reader = self._lent.get().reader or self._fast
        try:
            try:
                found = reader.get_key(table, key, now)
            except StoreKeyError:
                found = reader.get(*self._read(table, key), now)
        except StoreBusyError:
            sql, pk, ck = self._read(table, key)
            rows = self._query(sql, (pk, ck, now))
            found = (bytes(rows[0][0]), str(rows[0][1])) if rows else None  # type: ignore[call-overload]
        except StoreReadError as e:
            raise StoreUnavailable(f"store read failed: {e}") from e
        return None if found is None else Record(found[0], found[1])

    async def get_each(self, reads: Sequence[tuple[Table, Key]]) -> list[Record | None]:
        now = time.time()
        self._check_open()
        reader = self._lent.get().reader or self._fast
        try:
            try:
                found = reader.get_each_keys(reads, now)
            except StoreKeyError:
                found = reader.get_each(self._batch(reads), now)
        except StoreBusyError:
            found = []
            for sql, pk, ck in self._batch(reads):
                rows = self._query(sql, (pk, ck, now))
                found.append((bytes(rows[0][0]), str(rows[0][1])) if rows else None)  # type: ignore[call-overload]
        except StoreReadError as e:
            raise StoreUnavailable(f"store read failed: {e}") from e
        return [None if f is None else Record(f[0], f[1]) for f in found]

    def _read(self, table: Table, key: Key) -> tuple[str, str, str]:
        """A keyed read encoded in Python: its SQL, partition key and clustering key."""
        sql, n, parts = self._get_plan[table.name]
        if len(key) != parts:
            table.split(key)  # raises the key-shape error
        return sql, encode_key(key[:n]), encode_key(key[n:])

    def _batch(self, reads: Sequence[tuple[Table, Key]]) -> list[tuple[str, str, str]]:
        return [self._read(table, key) for table, key in reads]

    async def get_each_and_scan(
        self, reads: Sequence[tuple[Table, Key]], table: Table, partition: Key, *, limit: int
    ) -> tuple[list[Record | None], list[Row]]:
        now = time.time()
        self._check_open()
        reader = self._lent.get().reader or self._fast
        try:
            try:
                found, rows = reader.get_each_scan_keys(reads, table, partition, limit, now)
            except StoreKeyError:
                batch = self._batch(reads)
                if len(partition) != len(table.partition_key):
                    raise ValueError(
                        f"{table.name}: partition has {len(partition)} parts, expected {len(table.partition_key)}"
                    ) from None
                scan = (self._scan_sql[(table.name, False, False)], encode_key(partition), limit)
                found, rows = reader.get_each_scan(batch, scan, now)
        except StoreBusyError:
            return await self.get_each(reads), await self.scan(table, partition, limit=limit)
        except StoreReadError as e:
            raise StoreUnavailable(f"store read failed: {e}") from e
        return (
            [None if f is None else Record(f[0], f[1]) for f in found],
            [Row(_decode_clustering(table, ck), Record(value, version)) for ck, value, version in rows],
        )

    async def get_through(
        self, index: Table, index_key: Key, table: Table, key_head: Key
    ) -> tuple[Record | None, Record | None]:
        now = time.time()
        self._check_open()
        reader = self._lent.get().reader or self._fast
        try:
            try:
                found, row = reader.get_through_keys(index, index_key, table, key_head, now)
            except StoreKeyError:
                found, row = reader.get_through(*self._through(index, index_key, table, key_head), now)
        except StoreBusyError:
            return await super().get_through(index, index_key, table, key_head)
        except StoreReadError as e:
            raise StoreUnavailable(f"store read failed: {e}") from e
        return (
            None if found is None else Record(found[0], found[1]),
            None if row is None else Record(row[0], row[1]),
        )

    def _through(
        self, index: Table, index_key: Key, table: Table, key_head: Key
    ) -> tuple[tuple[str, str, str], tuple[str, str, str, bool]]:
        """``get_through``'s two reads encoded in Python: the index row's, and the named row's (sql, the encoded
        parts before the index value, the other half of the key, whether the value ends the partition key)."""
        index_read = self._read(index, index_key)
        sql, n, parts = self._get_plan[table.name]
        if len(key_head) + 1 != parts:
            raise ValueError(f"{table.name}: key has {len(key_head) + 1} parts, expected {parts}")
        if len(key_head) < n:  # the index value is the partition key's last part
            return index_read, (sql, encode_key(key_head), "", True)
        return index_read, (sql, encode_key(key_head[n:]), encode_key(key_head[:n]), False)

    async def get_many(self, table: Table, keys: Sequence[Key]) -> list[Record | None]:
        if len(keys) <= _INLINE_KEYS:
            return [await self.get(table, key) for key in keys]
        return await asyncio.to_thread(self._get_many_sync, table, list(keys))

    def _get_many_sync(self, table: Table, keys: list[Key]) -> list[Record | None]:
        """Large lookups (batch tokenization) in chunks of row-value IN queries, off the event loop."""
        encoded: list[tuple[str, str]] = []
        for k in keys:
            pk, ck = table.split(k)
            encoded.append((encode_key(pk), encode_key(ck)))
        found: dict[tuple[str, str], Record] = {}
        now = time.time()
        for i in range(0, len(encoded), _CHUNK):
            chunk = encoded[i : i + _CHUNK]
            marks = ", ".join("(?, ?)" for _ in chunk)
            args: list[object] = [p for pair in chunk for p in pair]
            rows = self._query(
                f'SELECT pk, ck, value, version FROM "{table.name}" WHERE (pk, ck) IN (VALUES {marks}) '
                "AND (expires_at IS NULL OR expires_at > ?)",
                [*args, now],
            )
            for row in rows:
                found[(str(row[0]), str(row[1]))] = Record(bytes(row[2]), str(row[3]))  # type: ignore[call-overload]
        return [found.get(k) for k in encoded]

    async def scan(
        self,
        table: Table,
        partition: Key,
        *,
        after: Key | None = None,
        before: Key | None = None,
        limit: int,
    ) -> list[Row]:
        sql = self._scan_sql[(table.name, after is not None, before is not None)]
        pk, now = encode_key(partition), time.time()
        low = None if after is None else encode_key(after)
        high = None if before is None else encode_key(before)
        self._check_open()
        try:
            rows = (self._lent.get().reader or self._fast).scan(sql, pk, now, low, high, limit)
        except StoreBusyError:  # as in ``get``
            args = [pk, now, *(b for b in (low, high) if b is not None), limit]
            rows = [(str(c), bytes(v), str(ver)) for c, v, ver in self._query(sql, args)]  # type: ignore[call-overload]
        except StoreReadError as e:
            raise StoreUnavailable(f"store read failed: {e}") from e
        return [Row(_decode_clustering(table, ck), Record(value, version)) for ck, value, version in rows]

    # -- writes ------------------------------------------------------------------------------------

    async def apply(self, writes: Sequence[Write]) -> None:
        self._check_open()
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._executor, self._apply_sync, list(writes))
        except sqlite3.OperationalError as e:  # locked past busy_timeout, disk full, I/O error: retryable
            raise StoreUnavailable(f"sqlite: {type(e).__name__}") from e

    def _apply_sync(self, writes: list[Write]) -> None:
        now = time.time()
        conn = self._writer
        conn.execute("BEGIN IMMEDIATE")
        try:
            for write in writes:
                self._check_condition(conn, write, now)
                pk, ck = write.table.split(write.key)
                if isinstance(write, Put):
                    ttl = write.ttl_seconds or write.table.ttl_seconds
                    conn.execute(
                        f'INSERT OR REPLACE INTO "{write.table.name}" (pk, ck, version, value, expires_at) '
                        "VALUES (?, ?, ?, ?, ?)",
                        (encode_key(pk), encode_key(ck), write.version, write.value, now + ttl if ttl else None),
                    )
                else:
                    conn.execute(
                        f'DELETE FROM "{write.table.name}" WHERE pk=? AND ck=?', (encode_key(pk), encode_key(ck))
                    )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        self._writes += 1
        if self._writes % _PURGE_EVERY_WRITES == 0:
            self._purge_expired(now)

    @staticmethod
    def _check_condition(conn: sqlite3.Connection, write: Write, now: float) -> None:
        cond = write.condition
        if cond is None:
            return
        pk, ck = write.table.split(write.key)
        row = conn.execute(
            f'SELECT value, version FROM "{write.table.name}" WHERE pk=? AND ck=? '
            "AND (expires_at IS NULL OR expires_at > ?)",
            (encode_key(pk), encode_key(ck), now),
        ).fetchone()
        current = Record(bytes(row[0]), str(row[1])) if row else None
        if isinstance(cond, NotExists) and current is not None:
            raise ConditionFailed(write, current)
        if isinstance(cond, VersionIs) and (current is None or current.version != cond.version):
            raise ConditionFailed(write, current)

    def _purge_expired(self, now: float) -> None:
        for table in self._tables.values():
            if table.ttl_seconds:
                self._writer.execute(f'DELETE FROM "{table.name}" WHERE expires_at <= ?', (now,))

    async def healthy(self) -> bool:
        if self._closed:
            return False
        try:
            self._query("SELECT 1", ())
        except sqlite3.Error:
            return False
        return True

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        await asyncio.to_thread(self._executor.shutdown, wait=True)  # the in-flight write finishes first
        self._writer.close()
        self._reader.close()
        self._fast.close()
        for reader in self._snapshot_readers:
            reader.close()
        self._idle.clear()


class _Lease:
    """A snapshot's hold on a reader, seen by the reads of its task (and of tasks started inside it) through
    ``EmbeddedStore._lent``; emptied when the snapshot ends."""

    __slots__ = ("reader",)

    def __init__(self, reader: StoreReader | None) -> None:
        self.reader = reader


_NO_LEASE = _Lease(None)


class _Snapshot:
    """``EmbeddedStore.snapshot()``: lends a reader in its read transaction to the reads of the ``async with``
    body (through a context variable: the current task's reads), and takes it back at the end."""

    __slots__ = ("_lent", "_store")

    def __init__(self, store: EmbeddedStore) -> None:
        self._store = store
        self._lent: tuple[_Lease, Token[_Lease]] | None = None

    async def __aenter__(self) -> None:
        self._lent = self._store._lend()

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._lent is not None:
            self._store._give_back(*self._lent)
            self._lent = None


def _decode_clustering(table: Table, encoded: str) -> Key:
    if not table.clustering_key:
        return ()
    return tuple(encoded.split("\x1f"))  # clustering keys are text columns
