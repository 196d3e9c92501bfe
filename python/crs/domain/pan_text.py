"""Masking of anything PAN-shaped in free text: log lines and stored notes (no gRPC, no I/O)."""

from __future__ import annotations

import re

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
