"""The one place where a recorded transaction's writes are assembled (the change feed hooks in here)."""

from __future__ import annotations

from collections.abc import Sequence

from crs.domain.records import encode
from crs.domain.transactions.aggregates import MonthAggregate
from crs.domain.transactions.model import TransactionRecord, month_of, rtime
from crs.storage import schema
from crs.storage.base import NotExists, Put, VersionIs, Write


def transaction_writes(txn: TransactionRecord) -> list[Write]:
    """The transaction's row (claimed by id: a duplicate id never lands twice) and its list copies."""
    value = encode(txn)
    month, order = month_of(txn.occurred_us), rtime(txn.occurred_us)
    t = txn.tenant
    writes: list[Write] = [
        Put(schema.transactions_by_id, (t, txn.id), value, condition=NotExists()),
        Put(schema.transactions_by_customer, (t, txn.customer_id, month, order, txn.id), value),
        Put(schema.transactions_by_account, (t, txn.account_id, month, order, txn.id), value),
    ]
    if txn.card_id:
        writes.append(Put(schema.transactions_by_card, (t, txn.card_id, month, order, txn.id), value))
    if txn.cluster_id:
        writes.append(Put(schema.transactions_by_cluster, (t, txn.cluster_id, month, order, txn.id), value))
    return writes


def recorded_writes(
    txns: Sequence[TransactionRecord], aggregate: MonthAggregate, previous_version: str | None
) -> list[Write]:
    """One customer-month group: its transactions and the aggregate row they were added to, compare-and-set
    on the row's previous version (or insert-if-not-exists for the month's first transaction)."""
    writes: list[Write] = []
    for txn in txns:
        writes += transaction_writes(txn)
    condition = NotExists() if previous_version is None else VersionIs(previous_version)
    key = (aggregate.tenant, aggregate.customer_id, aggregate.month)
    writes.append(Put(schema.aggregates_by_customer, key, encode(aggregate), aggregate.version, condition))
    return writes
