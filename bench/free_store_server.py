"""``crs serve`` with every store read answered from memory after its first read: a bench instrument.

    python -m bench.free_store_server serve --data-dir ... (the options of ``crs serve``)

``bench/store_free.py`` runs this server beside a normal one on the same data and compares their CPU per call.
Once the warm-up has read every row a method's requests touch, a read here costs one dict lookup instead of
the backend's work (SQLite, or a CQL round trip), while everything above the store (the domain rules, the
response, the gRPC stack, ``ObservedStore``'s deadline checks and metrics) runs as in production. What a
method still costs on this server is what no storage change can remove.

Never a way to serve: a write clears the memo, but another process's writes are never seen.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from bench.instrument_server import refuse_launch
from crs import cli
from crs.api import server
from crs.api.server import ServerConfig
from crs.storage.base import Key, Record, Row, Store, Table, Write


class MemoizedReads(Store):
    """``inner`` with each distinct read answered once by ``inner`` and from memory afterwards.

    The memo holds plain tuples of bytes and strings (which the garbage collector stops tracking), and each
    answer is built fresh from them, as a backend builds its ``Record``/``Row`` objects per read: tens of
    thousands of memoized objects would otherwise be traversed by every full collection, a cost no real store
    has."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.atomic_conditions = inner.atomic_conditions
        self.inline_reads = True  # every repeated read completes without waiting
        self._gets: dict[tuple[str, Key], tuple[bytes, str] | None] = {}
        self._scans: dict[tuple[str, Key, Key | None, Key | None, int], tuple[tuple[Key, bytes, str], ...]] = {}

    async def get(self, table: Table, key: Key) -> Record | None:
        memo = (table.name, key)
        if memo in self._gets:
            found = self._gets[memo]
            return None if found is None else Record(*found)
        record = await self.inner.get(table, key)
        self._gets[memo] = None if record is None else (record.value, record.version)
        return record

    async def get_many(self, table: Table, keys: Sequence[Key]) -> list[Record | None]:
        return [await self.get(table, key) for key in keys]

    async def scan(
        self,
        table: Table,
        partition: Key,
        *,
        after: Key | None = None,
        before: Key | None = None,
        limit: int,
    ) -> list[Row]:
        memo = (table.name, partition, after, before, limit)
        if memo in self._scans:
            return [Row(ck, Record(value, version)) for ck, value, version in self._scans[memo]]
        rows = await self.inner.scan(table, partition, after=after, before=before, limit=limit)
        self._scans[memo] = tuple((r.clustering, r.record.value, r.record.version) for r in rows)
        return rows

    async def apply(self, writes: Sequence[Write]) -> None:
        self._gets.clear()
        self._scans.clear()
        await self.inner.apply(writes)

    async def healthy(self) -> bool:
        return await self.inner.healthy()

    async def close(self) -> None:
        await self.inner.close()


_OPEN_STORE = server.open_store


def open_memoized(config: ServerConfig) -> Store:
    return MemoizedReads(_OPEN_STORE(config))


def main(argv: list[str]) -> int:
    refused = refuse_launch(argv, "bench.free_store_server", "the memo")
    if refused is not None:
        return refused
    server.open_store = open_memoized  # build_server looks it up when it is called
    return cli.main(argv)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
