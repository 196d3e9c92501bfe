"""GetCheckoutAdvice and GetRiskSignals over gRPC: requests per second and latency percentiles (bounded).

One command (about 90 s on 2 cores)::

    .venv/bin/python bench/risk_bench.py --customers 200 --transactions 1000 --seconds 15 --concurrency 8

A fresh ``crs serve`` (embedded store, one process) on loopback; ``--customers`` customers each with an account
and a card are created through the API; ``--transactions`` transactions spread over their clusters are fed
through ``Domain.observe_transaction`` on the same store from this process (as RecordTransactions will), so
velocity and SCA state rows exist. Then each method runs for ``--seconds`` with ``--concurrency`` calls in
flight from one asyncio client (random card tokens, amounts EUR 1-400, ECOMMERCE, NL); GetAuthorizationContext
is measured the same way for comparison. The load generator shares the machine with the server. Writes
``bench/results/risk.md`` naming the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc

from crs._core import KeyRing
from crs.domain.app import Domain
from crs.domain.records import now_us
from crs.domain.risk.txn import CHANNEL_ECOMMERCE, SCA_NOT_PERFORMED, SCA_SUCCEEDED, RiskTxn
from crs.storage.embedded import EmbeddedStore
from crs.v1 import (
    account_pb2,
    account_pb2_grpc,
    card_pb2,
    card_pb2_grpc,
    cluster_pb2,
    cluster_pb2_grpc,
    customer_pb2,
    customer_pb2_grpc,
    decision_pb2,
    decision_pb2_grpc,
    lookup_pb2,
    lookup_pb2_grpc,
    risk_pb2,
    risk_pb2_grpc,
    transaction_pb2,
)
from loadtests.harness import TENANT, LocalServer, Workspace

PARENT = f"tenants/{TENANT}"


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}"


def luhn_pan(rng: random.Random) -> str:
    body = "4" + "".join(str(rng.randrange(10)) for _ in range(14))
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return body + str((10 - total % 10) % 10)


async def seed(channel: grpc.aio.Channel, md: tuple[tuple[str, str], ...], n: int, rng: random.Random) -> list[Any]:
    """(customer name, cluster id, card token) per customer, created through the API."""
    customers = customer_pb2_grpc.CustomerServiceStub(channel)
    accounts = account_pb2_grpc.AccountServiceStub(channel)
    cards = card_pb2_grpc.CardServiceStub(channel)
    clusters = cluster_pb2_grpc.ClusterServiceStub(channel)
    out = []
    for i in range(n):
        c = await customers.CreateCustomer(
            customer_pb2.CreateCustomerRequest(
                parent=PARENT,
                customer=customer_pb2.Customer(
                    kind=customer_pb2.CUSTOMER_KIND_PERSON,
                    display_name=f"Bench Person {i} {rng.randrange(10**9)}",
                    emails=[f"bench{i}.{rng.randrange(10**9)}@example.com"],
                ),
            ),
            metadata=md,
        )
        a = await accounts.CreateAccount(
            account_pb2.CreateAccountRequest(
                parent=PARENT,
                account=account_pb2.Account(
                    customer=c.name, kind=account_pb2.ACCOUNT_KIND_CHECKING, currency_code="EUR"
                ),
            ),
            metadata=md,
        )
        card = await cards.RegisterCard(
            card_pb2.RegisterCardRequest(
                parent=PARENT, pan=luhn_pan(rng), expiry_month=12, expiry_year=2031, account=a.name
            ),
            metadata=md,
        )
        cl = await clusters.ResolveCluster(
            cluster_pb2.ResolveClusterRequest(parent=PARENT, customer=c.name), metadata=md
        )
        out.append((c.name, cl.name.rsplit("/", 1)[1], card.token))
    return out


async def feed(ws: Workspace, people: list[Any], n: int, rng: random.Random) -> float:
    """Reports ``n`` transactions through observe_transaction on the server's store; returns ms per transaction."""
    store = EmbeddedStore(ws.data_dir / "crs.db")
    domain = Domain(store, KeyRing.from_file(str(ws.keys_file)))
    t0 = time.perf_counter()
    try:
        for i in range(n):
            name, cluster_id, token = rng.choice(people)
            await domain.observe_transaction(
                RiskTxn(
                    TENANT, f"bench-{i}", cluster_id, name.rsplit("/", 1)[1], token, rng.randrange(100, 40_000),
                    "EUR", f"m{rng.randrange(50)}", "NL", CHANNEL_ECOMMERCE,
                    now_us() - rng.randrange(0, 600_000_000),
                    sca_outcome=SCA_SUCCEEDED if rng.random() < 0.2 else SCA_NOT_PERFORMED,
                )
            )  # fmt: skip
    finally:
        await store.close()
    return (time.perf_counter() - t0) * 1000 / max(n, 1)


