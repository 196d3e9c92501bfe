"""Start, stop and talk to a real CRS server process."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

REPO_ROOT = Path(__file__).resolve().parents[2]
PYTHON_SRC = REPO_ROOT / "python"
TOOLS_BIN = REPO_ROOT / ".tools" / "bin"

START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 20.0
DEFAULT_GRACE_S = 5.0

# Big enough for BatchTokenize responses with 100,000 items.
CHANNEL_OPTIONS = [
    ("grpc.max_receive_message_length", 256 * 1024 * 1024),
    ("grpc.max_send_message_length", 256 * 1024 * 1024),
]


@dataclass(frozen=True)
class ApiKeySpec:
    id: str
    tenant: str
    scopes: tuple[str, ...]


ALL_SCOPES = ("read", "write", "tokenize", "detokenize", "pii", "admin")

# Key name (== api key id, which is what audit events record as `actor`) -> spec.
API_KEYS: dict[str, ApiKeySpec] = {
    spec.id: spec
    for spec in (
        ApiKeySpec("acme-admin", "acme", ALL_SCOPES),
        ApiKeySpec("acme-read", "acme", ("read",)),
        ApiKeySpec("acme-rw", "acme", ("read", "write")),
        ApiKeySpec("acme-tok", "acme", ("tokenize",)),
        ApiKeySpec("acme-detok", "acme", ("detokenize",)),
        ApiKeySpec("acme-pii", "acme", ("read", "pii")),
        ApiKeySpec("globex-admin", "globex", ALL_SCOPES),
    )
}


def python_env() -> dict[str, str]:
    env = dict(os.environ)
    parts = [str(PYTHON_SRC)]
    if env.get("PYTHONPATH"):
        parts.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(parts)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def generate_card_keys(path: Path) -> None:
    """Create the card-data key ring with the project's own generator."""
    try:
        from crs._core import KeyRing  # type: ignore[import-not-found]
    except ImportError:
        KeyRing = None
    if KeyRing is not None:
        KeyRing.generate(str(path))
    else:
        proc = subprocess.run(
            [sys.executable, "-m", "crs", "keys", "generate", str(path)],
            env=python_env(),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if proc.returncode != 0:
            raise AssertionError(
                f"`python -m crs keys generate` failed (rc={proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
            )
    if not path.exists():
        raise AssertionError(f"key file {path} was not created")


def write_api_keys(path: Path) -> dict[str, str]:
    """Write the API-keys file; returns key id -> secret."""
    secrets_by_id: dict[str, str] = {}
    entries = []
    for spec in API_KEYS.values():
        secret = f"crs_test_{spec.id}_{secrets.token_hex(16)}"
        secrets_by_id[spec.id] = secret
        entries.append(
            {
                "id": spec.id,
                "tenant": spec.tenant,
                "scopes": list(spec.scopes),
                "sha256": hashlib.sha256(secret.encode()).hexdigest(),
            }
        )
    path.write_text(json.dumps({"api_keys": entries}, indent=2))
    return secrets_by_id


class _AuthInterceptor(
    grpc.UnaryUnaryClientInterceptor,
    grpc.UnaryStreamClientInterceptor,
    grpc.StreamUnaryClientInterceptor,
    grpc.StreamStreamClientInterceptor,
):
    """Adds ("authorization", "Bearer <secret>") to every call."""

    def __init__(self, header_value: str) -> None:
        self._header_value = header_value

    def _details(self, details: grpc.ClientCallDetails) -> grpc.ClientCallDetails:
        metadata = list(details.metadata or [])
        metadata.append(("authorization", self._header_value))
        return _CallDetails(
            details.method,
            details.timeout,
            metadata,
            details.credentials,
            getattr(details, "wait_for_ready", None),
            getattr(details, "compression", None),
        )

    def intercept_unary_unary(self, continuation, client_call_details, request):  # type: ignore[no-untyped-def]
        return continuation(self._details(client_call_details), request)

    def intercept_unary_stream(self, continuation, client_call_details, request):  # type: ignore[no-untyped-def]
        return continuation(self._details(client_call_details), request)

    def intercept_stream_unary(self, continuation, client_call_details, request_iterator):  # type: ignore[no-untyped-def]
        return continuation(self._details(client_call_details), request_iterator)

    def intercept_stream_stream(self, continuation, client_call_details, request_iterator):  # type: ignore[no-untyped-def]
        return continuation(self._details(client_call_details), request_iterator)


class _CallDetails(grpc.ClientCallDetails):
    def __init__(self, method, timeout, metadata, credentials, wait_for_ready, compression):  # type: ignore[no-untyped-def]
        self.method = method
        self.timeout = timeout
        self.metadata = metadata
        self.credentials = credentials
        self.wait_for_ready = wait_for_ready
        self.compression = compression


@dataclass
class CrsServer:
    """One CRS server process plus its files. Restartable on the same data dir."""

    root: Path
    backend: str = "embedded"
    grace_s: float = DEFAULT_GRACE_S
    # Extra `crs serve` flags.
    extra_args: tuple[str, ...] = ()
    # The local Cassandra (tests.helpers.cassandra.LocalCassandra) when backend == "cassandra".
    cassandra: Any = None
    # Serve the same store, keys and API keys as this other server (a second process on one store).
    sibling_of: CrsServer | None = None
    keyspace: str = field(init=False, default="")
    owns_keyspace: bool = field(init=False, default=False)
    data_dir: Path = field(init=False)
    keys_file: Path = field(init=False)
    api_keys_file: Path = field(init=False)
    port_file: Path = field(init=False)
    log_file: Path = field(init=False)
    stdout_file: Path = field(init=False)
    secrets: dict[str, str] = field(init=False)
    proc: subprocess.Popen[bytes] | None = field(init=False, default=None)
    port: int | None = field(init=False, default=None)
    _channels: dict[str, grpc.Channel] = field(init=False, default_factory=dict)
    _base_channel: grpc.Channel | None = field(init=False, default=None)
    _log_handles: list[Any] = field(init=False, default_factory=list)
    starts: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.port_file = self.root / "port"
        self.log_file = self.root / "server.log"
        self.stdout_file = self.root / "server.stdout"
        if self.sibling_of is not None:
            twin = self.sibling_of
            self.data_dir, self.keys_file, self.api_keys_file = twin.data_dir, twin.keys_file, twin.api_keys_file
            self.secrets, self.keyspace, self.cassandra = twin.secrets, twin.keyspace, twin.cassandra
            return
        self.data_dir = self.root / "data"
        self.data_dir.mkdir(exist_ok=True)
        self.keys_file = self.root / "card-keys.json"
        self.api_keys_file = self.root / "api-keys.json"
        generate_card_keys(self.keys_file)
        self.secrets = write_api_keys(self.api_keys_file)
        if self.backend == "cassandra":
            assert self.cassandra is not None, "a cassandra-backed server needs the cassandra_cluster fixture"
            self.keyspace = self.cassandra.new_keyspace()
            self.owns_keyspace = True

    # ----------------------------------------------------------------- paths
    @property
    def db_file(self) -> Path:
        return self.data_dir / "crs.db"

    @property
    def wal_file(self) -> Path:
        return self.data_dir / "crs.db-wal"

    @property
    def address(self) -> str:
        assert self.port is not None, "server not started"
        return f"127.0.0.1:{self.port}"

    def log_text(self) -> str:
        out = []
        for p in (self.log_file, self.stdout_file):
            if p.exists():
                out.append(p.read_text(errors="replace"))
        return "\n".join(out)

    def log_tail(self, n: int = 80) -> str:
        lines = self.log_text().splitlines()
        return "\n".join(lines[-n:])

    # ------------------------------------------------------------- lifecycle
    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "crs",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--port-file",
            str(self.port_file),
            "--data-dir",
            str(self.data_dir),
            "--keys-file",
            str(self.keys_file),
            "--api-keys-file",
            str(self.api_keys_file),
            "--store",
            self.backend,
            "--grace",
            str(self.grace_s),
            # one process and no metrics port unless a test asks (later flags win)
            "--workers",
            "1",
            "--metrics-port",
            "0",
            *self._backend_args(),
            *self.extra_args,
        ]

    def _backend_args(self) -> list[str]:
        if self.backend != "cassandra":
            return []
        hosts = ",".join(self.cassandra.contact_points)
        return ["--contact-points", hosts, "--keyspace", self.keyspace, "--local-dc", "dc1", *self.cassandra.cli_args()]

    def store_files(self) -> list[Path]:
        """Every file the store wrote: the SQLite file and WAL, or (flushed first) Cassandra's files."""
        if self.backend == "cassandra":
            self.cassandra.flush()
            return [p for p in self.cassandra.files() if p.is_file()]
        return sorted(p for p in self.data_dir.rglob("*") if p.is_file())

    def start(self) -> CrsServer:
        assert self.proc is None or self.proc.poll() is not None, "already running"
        self._close_channels()
        self.port_file.unlink(missing_ok=True)
        self.port = None
        # Append: a restart keeps the earlier log (the PAN-leak scan reads all of it).
        err = open(self.log_file, "ab")  # noqa: SIM115
        out = open(self.stdout_file, "ab")  # noqa: SIM115
        self._log_handles += [err, out]
        self.proc = subprocess.Popen(
            self.command(),
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            env=python_env(),
            cwd=str(self.root),
        )
        self.starts += 1
        self._wait_ready()
        return self

    def _fail(self, why: str) -> None:
        tail = self.log_tail()
        raise AssertionError(f"CRS server {why}\ncommand: {' '.join(self.command())}\n--- log ---\n{tail}")

    def _wait_ready(self) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if self.proc.poll() is not None:
                self._fail(f"exited during startup with code {self.proc.returncode}")
            text = self.port_file.read_text().strip() if self.port_file.exists() else ""
            if text.isdigit() and int(text) > 0:
                self.port = int(text)
                break
            if time.monotonic() > deadline:
                self.kill()
                self._fail(f"did not write the port file within {START_TIMEOUT_S}s")
            time.sleep(0.05)
        stub = health_pb2_grpc.HealthStub(self.base_channel())
        last: object = None
        while True:
            if self.proc.poll() is not None:
                self._fail(f"exited during startup with code {self.proc.returncode}")
            try:
                resp = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=2)
                last = resp.status
                if resp.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError as e:
                last = e
            if time.monotonic() > deadline:
                self.kill()
                self._fail(f"health not SERVING within {START_TIMEOUT_S}s (last: {last!r})")
            time.sleep(0.1)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def terminate(self, timeout: float | None = None) -> int:
        """SIGTERM, wait; SIGKILL if it does not exit. Returns the exit code."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout if timeout is not None else self.grace_s + STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        self._close_channels()
        self._close_logs()
        return self.proc.returncode

    def kill(self) -> int:
        """SIGKILL (kill -9) without any grace."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)
        self._close_channels()
        self._close_logs()
        return self.proc.returncode

    def restart(self) -> CrsServer:
        if self.running:
            self.terminate()
        return self.start()

    def _close_logs(self) -> None:
        for h in self._log_handles:
            with contextlib.suppress(Exception):
                h.close()
        self._log_handles.clear()

    def _close_channels(self) -> None:
        for ch in self._channels.values():
            ch.close()
        self._channels.clear()
        if self._base_channel is not None:
            self._base_channel.close()
            self._base_channel = None

    # -------------------------------------------------------------- clients
    def base_channel(self) -> grpc.Channel:
        """A channel without credentials (health, reflection, auth tests)."""
        if self._base_channel is None:
            self._base_channel = grpc.insecure_channel(self.address, options=CHANNEL_OPTIONS)
        return self._base_channel

    def channel(self, key: str | None = "acme-admin", *, raw_header: str | None = None) -> grpc.Channel:
        """A channel sending the given key id's secret (key=None: no authorization header).

        raw_header: send exactly this authorization header value instead.
        """
        if raw_header is None and key is None:
            return self.base_channel()
        header = raw_header if raw_header is not None else f"Bearer {self.secrets[key]}"  # type: ignore[index]
        cache_key = "raw:" + header
        ch = self._channels.get(cache_key)
        if ch is None:
            ch = grpc.intercept_channel(self.base_channel(), _AuthInterceptor(header))
            self._channels[cache_key] = ch
        return ch

    def stub(self, stub_cls: type, key: str | None = "acme-admin", *, raw_header: str | None = None) -> Any:
        return stub_cls(self.channel(key, raw_header=raw_header))

    def metadata(self, key: str) -> list[tuple[str, str]]:
        return [("authorization", f"Bearer {self.secrets[key]}")]

    def clients(self, key: str | None = "acme-admin", *, raw_header: str | None = None) -> Clients:
        return Clients(self.channel(key, raw_header=raw_header))

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.terminate()
        self._close_channels()
        self._close_logs()
        if self.owns_keyspace:
            self.cassandra.drop_keyspace(self.keyspace)
            self.owns_keyspace = False


