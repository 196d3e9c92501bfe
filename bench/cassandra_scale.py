"""Cost per lookup on Cassandra at a small vs a 1M-customer keyspace: the "constant cost per transaction" claim
of BENCHMARKS.md §4, on the real store.

    .venv/bin/python bench/cassandra_scale.py --workdir /work/cass-scale --json bench/results/cassandra_scale.json \\
        --md bench/results/cassandra_scale.md

Two embedded workspaces are seeded through the domain (``crs seed``; reused when their manifest is there): the
small one (``--small-customers``) and the big one's source tenant (``--source-customers``). Each is bulk-loaded
into its own keyspace on one local node (``bench/cassandra_bulk.py``: SSTables by CQLSSTableWriter, then
``nodetool import``), the big one ``--copies`` more times under other tenant names, so the big keyspace holds
``source x (1 + copies)`` customers. The requests address the source tenant's customers (an API key is bound to
one tenant). Then one CRS server per keyspace (native reads) is driven by crs-loadgen at one fixed rate, the
two alternated method by method for ``--rounds`` rounds; reported per method: the CRS server's and the
Cassandra JVM's CPU-µs per request and the latency, small vs big, medians of the rounds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
for p in (REPO_ROOT, REPO_ROOT / "python"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from bench import cassandra_bulk  # noqa: E402
from bench.run import (  # noqa: E402
    CASSANDRA_DC,
    CASSANDRA_HOST,
    Bench,
    CassandraNode,
    Run,
    _median,
    _median_cost,
    machine,
    methods,
    write_requests,
)
from loadtests.harness import TENANT, LocalServer, Workspace  # noqa: E402

METHODS = ("LookupCard by token", "LookupCard by PAN", "GetAuthorizationContext by token")
TARGET_GROWTH = 0.20


def _keyspace_exists(keyspace: str) -> bool:
    from crs.storage.cassandra import make_cluster

    cluster = make_cluster([CASSANDRA_HOST], CASSANDRA_DC, request_timeout=30)
    try:
        cluster.connect()
        return keyspace in cluster.metadata.keyspaces
    finally:
        cluster.shutdown()


def _keyspace_rows(keyspace: str) -> int:
    """Rows of the customers table (a full count: slow on a big keyspace, so only run once, after loading)."""
    from crs.storage.cassandra import make_cluster

    cluster = make_cluster([CASSANDRA_HOST], CASSANDRA_DC, request_timeout=600)
    try:
        row = cluster.connect().execute(f"SELECT count(*) FROM {keyspace}.customers_by_id", timeout=600).one()
        return int(row[0])
    finally:
        cluster.shutdown()


def prepare(
    node: CassandraNode, ws: Workspace, keyspace: str, copies: int, work: Path, compact: bool, log: Any
) -> dict[str, Any]:
    """The keyspace loaded with the workspace's tenant and ``copies`` copies (reused when a marker says so)."""
    marker = work / f"loaded-{keyspace}.json"
    if marker.exists() and _keyspace_exists(keyspace):  # a marker of a node torn down since does not count
        loaded: dict[str, Any] = json.loads(marker.read_text())
        log(f"{keyspace}: reusing the load of {loaded['customers']:,} customers")
        return loaded
    from crs.storage.migrate import migrate

    migrate([CASSANDRA_HOST], keyspace, CASSANDRA_DC, 1)
    home = node.nodetool_home()
    env = {"CRS_CASSANDRA_HOME": str(home)} if home else {}
    log(f"{keyspace}: bulk-loading {copies + 1} tenant(s) of {ws.root.name}")
    loaded = cassandra_bulk.load(ws.data_dir / "crs.db", TENANT, keyspace, copies, work / keyspace, env=env)
    log(f"{keyspace}: {loaded}")
    if compact:
        began = time.monotonic()
        out = node.script(home, "nodetool", "1", "compact", keyspace, timeout=7200)
        if out.returncode != 0:
            raise RuntimeError(f"nodetool compact {keyspace} failed: {out.stderr[-500:]}")
        loaded["compact_seconds"] = round(time.monotonic() - began, 1)
        log(f"{keyspace}: compacted in {loaded['compact_seconds']} s")
    loaded["customers"] = _keyspace_rows(keyspace)
    loaded["sstables"] = _sstable_files(home, keyspace)
    marker.write_text(json.dumps(loaded))
    return loaded


def _sstable_files(home: Path | None, keyspace: str) -> dict[str, Any]:
    """Data files and their bytes on disk for the keyspace (the node's data directory)."""
    if home is None:
        return {}
    files = list((home / "node1" / "data" / keyspace).rglob("*-Data.db"))
    return {"data_files": len(files), "bytes": sum(f.stat().st_size for f in files)}


