"""Canonical forms of customer identifiers, used for exact keys and as input to the keyed encodings.

Every function raises `IdentifierError` with a fixed, human-readable reason; the reason never contains the
input (identifiers are PII, and a card number typed into the wrong field must not reach a log line).
All canonical forms are idempotent: ``normalize(k, normalize(k, x)) == normalize(k, x)``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import phonenumbers

from crs.domain.identity.kinds import IdentifierKind

MAX_RAW = 512
MAX_OPAQUE_ID = 256


class IdentifierError(ValueError):
    """An identifier that cannot be normalized. `str(err)` is safe to log and to return to a caller."""


# --- e-mail ---------------------------------------------------------------------------------------------------

_LOCAL = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_DOMAIN = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
_GMAIL = frozenset({"gmail.com", "googlemail.com"})
# Providers that deliver local+tag to local (sub-addressing).
_PLUS_TAG = frozenset(
    {
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "hotmail.co.uk",
        "outlook.co.uk",
        "icloud.com",
        "me.com",
        "mac.com",
        "fastmail.com",
        "fastmail.fm",
        "proton.me",
        "protonmail.com",
        "protonmail.ch",
        "pm.me",
    }
)


def _is_yahoo(domain: str) -> bool:
    return domain.startswith("yahoo.") or domain == "ymail.com"


def _check_email_shape(local: str, domain: str) -> None:
    if not local or len(local) > 64:
        raise IdentifierError("e-mail local part must be 1-64 characters")
    if not _LOCAL.fullmatch(local):
        raise IdentifierError("e-mail local part has characters or dots that are not allowed")
    if len(domain) > 253 or not _DOMAIN.fullmatch(domain):
        raise IdentifierError("e-mail domain is not a valid host name")


def normalize_email(raw: str) -> str:
    """Trim, lower-case, then the provider's own equivalences (Gmail dots and +tags, sub-address tags)."""
    value = raw.strip().lower()
    if len(value) > 254:
        raise IdentifierError("e-mail address is longer than 254 characters")
    local, sep, domain = value.rpartition("@")
    if not sep:
        raise IdentifierError("e-mail address must contain '@'")
    _check_email_shape(local, domain)
    if domain in _GMAIL:
        domain = "gmail.com"
        local = local.split("+", 1)[0].replace(".", "")
    elif domain in _PLUS_TAG:
        local = local.split("+", 1)[0]
    elif _is_yahoo(domain):
        local = local.split("-", 1)[0]
    _check_email_shape(local, domain)
    return f"{local}@{domain}"


def email_local_part(normalized: str) -> str:
    return normalized.rpartition("@")[0]


# --- phone ------------------------------------------------------------------------------------------------------

_REGION = re.compile(r"[A-Z]{2}")


def normalize_phone(raw: str, default_region: str | None = None) -> str:
    """E.164 via libphonenumber; a national number needs `default_region` (ISO 3166-1 alpha-2)."""
    if len(raw) > 64:
        raise IdentifierError("phone number is longer than 64 characters")
    region = default_region.upper() if default_region else None
    if region is not None and not _REGION.fullmatch(region):
        raise IdentifierError("default region must be an ISO 3166-1 alpha-2 code")
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise IdentifierError("phone number cannot be parsed (national numbers need a default region)") from None
    if not phonenumbers.is_valid_number(parsed):
        raise IdentifierError("phone number is not a valid number for its region")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


# --- national id ------------------------------------------------------------------------------------------------

_ID_STRIP = re.compile(r"[\s\-]")
_ID_VALUE = re.compile(r"[A-Z0-9]{1,64}")
_ID_TYPE = re.compile(r"[A-Z0-9_]{1,32}")
_EE_W1 = (1, 2, 3, 4, 5, 6, 7, 8, 9, 1)
_EE_W2 = (3, 4, 5, 6, 7, 8, 9, 1, 2, 3)
_CN_W = tuple(pow(2, 17 - i, 11) for i in range(17))
_CN_CHECK = "10X98765432"


