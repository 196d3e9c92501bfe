"""The Apache Cassandra backend: the same ``Store`` contract on a replicated cluster.

- Prepared statements only; one profile with token-aware + DC-aware load balancing, LOCAL_QUORUM reads and
  writes, LOCAL_SERIAL for lightweight transactions, and speculative execution that the driver applies only
  to statements marked idempotent (reads). The driver's default retry policy; never a downgrading one.
- ``apply``: conditional writes (``NotExists``/``VersionIs``) are lightweight transactions, run first (the
  insert-if-not-exists claims concurrently, then the one compare-and-set); if any does not apply, the claims
  already made are removed and ``ConditionFailed`` is raised, so nothing of the change stays. The other
  writes of the change (denormalized copies, audit event) then go in one logged batch.
- Driver futures are bridged to asyncio with callbacks: no thread blocks on a query.
- Timeouts and unavailable replicas become ``StoreUnavailable`` (UNAVAILABLE to the client), quickly.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any

from cassandra import ConsistencyLevel, DriverException, OperationTimedOut, Unavailable
from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile, NoHostAvailable, Session
from cassandra.policies import ConstantSpeculativeExecutionPolicy, DCAwareRoundRobinPolicy, TokenAwarePolicy
from cassandra.query import BatchStatement, BatchType, PreparedStatement

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
from crs.storage.schema import ALL_TABLES

_CLAIM_CONCURRENCY = 64
_READ_CONCURRENCY = 128


def make_cluster(
    contact_points: Sequence[str], local_dc: str, port: int = 9042, request_timeout: float = 5.0
) -> Cluster:
    profile = ExecutionProfile(
        load_balancing_policy=TokenAwarePolicy(DCAwareRoundRobinPolicy(local_dc=local_dc)),
        consistency_level=ConsistencyLevel.LOCAL_QUORUM,
        serial_consistency_level=ConsistencyLevel.LOCAL_SERIAL,
        request_timeout=request_timeout,
        speculative_execution_policy=ConstantSpeculativeExecutionPolicy(delay=0.05, max_attempts=2),
    )
    return Cluster(
        contact_points=list(contact_points),
        port=port,
        execution_profiles={EXEC_PROFILE_DEFAULT: profile},
        protocol_version=5,
        connect_timeout=10,
        control_connection_timeout=10,
    )


class _Statements:
    """The prepared statements of one table."""

    def __init__(self, session: Session, keyspace: str, table: Table) -> None:
        t = f"{keyspace}.{table.name}"
        where = " AND ".join(f"{c} = ?" for c in table.key_columns)
        cols = ", ".join(table.key_columns)
        marks = ", ".join("?" for _ in table.key_columns)
        ttl = f" USING TTL {table.ttl_seconds}" if table.ttl_seconds else ""
        self.get = session.prepare(f"SELECT value, version FROM {t} WHERE {where}")
        self.get.is_idempotent = True
        self.put = session.prepare(f"INSERT INTO {t} ({cols}, value, version) VALUES ({marks}, ?, ?){ttl}")
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
        pk_where = " AND ".join(f"{c} = ?" for c in table.partition_key)
        ck = table.clustering_key
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


class CassandraStore(Store):
    def __init__(
        self,
        contact_points: Sequence[str],
        keyspace: str = "crs",
        local_dc: str = "dc1",
        port: int = 9042,
        request_timeout: float = 5.0,
        tables: Sequence[Table] = ALL_TABLES,
    ) -> None:
        self._cluster = make_cluster(contact_points, local_dc, port, request_timeout)
        try:
            self._session = self._cluster.connect(keyspace)
        except NoHostAvailable as e:
            self._cluster.shutdown()
            raise StoreUnavailable(f"cannot reach Cassandra at {', '.join(contact_points)}") from e
        self._keyspace = keyspace
        self._stmts = {t.name: _Statements(self._session, keyspace, t) for t in tables}
        self._health = self._session.prepare(f"SELECT version FROM {keyspace}.schema_migrations LIMIT 1")
        self._health.is_idempotent = True
        self._closed = False

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

        self._session.execute_async(statement, params).add_callbacks(done, failed)
        return fut

    async def _run(self, statement: Any, params: Sequence[Any] | None = None) -> Any:
        try:
            return await self._execute(statement, params)
        except (Unavailable, OperationTimedOut, NoHostAvailable, DriverException) as e:
            raise StoreUnavailable(type(e).__name__) from e

    # -- reads -------------------------------------------------------------------------------------

    async def get(self, table: Table, key: Key) -> Record | None:
        rows = list(await self._run(self._stmts[table.name].get, key))
        if not rows:
            return None
        return Record(bytes(rows[0].value), rows[0].version or "")

    async def get_many(self, table: Table, keys: Sequence[Key]) -> list[Record | None]:
        gate = asyncio.Semaphore(_READ_CONCURRENCY)

        async def one(key: Key) -> Record | None:
            async with gate:
                return await self.get(table, key)

        return list(await asyncio.gather(*(one(k) for k in keys)))

    async def scan(
        self,
        table: Table,
        partition: Key,
        *,
        after: Key | None = None,
        before: Key | None = None,
        limit: int,
    ) -> list[Row]:
        stmt = self._stmts[table.name].scans[(after is not None, before is not None)]
        params: list[Any] = [*partition, *(after or ()), *(before or ()), limit]
        rows = await self._run(stmt, params)
        n = len(table.clustering_key)
        out = []
        for r in rows:
            values = tuple(r)
            out.append(Row(tuple(values[:n]), Record(bytes(values[n]), values[n + 1] or "")))
        return out

    # -- writes ------------------------------------------------------------------------------------

    async def apply(self, writes: Sequence[Write]) -> None:
        claims = [w for w in writes if isinstance(w.condition, NotExists)]
        swaps = [w for w in writes if isinstance(w.condition, VersionIs)]
        plain = [w for w in writes if w.condition is None]
        made: list[Write] = []
        try:
            await self._claim_all(claims, made)
            for w in swaps:
                await self._conditional(w)
                made.append(w)
        except BaseException:
            await self._release(made)
            raise
        if plain:
            batch = BatchStatement(batch_type=BatchType.LOGGED)
            for w in plain:
                stmt, params = self._plain(w)
                batch.add(stmt, params)
            await self._run(batch)

    async def _claim_all(self, claims: list[Write], made: list[Write]) -> None:
        gate = asyncio.Semaphore(_CLAIM_CONCURRENCY)
        failures: list[BaseException] = []

        async def claim(w: Write) -> None:
            async with gate:
                if failures:
                    return
                try:
                    await self._conditional(w)
                    made.append(w)
                except BaseException as e:
                    failures.append(e)

        await asyncio.gather(*(claim(w) for w in claims))
        if failures:
            conflict = next((f for f in failures if isinstance(f, ConditionFailed)), None)
            raise conflict or failures[0]

    def _plain(self, w: Write) -> tuple[PreparedStatement, list[Any]]:
        s = self._stmts[w.table.name]
        if isinstance(w, Put):
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
        """Undo claims of a change that did not apply (best effort; they were ours)."""
        for w in made:
            if isinstance(w, Put) and isinstance(w.condition, NotExists):
                with contextlib.suppress(StoreUnavailable):
                    await self._run(self._stmts[w.table.name].delete_if_version, [*w.key, w.version])

    async def healthy(self) -> bool:
        try:
            await self._run(self._health)
        except StoreUnavailable:
            return False
        return True

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            await asyncio.to_thread(self._cluster.shutdown)


def _resolve(fut: asyncio.Future[Any], rows: Any, exc: BaseException | None) -> None:
    if fut.done():
        return
    if exc is not None:
        fut.set_exception(exc)
    else:
        fut.set_result(rows)
