"""A local CRS server for load tests and benchmarks: its own temp dir, keys, API keys and seeded data.

Loopback only. Everything started here is stopped by ``LocalServer.stop`` (also on errors, via ``with``).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import grpc
from grpc_health.v1 import health_pb2

from crs._core import KeyRing
from crs.api.auth import add_key

REPO_ROOT = Path(__file__).resolve().parents[1]
TENANT = "load"
# API keys the load test and benchmark use, by role: id -> scopes.
ROLES: dict[str, tuple[str, ...]] = {
    "switch": ("read", "tokenize"),
    "onboarding": ("read", "write"),
    "backoffice": ("read", "tokenize"),
}
START_TIMEOUT_S = 60.0
CLK_TCK = os.sysconf("SC_CLK_TCK")


_SERVE_FLAGS: set[str] | None = None


def serve_flags() -> set[str]:
    """The options this checkout's ``crs serve`` accepts (features land on different branches)."""
    global _SERVE_FLAGS
    if _SERVE_FLAGS is None:
        out = subprocess.run(
            [sys.executable, "-m", "crs", "serve", "--help"],
            env=python_env(),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        ).stdout
        _SERVE_FLAGS = {word.strip(",[]") for word in out.split() if word.startswith("--")}
    return _SERVE_FLAGS


def python_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO_ROOT / "python"), str(REPO_ROOT), env.get("PYTHONPATH")) if p
    )
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


@dataclass
class Workspace:
    """Keys, API keys and the data dir of one load-test or benchmark run."""

    root: Path
    data_dir: Path = field(init=False)
    keys_file: Path = field(init=False)
    api_keys_file: Path = field(init=False)
    secrets_file: Path = field(init=False)
    manifest_file: Path = field(init=False)
    secrets: dict[str, str] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.root = self.root.resolve()  # the server runs with the workspace as its working directory
        self.root.mkdir(parents=True, exist_ok=True)
        self.data_dir = self.root / "data"
        self.data_dir.mkdir(exist_ok=True)
        self.keys_file = self.root / "card-keys.json"
        self.api_keys_file = self.root / "api-keys.json"
        self.secrets_file = self.root / "api-secrets.json"
        self.manifest_file = self.root / "seed-manifest.json"
        if not self.keys_file.exists():
            KeyRing.generate(str(self.keys_file))
        if self.secrets_file.exists():
            self.secrets = json.loads(self.secrets_file.read_text())
        else:
            self.secrets = {role: add_key(self.api_keys_file, role, TENANT, list(s)) for role, s in ROLES.items()}
            fd = os.open(self.secrets_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                json.dump(self.secrets, f)

    def seed(
        self, customers: int, salt: int = 0, timeout: float = 3600.0, extra_args: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        """``crs seed`` into this workspace's data dir (the server must not be running); returns the manifest.
        ``extra_args``: more ``crs seed`` options (``--store cassandra --keyspace K ...``)."""
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "crs",
                "seed",
                "--customers",
                str(customers),
                "--data-dir",
                str(self.data_dir),
                "--keys-file",
                str(self.keys_file),
                "--tenant",
                TENANT,
                "--salt",
                str(salt),
                "--manifest",
                str(self.manifest_file),
                *extra_args,
            ],
            env=python_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"crs seed failed ({proc.returncode}): {proc.stderr[-2000:]}")
        manifest: dict[str, Any] = json.loads(self.manifest_file.read_text())
        return manifest


class LocalServer:
    """``crs serve`` on 127.0.0.1 with an ephemeral port, on a workspace."""

    def __init__(
        self, ws: Workspace, extra_args: tuple[str, ...] = (), log_level: str = "INFO", module: str = "crs"
    ) -> None:
        """``module``: what ``python -m`` runs with ``serve ...`` (a bench instrument wrapping ``crs``'s CLI)."""
        self.ws = ws
        self.module = module
        self.extra_args = extra_args
        self.log_level = log_level
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.port_file = ws.root / "port"
        self.log_file = ws.root / "server.log"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> LocalServer:
        self.port_file.unlink(missing_ok=True)
        log = open(self.log_file, "ab")  # noqa: SIM115 - the child holds it; closed when we stop
        try:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    self.module,
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    "0",
                    "--port-file",
                    str(self.port_file),
                    "--data-dir",
                    str(self.ws.data_dir),
                    "--keys-file",
                    str(self.ws.keys_file),
                    "--api-keys-file",
                    str(self.ws.api_keys_file),
                    "--grace",
                    "2",
                    "--log-level",
                    self.log_level,
                    *self._defaults(),
                    *self.extra_args,
                ],
                stdout=log,
                stderr=log,
                stdin=subprocess.DEVNULL,
                env=python_env(),
                cwd=str(self.ws.root),
                start_new_session=True,
            )
        finally:
            log.close()
        self._wait_ready()
        return self

    def _defaults(self) -> list[str]:
        """One process unless asked otherwise, and no fixed-port side listeners (servers run side by side)."""
        flags = serve_flags()
        out = []
        if "--workers" in flags and "--workers" not in self.extra_args:
            out += ["--workers", "1"]
        if "--metrics-port" in flags:
            out += ["--metrics-port", "0"]
        return out

    def _wait_ready(self) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        while not (self.port_file.exists() and self.port_file.read_text().strip().isdigit()):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"server did not start; log tail:\n{self.log_tail()}")
            time.sleep(0.05)
        self.port = int(self.port_file.read_text().strip())
        with grpc.insecure_channel(self.address) as channel:
            check = channel.unary_unary(
                "/grpc.health.v1.Health/Check",
                request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
                response_deserializer=health_pb2.HealthCheckResponse.FromString,
            )
            while True:
                try:
                    if (
                        check(health_pb2.HealthCheckRequest(), timeout=2).status
                        == health_pb2.HealthCheckResponse.SERVING
                    ):
                        return
                except grpc.RpcError:
                    pass
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"server not SERVING; log tail:\n{self.log_tail()}")
                time.sleep(0.1)

    def pids(self) -> list[int]:
        """The server process and every process below it (workers, when it supervises some)."""
        if self.proc is None:
            return []
        found = [self.proc.pid]
        for pid in found:
            try:
                children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            except OSError:
                continue
            found.extend(int(c) for c in children)
        return found

    def cpu_seconds(self) -> float:
        """utime + stime of the server's processes (live ones), from /proc/<pid>/stat."""
        total = 0
        for pid in self.pids():
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
            except OSError:
                continue
            parts = stat[stat.rindex(")") + 2 :].split()
            total += int(parts[11]) + int(parts[12])  # fields 14 and 15: utime, stime (clock ticks)
        return total / CLK_TCK

    def log_tail(self, n: int = 40) -> str:
        if not self.log_file.exists():
            return ""
        return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-n:])

    def stop(self, timeout: float = 20.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
