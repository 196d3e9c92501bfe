"""``ObservedStore``: the one place store work is timed, counted and held to the caller's deadline.

``build_server`` wraps the real backend once; the domain and the interceptor only see the wrapper. Before
each operation it checks the current call's deadline (``crs.api.call.DEADLINE``) and raises
``DeadlineExceeded`` when it has passed, so a call whose caller already gave up starts no store work (an
``apply`` that has started runs to its end: it is one atomic change either way).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import TypeVar

from crs.api import metrics
from crs.api.call import DEADLINE, DeadlineExceeded
from crs.storage.base import ConditionFailed, Key, Record, Row, Store, Table, Write

T = TypeVar("T")


def _check_deadline(table: str, op: str) -> float:
    """Raises ``DeadlineExceeded`` when the current call's deadline has passed; else the start time of the op."""
    deadline = DEADLINE.get()
    if deadline is not None and time.monotonic() >= deadline:
        raise DeadlineExceeded(f"deadline passed before {op} on {table}")
    return time.perf_counter()


class ObservedStore(Store):
    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.atomic_conditions = inner.atomic_conditions
        self.inline_reads = inner.inline_reads

    async def _run(self, table: str, op: str, work: Callable[[], Awaitable[T]]) -> T:
        started = _check_deadline(table, op)
        try:
            return await work()
        except ConditionFailed:
            raise  # a lost compare-and-set is an answer, not a store error
        except Exception:
            metrics.STORE_ERRORS.labels(table=table, op=op).inc()
            raise
        finally:
            metrics.store_op_done(table, op, time.perf_counter() - started)

    def snapshot(self) -> AbstractAsyncContextManager[None]:
        return self.inner.snapshot()  # not an operation of its own: the reads inside are timed one by one

    async def get(self, table: Table, key: Key) -> Record | None:
        # The single-row read is every lookup's hot path: the same steps as ``_run``, without its closure.
        started = _check_deadline(table.name, "get")
        try:
            return await self.inner.get(table, key)
        except Exception:
            metrics.STORE_ERRORS.labels(table=table.name, op="get").inc()
            raise
        finally:
            metrics.store_op_done(table.name, "get", time.perf_counter() - started)

    async def get_each(self, reads: Sequence[tuple[Table, Key]]) -> list[Record | None]:
        # Every lookup's last step: the steps of ``_run``, without its closure. One operation in the metrics,
        # labelled with the tables it read (a fixed set per call site).
        tables = ",".join(sorted({table.name for table, _ in reads}))
        started = _check_deadline(tables, "get_each")
        try:
            return await self.inner.get_each(reads)
        except Exception:
            metrics.STORE_ERRORS.labels(table=tables, op="get_each").inc()
            raise
        finally:
            metrics.store_op_done(tables, "get_each", time.perf_counter() - started)

    async def get_each_and_scan(
        self, reads: Sequence[tuple[Table, Key]], table: Table, partition: Key, *, limit: int
    ) -> tuple[list[Record | None], list[Row]]:
        # Every lookup's account step: the steps of ``_run``, without its closure; labelled with the tables read.
        tables = ",".join(sorted({t.name for t, _ in reads} | {table.name}))
        started = _check_deadline(tables, "get_each_and_scan")
        try:
            return await self.inner.get_each_and_scan(reads, table, partition, limit=limit)
        except Exception:
            metrics.STORE_ERRORS.labels(table=tables, op="get_each_and_scan").inc()
            raise
        finally:
            metrics.store_op_done(tables, "get_each_and_scan", time.perf_counter() - started)

    async def get_through(
        self, index: Table, index_key: Key, table: Table, key_head: Key
    ) -> tuple[Record | None, Record | None]:
        # Every lookup's first step: as above; labelled "index>table".
        label = f"{index.name}>{table.name}"
        started = _check_deadline(label, "get_through")
        try:
            return await self.inner.get_through(index, index_key, table, key_head)
        except Exception:
            metrics.STORE_ERRORS.labels(table=label, op="get_through").inc()
            raise
        finally:
            metrics.store_op_done(label, "get_through", time.perf_counter() - started)

    async def get_many(self, table: Table, keys: Sequence[Key]) -> list[Record | None]:
        return await self._run(table.name, "get_many", lambda: self.inner.get_many(table, keys))

    async def scan(
        self,
        table: Table,
        partition: Key,
        *,
        after: Key | None = None,
        before: Key | None = None,
        limit: int,
    ) -> list[Row]:
        # Every LookupCard scans the account's relationships: the steps of ``_run``, without its closure.
        started = _check_deadline(table.name, "scan")
        try:
            return await self.inner.scan(table, partition, after=after, before=before, limit=limit)
        except Exception:
            metrics.STORE_ERRORS.labels(table=table.name, op="scan").inc()
            raise
        finally:
            metrics.store_op_done(table.name, "scan", time.perf_counter() - started)

    async def apply(self, writes: Sequence[Write]) -> None:
        table = writes[0].table.name if writes else "-"
        await self._run(table, "apply", lambda: self.inner.apply(writes))

    async def healthy(self) -> bool:
        return await self.inner.healthy()

    async def close(self) -> None:
        await self.inner.close()
