"""bench/cassandra_bulk.py's export: rows of one tenant from the embedded store, in the form CrsBulkWriter reads
(key columns after the tenant, int buckets as numbers, the value in hex, the remaining TTL); other tenants and
expired rows left out. (The whole load into a real node: tests/integration/test_cassandra_bulk.py.)"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from bench.cassandra_bulk import export_rows, tenants_for
from crs.storage import schema
from crs.storage.base import Put
from crs.storage.embedded import EmbeddedStore


def _store(path: Path) -> None:
    async def fill() -> None:
        store = EmbeddedStore(path)
        try:
            await store.apply(
                [
                    Put(schema.customers_by_id, ("t1", "c1"), b"\x00{json}", "v1"),
                    Put(schema.customers_by_id, ("t10", "c2"), b"other tenant", "v1"),  # a prefix of t1 is not t1
                    Put(schema.customers_by_tenant, ("t1", 7, "c1"), b"listed", "v2"),
                    Put(schema.customers_by_id, ("t1", "c3"), b"expiring", "v3", ttl_seconds=3600),
                ]
            )
        finally:
            await store.close()

    asyncio.run(fill())


def test_export_writes_the_tenants_rows_per_table(tmp_path: Path) -> None:
    db = tmp_path / "crs.db"
    _store(db)
    out = tmp_path / "rows"
    assert export_rows(db, "t1", "ks", out) == 3
    lines = (out / "customers_by_id.tsv").read_text().splitlines()
    assert lines[0] == "customer_id:text\tvalue:blob\tversion:text\tttl:int"
    rows = sorted(ln.split("\t") for ln in lines[1:])
    assert rows[0] == ["c1", b"\x00{json}".hex(), "v1", "0"]
    assert rows[1][:3] == ["c3", b"expiring".hex(), "v3"] and 3500 < int(rows[1][3]) <= 3600
    listed = (out / "customers_by_tenant.tsv").read_text().splitlines()
    assert listed == [
        "bucket:int\tcustomer_id:text\tvalue:blob\tversion:text\tttl:int",
        f"7\tc1\t{b'listed'.hex()}\tv2\t0",
    ]
    cql = (out / "customers_by_id.cql").read_text()
    assert cql.startswith("CREATE TABLE IF NOT EXISTS ks.customers_by_id (")


def test_expired_rows_are_left_out(tmp_path: Path) -> None:
    db = tmp_path / "crs.db"
    _store(db)
    assert export_rows(db, "t1", "ks", tmp_path / "later", now=time.time() + 7200) == 2  # c3 has expired by then


def test_copies_are_named_as_clone_tenant_names_them() -> None:
    assert tenants_for("load", 2) == ["load", "load-copy-1", "load-copy-2"]
    assert tenants_for("load", 0) == ["load"]
