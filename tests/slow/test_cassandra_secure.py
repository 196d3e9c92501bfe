"""A Cassandra node that requires password log-in and TLS with client certificates (`cassandra.sh start
--secure`): CRS migrates and serves on it as an ordinary role through both CQL clients (the Python driver's
writes and `_core.CqlReader`'s reads), and refuses to start, saying why, when a credential or a certificate
is wrong. Runs in the slow step: it needs the node ports to itself. Node-to-node TLS on a three-node secure
cluster: test_cassandra_internode_tls.py."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from crs.v1 import card_pb2, lookup_pb2
from tests.helpers.cassandra import APP_ROLE, LOCAL_DC, LocalCassandra, cql_port_open
from tests.helpers.data import ACME, customer_with_account, register_card
from tests.helpers.pans import make_pan
from tests.helpers.server import CrsServer, python_env

pytestmark = [pytest.mark.slow, pytest.mark.cassandra, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCassandra]:
    assert not cql_port_open(), "another Cassandra holds 127.0.0.1:9042; the secure-node test needs the ports"
    c = LocalCassandra(home=tmp_path_factory.mktemp("cassandra-secure") / "cluster", secure=True)
    try:
        c.start()
        yield c
    finally:
        c.teardown()


def _crs(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crs", *args],
        capture_output=True, text=True, env={**python_env(), **(env or {})}, timeout=timeout, check=False,
    )  # fmt: skip


def _base(cluster: LocalCassandra, keyspace: str) -> list[str]:
    return ["--contact-points", "127.0.0.1", "--keyspace", keyspace, "--local-dc", LOCAL_DC]


def test_plaintext_and_anonymous_connections_are_refused(cluster: LocalCassandra) -> None:
    from crs.storage.cassandra import make_cluster
    from crs.storage.cql_security import CqlSecurity

    t = cluster.tls_dir
    app = cluster.security()
    assert app is not None and app.password is not None
    for security in (
        None,  # plaintext, anonymous
        CqlSecurity(APP_ROLE, app.password),  # plaintext with the right password
        CqlSecurity(ca_file=t / "ca.pem", cert_file=t / "client.crt", key_file=t / "client.key"),  # TLS, anonymous
    ):
        c = make_cluster(cluster.contact_points, LOCAL_DC, security=security)
        try:
            with pytest.raises(Exception, match=r"Unable to connect|Authentication|authenticat"):
                c.connect()
        finally:
            c.shutdown()


def test_migrate_and_serve_as_an_app_role_over_tls(cluster: LocalCassandra, tmp_path: Path) -> None:
    keyspace = "crs_secure_" + uuid.uuid4().hex[:8]
    done = _crs("migrate", *_base(cluster, keyspace), "--replication-factor", "1", *cluster.cli_args())
    assert done.returncode == 0, done.stderr
    assert f"keyspace {keyspace}: applied [1," in done.stdout

    server = CrsServer(root=tmp_path / "crs", backend="cassandra", cassandra=cluster)
    cluster.drop_keyspace(server.keyspace)  # serve the keyspace `crs migrate` made above
    server.keyspace, server.owns_keyspace = keyspace, False
    try:
        server.start()  # --cassandra-username/--cassandra-password-file/--cassandra-tls-* (cluster.cli_args)
        admin = server.clients("acme-admin")
        pans = [make_pan() for _ in range(3)]
        cards = []
        for pan in pans:
            _, account = customer_with_account(admin)
            cards.append((register_card(admin, account.name, pan=pan), account))
        # Reads go through _core.CqlReader (the default), writes through the driver: both logged in over TLS.
        for (card, account), pan in zip(cards, pans, strict=True):
            got = admin.cards.LookupCard(card_pb2.LookupCardRequest(parent=ACME, pan=pan), timeout=30)
            assert got.card.name == card.name and got.account.name == account.name
            ctx = admin.lookup.GetAuthorizationContext(
                lookup_pb2.GetAuthorizationContextRequest(parent=ACME, pan=pan), timeout=30
            )
            assert ctx.card.card == card.name and ctx.account.account == account.name and ctx.card.usable
            assert ctx.owners and ctx.cluster.cluster  # the cluster and owners' rows came through the reader too
        log = server.log_text()
        assert '"cassandra": "user crs_app, TLS with client certificate"' in log  # the start-up line says how
        assert cluster.app_password_file.read_text() not in log
        assert not any(p in log for p in pans)
    finally:
        server.close()


def _refused(server: CrsServer, change: list[str], env: dict[str, str] | None = None) -> str:
    """Runs `crs serve` with the server's command, its Cassandra flags replaced by `change`; returns stderr."""
    cmd = server.command()
    at = cmd.index("--local-dc") + 2  # CrsServer puts cluster.cli_args() right after the local DC
    cmd[at : at + len(server.cassandra.cli_args())] = change
    out = subprocess.run(
        cmd, capture_output=True, text=True, env={**python_env(), **(env or {})}, timeout=120, check=False
    )
    assert out.returncode == 2, (out.returncode, out.stderr[-2000:])
    assert "Traceback" not in out.stderr, out.stderr[-2000:]
    assert server.cassandra.app_password_file.read_text() not in out.stderr + out.stdout
    return out.stderr


