"""records.loads (orjson with a standard-library fallback) reads every JSON text json.dumps writes exactly as
json.loads does: integers of any size, floats, NaN/Infinity, any Unicode."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from crs.domain.records import has_long_digit_run, loads

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=20,
)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


@given(_VALUES)
def test_reads_what_json_dumps_wrote_like_json_loads(value: Any) -> None:
    for ensure_ascii in (True, False):
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=ensure_ascii).encode("utf-8", "surrogatepass")
        try:
            expected = json.loads(text)
        except UnicodeDecodeError:
            continue  # a lone surrogate written raw is not UTF-8: records never hold one (encode() would fail)
        assert _same(loads(text), expected)


@given(st.binary(max_size=200) | st.text(alphabet='0123456789abc"{}:,', max_size=120).map(str.encode))
def test_long_digit_run_check_matches_the_regex(data: bytes) -> None:
    assert has_long_digit_run(data) == (re.search(rb"[0-9]{19}", data) is not None)


def test_long_digit_run_edges() -> None:
    assert not has_long_digit_run(b'{"n":' + b"9" * 18 + b"}")
    assert has_long_digit_run(b'{"n":' + b"9" * 19 + b"}")
    assert has_long_digit_run(b"x" * 300 + b"1234567890123456789")
    assert not has_long_digit_run("١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦٧٨٩".encode())  # non-ASCII digits do not count