class Clients:
    """All CRS stubs on one authenticated channel."""

    def __init__(self, channel: grpc.Channel) -> None:
        from crs.v1 import (
            account_pb2_grpc,
            audit_pb2_grpc,
            card_pb2_grpc,
            cluster_pb2_grpc,
            customer_pb2_grpc,
            diagnostics_pb2_grpc,
            lookup_pb2_grpc,
            relationship_pb2_grpc,
            token_pb2_grpc,
        )

        self.customers = customer_pb2_grpc.CustomerServiceStub(channel)
        self.accounts = account_pb2_grpc.AccountServiceStub(channel)
        self.relationships = relationship_pb2_grpc.RelationshipServiceStub(channel)
        self.cards = card_pb2_grpc.CardServiceStub(channel)
        self.tokens = token_pb2_grpc.TokenServiceStub(channel)
        self.audit = audit_pb2_grpc.AuditServiceStub(channel)
        self.identifiers = cluster_pb2_grpc.IdentifierServiceStub(channel)
        self.clusters = cluster_pb2_grpc.ClusterServiceStub(channel)
        self.lookup = lookup_pb2_grpc.LookupServiceStub(channel)
        self.health = health_pb2_grpc.HealthStub(channel)
        self.diagnostics = diagnostics_pb2_grpc.DiagnosticsServiceStub(channel)


@contextlib.contextmanager
def running_server(root: Path, backend: str = "embedded", grace_s: float = DEFAULT_GRACE_S) -> Iterator[CrsServer]:
    server = CrsServer(root=root, backend=backend, grace_s=grace_s)
    try:
        server.start()
        yield server
    finally:
        server.close()


def tool(name: str) -> Path:
    """Path of a binary in .tools/bin; fails (never skips) when missing."""
    path = TOOLS_BIN / name
    if not (path.exists() and os.access(path, os.X_OK)):
        raise AssertionError(f"required tool {path} is missing or not executable; install it into .tools/bin")
    return path
