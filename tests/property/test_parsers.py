"""Property tests for the small parsers and encoders the service relies on."""

from __future__ import annotations

import re
import time
from types import SimpleNamespace
from unittest import mock

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from crs.api.logs import mask_pans
from crs.domain import ids
from crs.domain.validation import normalize_email, normalize_phone
from crs.storage.keys import SEPARATOR, encode_key, encode_part

EXAMPLES = settings(max_examples=200, deadline=None, database=None)


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def check_digit(payload: str) -> str:
    return next(str(c) for c in range(10) if luhn_ok(payload + str(c)))


def cmp(a: object, b: object) -> int:
    return (a > b) - (a < b)  # type: ignore[operator]


# --------------------------------------------------------------------------- encode_key ordering

KEY_TEXT = st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=8)
KEY_INT = st.integers(min_value=0, max_value=2**63 - 1)  # Cassandra bigint range


@st.composite
def key_pairs(draw: st.DrawFn) -> tuple[tuple[str | int, ...], tuple[str | int, ...]]:
    """Two keys whose parts have the same type at each position (lengths may differ: prefixes)."""
    kinds = draw(st.lists(st.sampled_from(["str", "int"]), min_size=1, max_size=4))

    def parts(start: int, stop: int) -> tuple[str | int, ...]:
        return tuple(draw(KEY_TEXT if kind == "str" else KEY_INT) for kind in kinds[start:stop])

    a = parts(0, draw(st.integers(1, len(kinds))))
    shared = draw(st.integers(0, len(a)))  # often a common prefix, so that later parts decide
    b = a[:shared] + parts(shared, draw(st.integers(max(shared, 1), len(kinds))))
    return a, b


@EXAMPLES
@given(key_pairs())
def test_encode_key_preserves_tuple_order(pair: tuple[tuple[str | int, ...], tuple[str | int, ...]]) -> None:
    a, b = pair
    assert cmp(encode_key(a), encode_key(b)) == cmp(a, b)


@EXAMPLES
@given(st.lists(st.tuples(KEY_TEXT, KEY_INT, KEY_TEXT), min_size=2, max_size=20))
def test_encode_key_sorts_like_tuples(keys: list[tuple[str, int, str]]) -> None:
    assert sorted(keys, key=encode_key) == sorted(keys)


@pytest.mark.parametrize(("a", "b"), [(9, 10), (99, 100), (2**63 - 1, 2**63), (2**64 - 1, 2**64), (10**20 - 1, 10**20)])
def test_encode_key_int_order_or_rejection(a: int, b: int) -> None:
    """Integers either keep their order or are refused; never silently misordered."""
    try:
        ea, eb = encode_key((a,)), encode_key((b,))
    except ValueError:
        return
    assert ea < eb


@EXAMPLES
@given(st.lists(st.one_of(st.text(st.characters(exclude_categories=("Cs",)), max_size=6), KEY_INT), max_size=4))
def test_encode_key_fast_path_matches_part_by_part(parts: list[str | int]) -> None:
    """The join of printable text and the part-by-part encoding agree, on valid keys and on rejected ones."""
    key = tuple(parts)
    try:
        expected: str | None = SEPARATOR.join([encode_part(p) for p in key])
    except ValueError:
        expected = None
    try:
        got: str | None = encode_key(key)
    except ValueError:
        got = None
    assert got == expected


def test_encode_key_rejects_what_it_cannot_order() -> None:
    for bad in (("a\x1fb",), ("\n",), (-1,), ("ok", "\x00")):
        with pytest.raises(ValueError):
            encode_key(bad)


# --------------------------------------------------------------------------- mask_pans

_SEP = st.sampled_from(["", "", "", " ", "-"])
# Text between digit runs: no ASCII or other \d digits, and never exactly one separator (that would join runs).
_FILLER_CHARS = st.characters(exclude_categories=("Nd", "Cs"))
_FILLER = st.text(_FILLER_CHARS, min_size=1, max_size=6).filter(lambda s: s not in (" ", "-"))
_RUN = re.compile(r"(?<![0-9])[0-9](?:[ -]?[0-9])*")