def _valid_date(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def isikukood_check_digit(first10: str) -> int:
    """Estonian personal code check digit over the first 10 digits (two weight passes, mod 11)."""
    digits = [int(c) for c in first10]
    s = sum(d * w for d, w in zip(digits, _EE_W1, strict=True)) % 11
    if s < 10:
        return s
    s = sum(d * w for d, w in zip(digits, _EE_W2, strict=True)) % 11
    return s if s < 10 else 0


def cn_check_char(first17: str) -> str:
    """GB 11643-1999 ISO 7064 MOD 11-2 check character."""
    s = sum(int(c) * w for c, w in zip(first17, _CN_W, strict=True)) % 11
    return _CN_CHECK[s]


def _check_isikukood(value: str) -> None:
    if len(value) != 11 or not value.isdigit():
        raise IdentifierError("Estonian personal code must be 11 digits")
    century = {"1": 1800, "2": 1800, "3": 1900, "4": 1900, "5": 2000, "6": 2000, "7": 2100, "8": 2100}
    base = century.get(value[0])
    if base is None or not _valid_date(base + int(value[1:3]), int(value[3:5]), int(value[5:7])):
        raise IdentifierError("Estonian personal code has an invalid sex/century digit or birth date")
    if isikukood_check_digit(value[:10]) != int(value[10]):
        raise IdentifierError("Estonian personal code check digit does not match")


def _check_cn_resident_id(value: str) -> None:
    if len(value) != 18 or not value[:17].isdigit() or value[17] not in "0123456789X":
        raise IdentifierError("Chinese resident id must be 17 digits and a check digit or X")
    if not _valid_date(int(value[6:10]), int(value[10:12]), int(value[12:14])):
        raise IdentifierError("Chinese resident id has an invalid birth date")
    if cn_check_char(value[:17]) != value[17]:
        raise IdentifierError("Chinese resident id check digit does not match")


CHECKED_NATIONAL_ID_COUNTRIES = frozenset({"EE", "CN"})


def has_check_digit(country: str) -> bool:
    """Whether national ids of this country are validated by a check digit here (a typo is then rejected)."""
    return country.upper() in CHECKED_NATIONAL_ID_COUNTRIES


def normalize_national_id(type: str, value: str, country: str) -> str:
    """Upper-case, drop spaces and dashes; check digits for EE (isikukood) and CN (resident id). Returns the value."""
    country = country.strip().upper()
    if not _REGION.fullmatch(country):
        raise IdentifierError("national id country must be an ISO 3166-1 alpha-2 code")
    id_type = _ID_STRIP.sub("", type).upper()
    if not _ID_TYPE.fullmatch(id_type):
        raise IdentifierError("national id type must be 1-32 letters, digits or underscores")
    value = _ID_STRIP.sub("", value).upper()
    if not _ID_VALUE.fullmatch(value):
        raise IdentifierError("national id must be 1-64 letters or digits")
    if country == "EE":
        _check_isikukood(value)
    elif country == "CN":
        _check_cn_resident_id(value)
    return value


def national_id_key(country: str, type: str, value: str) -> str:
    """Canonical ``CC:TYPE:VALUE`` (the form `normalize(NATIONAL_ID, ...)` accepts and returns)."""
    norm = normalize_national_id(type, value, country)
    return f"{country.strip().upper()}:{_ID_STRIP.sub('', type).upper()}:{norm}"


# --- bank account -----------------------------------------------------------------------------------------------

IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AT": 20, "BE": 16, "BG": 22, "BR": 29, "CH": 21, "CY": 28, "CZ": 24, "DE": 22,
    "DK": 18, "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GR": 27, "HR": 21, "HU": 28, "IE": 22,
    "IL": 23, "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31, "NL": 18,
    "NO": 15, "PL": 28, "PT": 25, "RO": 24, "SA": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TR": 26,
    "UA": 29,
}  # fmt: skip
_IBAN = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}")
_DIGITS = re.compile(r"[0-9]{1,34}")
_BANK_CODE = re.compile(r"[A-Z0-9]{1,16}")


