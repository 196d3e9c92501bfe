"""GetCustomer360 latency over gRPC at fixed concurrency levels, against a real `crs serve` process.

One command (bounded: about a minute with the defaults)::

    .venv/bin/python bench/customer360_bench.py --customers 200 --concurrency 1,8 --seconds 20

A fresh embedded store is seeded over gRPC: every customer gets 2 accounts, 2 cards, its own profile, 3 support
cases (one resolved), 6 feedback entries, 15 card transactions over the past 60 days (so segments and the last 10
transactions are in the view) and one notification (its second card blocked); every second customer shares a
bank-account identifier with the one before, so they form a cluster of two, and that cluster gets a profile the pair
inherits from. Then, for each ``--concurrency`` level, that many asyncio workers on one grpc.aio channel call
GetCustomer360 for random customers for ``--seconds`` (after a warm-up), each timing its own calls. The client runs
on the same machine as the server and shares its cores. Writes ``bench/results/customer360.md`` naming the machine
(``--no-write``: print only).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import grpc
from google.protobuf import field_mask_pb2, timestamp_pb2

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "python") not in sys.path:
    sys.path.insert(0, str(ROOT / "python"))

from crs._core import KeyRing, luhn_valid  # noqa: E402
from crs.api.auth import add_key  # noqa: E402
from crs.v1 import (  # noqa: E402
    account_pb2,
    account_pb2_grpc,
    card_pb2,
    card_pb2_grpc,
    cluster_pb2,
    cluster_pb2_grpc,
    customer360_pb2,
    customer360_pb2_grpc,
    customer_pb2,
    customer_pb2_grpc,
    profile_pb2,
    profile_pb2_grpc,
    support_pb2,
    support_pb2_grpc,
    transaction_pb2,
    transaction_pb2_grpc,
)

TENANT = "bench"
PARENT = f"tenants/{TENANT}"
RESULTS = ROOT / "bench" / "results" / "customer360.md"


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}"


def pan(rng: random.Random) -> str:
    while True:
        body = "411111" + "".join(str(rng.randrange(10)) for _ in range(10))
        if luhn_valid(body):
            return body


def iban(seed: int) -> str:
    bban = f"22{seed:014d}"
    check = 98 - int("".join(str(int(ch, 36)) for ch in bban + "EE00")) % 97
    return f"EE{check:02d}{bban}"


class Server:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        KeyRing.generate(str(workdir / "card-keys.json"))
        self.secret = add_key(workdir / "api-keys.json", "bench", TENANT, ["admin"])
        self.port_file = workdir / "port"
        self.log = open(workdir / "server.log", "wb")  # noqa: SIM115
        cmd = [sys.executable, "-m", "crs", "serve", "--host", "127.0.0.1", "--port", "0"]
        cmd += ["--port-file", str(self.port_file), "--data-dir", str(workdir / "data")]
        cmd += ["--keys-file", str(workdir / "card-keys.json"), "--api-keys-file", str(workdir / "api-keys.json")]
        cmd += ["--workers", "1", "--metrics-port", "0"]
        env = dict(os.environ, PYTHONPATH=str(ROOT / "python"))
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=self.log, env=env)
        deadline = time.monotonic() + 30
        while not (self.port_file.exists() and self.port_file.read_text().strip().isdigit()):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"server did not start; see {workdir / 'server.log'}")
            time.sleep(0.05)
        self.address = f"127.0.0.1:{self.port_file.read_text().strip()}"

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.secret}"),)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def seed(server: Server, customers: int, rng: random.Random) -> list[str]:
    """Creates the data set over gRPC (sync stubs); returns the customer names."""
    ch = grpc.insecure_channel(server.address)
    md = server.metadata
    cust = customer_pb2_grpc.CustomerServiceStub(ch)
    acc = account_pb2_grpc.AccountServiceStub(ch)
    cards = card_pb2_grpc.CardServiceStub(ch)
    idents = cluster_pb2_grpc.IdentifierServiceStub(ch)
    clusters = cluster_pb2_grpc.ClusterServiceStub(ch)
    prof = profile_pb2_grpc.ProfileServiceStub(ch)
    sup = support_pb2_grpc.SupportServiceStub(ch)
    txns = transaction_pb2_grpc.TransactionServiceStub(ch)
    names: list[str] = []
    mask = field_mask_pb2.FieldMask
    for i in range(customers):
        c = cust.CreateCustomer(
            customer_pb2.CreateCustomerRequest(
                parent=PARENT,
                customer=customer_pb2.Customer(
                    kind=customer_pb2.CUSTOMER_KIND_PERSON,
                    display_name=f"Bench Person {i}",
                    emails=[f"p{i}-{uuid.uuid4().hex[:6]}@example.com"],
                    preferred_language="en",
                ),
            ),
            metadata=md,
        )
        names.append(c.name)
        tokens = []
        for currency in ("EUR", "USD"):
            a = acc.CreateAccount(
                account_pb2.CreateAccountRequest(
                    parent=PARENT,
                    account=account_pb2.Account(
                        customer=c.name, kind=account_pb2.ACCOUNT_KIND_CHECKING, currency_code=currency
                    ),
                ),
                metadata=md,
            )
            card = cards.RegisterCard(
                card_pb2.RegisterCardRequest(
                    parent=PARENT, pan=pan(rng), expiry_month=12, expiry_year=2031, account=a.name
                ),
                metadata=md,
            )
            tokens.append(card.token)
        prof.UpdateProfile(
            profile_pb2.UpdateProfileRequest(
                profile=profile_pb2.Profile(
                    name=f"{c.name}/profile",
                    preferred_currency="EUR",
                    default_payment_methods={"POS": profile_pb2.PaymentMethod(card_token=tokens[0])},
                ),
                update_mask=mask(paths=["preferred_currency", "default_payment_methods"]),
            ),
            metadata=md,
        )
        now = time.time()
        items = [
            transaction_pb2.TransactionInput(
                transaction_id=f"b{i}-{k}-{uuid.uuid4().hex[:8]}",
                transaction=transaction_pb2.Transaction(
                    kind=transaction_pb2.TRANSACTION_KIND_CAPTURE,
                    amount_minor=rng.randrange(100, 20_000),
                    currency_code="EUR",
                    merchant_id=f"m-{rng.randrange(20)}",
                    mcc="5411",
                    channel=transaction_pb2.PAYMENT_CHANNEL_POS,
                    card_token=tokens[0],
                    result=transaction_pb2.TRANSACTION_RESULT_APPROVED,
                    occur_time=timestamp_pb2.Timestamp(seconds=int(now - 86_400 * (60 - 4 * k))),
                ),
            )
            for k in range(15)
        ]
        txns.BatchRecordTransactions(
            transaction_pb2.BatchRecordTransactionsRequest(parent=PARENT, transactions=items), metadata=md
        )
        cards.UpdateCardState(
            card_pb2.UpdateCardStateRequest(
                name=f"{PARENT}/cards/{card.name.rsplit('/', 1)[1]}", state=card_pb2.CARD_STATE_BLOCKED, reason="lost"
            ),
            metadata=md,
        )
        for k in range(3):
            case = sup.CreateCase(
                support_pb2.CreateCaseRequest(
                    parent=PARENT, support_case=support_pb2.SupportCase(customer=c.name, subject=f"case {k}")
                ),
                metadata=md,
            )
            if k == 0:
                sup.ResolveCase(support_pb2.ResolveCaseRequest(name=case.name, resolution="done"), metadata=md)
        for k in range(6):
            sup.CreateFeedback(
                support_pb2.CreateFeedbackRequest(
                    parent=c.name,
                    feedback=support_pb2.Feedback(
                        rating=1 + k % 5, category=support_pb2.FEEDBACK_CATEGORY_PAYMENTS, text=f"fb {k}"
                    ),
                ),
                metadata=md,
            )
        if i % 2 == 1:  # pair with the previous customer: one cluster of two with its own profile
            shared = iban(10**9 + i)
            for member in names[-2:]:
                idents.CreateIdentifier(
                    cluster_pb2.CreateIdentifierRequest(
                        parent=member,
                        identifier=cluster_pb2.Identifier(kind=cluster_pb2.IDENTIFIER_KIND_BANK_ACCOUNT, value=shared),
                    ),
                    metadata=md,
                )
            cl = clusters.ResolveCluster(cluster_pb2.ResolveClusterRequest(parent=PARENT, customer=c.name), metadata=md)
            prof.UpdateProfile(
                profile_pb2.UpdateProfileRequest(
                    profile=profile_pb2.Profile(name=f"{cl.name}/profile", preferred_language="et"),
                    update_mask=mask(paths=["preferred_language"]),
                ),
                metadata=md,
            )
    ch.close()
    return names


async def measure(
    server: Server, names: list[str], concurrency: int, seconds: float, warmup: float
) -> dict[str, float]:
    async with grpc.aio.insecure_channel(server.address) as ch:
        stub = customer360_pb2_grpc.Customer360ServiceStub(ch)
        latencies: list[float] = []
        errors = 0
        rng = random.Random(7)

        async def worker(until: float, record: bool) -> None:
            nonlocal errors
            while time.monotonic() < until:
                req = customer360_pb2.GetCustomer360Request(customer=rng.choice(names))
                started = time.perf_counter()
                try:
                    view = await stub.GetCustomer360(req, metadata=server.metadata, timeout=10)
                except grpc.aio.AioRpcError:
                    errors += 1
                    continue
                if record:
                    latencies.append(time.perf_counter() - started)
                    assert len(view.cards) == 2 and len(view.open_cases) == 2 and len(view.recent_feedback) == 5
                    assert len(view.recent_transactions) == 10 and view.HasField("segments")
                    assert len(view.recent_notifications) == 1

        await asyncio.gather(*(worker(time.monotonic() + warmup, False) for _ in range(concurrency)))
        load_before = os.getloadavg()[0]
        cpu0, t0 = time.process_time(), time.monotonic()
        await asyncio.gather(*(worker(time.monotonic() + seconds, True) for _ in range(concurrency)))
        elapsed, client_cpu = time.monotonic() - t0, time.process_time() - cpu0
    if not latencies:
        raise SystemExit("no successful calls")
    ms = sorted(x * 1000 for x in latencies)
    q = statistics.quantiles(ms, n=100, method="inclusive")
    return {
        "calls": len(ms),
        "errors": errors,
        "seconds": round(elapsed, 2),
        "calls_per_second": round(len(ms) / elapsed, 1),
        "p50_ms": round(q[49], 2),
        "p90_ms": round(q[89], 2),
        "p99_ms": round(q[98], 2),
        "max_ms": round(ms[-1], 2),
        "mean_ms": round(statistics.fmean(ms), 2),
        "client_cpu_ms_per_call": round(client_cpu * 1000 / len(ms), 3),
        "load_average_1m_before": round(load_before, 2),
    }


def report(args: argparse.Namespace, seed_seconds: float, levels: list[int], results: list[dict[str, float]]) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    keys = ["calls", "errors", "calls_per_second", "p50_ms", "p90_ms", "p99_ms", "max_ms", "mean_ms"]
    keys += ["client_cpu_ms_per_call", "load_average_1m_before"]
    rows = "\n".join(
        "| " + " | ".join(str(x) for x in (n, *(r[k] for k in keys))) + " |"
        for n, r in zip(levels, results, strict=True)
    )
    return f"""# GetCustomer360 latency