def measure(b: Bench, node: CassandraNode, sides: dict[str, tuple[LocalServer, Workspace, dict[str, Any]]]) -> Any:
    """Peaks, then rounds at one fixed rate, the sides alternated per method; JVM CPU attributed per run."""
    peaks = {
        side: {label: b.measure(server, ws, m).rps for label, m in ms.items()}
        for side, (server, ws, ms) in sides.items()
    }
    rate = b.args.rps or 0.5 * min(min(v.values()) for v in peaks.values())
    b.log(f"peaks {peaks}; measuring at {rate:.0f} rps")
    runs: dict[str, dict[str, list[Run]]] = {side: {} for side in sides}
    jvm: dict[str, dict[str, list[float]]] = {side: {} for side in sides}
    for r in range(b.args.rounds):
        for label in METHODS:
            for side, (server, ws, ms) in sides.items():
                jvm0 = node.cpu_seconds()
                run = b.measure(server, ws, ms[label], rps=rate)
                jvm_us = (node.cpu_seconds() - jvm0) * 1e6 / max(1, run.count)
                runs[side].setdefault(label, []).append(run)
                jvm[side].setdefault(label, []).append(jvm_us)
                b.log(
                    f"round {r + 1} {side} {label}: CRS {run.cpu_us_per_req:.0f} CPU-us/req, JVM {jvm_us:.0f}, "
                    f"p99 {run.p99_ms:.2f} ms, errors {run.errors}"
                )
    return {
        "peak_rps": peaks,
        "rps": rate,
        "runs": {s: {label: _median_cost(v) for label, v in by.items()} for s, by in runs.items()},
        "jvm_cpu_us_per_req": {s: {label: _median(v) for label, v in by.items()} for s, by in jvm.items()},
        "rounds": {s: {label: [x.cpu_us_per_req for x in v] for label, v in by.items()} for s, by in runs.items()},
        "jvm_rounds": jvm,
    }


def _revive(results: dict[str, Any]) -> dict[str, Any]:
    """Runs read back from the JSON file as ``Run`` objects (for --report-only)."""
    runs = results["measured"]["runs"]
    for side, by in runs.items():
        runs[side] = {label: r if isinstance(r, Run) else Run(**r) for label, r in by.items()}
    return results


