"""RecordTransactions throughput over gRPC: transactions per second of wall time and per server CPU second.

    python bench/transactions_bench.py [--payers 200] [--seconds 8] [--batch-sizes 1,10,100,500] [--clients 1,4]

Starts one `crs serve` process (embedded store, one worker, logs at WARNING) in a temporary directory, creates
the payers (customer + account + card) over gRPC, then for each (batch size, concurrent clients) sends
BatchRecordTransactions for --seconds with fresh transaction ids spread over the payers and the past 60 days.
"per core" = transactions / server process CPU seconds (utime + stime from /proc), so the load generator,
which shares the machine, is not counted. Every run is bounded by --seconds per configuration.
Prints one JSON line per configuration; --markdown adds a table for bench/results/transactions.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path[:0] = [str(Path(__file__).resolve().parents[1] / "python")]

import grpc
from google.protobuf import timestamp_pb2

from crs.seed import synthetic_pan
from crs.v1 import (
    account_pb2,
    account_pb2_grpc,
    card_pb2,
    card_pb2_grpc,
    customer_pb2,
    customer_pb2_grpc,
    transaction_pb2,
    transaction_pb2_grpc,
)

T = transaction_pb2
PARENT = "tenants/bench"
Metadata = tuple[tuple[str, str | bytes], ...]


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}"


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Server:
    def __init__(self, root: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "python")}
        self.keys = root / "keys.json"
        self.api_keys = root / "api-keys.json"
        subprocess.run([sys.executable, "-m", "crs", "keys", "generate", str(self.keys)], check=True, env=env)
        add = [sys.executable, "-m", "crs", "apikey", "add", "--file", str(self.api_keys), "--tenant", "bench"]
        self.secret = subprocess.run(
            [*add, "--scopes", "read,write,admin"], check=True, env=env, capture_output=True, text=True
        ).stdout.strip()
        port_file = root / "port"
        self.log = open(root / "server.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "crs", "serve", "--port", "0", "--port-file", str(port_file)),
                *("--data-dir", str(root / "data"), "--keys-file", str(self.keys)),
                *("--api-keys-file", str(self.api_keys), "--workers", "1", "--metrics-port", "0"),
                *("--log-level", "WARNING"),
            ],
            env=env,
            stdout=self.log,
            stderr=self.log,
        )
        deadline = time.time() + 60
        while not port_file.exists():
            if time.time() > deadline or self.proc.poll() is not None:
                raise SystemExit("the server did not start; see server.log")
            time.sleep(0.1)
        time.sleep(0.2)
        self.address = f"127.0.0.1:{port_file.read_text().strip()}"

    def metadata(self) -> Metadata:
        return (("authorization", f"Bearer {self.secret}"),)

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()


def _payers(channel: grpc.Channel, md: Metadata, n: int) -> list[str]:
    customers = customer_pb2_grpc.CustomerServiceStub(channel)
    accounts = account_pb2_grpc.AccountServiceStub(channel)
    cards = card_pb2_grpc.CardServiceStub(channel)
    tokens = []
    for i in range(n):
        c = customers.CreateCustomer(
            customer_pb2.CreateCustomerRequest(
                parent=PARENT,
                customer=customer_pb2.Customer(kind=customer_pb2.CUSTOMER_KIND_PERSON, display_name=f"Payer {i}"),
            ),
            metadata=md,
        )
        a = accounts.CreateAccount(
            account_pb2.CreateAccountRequest(
                parent=PARENT,
                account=account_pb2.Account(
                    customer=c.name, kind=account_pb2.ACCOUNT_KIND_CHECKING, currency_code="EUR"
                ),
            ),
            metadata=md,
        )
        card = cards.RegisterCard(
            card_pb2.RegisterCardRequest(
                parent=PARENT, pan=synthetic_pan(7, i), expiry_month=12, expiry_year=2031, account=a.name
            ),
            metadata=md,
        )
        tokens.append(card.token)
    return tokens


def _batch(rng: random.Random, tokens: list[str], size: int, now: datetime) -> T.BatchRecordTransactionsRequest:
    items = []
    for _ in range(size):
        when = timestamp_pb2.Timestamp()
        when.FromDatetime(now - timedelta(minutes=rng.randrange(60 * 24 * 60)))
        items.append(
            T.TransactionInput(
                transaction_id=f"b-{uuid.uuid4().hex}",
                transaction=T.Transaction(
                    kind=rng.choice([T.TRANSACTION_KIND_CAPTURE] * 4 + [T.TRANSACTION_KIND_REFUND]),
                    amount_minor=rng.randrange(100, 50_000),
                    currency_code=rng.choice(["EUR", "EUR", "USD"]),
                    merchant_id=f"m-{rng.randrange(50)}",
                    mcc=rng.choice(["5411", "5812", "4111", "5999"]),
                    merchant_country="EE",
                    channel=rng.choice([T.PAYMENT_CHANNEL_POS, T.PAYMENT_CHANNEL_ECOMMERCE]),
                    card_token=rng.choice(tokens),
                    result=T.TRANSACTION_RESULT_APPROVED,
                    sca_outcome=T.SCA_OUTCOME_FRICTIONLESS,
                    occur_time=when,
                ),
            )
        )
    return T.BatchRecordTransactionsRequest(parent=PARENT, transactions=items)


def measure(server: Server, tokens: list[str], size: int, clients: int, seconds: float) -> dict[str, Any]:
    channel = grpc.insecure_channel(server.address)
    stub = transaction_pb2_grpc.TransactionServiceStub(channel)
    md = server.metadata()
    counts = [0] * clients
    latencies: list[list[float]] = [[] for _ in range(clients)]
    stop = time.monotonic() + seconds
    now = datetime.now(UTC)

    def client(k: int) -> None:
        rng = random.Random(k * 7919 + size)
        while time.monotonic() < stop:
            request = _batch(rng, tokens, size, now)
            started = time.perf_counter()
            resp = stub.BatchRecordTransactions(request, metadata=md, timeout=60)
            latencies[k].append(time.perf_counter() - started)
            if resp.recorded != size:
                raise SystemExit(f"expected {size} recorded, got {resp}")
            counts[k] += size

    cpu0, t0 = _cpu_seconds(server.proc.pid), time.perf_counter()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall, cpu = time.perf_counter() - t0, _cpu_seconds(server.proc.pid) - cpu0
    channel.close()
    total = sum(counts)
    lat = sorted(x for per in latencies for x in per)
    return {
        "batch_size": size,
        "clients": clients,
        "transactions": total,
        "seconds": round(wall, 2),
        "per_second": round(total / wall, 1),
        "server_cpu_seconds": round(cpu, 2),
        "per_server_cpu_second": round(total / cpu, 1) if cpu else 0.0,
        "batch_p50_ms": round(lat[len(lat) // 2] * 1000, 1),
        "batch_p99_ms": round(lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--payers", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--batch-sizes", default="1,10,100,500")
    parser.add_argument("--clients", default="1,4")
    parser.add_argument("--markdown", action="store_true")
    opts = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp))
        try:
            channel = grpc.insecure_channel(server.address)
            tokens = _payers(channel, server.metadata(), opts.payers)
            channel.close()
            for clients in (int(c) for c in opts.clients.split(",")):
                for size in (int(s) for s in opts.batch_sizes.split(",")):
                    row = measure(server, tokens, size, clients, opts.seconds)
                    rows.append(row)
                    print(json.dumps(row), flush=True)
        finally:
            server.close()
    if opts.markdown:
        print(f"\nMachine: {machine()}\n")
        print("| batch size | clients | transactions | tx/s (wall) | tx per server CPU s | batch p50 ms | p99 ms |")
        print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for r in rows:
            print(
                f"| {r['batch_size']} | {r['clients']} | {r['transactions']} | {r['per_second']} | "
                f"{r['per_server_cpu_second']} | {r['batch_p50_ms']} | {r['batch_p99_ms']} |"
            )


if __name__ == "__main__":
    main()
