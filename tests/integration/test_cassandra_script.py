"""scripts/cassandra.sh, the local Cassandra runner: one node's whole lifecycle in a private CRS_CASSANDRA_HOME.

Needs Java 17 and the jars (`bash scripts/cassandra.sh fetch`) and cassandra-driver in the venv. A missing
prerequisite is a failure, not a skip. Uses the fixed ports 127.0.0.1:9042/7000/7199, so it fails (clearly)
while another local cluster is running.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "scripts" / "cassandra.sh"
LIB = Path(os.environ.get("CRS_CASSANDRA_LIB", REPO_ROOT / ".tools" / "cassandra" / "lib"))


def _setting(path: Path, pattern: str) -> str:
    match = re.search(pattern, path.read_text(), re.M)
    assert match, f"{pattern!r} not found in {path}"
    return match.group(1)


CASSANDRA_VERSION = _setting(REPO_ROOT / "cassandra-local" / "pom.xml", r"<cassandra.version>(.+?)</cassandra.version>")
COMMITLOG_SYNC_PERIOD_S = (
    int(_setting(REPO_ROOT / "cassandra-local" / "cassandra.yaml.template", r"^commitlog_sync_period: (\d+)ms$")) / 1000
)

pytestmark = [
    pytest.mark.cassandra,
    # The driver falls back to asyncore (deprecated) where its libev extension is not built.
    pytest.mark.filterwarnings("ignore::DeprecationWarning:cassandra"),
]


def _script(
    home: Path, *args: str, timeout: float = 400, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "CRS_CASSANDRA_HOME": str(home), **(env or {})}
    return subprocess.run(
        ["bash", str(SCRIPT), *args], env=full_env, capture_output=True, text=True, timeout=timeout, check=False
    )


def _ok(home: Path, *args: str, timeout: float = 400) -> subprocess.CompletedProcess[str]:
    result = _script(home, *args, timeout=timeout)
    assert result.returncode == 0, (
        f"cassandra.sh {' '.join(args)} exited {result.returncode}\n"
        f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    )
    return result


def _pid(home: Path, node: int) -> int | None:
    pid_file = home / f"node{node}" / "cassandra.pid"
    if not pid_file.exists():
        return None
    pid = int(pid_file.read_text().strip())
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    return pid


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its new parent) counts as gone once its other threads have exited.
    try:
        fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    except FileNotFoundError:
        return False
    return not fields["State"].strip().startswith("Z") or int(fields["Threads"]) > 1


def _port_open(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex((host, port)) == 0


@contextmanager
def _session() -> Iterator[Any]:
    try:
        from cassandra import ConsistencyLevel
        from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
        from cassandra.policies import DCAwareRoundRobinPolicy
    except ImportError as e:  # a failure, not a skip: the lead's CI must have the driver
        pytest.fail(f"cassandra-driver is not installed in this venv ({e}); pip install 'cassandra-driver>=3.30,<3.31'")
    profile = ExecutionProfile(
        load_balancing_policy=DCAwareRoundRobinPolicy(local_dc="dc1"),
        consistency_level=ConsistencyLevel.LOCAL_QUORUM,
        request_timeout=30,
    )
    cluster = Cluster(["127.0.0.1"], port=9042, protocol_version=5, execution_profiles={EXEC_PROFILE_DEFAULT: profile})
    try:
        yield cluster.connect()
    finally:
        cluster.shutdown()


def _rows(table: str, key: str) -> list[tuple[int, str]]:
    with _session() as s:
        return [(r.c, r.v) for r in s.execute(f"SELECT c, v FROM {table} WHERE k = %s", (key,))]


def _check_prerequisites() -> None:
    java_home = os.environ.get("JAVA_HOME")
    java = str(Path(java_home, "bin", "java")) if java_home else shutil.which("java")
    if java is None or not os.access(java, os.X_OK):
        pytest.fail("java is not installed (OpenJDK 17 is required to run Cassandra)")
    version = subprocess.run([java, "-version"], capture_output=True, text=True, check=False).stderr
    if 'version "17' not in version:
        pytest.fail(f"Cassandra {CASSANDRA_VERSION} here needs Java 17; {java} is: {version.splitlines()[:1]}")
    jar = LIB / f"cassandra-all-{CASSANDRA_VERSION}.jar"
    if not jar.is_file() or not (LIB / ".fetched").is_file():
        pytest.fail(f"Cassandra jars missing in {LIB}: run 'bash scripts/cassandra.sh fetch'")


def test_prerequisites_present() -> None:
    _check_prerequisites()
    assert os.access(SCRIPT, os.R_OK)


def test_start_fails_clearly_without_jars_or_java(tmp_path: Path) -> None:
    empty = tmp_path / "nolib"
    empty.mkdir()
    r = _script(tmp_path / "c1", "start", env={"CRS_CASSANDRA_LIB": str(empty)}, timeout=60)
    assert r.returncode != 0
    assert "scripts/cassandra.sh fetch" in r.stderr
    r = _script(tmp_path / "c2", "start", env={"JAVA_HOME": str(tmp_path / "no-jdk")}, timeout=60)
    assert r.returncode != 0
    assert "java not found" in r.stderr
    assert not (tmp_path / "c1").exists() and not (tmp_path / "c2").exists()


@pytest.mark.timeout(900)
def test_single_node_lifecycle(cassandra_cluster: Any) -> None:
    """The session's node (started by scripts/cassandra.sh start + wait, torn down by teardown at the end):
    status, nodetool, CQL, flush, a graceful stop and restart, a kill -9 and restart, data intact."""
    _check_prerequisites()
    home = cassandra_cluster.home or REPO_ROOT / ".tools" / "cassandra" / "cluster"
    pid = _pid(home, 1)
    assert pid is not None, "no running node"

    status = _ok(home, "status", timeout=120)
    assert re.search(r"^UN\s+127\.0\.0\.1\s", status.stdout, re.M), status.stdout
    assert "dc1" in status.stdout
    assert "UN  127.0.0.1" in _ok(home, "nodetool", "1", "status", timeout=120).stdout

    # CQL: the keyspace shape CRS uses (NetworkTopologyStrategy on dc1), a table, writes and reads.
    ks = f"crs_script_{uuid.uuid4().hex[:8]}"
    table = f"{ks}.kv"
    with _session() as s:
        local = s.execute("SELECT release_version, data_center, rack FROM system.local").one()
        assert (local.release_version, local.data_center, local.rack) == (CASSANDRA_VERSION, "dc1", "rack1")
        s.execute(f"CREATE KEYSPACE {ks} WITH replication = {{'class': 'NetworkTopologyStrategy', 'dc1': 1}}")
        s.execute(f"CREATE TABLE {table} (k text, c int, v text, PRIMARY KEY (k, c))")
        for i in range(5):
            s.execute(f"INSERT INTO {table} (k, c, v) VALUES (%s, %s, %s)", ("a", i, f"v{i}"))
    expected = [(i, f"v{i}") for i in range(5)]
    assert _rows(table, "a") == expected

    # flush writes sstables into this node's own data dir.
    _ok(home, "flush", timeout=120)
    assert list((home / "node1" / "data" / ks).glob("kv-*/*-Data.db")), "no sstable after flush"
    assert (home / "node1" / "logs" / "system.log").is_file()

    # Graceful stop, then restart on the same data.
    _ok(home, "stop-node", "1", timeout=180)
    assert not _alive(pid)
    assert _pid(home, 1) is None
    assert not _port_open("127.0.0.1", 9042)
    _ok(home, "start-node", "1")
    pid = _pid(home, 1)
    assert pid is not None
    assert _rows(table, "a") == expected

    # kill -9 after an unflushed write: start-node replays it from the commit log. The commit log syncs
    # periodically (like production), so a write is only crash-safe on a node once the period has passed.
    with _session() as s:
        s.execute(f"INSERT INTO {table} (k, c, v) VALUES (%s, %s, %s)", ("b", 1, "after-kill"))
    time.sleep(COMMITLOG_SYNC_PERIOD_S + 1)
    _ok(home, "kill-node", "1", timeout=60)
    assert not _alive(pid)
    _ok(home, "start-node", "1")
    assert _pid(home, 1) is not None
    assert _rows(table, "b") == [(1, "after-kill")]
    assert _rows(table, "a") == expected
    with _session() as s:
        s.execute(f"DROP KEYSPACE {ks}")
