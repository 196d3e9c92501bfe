"""Benchmark of ``crs._core.ClusterIndex`` against scipy and a pure-Python union-find.

One command runs everything and writes ``bench/results/cluster_index.md``::

    .venv/bin/python bench/cluster_index.py --sizes 1000000,10000000

Each (size, method) runs in its own subprocess (``--worker``) so resident-memory deltas are not
polluted by earlier runs. Every worker regenerates the same graph from a fixed seed:

* N nodes with random 16-byte keys, grouped into clusters whose sizes are mostly 1-3 with a
  long (Zipf 2.2) tail capped at 2,000;
* a random spanning tree per cluster, plus random extra edges inside non-singleton clusters so
  there is about one edge per node; singletons are given as self pairs ``(k, k)``.

Methods: ``build`` (``ClusterIndex.build``), ``link`` (a Python loop of ``ClusterIndex.link``),
``link_many``, ``scipy`` (``scipy.sparse.csgraph.connected_components`` on integer ids from COO
arrays, plus a label-sorted member index; the 16-byte-key to id mapping is timed separately), and
``python`` (dict-based union-find with union by size, path halving, and member lists).
"""

from __future__ import annotations

import argparse
import ctypes
import datetime
import gc
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

SEED = 20240611
QUERIES = 100_000
MEMBER_QUERIES = 10_000
METHODS = ["build", "build_arena1", "link", "link_many", "scipy", "python"]
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


LIBC = ctypes.CDLL("libc.so.6")


def settled_rss() -> int:
    """RSS after a GC and glibc ``malloc_trim``, so freed heap memory is not counted (or reused unseen)."""
    gc.collect()
    LIBC.malloc_trim(0)
    return rss()


Graph = tuple[NDArray[np.uint8], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]


def generate(n: int) -> Graph:
    """Keys (n x 16), edge endpoints (src, dst as node ids), and singleton ids."""
    rng = np.random.default_rng(SEED)
    kind = rng.random(n)
    sizes = np.where(kind < 0.55, 1, np.where(kind < 0.80, 2, np.where(kind < 0.90, 3, 0)))
    tail = sizes == 0
    sizes[tail] = np.minimum(3 + rng.zipf(2.2, int(tail.sum())), 2000)
    ends = np.cumsum(sizes)
    count = int(np.searchsorted(ends, n)) + 1
    sizes = sizes[:count]
    sizes[-1] -= int(ends[count - 1]) - n
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    cluster_of = np.repeat(np.arange(count), sizes)
    node = np.arange(n)
    start_of = starts[cluster_of]
    size_of = sizes[cluster_of]
    # Spanning tree: every non-first node links to a random earlier node of its cluster.
    child = node[node > start_of]
    parent = start_of[child] + (rng.random(child.size) * (child - start_of[child])).astype(np.int64)
    # Extra distinct edges inside clusters of 4 or more (clusters of 2 and 3 have little or no room
    # besides their tree edges), up to one distinct edge per node in total.
    need = n - child.size
    multi = node[size_of >= 4]
    take = np.zeros(0, dtype=np.int64)
    a = b = take
    if need > 0 and multi.size:
        cand = 4 * need + 16
        a = multi[rng.integers(0, multi.size, cand)]
        offset = 1 + (rng.random(cand) * (size_of[a] - 1)).astype(np.int64)
        b = start_of[a] + (a - start_of[a] + offset) % size_of[a]
        code = np.minimum(a, b) * n + np.maximum(a, b)
        first = np.sort(np.unique(code, return_index=True)[1])
        tree_code = np.minimum(child, parent) * n + np.maximum(child, parent)
        take = first[~np.isin(code[first], tree_code)][:need]
    src = np.concatenate((child, a[take]))
    dst = np.concatenate((parent, b[take]))
    singles = node[size_of == 1]
    keys = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    return keys, src, dst, singles


def key_list(keys: NDArray[np.uint8]) -> list[bytes]:
    raw = keys.tobytes()
    return [raw[i : i + 16] for i in range(0, len(raw), 16)]


