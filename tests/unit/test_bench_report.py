"""bench/run.py's report and bench/capacity.py render a run's results, with and without the Cassandra phase, and
the results JSON (``--json``, ``--report-only``) round-trips (no server, no Cassandra)."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

import pytest

from bench.capacity import render as render_capacity
from bench.run import (
    COST_METHODS,
    PING_LABEL,
    Bench,
    Run,
    _load_results,
    cassandra_section,
    parse_load_report,
    report,
)

HEALTH = "Health/Check (empty RPC)"
BATCH = "BatchTokenize (100 PANs)"


def _run(label: str, cpu: float, rps: float = 1000.0) -> Run:
    return Run(label, 4000, 4000, rps, 1.0, 3.0, 5.0, cpu, {}, 150.0)


def _results(cassandra: dict[str, Any] | None) -> dict[str, Any]:
    labels = [HEALTH, *COST_METHODS, BATCH]
    cpu = {HEALTH: 300.0, BATCH: 5000.0, **{m: 900.0 for m in COST_METHODS}}
    peak = {label: _run(label, cpu[label]) for label in labels}
    out: dict[str, Any] = {
        "machine": {"CPU": "test", "cores": "2"},
        "seeds": {
            "small": {"customers": 1000, "rows": 50_000, "seconds": 2.0, "bytes": 4_000_000},
            "big": {"customers": 100_000, "rows": 5_000_000, "seconds": 200.0, "bytes": 400_000_000},
        },
        "throughput": {"peak": peak, "half": peak, "rounds": {label: [run] for label, run in peak.items()}},
        "profile": {"error": "py-spy not installed"},
        "lookup_split": {},
        "cost_rps": 400.0,
        "cost": {
            "small": {m: _run(m, 900.0, 400.0) for m in COST_METHODS},
            "big": {m: _run(m, 950.0, 400.0) for m in COST_METHODS},
        },
        "tokenization": {
            "rust": {"pans": 1000, "seconds": 1.0, "cpu_seconds": 1.0, "per_cpu_second": 100_000.0},
            "python": {"pans": 1000, "seconds": 1.0, "cpu_seconds": 1.0, "per_cpu_second": 10_000.0},
        },
    }
    if cassandra is not None:
        out["cassandra"] = cassandra
    return out


MEASURED: dict[str, Any] = {
    "customers": 1000,
    "seed_seconds": 80.0,
    "seed_rows": 56_000,
    "node": "started",
    "settled": "flushed, compactions done after 5 s",
    "rps": 200.0,
    "cost_rps": 400.0,
    "rounds": 3,
    "peak_rps": {m: 400.0 for m in COST_METHODS},
    "idle_cpu_ms_per_s": {"embedded": 2.0, "cassandra": 30.0, "jvm": 20.0},
    "embedded": {m: _run(m, 900.0, 200.0) for m in COST_METHODS},
    "cassandra": {m: _run(m, 2400.0, 200.0) for m in COST_METHODS},
    "jvm_cpu_us_per_req": {m: 1500.0 for m in COST_METHODS},
    "queries_per_call": {m: 5.0 for m in COST_METHODS},
    "cql_requests_per_call": {m: 5.1 for m in COST_METHODS},
}


def _bench(results: dict[str, Any]) -> Bench:
    b = Bench(argparse.Namespace(concurrency=16, rounds=2, profile_seconds=10))
    b.results = results
    return b


def _round_trip(results: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "results.json"
    path.write_text(json.dumps(results, default=lambda o: o.__dict__, indent=1))
    return _load_results(path)


def test_measured_cassandra_is_reported_and_feeds_the_capacity_model(tmp_path: Path) -> None:
    results = _results(MEASURED)
    text = report(_bench(results))
    assert "not measured in this run" not in text
    assert "### Cassandra: one local node (RF 1)" in text
    # CRS 2,400 vs 900 µs embedded: 2.67x; (2400 - 900) / 5 queries = 300 µs of app-side CPU per query
    row = next(ln for ln in text.splitlines() if ln.startswith("| LookupCard by token | 900 | 2,400 |"))
    assert "| 2.67x | 1,500 | 5.00 | 5.10 | 300 |" in row
    capacity = render_capacity(results)
    assert "assumed (the Cassandra phase" not in capacity
    assert "| server CPU per GetAuthorizationContext by token on Cassandra (one local node) | 2,400 µs" in capacity
    assert "| → app-side CPU per Cassandra query (client + bridging, over an embedded read) | 300 µs" in capacity
    assert "Cassandra JVM CPU per GetAuthorizationContext by token" in capacity
    assert "1,500 µs (300 µs per query) | measured" in capacity
    # sizing from the measured 2,400 µs per call at 50% utilisation: 5,000/s -> 24 cores
    assert "| 5,000 | 24 |" in capacity
    # what is still not measured stays assumed
    assert "| Cassandra replica reads per query (LOCAL_QUORUM, RF=3) | 2 | assumed |" in capacity
    # the results JSON round-trips the new fields into the same reports (--report-only)
    revived = _round_trip(results, tmp_path)
    assert isinstance(revived["cassandra"]["cassandra"]["LookupCard by token"], Run)
    assert report(_bench(revived)) == text
    assert render_capacity(revived) == capacity


@pytest.mark.parametrize(
    "cassandra", [None, {"skipped": "Cassandra could not be started: java not found"}], ids=["old-run", "skipped"]
)
def test_without_the_cassandra_phase_the_capacity_model_keeps_its_assumption(
    cassandra: dict[str, Any] | None, tmp_path: Path
) -> None:
    results = _results(cassandra)
    text = report(_bench(results))
    section = "\n".join(cassandra_section(cassandra))
    assert section in text and "Not measured" in section
    if cassandra is not None:
        assert "java not found" in text
    capacity = render_capacity(results)
    assert "| Python driver CPU per Cassandra query, app side | 60 µs | assumed" in capacity
    # 900 µs embedded + 7 reads * 60 µs = 1,320 µs per call on Cassandra
    assert "| → CPU per call on Cassandra | 1,320 µs" in capacity
    revived = _round_trip(results, tmp_path)
    assert report(_bench(revived)) == text and render_capacity(revived) == capacity


def test_lookup_ratio_is_judged_against_ping_and_shown_against_bare_health() -> None:
    results = _results(None)
    peak = results["throughput"]["peak"]
    peak[PING_LABEL] = _run(PING_LABEL, 400.0, 1500.0)
    peak[HEALTH] = _run(HEALTH, 300.0, 2000.0)
    peak["LookupCard by token"] = _run("LookupCard by token", 600.0, 960.0)
    text = report(_bench(results))
    row = next(ln for ln in text.splitlines() if ln.startswith("| LookupCard by token RPS ≥ 60%"))
    # 960 / 1,500 = 64% of Ping (met); 400 / 600 = 67% in CPU; 960 / 2,000 = 48% of bare Health/Check
    assert "64% of `Ping (empty CRS RPC)` (960 / 1,500)" in row
    assert "67% in server CPU per request; 48% of bare `Health/Check`" in row
    assert row.endswith("| **met** |")


def test_a_run_from_before_ping_is_judged_against_health() -> None:
    text = report(_bench(_results(None)))
    row = next(ln for ln in text.splitlines() if ln.startswith("| LookupCard by token RPS ≥ 60%"))
    assert "of `Health/Check (empty RPC)`" in row


def test_the_lookup_gap_paragraph_weighs_the_cold_cache_split_against_the_budget() -> None:
    results = _results(None)
    peak = results["throughput"]["peak"]
    peak[PING_LABEL] = _run(PING_LABEL, 400.0, 1500.0)
    peak["LookupCard by token"] = _run("LookupCard by token", 700.0, 860.0)
    results["lookup_split"] = {
        "interceptor (auth, metrics, log line) + servicer: the whole call above gRPC": 100.0,
        "servicer (domain + response encoded in _core)": 60.0,
        "servicer, caches cold (8 MiB touched before each call)": 150.0,
    }
    text = report(_bench(results))
    para = next(ln for ln in text.splitlines() if ln.startswith("Under load the server spent"))
    # gap 300 µs; budget 400 / 0.6 - 400 = 267 µs; warm 60 µs, cold 150 µs (2.5x): 90 of the other 240 µs
    assert "700 CPU-µs per LookupCard and 400 per empty RPC" in para and "300 µs more" in para
    assert "at most 267 µs more" in para
    assert "costs 60 µs" in para and "the same code costs 150 µs, 2.5x" in para
    assert "The other 240 µs are paid in the server under load (the load generator" in para
    results["lookup_split"]["servicer, caches cold (8 MiB touched before each call)"] = 200.0
    para = next(ln for ln in report(_bench(results)).splitlines() if ln.startswith("Under load the server spent"))
    assert "most of them the same reads and decodes running cache-cold" in para


def test_a_ratio_met_in_the_median_but_not_in_every_round_says_so() -> None:
    results = _results(None)
    tp = results["throughput"]
    tp["peak"][PING_LABEL] = _run(PING_LABEL, 400.0, 1500.0)
    tp["peak"]["LookupCard by token"] = _run("LookupCard by token", 600.0, 960.0)
    tp["rounds"][PING_LABEL] = [_run(PING_LABEL, c, rps) for c, rps in ((400.0, 1500.0), (700.0, 1000.0))]
    tp["rounds"]["LookupCard by token"] = [
        _run("LookupCard by token", c, rps) for c, rps in ((600.0, 850.0), (650.0, 960.0))
    ]
    lines = report(_bench(results)).splitlines()
    row = next(ln for ln in lines if ln.startswith("| LookupCard by token RPS ≥ 60%"))
    # median 960 / 1,500 = 64%; rounds 850 / 1,500 = 57% and 960 / 1,000 = 96%
    assert "(960 / 1,500); round by round 57% to 96%," in row
    assert row.endswith("| **met in the median, not in every round** |")
    assert any("ranged from 400 to 700 µs over the rounds" in ln for ln in lines)


def test_native_reads_are_compared_with_driver_reads_when_measured(tmp_path: Path) -> None:
    measured = dict(MEASURED)
    assert not any("driver reads" in ln for ln in cassandra_section(measured))  # an older run: no comparison
    measured["cassandra_driver_reads"] = {m: _run(m, 6000.0, 200.0) for m in COST_METHODS}
    measured["driver_peak_rps"] = {m: 150.0 for m in COST_METHODS}
    section = cassandra_section(measured)
    # driver 6,000 vs native 2,400 µs: 2.50x; app-side per query (6000 - 900) / 5 = 1,020 vs (2400 - 900) / 5 = 300
    row = next(ln for ln in section if ln.startswith("| LookupCard by token | 6,000 | 2,400 |"))
    assert "| 2.50x | 1,020 | 300 |" in row
    assert any(
        ln.startswith("Peak RPS of one process") and "driver reads LookupCard by token 150" in ln for ln in section
    )
    revived = _round_trip(_results(measured), tmp_path)
    assert cassandra_section(revived["cassandra"]) == section
    capacity = render_capacity(_results(measured))
    assert "with reads on the Python driver (`--cassandra-reads driver`) | 6,000 µs (2.50x at 200 RPS) | measured" in (
        capacity
    )
    assert "| 5,000 | 24 |" in capacity  # the sizing still uses the native reader's 2,400 µs


def test_the_report_names_the_load_generator_of_its_run() -> None:
    old = report(_bench(_results(None)))  # a run from before crs-loadgen: its machine table has no such row
    assert "Load generator: ghz at concurrency 16" in old and "crs-loadgen" not in old
    results = _results(None)
    results["machine"]["load generator"] = "crs-loadgen (grpc-go 1.85.0)"
    new = report(_bench(results))
    assert "Load generator: crs-loadgen at concurrency 16" in new and "| crs-loadgen CPU-µs/req |" in new
    assert "ghz CPU" not in new and "ghz `--rps`" not in new


def test_a_load_report_becomes_a_run_with_errors_by_code() -> None:
    raw = {"count": 10, "codes": {"OK": 7, "NotFound": 3}, "rps": 500.0, "p50_ms": 1.5, "p99_ms": 4.0, "p999_ms": 4.5}
    run = parse_load_report("x", raw, server_cpu_us=9000.0, client_cpu_us=1000.0)
    assert (run.count, run.ok, run.errors, run.rps) == (10, 7, {"NotFound": 3}, 500.0)
    assert (run.p50_ms, run.p99_ms, run.p999_ms) == (1.5, 4.0, 4.5)
    assert (run.cpu_us_per_req, run.client_cpu_us_per_req) == (900.0, 100.0)
    failed = parse_load_report("x", {**raw, "codes": {"Unavailable": 10}, "p50_ms": 0.0}, 1.0, 1.0)
    assert failed.ok == 0 and math.isnan(failed.p50_ms)  # no successful call: no latency, not a 0 ms one


def test_the_capacity_model_sizes_with_the_cpu_at_half_of_each_servers_own_peak(tmp_path: Path) -> None:
    sized = {m: _run(m, 2000.0, 200.0) for m in COST_METHODS}
    results = _results({**MEASURED, "at_half_peak": sized})
    gac = "GetAuthorizationContext by token"
    results["throughput"]["peak"][gac] = _run(gac, 700.0)  # at the peak: cheaper per call than at half of it
    capacity = render_capacity(results)
    # embedded: §4's small figure (900 µs at 400 RPS), not the peak's 700 µs; 5,000/s * 900 µs / 0.5 -> 9 cores
    assert "| server CPU per GetAuthorizationContext by token (embedded store) | 900 µs | measured at 400 RPS" in (
        capacity
    )
    assert "at the peak, §1: 700 µs" in capacity
    # Cassandra: the native server at half its own 400 RPS peak (2,000 µs), the comparison rate's 2,400 µs quoted
    assert "on Cassandra (one local node) | 2,000 µs (500/s per core) | measured (§4, Cassandra, at 200 RPS" in capacity
    assert "at 200 RPS, the comparison rate: 2,400 µs" in capacity
    assert "| 5,000 | 20 |" in capacity and "| 9 |" in capacity.split("| 5,000 |")[1].splitlines()[0]
    text = report(_bench(results))
    assert f"{gac} 2,000 CPU-µs/req at 200 RPS" in text
    revived = _round_trip(results, tmp_path)
    assert render_capacity(revived) == capacity and report(_bench(revived)) == text


def test_committed_cassandra_scale_report_matches_its_results() -> None:
    """bench/results/cassandra_scale.md is what bench/cassandra_scale.py renders from the committed JSON, and
    the sentence BENCHMARKS.md and docs/capacity.md quote comes from the same numbers."""
    from bench.capacity import cassandra_scale_summary
    from bench.cassandra_scale import _revive, report

    root = Path(__file__).resolve().parents[2]
    results = json.loads((root / "bench/results/cassandra_scale.json").read_text())
    assert report(_revive(results)) == (root / "bench/results/cassandra_scale.md").read_text()
    summary = cassandra_scale_summary()
    assert summary is not None and "1,000,000 customers" in summary
    assert summary in (root / "BENCHMARKS.md").read_text() and summary in (root / "docs/capacity.md").read_text()