def iban_mod97(iban: str) -> int:
    """ISO 13616 check: rotate the first four characters to the end, letters to 10..35, value mod 97."""
    rotated = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in rotated)) % 97


def normalize_iban(raw: str) -> str:
    value = re.sub(r"\s", "", raw).upper()
    if not _IBAN.fullmatch(value):
        raise IdentifierError("IBAN must be a country code, two check digits and 11-30 letters or digits")
    expected = IBAN_LENGTHS.get(value[:2])
    if expected is not None and len(value) != expected:
        raise IdentifierError("IBAN length does not match its country")
    if iban_mod97(value) != 1:
        raise IdentifierError("IBAN check digits do not match")
    return value


def normalize_bank_account(raw: str) -> str:
    """An IBAN, or ``CC:BANKCODE:ACCOUNTDIGITS`` for domestic accounts (spaces and dashes dropped)."""
    if len(raw) > 128:
        raise IdentifierError("bank account is longer than 128 characters")
    if ":" not in raw:
        return normalize_iban(raw)
    parts = raw.split(":")
    if len(parts) != 3:
        raise IdentifierError("domestic bank account must be country:bank code:account number")
    country, bank, account = (_ID_STRIP.sub("", p).upper() for p in parts)
    if not _REGION.fullmatch(country):
        raise IdentifierError("bank account country must be an ISO 3166-1 alpha-2 code")
    if not _BANK_CODE.fullmatch(bank):
        raise IdentifierError("bank code must be 1-16 letters or digits")
    if not _DIGITS.fullmatch(account):
        raise IdentifierError("account number must be 1-34 digits")
    return f"{country}:{bank}:{account}"


# --- names and addresses ----------------------------------------------------------------------------------------

TITLES = frozenset(
    {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "madam", "mme", "mlle", "herr", "frau", "rev"}
    | {"jr", "sr", "ii", "iii", "phd", "esq"}
)
_APOSTROPHES = str.maketrans("", "", "'\u2019\u02bc`\u00b4")
_CJK = r"[\u3400-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af]"
_CJK_GAP = re.compile(rf"(?<={_CJK}) (?={_CJK})")

ADDRESS_ABBREVIATIONS: dict[str, str] = {
    "street": "st", "str": "st", "st": "st", "jie": "st",
    "avenue": "ave", "av": "ave", "ave": "ave",
    "road": "rd", "rd": "rd", "lu": "rd",
    "tanav": "tn", "tn": "tn",
    "maantee": "mnt", "mnt": "mnt",
    "puiestee": "pst", "pst": "pst",
    "apartment": "apt", "apt": "apt", "flat": "apt", "korter": "apt", "unit": "apt",
    "boulevard": "blvd", "blvd": "blvd",
    "drive": "dr", "dr": "dr",
    "lane": "ln", "ln": "ln",
    "court": "ct", "ct": "ct",
    "place": "pl", "pl": "pl",
    "square": "sq", "sq": "sq",
    "suite": "ste", "ste": "ste",
    "floor": "fl", "fl": "fl",
    "building": "bldg", "bldg": "bldg",
    "number": "no", "no": "no", "nr": "no",
}  # fmt: skip


def _fold(text: str) -> str:
    """Compatibility-decompose, drop combining marks, case-fold (twice: case folding can add marks)."""
    out = text
    for _ in range(2):
        out = "".join(c for c in unicodedata.normalize("NFKD", out) if not unicodedata.combining(c)).casefold()
    return "".join(c for c in unicodedata.normalize("NFKD", out) if not unicodedata.combining(c))


