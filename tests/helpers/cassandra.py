"""A real local Apache Cassandra for the tests: scripts/cassandra.sh nodes on 127.0.0.x.

One node serves the whole session (started here unless one already answers on 127.0.0.1:9042); every
CRS server under test gets a keyspace of its own, created by the real `crs migrate` code (RF 1).
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from crs.storage.cql_security import CqlSecurity

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "cassandra.sh"
LOCAL_DC = "dc1"
APP_ROLE = "crs_app"  # the role CRS logs in as on a --secure cluster (not a superuser)


def cql_port_open(host: str = "127.0.0.1", port: int = 9042) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@dataclass
class LocalCassandra:
    home: Path | None  # None: a cluster this session did not start (left running at the end)
    nodes: int = 1
    # `start --secure`: TLS-only CQL with client certificates and password log-in; CRS connects as APP_ROLE.
    secure: bool = False

    @property
    def tls_dir(self) -> Path:
        assert self.home is not None and self.secure, "only a secure cluster this session started has a tls dir"
        return self.home / "tls"

    @property
    def app_password_file(self) -> Path:
        return self.tls_dir / "app-password"

    def security(self, superuser: bool = False) -> CqlSecurity | None:
        """How CRS (or, with superuser, the cluster's admin) connects: None on a plain cluster."""
        if not self.secure:
            return None
        from crs.storage.cql_security import CqlSecurity

        user, password = ("cassandra", "cassandra") if superuser else (APP_ROLE, self.app_password_file.read_text())
        t = self.tls_dir
        return CqlSecurity(user, password, t / "ca.pem", t / "client.crt", t / "client.key")

    def cli_args(self) -> list[str]:
        """`crs serve|migrate|seed` flags for APP_ROLE (the password by file, never on the command line)."""
        if not self.secure:
            return []
        t = self.tls_dir
        return [
            "--cassandra-username", APP_ROLE, "--cassandra-password-file", str(self.app_password_file),
            "--cassandra-tls-ca", str(t / "ca.pem"),
            "--cassandra-tls-cert", str(t / "client.crt"), "--cassandra-tls-key", str(t / "client.key"),
        ]  # fmt: skip

    def _create_app_role(self) -> None:
        """APP_ROLE with a fresh password, allowed to create keyspaces (it then owns what it migrates)."""
        from crs.storage.cassandra import make_cluster

        password = secrets.token_urlsafe(18)
        cluster = make_cluster(self.contact_points, LOCAL_DC, request_timeout=60, security=self.security(True))
        try:
            session = cluster.connect()
            session.execute(f"CREATE ROLE IF NOT EXISTS {APP_ROLE} WITH LOGIN = true AND PASSWORD = %s", (password,))
            session.execute(f"ALTER ROLE {APP_ROLE} WITH PASSWORD = %s", (password,))
            session.execute(f"GRANT CREATE ON ALL KEYSPACES TO {APP_ROLE}")
        finally:
            cluster.shutdown()
        self.app_password_file.write_text(password)
        self.app_password_file.chmod(0o600)

    @property
    def contact_points(self) -> list[str]:
        return [f"127.0.0.{i}" for i in range(1, self.nodes + 1)]

    def script(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ)
        if self.home is not None:
            env["CRS_CASSANDRA_HOME"] = str(self.home)
        proc = subprocess.run(
            ["bash", str(SCRIPT), *args], capture_output=True, text=True, env=env, timeout=timeout, check=False
        )
        if proc.returncode != 0:
            raise AssertionError(f"scripts/cassandra.sh {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
        return proc

    def start(self) -> LocalCassandra:
        self.script("start", "--nodes", str(self.nodes), *(["--secure"] if self.secure else []))
        self.script("wait", "--nodes", str(self.nodes))
        if self.secure:
            self._create_app_role()
        return self

    def teardown(self) -> None:
        if self.home is not None:
            self.script("teardown")

    def flush(self) -> None:
        self.script("flush")

    def files(self) -> list[Path]:
        """Every file the nodes wrote (data, commit log, hints, saved caches), when this session owns them."""
        root = self.home or ROOT / ".tools" / "cassandra" / "cluster"
        return sorted(p for p in root.rglob("*") if p.is_file() and "/logs/" not in str(p))

    def new_keyspace(self, replication_factor: int | None = None) -> str:
        """A migrated keyspace; RF = the number of nodes (1 on the session node, 3 on a 3-node cluster)."""
        from crs.storage.migrate import migrate

        name = "crs_t" + uuid.uuid4().hex[:12]
        migrate(self.contact_points, name, LOCAL_DC, replication_factor or min(self.nodes, 3), security=self.security())
        return name

    def drop_keyspace(self, name: str) -> None:
        """Tests make a keyspace per server; dropping it at the end keeps the node's heap small."""
        from crs.storage.cassandra import make_cluster

        cluster = make_cluster(self.contact_points, LOCAL_DC, request_timeout=60, security=self.security())
        try:
            cluster.connect().execute(f"DROP KEYSPACE IF EXISTS {name}", timeout=60)
        finally:
            cluster.shutdown()


def session_cluster(tmp_root: Path) -> LocalCassandra:
    if cql_port_open():
        return LocalCassandra(home=None)
    return LocalCassandra(home=tmp_root / "cassandra").start()
