"""docs/capacity.md from one benchmark run's per-core figures plus the stated assumptions.

Only the inputs marked "measured" come from the run; everything marked "assumed" is a planning parameter
stated here, to be replaced by a measurement when one exists (see the table at the top of the document).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CASSANDRA_SCALE_RESULTS = Path(__file__).resolve().parent / "results" / "cassandra_scale.json"

RATES = (5_000, 25_000, 65_000)


@dataclass(frozen=True)
class Assumptions:
    utilisation: float = 0.5  # plan cores and nodes at 50% busy: survives losing a zone / a node + bursts
    cores_per_app_node: int = 8
    spare_app_nodes: int = 1  # N+1
    replica_reads_per_query: int = 2  # LOCAL_QUORUM at RF=3 reads 2 of 3 replicas
    cassandra_reads_per_node: int = 30_000  # replica reads/s per 8-core node, small rows from page cache
    cassandra_rf: int = 3
    driver_cpu_us_per_query: float = 60.0  # Python driver CPU per query on the app side (not measured here)
    p99_budget_ms: float = 50.0  # switch-side budget for the CRS call at authorization time


@dataclass(frozen=True)
class CassandraMeasured:
    """The Cassandra phase's figures for one method (bench/run.py ``Bench.cassandra``)."""

    rps: float
    crs_cpu_us: float  # CRS server CPU per call on Cassandra
    embedded_cpu_us: float  # the same method on the embedded store, measured alongside
    jvm_cpu_us: float  # Cassandra JVM CPU per call
    queries_per_call: float
    driver_reads_cpu_us: float | None = None  # the same call with reads on the Python driver (older runs: None)
    sized_cpu_us: float | None = None  # CRS CPU per call at half the server's own peak (older runs: None)
    sized_rps: float | None = None

    @property
    def driver_cpu_us_per_query(self) -> float | None:
        if self.queries_per_call <= 0:
            return None
        return (self.crs_cpu_us - self.embedded_cpu_us) / self.queries_per_call


def measured_cassandra(results: dict[str, Any], method: str) -> CassandraMeasured | None:
    """The Cassandra phase's figures for ``method``; None when the phase did not run or was skipped."""
    c = results.get("cassandra") or {}
    if "cassandra" not in c or method not in c["cassandra"]:
        return None
    sized = (c.get("at_half_peak") or {}).get(method)
    return CassandraMeasured(
        rps=float(c["rps"]),
        crs_cpu_us=float(c["cassandra"][method].cpu_us_per_req),
        embedded_cpu_us=float(c["embedded"][method].cpu_us_per_req),
        jvm_cpu_us=float(c["jvm_cpu_us_per_req"][method]),
        queries_per_call=float(c["queries_per_call"][method]),
        driver_reads_cpu_us=(
            float(c["cassandra_driver_reads"][method].cpu_us_per_req)
            if method in (c.get("cassandra_driver_reads") or {})
            else None
        ),
        sized_cpu_us=float(sized.cpu_us_per_req) if sized is not None else None,
        sized_rps=0.5 * float(c["peak_rps"][method]) if sized is not None else None,
    )


def _nodes_for_cassandra(reads_per_s: float, a: Assumptions) -> int:
    n = math.ceil(reads_per_s / (a.cassandra_reads_per_node * a.utilisation))
    n = max(n, a.cassandra_rf)
    return math.ceil(n / a.cassandra_rf) * a.cassandra_rf  # whole racks/zones of RF nodes


def _speedup(workers: dict[str, Any]) -> float:
    n = max(workers, key=int)
    return float(workers[n]["LookupCard by token"].rps / workers["1"]["LookupCard by token"].rps)