@pytest.mark.parametrize("flaw", ["wrong password", "no client certificate", "unknown CA", "plaintext"])
def test_serve_refuses_to_start_and_says_why(cluster: LocalCassandra, tmp_path: Path, flaw: str) -> None:
    server = CrsServer(root=tmp_path / "crs", backend="cassandra", cassandra=cluster)
    args = cluster.cli_args()
    if flaw == "wrong password":
        (tmp_path / "password").write_text("not-the-password\n")
        args[args.index("--cassandra-password-file") + 1] = str(tmp_path / "password")
    elif flaw == "no client certificate":
        args = args[: args.index("--cassandra-tls-cert")]
    elif flaw == "unknown CA":
        args[args.index("--cassandra-tls-ca") + 1] = str(_other_ca(tmp_path))
    else:
        args = args[: args.index("--cassandra-tls-ca")]
    try:
        err = _refused(server, args)
    finally:
        server.close()
    assert "cannot reach Cassandra at 127.0.0.1: 127.0.0.1:9042: " in err, err[-2000:]
    if flaw == "wrong password":
        assert "Bad credentials" in err, err[-2000:]
    if flaw == "unknown CA":
        assert "certificate verify failed" in err, err[-2000:]


def test_a_role_without_permission_on_the_keyspace_is_refused_by_name(cluster: LocalCassandra, tmp_path: Path) -> None:
    from crs.storage.cassandra import make_cluster

    server = CrsServer(root=tmp_path / "crs", backend="cassandra", cassandra=cluster)  # keyspace owned by crs_app
    admin = make_cluster(cluster.contact_points, LOCAL_DC, security=cluster.security(superuser=True))
    try:
        admin.connect().execute("CREATE ROLE IF NOT EXISTS crs_outsider WITH LOGIN = true AND PASSWORD = 'outsider-pw'")
    finally:
        admin.shutdown()
    args = cluster.cli_args()
    args[args.index("--cassandra-username") + 1] = "crs_outsider"
    del args[args.index("--cassandra-password-file") : args.index("--cassandra-password-file") + 2]
    try:
        err = _refused(server, args, env={"CRS_CASSANDRA_PASSWORD": "outsider-pw"})
    finally:
        server.close()
    assert f"Cassandra role crs_outsider may not read keyspace '{server.keyspace}'" in err, err[-2000:]
    assert "outsider-pw" not in err


def _other_ca(tmp_path: Path) -> Path:
    """A CA that did not sign the node's certificate."""
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(tmp_path / "other-ca.key"),
         "-out", str(tmp_path / "other-ca.pem"), "-days", "1", "-subj", "/CN=not-the-cluster-ca"],
        check=True, capture_output=True,
    )  # fmt: skip
    return tmp_path / "other-ca.pem"


def test_the_native_reader_alone_checks_the_node_certificate(cluster: LocalCassandra, tmp_path: Path) -> None:
    """The driver and the reader are separate TLS stacks: the reader must refuse an unknown CA on its own."""
    from crs._core import CqlError, CqlReader

    keyspace = cluster.new_keyspace()
    app = cluster.security()
    assert app is not None
    good = app.reader_options()
    reader = CqlReader(["127.0.0.1:9042"], LOCAL_DC, keyspace, 10.0, None, 10.0, **good)
    try:
        assert reader.prepare(f"SELECT version FROM {keyspace}.schema_migrations") == 0
    finally:
        reader.close()
    bad = {**good, "tls_ca": _other_ca(tmp_path).read_bytes()}
    with pytest.raises(CqlError, match="UnknownIssuer"):
        CqlReader(["127.0.0.1:9042"], LOCAL_DC, keyspace, 10.0, None, 5.0, **bad)
    with pytest.raises(CqlError, match="Authentication failed"):
        CqlReader(["127.0.0.1:9042"], LOCAL_DC, keyspace, 10.0, None, 5.0, **{**good, "password": "wrong"})
    cluster.drop_keyspace(keyspace)
