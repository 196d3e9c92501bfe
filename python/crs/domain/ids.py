"""Identifiers: time-ordered ULIDs (Crockford base32, lower case) and client-chosen ids."""

from __future__ import annotations

import hashlib
import os
import re
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")


def new_id() -> str:
    """26 characters: 48-bit milliseconds then 80 random bits; sorts by creation time."""
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def valid_id(value: str) -> bool:
    return ID_PATTERN.fullmatch(value) is not None


def new_version() -> str:
    return os.urandom(8).hex()


def id_for(ctx_key: str, request_id: str) -> str:
    """The server-generated id of a create: derived from (tenant, method, request_id) when the caller sent a
    request_id, so concurrent retries of one request compete for the same row and all get its one result."""
    if not request_id:
        return new_id()
    digest = int.from_bytes(hashlib.sha256(f"{ctx_key}|{request_id}".encode()).digest()[:17], "big")
    chars = []
    for _ in range(26):
        chars.append(_ALPHABET[digest & 31])
        digest >>= 5
    return "".join(reversed(chars))