@st.composite
def formatted(draw: st.DrawFn, digits: str) -> str:
    out = digits[0]
    for d in digits[1:]:
        out += draw(_SEP) + d
    return out


@st.composite
def luhn_pan(draw: st.DrawFn) -> str:
    n = draw(st.integers(12, 19))
    payload = draw(st.text("0123456789", min_size=n - 1, max_size=n - 1))
    return draw(formatted(payload + check_digit(payload)))


@st.composite
def non_luhn_run(draw: st.DrawFn, lengths: tuple[int, int] = (12, 19)) -> str:
    n = draw(st.integers(*lengths))
    digits = draw(st.text("0123456789", min_size=n, max_size=n).filter(lambda d: not luhn_ok(d)))
    return draw(formatted(digits))


@st.composite
def short_run(draw: st.DrawFn) -> str:
    return draw(formatted(draw(st.text("0123456789", min_size=1, max_size=11))))


long_plain_run = st.text("0123456789", min_size=20, max_size=30)  # no separators: not a PAN at all


@st.composite
def text_of(draw: st.DrawFn, runs: st.SearchStrategy[str]) -> tuple[str, list[str]]:
    parts = draw(st.lists(runs, min_size=1, max_size=5))
    out = draw(st.one_of(st.just(""), _FILLER))
    for i, part in enumerate(parts):
        out += part + (draw(_FILLER) if i < len(parts) - 1 else draw(st.one_of(st.just(""), _FILLER)))
    return out, parts


def digit_runs(text: str) -> list[str]:
    """Maximal runs of ASCII digits joined by single spaces or dashes."""
    return [m.group(0) for m in _RUN.finditer(text)]


def is_pan_like(run: str) -> bool:
    digits = re.sub(r"[ -]", "", run)
    return 12 <= len(digits) <= 19 and luhn_ok(digits)


def has_pan_window(run: str) -> bool:
    """Does a digit run contain any Luhn-valid window of 12-19 digits (what the masker hunts for)?"""
    digits = re.sub(r"[ -]", "", run)
    return any(luhn_ok(digits[i : i + n]) for n in range(12, 20) for i in range(len(digits) - n + 1))


@EXAMPLES
@given(text_of(st.one_of(luhn_pan(), non_luhn_run(), short_run(), long_plain_run)))
def test_mask_pans_leaves_no_luhn_valid_run(sample: tuple[str, list[str]]) -> None:
    text, parts = sample
    masked = mask_pans(text)
    assert not [run for run in digit_runs(masked) if has_pan_window(run)], masked
    for part in parts:
        if is_pan_like(part):
            assert part not in masked


@EXAMPLES
@given(text_of(st.one_of(non_luhn_run(), short_run(), long_plain_run)))
def test_mask_pans_touches_only_runs_holding_a_pan_window(sample: tuple[str, list[str]]) -> None:
    """Over-eager by design: a run is masked iff it holds a Luhn-valid 12-19 digit window; others stay."""
    text, _ = sample
    masked = mask_pans(text)
    if not any(has_pan_window(run) for run in digit_runs(text)):
        assert masked == text
    else:
        assert "[PAN" in masked


@EXAMPLES
@given(luhn_pan())
def test_mask_pans_masked_form(pan: str) -> None:
    digits = re.sub(r"[ -]", "", pan)
    masked = mask_pans(f"card={pan};")
    expected = f"[PAN {digits[:6]}…{digits[-4:]}]" if len(digits) >= 13 else "[PAN]"
    assert masked == f"card={expected};"


@pytest.mark.parametrize(
    "template",
    [
        "card {pan} 12/25",  # PAN followed by the expiry month
        "card {pan} exp 12 25 cvv 123",
        "order 12 {pan}",
        "ids 1234 {pan}",
        "{pan}-1",
    ],
)
def test_mask_pans_pan_next_to_a_short_number(template: str) -> None:
    """A PAN bounded by a single separator and a few more digits is still a PAN in a log line."""
    pan = "4111111111111111"
    masked = mask_pans(template.format(pan=pan))
    assert pan not in masked
    assert "[PAN 411111…1111]" in masked


