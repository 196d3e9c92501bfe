"""Checks for text people type (case subjects, notes, feedback, references): length, printable, no card numbers.

Card numbers are never stored: in prose (notes, descriptions, feedback) every digit run that may hold a PAN is
masked the way log lines are (``crs.domain.pan_text.mask_pans``); in single-value fields (a wallet reference)
such a run is refused with a field violation instead, since a masked identifier would be useless.
"""

from __future__ import annotations

from crs.domain.errors import Violations
from crs.domain.pan_text import mask_pans

MAX_LINE = 200
MAX_PROSE = 4000


def _unprintable(value: str, allowed: str) -> bool:
    return any(not ch.isprintable() and ch not in allowed for ch in value)


def clean_line(
    v: Violations, path: str, value: str, *, required: bool = False, limit: int = MAX_LINE, refuse_pans: bool = False
) -> str:
    """One line of printable text, trimmed. PAN-like digit runs are masked, or refused with ``refuse_pans``."""
    value = value.strip()
    if required and not value:
        v.add(path, "is required")
    elif len(value) > limit:
        v.add(path, f"must be at most {limit} characters")
    elif _unprintable(value, ""):
        v.add(path, "must be printable text on one line")
    masked = mask_pans(value)
    if refuse_pans and masked != value:
        v.add(path, "must not contain a card number")
    return masked


def clean_prose(v: Violations, path: str, value: str, *, required: bool = False, limit: int = MAX_PROSE) -> str:
    """Printable text with line breaks and tabs, trimmed; PAN-like digit runs masked."""
    value = value.strip().replace("\r\n", "\n")
    if required and not value:
        v.add(path, "is required")
    elif len(value) > limit:
        v.add(path, f"must be at most {limit} characters")
    elif _unprintable(value, "\n\t"):
        v.add(path, "must be printable text (line breaks and tabs allowed)")
    return mask_pans(value)
