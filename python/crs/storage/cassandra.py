"""The Apache Cassandra backend: the same ``Store`` contract on a replicated cluster.

- Prepared statements only; one profile with token-aware + DC-aware load balancing, LOCAL_QUORUM reads and
  writes, LOCAL_SERIAL for lightweight transactions, and speculative execution that the driver applies only
  to statements marked idempotent (reads). The driver's default retry policy; never a downgrading one.
- ``apply``: conditional writes (``NotExists``/``VersionIs``) are lightweight transactions, run first (the
  insert-if-not-exists claims in the change's order, one at a time for a single resource's change, then the
  compare-and-set); if any does not apply, the claims
  already made are removed and ``ConditionFailed`` is raised, so nothing of the change stays. The other
  writes of the change (denormalized copies, audit event) then go in one logged batch.
- Reads (``get``, ``get_many``, ``scan``) go through ``crs._core.CqlReader``, a native CQL client on a thread
  of its own that never takes the GIL; the event loop watches its descriptor and resolves a burst of finished
  reads in one wake-up. Same profile as the driver's reads (LOCAL_QUORUM, token-aware in the local DC, one
  speculative execution after 50 ms). ``reads="driver"`` keeps them on the Python driver (for comparison).
- Writes, lightweight transactions, schema checks and health stay on the Python driver; its futures are
  bridged to asyncio with callbacks: no thread blocks on a query.
- Timeouts and unavailable replicas become ``StoreUnavailable`` (UNAVAILABLE to the client), quickly.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from itertools import count
from typing import Any

from cassandra import ConsistencyLevel, DriverException, OperationTimedOut, Unauthorized, Unavailable
from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile, NoHostAvailable, Session
from cassandra.policies import ConstantSpeculativeExecutionPolicy, DCAwareRoundRobinPolicy, TokenAwarePolicy
from cassandra.protocol import ErrorMessage
from cassandra.query import BatchStatement, BatchType, PreparedStatement, tuple_factory

from crs._core import CqlError, CqlReader
from crs.storage import schema
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
from crs.storage.cassandra_schema import ident, migrations
from crs.storage.cql_security import CqlSecurity
from crs.storage.schema import ALL_TABLES

_RETRYABLE_SERVER_ERRORS = frozenset({0x0000, 0x1000, 0x1001, 0x1002, 0x1100, 0x1200, 0x1300, 0x1500, 0x1700})
_CLAIM_CONCURRENCY = 64
_SEQUENTIAL_CLAIMS = 16  # a change with at most this many claims makes them one at a time (see _claim_all)
_READ_CONCURRENCY = 128
STORE_PROFILE = "crs-store"  # the execution profile of CassandraStore's statements (rows as tuples)
_BULK_CONCURRENCY = 128  # statements in flight during a bulk load (apply_bulk)
_SPECULATIVE_DELAY = 0.05  # seconds before a read's one speculative execution (both clients)
READ_CLIENTS = ("native", "driver")  # who serves the store's reads: crs._core.CqlReader, or the Python driver


def _profile(local_dc: str, request_timeout: float, **extra: Any) -> ExecutionProfile:
    """LOCAL_QUORUM / LOCAL_SERIAL, token-aware in the local DC, one speculative retry after 50 ms."""
    return ExecutionProfile(
        load_balancing_policy=TokenAwarePolicy(DCAwareRoundRobinPolicy(local_dc=local_dc)),
        consistency_level=ConsistencyLevel.LOCAL_QUORUM,
        serial_consistency_level=ConsistencyLevel.LOCAL_SERIAL,
        request_timeout=request_timeout,
        speculative_execution_policy=ConstantSpeculativeExecutionPolicy(delay=_SPECULATIVE_DELAY, max_attempts=2),
        **extra,
    )


def make_cluster(
    contact_points: Sequence[str],
    local_dc: str,
    port: int = 9042,
    request_timeout: float = 5.0,
    security: CqlSecurity | None = None,
) -> Cluster:
    """The Python driver's cluster: the store's profiles, credentials and TLS from ``security``."""
    profile = _profile(local_dc, request_timeout)
    # The store's own statements read rows as plain tuples: the default named-tuple factory builds a new class
    # for every result set, a measurable share of the CPU of a keyed read.
    store_profile = _profile(local_dc, request_timeout, row_factory=tuple_factory)
    return Cluster(
        contact_points=list(contact_points),
        port=port,
        execution_profiles={EXEC_PROFILE_DEFAULT: profile, STORE_PROFILE: store_profile},
        protocol_version=5,
        connect_timeout=10,
        control_connection_timeout=10,
        **(security or CqlSecurity()).driver_options(),
    )


class _Statements:
    """The prepared statements of one table."""

    def __init__(self, session: Session, keyspace: str, table: Table) -> None:
        t = f"{keyspace}.{table.name}"
        where = " AND ".join(f"{ident(c)} = ?" for c in table.key_columns)
        cols = ", ".join(ident(c) for c in table.key_columns)
        marks = ", ".join("?" for _ in table.key_columns)
        ttl = f" USING TTL {table.ttl_seconds}" if table.ttl_seconds else ""
        self.get = session.prepare(f"SELECT value, version FROM {t} WHERE {where}")
        self.get.is_idempotent = True
        self.put = session.prepare(f"INSERT INTO {t} ({cols}, value, version) VALUES ({marks}, ?, ?){ttl}")
        self.put_ttl = session.prepare(f"INSERT INTO {t} ({cols}, value, version) VALUES ({marks}, ?, ?) USING TTL ?")
        self.put_if_absent = session.prepare(
            f"INSERT INTO {t} ({cols}, value, version) VALUES ({marks}, ?, ?) IF NOT EXISTS{ttl}"
        )
        self.put_if_version = session.prepare(
            f"UPDATE {t}{ttl} SET value = ?, version = ? WHERE {where} IF version = ?"
        )
        self.delete = session.prepare(f"DELETE FROM {t} WHERE {where}")
        self.delete_if_exists = session.prepare(f"DELETE FROM {t} WHERE {where} IF EXISTS")
        self.delete_if_version = session.prepare(f"DELETE FROM {t} WHERE {where} IF version = ?")
        self.scans: dict[tuple[bool, bool], PreparedStatement] = {}
        pk_where = " AND ".join(f"{ident(c)} = ?" for c in table.partition_key)
        ck = [ident(c) for c in table.clustering_key]
        for has_after in (False, True):
            for has_before in (False, True):
                if not ck and (has_after or has_before):
                    continue
                tup = "(" + ", ".join(ck) + ")"
                tmarks = "(" + ", ".join("?" for _ in ck) + ")"
                cond = pk_where
                cond += f" AND {tup} > {tmarks}" if has_after else ""
                cond += f" AND {tup} < {tmarks}" if has_before else ""
                sel = ", ".join([*ck, "value", "version"])
                stmt = session.prepare(f"SELECT {sel} FROM {t} WHERE {cond} LIMIT ?")
                stmt.is_idempotent = True
                self.scans[(has_after, has_before)] = stmt


class _NativeStatements:
    """The read statements of one table, prepared on the native reader (numbers for ``CqlReader.submit``)."""

    def __init__(self, reader: CqlReader, stmts: _Statements) -> None:
        self.get = reader.prepare(stmts.get.query_string)
        self.scans = {shape: reader.prepare(p.query_string) for shape, p in stmts.scans.items()}


def _node(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _reasons(e: NoHostAvailable) -> str:
    """Why each host refused (bad credentials, TLS failure, connection refused): the driver's own words."""
    errors = e.errors if isinstance(getattr(e, "errors", None), dict) else {}
    return "; ".join(f"{host}: {err}" for host, err in errors.items()) or str(e)


