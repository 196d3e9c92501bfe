"""How long reconciling one new customer takes, with few and with many customers already in the tenant.

One command::

    .venv/bin/python bench/cluster_reconcile.py --sizes 1000,10000 --probes 200

For each size: a fresh embedded store is seeded with that many customers (syllable names, about 40,000
distinct, so a name's blocking keys are shared by a few customers as in real data; plus e-mails, phones
and birth dates; every tenth customer shares a phone with another), each created and reconciled through the
domain layer. Then ``--probes`` new customers are created in each store in turn (one here, one there, so
machine noise hits every size alike) and only their reconciliation (identifiers, match
encodings, candidate scoring, cluster assignment and writes) is timed.
Writes ``bench/results/cluster_reconcile.md`` naming the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from crs._core import KeyRing
from crs.domain.app import Domain
from crs.domain.context import CallContext, Principal
from crs.domain.customers import CustomerInput
from crs.storage.embedded import EmbeddedStore

SYLLABLES = ["ma", "ri", "jaa", "n", "ka", "ti", "pee", "ter", "an", "li", "wei", "jo", "hn", "sa", "ra", "tam", "m"]
SYLLABLES += ["saa", "sep", "p", "zha", "ng", "wa", "mi", "th", "kas", "k", "me", "ts", "il", "ves", "bro", "wn"]
TENANT = "bench"
CTX = CallContext(Principal("bench", TENANT, frozenset({"admin"})), "/crs.v1.CustomerService/CreateCustomer")


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    import os

    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}"


def _word(rng: random.Random) -> str:
    """A name from 2-3 syllables: about 40,000 distinct names, so name blocks stay small as in real data."""
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 3))))


def person(rng: random.Random, i: int, shared_phone: str | None) -> CustomerInput:
    name = f"{_word(rng).title()} {_word(rng).title()}"
    phone = shared_phone or f"+3725{rng.randrange(10**6, 10**7)}"
    return CustomerInput(
        kind=1,
        display_name=name,
        date_of_birth=(rng.randrange(1940, 2005), rng.randrange(1, 13), rng.randrange(1, 29)),
        emails=[f"user{i}.{rng.randrange(10**6)}@example.com"],
        phones=[phone],
    )


async def seeded(root: Path, size: int, rng: random.Random) -> tuple[Domain, EmbeddedStore, float]:
    KeyRing.generate(str(root / "keys.json"))
    store = EmbeddedStore(root / "crs.db")
    domain = Domain(store, KeyRing.from_file(str(root / "keys.json")))
    phones: list[str] = []
    t0 = time.perf_counter()
    for i in range(size):
        shared = rng.choice(phones) if phones and i % 10 == 0 else None
        rec = await domain.customers.create(CTX, TENANT, person(rng, i, shared), "")
        phones.append(rec.phones[0])
        await domain.clusters.engine.reconcile(TENANT, [rec.id], "seed")
    return domain, store, (time.perf_counter() - t0) / max(size, 1) * 1000


async def run(sizes: list[int], probes: int, seed: int) -> list[dict[str, float]]:
    """Seeds one store per size, then probes them in turn (A, B, A, B, ...), so machine noise hits all alike."""
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        worlds = []
        for size in sizes:
            root = Path(tmp) / f"s{size}"
            root.mkdir()
            worlds.append((size, *await seeded(root, size, rng)))
        times: dict[int, list[float]] = {size: [] for size in sizes}
        for j in range(probes):
            for size, domain, _store, _seed_ms in worlds:
                rec = await domain.customers.create(CTX, TENANT, person(rng, size + j, None), "")
                t = time.perf_counter()
                await domain.clusters.engine.reconcile(TENANT, [rec.id], "probe")
                times[size].append((time.perf_counter() - t) * 1000)
        out = []
        for size, _domain, store, seed_ms in worlds:
            await store.close()
            ts = sorted(times[size])
            out.append(
                {
                    "size": size,
                    "seed_per_customer_ms": seed_ms,
                    "p50_ms": statistics.median(ts),
                    "p99_ms": ts[min(len(ts) - 1, int(len(ts) * 0.99))],
                    "mean_ms": statistics.fmean(ts),
                }
            )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--probes", type=int, default=200)
    ap.add_argument("--seed", type=int, default=20261126)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "cluster_reconcile.md")
    args = ap.parse_args()
    rows = asyncio.run(run([int(x) for x in args.sizes.split(",")], args.probes, args.seed))
    lines = [
        "# Cluster reconciliation of one new customer",
        "",
        f"Machine: {machine()}. Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, seed {args.seed}, "
        f"{args.probes} probes per size, embedded store (SQLite WAL, synchronous=FULL: every apply is an fsync).",
        f"Command: `.venv/bin/python bench/cluster_reconcile.py` `--sizes {args.sizes} --probes {args.probes}`.",
        "",
        "| customers in the tenant | seeding ms/customer (create + reconcile) | reconcile p50 ms | p99 ms | mean ms |",
        "| --- | --- | --- | --- | --- |",
    ]
    lines += [
        f"| {r['size']:,} | {r['seed_per_customer_ms']:.1f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} "
        f"| {r['mean_ms']:.2f} |"
        for r in rows
    ]
    if len(rows) >= 2:
        lines += ["", f"p50 ratio largest/smallest: {rows[-1]['p50_ms'] / rows[0]['p50_ms']:.2f}"]
    lines += [
        "",
        "Reconciling reads only the new customer's candidates (customers sharing a blocking key or an identifier)",
        "and the clusters they are in: its cost follows block sizes, not the tenant's size. What still grows with",
        "the tenant here is the SQLite file (fewer page-cache hits) and blocks on birth date + name sound.",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
