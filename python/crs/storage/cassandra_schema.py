"""CQL for CRS's tables and the versioned migrations that create them.

Every logical table in ``schema.py`` becomes one CQL table: its key columns (``bucket`` is an int, the
rest text), ``value blob`` (the record) and ``version text`` (the etag used by lightweight transactions),
with the query it serves as the table comment. Tables are created ``WITH ID`` derived from the table name,
so two processes migrating at once converge on the same schema instead of racing to create two tables.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from crs.storage import schema
from crs.storage.base import Table
from crs.storage.schema import ALL_TABLES

_INT_COLUMNS = frozenset({"bucket"})
_ID_NAMESPACE = uuid.UUID("6f1c1d0e-2b9a-4c61-9a52-7c3f0d4e8b10")


def ident(column: str) -> str:
    """Quoted CQL identifier (some column names, like ``token``, are CQL keywords)."""
    return f'"{column}"'


def column_type(column: str) -> str:
    return "int" if column in _INT_COLUMNS else "text"


def table_id(keyspace: str, name: str) -> uuid.UUID:
    return uuid.uuid5(_ID_NAMESPACE, f"{keyspace}.{name}")


def create_table(keyspace: str, table: Table) -> str:
    columns = ", ".join(f"{ident(c)} {column_type(c)}" for c in table.key_columns)
    partition = ", ".join(ident(c) for c in table.partition_key)
    key = f"({partition})" + "".join(f", {ident(c)}" for c in table.clustering_key)
    comment = table.query.replace("'", "''")
    options = f"ID = {table_id(keyspace, table.name)} AND comment = '{comment}'"
    if table.ttl_seconds:
        options += f" AND default_time_to_live = {table.ttl_seconds}"
    return (
        f"CREATE TABLE IF NOT EXISTS {keyspace}.{table.name} ({columns}, value blob, version text, "
        f"PRIMARY KEY ({key})) WITH {options}"
    )


def create_keyspace(keyspace: str, datacenters: dict[str, int]) -> str:
    dcs = ", ".join(f"'{dc}': {rf}" for dc, rf in sorted(datacenters.items()))
    return (
        f"CREATE KEYSPACE IF NOT EXISTS {keyspace} WITH replication = "
        f"{{'class': 'NetworkTopologyStrategy', {dcs}}} AND durable_writes = true"
    )


def migrations_table(keyspace: str) -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS {keyspace}.schema_migrations (version int PRIMARY KEY, "
        f"description text, applied_by text, applied_at timestamp) "
        f"WITH ID = {table_id(keyspace, 'schema_migrations')} AND comment = 'Applied schema versions'"
    )


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]


def migrations(keyspace: str) -> list[Migration]:
    """Append-only: a released migration is never edited, only followed by a new one."""
    # Migration 1 stays exactly as released: every later migration's tables are left out of it.
    later = set(CLUSTER_TABLES) | set(TRANSACTION_TABLES) | set(PROFILE_TABLES)
    later |= set(NOTIFICATION_TABLES) | set(RISK_TABLES) | set(FEED_TABLES)
    return [
        Migration(1, "CRS core tables", tuple(create_table(keyspace, t) for t in ALL_TABLES if t not in later)),
        Migration(2, "Customer clusters", tuple(create_table(keyspace, t) for t in CLUSTER_TABLES)),
        Migration(3, "Transactions and segments", tuple(create_table(keyspace, t) for t in TRANSACTION_TABLES)),
        Migration(4, "Profiles, support cases, feedback", tuple(create_table(keyspace, t) for t in PROFILE_TABLES)),
        Migration(5, "Back-office change feed", tuple(create_table(keyspace, t) for t in FEED_TABLES)),
        Migration(6, "Payment notifications and dues", tuple(create_table(keyspace, t) for t in NOTIFICATION_TABLES)),
        Migration(7, "Risk signals and checkout decisions", tuple(create_table(keyspace, t) for t in RISK_TABLES)),
    ]


CLUSTER_TABLES: tuple[Table, ...] = (
    schema.identifiers_by_customer,
    schema.customers_by_identifier,
    schema.match_by_customer,
    schema.customers_by_match_block,
    schema.links_by_customer,
    schema.overrides_by_customer,
    schema.cluster_by_customer,
    schema.clusters_by_id,
    schema.customers_by_cluster,
    schema.cluster_events_by_cluster,
    schema.cluster_events_by_day,
    schema.match_model_by_tenant,
)

PROFILE_TABLES: tuple[Table, ...] = (
    schema.profiles_by_customer,
    schema.profiles_by_cluster,
    schema.cases_by_id,
    schema.cases_by_customer,
    schema.case_notes_by_case,
    schema.feedback_by_id,
    schema.feedback_by_customer,
)

NOTIFICATION_TABLES: tuple[Table, ...] = (
    schema.dues_by_account,
    schema.dues_by_date,
    schema.cards_by_expiry,
    schema.notices_by_id,
    schema.notices_by_customer,
    schema.notices_by_send_day,
    schema.dead_notices_by_tenant,
    schema.contact_quality_by_customer,
)

RISK_TABLES: tuple[Table, ...] = (
    schema.velocity_by_cluster,
    schema.sca_state_by_customer,
    schema.risk_alerts_by_id,
    schema.risk_alerts_by_cluster,
    schema.risk_alerts_by_day,
)

TRANSACTION_TABLES: tuple[Table, ...] = (
    schema.transactions_by_id,
    schema.transactions_by_customer,
    schema.transactions_by_cluster,
    schema.transactions_by_account,
    schema.transactions_by_card,
    schema.aggregates_by_customer,
    schema.segments_by_customer,
    schema.customers_by_segment,
    schema.segment_changes_by_customer,
    schema.segment_changes_by_day,
    schema.segments_due_by_day,
)

FEED_TABLES: tuple[Table, ...] = (schema.feed_by_shard, schema.feed_consumers_by_name)