async def measure(call: Callable[[], Awaitable[Any]], seconds: float, concurrency: int) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal errors
        while time.perf_counter() < stop:
            t = time.perf_counter()
            try:
                await call()
            except grpc.RpcError:
                errors += 1
                continue
            latencies.append((time.perf_counter() - t) * 1000)

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - t0
    lat = sorted(latencies)
    return {
        "calls": len(lat),
        "errors": errors,
        "rps": len(lat) / elapsed,
        "p50": statistics.median(lat),
        "p99": lat[min(len(lat) - 1, int(len(lat) * 0.99))],
    }


async def run(args: argparse.Namespace) -> tuple[dict[str, dict[str, float]], float, dict[str, float]]:
    rng = random.Random(args.seed)
    results: dict[str, dict[str, float]] = {}
    cpu: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace(Path(tmp) / "ws")
        server = LocalServer(ws, log_level="WARNING").start()
        try:
            async with grpc.aio.insecure_channel(server.address) as channel:
                write_md = (("authorization", f"Bearer {ws.secrets['onboarding']}"),)
                md = (("authorization", f"Bearer {ws.secrets['switch']}"),)
                people = await seed(channel, write_md, args.customers, rng)
                feed_ms = await feed(ws, people, args.transactions, rng)
                decision = decision_pb2_grpc.DecisionServiceStub(channel)
                risk = risk_pb2_grpc.RiskServiceStub(channel)
                lookup = lookup_pb2_grpc.LookupServiceStub(channel)

                def advice() -> Awaitable[Any]:
                    _n, _c, token = rng.choice(people)
                    return decision.GetCheckoutAdvice(
                        decision_pb2.GetCheckoutAdviceRequest(
                            parent=PARENT,
                            card_token=token,
                            amount=risk_pb2.MinorAmount(amount_minor=rng.randrange(100, 40_000), currency_code="EUR"),
                            merchant_id=f"m{rng.randrange(50)}",
                            channel=transaction_pb2.PAYMENT_CHANNEL_ECOMMERCE,
                            country_code="NL",
                            acquirer_fraud_rate_ppm=500,
                        ),
                        metadata=md,
                        timeout=10,
                    )

                def signals() -> Awaitable[Any]:
                    _n, _c, token = rng.choice(people)
                    return risk.GetRiskSignals(
                        risk_pb2.GetRiskSignalsRequest(parent=PARENT, card_token=token), metadata=md, timeout=10
                    )

                def auth_context() -> Awaitable[Any]:
                    _n, _c, token = rng.choice(people)
                    return lookup.GetAuthorizationContext(
                        lookup_pb2.GetAuthorizationContextRequest(parent=PARENT, token=token), metadata=md, timeout=10
                    )

                for label, call in (
                    ("GetCheckoutAdvice", advice),
                    ("GetRiskSignals", signals),
                    ("GetAuthorizationContext (with risk summary)", auth_context),
                ):
                    await measure(call, 1.0, args.concurrency)  # warm-up
                    before = server.cpu_seconds()
                    results[label] = await measure(call, args.seconds, args.concurrency)
                    cpu[label] = (server.cpu_seconds() - before) * 1000 / max(results[label]["calls"], 1)
                listed = await risk.ListRiskAlerts(
                    risk_pb2.ListRiskAlertsRequest(parent=PARENT, page_size=1000), metadata=md, timeout=10
                )
                cpu["alerts"] = len(listed.risk_alerts)
        finally:
            server.stop()
    return results, feed_ms, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, default=200)
    ap.add_argument("--transactions", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--seed", type=int, default=20261126)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "risk.md")
    args = ap.parse_args()
    rows, feed_ms, cpu = asyncio.run(run(args))
    lines = [
        "# Risk signals and checkout advice over gRPC",
        "",
        f"Machine: {machine()}. Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, seed {args.seed}.",
        f"Command: `.venv/bin/python bench/risk_bench.py --customers {args.customers} --transactions "
        f"{args.transactions} --seconds {args.seconds:g} --concurrency {args.concurrency}`.",
        "One `crs serve` process, embedded store (SQLite WAL, synchronous=FULL), loopback, plaintext; the asyncio",
        f"client ({args.concurrency} calls in flight) runs on the same cores, which other jobs may share (indicative",
        f"numbers, not a capacity statement). {args.customers} customers with one",
        f"card each; {args.transactions} transactions reported first (observe_transaction: velocity + SCA state, "
        f"{feed_ms:.1f} ms each: two compare-and-set writes, each one SQLite transaction).",
        "",
        "| method | calls | errors | RPS | p50 ms | p99 ms | server CPU ms/call |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for label, r in rows.items():
        lines.append(
            f"| {label} | {int(r['calls']):,} | {int(r['errors'])} | {r['rps']:.0f} | {r['p50']:.2f} | "
            f"{r['p99']:.2f} | {cpu[label]:.2f} |"
        )
    lines += [
        "",
        "GetRiskSignals reads the card, the cluster (membership, row, members), the velocity row, every member's",
        "identifiers, the card's carriers and each watched customer's recent audit events; GetCheckoutAdvice adds",
        "the SCA state row and the customer's cards and accounts. GetAuthorizationContext adds one keyed read",
        f"(the velocity row) to its per-table reads. Risk alerts stored during the run: {int(cpu.pop('alerts'))}"
        " (an alert is the only write these calls can make).",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
