"""`crs seed --store cassandra` into a migrated keyspace of a real node, read back through a real server; and the
Cassandra store's bulk path still checks conditions."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import grpc
import pytest

from crs.seed import account_id, card_id, customer_id, synthetic_pan
from crs.storage import schema
from crs.storage.base import ConditionFailed, NotExists, Put
from crs.storage.cassandra import CassandraStore
from crs.v1 import card_pb2, card_pb2_grpc, customer_pb2, customer_pb2_grpc
from loadtests.harness import TENANT, LocalServer, Workspace

pytestmark = [
    pytest.mark.cassandra,
    pytest.mark.timeout(600),
    pytest.mark.filterwarnings("ignore::DeprecationWarning:cassandra"),
]
PARENT = f"tenants/{TENANT}"
SALT = 11
CUSTOMERS = 30


def _store_args(cassandra: Any, keyspace: str) -> tuple[str, ...]:
    hosts = ",".join(cassandra.contact_points)
    return ("--store", "cassandra", "--contact-points", hosts, "--keyspace", keyspace, "--local-dc", "dc1")


def test_seeded_customers_are_served_from_cassandra(cassandra_cluster: Any, tmp_path: Path) -> None:
    keyspace = cassandra_cluster.new_keyspace()  # migrated by the real `crs migrate` code, RF 1
    try:
        ws = Workspace(tmp_path)
        args = _store_args(cassandra_cluster, keyspace)
        manifest = ws.seed(CUSTOMERS, salt=SALT, timeout=400, extra_args=args)
        assert manifest["customers"] == CUSTOMERS and len(manifest["tokens"]) == CUSTOMERS
        assert manifest["rows"] > 0
        text = ws.manifest_file.read_text()
        assert not any(synthetic_pan(SALT, i) in text for i in range(CUSTOMERS))  # no PAN in the manifest
        assert not any(synthetic_pan(SALT, i)[6:] in text for i in range(CUSTOMERS))
        with LocalServer(ws, args) as server, grpc.insecure_channel(server.address) as channel:
            md = (("authorization", f"Bearer {ws.secrets['backoffice']}"),)
            cards = card_pb2_grpc.CardServiceStub(channel)
            for i in (0, 17, CUSTOMERS - 1):
                found = cards.LookupCard(
                    card_pb2.LookupCardRequest(parent=PARENT, token=manifest["tokens"][i]), metadata=md
                )
                assert found.card.name == f"{PARENT}/cards/{card_id(i)}"
                assert found.account.name == f"{PARENT}/accounts/{account_id(i)}"
                assert [o.name for o in found.owners] == [f"{PARENT}/customers/{customer_id(i)}"]
            by_pan = cards.LookupCard(
                card_pb2.LookupCardRequest(parent=PARENT, pan=synthetic_pan(SALT, 5)), metadata=md
            )
            assert by_pan.card.token == manifest["tokens"][5]
            found_customers = customer_pb2_grpc.CustomerServiceStub(channel).SearchCustomers(
                customer_pb2.SearchCustomersRequest(parent=PARENT, email="seed.customer.3@example.com"), metadata=md
            )
            assert [c.name for c in found_customers.customers] == [f"{PARENT}/customers/{customer_id(3)}"]
        # Seeding the same customers again is refused (their unique rows exist), not silently overwritten.
        with pytest.raises(RuntimeError, match="crs seed failed"):
            ws.seed(2, salt=SALT, timeout=400, extra_args=args)
    finally:
        cassandra_cluster.drop_keyspace(keyspace)


def test_apply_bulk_checks_conditions_before_the_plain_writes(cassandra_cluster: Any) -> None:
    keyspace = cassandra_cluster.new_keyspace()
    table = schema.customers_by_id

    async def run() -> None:
        store = CassandraStore(cassandra_cluster.contact_points, keyspace, "dc1")
        try:
            await store.apply_bulk([Put(table, ("t", "taken"), b"first", "v1", NotExists())])
            with pytest.raises(ConditionFailed) as failed:
                await store.apply_bulk(
                    [
                        Put(table, ("t", "plain"), b"plain", "v1"),
                        Put(table, ("t", "taken"), b"second", "v2", NotExists()),
                    ]
                )
            assert failed.value.current is not None and failed.value.current.value == b"first"
            assert await store.get(table, ("t", "plain")) is None  # nothing unconditional went after the failure
            with pytest.raises(ValueError, match="two writes of one row"):
                await store.apply_bulk([Put(table, ("t", "x"), b"1", "v1"), Put(table, ("t", "x"), b"2", "v2")])
        finally:
            await store.close()

    try:
        asyncio.run(run())
    finally:
        cassandra_cluster.drop_keyspace(keyspace)
