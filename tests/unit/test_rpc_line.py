"""logs.rpc_line: the per-call line written without structlog is the line structlog's chain would write."""

from __future__ import annotations

import json
from typing import Any

import pytest

from crs.api import logs

PAN = "4111111111111111"


def _lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [json.loads(ln) for ln in capsys.readouterr().err.splitlines() if ln.startswith("{")]


def _both(capsys: pytest.CaptureFixture[str], request_id: str | None, peer: str) -> tuple[dict[str, Any], ...]:
    logs.configure("INFO")
    fields: dict[str, Any] = {
        "method": "/crs.v1.CardService/LookupCard",
        "code": "OK",
        "latency_ms": 0.812,
        "tenant": "acme",
        "actor": "switch",
        "request_id": request_id,
        "peer": peer,
        "pid": 4242,
    }
    logs.get().info("rpc", **fields)
    logs.rpc_line(**fields)
    by_structlog, fast = _lines(capsys)
    return by_structlog, fast


def test_same_fields_in_the_same_order_as_structlog(capsys: pytest.CaptureFixture[str]) -> None:
    by_structlog, fast = _both(capsys, None, "ipv4:127.0.0.1:5051")
    assert list(fast) == list(by_structlog)
    by_structlog.pop("timestamp"), fast.pop("timestamp")
    assert fast == by_structlog


def test_caller_supplied_values_are_masked_like_structlog(capsys: pytest.CaptureFixture[str]) -> None:
    by_structlog, fast = _both(capsys, f"retry-{PAN}", f"ipv6:[::1]:{PAN}")
    assert PAN not in json.dumps(fast)
    assert fast["request_id"] == by_structlog["request_id"]
    assert fast["peer"] == by_structlog["peer"]


def test_a_uuid_request_id_is_kept_verbatim(capsys: pytest.CaptureFixture[str]) -> None:
    rid = "0b7e3c55-3b6f-4f4e-9d0a-6f1c2f1e9a10"
    _, fast = _both(capsys, rid, "ipv4:127.0.0.1:5051")
    assert fast["request_id"] == rid


def test_no_line_below_the_configured_level(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("WARNING")
    try:
        logs.rpc_line("/m", "OK", 1.0, "acme", "k", None, "peer", 1)
        assert capsys.readouterr().err == ""
    finally:
        logs.configure("INFO")
