"""Bulk-loads a seeded tenant into a Cassandra keyspace, many times over, without the domain or the write path.

Seeding through the domain runs at tens of customers a second on Cassandra here, so a data set of a million
customers is out of reach that way. This takes the rows ``crs seed`` wrote for one tenant of an embedded store
(the same rows, byte for byte, that it writes to Cassandra: both backends store a record's value and version),
writes them once per tenant of a list as SSTables with Cassandra's own ``CQLSSTableWriter``
(``bench/bulkwriter/CrsBulkWriter.java``, compiled here with ``javac`` against the node's jars), and hands the
files to the running node with ``nodetool import``. Copies under other tenant names give the keyspace its size,
partition count and SSTable index depth; their values still name the source tenant, and nothing reads them
(an API key is bound to one tenant), as with ``bench/clone_tenant.py`` for the embedded store.

    python bench/cassandra_bulk.py DB_FILE --tenant load --keyspace crs_big --copies 99 --work DIR

Rows with a TTL keep their remaining lifetime. The keyspace must exist and be migrated (``crs migrate``).
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "python"))

from crs.storage.cassandra_schema import column_type, create_table  # noqa: E402
from crs.storage.keys import SEPARATOR  # noqa: E402
from crs.storage.schema import ALL_TABLES  # noqa: E402

JAVA_SOURCE = REPO_ROOT / "bench" / "bulkwriter" / "CrsBulkWriter.java"
CASSANDRA_LIB = REPO_ROOT / ".tools" / "cassandra" / "lib"
CASSANDRA_SCRIPT = REPO_ROOT / "scripts" / "cassandra.sh"
JVM_OPTIONS = REPO_ROOT / "cassandra-local" / "jvm-server.options"


def _split(encoded: str, columns: tuple[str, ...]) -> list[str | int]:
    parts = encoded.split(SEPARATOR) if columns else []
    if len(parts) != len(columns):
        raise ValueError(f"key {encoded!r} has {len(parts)} parts, the table {len(columns)} columns")
    return [int(p) if column_type(c) == "int" else p for p, c in zip(parts, columns, strict=True)]


def export_rows(db_file: Path, tenant: str, keyspace: str, out: Path, now: float | None = None) -> int:
    """Every row of ``tenant`` in the embedded store, per table: ``<table>.cql`` and ``<table>.tsv`` (the format
    CrsBulkWriter reads; the tenant column is left out, the writer puts each target tenant there)."""
    now = time.time() if now is None else now
    out.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
    total = 0
    try:
        present = {str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        for table in ALL_TABLES:
            if table.name not in present:
                continue
            if table.partition_key[0] != "tenant":
                raise ValueError(f"{table.name}: the tenant is not its first key column")
            pk_rest, ck = table.partition_key[1:], table.clustering_key
            lo, hi = tenant + SEPARATOR, tenant + chr(ord(SEPARATOR) + 1)
            rows = conn.execute(
                f'SELECT pk, ck, value, version, expires_at FROM "{table.name}" '
                "WHERE ((pk >= ? AND pk < ?) OR pk = ?) AND (expires_at IS NULL OR expires_at > ?)",
                (lo, hi, tenant, now),
            )
            header = [f"{c}:{column_type(c)}" for c in (*pk_rest, *ck)] + ["value:blob", "version:text", "ttl:int"]
            lines = []
            for pk, ckey, value, version, expires_at in rows:
                parts = _split(pk, table.partition_key)
                if parts[0] != tenant:
                    continue
                if any(ch in version for ch in "\t\n\r"):
                    raise ValueError(f"{table.name}: a version holds a tab or newline")
                ttl = max(1, int(expires_at - now)) if expires_at is not None else 0
                fields = [*parts[1:], *_split(ckey, ck), bytes(value).hex(), version, ttl]
                lines.append("\t".join(str(f) for f in fields))
            (out / f"{table.name}.cql").write_text(create_table(keyspace, table))
            (out / f"{table.name}.tsv").write_text("\t".join(header) + "\n" + "".join(ln + "\n" for ln in lines))
            total += len(lines)
    finally:
        conn.close()
    return total


def _module_options() -> list[str]:
    """The --add-exports/--add-opens the node runs with: Cassandra's classes need them on Java 17."""
    lines = JVM_OPTIONS.read_text().splitlines()
    return [ln.strip() for ln in lines if ln.strip().startswith(("--add-exports", "--add-opens"))]


