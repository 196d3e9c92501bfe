"""Zero downtime, shown locally (issue 7): three servers on one store behind a client that uses
deploy/client/service_config.json (round_robin, health checking, retries of idempotent calls on UNAVAILABLE).

Phase 1: every server restarted in turn (SIGTERM, drain, start) under steady load: 0 failed RPCs.
Phase 2: one server SIGKILLed under the same load: the failures are counted and reported (docs/operations.md).

Three processes on three ports (not one port with SO_REUSEPORT): with one port, a new connection may land on a
listener that is about to close, and the client cannot tell the servers apart; with three addresses the client
balances calls per server and routes around the one that drains, exactly like a headless Service in Kubernetes.
They share one embedded SQLite file (multi-process safe: WAL, BEGIN IMMEDIATE, busy timeout).

Knobs: CRS_ZD_RATE (calls/s, default 900), CRS_ZD_MIN_CALLS (phase 1, default 100000).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from crs.v1 import customer_pb2, customer_pb2_grpc, token_pb2, token_pb2_grpc
from tests.helpers.data import ACME, create_customer, new_customer, request_id, tokenize
from tests.helpers.metrics import free_port
from tests.helpers.pans import make_pans
from tests.helpers.server import REPO_ROOT, Clients, _AuthInterceptor, generate_card_keys, python_env, write_api_keys

pytestmark = pytest.mark.slow

RATE = float(os.environ.get("CRS_ZD_RATE", "900"))
MIN_CALLS = int(os.environ.get("CRS_ZD_MIN_CALLS", "100000"))
CONCURRENCY = 48
WRITE_SHARE = 0.05  # CreateCustomer with a request_id: not retried by the channel (the app retries those)
SERVICE_CONFIG = (REPO_ROOT / "deploy" / "client" / "service_config.json").read_text()


class Server:
    def __init__(self, root: Path, index: int) -> None:
        self.root, self.index, self.port = root, index, free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = root / f"server-{index}.log"

    def start(self) -> None:
        port_file = self.root / f"port-{self.index}"
        port_file.unlink(missing_ok=True)
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "crs", "serve", "--workers", "1", "--metrics-port", "0",
                 "--port", str(self.port), "--port-file", str(port_file), "--data-dir", str(self.root / "data"),
                 "--keys-file", str(self.root / "keys.json"), "--api-keys-file", str(self.root / "api-keys.json"),
                 "--grace", "10", "--drain-delay", "1.5"],
                env=python_env(), stdout=log, stderr=log, stdin=subprocess.DEVNULL,
            )  # fmt: skip
        deadline = time.monotonic() + 30
        with grpc.insecure_channel(f"127.0.0.1:{self.port}") as ch:
            stub = health_pb2_grpc.HealthStub(ch)
            while True:
                assert self.proc.poll() is None, self.log.read_text()[-3000:]
                assert time.monotonic() < deadline, "server not SERVING in 30 s"
                try:
                    if stub.Check(health_pb2.HealthCheckRequest(), timeout=1).status == 1:
                        return
                except grpc.RpcError:
                    pass
                time.sleep(0.05)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        assert self.proc is not None
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=40)


class Load:
    """Steady-rate calls from an asyncio client in its own thread; outcomes counted per phase."""

    def __init__(self, target: str, secret: str, customers: list[str], pans: list[str]) -> None:
        self.target, self.customers, self.pans = target, customers, pans
        self.md = (("authorization", f"Bearer {secret}"),)
        self.phase = "warmup"
        self.outcomes: dict[str, Counter[str]] = {}
        self.failures: list[tuple[str, str, str]] = []
        self.in_flight: dict[int, float] = {}  # call number -> start (monotonic)
        self.stopped_at = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.stopped_at = time.monotonic()
        self._stop.set()
        self._thread.join(60)

    def total(self, phase: str) -> int:
        return sum(self.outcomes.get(phase, Counter()).values())

    async def _run(self) -> None:
        options = [("grpc.service_config", SERVICE_CONFIG), ("grpc.enable_retries", 1)]
        async with grpc.aio.insecure_channel(self.target, options=options) as channel:
            customers = customer_pb2_grpc.CustomerServiceStub(channel)
            tokens = token_pb2_grpc.TokenServiceStub(channel)
            await asyncio.gather(*(self._worker(i, customers, tokens) for i in range(CONCURRENCY)))

    async def _worker(self, i: int, customers: object, tokens: object) -> None:
        rng = random.Random(i)
        interval = CONCURRENCY / RATE
        next_at = time.monotonic() + rng.random() * interval
        while not self._stop.is_set():
            delay = next_at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            next_at = max(next_at + interval, time.monotonic() - interval)
            phase, roll = self.phase, rng.random()
            call_id = id(object()) ^ (i << 48)
            self.in_flight[call_id] = time.monotonic()
            try:
                if roll < WRITE_SHARE:
                    await customers.CreateCustomer(  # type: ignore[attr-defined]
                        customer_pb2.CreateCustomerRequest(
                            parent=ACME, customer=new_customer(), request_id=request_id()
                        ),
                        metadata=self.md,
                    )
                    kind = "write"
                elif roll < 0.4:
                    await tokens.Tokenize(  # type: ignore[attr-defined]
                        token_pb2.TokenizeRequest(parent=ACME, pan=rng.choice(self.pans)), metadata=self.md
                    )
                    kind = "read"
                else:
                    await customers.GetCustomer(  # type: ignore[attr-defined]
                        customer_pb2.GetCustomerRequest(name=rng.choice(self.customers)), metadata=self.md
                    )
                    kind = "read"
                self.outcomes.setdefault(phase, Counter())[f"{kind}:OK"] += 1
                del self.in_flight[call_id]
            except grpc.aio.AioRpcError as e:
                kind = "write" if roll < WRITE_SHARE else "read"
                if e.code() == grpc.StatusCode.CANCELLED and self._stop.is_set():
                    age = self.stopped_at - self.in_flight[call_id]
                    self.failures.append((phase, "CANCELLED-at-stop", f"in flight {age:.1f}s before the stop"))
                    continue
                self.outcomes.setdefault(phase, Counter())[f"{kind}:{e.code().name}"] += 1
                if len(self.failures) < 50:
                    self.failures.append((phase, e.code().name, (e.details() or "")[:200]))


@pytest.mark.timeout(600)
def test_rolling_restarts_lose_no_rpc_and_sigkill_loses_few(tmp_path: Path) -> None:
    root = tmp_path
    (root / "data").mkdir()
    generate_card_keys(root / "keys.json")
    secrets = write_api_keys(root / "api-keys.json")
    servers = [Server(root, i) for i in range(3)]
    servers[0].start()  # first alone: creates the SQLite file and schema
    for s in servers[1:]:
        s.start()
    target = "ipv4:" + ",".join(f"127.0.0.1:{s.port}" for s in servers)
    with grpc.insecure_channel(f"127.0.0.1:{servers[0].port}") as ch:
        admin = Clients(grpc.intercept_channel(ch, _AuthInterceptor(f"Bearer {secrets['acme-admin']}")))
        customers = [create_customer(admin).name for _ in range(50)]
        pans = make_pans(50)
        for pan in pans:
            tokenize(admin, pan)

    load = Load(target, secrets["acme-admin"], customers, pans)
    report: dict[str, object] = {"rate": RATE, "concurrency": CONCURRENCY, "write_share": WRITE_SHARE}
    try:
        load.start()
        time.sleep(3)
        load.phase = "restarts"
        t0 = time.monotonic()
        restarts = 0
        while load.total("restarts") < MIN_CALLS or restarts < 3:
            server = servers[restarts % 3]
            rc = server.stop(signal.SIGTERM)
            assert rc == 0, server.log.read_text()[-3000:]
            server.start()
            restarts += 1
            time.sleep(3)
            assert time.monotonic() - t0 < 400, f"too slow: {load.total('restarts')} calls in 400 s"
        elapsed = time.monotonic() - t0
        report["restarts"] = {
            "restarts": restarts,
            "seconds": round(elapsed, 1),
            "calls": load.total("restarts"),
            "outcomes": dict(load.outcomes["restarts"]),
        }

        load.phase = "sigkill"
        time.sleep(2)
        servers[1].stop(signal.SIGKILL)
        time.sleep(5)
        servers[1].start()
        time.sleep(3)
        load.phase = "after"
        time.sleep(1)
        report["sigkill"] = {"calls": load.total("sigkill"), "outcomes": dict(load.outcomes["sigkill"])}
    finally:
        load.stop()
        for s in servers:
            if s.proc is not None and s.proc.poll() is None:
                s.stop(signal.SIGTERM)
    print("zero-downtime report:", json.dumps(report, indent=2), "\nfirst failures:", load.failures[:10])
    (root / "report.json").write_text(json.dumps(report))

    restart_outcomes = load.outcomes["restarts"]
    failed = {k: v for k, v in restart_outcomes.items() if not k.endswith(":OK")}
    assert load.total("restarts") >= MIN_CALLS
    assert not failed, f"failed RPCs during rolling restarts: {failed}; {load.failures[:10]}"
    # SIGKILL: idempotent reads are retried on another server; only calls the channel may not retry (writes)
    # that were in flight on the killed server can fail, so the failures are a handful, never reads.
    killed = {k: v for k, v in load.outcomes["sigkill"].items() if not k.endswith(":OK")}
    assert sum(v for k, v in killed.items() if k.startswith("read:")) == 0, killed
    assert sum(killed.values()) <= CONCURRENCY, killed
