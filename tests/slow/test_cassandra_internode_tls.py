"""Node-to-node traffic of a secure three-node cluster (`cassandra.sh start --nodes 3 --secure`) goes only over
mutual TLS on the storage port: the nodes form the cluster over it, CRS data replicated to all three (RF 3,
LOCAL_QUORUM) crosses it, a peer without a certificate of the CA and a plaintext peer are refused. The
production CassandraDatacenter sets the same `server_encryption_options` (scripts/check_deploy.py holds it).
Runs in the slow step: it needs the node ports to itself."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from crs.v1 import card_pb2
from tests.helpers.cassandra import LocalCassandra, cql_port_open
from tests.helpers.data import ACME, customer_with_account, register_card
from tests.helpers.pans import make_pan
from tests.helpers.server import CrsServer

pytestmark = [pytest.mark.slow, pytest.mark.cassandra, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCassandra]:
    assert not cql_port_open(), "another Cassandra holds 127.0.0.1:9042; the internode TLS test needs the ports"
    c = LocalCassandra(home=tmp_path_factory.mktemp("cassandra-internode") / "cluster", nodes=3, secure=True)
    try:
        c.start()  # returns when all three nodes are UN: gossip and messaging already run over TLS
        yield c
    finally:
        c.teardown()


def _storage_port(cluster: LocalCassandra, client_cert: bool) -> str:
    """A TLS handshake with node 2's storage port, trusting the local CA, with or without the node certificate
    as the client's; then one read. Returns what the node did."""
    ctx = ssl.create_default_context(cafile=str(cluster.tls_dir / "ca.pem"))
    ctx.check_hostname = False
    if client_cert:
        ctx.load_cert_chain(str(cluster.tls_dir / "node.pem"))
    with socket.create_connection(("127.0.0.2", 7000), timeout=10) as raw, ctx.wrap_socket(raw) as s:
        assert "crs-local-cassandra-node" in str(s.getpeercert())  # the node's certificate, checked against the CA
        s.settimeout(1.0)
        try:
            return "closed" if s.recv(1) == b"" else "data"
        except TimeoutError:
            return "open"  # waiting for the messaging handshake of a peer it accepted
        except ssl.SSLError as e:
            return e.reason or "ssl error"


def test_the_storage_port_speaks_only_mutual_tls(cluster: LocalCassandra) -> None:
    assert _storage_port(cluster, client_cert=True) == "open"
    # TLS 1.3: the server asks for the certificate in the handshake and sends its alert after it
    assert _storage_port(cluster, client_cert=False) in ("TLSV13_ALERT_CERTIFICATE_REQUIRED", "closed")
    with socket.create_connection(("127.0.0.2", 7000), timeout=10) as plain:
        plain.sendall(bytes.fromhex("ca552dfa") + bytes(60))  # the messaging protocol's magic, unencrypted
        plain.settimeout(5)
        try:
            answer = plain.recv(100)
        except ConnectionResetError:
            answer = b""
        assert answer == b""
    assert cluster.home is not None
    logs = "".join((cluster.home / f"node{n}" / "logs" / "system.log").read_text() for n in (1, 2, 3))
    assert "encryption: encrypted(" in logs and "optionally encrypted" not in logs  # every listener TLS-only


def test_crs_data_replicated_over_tls_reads_back(cluster: LocalCassandra, tmp_path: Path) -> None:
    server = CrsServer(root=tmp_path / "crs", backend="cassandra", cassandra=cluster)  # keyspace RF 3
    try:
        server.start()
        admin = server.clients("acme-admin")
        pan = make_pan()
        _, account = customer_with_account(admin)
        card = register_card(admin, account.name, pan=pan)
        got = admin.cards.LookupCard(card_pb2.LookupCardRequest(parent=ACME, pan=pan), timeout=30)
        assert got.card.name == card.name and got.account.name == account.name
        # every node holds a replica of the card row: it reached nodes 2 and 3 over the TLS links
        cluster.flush()
        assert cluster.home is not None
        for n in (1, 2, 3):
            tables = cluster.home / f"node{n}" / "data" / server.keyspace
            assert list(tables.glob("cards_by_id-*/*Data.db")), f"node {n} holds no cards_by_id data"
    finally:
        server.close()
