"""The lookups' chains of store calls run inside one ``Store.snapshot()``: on the embedded store every read of
a GetAuthorizationContext or a LookupCard comes from one read transaction (one state of the file), and the
transaction ends with the call."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from crs._core import KeyRing
from crs.domain.app import Domain
from crs.domain.context import CallContext, Principal
from crs.domain.customers import CustomerInput
from crs.domain.names import Name
from crs.storage.base import Key, Record, Row, Table
from crs.storage.embedded import EmbeddedStore
from tests.helpers.pans import make_pan

T = "acme"
CTX = CallContext(Principal("k", T, frozenset({"admin"})), "/crs.v1.CardService/RegisterCard")


class Recording(EmbeddedStore):
    """Notes, for each read call, whether a snapshot had lent it a reader."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.calls: list[tuple[str, bool]] = []

    def _note(self, op: str) -> None:
        self.calls.append((op, self._lent.get().reader is not None))

    async def get(self, table: Table, key: Key) -> Record | None:
        self._note("get")
        return await super().get(table, key)

    async def get_each(self, reads: Sequence[tuple[Table, Key]]) -> list[Record | None]:
        self._note("get_each")
        return await super().get_each(reads)

    async def get_each_and_scan(
        self, reads: Sequence[tuple[Table, Key]], table: Table, partition: Key, *, limit: int
    ) -> tuple[list[Record | None], list[Row]]:
        self._note("get_each_and_scan")
        return await super().get_each_and_scan(reads, table, partition, limit=limit)

    async def get_through(
        self, index: Table, index_key: Key, table: Table, key_head: Key
    ) -> tuple[Record | None, Record | None]:
        self._note("get_through")
        return await super().get_through(index, index_key, table, key_head)

    async def scan(self, table: Table, partition: Key, **kw: Any) -> list[Row]:
        self._note("scan")
        return await super().scan(table, partition, **kw)


def test_each_lookup_reads_inside_one_snapshot(tmp_path: Path) -> None:
    async def run() -> None:
        KeyRing.generate(str(tmp_path / "keys.json"))
        store = Recording(tmp_path / "crs.db")
        try:
            d = Domain(store, KeyRing.from_file(str(tmp_path / "keys.json")))
            c = await d.customers.create(CTX, T, CustomerInput(kind=1, display_name="Snap Shot"), "")
            a = await d.accounts.create(CTX, T, Name(T, "customers", c.id), 1, "EUR", "", (0, 0, 0), "")
            card = await d.cards.register(CTX, T, make_pan(), 12, 2031, "", Name(T, "accounts", a.id), None, "")
            for call in (
                lambda: d.lookup.authorization_context(T, token=card.token),
                lambda: d.cards.lookup(T, "", card.token),
            ):
                store.calls.clear()
                await call()
                assert len(store.calls) == 3 and all(inside for _op, inside in store.calls), store.calls
                assert store._lent.get().reader is None, "the snapshot ended with the call"
            assert len(store._snapshot_readers) == 1
        finally:
            await store.close()

    asyncio.run(run())
