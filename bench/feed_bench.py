"""Change-feed throughput and change-to-consumer latency, through a real server process (embedded store).

One command (bounded, about a minute)::

    .venv/bin/python bench/feed_bench.py --changes 5000 --rate 100 --seconds 15

1. Throughput: ``--changes`` account updates are committed first; then one consumer subscribes from a cursor
   before them and drains them: events per second delivered to one consumer (catch-up speed).
2. Latency: a producer commits updates at ``--rate`` per second for ``--seconds`` while one consumer follows
   live; per event, receipt time minus its commit_time (same machine clock): p50/p99. This includes the settle
   horizon (``--settle``, the server's ``--feed-settle``), which dominates by design.
Writes ``bench/results/feed.md`` naming the machine (``uname -a``, ``nproc``).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import grpc
from google.protobuf import field_mask_pb2

from crs.api.auth import add_key
from crs.v1 import (
    account_pb2,
    account_pb2_grpc,
    changefeed_pb2,
    changefeed_pb2_grpc,
    customer_pb2,
    customer_pb2_grpc,
)

ROOT = Path(__file__).resolve().parents[1]
Metadata = tuple[tuple[str, str], ...]


class Server:
    def __init__(self, workdir: Path, settle: float) -> None:
        self.secret = add_key(workdir / "api-keys.json", "bench", "bench", ["admin"])
        port_file = workdir / "port"
        env = {**os.environ, "PYTHONPATH": str(ROOT / "python")}
        cmd = [sys.executable, "-m", "crs", "serve", "--port", "0", "--port-file", str(port_file)]
        cmd += ["--data-dir", str(workdir / "data"), "--api-keys-file", str(workdir / "api-keys.json")]
        cmd += ["--workers", "1", "--metrics-port", "0", "--feed-settle", str(settle), "--log-level", "WARNING"]
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not port_file.exists():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("the server did not start")
            time.sleep(0.1)
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port_file.read_text().strip()}")
        grpc.channel_ready_future(self.channel).result(timeout=30)
        self.md: Metadata = (("authorization", f"Bearer {self.secret}"),)

    def close(self) -> None:
        self.channel.close()
        self.proc.terminate()
        self.proc.wait(timeout=30)


def setup(s: Server, accounts: int) -> list[account_pb2.Account]:
    customers = customer_pb2_grpc.CustomerServiceStub(s.channel)
    stub = account_pb2_grpc.AccountServiceStub(s.channel)
    owner = customers.CreateCustomer(
        customer_pb2.CreateCustomerRequest(
            parent="tenants/bench",
            customer=customer_pb2.Customer(kind=customer_pb2.CUSTOMER_KIND_PERSON, display_name="Bench Owner"),
        ),
        metadata=s.md,
    )
    return [
        stub.CreateAccount(
            account_pb2.CreateAccountRequest(
                parent="tenants/bench",
                account=account_pb2.Account(
                    customer=owner.name,
                    kind=account_pb2.ACCOUNT_KIND_CHECKING,
                    currency_code="EUR",
                    display_name=f"a{i}",
                ),
            ),
            metadata=s.md,
        )
        for i in range(accounts)
    ]


def update(s: Server, stub: account_pb2_grpc.AccountServiceStub, a: account_pb2.Account, i: int) -> account_pb2.Account:
    change = account_pb2.Account(name=a.name, display_name=f"v{i}", etag=a.etag)
    mask = field_mask_pb2.FieldMask(paths=["display_name"])
    result: account_pb2.Account = stub.UpdateAccount(
        account_pb2.UpdateAccountRequest(account=change, update_mask=mask), metadata=s.md
    )
    return result


def cursor_now(s: Server) -> str:
    feed = changefeed_pb2_grpc.ChangeFeedServiceStub(s.channel)
    req = changefeed_pb2.ExportSnapshotRequest(parent="tenants/bench", resource_types=["relationships"])
    return next(i.end.cursor for i in feed.ExportSnapshot(req, metadata=s.md) if i.HasField("end"))


def throughput(s: Server, current: list[account_pb2.Account], changes: int) -> tuple[float, float]:
    """Updates ``current`` in place (its etags stay usable)."""
    stub = account_pb2_grpc.AccountServiceStub(s.channel)
    start_cursor = cursor_now(s)
    t0 = time.perf_counter()
    for i in range(changes):
        k = i % len(current)
        current[k] = update(s, stub, current[k], i)
    write_rate = changes / (time.perf_counter() - t0)
    time.sleep(3.0)  # past the settle horizon: everything is readable
    feed = changefeed_pb2_grpc.ChangeFeedServiceStub(s.channel)
    req = changefeed_pb2.SubscribeRequest(
        consumer="tenants/bench/consumers/throughput",
        start_cursor=start_cursor,
        resource_types=["accounts"],
        max_events=changes,
    )
    t0 = time.perf_counter()
    got = sum(1 for item in feed.Subscribe(req, metadata=s.md) if item.HasField("event"))
    elapsed = time.perf_counter() - t0
    assert got == changes, f"delivered {got} of {changes}"
    return changes / elapsed, write_rate


def latency(s: Server, accounts: list[account_pb2.Account], rate: float, seconds: float) -> tuple[list[float], int]:
    stub = account_pb2_grpc.AccountServiceStub(s.channel)
    feed = changefeed_pb2_grpc.ChangeFeedServiceStub(s.channel)
    req = changefeed_pb2.SubscribeRequest(
        consumer="tenants/bench/consumers/latency", start_position=changefeed_pb2.LATEST, resource_types=["accounts"]
    )
    call = feed.Subscribe(req, metadata=s.md)
    made = 0
    done = threading.Event()

    def produce() -> None:
        nonlocal made
        current = accounts
        t0 = time.monotonic()
        try:
            while time.monotonic() - t0 < seconds:
                k = made % len(current)
                current[k] = update(s, stub, current[k], 1_000_000 + made)
                made += 1
                time.sleep(max(0.0, t0 + made / rate - time.monotonic()))
        finally:
            done.set()

    producer = threading.Thread(target=produce)
    lat: list[float] = []
    time.sleep(0.5)
    producer.start()
    try:
        for item in call:
            if item.HasField("event"):
                lat.append(time.time() - item.event.commit_time.ToMicroseconds() / 1e6)
            if done.is_set() and len(lat) >= made:
                break
    finally:
        call.cancel()
        producer.join()
    return lat, made


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--changes", type=int, default=5000)
    p.add_argument("--rate", type=float, default=100.0)
    p.add_argument("--seconds", type=float, default=15.0)
    p.add_argument("--settle", type=float, default=2.0)
    p.add_argument("--accounts", type=int, default=50)
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "feed.md")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp), args.settle)
        try:
            accounts = setup(server, args.accounts)
            eps, write_rate = throughput(server, accounts, args.changes)
            lat, made = latency(server, accounts, args.rate, args.seconds)
        finally:
            server.close()
    uname = subprocess.run(["uname", "-a"], capture_output=True, text=True, check=False).stdout.strip()
    nproc = subprocess.run(["nproc"], capture_output=True, text=True, check=False).stdout.strip()
    ms = [x * 1000 for x in lat]
    p50 = statistics.median(ms)
    text = f"""# Change feed benchmark

