"""Page tokens (AIP-158): opaque, tamper-evident, bound to their query; page_size rules."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from crs._core import KeyRing
from crs.domain.errors import InvalidArgument
from crs.domain.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PageTokens, page_size, query_hash

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
QUERY = query_hash("tenants/acme", "customers", "")


def _ring(path: Path) -> KeyRing:
    KeyRing.generate(path)
    return KeyRing.from_file(path)


@pytest.fixture(scope="module")
def ring(tmp_path_factory: pytest.TempPathFactory) -> KeyRing:
    return _ring(tmp_path_factory.mktemp("keys") / "keys.json")


@pytest.fixture(scope="module")
def tokens(ring: KeyRing) -> PageTokens:
    return PageTokens(ring)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def assert_invalid(tokens: PageTokens, token: str, query: str = QUERY) -> None:
    with pytest.raises(InvalidArgument) as excinfo:
        tokens.decode(token, query)
    err = excinfo.value
    assert err.reason == "INVALID_PAGE_TOKEN"
    assert [v.field for v in err.violations] == ["page_token"]


# --------------------------------------------------------------------------- round trip


@pytest.mark.parametrize(
    "position",
    [
        [],
        [0],
        [15],
        [3, "01hzz8k3m2abcdefghjkmnpqrs"],
        [7, "a", "b c", ""],
        ["ünïcødé ✓ 😀", 'quote"back\\slash'],
        [2**62, -1, 1.5, None, True],
    ],
)
def test_round_trip(tokens: PageTokens, position: list[Any]) -> None:
    token = tokens.encode(QUERY, position)
    assert tokens.decode(token, QUERY) == position


def test_token_is_opaque_url_safe_text(tokens: PageTokens) -> None:
    token = tokens.encode(QUERY, [3, "secret-position"])
    assert set(token) <= set(ALPHABET + ".")
    assert token.count(".") == 1
    assert "secret-position" not in token


def test_empty_token_is_first_page(tokens: PageTokens) -> None:
    assert tokens.decode("", QUERY) is None


def test_tokens_survive_a_new_instance_with_the_same_keys(ring: KeyRing, tmp_path: Path) -> None:
    token = PageTokens(ring).encode(QUERY, [1, "x"])
    assert PageTokens(ring).decode(token, QUERY) == [1, "x"]
    # ...but not a different key ring
    assert_invalid(PageTokens(_ring(tmp_path / "other.json")), token)


# --------------------------------------------------------------------------- tampering


def _flip(segment: str, index: int) -> list[str]:
    """Every alphabet character at ``index`` whose 6-bit value differs in one of the top two bits.

    Those bits carry data in every position, including the last character of an unpadded segment.
    """
    value = ALPHABET.index(segment[index])
    return [segment[:index] + c + segment[index + 1 :] for c in ALPHABET if (ALPHABET.index(c) ^ value) & 0b110000]


@pytest.mark.parametrize("part", ["body", "tag"])
def test_any_flipped_character_is_rejected(tokens: PageTokens, part: str) -> None:
    token = tokens.encode(QUERY, [5, "01hzz8k3m2abcdefghjkmnpqrs"])
    body, tag = token.split(".")
    segment = body if part == "body" else tag
    checked = 0
    for i in range(len(segment)):
        for changed in _flip(segment, i):
            bad = f"{changed}.{tag}" if part == "body" else f"{body}.{changed}"
            assert_invalid(tokens, bad)
            checked += 1
    assert checked > 100


def test_noncanonical_tag_encoding_is_rejected(tokens: PageTokens) -> None:
    """A different token string is a modified token even when lenient base64 decodes it to the same bytes.

    The 16-byte tag is 22 base64 characters: the low 4 bits of the last one carry no data, and
    ``urlsafe_b64decode`` also accepts the standard alphabet's ``+``/``/`` for ``-``/``_``.
    """
    token = tokens.encode(QUERY, [5, "x"])
    body, tag = token.split(".")
    last = ALPHABET[ALPHABET.index(tag[-1]) ^ 1]
    assert_invalid(tokens, f"{body}.{tag[:-1]}{last}")


def test_standard_base64_alphabet_is_rejected(tokens: PageTokens) -> None:
    for n in range(1, 12):
        token = tokens.encode(QUERY, ["?" * n, "~" * n])
        if "-" in token or "_" in token:
            break
    else:  # pragma: no cover - the loop above always finds one
        pytest.fail("no token with '-' or '_'")
    assert_invalid(tokens, token.replace("-", "+").replace("_", "/"))


@pytest.mark.parametrize(
    "token",
    ["x", ".", "abc", "a.b", "no-dot-at-all", "!!!!.????", "e30.", ".AAAA", "e30.e30.e30", " ", "\x00"],
)
def test_garbage_is_rejected(tokens: PageTokens, token: str) -> None:
    assert_invalid(tokens, token)


def test_swapped_tags_are_rejected(tokens: PageTokens) -> None:
    body1, tag1 = tokens.encode(QUERY, [1, "a"]).split(".")
    body2, tag2 = tokens.encode(QUERY, [2, "b"]).split(".")
    assert_invalid(tokens, f"{body1}.{tag2}")
    assert_invalid(tokens, f"{body2}.{tag1}")


def test_forged_body_with_valid_base64_is_rejected(tokens: PageTokens) -> None:
    _, tag = tokens.encode(QUERY, [1, "a"]).split(".")
    forged = b64(json.dumps({"q": QUERY, "p": [9, "zzz"]}, separators=(",", ":")).encode())
    assert_invalid(tokens, f"{forged}.{tag}")


def _signed(ring: KeyRing, payload: bytes) -> str:
    return b64(payload) + "." + b64(ring.mac("page-token/v1", payload)[:16])


@pytest.mark.parametrize(
    "payload",
    [
        b"[1,2]",
        b'"text"',
        b"null",
        b'{"q":"QUERY"}',
        b'{"q":"QUERY","p":"not-a-list"}',
        b'{"q":"QUERY","p":{"a":1}}',
        b'{"p":[1]}',
        b"not json",
        b"\xff\xfe",
    ],
)
def test_authentic_but_malformed_payload_is_rejected(ring: KeyRing, tokens: PageTokens, payload: bytes) -> None:
    token = _signed(ring, payload.replace(b"QUERY", QUERY.encode()))
    assert_invalid(tokens, token)


def test_signed_payload_helper_matches_encoder(ring: KeyRing, tokens: PageTokens) -> None:
    """Guards the test above: a token built by hand like that is accepted when well-formed."""
    payload = json.dumps({"q": QUERY, "p": [4, "k"]}, separators=(",", ":")).encode()
    assert _signed(ring, payload) == tokens.encode(QUERY, [4, "k"])


# --------------------------------------------------------------------------- query binding


def test_token_of_another_query_is_rejected(tokens: PageTokens) -> None:
    token = tokens.encode(QUERY, [1, "a"])
    for other in (
        query_hash("tenants/globex", "customers", ""),
        query_hash("tenants/acme", "accounts", ""),
        query_hash("tenants/acme", "customers", "status = ACTIVE"),
        "",
        QUERY.upper(),
    ):
        assert_invalid(tokens, token, other)
    assert tokens.decode(token, QUERY) == [1, "a"]


def test_query_hash() -> None:
    assert query_hash("a", 1) == query_hash("a", 1)
    assert len(query_hash("a")) == 32
    assert int(query_hash("a"), 16) >= 0
    distinct = {query_hash("a", "b"), query_hash("ab"), query_hash("a", "b", ""), query_hash("b", "a"), query_hash()}
    assert len(distinct) == 5


# --------------------------------------------------------------------------- page_size


@pytest.mark.parametrize(
    ("requested", "expected"),
    [
        (0, DEFAULT_PAGE_SIZE),
        (1, 1),
        (49, 49),
        (50, 50),
        (999, 999),
        (1000, 1000),
        (1001, 1000),
        (10**9, 1000),
    ],
)
def test_page_size(requested: int, expected: int) -> None:
    assert page_size(requested) == expected


def test_page_size_constants() -> None:
    assert (DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE) == (50, 1000)


@pytest.mark.parametrize("requested", [-1, -50, -(2**31)])
def test_negative_page_size_is_invalid(requested: int) -> None:
    with pytest.raises(InvalidArgument) as excinfo:
        page_size(requested)
    assert excinfo.value.reason == "INVALID_ARGUMENT"
    assert [v.field for v in excinfo.value.violations] == ["page_size"]
