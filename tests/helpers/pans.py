"""Luhn-valid test PAN generation (unique within the test process)."""

from __future__ import annotations

import random
import threading

_rng = random.SystemRandom()
_issued: set[str] = set()
_lock = threading.Lock()


def luhn_check_digit(body: str) -> str:
    """The check digit that makes ``body + digit`` Luhn-valid."""
    total = 0
    # Walk from the right; the digit next to the (missing) check digit is doubled.
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    if not number.isdigit() or not number:
        return False
    return luhn_check_digit(number[:-1]) == number[-1]


def make_pan(prefix: str = "411111", length: int = 16) -> str:
    """A fresh Luhn-valid PAN never returned before in this process."""
    while True:
        body = prefix + "".join(str(_rng.randrange(10)) for _ in range(length - len(prefix) - 1))
        pan = body + luhn_check_digit(body)
        with _lock:
            if pan not in _issued:
                _issued.add(pan)
                return pan


def make_pans(n: int, prefix: str = "411111", length: int = 16) -> list[str]:
    return [make_pan(prefix, length) for _ in range(n)]


def make_luhn_invalid_pan(prefix: str = "411111", length: int = 16) -> str:
    """Right length, digits only, wrong check digit."""
    pan = make_pan(prefix, length)
    bad = str((int(pan[-1]) + 1) % 10)
    return pan[:-1] + bad


def formatted(pan: str, sep: str = " ") -> str:
    """The PAN in groups of four, e.g. '4111 1111 1111 1111'."""
    return sep.join(pan[i : i + 4] for i in range(0, len(pan), 4))
