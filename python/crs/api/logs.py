"""structlog JSON on stderr, with a last-line-of-defence processor that masks anything PAN-shaped."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

# A run of at least 12 ASCII digits, optionally split by single spaces or dashes.
_DIGIT_RUN = re.compile(r"(?<![0-9])[0-9](?:[ -]?[0-9]){11,}(?![0-9])")


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _aligned_pan(groups: list[str]) -> str | None:
    """A Luhn-valid 12-19 digit PAN made of whole separator-delimited groups ("4111 1111 …", "12 4111…")."""
    best: str | None = None
    for i in range(len(groups)):
        digits = ""
        for group in groups[i:]:
            digits += group
            if len(digits) > 19:
                break
            if len(digits) >= 12 and _luhn(digits) and (best is None or len(digits) > len(best)):
                best = digits
    return best


def _any_window(digits: str) -> bool:
    return any(_luhn(digits[i : i + n]) for n in range(12, 20) for i in range(len(digits) - n + 1))


def mask_pans(text: str) -> str:
    """Masks every digit run (digits joined by single spaces or dashes) that may hold a PAN.

    A run whose separator-delimited groups form a Luhn-valid 12-19 digit number becomes
    ``[PAN 411111…1111]``; any other run that merely contains a Luhn-valid 12-19 digit window becomes
    ``[PAN]`` (deliberately over-eager: a log line loses a number rather than leaks a PAN).
    """

    def repl(match: re.Match[str]) -> str:
        run = match.group(0)
        pan = _aligned_pan(re.split(r"[ -]", run))
        if pan is not None:
            return f"[PAN {pan[:6]}…{pan[-4:]}]" if len(pan) >= 13 else "[PAN]"
        return "[PAN]" if _any_window(re.sub(r"[ -]", "", run)) else run

    return _DIGIT_RUN.sub(repl, text)


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
