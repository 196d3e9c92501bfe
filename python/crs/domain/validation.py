"""Input normalization and checks shared by every resource (no gRPC types)."""

from __future__ import annotations

import datetime as dt
import re

from crs.domain.errors import Violations

MAX_NAME = 200
MAX_LIST = 10
MAX_REASON = 500
MAX_PURPOSE = 500

# ISO 4217 active alphabetic codes (2025 list, including funds codes in use for payments).
ISO_4217 = frozenset(
    [
        "AED",
        "AFN",
        "ALL",
        "AMD",
        "ANG",
        "AOA",
        "ARS",
        "AUD",
        "AWG",
        "AZN",
        "BAM",
        "BBD",
        "BDT",
        "BGN",
        "BHD",
        "BIF",
        "BMD",
        "BND",
        "BOB",
        "BOV",
        "BRL",
        "BSD",
        "BTN",
        "BWP",
        "BYN",
        "BZD",
        "CAD",
        "CDF",
        "CHE",
        "CHF",
        "CHW",
        "CLF",
        "CLP",
        "CNY",
        "COP",
        "COU",
        "CRC",
        "CUP",
        "CVE",
        "CZK",
        "DJF",
        "DKK",
        "DOP",
        "DZD",
        "EGP",
        "ERN",
        "ETB",
        "EUR",
        "FJD",
        "FKP",
        "GBP",
        "GEL",
        "GHS",
        "GIP",
        "GMD",
        "GNF",
        "GTQ",
        "GYD",
        "HKD",
        "HNL",
        "HTG",
        "HUF",
        "IDR",
        "ILS",
        "INR",
        "IQD",
        "IRR",
        "ISK",
        "JMD",
        "JOD",
        "JPY",
        "KES",
        "KGS",
        "KHR",
        "KMF",
        "KPW",
        "KRW",
        "KWD",
        "KYD",
        "KZT",
        "LAK",
        "LBP",
        "LKR",
        "LRD",
        "LSL",
        "LYD",
        "MAD",
        "MDL",
        "MGA",
        "MKD",
        "MMK",
        "MNT",
        "MOP",
        "MRU",
        "MUR",
        "MVR",
        "MWK",
        "MXN",
        "MXV",
        "MYR",
        "MZN",
        "NAD",
        "NGN",
        "NIO",
        "NOK",
        "NPR",
        "NZD",
        "OMR",
        "PAB",
        "PEN",
        "PGK",
        "PHP",
        "PKR",
        "PLN",
        "PYG",
        "QAR",
        "RON",
        "RSD",
        "RUB",
        "RWF",
        "SAR",
        "SBD",
        "SCR",
        "SDG",
        "SEK",
        "SGD",
        "SHP",
        "SLE",
        "SOS",
        "SRD",
        "SSP",
        "STN",
        "SVC",
        "SYP",
        "SZL",
        "THB",
        "TJS",
        "TMT",
        "TND",
        "TOP",
        "TRY",
        "TTD",
        "TWD",
        "TZS",
        "UAH",
        "UGX",
        "USD",
        "USN",
        "UYI",
        "UYU",
        "UYW",
        "UZS",
        "VED",
        "VES",
        "VND",
        "VUV",
        "WST",
        "XAF",
        "XAG",
        "XAU",
        "XBA",
        "XBB",
        "XBC",
        "XBD",
        "XCD",
        "XCG",
        "XDR",
        "XOF",
        "XPD",
        "XPF",
        "XPT",
        "XSU",
        "XUA",
        "YER",
        "ZAR",
        "ZMW",
        "ZWG",
    ]
)

_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
_PHONE_STRIP = re.compile(r"[\s().-]")
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
_REGION = re.compile(r"[A-Z]{2}")
_LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})?")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def normalize_email(value: str) -> str | None:
    """Lower-cases the whole address (mailbox case is not significant in practice); None if malformed."""
    value = value.strip()
    if len(value) > 254 or not _EMAIL.fullmatch(value):
        return None
    return value.lower()


def normalize_phone(value: str) -> str | None:
    """E.164: '+' and 7-15 digits; spaces, dots, dashes and brackets dropped, leading 00 -> +."""
    value = _PHONE_STRIP.sub("", value.strip())
    if value.startswith("00"):
        value = "+" + value[2:]
    return value if _E164.fullmatch(value) else None


def normalize_national_id(value: str) -> str:
    return re.sub(r"[\s-]", "", value).upper()


def check_text(v: Violations, field_path: str, value: str, *, required: bool = False, limit: int = MAX_NAME) -> None:
    if required and not value.strip():
        v.add(field_path, "is required")
    elif len(value) > limit:
        v.add(field_path, f"must be at most {limit} characters")
    elif _CONTROL.search(value):
        v.add(field_path, "must not contain control characters")


def check_currency(v: Violations, field_path: str, value: str) -> None:
    if value not in ISO_4217:
        v.add(field_path, "must be an ISO 4217 alphabetic currency code such as EUR")


def check_region(v: Violations, field_path: str, value: str, *, required: bool = False) -> None:
    if not value and not required:
        return
    if not _REGION.fullmatch(value):
        v.add(field_path, "must be an ISO 3166-1 alpha-2 region code such as EE")


def check_language(v: Violations, field_path: str, value: str) -> None:
    if value and not _LANGUAGE.fullmatch(value):
        v.add(field_path, "must be a BCP 47 language tag such as en or et")


def parse_date(v: Violations, field_path: str, year: int, month: int, day: int) -> str:
    """google.type.Date -> 'YYYY-MM-DD' ('' when all zero)."""
    if (year, month, day) == (0, 0, 0):
        return ""
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        v.add(field_path, "must be a valid calendar date")
        return ""


def check_enum(v: Violations, field_path: str, value: int, allowed: range | frozenset[int]) -> None:
    if value not in allowed:
        v.add(field_path, "must be set to a defined value")


def is_plain_text(value: str) -> bool:
    """No control characters (values used in keys and resource names)."""
    return not _CONTROL.search(value) and "\n" not in value and "\r" not in value and "\t" not in value
