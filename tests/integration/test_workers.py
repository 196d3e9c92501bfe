"""`crs serve --workers N`: one port, N processes, restarts, drain; shedding and deadlines (issue 6)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from crs.v1 import customer_pb2, token_pb2
from tests.helpers.data import ACME, create_customer, new_customer, request_id
from tests.helpers.metrics import free_port, scrape, value
from tests.helpers.pans import make_pans
from tests.helpers.server import Clients, CrsServer, _AuthInterceptor

CREATE = "/crs.v1.CustomerService/CreateCustomer"


def _children(pid: int) -> set[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return {int(p) for p in text.split()}


def _rpc_pids(server: CrsServer) -> list[int]:
    pids = []
    for line in server.log_text().splitlines():
        if line.startswith("{") and '"event": "rpc"' in line:
            pids.append(json.loads(line)["pid"])
    return pids


def _fresh_clients(server: CrsServer) -> tuple[grpc.Channel, Clients]:
    """A new connection: SO_REUSEPORT picks a worker per connection."""
    base = grpc.insecure_channel(server.address)
    return base, Clients(grpc.intercept_channel(base, _AuthInterceptor(f"Bearer {server.secrets['acme-admin']}")))


def _retry_backoff() -> list[float]:
    """The pauses before each retry of the documented client policy (deploy/client/service_config.json, the
    lookups' retryPolicy): exponential from initialBackoff, capped at maxBackoff, maxAttempts - 1 of them."""
    config = json.loads((Path(__file__).resolve().parents[2] / "deploy" / "client" / "service_config.json").read_text())
    policy = config["methodConfig"][0]["retryPolicy"]
    first, cap = float(policy["initialBackoff"].rstrip("s")), float(policy["maxBackoff"].rstrip("s"))
    return [min(first * policy["backoffMultiplier"] ** k, cap) for k in range(policy["maxAttempts"] - 1)]


RETRY_BACKOFF = _retry_backoff()


def _create_on_new_connections(server: CrsServer, n: int) -> None:
    for _ in range(n):
        base, clients = _fresh_clients(server)
        try:
            create_customer(clients)
        finally:
            base.close()


@pytest.mark.timeout(240)
def test_two_workers_share_the_port_restart_and_drain(tmp_path: Path) -> None:
    metrics_port = free_port()
    server = CrsServer(root=tmp_path / "crs", extra_args=("--workers", "2", "--metrics-port", str(metrics_port)))
    try:
        server.start()
        assert server.proc is not None
        workers = _children(server.proc.pid)
        assert len(workers) == 2, workers

        # Both workers take traffic, and write the one SQLite file concurrently without errors.
        _create_on_new_connections(server, 24)
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda _: _create_on_new_connections(server, 5), range(8)))
        served = _rpc_pids(server)
        assert len(served) == 64 and set(served) == workers, (len(served), set(served), workers)
        with sqlite3.connect(server.db_file) as db:
            assert db.execute("SELECT count(*) FROM customers_by_id").fetchone()[0] == 64

        # The supervisor merges both workers' metrics on one port.
        samples = scrape(metrics_port)
        assert value(samples, "crs_grpc_requests_total", method=CREATE, code="OK") == 64
        assert value(samples, "crs_store_operation_duration_seconds_count", table="customers_by_id", op="apply") == 64

        # SIGKILL one worker: the supervisor starts a new one and the service keeps answering meanwhile.
        victim = sorted(workers)[0]
        os.kill(victim, signal.SIGKILL)
        failures: list[str] = []
        resets = 0
        t0 = time.monotonic()
        while True:  # calls on new connections all along, for at least 3 s and until the replacement is up
            # A connection the kernel queued on the killed worker's listening socket is reset: UNAVAILABLE,
            # which callers retry with the policy of deploy/client/service_config.json. Within it, every call
            # must succeed.
            for attempt, pause in enumerate([*RETRY_BACKOFF, None]):
                try:
                    _create_on_new_connections(server, 1)
                    break
                except grpc.RpcError as e:
                    if e.code() != grpc.StatusCode.UNAVAILABLE or pause is None:
                        failures.append(f"attempt {attempt + 1}: {e.code().name}")
                        break
                    resets += 1
                    time.sleep(pause)
            now_workers = _children(server.proc.pid)
            if len(now_workers) == 2 and victim not in now_workers and time.monotonic() - t0 > 3:
                break
            assert time.monotonic() - t0 < 30, f"no replacement worker: {now_workers}"
        assert not failures, f"calls failed on new connections while a worker was down: {failures}"
        assert resets <= 3, f"{resets} connections reset: more than the killed worker's backlog"
        replacement = (now_workers - workers).pop()
        t0 = time.monotonic()
        while replacement not in _rpc_pids(server):
            _create_on_new_connections(server, 2)
            assert time.monotonic() - t0 < 30, "the replacement worker never served"
        # Counters survive a worker's death (its samples stay in the multiprocess directory).
        assert value(scrape(metrics_port), "crs_grpc_requests_total", method=CREATE, code="OK") >= 64

        # SIGTERM to the supervisor: every worker drains, the supervisor exits 0.
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(timeout=server.grace_s + 20) == 0, server.log_tail()
        for pid in now_workers:
            assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]
    finally:
        server.close()


