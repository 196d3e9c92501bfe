"""Three Cassandra nodes, RF=3: the service keeps serving with a node down, loses nothing, and never lets
two server processes register one PAN twice. Runs as its own step (it needs the cluster ports to itself)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from crs.v1 import card_pb2, customer_pb2, token_pb2
from tests.helpers.cassandra import LocalCassandra, cql_port_open
from tests.helpers.data import ACME, create_customer, customer_with_account, register_card, request_id
from tests.helpers.pans import make_pan
from tests.helpers.scan import find_pans
from tests.helpers.server import CrsServer

pytestmark = [pytest.mark.slow, pytest.mark.cassandra, pytest.mark.timeout(1500)]
SERVING = health_pb2.HealthCheckResponse.SERVING


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCassandra]:
    assert not cql_port_open(), "another Cassandra holds 127.0.0.1:9042; the three-node test needs the ports"
    c = LocalCassandra(home=tmp_path_factory.mktemp("cassandra3") / "cluster", nodes=3)
    try:
        c.start()
        yield c
    finally:
        c.teardown()


def _servers(cluster: LocalCassandra, root: Path, n: int) -> list[CrsServer]:
    first = CrsServer(root=root / "crs-0", backend="cassandra", cassandra=cluster)
    servers = [first]
    for i in range(1, n):
        s = CrsServer(root=root / f"crs-{i}", backend="cassandra", cassandra=cluster)
        cluster.drop_keyspace(s.keyspace)
        s.keyspace, s.owns_keyspace = first.keyspace, False  # every process serves the same keyspace
        s.keys_file.write_bytes(first.keys_file.read_bytes())  # ... with the same card-data keys
        servers.append(s)
    return [s.start() for s in servers]


def _leaks(files: list[Path], pans: list[str]) -> list[str]:
    """Files holding any of the PANs (a hint file may be delivered and deleted while we scan: skip it)."""
    found = []
    for p in files:
        try:
            data = p.read_bytes()
        except FileNotFoundError:
            continue
        if find_pans(data, pans):
            found.append(str(p))
    return found


def _health(server: CrsServer) -> int:
    stub = health_pb2_grpc.HealthStub(server.base_channel())
    return int(stub.Check(health_pb2.HealthCheckRequest(service="crs.v1.CardService"), timeout=5).status)


def _wait_health(server: CrsServer, want: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while _health(server) != want:
        assert time.monotonic() < deadline, f"health did not become {want}"
        time.sleep(0.2)


def test_rf3_node_down_quorum_lost_concurrent_registration_and_no_pan_on_disk(
    cluster: LocalCassandra, tmp_path: Path
) -> None:
    a, b = _servers(cluster, tmp_path, 2)
    try:
        admin_a, admin_b = a.clients("acme-admin"), b.clients("acme-admin")
        used: list[str] = []

        # 1. Writes through the service land on all three replicas.
        made = []
        for _ in range(5):
            customer, account = customer_with_account(admin_a)
            pan = make_pan()
            used.append(pan)
            made.append((customer, account, register_card(admin_a, account.name, pan=pan), pan))

        # 2. Two server processes race to register the same PANs: exactly one card per PAN.
        _, race_account = customer_with_account(admin_a)
        race_pans = [make_pan() for _ in range(10)]
        used += race_pans
        outcomes: dict[str, list[str]] = {p: [] for p in race_pans}

        def register(clients: object, pan: str) -> None:
            """A switch's call: retried with the same request_id while the store answers UNAVAILABLE (on a
            2-core box two servers racing one PAN can time out a lightweight transaction under contention)."""
            req = card_pb2.RegisterCardRequest(
                parent=ACME, pan=pan, expiry_month=12, expiry_year=2031, account=race_account.name,
                request_id=request_id(),
            )  # fmt: skip
            for _ in range(10):
                try:
                    outcomes[pan].append(clients.cards.RegisterCard(req, timeout=30).name)  # type: ignore[attr-defined]
                    return
                except grpc.RpcError as e:
                    if e.code() != grpc.StatusCode.UNAVAILABLE:
                        outcomes[pan].append(e.code().name)
                        return
                time.sleep(0.5)
            outcomes[pan].append("STILL_UNAVAILABLE")

        threads = [threading.Thread(target=register, args=(c, p)) for p in race_pans for c in (admin_a, admin_b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        for results in outcomes.values():
            names = {r for r in results if r.startswith("tenants/")}
            assert len(names) == 1, results  # one card per PAN, whoever won
            assert all(r.startswith("tenants/") or r == "ALREADY_EXISTS" for r in results), results
        listed = admin_b.cards.ListCards(
            card_pb2.ListCardsRequest(parent=ACME, account=race_account.name, page_size=100), timeout=30
        )
        assert len(listed.cards) == len(race_pans)

        # 3. One node down: every read and write still succeeds at LOCAL_QUORUM, health stays SERVING.
        cluster.script("stop-node", "3")
        for customer, account, card, pan in made:
            got = admin_b.cards.LookupCard(card_pb2.LookupCardRequest(parent=ACME, pan=pan), timeout=30)
            assert got.card.name == card.name and got.account.name == account.name
            admin_a.customers.UpdateCustomer(
                customer_pb2.UpdateCustomerRequest(
                    customer=customer_pb2.Customer(name=customer.name, display_name="Renamed while node 3 down"),
                    update_mask={"paths": ["display_name"]},
                    request_id=request_id(),
                ),
                timeout=30,
            )
        during = [create_customer(admin_b) for _ in range(5)]
        pan_during = make_pan()
        used.append(pan_during)
        tok = admin_a.tokens.Tokenize(token_pb2.TokenizeRequest(parent=ACME, pan=pan_during), timeout=30)
        assert _health(a) == SERVING and _health(b) == SERVING
        time.sleep(11)  # hints are flushed to disk every 10 s: scan them while node 3 is still down
        hints = [p for p in cluster.files() if "hints" in str(p)]
        assert hints, "no hint files were written for the down node"
        assert not _leaks(hints, used)

        # 4. Quorum lost (two of three down): health NOT_SERVING, calls fail fast with UNAVAILABLE.
        cluster.script("stop-node", "2")
        _wait_health(a, health_pb2.HealthCheckResponse.NOT_SERVING)
        t0 = time.monotonic()
        with pytest.raises(grpc.RpcError) as err:
            admin_a.customers.GetCustomer(customer_pb2.GetCustomerRequest(name=during[0].name), timeout=30)
        assert err.value.code() == grpc.StatusCode.UNAVAILABLE
        assert time.monotonic() - t0 < 10, "the call hung instead of failing fast"

        # 5. Nodes back: everything written before and during the outage is there, on either process.
        cluster.script("start-node", "2")
        cluster.script("start-node", "3")
        _wait_health(a, SERVING, timeout=60)
        _wait_health(b, SERVING, timeout=60)
        for customer, _account, card, _pan in made:
            got = admin_b.customers.GetCustomer(customer_pb2.GetCustomerRequest(name=customer.name), timeout=30)
            assert got.display_name == "Renamed while node 3 down"
            assert admin_a.cards.GetCard(card_pb2.GetCardRequest(name=card.name), timeout=30).token == card.token
        for c in during:
            assert admin_a.customers.GetCustomer(customer_pb2.GetCustomerRequest(name=c.name), timeout=30).name
        again = admin_b.tokens.Tokenize(token_pb2.TokenizeRequest(parent=ACME, pan=pan_during), timeout=30)
        assert again.token == tok.token and not again.created

        # 6. No PAN in SSTables, commit logs or hints of any node.
        cluster.flush()
        files = cluster.files()
        assert any("commitlog" in str(p) for p in files) and any(str(p).endswith("-Data.db") for p in files)
        assert not _leaks(files, used)
    finally:
        for s in (a, b):
            s.close()
