"""structlog JSON on stderr, with a last-line-of-defence processor that masks anything PAN-shaped."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from crs.domain.pan_text import mask_pans

__all__ = ["configure", "get", "mask_pans", "mask_processor", "rpc_line"]


def _mask_value(value: Any) -> Any:
    if isinstance(value, str):
        return mask_pans(value)
    if isinstance(value, dict):
        return {k: _mask_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask_value(v) for v in value]
    return value


_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def mask_processor(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in list(event.items()):
        if key == "request_id" and isinstance(value, str) and _UUID.match(value):
            continue  # a canonical UUID cannot carry a 12-19 digit run; keep it matchable
        event[key] = _mask_value(value)
    return event


class LibraryJsonFormatter(logging.Formatter):
    """Standard-library log records (grpc, cassandra-driver, asyncio) as masked JSON lines, without tracebacks."""

    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, Any] = {
            "event": "library_log",
            "logger": record.name,
            "level": record.levelname.lower(),
            "message": mask_pans(record.getMessage()),
        }
        if record.exc_info and record.exc_info[0] is not None:
            event["error_type"] = record.exc_info[0].__name__
        return json.dumps(event, default=str)


_RPC_LINES = {"enabled": True}  # whether INFO lines are written (set by ``configure``)


def rpc_line(
    method: str,
    code: str,
    latency_ms: float,
    tenant: str | None,
    actor: str | None,
    request_id: str | None,
    peer: str,
    pid: int,
) -> None:
    """The per-call "rpc" line, written without the structlog processor chain (it is on every call's path).

    The same JSON, field order and masking as ``get().info("rpc", ...)`` with the processors of ``configure``:
    the caller-supplied values (request_id, peer) go through ``mask_pans``; the others are the server's own
    (registered method names, status code names, tenant and key ids from the key file).
    """
    if not _RPC_LINES["enabled"]:
        return
    if request_id is not None and not _UUID.match(request_id):
        request_id = mask_pans(request_id)
    now = dt.datetime.now(tz=dt.UTC).isoformat().replace("+00:00", "Z")
    event = {
        "method": method,
        "code": code,
        "latency_ms": latency_ms,
        "tenant": tenant,
        "actor": actor,
        "request_id": request_id,
        "peer": mask_pans(peer),
        "pid": pid,
        "event": "rpc",
        "level": "info",
        "timestamp": now,
    }
    sys.stderr.write(json.dumps(event) + "\n")
    sys.stderr.flush()


def configure(level: str = "INFO") -> None:
    _RPC_LINES["enabled"] = getattr(logging, level.upper(), logging.INFO) <= logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(LibraryJsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(getattr(logging, level.upper(), logging.INFO))
    logging.getLogger("cassandra").setLevel(logging.WARNING)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            mask_processor,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, level.upper(), logging.INFO)),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )


def get() -> Any:
    return structlog.get_logger("crs")