def report(results: dict[str, Any]) -> str:
    m, small, big = results["machine"], results["loaded"]["small"], results["loaded"]["big"]
    runs, jvm = results["measured"]["runs"], results["measured"]["jvm_cpu_us_per_req"]
    peaks = results["measured"]["peak_rps"]
    out = [
        "# Cost per lookup on Cassandra: small vs 1M-customer keyspace",
        "",
        f"Run {results['date']} on {m.get('CPU', '?')}, {m.get('cores', '?')} cores, {m.get('RAM', '?')}; "
        "one local Cassandra node (`scripts/cassandra.sh`, JVM heap 512 MiB) on the same cores as the CRS server "
        "and crs-loadgen. Command: `.venv/bin/python bench/cassandra_scale.py` "
        f"(rounds {results['args']['rounds']}, {results['args']['duration']} s per run, concurrency "
        f"{results['args']['concurrency']}).",
        "",
        "| keyspace | customers | seeded through the domain | loaded as | rows written | SSTable data files "
        "| bytes on disk |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, k in (("small", small), ("big", big)):
        out.append(
            f"| {name} | {k['customers']:,} | {results['seeds'][name]['customers']:,} "
            f"({results['seeds'][name]['seconds']:.0f} s) | {k['tenants']} tenant(s) | {k['rows']:,} | "
            f"{k['sstables'].get('data_files', '?')} | {k['sstables'].get('bytes', 0) / 2**30:.2f} GiB |"
        )
    out += [
        "",
        f"Both servers at {results['measured']['rps']:.0f} requests/s (half the slower peak), alternated; medians "
        "of the rounds. CPU-µs per request: of the CRS server process, and of the Cassandra JVM in the same runs. "
        "Peaks (one run each, before the rounds; noisy): "
        + "; ".join(f"{label} {peaks['small'][label]:,.0f} small / {peaks['big'][label]:,.0f} big" for label in METHODS)
        + " requests/s.",
        "",
        "| method | CRS small | CRS big | change | JVM small | JVM big | change | CRS+JVM change | p99 small "
        "| p99 big |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    verdicts = []
    for label in METHODS:
        s, b = runs["small"][label], runs["big"][label]
        js, jb = jvm["small"][label], jvm["big"][label]
        crs_change = b.cpu_us_per_req / s.cpu_us_per_req - 1
        jvm_change = jb / js - 1
        total_change = (b.cpu_us_per_req + jb) / (s.cpu_us_per_req + js) - 1
        verdicts.append(total_change <= TARGET_GROWTH)
        out.append(
            f"| {label} | {s.cpu_us_per_req:,.0f} | {b.cpu_us_per_req:,.0f} | {crs_change:+.1%} | {js:,.0f} | "
            f"{jb:,.0f} | {jvm_change:+.1%} | {total_change:+.1%} | {s.p99_ms:.2f} | {b.p99_ms:.2f} |"
        )
    rounds = results["measured"]["rounds"]
    out += [
        "",
        "CRS CPU-µs per request in each round (small / big): "
        + "; ".join(
            f"{label}: {', '.join(f'{x:,.0f}' for x in rounds['small'][label])} / "
            f"{', '.join(f'{x:,.0f}' for x in rounds['big'][label])}"
            for label in METHODS
        )
        + ".",
        "",
        f"Target (issue 6): cost per RPC at 1M customers within {TARGET_GROWTH:.0%} of the small data set: "
        + ("met for every method (CRS + JVM CPU)." if all(verdicts) else "NOT met for every method (table above)."),
        "",
        f"What the big keyspace is: {results['seeds']['big']['customers']:,} customers seeded through the domain "
        f"into tenant `{TENANT}` and {big['tenants'] - 1} copies of every one of its rows under other tenant names "
        "(`bench/cassandra_bulk.py`): the keyspace has the size, partition count, SSTable index and bloom filter "
        "size of the total, and the requests address the source tenant's customers, a "
        f"{results['seeds']['big']['customers'] / big['customers']:.1%} share of it. With "
        f"{m.get('RAM', '?')} of RAM the data files fit in the page cache: this measures the cost of finding a "
        "partition among many (index and bloom filter lookups, key cache), not of disk reads.",
    ]
    if big.get("compact_seconds") is not None:
        out.append(f"The keyspaces were compacted (`nodetool compact`) after loading: {big['compact_seconds']:.0f} s.")
    return "\n".join(out) + "\n"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workdir", type=Path, required=True, help="seeds, SSTables and the node (kept for reuse)")
    p.add_argument("--small-customers", type=int, default=1000)
    p.add_argument("--source-customers", type=int, default=25_000)
    p.add_argument("--copies", type=int, default=39, help="the big keyspace holds source x (1 + copies) customers")
    p.add_argument("--compact", action="store_true", help="nodetool compact each keyspace after loading")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--duration", type=float, default=8.0, help="seconds per run")
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--rps", type=float, default=0.0, help="fixed rate (default: half the slower peak)")
    p.add_argument("--json", type=Path)
    p.add_argument("--md", type=Path)
    p.add_argument("--report-only", type=Path, help="write --md from this results JSON; run nothing")
    a = p.parse_args()
    if a.report_only:
        text = report(_revive(json.loads(a.report_only.read_text())))
        if a.md:
            a.md.write_text(text)
        print(text)
        return 0
    b = Bench(a)
    a.workdir.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": machine(),
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(a).items()},
        "seeds": {},
        "loaded": {},
    }
    workspaces = {"small": Workspace(a.workdir / "small"), "big": Workspace(a.workdir / "big")}
    for side, ws, n, salt in (("small", workspaces["small"], a.small_customers, 1), ("big", workspaces["big"],
                              a.source_customers, 2)):  # fmt: skip
        if ws.manifest_file.exists():
            results["seeds"][side] = json.loads(ws.manifest_file.read_text())
        else:
            b.log(f"seeding {n} customers into {ws.root}")
            results["seeds"][side] = ws.seed(n, salt=salt)
    node = CassandraNode.start_or_reuse(a.workdir / "cassandra")
    b.log(f"node pid {node.pid} ({'started here' if node.home else 'reused'})")
    try:
        keyspaces = {"small": "crs_scale_small", "big": "crs_scale_big"}
        for side, copies in (("small", 0), ("big", a.copies)):
            results["loaded"][side] = prepare(
                node, workspaces[side], keyspaces[side], copies, a.workdir, a.compact, b.log
            )
        for side in keyspaces:
            b.log(f"{keyspaces[side]}: {node.settle(keyspaces[side], timeout=1800)}")
        sides: dict[str, tuple[LocalServer, Workspace, dict[str, Any]]] = {}
        servers = []
        try:
            for side, ws in workspaces.items():
                files = write_requests(ws, results["seeds"][side], 7)
                store = ("--store", "cassandra", "--contact-points", CASSANDRA_HOST, "--keyspace", keyspaces[side],
                         "--local-dc", CASSANDRA_DC)  # fmt: skip
                server = LocalServer(ws, store).start()
                servers.append(server)
                sides[side] = (server, ws, {m.label: m for m in methods(files, True) if m.label in METHODS})
            results["measured"] = measure(b, node, sides)
        finally:
            for server in servers:
                server.stop()
    finally:
        if a.json is None and a.md is None:
            b.log("no --json/--md: results printed only")
        node_left = "left running (reuse it with the same --workdir)" if node.home else "reused, left running"
        b.log(f"node {node_left}")
    text = report(results)
    if a.json:
        a.json.write_text(json.dumps(results, indent=1, default=lambda o: o.__dict__) + "\n")
    if a.md:
        a.md.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