def pair_list(
    keys: list[bytes], src: NDArray[np.int64], dst: NDArray[np.int64], singles: NDArray[np.int64]
) -> list[tuple[bytes, bytes]]:
    get = keys.__getitem__
    pairs = list(zip(map(get, src.tolist()), map(get, dst.tolist()), strict=True))
    pairs.extend((keys[i], keys[i]) for i in singles.tolist())
    return pairs


def time_queries(
    result: dict[str, Any],
    qa: list[Any],
    qb: list[Any],
    find: Callable[[Any], object],
    same: Callable[[Any, Any], object],
    members: Callable[[Any], object],
) -> None:
    """CPU µs per call of each query over the random query nodes (one Python loop per query kind)."""
    # Thread CPU time: immune to other load on the shared machine (the queries are single-threaded).
    t0 = time.thread_time()
    for a in qa:
        find(a)
    t1 = time.thread_time()
    for a, b in zip(qa, qb, strict=True):
        same(a, b)
    t2 = time.thread_time()
    for a in qa[:MEMBER_QUERIES]:
        members(a)
    t3 = time.thread_time()
    result["find_us"] = (t1 - t0) / len(qa) * 1e6
    result["same_us"] = (t2 - t1) / len(qa) * 1e6
    result["members_us"] = (t3 - t2) / min(len(qa), MEMBER_QUERIES) * 1e6


class PyUnionFind:
    """Dict-based union-find: union by size, path halving, member lists at roots."""

    def __init__(self) -> None:
        self.parent: dict[bytes, bytes] = {}
        self.members: dict[bytes, list[bytes]] = {}

    def add(self, a: bytes) -> None:
        if a not in self.parent:
            self.parent[a] = a
            self.members[a] = [a]

    def find(self, a: bytes) -> bytes:
        parent = self.parent
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def link(self, a: bytes, b: bytes) -> bool:
        self.add(a)
        self.add(b)
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        if len(self.members[ra]) < len(self.members[rb]):
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.members[ra].extend(self.members.pop(rb))
        return True


def bench_scipy(result: dict[str, Any], graph_data: Graph, qa: list[int], qb: list[int]) -> None:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    keys_arr, src, dst, _ = graph_data
    n = keys_arr.shape[0]
    t0 = time.perf_counter()
    ids = np.unique(keys_arr.view("V16").ravel(), return_inverse=True)[1]
    result["key_mapping_s"] = time.perf_counter() - t0
    del ids
    before = settled_rss()
    t0 = time.perf_counter()
    c0 = time.process_time()
    graph = coo_matrix((np.ones(src.size, dtype=np.int8), (src, dst)), shape=(n, n)).tocsr()
    ncomp, labels = connected_components(graph, directed=False)
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(ncomp + 1))
    result["build_s"] = time.perf_counter() - t0
    result["build_cpu_s"] = time.process_time() - c0
    result["rss_delta"] = settled_rss() - before
    arrays = (graph.data, graph.indices, graph.indptr, labels, order, bounds)
    result["memory_bytes"] = sum(a.nbytes for a in arrays)
    result["components"] = int(ncomp)

    def members(i: int) -> object:
        lab = labels[i]
        return order[bounds[lab] : bounds[lab + 1]]

    time_queries(result, qa, qb, labels.__getitem__, lambda i, j: labels[i] == labels[j], members)


def bench_python(result: dict[str, Any], pairs: list[tuple[bytes, bytes]], qa: list[bytes], qb: list[bytes]) -> None:
    before = settled_rss()
    uf = PyUnionFind()
    t0 = time.perf_counter()
    c0 = time.process_time()
    for a, b in pairs:
        uf.link(a, b)
    result["build_s"] = time.perf_counter() - t0
    result["build_cpu_s"] = time.process_time() - c0
    result["rss_delta"] = settled_rss() - before
    result["components"] = len(uf.members)
    find = uf.find
    time_queries(result, qa, qb, find, lambda a, b: find(a) == find(b), lambda a: sorted(uf.members[find(a)]))


