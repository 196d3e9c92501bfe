"""``crs migrate``: versioned, idempotent Cassandra schema migrations.

Safe to run twice and from two processes at once: the keyspace and every table are created
``IF NOT EXISTS`` (tables with a deterministic ``ID``, so concurrent creators agree), each applied version is
recorded in ``schema_migrations`` with an insert-if-not-exists, and the runner waits for schema agreement.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from datetime import UTC, datetime

from crs.storage.cassandra import make_cluster
from crs.storage.cassandra_schema import create_keyspace, migrations, migrations_table
from crs.storage.cql_security import CqlSecurity

DDL_TIMEOUT = 60.0


def migrate(
    contact_points: Sequence[str],
    keyspace: str,
    local_dc: str,
    replication_factor: int,
    port: int = 9042,
    security: CqlSecurity | None = None,
) -> list[int]:
    """Applies what is missing; returns the versions this call applied."""
    if not keyspace.isidentifier():
        raise ValueError("keyspace must be a CQL identifier")
    cluster = make_cluster(contact_points, local_dc, port, request_timeout=DDL_TIMEOUT, security=security)
    try:
        session = cluster.connect()
        session.execute(create_keyspace(keyspace, {local_dc: replication_factor}), timeout=DDL_TIMEOUT)
        session.execute(migrations_table(keyspace), timeout=DDL_TIMEOUT)
        done = {r.version for r in session.execute(f"SELECT version FROM {keyspace}.schema_migrations")}
        applied: list[int] = []
        record = session.prepare(
            f"INSERT INTO {keyspace}.schema_migrations (version, description, applied_by, applied_at) "
            "VALUES (?, ?, ?, ?) IF NOT EXISTS"
        )
        who = f"{socket.gethostname()}:{os.getpid()}"
        for m in migrations(keyspace):
            if m.version in done:
                continue
            for statement in m.statements:
                session.execute(statement, timeout=DDL_TIMEOUT)
            if session.execute(record, (m.version, m.description, who, datetime.now(UTC))).was_applied:
                applied.append(m.version)
        cluster.control_connection.wait_for_schema_agreement()
        return applied
    finally:
        cluster.shutdown()


def current_version(
    contact_points: Sequence[str], keyspace: str, local_dc: str, port: int = 9042, security: CqlSecurity | None = None
) -> int:
    cluster = make_cluster(contact_points, local_dc, port, security=security)
    try:
        rows = cluster.connect().execute(f"SELECT version FROM {keyspace}.schema_migrations")
        return max((r.version for r in rows), default=0)
    finally:
        cluster.shutdown()
