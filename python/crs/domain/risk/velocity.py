"""Cluster velocity kept in the store, shared by every server process.

One row per cluster (``velocity_by_cluster``) holds the bounded bucket state of ``windows.py``. ``observe``
reads it, adds the transaction and writes it back with a compare-and-set on the row's version (a lightweight
transaction on Cassandra); a lost race re-reads and re-applies, so concurrent processes never lose or double
an event. ``read`` is one keyed read (the authorization path's risk summary).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from crs._core import CoreError, velocity_windows
from crs.domain.errors import Aborted
from crs.domain.ids import new_version
from crs.domain.records import decode, encode, now_us
from crs.domain.risk.backoff import backoff
from crs.domain.risk.cas_rows import update_rows
from crs.domain.risk.txn import RiskTxn
from crs.domain.risk.windows import (
    ACCEPTED,
    DEFAULT_LATENESS_US,
    DEFAULT_MAX_SEEN,
    MINUTE_US,
    Totals,
    VelocityState,
    all_totals,
    apply_event,
)
from crs.storage import schema
from crs.storage.base import ConditionFailed, Key, NotExists, Put, Record, Store, Table, VersionIs

_ATTEMPTS = 16
MAX_FUTURE_US = 5 * MINUTE_US  # events stamped further ahead of this server's clock are refused
NO_CLUSTER, FUTURE = "NO_CLUSTER", "FUTURE"


@dataclass(frozen=True, slots=True)
class Velocity:
    """What the risk rules read: the windows at one time plus the state's acceptance counters."""

    cluster_id: str
    at_us: int
    windows: dict[str, Totals]
    watermark_us: int
    late_dropped: int
    duplicates: int


class Velocities:
    def __init__(self, store: Store, lateness_us: int = DEFAULT_LATENESS_US, max_seen: int = DEFAULT_MAX_SEEN) -> None:
        self._store = store
        self.lateness_us = lateness_us
        self.max_seen = max_seen

    async def observe(self, txn: RiskTxn, at_us: int | None = None) -> str:
        """Counts ``txn`` in its cluster's windows: ACCEPTED, DUPLICATE, LATE, FUTURE or NO_CLUSTER."""
        if not txn.cluster_id:
            return NO_CLUSTER
        now = now_us() if at_us is None else at_us
        if txn.occurred_us > now + MAX_FUTURE_US:
            return FUTURE
        key = (txn.tenant, txn.cluster_id)
        for _attempt in range(_ATTEMPTS):
            stored = await self._store.get(schema.velocity_by_cluster, key)
            state = decode(VelocityState, stored.value) if stored else VelocityState()
            outcome = apply_event(
                state,
                txn.transaction_id,
                txn.occurred_us,
                txn.currency,
                txn.amount_minor,
                self.lateness_us,
                self.max_seen,
            )
            condition = VersionIs(stored.version) if stored else NotExists()
            try:
                await self._store.apply([Put(schema.velocity_by_cluster, key, encode(state), new_version(), condition)])
            except ConditionFailed:
                await backoff(_attempt)
                continue
            return outcome
        raise Aborted("the cluster's velocity kept changing under concurrent writers; retry", "CONCURRENT_MODIFICATION")

    async def observe_many(self, txns: Sequence[RiskTxn], at_us: int | None = None) -> list[str]:
        """``observe`` for a batch, in order: the events of one cluster are applied exactly as one ``observe``
        after the other would, with one compare-and-set per cluster (all in one apply where the store checks
        several conditions atomically)."""
        now = now_us() if at_us is None else at_us
        outcomes = [NO_CLUSTER if not t.cluster_id else FUTURE for t in txns]
        by_cluster: dict[Key, list[int]] = {}
        for i, t in enumerate(txns):
            if t.cluster_id and t.occurred_us <= now + MAX_FUTURE_US:
                by_cluster.setdefault((t.tenant, t.cluster_id), []).append(i)

        def update(key: Key, stored: Record | None) -> tuple[bytes | None, list[str]]:
            state = decode(VelocityState, stored.value) if stored else VelocityState()
            got = [
                apply_event(state, t.transaction_id, t.occurred_us, t.currency, t.amount_minor, self.lateness_us,
                            self.max_seen)
                for t in (txns[i] for i in by_cluster[key])
            ]  # fmt: skip
            return encode(state), got

        done = await update_rows(self._store, schema.velocity_by_cluster, list(by_cluster), update, "the velocity")
        for key, got in done.items():
            for i, outcome in zip(by_cluster[key], got, strict=True):
                outcomes[i] = outcome
        return outcomes

    async def read(self, tenant: str, cluster_id: str, at_us: int | None = None) -> Velocity:
        return of_row(cluster_id, await self._store.get(*velocity_read(tenant, cluster_id)), at_us)


def velocity_read(tenant: str, cluster_id: str) -> tuple[Table, Key]:
    """The row a cluster's velocity is computed from (``of_row``), for a caller reading it with others."""
    return schema.velocity_by_cluster, (tenant, cluster_id)


def of_row(cluster_id: str, stored: Record | None, at_us: int | None = None) -> Velocity:
    """The windows of a stored velocity row (None: the cluster has none), computed in ``_core`` from the stored
    JSON (the recently seen transaction ids in the row are skipped unread). A row with numbers beyond 64 bits
    takes the Python path (``of_state``), which holds any integer; both agree (tests/property/test_velocity.py)."""
    t = now_us() if at_us is None else at_us
    try:
        at, watermark, late_dropped, duplicates, found = velocity_windows(None if stored is None else stored.value, t)
    except CoreError:
        return of_state(cluster_id, decode(VelocityState, stored.value) if stored else None, t)
    windows = {name: Totals(count, by_currency) for name, count, by_currency in found}
    return Velocity(cluster_id, at, windows, watermark, late_dropped, duplicates)


def of_state(cluster_id: str, state: VelocityState | None, at_us: int | None = None) -> Velocity:
    st = state or VelocityState()
    t = now_us() if at_us is None else at_us
    return Velocity(
        cluster_id, max(t, st.watermark_us), all_totals(st, t), st.watermark_us, st.late_dropped, st.duplicates
    )


__all__ = ["ACCEPTED", "FUTURE", "NO_CLUSTER", "Velocities", "Velocity", "of_row", "of_state", "velocity_read"]
