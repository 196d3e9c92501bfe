"""Input normalization and field checks (crs.domain.validation)."""

from __future__ import annotations

import pytest

from crs.domain.errors import FieldViolation, InvalidArgument, Violations
from crs.domain.validation import (
    ISO_4217,
    MAX_NAME,
    check_currency,
    check_enum,
    check_language,
    check_region,
    check_text,
    normalize_email,
    normalize_national_id,
    normalize_phone,
    parse_date,
)


def fields(v: Violations) -> list[str]:
    return [item.field for item in v.items]


# --------------------------------------------------------------------------- e-mail


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("alice@example.com", "alice@example.com"),
        ("  Alice.Smith@Example.COM \n", "alice.smith@example.com"),
        ("first+tag@sub.example.co.uk", "first+tag@sub.example.co.uk"),
        ("o'brien@example.ie", "o'brien@example.ie"),
        ("x@a-b.io", "x@a-b.io"),
        ("a" * 64 + "@example.com", "a" * 64 + "@example.com"),
    ],
)
def test_normalize_email_accepts(raw: str, expected: str) -> None:
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "plainaddress",
        "@example.com",
        "alice@",
        "alice@localhost",  # needs a dot-separated domain
        "alice@@example.com",
        "alice@-example.com",
        "alice@example-.com",
        "alice@exa_mple.com",
        "alice smith@example.com",
        "alice@example..com",
        "alice@.example.com",
        "a" * 65 + "@example.com",
        "alice@" + "a" * 64 + ".com",
        "x@" + ".".join(["abcdefghi"] * 26) + ".com",  # longer than 254 characters
        "alice@exämple.com",
        "alice@example.com\nbcc@evil.com",
        "alice@example.com\x00",
    ],
)
def test_normalize_email_rejects(raw: str) -> None:
    assert normalize_email(raw) is None


# --------------------------------------------------------------------------- phone


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+372 5555 1234", "+37255551234"),
        ("+1 (415) 555-0100", "+14155550100"),
        ("0044 20 7946 0958", "+442079460958"),
        ("+49.30.123456", "+4930123456"),
        (" +3725551234 ", "+3725551234"),
        ("+1234567", "+1234567"),  # 7 digits: the shortest accepted
        ("+123456789012345", "+123456789012345"),  # 15 digits: the longest
    ],
)
def test_normalize_phone_accepts(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "5555 1234",  # no country code
        "+0 555 1234",  # country code cannot start with 0
        "+123456",  # too short
        "+1234567890123456",  # too long
        "+1 555 CALL NOW",
        "++15555551234",
        "+1555555123x",
        "+1555\n5551234\nfoo",
        "+١٢٣٤٥٦٧٨",  # non-ASCII digits
        "000044 20 7946 0958",
    ],
)
def test_normalize_phone_rejects(raw: str) -> None:
    assert normalize_phone(raw) is None


# --------------------------------------------------------------------------- national id


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("38001085718", "38001085718"),
        ("ab 12-34 cd", "AB1234CD"),
        ("  x1\t2-3 ", "X123"),
        ("123-45-6789", "123456789"),
        ("", ""),
    ],
)
def test_normalize_national_id(raw: str, expected: str) -> None:
    assert normalize_national_id(raw) == expected
    assert normalize_national_id(expected) == expected


# --------------------------------------------------------------------------- currency, region, language, enum


@pytest.mark.parametrize("code", ["EUR", "USD", "GBP", "JPY", "CHF", "SEK", "XAF", "VES", "ZWG", "SLE"])
def test_currency_accepts_active_codes(code: str) -> None:
    v = Violations()
    check_currency(v, "currency_code", code)
    assert v.items == []


@pytest.mark.parametrize("code", ["", "eur", "Eur", "EURO", "EU", "XXX", "XTS", "DEM", "FRF", "HRK", "BTC", " EUR"])
def test_currency_rejects(code: str) -> None:
    v = Violations()
    check_currency(v, "account.currency_code", code)
    assert fields(v) == ["account.currency_code"]
    assert "ISO 4217" in v.items[0].description


def test_iso_4217_table_shape() -> None:
    assert all(len(c) == 3 and c.isascii() and c.isupper() and c.isalpha() for c in ISO_4217)
    assert 150 <= len(ISO_4217) <= 200


def test_region_and_language() -> None:
    v = Violations()
    check_region(v, "r_ok", "EE")
    check_region(v, "r_empty_optional", "")
    check_region(v, "r_empty_required", "", required=True)
    check_region(v, "r_lower", "ee")
    check_region(v, "r_long", "EST")
    check_language(v, "l_ok", "et")
    check_language(v, "l_ok_region", "en-GB")
    check_language(v, "l_empty", "")
    check_language(v, "l_bad", "English")
    check_language(v, "l_upper", "EN")
    assert fields(v) == ["r_empty_required", "r_lower", "r_long", "l_bad", "l_upper"]


