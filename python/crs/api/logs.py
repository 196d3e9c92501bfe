"""structlog JSON on stderr, with a last-line-of-defence processor that masks anything PAN-shaped."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from crs.domain.pan_text import mask_pans

__all__ = ["configure", "get", "mask_pans", "mask_processor"]


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


def configure(level: str = "INFO") -> None:
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
