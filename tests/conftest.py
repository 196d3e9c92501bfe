"""Fixtures that run the real CRS server as a subprocess.

`crs_server` is shared by all tests of a module (tests must use unique data); `fresh_server`
is per test, for tests that kill or restart the process. Both are parametrized over the storage
backends (only "embedded" for now; "cassandra" will be added to BACKENDS).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

_PYTHON_SRC = Path(__file__).resolve().parents[1] / "python"
if str(_PYTHON_SRC) not in sys.path:
    sys.path.insert(0, str(_PYTHON_SRC))

from tests.helpers.cassandra import LocalCassandra, session_cluster  # noqa: E402
from tests.helpers.server import CrsServer  # noqa: E402

# Both backends by default; CRS_TEST_BACKENDS=embedded for a quick run without Cassandra.
BACKENDS = [b for b in os.environ.get("CRS_TEST_BACKENDS", "embedded,cassandra").split(",") if b]


# Extra `crs serve` flags per backend (the Cassandra backend will add its contact points here).
@pytest.fixture(scope="session")
def cassandra_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCassandra]:
    """One real Cassandra node for the session (reused if one already answers on 127.0.0.1:9042)."""
    cluster = session_cluster(tmp_path_factory.mktemp("cassandra-session"))
    try:
        yield cluster
    finally:
        cluster.teardown()


def _cluster_for(request: pytest.FixtureRequest, backend: str) -> LocalCassandra | None:
    return request.getfixturevalue("cassandra_cluster") if backend == "cassandra" else None


@pytest.fixture(scope="module", params=BACKENDS)
def crs_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CrsServer]:
    root = tmp_path_factory.mktemp(f"crs-{request.param}")
    server = CrsServer(root=root, backend=request.param, cassandra=_cluster_for(request, request.param))
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture(params=BACKENDS)
def fresh_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CrsServer]:
    server = CrsServer(root=tmp_path / "crs", backend=request.param, cassandra=_cluster_for(request, request.param))
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture(params=BACKENDS)
def server_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., CrsServer]]:
    """For tests that need custom flags: make_server(**CrsServer kwargs) -> unstarted server, closed at teardown."""
    made: list[CrsServer] = []

    def make(**kwargs: Any) -> CrsServer:
        kwargs.setdefault("root", tmp_path / f"crs-{len(made)}")
        kwargs.setdefault("cassandra", _cluster_for(request, request.param))
        server = CrsServer(backend=request.param, **kwargs)
        made.append(server)
        return server

    try:
        yield make
    finally:
        for server in made:
            server.close()


@pytest.fixture(scope="module")
def admin(crs_server: CrsServer):  # type: ignore[no-untyped-def]
    """All stubs with the acme all-scope admin key."""
    return crs_server.clients("acme-admin")


@pytest.fixture(scope="module")
def globex(crs_server: CrsServer):  # type: ignore[no-untyped-def]
    return crs_server.clients("globex-admin")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """On failure, attach the non-routine tail of the server log (warnings, errors, tracebacks)."""
    report = yield
    if report.failed and call.when == "call":
        for name in ("crs_server", "fresh_server"):
            server = getattr(item, "funcargs", {}).get(name)
            if isinstance(server, CrsServer):
                lines = [ln for ln in server.log_text().splitlines() if '"code": "OK"' not in ln]
                report.sections.append((f"{name} log (non-OK lines, last 40)", "\n".join(lines[-40:])))
    return report
