"""What making a change's claims one at a time costs on Cassandra: CreateCustomer and RegisterCard latency with the
claims made in order (``_SEQUENTIAL_CLAIMS``, the default since the race fix) against all of them at once (as before).

    python bench/claim_order.py [--calls 150] [--rounds 3] [--out bench/results/claim_order.md]

A claim is an insert-if-not-exists (a lightweight transaction, four round trips of Paxos) on a row that makes a
value unique: a card's token and fingerprint, a customer's identifiers. Since the race fix, a change with up to 16
claims makes them one after another in the change's own order, so of two racing changes the first shared row
decides and the loser holds nothing (``CassandraStore._claim_all``, docs/data-model.md); before, they ran
concurrently. This measures the price: the same domain calls (``Customers.create``, ``Cards.register``, what the
servicers run) one at a time on a fresh keyspace of the local node (127.0.0.1:9042, started here and torn down if
none answers), alternating the two ways in rounds (new customers and cards each time), wall-clock latency per call.
Writes go through the Python driver, as the server's do. Prints the report and writes ``--out``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parents[1] / "python")]

from bench.run import machine
from crs._core import KeyRing
from crs.domain.app import Domain
from crs.domain.names import Name
from crs.seed import ACCOUNT_KIND_CARD, _ctx, _customer_input, synthetic_pan
from crs.storage import cassandra
from crs.storage.base import Write
from loadtests.run import CASSANDRA_DC, CASSANDRA_HOST, cassandra_keyspace

REPO_ROOT = Path(__file__).resolve().parents[1]
TENANT = "claims"
MODES = {"one at a time (now)": cassandra._SEQUENTIAL_CLAIMS, "all at once (before)": 0}


class ClaimCounter:
    """Counts the claims each change makes, around ``CassandraStore._claim_all``."""

    def __init__(self, store: cassandra.CassandraStore) -> None:
        self.last = 0
        inner = store._claim_all

        async def counted(claims: list[Write], made: list[Write]) -> None:
            self.last += len(claims)
            await inner(claims, made)

        store._claim_all = counted  # type: ignore[method-assign]


async def measure(keyspace: str, keys: KeyRing, calls: int, rounds: int) -> dict[str, Any]:
    store = cassandra.CassandraStore([CASSANDRA_HOST], keyspace, CASSANDRA_DC)
    counter = ClaimCounter(store)
    domain = Domain(store, keys)
    cust_ctx, acct_ctx = (
        _ctx(TENANT, "/crs.v1.CustomerService/CreateCustomer"),
        _ctx(TENANT, "/crs.v1.AccountService/CreateAccount"),
    )
    card_ctx = _ctx(TENANT, "/crs.v1.CardService/RegisterCard")
    times: dict[str, dict[str, list[float]]] = {m: {"CreateCustomer": [], "RegisterCard": []} for m in MODES}
    claims: dict[str, int] = {}
    i = 0
    try:
        for _round in range(rounds):
            for mode, sequential in MODES.items():
                cassandra._SEQUENTIAL_CLAIMS = sequential
                for _ in range(calls):
                    i += 1
                    counter.last = 0
                    started = time.perf_counter()
                    cust = await domain.customers.create(cust_ctx, TENANT, _customer_input(i), f"c-{i}")
                    times[mode]["CreateCustomer"].append(time.perf_counter() - started)
                    claims["CreateCustomer"] = counter.last
                    acct = await domain.accounts.create(
                        acct_ctx,
                        TENANT,
                        Name(TENANT, "customers", cust.id),
                        ACCOUNT_KIND_CARD,
                        "EUR",
                        "",
                        (2024, 1, 1),
                        f"a-{i}",
                    )
                    counter.last = 0
                    started = time.perf_counter()
                    await domain.cards.register(
                        card_ctx,
                        TENANT,
                        synthetic_pan(7, i),
                        1 + i % 12,
                        2031,
                        "BENCH",
                        Name(TENANT, "accounts", acct.id),
                        None,
                        f"k-{i}",
                    )
                    times[mode]["RegisterCard"].append(time.perf_counter() - started)
                    claims["RegisterCard"] = counter.last
    finally:
        cassandra._SEQUENTIAL_CLAIMS = MODES["one at a time (now)"]
        await store.close()
    return {"times": times, "claims": claims, "calls": calls, "rounds": rounds}


def _ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def report(result: dict[str, Any], host: dict[str, str]) -> str:
    lines = [
        "# Claims one at a time vs all at once (Cassandra)",
        "",
        f"Generated by `bench/claim_order.py` on {host['date']}; do not edit by hand.",
        "",
        "Machine: " + "; ".join(f"{k} {v}" for k, v in host.items()) + ".",
        "",
        f"One local Cassandra node (RF 1) on the same cores; {result['calls']} calls of each kind per way and round, "
        f"{result['rounds']} rounds alternating the two ways, one call at a time (latency, not throughput). "
        "Wall-clock ms per call.",
        "",
        "| call | claims per call | way | p50 | p90 | p99 | mean |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for call in ("CreateCustomer", "RegisterCard"):
        for mode in MODES:
            t = result["times"][mode][call]
            lines.append(
                f"| {call} | {result['claims'][call]} | {mode} | {_ms(t, 0.5):.1f} | {_ms(t, 0.9):.1f} | "
                f"{_ms(t, 0.99):.1f} | {statistics.fmean(t) * 1000:.1f} |"
            )
    lines += ["", "## Reading", ""]
    for call in ("CreateCustomer", "RegisterCard"):
        now, before = (statistics.median(result["times"][m][call]) for m in MODES)
        n = result["claims"][call]
        lines.append(
            f"- {call} ({n} claim{'' if n == 1 else 's'}): median {now * 1000:.1f} ms one at a time against "
            f"{before * 1000:.1f} ms all at once, {now / before:.2f}x."
        )
    lines += [
        "- On one node every Paxos round trip is a loopback hop; across zones (RF 3, LOCAL_QUORUM/LOCAL_SERIAL) each "
        "claim made in turn adds the replicas' round trip again, so the difference grows with the network latency "
        "between replicas. The order is what makes two racing changes end with one winner (see "
        "docs/data-model.md), so it stays; this is its price.",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--calls", type=int, default=150)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--out", type=Path, default=REPO_ROOT / "bench" / "results" / "claim_order.md")
    a = p.parse_args()
    host = machine()  # names the run's date too
    with tempfile.TemporaryDirectory(prefix="crs-claims-") as root, cassandra_keyspace(Path(root)) as args:
        keyspace = args[args.index("--keyspace") + 1]
        KeyRing.generate(str(Path(root) / "keys.json"))
        keys = KeyRing.from_file(str(Path(root) / "keys.json"))
        result = asyncio.run(measure(keyspace, keys, a.calls, a.rounds))
    text = report(result, host)
    a.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
