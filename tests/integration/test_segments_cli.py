"""`crs segments refresh` against a running server's store moves a customer that stopped paying."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from typing import Any

from crs.v1 import segment_pb2
from tests.helpers.data import ACME
from tests.helpers.server import python_env
from tests.helpers.transactions import payer, record, stubs, txn

S = segment_pb2


def test_refresh_cli_moves_dormant_and_churned(fresh_server: Any) -> None:
    clients = fresh_server.clients("acme-admin")
    p = payer(clients)
    now = dt.datetime.now(dt.UTC)
    record(stubs(fresh_server), [txn(p.token, when=now - dt.timedelta(days=45))])
    s = stubs(fresh_server)
    assert s.segments.GetSegments(S.GetSegmentsRequest(customer=p.customer)).lifecycle == S.LIFECYCLE_ACTIVE

    def refresh(as_of: dt.datetime) -> str:
        out = subprocess.run(
            [
                *(sys.executable, "-m", "crs", "segments", "refresh", "--tenant", "acme"),
                *("--as-of", as_of.isoformat(), "--lookback-days", "400"),
                *("--data-dir", str(fresh_server.data_dir), "--keys-file", str(fresh_server.keys_file)),
                *("--store", fresh_server.backend, *fresh_server._backend_args()),
            ],
            env=python_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 0, out.stderr
        return out.stdout

    assert "1 moved" in refresh(now + dt.timedelta(days=50))  # 95 days without activity
    got = s.segments.GetSegments(S.GetSegmentsRequest(customer=p.customer))
    assert got.lifecycle == S.LIFECYCLE_DORMANT
    assert "0 moved" in refresh(now + dt.timedelta(days=51))  # nothing due yet
    assert "1 moved" in refresh(now + dt.timedelta(days=140))  # 185 days
    assert s.segments.GetSegments(S.GetSegmentsRequest(customer=p.customer)).lifecycle == S.LIFECYCLE_CHURNED
    history = s.segments.ListSegmentChanges(S.ListSegmentChangesRequest(parent=ACME, customer=p.customer)).changes
    assert [c.to_lifecycle for c in history] == [S.LIFECYCLE_ACTIVE, S.LIFECYCLE_DORMANT, S.LIFECYCLE_CHURNED]
    assert [c.trigger for c in history] == ["TRANSACTION", "REFRESH", "REFRESH"]