def bench_core(
    result: dict[str, Any], method: str, pairs: list[tuple[bytes, bytes]], qa: list[bytes], qb: list[bytes]
) -> None:
    from crs._core import ClusterIndex

    before = settled_rss()
    t0 = time.perf_counter()
    c0 = time.process_time()
    if method.startswith("build"):
        idx = ClusterIndex.build(pairs)
    elif method == "link":
        idx = ClusterIndex()
        link = idx.link
        for a, b in pairs:
            link(a, b)
    else:
        idx = ClusterIndex()
        idx.link_many(pairs)
    result["build_s"] = time.perf_counter() - t0
    result["build_cpu_s"] = time.process_time() - c0
    if not method.startswith("build"):
        result["grown_memory_bytes"] = idx.memory_bytes()
        result["grown_rss_delta"] = settled_rss() - before
        idx.shrink_to_fit()
    result["rss_delta"] = settled_rss() - before
    result["memory_bytes"] = idx.memory_bytes()
    result["components"] = idx.component_count
    result["edges"] = idx.edge_count
    time_queries(result, qa, qb, idx.find, idx.same, idx.members)
    if method != "build":
        return
    snap = Path(os.environ.get("TMPDIR", "/tmp")) / f"crs-bench-cluster-{os.getpid()}.snap"
    try:
        t0 = time.perf_counter()
        idx.save(snap)
        result["save_s"] = time.perf_counter() - t0
        result["snapshot_bytes"] = snap.stat().st_size
        del idx
        gc.collect()
        t0 = time.perf_counter()
        loaded = ClusterIndex.load(snap)
        result["load_s"] = time.perf_counter() - t0
        result["loaded_nodes"] = loaded.node_count
    finally:
        snap.unlink(missing_ok=True)


def worker(method: str, n: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    graph_data = generate(n)
    keys_arr, src, dst, singles = graph_data
    result: dict[str, Any] = {"method": method, "n": n, "edges_in": int(src.size), "generate_s": 0.0}
    rng = np.random.default_rng(SEED + 1)
    qa = rng.integers(0, n, QUERIES).tolist()
    qb = rng.integers(0, n, QUERIES).tolist()
    if method == "scipy":
        result["generate_s"] = time.perf_counter() - t0
        bench_scipy(result, graph_data, qa, qb)
        return result
    keys = key_list(keys_arr)
    pairs = pair_list(keys, src, dst, singles)
    qka = [keys[i] for i in qa]
    qkb = [keys[i] for i in qb]
    del keys, keys_arr, graph_data
    result["generate_s"] = time.perf_counter() - t0
    if method == "python":
        bench_python(result, pairs, qka, qkb)
    else:
        bench_core(result, method, pairs, qka, qkb)
    return result


def machine() -> list[str]:
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kib = int(f.readline().split()[1])
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True, check=False).stdout.strip()
    import scipy

    return [
        f"- CPU: {cpu}, {os.cpu_count()} cores (shared with other work while this ran)",
        f"- RAM: {mem_kib / 2**20:.1f} GiB",
        f"- OS: {platform.platform()}",
        f"- Python {platform.python_version()}, {rustc}, numpy {np.__version__}, scipy {scipy.__version__}",
        f"- Date: {datetime.datetime.now(datetime.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
    ]


def fmt(value: Any, spec: str) -> str:
    return "-" if value is None else format(value, spec)


LABELS = {
    "build": "ClusterIndex.build",
    "build_arena1": "ClusterIndex.build, MALLOC_ARENA_MAX=1",
    "link": "ClusterIndex.link loop",
    "link_many": "ClusterIndex.link_many",
    "scipy": "scipy csgraph (int ids)",
    "python": "pure-Python union-find",
}