def test_check_enum() -> None:
    v = Violations()
    check_enum(v, "kind", 1, range(1, 3))
    check_enum(v, "kind_zero", 0, range(1, 3))
    check_enum(v, "kind_high", 3, range(1, 3))
    check_enum(v, "state", 4, frozenset({2, 4}))
    check_enum(v, "state_bad", 3, frozenset({2, 4}))
    assert fields(v) == ["kind_zero", "kind_high", "state_bad"]


# --------------------------------------------------------------------------- check_text


def test_check_text_limits() -> None:
    v = Violations()
    check_text(v, "at_limit", "x" * MAX_NAME)
    check_text(v, "over_limit", "x" * (MAX_NAME + 1))
    check_text(v, "custom_limit_ok", "x" * 10, limit=10)
    check_text(v, "custom_limit_over", "x" * 11, limit=10)
    check_text(v, "unicode_counts_characters", "é" * MAX_NAME)
    assert fields(v) == ["over_limit", "custom_limit_over"]
    assert v.items[0].description == f"must be at most {MAX_NAME} characters"


def test_check_text_required() -> None:
    v = Violations()
    check_text(v, "missing", "", required=True)
    check_text(v, "blank", " \t ", required=True)
    check_text(v, "optional_empty", "")
    check_text(v, "present", "Alice", required=True)
    assert fields(v) == ["missing", "blank"]
    assert v.items[0].description == "is required"


@pytest.mark.parametrize("ch", ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f"])
def test_check_text_rejects_control_characters(ch: str) -> None:
    v = Violations()
    check_text(v, "display_name", f"Alice{ch}Smith")
    assert v.items == [FieldViolation("display_name", "must not contain control characters")]


@pytest.mark.parametrize("text", ["Alice Smith", "Ålesund Öl & Co.", "李小龍", "emoji 😀", "O'Brien-Smith"])
def test_check_text_accepts_ordinary_text(text: str) -> None:
    v = Violations()
    check_text(v, "display_name", text, required=True)
    assert v.items == []


# --------------------------------------------------------------------------- parse_date


@pytest.mark.parametrize(
    ("ymd", "expected"),
    [((2024, 2, 29), "2024-02-29"), ((1970, 1, 1), "1970-01-01"), ((9999, 12, 31), "9999-12-31"), ((0, 0, 0), "")],
)
def test_parse_date_valid(ymd: tuple[int, int, int], expected: str) -> None:
    v = Violations()
    assert parse_date(v, "date_of_birth", *ymd) == expected
    assert v.items == []


@pytest.mark.parametrize(
    "ymd",
    [
        (2023, 2, 29),
        (2024, 4, 31),
        (2024, 13, 1),
        (2024, 0, 1),
        (2024, 1, 0),
        (2024, 0, 0),  # year-only dates are not accepted
        (0, 1, 1),
        (10000, 1, 1),
        (-1, 1, 1),
        (1900, 2, 29),
    ],
)
def test_parse_date_invalid(ymd: tuple[int, int, int]) -> None:
    v = Violations()
    assert parse_date(v, "date_of_birth", *ymd) == ""
    assert v.items == [FieldViolation("date_of_birth", "must be a valid calendar date")]


# --------------------------------------------------------------------------- Violations


def test_violations_collect_every_field() -> None:
    v = Violations()
    v.raise_if_any()  # nothing collected: no error
    check_text(v, "customer.display_name", "", required=True)
    check_currency(v, "account.currency_code", "eur")
    parse_date(v, "customer.date_of_birth", 2023, 2, 30)
    check_text(v, "customer.legal_name", "ok")
    with pytest.raises(InvalidArgument) as excinfo:
        v.raise_if_any()
    err = excinfo.value
    assert err.reason == "INVALID_ARGUMENT"
    assert [x.field for x in err.violations] == [
        "customer.display_name",
        "account.currency_code",
        "customer.date_of_birth",
    ]
    assert str(err) == "invalid customer.display_name: is required (and 2 more)"


def test_violations_single_and_custom_reason() -> None:
    v = Violations()
    v.add("page_size", "must not be negative")
    with pytest.raises(InvalidArgument) as excinfo:
        v.raise_if_any("CUSTOM_REASON")
    assert excinfo.value.reason == "CUSTOM_REASON"
    assert str(excinfo.value) == "invalid page_size: must not be negative"
    assert excinfo.value.violations == [FieldViolation("page_size", "must not be negative")]
