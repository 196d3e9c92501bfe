"""Order-preserving text encoding of table keys, shared by the embedded store and page tokens."""

from __future__ import annotations

import re

from crs.storage.base import Key, KeyPart

SEPARATOR = "\x1f"
_INT_WIDTH = 20
_CONTROL = re.compile("[\x00-\x1f]")


def encode_part(part: KeyPart) -> str:
    if isinstance(part, int):
        if not 0 <= part < 10**_INT_WIDTH:
            raise ValueError(f"key integers must be in [0, 10**{_INT_WIDTH})")
        return str(part).zfill(_INT_WIDTH)
    if _CONTROL.search(part) is not None:
        raise ValueError("key text must not contain control characters")
    return part


def encode_key(key: Key) -> str:
    """Tuples compare like their encodings: parts hold no character below the separator."""
    if len(key) == 1:  # most partition and clustering keys of single-row reads: no join
        return encode_part(key[0])
    return SEPARATOR.join([encode_part(p) for p in key])
