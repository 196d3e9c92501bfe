"""Scanning raw bytes (logs, database files) for PANs."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

_DIGIT_RUN = re.compile(rb"\d{12,}")
# Separators a PAN might be printed with, plus NUL (UTF-16/UCS-2 encodings put NULs between digits).
_SEPARATORS = re.compile(rb"[\s\-._/:,|\x00]")


def _pans_in_runs(data: bytes, pans: set[bytes]) -> set[bytes]:
    found: set[bytes] = set()
    for m in _DIGIT_RUN.finditer(data):
        run = m.group()
        n = len(run)
        for length in range(12, 20):
            for i in range(0, n - length + 1):
                sub = run[i : i + length]
                if sub in pans:
                    found.add(sub)
    return found


def find_pans(data: bytes, pans: Iterable[str]) -> set[str]:
    """PANs present in `data`, as plain ASCII digits anywhere (also inside longer digit strings and
    text), or with separators / NULs between the digits."""
    wanted = {p.encode() for p in pans}
    found = _pans_in_runs(data, wanted)
    found |= _pans_in_runs(_SEPARATORS.sub(b"", data), wanted)
    return {f.decode() for f in found}


def read_existing(path: Path) -> bytes:
    """A file's bytes, or b"" when it vanished meanwhile (Cassandra compacts and delivers hints while we scan)."""
    try:
        return path.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        return b""


def scan_files(paths: Iterable[Path], pans: Iterable[str]) -> dict[str, set[str]]:
    pans = list(pans)
    leaks: dict[str, set[str]] = {}
    for p in paths:
        hits = find_pans(read_existing(p), pans)
        if hits:
            leaks[str(p)] = hits
    return leaks


def masked(pans: Iterable[str]) -> list[str]:
    """For failure messages: never print a full PAN."""
    return sorted(f"{p[:6]}...{p[-4:]}" for p in pans)
