"""bench/cassandra_bulk.py: a tenant seeded into the embedded store, written as SSTables for it and a copy,
imported into a real node, reads back row for row through CassandraStore, and a CRS server on that keyspace
finds the seeded cards by PAN (the bench's 1M-customer Cassandra data set is made this way)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.cassandra_bulk import load, tenants_for
from crs.seed import synthetic_pan
from crs.storage.keys import SEPARATOR
from crs.storage.schema import ALL_TABLES
from crs.v1 import card_pb2
from tests.helpers.cassandra import LOCAL_DC, LocalCassandra
from tests.helpers.data import ACME
from tests.helpers.server import CrsServer, python_env

pytestmark = [pytest.mark.cassandra, pytest.mark.timeout(600)]
TENANT = "acme"  # the tenant of the test API keys (CrsServer), so a server can read what was loaded


def _seed(root: Path, customers: int) -> dict[str, Any]:
    root.mkdir(parents=True, exist_ok=True)
    keys = root / "keys.json"
    subprocess.run([sys.executable, "-m", "crs", "keys", "generate", str(keys)], check=True, env=python_env(),
                   capture_output=True)  # fmt: skip
    manifest = root / "manifest.json"
    subprocess.run(
        [sys.executable, "-m", "crs", "seed", "--customers", str(customers), "--data-dir", str(root / "data"),
         "--keys-file", str(keys), "--tenant", TENANT, "--salt", "5", "--manifest", str(manifest)],
        check=True, env=python_env(), capture_output=True,
    )  # fmt: skip
    return {"keys": keys, "db": root / "data" / "crs.db", **json.loads(manifest.read_text())}


def _embedded_rows(db: Path) -> dict[str, dict[tuple[str, str], tuple[bytes, str]]]:
    """Every live row of TENANT per table: (pk without the tenant, ck) -> (value, version)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    out: dict[str, dict[tuple[str, str], tuple[bytes, str]]] = {}
    try:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        for t in ALL_TABLES:
            if t.name not in names:
                continue
            rows = conn.execute(
                f'SELECT pk, ck, value, version FROM "{t.name}" '
                "WHERE ((pk >= ? AND pk < ?) OR pk = ?) AND expires_at IS NULL",
                (TENANT + SEPARATOR, TENANT + chr(ord(SEPARATOR) + 1), TENANT),
            )
            out[t.name] = {(pk.partition(SEPARATOR)[2], ck): (bytes(v), ver) for pk, ck, v, ver in rows}
    finally:
        conn.close()
    return out


def _parts(encoded: str) -> list[str]:
    return encoded.split(SEPARATOR) if encoded else []


def _key(columns: tuple[str, ...], parts: list[str]) -> tuple[str | int, ...]:
    return tuple(int(p) if c == "bucket" else p for p, c in zip(parts, columns, strict=True))


def test_bulk_load_reads_back_and_serves(cassandra_cluster: LocalCassandra, tmp_path: Path) -> None:
    from crs.storage.cassandra import CassandraStore
    from crs.storage.keys import encode_key

    seeded = _seed(tmp_path / "ws", 25)
    server = CrsServer(root=tmp_path / "crs", backend="cassandra", cassandra=cassandra_cluster)
    keyspace = server.keyspace  # migrated, dropped when the server closes
    server.keys_file.write_bytes(seeded["keys"].read_bytes())  # the card keys the seed sealed with
    env = {"CRS_CASSANDRA_HOME": str(cassandra_cluster.home)} if cassandra_cluster.home else {}
    try:
        summary = load(seeded["db"], TENANT, keyspace, 1, tmp_path / "work", env=env)
        assert summary["tenants"] == 2 and summary["rows"] == 2 * summary["source_rows"] > 0
        want = _embedded_rows(seeded["db"])
        assert sum(len(v) for v in want.values()) > 25 * 20  # customers, accounts, cards, identifiers, clusters...

        async def read_back() -> None:
            store = CassandraStore(cassandra_cluster.contact_points, keyspace, LOCAL_DC)
            try:
                for t in ALL_TABLES:
                    for (pk_rest, ck), (value, version) in want.get(t.name, {}).items():
                        for tenant in tenants_for(TENANT, 1):
                            key = _key(t.key_columns, [tenant, *_parts(pk_rest), *_parts(ck)])
                            got = await store.get(t, key)
                            assert got is not None, (t.name, tenant, encode_key(key))
                            assert (got.value, got.version) == (value, version), t.name
            finally:
                await store.close()

        asyncio.run(read_back())

        server.start()
        admin = server.clients("acme-admin")
        for i in (0, 12, 24):
            pan = synthetic_pan(5, int(seeded["start"]) + i)
            got = admin.cards.LookupCard(card_pb2.LookupCardRequest(parent=ACME, pan=pan), timeout=30)
            assert got.card.last4 == pan[-4:] and got.account.name.startswith(ACME + "/accounts/")
    finally:
        server.close()