def cassandra_scale_summary(path: Path = CASSANDRA_SCALE_RESULTS) -> str | None:
    """One sentence from bench/cassandra_scale.py's committed results (None when there are none)."""
    if not path.exists():
        return None
    r = json.loads(path.read_text())
    runs, jvm = r["measured"]["runs"], r["measured"]["jvm_cpu_us_per_req"]
    changes = []
    for label in runs["small"]:
        small = runs["small"][label]["cpu_us_per_req"] + jvm["small"][label]
        big = runs["big"][label]["cpu_us_per_req"] + jvm["big"][label]
        changes.append(big / small - 1)
    small_n, big_n = r["loaded"]["small"]["customers"], r["loaded"]["big"]["customers"]
    return (
        f"on Cassandra, CRS + JVM CPU per lookup changed by {min(changes):+.1%} to {max(changes):+.1%} between "
        f"{small_n:,} and {big_n:,} customers in a keyspace (one local node, {r['date']}, "
        "bench/results/cassandra_scale.md)"
    )


def render(results: dict[str, Any], a: Assumptions | None = None) -> str:
    a = a or Assumptions()
    tp = results["throughput"]["peak"]
    # The switch's call: GetAuthorizationContext when it exists, else LookupCard. Keyed reads per call, from
    # the code: cards_by_token, cards_by_id, accounts_by_id, relationships_by_account, customers_by_id
    # (+ cluster_by_customer, clusters_by_id for the authorization context).
    method = "GetAuthorizationContext by token" if "GetAuthorizationContext by token" in tp else "LookupCard by token"
    reads_per_lookup: float = 7 if method.startswith("GetAuthorizationContext") else 5
    lookup = tp[method]
    # CPU per call depends on the rate (at a lower rate fewer calls share each event-loop wake-up, so each costs
    # more): size with the figure at about the planned load, half of one process's peak, where the run has it.
    at_half = (results.get("cost") or {}).get("small", {}).get(method)
    lookup_cpu_us = float(at_half.cpu_us_per_req if at_half is not None else lookup.cpu_us_per_req)
    lookup_source = (
        f"measured at {results['cost_rps']:,.0f} RPS, half of one process's peak (BENCHMARKS.md §4, small data "
        f"set; at the peak, §1: {lookup.cpu_us_per_req:,.0f} µs)"
        if at_half is not None
        else "measured at one process's peak (BENCHMARKS.md §1)"
    )
    cass = measured_cassandra(results, method)
    if cass is not None:
        reads_per_lookup = cass.queries_per_call
        cassandra_cpu_us = cass.sized_cpu_us if cass.sized_cpu_us is not None else cass.crs_cpu_us
    else:
        cassandra_cpu_us = lookup_cpu_us + reads_per_lookup * a.driver_cpu_us_per_query
    per_core_embedded = 1e6 / lookup_cpu_us
    per_core_cassandra = 1e6 / cassandra_cpu_us
    seeds = results["seeds"]
    big = seeds["big"]
    big_customers = big["customers"] * (1 + int(big.get("copies", 0)))  # seeded tenant + its copies (bench/run.py)
    bytes_per_customer = big["bytes"] / big_customers
    cost = results["cost"]
    growth = max(cost["big"][label].cpu_us_per_req / cost["small"][label].cpu_us_per_req - 1 for label in cost["small"])
    workers = results.get("workers")
    half = results["throughput"]["half"][method]
    lines = [
        "# Capacity model",
        "",
        "Generated by `bash bench/run.sh` together with `BENCHMARKS.md`, from the same run; do not edit the",
        "numbers by hand. It answers: how many CRS cores and nodes, and how many Cassandra nodes (RF=3), serve",
        "5,000 / 25,000 / 65,000 authorization lookups per second.",
        "",
        "## Inputs",
        "",
        "| input | value | source |",
        "| --- | --- | --- |",
        f"| server CPU per {method} (embedded store) | {lookup_cpu_us:,.0f} µs | {lookup_source} |",
        f"| → lookups per core, embedded store | {per_core_embedded:,.0f}/s | measured |",
        f"| cost growth {seeds['small']['customers']:,} → {big_customers:,} customers in the store | {growth:+.1%} | "
        "measured (§4) |",
        f"| p99 of {method} at 50% of one process's peak | {half.p99_ms:.1f} ms | measured (§2) |",
        f"| store bytes per customer (SQLite, 1 account, 1 card, 3 identifiers) | {bytes_per_customer:,.0f} | "
        "measured |",
        "| per-core figures scale linearly with cores (one worker process per core) | "
        + (
            f"{_speedup(workers):.2f}x with 2 workers measured, on 2 cores shared with the load generator (§3) "
            "| assumed (not shown on this machine) |"
            if workers
            else "`--workers` not landed at the time of the run | assumed |"
        ),
    ]
    if cass is None:
        lines += [
            f"| keyed store reads per call | {reads_per_lookup:.0f} | from the code (`Cards.lookup`, `Lookup`) |",
            f"| Cassandra replica reads per query (LOCAL_QUORUM, RF=3) | {a.replica_reads_per_query} | assumed |",
            f"| Python driver CPU per Cassandra query, app side | {a.driver_cpu_us_per_query:.0f} µs | assumed "
            "(the Cassandra phase of §4 did not run) |",
            f"| → CPU per call on Cassandra | {cassandra_cpu_us:,.0f} µs ({per_core_cassandra:,.0f}/s per core) | "
            "derived |",
        ]
    else:
        lines += [
            f"| Cassandra queries per {method} | {cass.queries_per_call:.2f} | measured (§4, Cassandra: the "
            "node's coordinator requests on the keyspace) |",
            f"| server CPU per {method} on Cassandra (one local node) | {cassandra_cpu_us:,.0f} µs "
            f"({per_core_cassandra:,.0f}/s per core) | "
            + (
                f"measured (§4, Cassandra, at {cass.sized_rps:,.0f} RPS, half of the server's own peak; at "
                f"{cass.rps:,.0f} RPS, the comparison rate: {cass.crs_cpu_us:,.0f} µs) |"
                if cass.sized_cpu_us is not None and cass.sized_rps is not None
                else f"measured (§4, Cassandra, at {cass.rps:,.0f} RPS; embedded alongside: "
                f"{cass.embedded_cpu_us:,.0f} µs) |"
            ),
            "| → app-side CPU per Cassandra query (client + bridging, over an embedded read) | "
            + (f"{cass.driver_cpu_us_per_query:,.0f} µs" if cass.driver_cpu_us_per_query is not None else "—")
            + f" | derived from Cassandra and embedded at the same rate ({cass.rps:,.0f} RPS; embedded: "
            f"{cass.embedded_cpu_us:,.0f} µs) |",
        ]
        if cass.driver_reads_cpu_us is not None:
            lines.append(
                f"| for comparison: the same {method} with reads on the Python driver (`--cassandra-reads driver`) | "
                f"{cass.driver_reads_cpu_us:,.0f} µs ({cass.driver_reads_cpu_us / cass.crs_cpu_us:.2f}x at "
                f"{cass.rps:,.0f} RPS) | measured (§4, Cassandra, same rounds and rate as the native reader); the "
                "sizing uses the native reader (the default) |"
            )
        lines += [
            f"| Cassandra JVM CPU per {method} (RF 1: coordinator and replica in one node) | "
            f"{cass.jvm_cpu_us:,.0f} µs ({cass.jvm_cpu_us / max(cass.queries_per_call, 1e-9):,.0f} µs per query) | "
            "measured (§4, Cassandra) |",
            f"| Cassandra replica reads per query (LOCAL_QUORUM, RF=3) | {a.replica_reads_per_query} | assumed |",
        ]
    lines += [
        f"| Cassandra replica reads/s per {a.cores_per_app_node}-core node at acceptable p99 | "
        f"{a.cassandra_reads_per_node:,} | assumed (RF=3 across zones not measured) |",
        f"| planned utilisation (headroom for a lost node/zone and bursts) | {a.utilisation:.0%} | assumed |",
        f"| CRS node size | {a.cores_per_app_node} cores, +{a.spare_app_nodes} spare node | assumed |",
        f"| p99 budget for the CRS call | {a.p99_budget_ms:.0f} ms | assumed |",
        "",
        "## Sizing",
        "",
        "CRS cores = rate * CPU-µs per lookup / 10⁶ / utilisation; CRS nodes = ⌈cores / node size⌉ + spare.",
        "Cassandra nodes = rate * reads per lookup * replica reads per query / (reads per node * utilisation),",
        "at least RF and a multiple of RF (one rack/zone per replica).",
        "",
        "| lookups/s | CRS cores (Cassandra) | CRS nodes | replica reads/s | Cassandra nodes (RF=3) | "
        "CRS cores if embedded |" + (" Cassandra cores from measured JVM CPU |" if cass is not None else ""),
        "| --- | --- | --- | --- | --- | --- |" + (" --- |" if cass is not None else ""),
    ]
    for rate in RATES:
        cores = math.ceil(rate * cassandra_cpu_us / 1e6 / a.utilisation)
        nodes = math.ceil(cores / a.cores_per_app_node) + a.spare_app_nodes
        replica_reads = round(rate * reads_per_lookup * a.replica_reads_per_query)
        embedded_cores = math.ceil(rate * lookup_cpu_us / 1e6 / a.utilisation)
        row = (
            f"| {rate:,} | {cores:,} | {nodes:,} | {replica_reads:,} | {_nodes_for_cassandra(replica_reads, a)} | "
            f"{embedded_cores:,} |"
        )
        if cass is not None:
            per_query = cass.jvm_cpu_us / max(cass.queries_per_call, 1e-9)
            row += f" {math.ceil(replica_reads * per_query / 1e6 / a.utilisation):,} |"
        lines.append(row)
    if cass is not None:
        lines += [
            "",
            "Last column: replica reads/s * the measured Cassandra JVM CPU per query at RF 1 (one node, coordinator "
            "and replica in one process) / 10⁶ / utilisation — Cassandra cores, assuming a replica read at RF=3 costs "
            "what a query cost the single node (not measured: cross-node messaging, coordinator work at RF=3).",
        ]
    lines += [
        "",
        'The embedded store is one SQLite file on one machine: the "CRS cores if embedded" column is the CPU it '
        "would need, not a deployment option beyond one node (its writes serialize on one writer).",
        "",
        "## What grows with volume",
        "",
        "- **Per lookup: nothing by design.** Every read is keyed (partition key + clustering key); the",
        f"  measured CPU per lookup changed by {growth:+.1%} between {seeds['small']['customers']:,} and "
        f"{big_customers:,} customers in the store" + (f"; {scale}." if (scale := cassandra_scale_summary()) else "."),
        "  Cores and Cassandra nodes grow linearly with the lookup *rate*, not with the number of customers.",
        f"- **Storage** grows linearly with customers and cards: about {bytes_per_customer:,.0f} bytes per customer in",
        "  SQLite here (every table copy, index row and the audit events of its creation); Cassandra adds",
        "  replication (times RF) and compaction headroom. The working set that must stay in page cache for",
        "  millisecond reads is the hot cards' rows, not the whole data set.",
        "- **Audit and idempotency** grow with the *write* rate: three audit rows per change (kept), one",
        "  idempotency row per request_id (48 h TTL). Authorization lookups write nothing.",
        "- **Vault** grows with distinct PANs tokenized (two rows each), including PANs never registered as cards.",
        "- **Hot partitions**: a customer with very many cards or accounts makes its `*_by_customer` partitions",
        "  wide; lookups never scan them (owners are read by account, which is bounded by its relationships).",
        "",
        "## Not measured here (replace the assumptions when measured)",
        "",
        (
            "- Cassandra per-node read capacity at RF=3 across zones (replica reads, cross-zone latency): §4 measured "
            "one local node at RF 1 on cores shared with the server and the load generator."
            if cass is not None
            else "- Cassandra per-node read capacity and the driver's CPU per query (the Cassandra phase did not run "
            "in this run); latency at RF=3 across zones."
        ),
        *(
            []
            if any(label.startswith("GetAuthorizationContext") for label in tp)
            else ["- `GetAuthorizationContext` (customer clusters) reads per call: not landed at the time of the run."]
        ),
        *(
            [
                f"- {big_customers:,} customers in one tenant with lookups spread over all of them: §4's big store "
                f"holds them in {1 + int(big['copies'])} tenants and its lookups address one tenant's "
                f"{big['customers']:,} (BENCHMARKS.md, data sets)."
            ]
            if big.get("copies")
            else []
        ),
        "",
    ]
    return "\n".join(lines)
