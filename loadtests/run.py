"""One command for the load test: a seeded local server, Locust headless against it, 0 failures or exit 1.

    .venv/bin/python loadtests/run.py [--customers 2000] [--users 20] [--run-time 30] [--store cassandra]

Starts ``crs serve`` on 127.0.0.1 (its own temp dir, keys and API keys), seeds it with ``crs seed``, runs
``locust --headless`` with bounded users and ``--run-time``, stops the server and prints per-method counts.
Exit status: 0 only when every request succeeded and each user class issued requests.

The store: embedded (default), or ``--store cassandra``: a fresh keyspace (``crs migrate``, RF 1) on the local
node answering on 127.0.0.1:9042, or on one started here with ``scripts/cassandra.sh`` (and torn down after);
the keyspace is dropped at the end either way.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `loadtests` and `crs` importable
    sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parents[1] / "python")]

from loadtests.harness import REPO_ROOT, LocalServer, Workspace, python_env

LOCUSTFILE = Path(__file__).resolve().with_name("locustfile.py")
# A method only one user class calls: proof that the class ran.
CLASS_MARKERS = {
    "PaymentSwitchUser": "GetAuthorizationContext/token",
    "OnboardingUser": "CreateCustomer",
    "BackOfficeUser": "ListAuditEvents",
}


@dataclass
class LoadResult:
    returncode: int
    requests: dict[str, int] = field(default_factory=dict)  # method -> count
    failures: dict[str, int] = field(default_factory=dict)  # method -> failed count
    rps: float = 0.0
    output: str = ""

    @property
    def total_failures(self) -> int:
        return sum(self.failures.values())

    def problems(self) -> list[str]:
        out = []
        if self.returncode != 0:
            out.append(f"locust exited with {self.returncode}")
        if self.total_failures:
            out.append(f"{self.total_failures} failed requests: {self.failures}")
        out += [f"{cls} issued no requests" for cls, m in CLASS_MARKERS.items() if not self.requests.get(m)]
        return out


def _locust_bin() -> str:
    local = Path(sys.executable).with_name("locust")
    return str(local) if local.exists() else "locust"


def run_locust(server: LocalServer, ws: Workspace, users: int, spawn_rate: float, run_time: int) -> LoadResult:
    prefix = ws.root / "locust"
    env = python_env()
    env.update(
        CRS_LOAD_TARGET=server.address,
        CRS_LOAD_SECRETS=str(ws.secrets_file),
        CRS_LOAD_MANIFEST=str(ws.manifest_file),
    )
    cmd = [
        _locust_bin(),
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--users",
        str(users),
        "--spawn-rate",
        str(spawn_rate),
        "--run-time",
        f"{run_time}s",
        "--stop-timeout",
        "5",
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    proc = subprocess.run(
        cmd, env=env, cwd=str(REPO_ROOT), capture_output=True, text=True, timeout=run_time + 120, check=False
    )
    result = LoadResult(proc.returncode, output=proc.stdout[-6000:] + proc.stderr[-6000:])
    stats = Path(f"{prefix}_stats.csv")
    if stats.exists():
        with stats.open() as f:
            for row in csv.DictReader(f):
                if row["Name"] == "Aggregated":
                    result.rps = float(row["Requests/s"])
                    continue
                result.requests[row["Name"]] = int(row["Request Count"])
                result.failures[row["Name"]] = int(row["Failure Count"])
    return result


CASSANDRA_HOST, CASSANDRA_DC = "127.0.0.1", "dc1"


def _cql_port_open() -> bool:
    try:
        with socket.create_connection((CASSANDRA_HOST, 9042), timeout=1):
            return True
    except OSError:
        return False


def _cassandra_script(home: Path, *args: str) -> None:
    proc = subprocess.run(
        ["bash", str(REPO_ROOT / "scripts" / "cassandra.sh"), *args],
        env={**os.environ, "CRS_CASSANDRA_HOME": str(home)}, capture_output=True, text=True, timeout=600,
        check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        raise RuntimeError(f"scripts/cassandra.sh {' '.join(args)} failed: {proc.stderr[-1500:]}")


@contextmanager
def cassandra_keyspace(root: Path) -> Iterator[tuple[str, ...]]:
    """``crs serve``/``crs seed`` flags for a fresh migrated keyspace on a local node (reused or started here)."""
    from crs.storage.cassandra import make_cluster
    from crs.storage.migrate import migrate

    home = None if _cql_port_open() else root / "cassandra"
    if home is not None:
        _cassandra_script(home, "start", "--nodes", "1")
    try:
        if home is not None:
            _cassandra_script(home, "wait", "--nodes", "1")
        keyspace = "crs_load_" + uuid.uuid4().hex[:10]
        migrate([CASSANDRA_HOST], keyspace, CASSANDRA_DC, 1)
        try:
            yield ("--store", "cassandra", "--contact-points", CASSANDRA_HOST, "--keyspace", keyspace,
                   "--local-dc", CASSANDRA_DC)  # fmt: skip
        finally:
            cluster = make_cluster([CASSANDRA_HOST], CASSANDRA_DC, request_timeout=60)
            try:
                cluster.connect().execute(f"DROP KEYSPACE IF EXISTS {keyspace}", timeout=60)
            finally:
                cluster.shutdown()
    finally:
        if home is not None:
            _cassandra_script(home, "teardown")


def run(
    customers: int,
    users: int,
    spawn_rate: float,
    run_time: int,
    workdir: Path | None = None,
    store: str = "embedded",
) -> LoadResult:
    root = Path(tempfile.mkdtemp(prefix="crs-load-")) if workdir is None else workdir
    try:
        ws = Workspace(root)
        if store == "cassandra":
            with cassandra_keyspace(root) as store_args:
                ws.seed(customers, extra_args=store_args)
                with LocalServer(ws, store_args) as server:
                    return run_locust(server, ws, users, spawn_rate, run_time)
        ws.seed(customers)
        with LocalServer(ws) as server:
            return run_locust(server, ws, users, spawn_rate, run_time)
    finally:
        if workdir is None:
            shutil.rmtree(root, ignore_errors=True)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--customers", type=int, default=2000, help="seeded customers (each with an account and card)")
    p.add_argument("--users", type=int, default=20, help="concurrent Locust users (bounded)")
    p.add_argument("--spawn-rate", type=float, default=10.0)
    p.add_argument("--run-time", type=int, default=30, help="seconds")
    p.add_argument("--workdir", type=Path, help="keep the run's files here (default: a temp dir, removed)")
    p.add_argument(
        "--store",
        choices=("embedded", "cassandra"),
        default="embedded",
        help="cassandra: a fresh keyspace on the local node (started here if none answers on 127.0.0.1:9042)",
    )
    args = p.parse_args()
    if not 10 <= args.users <= 500 or not 1 <= args.run_time <= 3600:
        p.error("--users must be 10..500 (the 8:1:1 mix needs 10 for every class) and --run-time 1..3600")
    result = run(args.customers, args.users, args.spawn_rate, args.run_time, args.workdir, args.store)
    width = max((len(m) for m in result.requests), default=10)
    for method in sorted(result.requests):
        print(f"{method:<{width}}  {result.requests[method]:>8} requests  {result.failures[method]:>5} failures")
    print(f"total {sum(result.requests.values())} requests, {result.total_failures} failures, {result.rps:.1f} req/s")
    problems = result.problems()
    if problems:
        print("FAILED: " + "; ".join(problems), file=sys.stderr)
        if os.environ.get("CRS_LOAD_VERBOSE"):
            print(result.output, file=sys.stderr)
        return 1
    print("OK: 0 failures")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