def compile_writer(classes: Path, lib: Path = CASSANDRA_LIB) -> None:
    classes.mkdir(parents=True, exist_ok=True)
    target = classes / "CrsBulkWriter.class"
    if target.exists() and target.stat().st_mtime >= JAVA_SOURCE.stat().st_mtime:
        return
    subprocess.run(
        ["javac", "-nowarn", "-cp", f"{lib}/*", "-d", str(classes), str(JAVA_SOURCE)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip


def write_sstables(
    rows: Path, out: Path, keyspace: str, tenants: list[str], work: Path, lib: Path = CASSANDRA_LIB
) -> dict[str, Any]:
    """CrsBulkWriter over ``rows`` for every tenant; returns its summary (rows, seconds)."""
    classes = work / "classes"
    compile_writer(classes, lib)
    tenants_file = work / "tenants.txt"
    tenants_file.write_text("".join(t + "\n" for t in tenants))
    scratch = work / "scratch"
    scratch.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        ["java", "-Xmx6g", "-XX:+UseG1GC", *_module_options(), f"-Dcassandra.storagedir={scratch}",
         f"-Djava.io.tmpdir={scratch}", "-Dlogback.configurationFile=" + str(REPO_ROOT / "cassandra-local" /
         "logback-tools.xml"), "-cp", f"{lib}/*:{classes}", "CrsBulkWriter", str(rows), str(out), keyspace,
         str(tenants_file)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        raise RuntimeError(f"CrsBulkWriter failed ({proc.returncode}): {proc.stderr[-3000:]}")
    summary: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return summary


def import_sstables(out: Path, keyspace: str, node: int = 1, env: dict[str, str] | None = None) -> int:
    """``nodetool import`` of every table directory CrsBulkWriter filled; returns the tables imported."""
    imported = 0
    for table_dir in sorted(p for p in out.iterdir() if p.is_dir()):
        if not any(table_dir.glob("*-Data.db")):
            continue
        proc = subprocess.run(
            ["bash", str(CASSANDRA_SCRIPT), "nodetool", str(node), "import", keyspace, table_dir.name,
             str(table_dir)],
            capture_output=True, text=True, env={**os.environ, **(env or {})}, check=False, timeout=3600,
        )  # fmt: skip
        if proc.returncode != 0 or "failed" in proc.stdout.lower():
            raise RuntimeError(f"nodetool import {keyspace}.{table_dir.name} failed: {proc.stdout}{proc.stderr}")
        imported += 1
    return imported


def tenants_for(tenant: str, copies: int) -> list[str]:
    """The source tenant first, then ``<tenant>-copy-<n>`` as bench/clone_tenant.py names them."""
    return [tenant] + [f"{tenant}-copy-{n}" for n in range(1, copies + 1)]


def load(
    db_file: Path, tenant: str, keyspace: str, copies: int, work: Path, env: dict[str, str] | None = None
) -> dict[str, Any]:
    """Export, write and import: the keyspace then holds the tenant and ``copies`` copies of it. ``env``: for
    scripts/cassandra.sh (CRS_CASSANDRA_HOME of the node)."""
    started = time.monotonic()
    rows_dir, out = work / "rows", work / "sstables" / keyspace
    exported = export_rows(db_file, tenant, keyspace, rows_dir)
    written = write_sstables(rows_dir, out, keyspace, tenants_for(tenant, copies), work)
    tables = import_sstables(out, keyspace, env=env)
    return {
        "source_rows": exported,
        "rows": written["rows"],
        "write_seconds": written["seconds"],
        "tables": tables,
        "tenants": copies + 1,
        "seconds": round(time.monotonic() - started, 1),
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("db_file", type=Path, help="the embedded store file crs seed wrote (data/crs.db)")
    p.add_argument("--tenant", default="load")
    p.add_argument("--keyspace", required=True, help="a migrated keyspace on the node (crs migrate)")
    p.add_argument("--copies", type=int, default=0, help="copies of the tenant under other tenant names")
    p.add_argument("--work", type=Path, required=True, help="scratch directory (rows, SSTables before import)")
    a = p.parse_args()
    print(json.dumps(load(a.db_file, a.tenant, a.keyspace, a.copies, a.work)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