`bench/feed_bench.py --changes {args.changes} --rate {args.rate:g} --seconds {args.seconds:g} --settle {args.settle:g}`,
{datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}. One `crs serve` process (embedded store, one worker) and the
benchmark client on the same machine:

- `uname -a`: `{uname}`
- `nproc`: {nproc}; Python {platform.python_version()}
- The machine was shared with other work while this ran (other engineers' builds and tests): numbers are a floor.

| measure | result |
| --- | --- |
| feed throughput to one consumer (catch-up over {args.changes} committed account updates) | {eps:,.0f} events/s |
| (for scale) the same updates written by one sequential client | {write_rate:,.0f} changes/s |
| change-to-consumer latency, p50 ({len(lat)} events at {args.rate:g}/s, settle {args.settle:g} s) | {p50:,.0f} ms |
| change-to-consumer latency, p99 | {pct(ms, 99):,.0f} ms |
| change-to-consumer latency, max | {max(ms):,.0f} ms |
| events delivered / changes made in the latency run | {len(lat)} / {made} |

Latency is receipt time minus the event's `commit_time` (same clock). It is the settle horizon
(`--feed-settle`, {args.settle:g} s: events are held back until no earlier commit can still land) plus the
poll interval (50 ms after events, up to 1 s when idle) plus delivery; lower `--feed-settle` trades latency for
a smaller margin for write latency and clock skew between server processes (docs/back-office.md).
"""
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
