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
    for part in key:
        # Printable text holds no control character: joined as it is. Integers, and text that is not printable
        # (which may still be valid), go through ``encode_part``, which pads or checks them character by character.
        if type(part) is not str or not part.isprintable():
            return SEPARATOR.join([encode_part(p) for p in key])
    return SEPARATOR.join(key)  # type: ignore[arg-type]  # every part is str (checked above)
