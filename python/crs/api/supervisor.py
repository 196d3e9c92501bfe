"""``crs serve --workers N``: a supervisor that runs N single-process servers on one port.

Each worker is a fresh interpreter (``python -m crs serve ... --workers 1 --worker-of <supervisor pid>``),
so grpc is never initialised in a process that forks: this module must not import grpc. The workers bind
the same port with SO_REUSEPORT and the kernel spreads new connections across them. The supervisor
itself holds a bound, non-listening SO_REUSEPORT socket on that port (it resolves ``--port 0`` and keeps
the port from being taken while a worker restarts), serves the merged Prometheus metrics of all workers,
restarts a worker that dies (exponential backoff, reset after a worker has lived a while), and on
SIGTERM/SIGINT forwards the signal so every worker drains (health NOT_SERVING, ``stop(grace)``), then exits
0 once all have exited. Health is each worker's own ``grpc.health.v1``: a client (or kubelet probe) sees
the health of the worker its connection landed on; the supervisor only restarts.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from crs.api import logs

_POLL_S = 0.1
_START_TIMEOUT_S = 60.0
_BACKOFF_FIRST_S = 0.5
_BACKOFF_MAX_S = 30.0
_HEALTHY_AFTER_S = 30.0  # a worker that lived this long resets the backoff
_MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


@dataclass
class _Slot:
    index: int
    proc: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    failures: int = 0
    restart_at: float = 0.0


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def reserve_port(host: str, port: int) -> socket.socket:
    """A bound (not listening) SO_REUSEPORT socket: fixes the port for the workers and keeps it ours."""
    family, kind, proto, _, addr = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(addr)
    return sock


class Supervisor:
    def __init__(
        self,
        serve_argv: Sequence[str],
        workers: int,
        host: str,
        port: int,
        port_file: Path | None,
        metrics_port: int,
        grace_seconds: float,
        drain_delay_seconds: float = 0.0,
    ) -> None:
        self._serve_argv = list(serve_argv)
        self._host = host
        self._port = port
        self._port_file = port_file
        self._metrics_port = metrics_port
        self._grace = grace_seconds + drain_delay_seconds
        self._slots = [_Slot(i) for i in range(workers)]
        self._stopping = False
        self._log = logs.get()
        self._run_dir = Path(tempfile.mkdtemp(prefix="crs-supervisor-"))
        self._own_metrics_dir = False

    # -- lifecycle ---------------------------------------------------------------------------------

    def run(self) -> int:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)
        try:
            reservation = reserve_port(self._host, self._port)
        except OSError as e:
            print(f"crs: cannot bind {self._host}:{self._port}: {e}", file=sys.stderr)
            return 2
        try:
            self._port = reservation.getsockname()[1]
            self._setup_metrics()
            # The first worker alone first: it creates what is created on first start (key files, the
            # SQLite file and schema) without a race; then the others.
            self._spawn(self._slots[0])
            rc = self._wait_ready(self._slots[:1])
            if rc is None:
                for slot in self._slots[1:]:
                    self._spawn(slot)
                rc = self._wait_ready(self._slots)
            if rc is not None:
                self._stopping = True
                self._drain()
                return rc
            self._write_port_file()
            self._log.info(
                "supervising",
                host=self._host,
                port=self._port,
                workers=[s.proc.pid for s in self._slots if s.proc],
                pid=os.getpid(),
            )
            self._loop()
            return self._drain()
        finally:
            reservation.close()
            shutil.rmtree(self._run_dir, ignore_errors=True)
            if self._own_metrics_dir:
                shutil.rmtree(os.environ[_MULTIPROC_ENV], ignore_errors=True)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if not self._stopping:
            self._log.info("draining_workers", signal=signal.Signals(signum).name, grace_seconds=self._grace)
        self._stopping = True

    def _setup_metrics(self) -> None:
        directory = os.environ.get(_MULTIPROC_ENV)
        if directory:
            Path(directory).mkdir(parents=True, exist_ok=True)
            for stale in Path(directory).glob("*.db"):  # samples of an earlier run's pids
                stale.unlink()
        else:
            directory = tempfile.mkdtemp(prefix="crs-metrics-")
            os.environ[_MULTIPROC_ENV] = directory
            self._own_metrics_dir = True
        if self._metrics_port:
            from prometheus_client import CollectorRegistry, start_http_server
            from prometheus_client.multiprocess import MultiProcessCollector

            registry = CollectorRegistry()
            MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            try:
                server, _ = start_http_server(self._metrics_port, addr=self._host, registry=registry)
            except OSError as e:  # metrics are not worth an outage: serve without them, loudly
                self._log.error("metrics_port_unavailable", port=self._metrics_port, error=str(e))
                return
            self._log.info("metrics_serving", host=self._host, port=server.server_port, path="/metrics")

    def _worker_port_file(self, slot: _Slot) -> Path:
        return self._run_dir / f"worker-{slot.index}.port"

    def _spawn(self, slot: _Slot) -> None:
        self._worker_port_file(slot).unlink(missing_ok=True)
        cmd = [
            sys.executable,
            "-m",
            "crs",
            *self._serve_argv,
            "--workers",
            "1",
            "--worker-of",
            str(os.getpid()),
            "--port",
            str(self._port),
            "--port-file",
            str(self._worker_port_file(slot)),
            "--metrics-port",
            "0",
        ]
        slot.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)
        slot.started = time.monotonic()
        self._log.info("worker_started", worker=slot.index, pid=slot.proc.pid)

    def _wait_ready(self, slots: list[_Slot]) -> int | None:
        """None once these workers serve; a worker's exit code if one fails to start (a config error)."""
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not self._stopping:
            for slot in slots:
                assert slot.proc is not None
                rc = slot.proc.poll()
                if rc is not None:
                    self._log.error("worker_failed_to_start", worker=slot.index, exit_code=rc)
                    slot.proc = None
                    return rc or 1
            if all(self._worker_port_file(s).exists() for s in slots):
                return None
            if time.monotonic() > deadline:
                self._log.error("workers_not_ready", timeout_seconds=_START_TIMEOUT_S)
                return 1
            time.sleep(_POLL_S)
        return None

    def _write_port_file(self) -> None:
        if self._port_file is None:
            return
        tmp = self._port_file.with_suffix(".tmp")
        tmp.write_text(str(self._port))
        os.replace(tmp, self._port_file)

    def _reap(self, slot: _Slot) -> int | None:
        """The exit code if the slot's worker has exited (and forget it), else None."""
        if slot.proc is None:
            return None
        rc = slot.proc.poll()
        if rc is None:
            return None
        self._mark_dead(slot.proc.pid)
        slot.proc = None
        return rc

    def _loop(self) -> None:
        while not self._stopping:
            now = time.monotonic()
            for slot in self._slots:
                pid = slot.proc.pid if slot.proc else None
                rc = self._reap(slot)
                if rc is not None:
                    lived = now - slot.started
                    slot.failures = 0 if lived >= _HEALTHY_AFTER_S else slot.failures + 1
                    backoff = min(_BACKOFF_MAX_S, _BACKOFF_FIRST_S * 2 ** max(0, slot.failures - 1))
                    slot.restart_at = now + backoff
                    self._log.warning(
                        "worker_exited", worker=slot.index, pid=pid, exit_code=rc, restart_in_seconds=backoff
                    )
                if slot.proc is None and now >= slot.restart_at:
                    self._spawn(slot)
            time.sleep(_POLL_S)

    def _drain(self) -> int:
        """Forward SIGTERM, wait for every worker (grace + margin), SIGKILL stragglers. 0 if all drained."""
        for slot in self._slots:
            if slot.proc is not None and slot.proc.poll() is None:
                slot.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self._grace + 10.0
        clean = True
        while any(s.proc is not None for s in self._slots):
            for slot in self._slots:
                pid = slot.proc.pid if slot.proc else None
                rc = self._reap(slot)
                if rc is not None and rc != 0:
                    clean = False
                    self._log.warning("worker_exit_code", worker=slot.index, pid=pid, exit_code=rc)
            if time.monotonic() > deadline:
                for slot in self._slots:
                    if slot.proc is not None:
                        self._log.error("worker_kill", worker=slot.index, pid=slot.proc.pid)
                        slot.proc.kill()
                        slot.proc.wait()
                        self._mark_dead(slot.proc.pid)
                        slot.proc = None
                clean = False
            time.sleep(_POLL_S)
        self._log.info("stopped", clean=clean)
        return 0 if clean else 1

    @staticmethod
    def _mark_dead(pid: int) -> None:
        if os.environ.get(_MULTIPROC_ENV):
            from prometheus_client import multiprocess

            multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
