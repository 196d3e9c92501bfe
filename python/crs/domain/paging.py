"""Opaque, tamper-evident page tokens (AIP-158) over keyset positions.

A token is ``base64url(json) . base64url(mac)``; the MAC (HMAC-SHA256 from the key ring) covers the
position and a hash of the query it belongs to, so a modified token or one replayed against another
parent/filter is INVALID_ARGUMENT. Positions are clustering keys: rows that existed before the first
page are returned exactly once however many rows are inserted meanwhile.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any, Protocol

from crs.domain.errors import InvalidArgument

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
_PURPOSE = "page-token/v1"


class Mac(Protocol):
    def mac(self, purpose: str, data: bytes) -> bytes: ...


def page_size(requested: int) -> int:
    if requested < 0:
        raise InvalidArgument.of("page_size", "must not be negative")
    return DEFAULT_PAGE_SIZE if requested == 0 else min(requested, MAX_PAGE_SIZE)


def query_hash(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:32]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    """Strict: only the canonical unpadded url-safe encoding of some bytes is accepted."""
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64(data) != text:
        raise ValueError("non-canonical base64")
    return data


class PageTokens:
    def __init__(self, mac: Mac) -> None:
        self._mac = mac

    def encode(self, query: str, position: list[Any]) -> str:
        payload = json.dumps({"q": query, "p": position}, separators=(",", ":")).encode()
        return _b64(payload) + "." + _b64(self._mac.mac(_PURPOSE, payload)[:16])

    def decode(self, token: str, query: str) -> list[Any] | None:
        """None for an empty token (first page); INVALID_ARGUMENT for anything not ours or not this query."""
        if not token:
            return None
        bad = InvalidArgument.of("page_token", "is not a page token of this query", "INVALID_PAGE_TOKEN")
        try:
            body, tag = token.split(".", 1)
            payload = _unb64(body)
            if not hmac.compare_digest(self._mac.mac(_PURPOSE, payload)[:16], _unb64(tag)):
                raise bad
            data = json.loads(payload)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise bad from None
        if not isinstance(data, dict) or data.get("q") != query or not isinstance(data.get("p"), list):
            raise bad
        position: list[Any] = data["p"]
        return position
