"""Prometheus metrics, served on their own port (``crs serve --metrics-port``, default 9464, 0 disables).

One process (``--workers 1``): the default registry, served by ``start_http_server`` in this process.
Several workers: prometheus_client's multiprocess mode. The supervisor sets ``PROMETHEUS_MULTIPROC_DIR``
before it starts the workers, every worker writes its samples to memory-mapped files there, and the
supervisor alone serves ``/metrics`` by merging them (``MultiProcessCollector``): one scrape target per
pod whatever the worker count, and counters keep counting across worker restarts.

Names follow the Prometheus conventions (base units, ``_total`` on counters). Key ids are exported as
label values only; key material never reaches this module.
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from prometheus_client import multiprocess as _multiprocess

DEFAULT_PORT = 9464
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter(
    "crs_grpc_requests", "CRS RPCs handled, by full method name and gRPC status code.", ["method", "code"]
)
DURATION = Histogram(
    "crs_grpc_request_duration_seconds",
    "Server-side latency of CRS RPCs (interceptor entry to response), by method.",
    ["method"],
    buckets=_LATENCY_BUCKETS,
)
IN_FLIGHT = Gauge(
    "crs_grpc_in_flight_requests",
    "CRS RPCs being handled now, by method.",
    ["method"],
    multiprocess_mode="livesum",
)
SHED = Counter(
    "crs_grpc_shed_requests",
    "RPCs refused with RESOURCE_EXHAUSTED because --max-concurrent-rpcs were already in flight.",
    ["method"],
)
STORE_DURATION = Histogram(
    "crs_store_operation_duration_seconds",
    "Store operation latency by table and operation (get, get_many, scan, apply; apply is labelled with "
    "the table of its first write).",
    ["table", "op"],
    buckets=_LATENCY_BUCKETS,
)
STORE_ERRORS = Counter(
    "crs_store_errors",
    "Store operations that failed with an error other than a lost compare-and-set, by table and operation.",
    ["table", "op"],
)
CLUSTER_INDEX_SIZE = Gauge(
    "crs_cluster_index_size",
    "Customers in the ClusterIndex of the latest cluster reconciliation (the identity graph around a change).",
    multiprocess_mode="max",
)
KEY_IDS = Gauge(
    "crs_key_ids_in_use",
    "Card-data key ids loaded in the key ring (1 per id; active=true for the one that encrypts new data).",
    ["key_id", "active"],
    multiprocess_mode="max",
)


# Labelled children, resolved once per label set: ``labels()`` takes a lock and validates on every call, and
# these are on every call's path (a method, a status code, a table and an operation are a small fixed set).
_REQUEST_CHILDREN: dict[tuple[str, str], Any] = {}
_DURATION_CHILDREN: dict[str, Any] = {}
_STORE_CHILDREN: dict[tuple[str, str], Any] = {}


def request_done(method: str, code: str, seconds: float) -> None:
    """One finished RPC: its count by status code and its latency."""
    counter = _REQUEST_CHILDREN.get((method, code))
    if counter is None:
        counter = _REQUEST_CHILDREN[(method, code)] = REQUESTS.labels(method=method, code=code)
    histogram = _DURATION_CHILDREN.get(method)
    if histogram is None:
        histogram = _DURATION_CHILDREN[method] = DURATION.labels(method=method)
    counter.inc()
    histogram.observe(seconds)


def store_op_done(table: str, op: str, seconds: float) -> None:
    """One store operation's latency, by table and operation."""
    histogram = _STORE_CHILDREN.get((table, op))
    if histogram is None:
        histogram = _STORE_CHILDREN[(table, op)] = STORE_DURATION.labels(table=table, op=op)
    histogram.observe(seconds)


def set_cluster_index_size(n: int) -> None:
    CLUSTER_INDEX_SIZE.set(n)


def set_key_ids(key_ids: list[str], active: str) -> None:
    for key_id in key_ids:
        KEY_IDS.labels(key_id=key_id, active="true" if key_id == active else "false").set(1)


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


def start_server(port: int, host: str) -> int:
    """Serve /metrics on ``host:port`` from a daemon thread; returns the bound port (``port`` 0: any free one)."""
    registry = REGISTRY
    if multiprocess_dir() is not None:
        registry = CollectorRegistry()
        _multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    server, _thread = start_http_server(port, addr=host, registry=registry)
    return int(server.server_port)
