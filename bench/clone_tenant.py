"""Copies every row of one tenant of an embedded store into new tenants, to reach a store of many customers
without seeding each one through the domain (which runs at tens to hundreds of customers a second here).

    python bench/clone_tenant.py DB_FILE --tenant load --copies 9

Each copy is tenant ``<tenant>-copy-<n>``: every row whose partition key starts with the tenant, under the
new tenant's key, with the same clustering key, version and value (values still name the source tenant: the
copies exist to give the store its size, B-tree depth and page-cache pressure; nothing reads them). Copies
already present are skipped, so an interrupted run can be resumed. Run it only while no server uses the file.
Prints one JSON object: rows copied, seconds, file bytes.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
from pathlib import Path

SEPARATOR = "\x1f"  # crs.storage.keys.SEPARATOR: the tenant is the first part of every partition key
MARKER = "customers_by_id"


def tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")
    return sorted(str(r[0]) for r in rows)


def copy_tenant(conn: sqlite3.Connection, tenant: str, copy: str) -> int:
    """All of ``tenant``'s rows under ``copy``, one table per transaction; returns the rows written."""
    written = 0
    lo, hi = tenant + SEPARATOR, tenant + chr(ord(SEPARATOR) + 1)
    names = tables(conn)
    for table in [t for t in names if t != MARKER] + [MARKER]:  # the marker table last: see ``has_copy``
        conn.execute("BEGIN IMMEDIATE")
        try:
            cur = conn.execute(
                f'INSERT OR IGNORE INTO "{table}" (pk, ck, version, value, expires_at) '
                f'SELECT ? || substr(pk, ?), ck, version, value, expires_at FROM "{table}" '
                "WHERE (pk >= ? AND pk < ?) OR pk = ?",
                (copy, len(tenant) + 1, lo, hi, tenant),
            )
            written += max(0, cur.rowcount)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return written


def has_copy(conn: sqlite3.Connection, copy: str) -> bool:
    """Whether the copy is complete: the marker table, copied last, has rows of it."""
    lo, hi = copy + SEPARATOR, copy + chr(ord(SEPARATOR) + 1)
    row = conn.execute(f'SELECT 1 FROM "{MARKER}" WHERE pk >= ? AND pk < ? LIMIT 1', (lo, hi)).fetchone()
    return row is not None


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("db", type=Path)
    p.add_argument("--tenant", default="load")
    p.add_argument("--copies", type=int, required=True)
    a = p.parse_args()
    conn = sqlite3.connect(a.db, isolation_level=None, timeout=60)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")  # a bench fixture: a crash means re-running the copy
    conn.execute("PRAGMA cache_size=-262144")
    started, rows = time.perf_counter(), 0
    for n in range(1, a.copies + 1):
        copy = f"{a.tenant}-copy-{n}"
        if has_copy(conn, copy):
            continue
        rows += copy_tenant(conn, a.tenant, copy)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        print(f"copied {a.tenant} -> {copy}", file=sys.stderr, flush=True)
    conn.close()
    size = sum(f.stat().st_size for f in a.db.parent.iterdir() if f.name.startswith(a.db.name))
    print(json.dumps({"rows": rows, "seconds": round(time.perf_counter() - started, 1), "bytes": size}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