def _tokens(text: str) -> list[str]:
    folded = _fold(text).translate(_APOSTROPHES)
    return "".join(c if c.isalnum() else " " for c in folded).split()


def canonical_name(s: str) -> str:
    """Case-folded, without diacritics, titles, punctuation; single spaces. CJK names stay as characters."""
    if len(s) > MAX_RAW:
        raise IdentifierError("name is longer than 512 characters")
    joined = " ".join(t for t in _tokens(s) if t not in TITLES)
    return _CJK_GAP.sub("", joined)


def canonical_text(s: str) -> str:
    """Address text: like names (titles kept) with common street-type abbreviations unified."""
    if len(s) > MAX_RAW:
        raise IdentifierError("address is longer than 512 characters")
    joined = " ".join(ADDRESS_ABBREVIATIONS.get(t, t) for t in _tokens(s))
    return _CJK_GAP.sub("", joined)


@dataclass(frozen=True, slots=True)
class Address:
    lines: tuple[str, ...]
    locality: str
    postal_code: str
    country: str


_POSTAL = re.compile(r"[A-Z0-9][A-Z0-9-]{0,11}")


def canonical_postal_code(raw: str) -> str:
    value = re.sub(r"\s", "", _fold(raw)).upper()
    if not _POSTAL.fullmatch(value):
        raise IdentifierError("postal code must be 1-12 letters, digits or dashes")
    return value


def canonical_address(lines: Sequence[str], locality: str, postal_code: str, country: str) -> str:
    """``street lines|locality|POSTALCODE|CC``; the postal code may be empty, the rest must not be."""
    country = country.strip().upper()
    if not _REGION.fullmatch(country):
        raise IdentifierError("address country must be an ISO 3166-1 alpha-2 code")
    street = canonical_text(" ".join(lines))
    if not street:
        raise IdentifierError("address has no street line")
    postal = canonical_postal_code(postal_code) if postal_code.strip() else ""
    return f"{street}|{canonical_text(locality)}|{postal}|{country}"