def report(results: list[dict[str, Any]], skipped: list[str], command: str) -> str:
    lines = ["# ClusterIndex benchmark", "", f"Command: `{command}`", "", *machine(), ""]
    lines += [
        "Graph: N nodes with random 16-byte keys; cluster sizes 1 (55%), 2 (25%), 3 (10%), else 3 + Zipf(2.2) "
        "capped at 2,000; a random spanning tree per cluster plus distinct random extra edges inside clusters "
        "of 4 or more (about one distinct edge per node); singletons given as self pairs. Fixed seed. Queries: "
        f"{QUERIES:,} random nodes ({MEMBER_QUERIES:,} for members), Python loop, µs per call including call "
        "overhead; members returns the sorted member list (a numpy slice of ids for scipy).",
        "",
        "Build is wall-clock seconds (CPU seconds of all threads in brackets; the machine was shared, so wall "
        "time includes waiting for a core). Query columns are CPU µs of the calling thread.",
        "",
        "| N | method | build s (CPU s) | find µs | same µs | members µs | memory_bytes/node | RSS delta/node |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        n = r["n"]
        mem = r.get("memory_bytes")
        lines.append(
            f"| {n:,} | {LABELS[r['method']]} | {r['build_s']:.2f} ({r['build_cpu_s']:.2f}) | "
            f"{r['find_us']:.2f} | {r['same_us']:.2f} | "
            f"{r['members_us']:.2f} | {fmt(None if mem is None else mem / n, '.1f')} | {r['rss_delta'] / n:.1f} |"
        )
    lines.append("")
    for r in results:
        extras = []
        if "key_mapping_s" in r:
            extras.append(f"16-byte key -> int id mapping (np.unique, not included above) {r['key_mapping_s']:.2f} s")
        if "save_s" in r:
            snap = r["snapshot_bytes"] / r["n"]
            extras.append(f"save {r['save_s']:.2f} s, load {r['load_s']:.2f} s, snapshot {snap:.1f} B/node")
        if "grown_memory_bytes" in r:
            grown, grown_rss = r["grown_memory_bytes"] / r["n"], r["grown_rss_delta"] / r["n"]
            extras.append(
                f"before shrink_to_fit: memory_bytes {grown:.1f} B/node, RSS delta {grown_rss:.1f} B/node "
                "(the table shows the values after it)"
            )
        distinct = f" ({r['edges']:,} distinct)" if "edges" in r else ""
        extras.append(f"{r['components']:,} components, {r['edges_in']:,} input edges{distinct}")
        lines.append(f"- N={r['n']:,} {LABELS[r['method']]}: " + "; ".join(extras))
    lines += [f"- {s}" for s in skipped]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000", help="comma-separated node counts")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--python-max", type=int, default=1_000_000, help="largest N for the pure-Python baseline")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "cluster_index.md")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.n)))
        return

    results: list[dict[str, Any]] = []
    skipped: list[str] = []
    for n in (int(s) for s in args.sizes.split(",")):
        for method in args.methods.split(","):
            if method == "python" and n > args.python_max:
                done = [r for r in results if r["method"] == "python"]
                measured = ""
                if done:
                    r = done[-1]
                    measured = (
                        f" At N={r['n']:,} it took {r['build_cpu_s']:.1f} CPU s and {r['rss_delta'] / r['n']:.0f} "
                        "B/node on top of the key objects; cost grows linearly, so see that row."
                    )
                skipped.append(
                    f"N={n:,} pure-Python union-find skipped (--python-max {args.python_max:,}) to keep the run "
                    f"short and its memory bounded on the shared machine.{measured}"
                )
                continue
            print(f"== N={n:,} {method}", file=sys.stderr, flush=True)
            # build_arena1: the same build with one glibc malloc arena, to show how much of the RSS
            # delta is memory retained by the per-thread arenas of the worker threads.
            env = dict(os.environ, MALLOC_ARENA_MAX="1") if method == "build_arena1" else None
            out = subprocess.run(
                [sys.executable, __file__, "--worker", method, "--n", str(n)],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            result = json.loads(out.strip().splitlines()[-1])
            print(json.dumps(result), file=sys.stderr, flush=True)
            results.append(result)
    command = "python bench/cluster_index.py " + " ".join(sys.argv[1:])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report(results, skipped, command))
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