class CassandraReadError(RuntimeError):
    """A read Cassandra rejected as written (a bug in a statement or its values, not an outage)."""


class AccessDenied(ValueError):
    """The role logged in but lacks a permission the store needs (a configuration error, not an outage)."""


class SchemaMissing(ValueError):
    """The keyspace is missing or behind this server's migrations."""


class CassandraStore(Store):
    def __init__(
        self,
        contact_points: Sequence[str],
        keyspace: str = "crs",
        local_dc: str = "dc1",
        port: int = 9042,
        request_timeout: float = 5.0,
        tables: Sequence[Table] = ALL_TABLES,
        reads: str = "native",
        security: CqlSecurity | None = None,
    ) -> None:
        if reads not in READ_CLIENTS:
            raise ValueError(f"reads must be one of {READ_CLIENTS}, not {reads!r}")
        security = security or CqlSecurity()
        reader_options = security.reader_options()  # reads the PEM files first: a missing one fails before connecting
        self._cluster = make_cluster(contact_points, local_dc, port, request_timeout, security)
        try:
            self._session = self._cluster.connect()
            self._check_schema(keyspace)
        except NoHostAvailable as e:
            self._cluster.shutdown()
            raise StoreUnavailable(f"cannot reach Cassandra at {', '.join(contact_points)}: {_reasons(e)}") from e
        except Unauthorized as e:
            self._cluster.shutdown()
            role = security.username or "(no credentials)"
            raise AccessDenied(f"Cassandra role {role} may not read keyspace {keyspace!r}: {e}") from e
        except BaseException:
            self._cluster.shutdown()
            raise
        self._keyspace = keyspace
        self._stmts = {t.name: _Statements(self._session, keyspace, t) for t in tables}
        self._health = self._session.prepare(f"SELECT version FROM {keyspace}.schema_migrations LIMIT 1")
        self._health.is_idempotent = True
        self._closed = False
        self._background: set[asyncio.Task[None]] = set()
        self._reader: CqlReader | None = None
        self._native: dict[str, _NativeStatements] = {}
        self._waiting: dict[int, asyncio.Future[list[tuple[Any, ...]]]] = {}
        self._tags = count(1)
        self._reader_loop: asyncio.AbstractEventLoop | None = None
        if reads == "native":
            nodes = [_node(h, port) for h in contact_points]
            try:
                self._reader = CqlReader(
                    nodes, local_dc, keyspace, request_timeout, _SPECULATIVE_DELAY, 10.0, **reader_options
                )
                self._native = {name: _NativeStatements(self._reader, st) for name, st in self._stmts.items()}
            except CqlError as e:
                if self._reader is not None:
                    self._reader.close()
                self._cluster.shutdown()
                where = ", ".join(contact_points)
                raise StoreUnavailable(f"cannot reach Cassandra at {where} (native reader): {e}") from e

    def _check_schema(self, keyspace: str) -> None:
        if keyspace not in self._cluster.metadata.keyspaces:
            raise SchemaMissing(f"keyspace {keyspace!r} does not exist: run `crs migrate` first")
        rows = self._session.execute(f"SELECT version FROM {keyspace}.schema_migrations")
        # Every version, not just the highest: migrations are numbered when assigned, so a keyspace can have 6 and
        # 7 applied without 5 (migrated by a build that did not have 5 yet).
        have = {r.version for r in rows}
        missing = sorted({m.version for m in migrations(keyspace)} - have)
        if missing:
            raise SchemaMissing(
                f"keyspace {keyspace!r} lacks schema versions {missing} (has {sorted(have)}): run `crs migrate`"
            )

    # -- driver futures -> asyncio ---------------------------------------------------------------

    def _execute(self, statement: Any, params: Sequence[Any] | None = None) -> asyncio.Future[Any]:
        if self._closed:
            raise StoreUnavailable("store is closed")
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Any] = loop.create_future()

        def done(rows: Any) -> None:
            loop.call_soon_threadsafe(_resolve, fut, rows, None)

        def failed(exc: BaseException) -> None:
            loop.call_soon_threadsafe(_resolve, fut, None, exc)

        self._session.execute_async(statement, params, execution_profile=STORE_PROFILE).add_callbacks(done, failed)
        return fut

    async def _run(self, statement: Any, params: Sequence[Any] | None = None) -> Any:
        try:
            return await self._execute(statement, params)
        except (Unavailable, OperationTimedOut, NoHostAvailable, DriverException) as e:
            raise StoreUnavailable(type(e).__name__) from e
        except ErrorMessage as e:
            # Server-side errors the client may retry (with its request_id): overload, bootstrapping, read or
            # write failure, and "CAS result unknown" (0x1700, contention on a lightweight transaction).
            # Anything else (syntax, invalid request) is a bug and stays an internal error.
            if getattr(e, "code", None) in _RETRYABLE_SERVER_ERRORS:
                raise StoreUnavailable(f"{type(e).__name__} 0x{e.code:04x}") from e
            raise

    # -- native reads -> asyncio -------------------------------------------------------------------

    def _read(self, statement: int, params: list[Any]) -> asyncio.Future[list[tuple[Any, ...]]]:
        """Submit one read to the native reader; the future resolves when the loop drains its answer."""
        reader = self._reader
        if self._closed or reader is None:
            raise StoreUnavailable("store is closed")
        loop = asyncio.get_running_loop()
        if loop is not self._reader_loop:
            self._watch(loop, reader)
        tag = next(self._tags)
        fut: asyncio.Future[list[tuple[Any, ...]]] = loop.create_future()
        self._waiting[tag] = fut
        try:
            reader.submit(statement, params, tag)
        except CqlError as e:
            del self._waiting[tag]
            raise StoreUnavailable("native reader refused the read") from e
        return fut

    def _watch(self, loop: asyncio.AbstractEventLoop, reader: CqlReader) -> None:
        """Drain the reader's answers on ``loop`` (the store moved to another event loop, e.g. between tests)."""
        old = self._reader_loop
        if old is not None and not old.is_closed():
            old.remove_reader(reader.fileno())
        loop.add_reader(reader.fileno(), self._drain)
        self._reader_loop = loop

    def _drain(self) -> None:
        if self._reader is None:
            return
        for tag, rows, error, retryable in self._reader.take():
            fut = self._waiting.pop(tag, None)
            if fut is None or fut.done() or fut.get_loop().is_closed():
                continue  # the caller gave up (deadline, cancellation) or its loop is gone
            if rows is not None:
                fut.set_result(rows)
            elif retryable:
                fut.set_exception(StoreUnavailable(f"cassandra read: {error}"))
            else:
                fut.set_exception(CassandraReadError(error))

    # -- reads -------------------------------------------------------------------------------------

    async def get(self, table: Table, key: Key) -> Record | None:
        if self._reader is not None:
            found = await self._read(self._native[table.name].get, list(key))
            if not found:
                return None
            value, version = found[0]
            return Record(value, version or "")
        rows = list(await self._run(self._stmts[table.name].get, key))
        if not rows:
            return None
        value, version = rows[0]
        return Record(bytes(value), version or "")

    async def get_many(self, table: Table, keys: Sequence[Key]) -> list[Record | None]:
        """Concurrent keyed reads, at most _READ_CONCURRENCY in flight (one coroutine per wave, not per key)."""
        if len(keys) == 1:
            return [await self.get(table, keys[0])]  # the common case on lookup paths: no gather for one read
        out: list[Record | None] = []
        for i in range(0, len(keys), _READ_CONCURRENCY):
            out += await asyncio.gather(*(self.get(table, k) for k in keys[i : i + _READ_CONCURRENCY]))
        return out

    async def scan(
        self,
        table: Table,
        partition: Key,
        *,
        after: Key | None = None,
        before: Key | None = None,
        limit: int,
    ) -> list[Row]:
        shape = (after is not None, before is not None)
        params: list[Any] = [*partition, *(after or ()), *(before or ()), limit]
        if self._reader is not None:
            rows = await self._read(self._native[table.name].scans[shape], params)
        else:
            rows = await self._run(self._stmts[table.name].scans[shape], params)
        n = len(table.clustering_key)
        out = []
        for r in rows:
            values = tuple(r)
            out.append(Row(tuple(values[:n]), Record(bytes(values[n]), values[n + 1] or "")))
        return out

    # -- writes ------------------------------------------------------------------------------------

    async def apply(self, writes: Sequence[Write]) -> None:
        # The request_id record goes into the logged batch, after the claims: as a lightweight transaction of
        # its own it could outlive a change whose batch never landed, and a retry would then replay a result
        # that does not exist. Concurrent retries still serialize on the change's own conditions.
        plain = [
            replace(w, condition=None) if w.table is schema.idempotency_by_request else w
            for w in writes
            if w.condition is None or w.table is schema.idempotency_by_request
        ]
        # Each claim carries a version of its own, so releasing it can never delete another caller's claim.
        claims = [
            replace(w, version=w.version or uuid.uuid4().hex) if isinstance(w, Put) else w
            for w in writes
            if isinstance(w.condition, NotExists) and w.table is not schema.idempotency_by_request
        ]
        swaps = [w for w in writes if isinstance(w.condition, VersionIs)]
        made: list[Write] = []  # claims attempted so far (landed, failed or unknown) and swaps applied
        try:
            await self._claim_all(claims, made)
            for w in swaps:
                await self._conditional(w)
                made.append(w)
        except asyncio.CancelledError:
            # The caller is gone (deadline, shutdown): undo in the background instead of holding it up.
            task = asyncio.get_running_loop().create_task(self._release(made))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
            raise
        except BaseException:
            await self._release(made)
            raise
        if plain:
            batch = BatchStatement(batch_type=BatchType.LOGGED)
            for w in plain:
                stmt, params = self._plain(w)
                batch.add(stmt, params)
            await self._run(batch)

    async def apply_bulk(self, writes: Sequence[Write], concurrency: int = _BULK_CONCURRENCY) -> None:
        """Bulk loading only (``crs seed``): many independent writes, at most one per row, NOT one atomic change.

        ``apply`` puts a change's unconditional writes in one logged batch; thousands of rows of many partitions
        are far over Cassandra's batch size limits, so a bulk load goes here instead. The conditional writes run
        first, each as the same lightweight transaction ``apply`` runs (so every condition is still checked by
        Cassandra), at most ``concurrency`` in flight; if one does not apply, ``ConditionFailed`` is raised and
        none of the unconditional writes is sent (conditional ones that landed stay: a failed bulk load leaves a
        partial keyspace). Then every unconditional write is its own statement, ``concurrency`` in flight.
        """
        seen: set[tuple[str, Key]] = set()
        for w in writes:
            if (w.table.name, w.key) in seen:
                raise ValueError(f"apply_bulk: two writes of one row of {w.table.name}")
            seen.add((w.table.name, w.key))
        conditional = [w for w in writes if w.condition is not None and w.table is not schema.idempotency_by_request]
        plain = [w for w in writes if w.condition is None or w.table is schema.idempotency_by_request]
        await self._bounded(conditional, self._conditional, concurrency)

        async def put(w: Write) -> None:
            stmt, params = self._plain(replace(w, condition=None))
            await self._run(stmt, params)

        await self._bounded(plain, put, concurrency)

    @staticmethod
    async def _bounded(items: Sequence[Write], run: Callable[[Write], Awaitable[None]], concurrency: int) -> None:
        """``run`` on every item, ``concurrency`` at a time; the first failure cancels the rest and is raised."""
        pending = iter(items)

        async def worker() -> None:
            for w in pending:
                await run(w)

        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(min(concurrency, len(items))):
                    group.create_task(worker())
        except BaseExceptionGroup as e:
            errors = list(e.exceptions)
            raise next((x for x in errors if isinstance(x, ConditionFailed)), errors[0]) from None

    async def _claim_all(self, claims: list[Write], made: list[Write]) -> None:
        """Insert-if-not-exists claims in the change's own order; stop at the first failure (the one reported, as
        the embedded store reports the first failing condition).

        Up to _SEQUENTIAL_CLAIMS claims (a single resource's change) go one at a time. Two calls of one kind of
        change list their claims in the same order, so of two racing for the same rows, the one that wins the
        first shared row then meets no opposition on the others: the loser stopped there, holding none of them.
        Claimed concurrently, each could win one row, fail on the other's and both be refused although neither
        stays (seen with two servers registering one PAN: both got ALREADY_EXISTS, no card). Larger sets
        (batches of client-chosen ids, rarely contended) go in concurrent waves of _CLAIM_CONCURRENCY, where
        that outcome stays possible under contention."""
        size = 1 if len(claims) <= _SEQUENTIAL_CLAIMS else _CLAIM_CONCURRENCY
        for i in range(0, len(claims), size):
            wave = claims[i : i + size]
            # Recorded before the wave runs: if the call is cancelled mid-wave, claims that landed anyway are
            # still released (a claim that did not land is not deleted: the release matches its own version).
            made += wave
            results = await asyncio.gather(*(self._conditional(w) for w in wave), return_exceptions=True)
            failures = [r for r in results if isinstance(r, BaseException)]
            if failures:
                conflict = next((f for f in failures if isinstance(f, ConditionFailed)), None)
                raise conflict or failures[0]

    def _plain(self, w: Write) -> tuple[PreparedStatement, list[Any]]:
        s = self._stmts[w.table.name]
        if isinstance(w, Put):
            if w.ttl_seconds:
                return s.put_ttl, [*w.key, w.value, w.version, w.ttl_seconds]
            return s.put, [*w.key, w.value, w.version]
        return s.delete, list(w.key)

    async def _conditional(self, w: Write) -> None:
        s = self._stmts[w.table.name]
        cond = w.condition
        if isinstance(w, Put):
            if isinstance(cond, NotExists):
                stmt, params = s.put_if_absent, [*w.key, w.value, w.version]
            else:
                assert isinstance(cond, VersionIs)
                stmt, params = s.put_if_version, [w.value, w.version, *w.key, cond.version]
        elif isinstance(cond, VersionIs):
            stmt, params = s.delete_if_version, [*w.key, cond.version]
        else:
            stmt, params = s.delete_if_exists, list(w.key)
        rows = list(await self._run(stmt, params))
        if rows and rows[0][0]:  # [applied]
            return
        # Not applied: report the row as it is now (a failed UPDATE ... IF returns only the compared column).
        raise ConditionFailed(w, await self.get(w.table, w.key))

    async def _release(self, made: list[Write]) -> None:
        """Undo the claims of a change that did not apply (they were ours), in waves, best effort."""
        claims = [w for w in made if isinstance(w, Put) and isinstance(w.condition, NotExists)]
        for i in range(0, len(claims), _CLAIM_CONCURRENCY):
            wave = claims[i : i + _CLAIM_CONCURRENCY]
            await asyncio.gather(
                *(self._run(self._stmts[w.table.name].delete_if_version, [*w.key, w.version]) for w in wave),
                return_exceptions=True,
            )

    async def healthy(self) -> bool:
        try:
            await self._run(self._health)
        except StoreUnavailable:
            return False
        return True

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            reader, self._reader = self._reader, None
            if reader is not None:
                loop = self._reader_loop
                if loop is not None and not loop.is_closed():
                    loop.remove_reader(reader.fileno())
                await asyncio.to_thread(reader.close)
                waiting, self._waiting = self._waiting, {}
                for fut in waiting.values():
                    if not fut.done() and not fut.get_loop().is_closed():
                        fut.set_exception(StoreUnavailable("store is closed"))
            await asyncio.to_thread(self._cluster.shutdown)


def _resolve(fut: asyncio.Future[Any], rows: Any, exc: BaseException | None) -> None:
    if fut.done():
        return
    if exc is not None:
        fut.set_exception(exc)
    else:
        fut.set_result(rows)
