"""Unit tests for keyed encodings and MatchRecord (crs.domain.identity.encoding)."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from crs.domain.identity.encoding import (
    KEY_BYTES,
    NAME_BLOOM_BITS,
    TOKEN_KEY_BYTES,
    HmacKeyer,
    MatchRecord,
    bigrams,
    bloom_encode,
    build_match_record,
    date_keys,
    dice,
    name_tokens,
    phonetic_code,
)
from crs.domain.identity.normalize import Address, IdentifierError, isikukood_check_digit

KEYER = HmacKeyer(b"unit-test-key-0123456789abcdef!!")
OTHER = HmacKeyer(b"another-tenant-key-0123456789ab!")
NID = "3800101" + "123"
NID = f"EE:ISIKUKOOD:{NID}{isikukood_check_digit(NID)}"

RAW = {
    "name": "Kristiina Õunapuu",
    "dob": "1980-01-01",
    "emails": ["kristiina.ounapuu@gmail.com"],
    "phones": ["+372 5123 4567"],
    "national_ids": [NID, "US:SSN:078051120"],
    "addresses": [Address(("Pärnu maantee 12-5",), "Tallinn", "10148", "EE")],
    "bank_accounts": ["EE382200221020145685"],
}


def _record(keyer: HmacKeyer = KEYER) -> MatchRecord:
    return build_match_record(keyer, **RAW)  # type: ignore[arg-type]


def test_hmac_keyer_separates_purposes_and_keys() -> None:
    a = KEYER.keyed("email", "x")
    assert len(a) == 32
    assert a != KEYER.keyed("phone", "x")
    assert a != OTHER.keyed("email", "x")
    assert KEYER.keyed("ab", "c") != KEYER.keyed("a", "bc")
    with pytest.raises(ValueError):
        HmacKeyer(b"short")


def test_bigrams_are_padded() -> None:
    assert bigrams("ab") == {"^a", "ab", "b$"}


def test_bloom_dice_orders_similarity() -> None:
    def enc(s: str) -> bytes:
        return bloom_encode(KEYER, "name.bloom", s)

    same = enc("kristiina tamm")
    assert len(same) == NAME_BLOOM_BITS // 8
    assert dice(same, enc("kristiina tamm")) == 1.0
    typo = dice(same, enc("kristina tamm"))
    other = dice(same, enc("wang xiaoming"))
    assert 0.75 < typo < 1.0
    assert other < 0.4 < typo
    assert dice(same, bloom_encode(OTHER, "name.bloom", "kristiina tamm")) < 0.4  # another tenant key
    with pytest.raises(ValueError):
        dice(same, same[:-1])
    with pytest.raises(ValueError):
        bloom_encode(KEYER, "p", "x", k=17)


def test_phonetic_code() -> None:
    assert phonetic_code("robert") == phonetic_code("rupert") == "r163"
    assert phonetic_code("tamm") == phonetic_code("tamn") == "t500"
    assert phonetic_code("ashcraft") == "a261"  # h does not separate letters of one class
    assert phonetic_code("王") == "王"


def test_date_keys_near_misses() -> None:
    d = date_keys(KEYER, date(1980, 3, 4))
    swapped = date_keys(KEYER, date(1980, 4, 3))
    next_year = date_keys(KEYER, date(1981, 3, 4))
    assert swapped.full in d.near and d.full in swapped.near
    assert next_year.full in d.near
    assert d.md == next_year.md and d.ym != next_year.ym
    same_dm = date_keys(KEYER, date(1980, 5, 5))
    assert len(same_dm.near) == 4  # year +-1, day +-1; no swap variant when day == month
    assert date_keys(KEYER, date(1980, 3, 5)).full in d.near  # one day off
    assert date_keys(KEYER, date(1980, 3, 31)).full not in date_keys(KEYER, date(1980, 4, 1)).near  # not across months
    late = date_keys(KEYER, date(1980, 3, 24))
    assert late.ym == d.ym and late.full not in d.near


def test_record_holds_no_plain_values() -> None:
    rec = _record()
    doc = rec.to_json()
    lowered = doc.lower()
    plain = [
        "kristiina",
        "ounapuu",
        "õunapuu",
        "1980",
        "gmail",
        "5123",
        "37251234567",
        NID.rpartition(":")[2],
        "078051120",
        "parnu",
        "tallinn",
        "10148",
        "ee382200221020145685",
    ]
    for value in plain:
        assert value not in lowered, value
    for f in dataclasses.fields(rec):
        assert not isinstance(getattr(rec, f.name), str)
    # The per-token material (v2) is keyed too: no token, deletion variant, prefix or phonetic code in plain.
    assert '"nt"' in doc and '"v":2' in doc
    for value in ("kristiina", "ounapuu", "ristiina", "kris", "unapuu", "k623", "o510"):
        assert value not in lowered, value


def test_name_tokens_are_separate_and_keyed() -> None:
    rec = _record()
    assert len(rec.name_tokens) == 2
    given, surname = rec.name_tokens
    assert given.key != surname.key and len(given.key) == TOKEN_KEY_BYTES
    assert len(given.dels) == len("kristiina") + 1 - 1  # the token and its deletions ("kristina" twice: once)
    assert name_tokens("王小明") == ["王", "小明"]  # CJK: family name, given name
    assert name_tokens("wang xiaoming") == ["wang", "xiaoming"]
    twin = build_match_record(KEYER, name="Kadri Õunapuu")
    assert twin.name_tokens[1].key == surname.key and twin.name_tokens[0].key != given.key
    assert not twin.name_tokens[0].dels & given.dels
    typo = build_match_record(KEYER, name="Kristiina Ounapu")
    assert typo.name_tokens[1].dels & surname.dels  # one deletion apart
    assert build_match_record(OTHER, name="Kristiina Õunapuu").name_tokens[1].key != surname.key  # per tenant


def test_version_1_records_still_read() -> None:
    v1 = '{"v":1,"nb":"' + _record().to_json().split('"nb":"')[1].split('"')[0] + '"}'
    rec = MatchRecord.from_json(v1)
    assert rec.name_bloom and not rec.name_tokens


def test_record_json_round_trip_and_sizes() -> None:
    rec = _record()
    back = MatchRecord.from_json(rec.to_json())
    assert back == rec
    assert back.name_bits == rec.name_bits and back.address_bits == rec.address_bits
    assert all(len(k) == KEY_BYTES for k in rec.emails | rec.phones | rec.national_ids | rec.strong)
    assert len(rec.national_id_blooms) == 1  # only the id without a check digit gets a typo-tolerant bloom
    assert MatchRecord.from_json(MatchRecord().to_json()) == MatchRecord()
    for bad in ("[]", '{"v":3}', '{"v":1,"e":[1]}', '{"v":1,"nb":"***"}', '{"v":2,"nt":[["AA=="]]}'):
        with pytest.raises(ValueError):
            MatchRecord.from_json(bad)


def test_equivalent_raw_data_gives_equal_records() -> None:
    variant = build_match_record(
        KEYER,
        name="MRS KRISTIINA OUNAPUU",
        dob=date(1980, 1, 1),
        emails=["Kristiina.Ounapuu+news@googlemail.com"],
        phones=["5123 4567"],
        national_ids=[NID.lower().replace("eE:", "ee:"), "us:ssn:078-05-1120"],
        addresses=[Address(("PARNU MNT 12 - 5",), "tallinn", "10 148", "ee")],
        bank_accounts=["ee38 2200 2210 2014 5685"],
        default_region="EE",
    )
    assert variant == _record()


def test_invalid_identifiers_skipped_or_raised() -> None:
    rec = build_match_record(KEYER, name="A B", emails=["not-an-email"], national_ids=["EE:ISIKUKOOD:38001011234"])
    assert not rec.emails and not rec.national_ids and rec.name_bloom
    with pytest.raises(IdentifierError):
        build_match_record(KEYER, name="A B", emails=["not-an-email"], strict=True)
