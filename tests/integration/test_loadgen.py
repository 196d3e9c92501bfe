"""The benchmark's load generator (bench/loadgen, built into .tools/bin/crs-loadgen by scripts/setup.sh) against a
real server: the requests bench/run.py serializes reach the server as the method's messages, and every outcome is
counted by its gRPC code."""

from __future__ import annotations

import copy
import json
import struct
from pathlib import Path

import pytest

from bench.run import PING_LABEL, Method, encoded_requests, load, write_requests
from crs.seed import synthetic_pan
from crs.v1 import card_pb2
from loadtests.harness import TENANT, LocalServer, Workspace
from tests.helpers.server import tool

PING = "crs.v1.DiagnosticsService/Ping"
LOOKUP = "crs.v1.CardService/LookupCard"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, dict[str, Path]]:
    tool("crs-loadgen")  # fails, never skips, when setup did not build it
    ws = Workspace(tmp_path_factory.mktemp("loadgen"))
    manifest = ws.seed(20, salt=3)
    return ws, write_requests(ws, manifest, 1)


def test_encoded_requests_are_the_methods_messages(seeded: tuple[Workspace, dict[str, Path]]) -> None:
    ws, files = seeded
    path = encoded_requests(ws, Method("LookupCard by token", LOOKUP, files["token"]))
    assert path.stat().st_mode & 0o777 == 0o600
    data, decoded = path.read_bytes(), []
    while data:
        (n,) = struct.unpack(">I", data[:4])
        decoded.append(card_pb2.LookupCardRequest.FromString(data[4 : 4 + n]))
        data = data[4 + n :]
    bodies = json.loads(files["token"].read_text())
    assert [(r.parent, r.token) for r in decoded] == [(b["parent"], b["token"]) for b in bodies]
    empty = encoded_requests(ws, Method(PING_LABEL, PING, None))
    assert empty.read_bytes() == b"\x00\x00\x00\x00"


def test_counts_successes_and_errors_by_code(seeded: tuple[Workspace, dict[str, Path]]) -> None:
    ws, files = seeded
    unknown = ws.root / "requests-unknown.json"
    unknown.write_text(json.dumps([{"parent": f"tenants/{TENANT}", "pan": synthetic_pan(3, 999)}]))  # not seeded
    with LocalServer(ws) as server:
        ping = load(server, ws, Method(PING_LABEL, PING, None), count=40, concurrency=4, timeout=60)
        assert (ping.count, ping.ok, ping.errors) == (40, 40, {})
        assert ping.p50_ms > 0 and ping.p99_ms >= ping.p50_ms and ping.cpu_us_per_req > 0
        assert ping.client_cpu_us_per_req > 0

        found = load(server, ws, Method("LookupCard", LOOKUP, files["token"]), count=30, concurrency=3, timeout=60)
        assert (found.ok, found.errors) == (30, {})
        missing = load(server, ws, Method("LookupCard", LOOKUP, unknown), count=10, concurrency=2, timeout=60)
        assert (missing.ok, missing.errors) == (0, {"NotFound": 10})

        stranger = copy.copy(ws)
        stranger.secrets = {**ws.secrets, "switch": "crs_not_a_key"}
        denied = load(server, stranger, Method(PING_LABEL, PING, None), count=5, concurrency=1, timeout=60)
        assert (denied.ok, denied.errors) == (0, {"Unauthenticated": 5})

        paced = load(server, ws, Method(PING_LABEL, PING, None), count=20, concurrency=4, rps=100, timeout=60)
        assert paced.ok == 20 and paced.rps <= 110  # 20 starts at 100/s take at least 0.2 s
