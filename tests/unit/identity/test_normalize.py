"""Unit tests for identifier normalization (crs.domain.identity.normalize)."""

from __future__ import annotations

from datetime import date

import pytest

from crs.domain.identity.kinds import STRONG, WEAK, IdentifierKind, is_strong
from crs.domain.identity.normalize import (
    IdentifierError,
    canonical_address,
    canonical_name,
    cn_check_char,
    isikukood_check_digit,
    name_dob,
    normalize,
    normalize_national_id,
)

K = IdentifierKind


def test_strong_and_weak_partition_the_kinds() -> None:
    assert {K.NATIONAL_ID, K.CARD_FINGERPRINT, K.BANK_ACCOUNT} == STRONG
    assert set(IdentifierKind) == STRONG | WEAK
    assert not STRONG & WEAK
    assert is_strong(K.BANK_ACCOUNT) and not is_strong(K.EMAIL)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  John.Smith@Example.COM ", "john.smith@example.com"),
        ("J.o.h.n.Smith+shop@gmail.com", "johnsmith@gmail.com"),
        ("john.smith@googlemail.com", "johnsmith@gmail.com"),
        ("mari+bank@outlook.com", "mari@outlook.com"),
        ("mari+x@icloud.com", "mari@icloud.com"),
        ("mari+x@fastmail.com", "mari@fastmail.com"),
        ("mari+x@proton.me", "mari@proton.me"),
        ("mari-shopping@yahoo.com", "mari@yahoo.com"),
        ("mari+x@mail.ee", "mari+x@mail.ee"),  # unknown provider: the tag may be part of the mailbox
        ("first.last@hot.ee", "first.last@hot.ee"),
    ],
)
def test_email_provider_rules(raw: str, expected: str) -> None:
    assert normalize(K.EMAIL, raw) == expected


@pytest.mark.parametrize(
    "raw", ["no-at-sign", "a@b", "@example.com", "a..b@example.com", ".a@example.com", "+tag@gmail.com", "a@-x.com"]
)
def test_bad_emails_rejected_without_echo(raw: str) -> None:
    with pytest.raises(IdentifierError) as exc:
        normalize(K.EMAIL, raw)
    assert raw not in str(exc.value)


def test_phone_e164_from_national_and_international_forms() -> None:
    assert normalize(K.PHONE, "5123 4567", default_region="EE") == "+37251234567"
    assert normalize(K.PHONE, "+372 5123-4567") == "+37251234567"
    assert normalize(K.PHONE, "00372 51234567", default_region="GB") == "+37251234567"
    assert normalize(K.PHONE, "(415) 555-2671", default_region="us") == "+14155552671"


@pytest.mark.parametrize("raw", ["5123 4567", "+372 12", "not a number", "+1 415 555 26711 99"])
def test_invalid_phones(raw: str) -> None:
    with pytest.raises(IdentifierError) as exc:
        normalize(K.PHONE, raw)  # no region: national form cannot be read either
    assert raw not in str(exc.value)


def test_isikukood_check_digit_and_date() -> None:
    first10 = "3760102012"
    good = first10 + str(isikukood_check_digit(first10))
    assert normalize_national_id("isikukood", good[:4] + " " + good[4:], "ee") == good
    bad = first10 + str((isikukood_check_digit(first10) + 1) % 10)
    with pytest.raises(IdentifierError, match="check digit"):
        normalize_national_id("isikukood", bad, "EE")
    with pytest.raises(IdentifierError, match="birth date"):
        normalize_national_id("isikukood", "3761302012" + str(isikukood_check_digit("3761302012")), "EE")


def test_isikukood_second_weight_pass() -> None:
    # Find a code whose first-pass remainder is 10, so the second weights decide the digit.
    for serial in range(1000):
        first10 = f"4800101{serial:03d}"
        if sum(int(c) * w for c, w in zip(first10, (1, 2, 3, 4, 5, 6, 7, 8, 9, 1), strict=True)) % 11 == 10:
            s2 = sum(int(c) * w for c, w in zip(first10, (3, 4, 5, 6, 7, 8, 9, 1, 2, 3), strict=True)) % 11
            assert isikukood_check_digit(first10) == (s2 if s2 < 10 else 0)
            break
    else:
        pytest.fail("no code with first-pass remainder 10")