def address_of(addr: Address) -> str:
    return canonical_address(addr.lines, addr.locality, addr.postal_code, addr.country)


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_iso_date(raw: str) -> date:
    value = raw.strip()
    if not _ISO_DATE.fullmatch(value):
        raise IdentifierError("date must be YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise IdentifierError("date is not a calendar date") from None


def name_dob(name: str, dob: date) -> str:
    canon = canonical_name(name)
    if not canon:
        raise IdentifierError("name is empty after removing titles and punctuation")
    return f"{canon}|{dob.isoformat()}"


# --- dispatch ---------------------------------------------------------------------------------------------------

_HEX64 = re.compile(r"[0-9a-f]{64}")


def _opaque_id(raw: str, what: str) -> str:
    value = raw.strip().casefold().strip()
    if not value or len(value) > MAX_OPAQUE_ID:
        raise IdentifierError(f"{what} must be 1-{MAX_OPAQUE_ID} characters")
    if not value.isprintable():
        raise IdentifierError(f"{what} must contain only printable characters")
    return value


def _national_id(raw: str) -> str:
    parts = raw.split(":")
    if len(parts) != 3:
        raise IdentifierError("national id must be country:type:value")
    return national_id_key(parts[0], parts[1], parts[2])


def _card_fingerprint(raw: str) -> str:
    value = raw.strip().lower()
    if not _HEX64.fullmatch(value):
        raise IdentifierError("card fingerprint must be 64 hexadecimal characters")
    return value


def _postal_address(raw: str) -> str:
    parts = raw.split("|")
    if len(parts) != 4:
        raise IdentifierError("postal address must be lines|locality|postal code|country")
    return canonical_address(re.split(r"[;\n]", parts[0]), parts[1], parts[2], parts[3])


def _name_dob(raw: str) -> str:
    name, sep, dob = raw.rpartition("|")
    if not sep:
        raise IdentifierError("name and date of birth must be name|YYYY-MM-DD")
    return name_dob(name, parse_iso_date(dob))


_HANDLERS: dict[IdentifierKind, Callable[[str], str]] = {
    IdentifierKind.EMAIL: normalize_email,
    IdentifierKind.NATIONAL_ID: _national_id,
    IdentifierKind.BANK_ACCOUNT: normalize_bank_account,
    IdentifierKind.CARD_FINGERPRINT: _card_fingerprint,
    IdentifierKind.WALLET_ID: lambda raw: _opaque_id(raw, "wallet id"),
    IdentifierKind.DEVICE_ID: lambda raw: _opaque_id(raw, "device id"),
    IdentifierKind.POSTAL_ADDRESS: _postal_address,
    IdentifierKind.NAME_DOB: _name_dob,
}


def normalize(kind: IdentifierKind, raw: str, *, default_region: str | None = None) -> str:
    """Canonical form of one identifier.

    Composite kinds take one string: NATIONAL_ID ``CC:TYPE:VALUE``; BANK_ACCOUNT an IBAN or ``CC:BANK:ACCOUNT``;
    POSTAL_ADDRESS ``line1;line2|locality|postal code|CC`` (lines split on ';' or newline);
    NAME_DOB ``name|YYYY-MM-DD``.
    """
    if len(raw) > MAX_RAW:
        raise IdentifierError("identifier is longer than 512 characters")
    handler = _HANDLERS.get(kind)
    if handler is not None:
        return handler(raw)
    if kind is IdentifierKind.PHONE:
        return normalize_phone(raw, default_region)
    raise IdentifierError("unknown identifier kind")


# Common English short forms -> formal given name (used as an extra phonetic code, never stored in plain).
NICKNAMES: dict[str, str] = {
    "bob": "robert", "bobby": "robert", "rob": "robert", "robbie": "robert",
    "bill": "william", "billy": "william", "will": "william", "liam": "william",
    "liz": "elizabeth", "beth": "elizabeth", "betty": "elizabeth", "lizzie": "elizabeth", "eliza": "elizabeth",
    "jim": "james", "jimmy": "james", "jamie": "james",
    "mike": "michael", "mick": "michael", "mikey": "michael",
    "kate": "katherine", "katie": "katherine", "kathy": "katherine", "cathy": "catherine",
    "tom": "thomas", "tommy": "thomas",
    "dave": "david", "davy": "david",
    "chris": "christopher", "kit": "christopher",
    "alex": "alexander", "sandy": "alexander",
    "sam": "samuel", "ben": "benjamin", "dan": "daniel", "danny": "daniel",
    "joe": "joseph", "joey": "joseph",
    "jen": "jennifer", "jenny": "jennifer",
    "nick": "nicholas", "tony": "anthony", "andy": "andrew", "drew": "andrew",
    "matt": "matthew", "steve": "stephen", "ed": "edward", "ted": "edward", "eddie": "edward",
    "maggie": "margaret", "meg": "margaret", "peggy": "margaret",
    "sue": "susan", "susie": "susan", "pat": "patricia", "patty": "patricia",
    "jack": "john", "johnny": "john", "jon": "jonathan",
    "vicky": "victoria", "becky": "rebecca", "abby": "abigail", "ellie": "eleanor",
    "charlie": "charles", "chuck": "charles", "harry": "henry", "hank": "henry",
    "dick": "richard", "rick": "richard", "rich": "richard",
    "greg": "gregory", "jeff": "jeffrey", "larry": "lawrence", "fred": "frederick",
    "jaan": "johannes", "juhan": "johannes", "hannes": "johannes",
    "kati": "katrin", "mari": "maria", "mare": "maria", "peep": "peeter",
}  # fmt: skip


def formal_given_name(token: str) -> str | None:
    """The formal form of a known short name (`token` already canonical), or None."""
    return NICKNAMES.get(token)