@pytest.mark.timeout(120)
def test_over_the_limit_calls_are_shed_with_resource_exhausted(tmp_path: Path) -> None:
    metrics_port = free_port()
    server = CrsServer(
        root=tmp_path / "crs", extra_args=("--max-concurrent-rpcs", "1", "--metrics-port", str(metrics_port))
    )
    try:
        server.start()
        tok = server.clients("acme-tok")
        admin = server.clients("acme-admin")
        long_call = tok.tokens.BatchTokenize.future(
            token_pb2.BatchTokenizeRequest(parent=ACME, pans=make_pans(100_000)), timeout=120
        )
        time.sleep(0.5)
        assert not long_call.done(), "the long call finished too early for the test"
        t0 = time.monotonic()
        with pytest.raises(grpc.RpcError) as err:
            admin.customers.GetCustomer(customer_pb2.GetCustomerRequest(name=f"{ACME}/customers/nope"), timeout=30)
        assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert time.monotonic() - t0 < 2.0, "shedding must be immediate, not queued behind the long call"
        # Health is never shed: probes keep passing on a loaded server.
        health = health_pb2_grpc.HealthStub(server.base_channel())
        assert health.Check(health_pb2.HealthCheckRequest(), timeout=5).status == health_pb2.HealthCheckResponse.SERVING
        long_call.result(timeout=120)
        samples = scrape(metrics_port)
        assert value(samples, "crs_grpc_shed_requests_total", method="/crs.v1.CustomerService/GetCustomer") == 1
        assert (
            value(
                samples,
                "crs_grpc_requests_total",
                method="/crs.v1.CustomerService/GetCustomer",
                code="RESOURCE_EXHAUSTED",
            )
            == 1
        )
        # Under the limit again: served.
        with pytest.raises(grpc.RpcError) as err:
            admin.customers.GetCustomer(customer_pb2.GetCustomerRequest(name=f"{ACME}/customers/nope"), timeout=30)
        assert err.value.code() == grpc.StatusCode.NOT_FOUND
    finally:
        server.close()


@pytest.mark.timeout(120)
def test_expired_deadline_gives_deadline_exceeded_and_writes_nothing(tmp_path: Path) -> None:
    """The call reaches a stopped (SIGSTOP) server and its deadline passes before the server sees it."""
    server = CrsServer(root=tmp_path / "crs")
    try:
        server.start()
        assert server.proc is not None
        admin = server.clients("acme-admin")
        create_customer(admin)  # connection up, schema warm
        customer = new_customer()
        result: dict[str, object] = {}

        def call() -> None:
            try:
                admin.customers.CreateCustomer(
                    customer_pb2.CreateCustomerRequest(parent=ACME, customer=customer, request_id=request_id()),
                    timeout=1.0,
                )
                result["code"] = grpc.StatusCode.OK
            except grpc.RpcError as e:
                result["code"] = e.code()

        server.proc.send_signal(signal.SIGSTOP)
        try:
            t = threading.Thread(target=call)
            t.start()
            t.join(10)
        finally:
            time.sleep(0.5)
            server.proc.send_signal(signal.SIGCONT)
        assert result["code"] == grpc.StatusCode.DEADLINE_EXCEEDED
        time.sleep(1.0)  # whatever the server does with the late call, it has done it now
        page = admin.customers.SearchCustomers(
            customer_pb2.SearchCustomersRequest(parent=ACME, email=customer.emails[0]), timeout=10
        )
        assert list(page.customers) == [], "a call whose deadline had passed wrote its customer"
        late = [json.loads(ln) for ln in server.log_text().splitlines() if '"event": "rpc"' in ln]
        assert all(e["code"] in ("OK", "DEADLINE_EXCEEDED", "CANCELLED") for e in late), late
    finally:
        server.close()
