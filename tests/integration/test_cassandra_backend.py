"""`crs migrate` and `crs serve --store cassandra` as an operator runs them, against a real node."""

from __future__ import annotations

import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from crs.storage.cassandra import make_cluster
from crs.storage.cassandra_schema import migrations
from crs.storage.schema import ALL_TABLES
from tests.helpers.server import generate_card_keys, python_env, write_api_keys

pytestmark = [pytest.mark.cassandra, pytest.mark.timeout(300)]


def _crs(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crs", *args], capture_output=True, text=True, env=python_env(), timeout=timeout,
        check=False,
    )  # fmt: skip


def test_migrate_twice_and_from_two_processes_at_once(cassandra_cluster: Any) -> None:
    keyspace = "crs_m" + uuid.uuid4().hex[:10]
    args = ("migrate", "--contact-points", "127.0.0.1", "--keyspace", keyspace, "--replication-factor", "1")
    try:
        with ThreadPoolExecutor(2) as pool:
            first, second = pool.map(lambda _: _crs(*args), range(2))
        assert first.returncode == 0, first.stderr
        assert second.returncode == 0, second.stderr
        # each version is recorded by an insert-if-not-exists: exactly one process reports applying it
        reported = [v for out in (first.stdout, second.stdout) for v in _applied(out)]
        versions = sorted(m.version for m in migrations(keyspace))
        assert sorted(reported) == versions, (first.stdout, second.stdout)
        again = _crs(*args)
        assert again.returncode == 0 and "nothing (up to date)" in again.stdout
        cluster = make_cluster(["127.0.0.1"], "dc1")
        try:
            session = cluster.connect()
            rows = list(session.execute(f"SELECT version FROM {keyspace}.schema_migrations"))
            assert sorted(r.version for r in rows) == versions
            ks = cluster.metadata.keyspaces[keyspace]
            assert ks.replication_strategy.__class__.__name__ == "NetworkTopologyStrategy"
            assert {t.name for t in ALL_TABLES} <= set(ks.tables)
            assert ks.tables["cards_by_fingerprint"].options["comment"].startswith("One PAN")
            assert cluster.control_connection.wait_for_schema_agreement(wait_time=30)
        finally:
            cluster.shutdown()
    finally:
        cassandra_cluster.drop_keyspace(keyspace)


def test_serve_refuses_a_missing_keyspace(cassandra_cluster: Any, tmp_path: Path) -> None:
    generate_card_keys(tmp_path / "keys.json")
    write_api_keys(tmp_path / "api-keys.json")
    proc = _crs(
        "serve", "--workers", "1", "--metrics-port", "0", "--store", "cassandra", "--contact-points", "127.0.0.1",
        "--keyspace", "crs_absent_" + uuid.uuid4().hex[:6], "--port", "0", "--data-dir", str(tmp_path / "data"),
        "--keys-file", str(tmp_path / "keys.json"), "--api-keys-file", str(tmp_path / "api-keys.json"),
    )  # fmt: skip
    assert proc.returncode == 2
    assert "crs migrate" in proc.stderr and "Traceback" not in proc.stderr


def test_serve_fails_clearly_without_cassandra(tmp_path: Path) -> None:
    generate_card_keys(tmp_path / "keys.json")
    write_api_keys(tmp_path / "api-keys.json")
    proc = _crs(
        "serve", "--workers", "1", "--metrics-port", "0",
        "--store", "cassandra", "--contact-points", "127.0.0.9", "--cassandra-port", "1",
        "--port", "0", "--data-dir", str(tmp_path / "data"), "--keys-file", str(tmp_path / "keys.json"),
        "--api-keys-file", str(tmp_path / "api-keys.json"),
    )  # fmt: skip
    assert proc.returncode == 2
    assert "cannot reach Cassandra" in proc.stderr and "Traceback" not in proc.stderr


def _applied(stdout: str) -> list[int]:
    """The versions a `crs migrate` run reports applying (``applied [1, 2]``, or nothing when up to date)."""
    text = stdout.split("applied ", 1)[1].strip() if "applied " in stdout else ""
    return [int(v) for v in text.strip("[]").split(",")] if text.startswith("[") else []
