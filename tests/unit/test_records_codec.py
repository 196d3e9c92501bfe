"""records.encode/decode: the fast paths produce exactly what json.dumps(asdict(...)) did, and round-trip."""

from __future__ import annotations

import json
from dataclasses import asdict

from crs.domain.records import (
    AccountRecord,
    AuditRecord,
    CardRecord,
    CustomerRecord,
    IdempotencyRecord,
    PostalAddress,
    RelationshipRecord,
    SealedNationalId,
    VaultEntry,
    decode,
    encode,
)

CUSTOMER = CustomerRecord(
    tenant="acme",
    id="c1",
    kind=1,
    display_name="Ann Tämm",
    emails=["ann@example.com", "a@example.org"],
    phones=["+37255551234"],
    postal_addresses=[PostalAddress("EE", "10111", "", "Tallinn", ["Narva mnt 5", "2"], "Ann")],
    national_ids=[SealedNationalId(3, "EE", "k1", "Y2lwaGVy", "*******5718")],
    blind_indexes=[["email", "ab"], ["phone", "cd"]],
    create_us=1,
    version="v",
)
RECORDS = [
    CUSTOMER,
    CustomerRecord(tenant="acme", id="c2", kind=2, display_name="Empty Ltd"),
    AccountRecord(tenant="acme", id="a1", customer_id="c1", kind=3, currency_code="EUR", status=1),
    RelationshipRecord("acme", "r1", "c1", account_id="a1", account_role=1, create_us=5),
    VaultEntry("acme", "4111110000001111", "ff", "k1", "Y3Q=", "411111", "1111", "VISA", 7),
    AuditRecord("e1", "acme", "key", "/m", "tenants/acme/x", "", 9, "OK", ["a", "b"], "why"),
    IdempotencyRecord("/m", "h", "CardRecord", '{"x":1}'),
]


def test_encode_is_byte_identical_to_asdict_json() -> None:
    for rec in RECORDS:
        expected = json.dumps(asdict(rec), separators=(",", ":"), ensure_ascii=False).encode()
        assert encode(rec) == expected, type(rec).__name__


def test_decode_round_trips_nested_records() -> None:
    for rec in RECORDS:
        assert decode(type(rec), encode(rec)) == rec
    back = decode(CustomerRecord, encode(CUSTOMER))
    assert isinstance(back.postal_addresses[0], PostalAddress)
    assert isinstance(back.national_ids[0], SealedNationalId)


def test_card_record_fields_survive() -> None:
    card = CardRecord(
        tenant="acme",
        id="k1",
        account_id="a1",
        customer_id="c1",
        token="4111110000001112",
        fingerprint="ff",
        bin="411111",
        last4="1111",
        brand="VISA",
        expiry_month=12,
        expiry_year=2030,
    )
    assert decode(CardRecord, encode(card)) == card
    assert json.loads(encode(card)) == asdict(card)


def test_json_that_orjson_refuses_is_still_read() -> None:
    """Integers beyond 64 bits and NaN (both written by json.dumps) go to the standard parser."""
    from crs.domain.records import loads

    assert loads(b'{"a": 123456789012345678901234567890}') == {"a": 123456789012345678901234567890}
    assert loads(b'{"a": -18446744073709551617}') == {"a": -18446744073709551617}
    assert loads(b"[9223372036854775807, 123456789012345678]") == [9223372036854775807, 123456789012345678]
    nan = loads(b'{"a": NaN}')["a"]
    assert nan != nan
    assert loads('{"name": "Ann Tämm"}'.encode()) == {"name": "Ann Tämm"}