def test_cn_resident_id_check() -> None:
    # The worked example of GB 11643-1999: 11010519491231002 -> X
    assert cn_check_char("11010519491231002") == "X"
    assert normalize_national_id("resident", "11010519491231002x", "CN") == "11010519491231002X"
    with pytest.raises(IdentifierError, match="check digit"):
        normalize_national_id("resident", "110105194912310021", "CN")


def test_national_id_other_countries_only_cleaned() -> None:
    assert normalize(K.NATIONAL_ID, "gb:nino:ab 12-34-56 c") == "GB:NINO:AB123456C"
    with pytest.raises(IdentifierError):
        normalize(K.NATIONAL_ID, "GB-AB123456C")


def test_iban_and_domestic_accounts() -> None:
    assert normalize(K.BANK_ACCOUNT, "ee38 2200 2210 2014 5685") == "EE382200221020145685"
    assert normalize(K.BANK_ACCOUNT, "GB82 WEST 1234 5698 7654 32") == "GB82WEST12345698765432"
    with pytest.raises(IdentifierError, match="check digits"):
        normalize(K.BANK_ACCOUNT, "EE382200221020145686")
    with pytest.raises(IdentifierError, match="length"):
        normalize(K.BANK_ACCOUNT, "EE3822002210201456851")
    assert normalize(K.BANK_ACCOUNT, "us: 021000021 :1234-5678") == "US:021000021:12345678"
    with pytest.raises(IdentifierError):
        normalize(K.BANK_ACCOUNT, "US:021000021:12AB")


def test_opaque_ids_and_card_fingerprint() -> None:
    assert normalize(K.WALLET_ID, "  Wallet-ABC ") == "wallet-abc"
    assert normalize(K.DEVICE_ID, "DEV\u00df") == "devss"
    for bad in ("", "   ", "a\x00b", "x" * 300):
        with pytest.raises(IdentifierError):
            normalize(K.DEVICE_ID, bad)
    fp = "AB" * 32
    assert normalize(K.CARD_FINGERPRINT, fp) == "ab" * 32
    with pytest.raises(IdentifierError):
        normalize(K.CARD_FINGERPRINT, "4111111111111111")


def test_canonical_names() -> None:
    assert canonical_name("Dr. Jüri  Õunapuu-Tamm") == "juri ounapuu tamm"
    assert canonical_name("MRS. Mary O'Brien, Jr.") == "mary obrien"
    assert canonical_name("王 小明") == "王小明"
    assert canonical_name("Zhang Wei") == "zhang wei"
    assert name_dob("Mr John SMITH", date(1980, 3, 4)) == "john smith|1980-03-04"
    with pytest.raises(IdentifierError):
        name_dob("Dr.", date(1980, 3, 4))


def test_address_canonical_form_unifies_abbreviations() -> None:
    a = canonical_address(["Pärnu maantee 12, korter 5"], "Tallinn", "10 148", "ee")
    b = canonical_address(["PARNU MNT. 12 apt 5"], "tallinn", "10148", "EE")
    assert a == b == "parnu mnt 12 apt 5|tallinn|10148|EE"
    assert canonical_address(["12 High Street"], "London", "sw1a 1aa", "GB") == canonical_address(
        ["12 High St."], "LONDON", "SW1A1AA", "GB"
    )
    assert normalize(K.POSTAL_ADDRESS, "Tartu tänav 1;2. korrus|Tartu|51004|EE") == "tartu tn 1 2 korrus|tartu|51004|EE"
    with pytest.raises(IdentifierError):
        normalize(K.POSTAL_ADDRESS, "only|three|parts")


def test_name_dob_kind() -> None:
    assert normalize(K.NAME_DOB, "Mari Tamm|1980-01-02") == "mari tamm|1980-01-02"
    for bad in ("Mari Tamm", "Mari Tamm|1980-02-30", "Mari Tamm|80-01-02"):
        with pytest.raises(IdentifierError):
            normalize(K.NAME_DOB, bad)