Measured {now} with `bench/customer360_bench.py --customers {args.customers} --concurrency {args.concurrency} \\
--seconds {args.seconds:g}` on {machine()}.

Set-up: one `crs serve` process (embedded SQLite store, `--workers 1`, INFO log line per RPC), loopback
plaintext gRPC; the load generator (one grpc.aio channel, N concurrent callers, {args.seconds:g} s per level)
runs on the same machine and shares its cores. Data: {args.customers} customers seeded over gRPC in
{seed_seconds:.0f} s, each with 2 accounts, 2 cards, a profile, 3 cases (2 open), 6 feedback entries, 15
transactions over 60 days and 1 notification; pairs of customers form clusters of two with a cluster profile. Each
call returns the customer, its cluster, 2 accounts, 2 masked cards, the effective profile (own + cluster), 2 open
cases, the 5 newest feedback entries, the segments, the 10 newest transactions and the notification.
{args.warmup:.0f} s warm-up per level not counted.
The machine is shared with other work: the last column is its 1-minute load average when each level began.

| concurrency | calls | errors | calls/s | p50 ms | p90 ms | p99 ms | max ms | mean ms | client CPU ms/call | load |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
{rows}

The server reads, per call, in two concurrent waves: customer, cluster membership, the customer's account and
card index partitions, the OPEN and ASSIGNED case partitions and the feedback partition; then the cluster row,
the own and cluster profile rows and the account and card rows (`get_many`). At a fixed concurrency the
latency above one caller's is queueing behind one event loop (mean ≈ concurrency / throughput). The numbers
bound what one worker process does on this machine while the load generator takes a share of the same cores;
they are not a capacity figure for a dedicated server.
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--concurrency", default="1,8", help="comma-separated; one measurement per level")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--no-write", action="store_true", help="print the result, do not write the results file")
    args = parser.parse_args()
    levels = [int(x) for x in args.concurrency.split(",")]
    if args.customers < 2 or args.customers > 2000 or args.seconds * len(levels) > 90 or min(levels) < 1:
        raise SystemExit("keep it bounded: 2..2000 customers, at most 90 s of measurement in all")
    rng = random.Random(2026)
    with tempfile.TemporaryDirectory(prefix="crs-c360-") as tmp:
        server = Server(Path(tmp))
        try:
            started = time.monotonic()
            names = seed(server, args.customers, rng)
            seed_seconds = time.monotonic() - started
            results = [asyncio.run(measure(server, names, n, args.seconds, args.warmup)) for n in levels]
        finally:
            server.stop()
    for n, result in zip(levels, results, strict=True):
        print(json.dumps({"concurrency": n, **result}))
    if not args.no_write:
        RESULTS.write_text(report(args, seed_seconds, levels, results))
        print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