# --------------------------------------------------------------------------- phone / e-mail

_PHONE_CHARS = st.sampled_from([*"0123456789+ ().-", "00", "+1", "+372", "\t", "x", "٣", "\n"])
phone_like = st.lists(_PHONE_CHARS, max_size=24).map("".join)
E164 = re.compile(r"\+[1-9][0-9]{6,14}")


@EXAMPLES
@given(st.one_of(phone_like, st.text(max_size=30)))
def test_normalize_phone_is_e164_or_none(raw: str) -> None:
    out = normalize_phone(raw)
    if out is None:
        return
    assert E164.fullmatch(out), out
    ascii_digits = "".join(ch for ch in raw if ch in "0123456789")
    assert out[1:] in (ascii_digits, ascii_digits[2:])
    assert normalize_phone(out) == out


def test_normalize_phone_examples_are_reachable() -> None:
    """Guards the property above against a strategy that only ever produces None."""
    assert normalize_phone("+372 5555-1234") == "+37255551234"
    assert normalize_phone("00 1 (415) 555.0100") == "+14155550100"


def _mixed_case(s: str, flips: list[bool]) -> str:
    return "".join(c.upper() if f else c for c, f in zip(s, flips + [False] * len(s), strict=False))


@EXAMPLES
@given(st.one_of(st.emails(), st.text(max_size=40)), st.lists(st.booleans(), max_size=80), st.sampled_from(["", " "]))
def test_normalize_email_is_idempotent(raw: str, flips: list[bool], pad: str) -> None:
    value = pad + _mixed_case(raw, flips) + pad
    once = normalize_email(value)
    if once is None:
        return
    assert normalize_email(once) == once
    assert once == once.strip().lower()
    assert once == value.strip().lower()


def test_normalize_email_property_sees_valid_addresses() -> None:
    assert normalize_email(" Bob@Example.ORG ") == "bob@example.org"


# --------------------------------------------------------------------------- ULIDs

_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


def id_at(ms: int) -> str:
    with mock.patch.object(ids, "time", SimpleNamespace(time=lambda: (ms + 0.5) / 1000)):
        return ids.new_id()


def decode_ms(value: str) -> int:
    n = 0
    for ch in value[:10]:
        n = n * 32 + _CROCKFORD.index(ch)
    return n


@EXAMPLES
@given(st.integers(0, 2**48 - 2), st.integers(1, 10**9))
def test_new_id_sorts_by_creation_time(ms: int, delta: int) -> None:
    later = min(ms + delta, 2**48 - 1)
    a, b = id_at(ms), id_at(later)
    for value in (a, b):
        assert len(value) == 26
        assert set(value) <= set(_CROCKFORD)
        assert ids.valid_id(value)
    assert decode_ms(a) == ms
    assert decode_ms(b) == later
    assert a < b


def test_new_id_real_clock() -> None:
    made = []
    for _ in range(5):
        made.append(ids.new_id())
        time.sleep(0.002)
    assert made == sorted(made)
    assert len(set(made)) == len(made)
    now_ms = int(time.time() * 1000)
    assert 0 <= now_ms - decode_ms(made[-1]) < 5_000


def test_new_ids_in_one_millisecond_are_distinct() -> None:
    with mock.patch.object(ids, "time", SimpleNamespace(time=lambda: 1_700_000_000.0005)):
        made = {ids.new_id() for _ in range(1000)}
    assert len(made) == 1000
    assert {decode_ms(v) for v in made} == {1_700_000_000_000}


@given(st.text(max_size=70))
@settings(max_examples=200, deadline=None, database=None)
def test_valid_id_matches_its_pattern(value: str) -> None:
    assume(value)
    expected = (
        len(value) <= 63
        and value[0] in "abcdefghijklmnopqrstuvwxyz0123456789"
        and all(c in "abcdefghijklmnopqrstuvwxyz0123456789-" for c in value)
    )
    assert ids.valid_id(value) == expected
