"""Where the CPU of one LookupCard (and one GetAuthorizationContext) goes above gRPC: the same code the server
runs, in-process, no network.

    python bench/lookup_micro.py WORKSPACE_DIR

WORKSPACE_DIR is a seeded loadtests Workspace (keys, API keys, data, seed manifest). Times, in CPU-µs per
call (best of 5 rounds, so other load on the machine counts least): the interceptor-wrapped call (auth,
metrics, context, servicer, log line), the servicer alone (domain + response encoding), the servicer again
with cold CPU caches (8 MiB of other memory copied before each call, as between requests under load), the domain
lookup alone (store reads + record decode), the per-RPC log line alone, and authentication; then
GetAuthorizationContext by token: its servicer (the rows read, then rules and encoding in one ``_core`` call),
its reads alone, the same call on the Python rules (``Lookup.context_of`` + ``authorization_encoded``, the
reference path the core's answer is held equal to), and its servicer again on a copy of the store where every
cluster has a velocity row of 60 transactions (the seed records none). Prints one JSON object.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parents[1] / "python")]

from crs._core import KeyRing
from crs.api import logs
from crs.api.auth import ApiKeys
from crs.api.call import CURRENT
from crs.api.cluster_convert import authorization_encoded
from crs.api.cluster_servicers import LookupServicer
from crs.api.interceptor import CrsInterceptor
from crs.api.methods import POLICIES
from crs.api.observed_store import ObservedStore
from crs.api.servicers import CardServicer
from crs.domain.app import Domain
from crs.domain.context import CallContext
from crs.domain.records import encode, now_us
from crs.domain.risk.windows import DAY_US, VelocityState, apply_event
from crs.storage import schema
from crs.storage.base import Put
from crs.storage.embedded import EmbeddedStore
from crs.v1 import card_pb2, lookup_pb2

METHOD = "/crs.v1.CardService/LookupCard"
CONTEXT_SERVICER = "GetAuthorizationContext servicer (reads + rules and response in one _core call)"
CONTEXT_READS = "GetAuthorizationContext reads (3 store calls in one snapshot, membership decodes)"
CONTEXT_PYTHON = "GetAuthorizationContext servicer on the Python rules (the reference path)"
CONTEXT_WITH_VELOCITY = "GetAuthorizationContext servicer, each cluster with a 60-transaction velocity row"
CALLS = 2000
ROUNDS = 5


class FakeContext:
    """The parts of grpc.aio.ServicerContext the interceptor and servicer use."""

    def __init__(self, secret: str) -> None:
        self.md = (("authorization", f"Bearer {secret}"), ("user-agent", "bench"))

    def invocation_metadata(self) -> tuple[tuple[str, str], ...]:
        return self.md

    def peer(self) -> str:
        return "ipv4:127.0.0.1:50000"

    def time_remaining(self) -> float | None:
        return None  # no deadline

    async def abort(self, *args: Any) -> None:
        raise RuntimeError("the benchmark call failed")


async def _best(call: Callable[[int], Awaitable[Any]]) -> float:
    for i in range(200):
        await call(i)
    best = float("inf")
    for _round in range(ROUNDS):
        started = time.process_time()
        for i in range(CALLS):
            await call(i)
        best = min(best, (time.process_time() - started) / CALLS * 1e6)
    return best


COLD_BYTES = 8 << 20  # more than this machine's L2 and its share of L3
COLD_CALLS = 500


async def _best_cold(call: Callable[[int], Awaitable[Any]]) -> float:
    """Like ``_best``, but 8 MiB of other memory are copied before each call (not timed), so each call starts
    with cold CPU caches, as it does in a loaded server between two requests (gRPC core, other connections,
    the load generator on the other core)."""
    src, dst = bytearray(COLD_BYTES), bytearray(COLD_BYTES)
    for i in range(50):
        await call(i)
    best = float("inf")
    for _round in range(3):
        spent = 0.0
        for i in range(COLD_CALLS):
            dst[:] = src
            started = time.process_time()
            await call(i)
            spent += time.process_time() - started
        best = min(best, spent / COLD_CALLS * 1e6)
    return best


async def measure(root: Path) -> dict[str, float]:
    keys = KeyRing.from_file(str(root / "card-keys.json"))
    api = ApiKeys.load(root / "api-keys.json")
    secret = json.loads((root / "api-secrets.json").read_text())["switch"]
    manifest = json.loads((root / "seed-manifest.json").read_text())
    tenant = manifest["tenant"]
    store = ObservedStore(EmbeddedStore(root / "data" / "crs.db"))  # as build_server wraps it
    try:
        domain = Domain(store, keys)
        servicer = CardServicer(domain)
        interceptor = CrsInterceptor(api, store, keys)
        wrapped = interceptor._wrap(METHOD, POLICIES[METHOD], servicer.LookupCard)  # the server's own wrapper
        ctx = FakeContext(secret)
        tokens = manifest["tokens"][:500]
        requests = [card_pb2.LookupCardRequest(parent=f"tenants/{tenant}", token=t) for t in tokens]
        CURRENT.set(CallContext(api.authenticate(ctx.md[0][1]), METHOD))

        async def full(i: int) -> None:
            await wrapped(requests[i % len(requests)], ctx)  # type: ignore[arg-type]

        async def servicer_only(i: int) -> None:
            await servicer.LookupCard(requests[i % len(requests)], ctx)  # type: ignore[arg-type]

        async def domain_only(i: int) -> None:
            await domain.cards.lookup(tenant, "", tokens[i % len(tokens)])

        async def log_line(_i: int) -> None:
            logs.rpc_line(METHOD, "OK", 0.5, tenant, "switch", None, ctx.peer(), 1)

        async def auth(_i: int) -> None:
            api.authenticate(ctx.md[0][1])  # lookups carry no request_id: no request hash

        context_servicer = LookupServicer(domain)
        context_requests = [
            lookup_pb2.GetAuthorizationContextRequest(parent=f"tenants/{tenant}", token=t) for t in tokens
        ]

        async def context_call(i: int) -> None:
            await context_servicer.GetAuthorizationContext(context_requests[i % len(tokens)], ctx)  # type: ignore[arg-type]

        async def context_reads(i: int) -> None:
            await domain.lookup.authorization_rows(tenant, token=tokens[i % len(tokens)])

        async def context_python(i: int) -> None:
            rows = await domain.lookup.authorization_rows(tenant, token=tokens[i % len(tokens)])
            now = now_us()
            authorization_encoded(domain.lookup.context_of(rows, now), now)

        results = {
            "interceptor (auth, metrics, log line) + servicer: the whole call above gRPC": await _best(full),
            "servicer (domain + response encoded in _core)": await _best(servicer_only),
            "servicer, caches cold (8 MiB touched before each call)": await _best_cold(servicer_only),
            "domain lookup (3 store calls, card and relationship decodes)": await _best(domain_only),
            "per-RPC log line": await _best(log_line),
            "auth (API key)": await _best(auth),
            CONTEXT_SERVICER: await _best(context_call),
            CONTEXT_READS: await _best(context_reads),
            CONTEXT_PYTHON: await _best(context_python),
        }
        clusters = [(await domain.lookup.authorization_context(tenant, token=t)).cluster for t in tokens]
    finally:
        await store.close()
    # The seed records no transactions, so the calls above read no velocity row: the same call again, on a copy
    # of the store where each cluster of these cards has a row of VELOCITY_EVENTS transactions.
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "crs.db"
        with sqlite3.connect(root / "data" / "crs.db") as src, sqlite3.connect(copy) as dst:
            src.backup(dst)
        store = ObservedStore(EmbeddedStore(copy))
        try:
            ids = {c.id for c in clusters if c is not None}
            await store.apply(
                [Put(schema.velocity_by_cluster, (tenant, c), _velocity_row(i), "v1") for i, c in enumerate(ids)]
            )
            with_velocity = LookupServicer(Domain(store, keys))

            async def velocity_call(i: int) -> None:
                await with_velocity.GetAuthorizationContext(context_requests[i % len(tokens)], ctx)  # type: ignore[arg-type]

            results[CONTEXT_WITH_VELOCITY] = await _best(velocity_call)
        finally:
            await store.close()
    return results


VELOCITY_EVENTS = 60


def _velocity_row(seed: int) -> bytes:
    """A cluster's velocity row after VELOCITY_EVENTS transactions over the last 20 days, in two currencies."""
    rng = random.Random(seed)
    now = now_us()
    state = VelocityState()
    times = sorted(now - rng.randrange(20 * DAY_US) for _ in range(VELOCITY_EVENTS))
    for n, t in enumerate(times):
        apply_event(state, f"txn-{seed}-{n}", t, rng.choice(("EUR", "USD")), rng.randrange(100, 100_000))
    return encode(state)


def main() -> int:
    root = Path(sys.argv[1])
    logs.configure("INFO")
    sys.stderr.flush()
    devnull = os.open(os.devnull, os.O_WRONLY)
    if not os.environ.get("CRS_BENCH_DEBUG"):
        os.dup2(devnull, 2)  # the log lines go nowhere: only their CPU cost is measured
    print(json.dumps(asyncio.run(measure(root))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
