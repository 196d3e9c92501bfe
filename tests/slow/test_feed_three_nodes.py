"""The change feed on three Cassandra nodes (RF=3) with one node down: two server processes write, one
consumer follows both without a gap, snapshots still work, and the committed cursor survives."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crs.v1 import customer_pb2
from tests.helpers.cassandra import LocalCassandra, cql_port_open
from tests.helpers.data import create_account, create_customer, request_id
from tests.helpers.feed import FEED_ARGS, F, collect, has_all, snapshot, stub
from tests.helpers.server import CrsServer

pytestmark = [pytest.mark.slow, pytest.mark.cassandra, pytest.mark.timeout(1500)]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCassandra]:
    assert not cql_port_open(), "another Cassandra holds 127.0.0.1:9042; the three-node test needs the ports"
    c = LocalCassandra(home=tmp_path_factory.mktemp("cassandra3-feed") / "cluster", nodes=3)
    try:
        c.start()
        yield c
    finally:
        c.teardown()


def test_feed_with_a_node_down_and_two_server_processes(cluster: LocalCassandra, tmp_path: Path) -> None:
    a = CrsServer(root=tmp_path / "crs-0", backend="cassandra", cassandra=cluster, extra_args=FEED_ARGS)
    b = CrsServer(root=tmp_path / "crs-1", backend="cassandra", cassandra=cluster, extra_args=FEED_ARGS)
    cluster.drop_keyspace(b.keyspace)
    b.keyspace, b.owns_keyspace = a.keyspace, False
    b.keys_file.write_bytes(a.keys_file.read_bytes())
    a.start()
    b.start()
    try:
        ca, cb = a.clients("acme-admin"), b.clients("acme-admin")
        before = [create_customer(ca) for _ in range(3)]
        records, end = snapshot(stub(a), ["customers"])
        assert {c.name for c in before} <= {r.resource for r in records}
        consumer = "tenants/acme/consumers/node-down"

        cluster.script("stop-node", "3")
        made = []
        for i, clients in enumerate([ca, cb] * 5):
            c = create_customer(clients)
            create_account(clients, c.name)
            made.append(
                clients.customers.UpdateCustomer(
                    customer_pb2.UpdateCustomerRequest(
                        customer=customer_pb2.Customer(name=c.name, display_name=f"node down {i}", etag=c.etag),
                        update_mask={"paths": ["display_name"]},
                        request_id=request_id(),
                    ),
                    timeout=30,
                )
            )
        names = {c.name for c in made}
        # One consumer on server B sees the changes both processes made, without a gap from the snapshot.
        events, cursor = collect(stub(b), consumer, end.cursor, has_all(names, F.UPDATED), types=("customers",))
        assert {e.resource for e in events if e.kind == F.CREATED} >= names
        stub(b).CommitCursor(F.CommitCursorRequest(consumer=consumer, cursor=cursor), timeout=30)
        # A snapshot with the node down holds the final values.
        records, _ = snapshot(stub(a), ["customers"])
        values = {}
        for r in records:
            v = customer_pb2.Customer()
            r.value.Unpack(v)
            values[r.resource] = v.display_name
        assert all(values[c.name] == c.display_name for c in made)

        cluster.script("start-node", "3")
        # The committed cursor is there on the other process; resuming gets only later changes.
        assert stub(a).GetConsumer(F.GetConsumerRequest(name=consumer), timeout=30).cursor == cursor
        late = create_customer(cb)
        got, _ = collect(stub(a), consumer, cursor, has_all({late.name}), types=("customers",))
        assert not names & {e.resource for e in got if e.kind == F.CREATED}
    finally:
        a.close()
        b.close()
