"""Risk tests: stubs for the risk and decision services, and a second process-like view of a server's store that
feeds single transactions to ``Domain.observe_transaction`` (RecordTransactions feeds its batches through
``Domain.observe_recorded``; see tests/contract/test_risk_scenarios.py)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from crs._core import KeyRing
from crs.domain.app import Domain
from crs.domain.clusters.records import ClusterRecord, IdentifierRecord
from crs.domain.context import CallContext, Principal
from crs.domain.records import CustomerRecord, decode, encode, now_us
from crs.domain.risk.txn import CHANNEL_ECOMMERCE, SCA_NOT_PERFORMED, RiskTxn
from crs.storage import schema
from crs.storage.base import Put, Store, VersionIs
from crs.v1 import decision_pb2_grpc, risk_pb2_grpc

from .server import CrsServer

_ids = itertools.count()
RECORD_METHOD = "/crs.v1.TransactionService/RecordTransactions"


def risk_stub(server: CrsServer, key: str = "acme-admin") -> Any:
    return server.stub(risk_pb2_grpc.RiskServiceStub, key)


def decision_stub(server: CrsServer, key: str = "acme-admin") -> Any:
    return server.stub(decision_pb2_grpc.DecisionServiceStub, key)


def _open_store(server: CrsServer) -> Store:
    if server.backend == "cassandra":
        from crs.storage.cassandra import CassandraStore

        return CassandraStore(tuple(server.cassandra.contact_points), server.keyspace, "dc1", 9042)
    from crs.storage.embedded import EmbeddedStore

    return EmbeddedStore(server.db_file)


class SideProcess:
    """The server's store opened from the test process: another writer, as a second server process would be."""

    def __init__(self, server: CrsServer) -> None:
        self.loop = asyncio.new_event_loop()
        self.store = _open_store(server)
        self.domain = Domain(self.store, KeyRing.from_file(str(server.keys_file)))

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def observe(
        self, tenant: str, cluster_id: str, customer_id: str, *, with_context: bool = False, **kw: Any
    ) -> RiskTxn:
        """One reported transaction; ``with_context``: as RecordTransactions passes its call context (alerts)."""
        fields: dict[str, Any] = {
            "tenant": tenant,
            "transaction_id": f"tx-{now_us()}-{next(_ids)}",
            "cluster_id": cluster_id,
            "customer_id": customer_id,
            "instrument": "tok",
            "amount_minor": 10_00,
            "currency": "EUR",
            "merchant_id": "shop-1",
            "merchant_country": "NL",
            "channel": CHANNEL_ECOMMERCE,
            "occurred_us": now_us(),
            "sca_outcome": SCA_NOT_PERFORMED,
        }
        fields.update(kw)
        txn = RiskTxn(**fields)
        ctx = CallContext(Principal(f"{tenant}-switch", tenant, frozenset({"write"})), RECORD_METHOD)
        self.run(self.domain.observe_transaction(txn, ctx if with_context else None))
        return txn

    def age_cluster(self, tenant: str, cluster_id: str, customer_ids: list[str], days: int) -> None:
        """Test setup: make a cluster and its customers look ``days`` older (a long-known customer)."""

        async def go() -> None:
            shift = days * 86_400_000_000
            stored = await self.store.get(schema.clusters_by_id, (tenant, cluster_id))
            assert stored is not None
            rec = decode(ClusterRecord, stored.value)
            rec = replace(rec, first_seen_us=rec.first_seen_us - shift, create_us=rec.create_us - shift)
            await self.store.apply(
                [Put(schema.clusters_by_id, (tenant, cluster_id), encode(rec), "aged", VersionIs(stored.version))]
            )
            for cid in customer_ids:
                s = await self.store.get(schema.customers_by_id, (tenant, cid))
                assert s is not None
                c = decode(CustomerRecord, s.value)
                c = replace(c, create_us=c.create_us - shift)
                await self.store.apply([Put(schema.customers_by_id, (tenant, cid), encode(c), s.version)])
                for row in await self.store.scan(schema.identifiers_by_customer, (tenant, cid), limit=1000):
                    ident = decode(IdentifierRecord, row.record.value)
                    ident = replace(ident, create_us=ident.create_us - shift)
                    key = (tenant, cid, *row.clustering)
                    await self.store.apply([Put(schema.identifiers_by_customer, key, encode(ident))])

        self.run(go())

    def close(self) -> None:
        self.run(self.store.close())
        self.loop.close()


@contextmanager
def side_process(server: CrsServer) -> Iterator[SideProcess]:
    side = SideProcess(server)
    try:
        yield side
    finally:
        side.close()
