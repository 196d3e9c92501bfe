"""``_core.lookup_card_response`` encodes exactly the LookupCardResponse that ``crs.api.convert`` builds from the
same stored records (national identifiers masked): random records, stored with ``records.encode``, both ways."""

from __future__ import annotations

from dataclasses import fields

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crs._core import CoreError, lookup_card_response
from crs.api import convert
from crs.domain.records import (
    AccountRecord,
    CardRecord,
    CustomerRecord,
    PostalAddress,
    SealedNationalId,
    encode,
)
from crs.v1 import card_pb2

_TEXT = st.text(max_size=12)  # any Unicode: names, addresses, e-mails as stored
_ID = st.from_regex(r"[a-z0-9][a-z0-9-]{0,20}", fullmatch=True)
_ENUM = st.integers(min_value=0, max_value=9)
_US = st.one_of(st.just(0), st.integers(min_value=-(10**12), max_value=4 * 10**15))
_DATE = st.one_of(
    st.just(""),
    st.builds(lambda y, m, d: f"{y:04d}-{m:02d}-{d:02d}", st.integers(1, 9999), st.integers(1, 12), st.integers(1, 28)),
)
_BRAND = st.sampled_from(["", *convert._BRANDS])

_CARD = st.builds(
    CardRecord,
    tenant=_ID,
    id=_ID,
    account_id=_ID,
    customer_id=_ID,
    token=st.from_regex(r"[0-9]{12,19}", fullmatch=True),
    fingerprint=st.from_regex(r"[0-9a-f]{64}", fullmatch=True),
    bin=st.from_regex(r"[0-9]{6}", fullmatch=True),
    last4=st.from_regex(r"[0-9]{4}", fullmatch=True),
    brand=_BRAND,
    expiry_month=st.integers(0, 12),
    expiry_year=st.integers(0, 2100),
    cardholder_name=_TEXT,
    state=_ENUM,
    state_reason=_TEXT,
    create_us=_US,
    update_us=_US,
    version=_TEXT,
)
_ACCOUNT = st.builds(
    AccountRecord,
    tenant=_ID,
    id=_ID,
    customer_id=_ID,
    kind=_ENUM,
    currency_code=st.sampled_from(["", "EUR", "USD"]),
    status=_ENUM,
    display_name=_TEXT,
    open_date=_DATE,
    close_date=_DATE,
    create_us=_US,
    update_us=_US,
    version=_TEXT,
)
_ADDRESS = st.builds(
    PostalAddress,
    region_code=_TEXT,
    postal_code=_TEXT,
    administrative_area=_TEXT,
    locality=_TEXT,
    address_lines=st.lists(_TEXT, max_size=3),
    recipient=_TEXT,
)
_NATIONAL_ID = st.builds(
    SealedNationalId,
    type=_ENUM,
    issuing_country=_TEXT,
    key_id=_TEXT,
    ciphertext=_TEXT,
    masked=_TEXT,
)
_CUSTOMER = st.builds(
    CustomerRecord,
    tenant=_ID,
    id=_ID,
    kind=_ENUM,
    display_name=_TEXT,
    legal_name=_TEXT,
    date_of_birth=_DATE,
    emails=st.lists(_TEXT, max_size=3),
    phones=st.lists(_TEXT, max_size=3),
    postal_addresses=st.lists(_ADDRESS, max_size=2),
    national_ids=st.lists(_NATIONAL_ID, max_size=2),
    preferred_language=_TEXT,
    status=_ENUM,
    close_reason=_TEXT,
    create_us=_US,
    update_us=_US,
    close_us=_US,
    version=_TEXT,
    blind_indexes=st.lists(st.lists(_TEXT, min_size=2, max_size=2), max_size=2),
)


def test_the_strategies_set_every_record_field() -> None:
    # a field added to a record (and so, through convert, to the message) must be generated here too, or the
    # comparison above would not notice an encoder that leaves it out
    for strategy, cls in ((_CARD, CardRecord), (_ACCOUNT, AccountRecord), (_CUSTOMER, CustomerRecord)):
        set_here = set(strategy.wrapped_strategy.kwargs)  # type: ignore[attr-defined]
        assert set_here == {f.name for f in fields(cls)}, cls.__name__
    for strategy, cls in ((_ADDRESS, PostalAddress), (_NATIONAL_ID, SealedNationalId)):
        assert set(strategy.wrapped_strategy.kwargs) == {f.name for f in fields(cls)}, cls.__name__  # type: ignore[attr-defined]


def _python(card: CardRecord, account: AccountRecord | None, owners: list[CustomerRecord]) -> bytes:
    return card_pb2.LookupCardResponse(
        card=convert.card_out(card),
        account=convert.account_out(account) if account else None,
        owners=[convert.customer_out(c, None) for c in owners],
    ).SerializeToString(deterministic=True)


@settings(max_examples=300, deadline=None)
@given(_CARD, st.one_of(st.none(), _ACCOUNT), st.lists(_CUSTOMER, max_size=3))
def test_same_message_as_convert(card: CardRecord, account: AccountRecord | None, owners: list[CustomerRecord]) -> None:
    data = lookup_card_response(encode(card), encode(account) if account else None, [encode(c) for c in owners])
    expected = _python(card, account, owners)
    assert card_pb2.LookupCardResponse.FromString(data) == card_pb2.LookupCardResponse.FromString(expected)
    assert data == expected  # same field order too: byte for byte what the Python runtime writes


def test_missing_optional_fields_take_the_record_defaults() -> None:
    # a record written before a field existed: decode() and the encoder fill the same dataclass defaults
    card = b'{"tenant":"t","id":"k","account_id":"a","customer_id":"c","token":"4999998189010007","fingerprint":"f",'
    card += b'"bin":"499999","last4":"0007","brand":"VISA","expiry_month":1,"expiry_year":2030}'
    customer = b'{"tenant":"t","id":"c","kind":1,"display_name":"Ann"}'
    account = b'{"tenant":"t","id":"a","customer_id":"c","kind":3,"currency_code":"EUR"}'
    from crs.domain.records import decode

    expected = _python(decode(CardRecord, card), decode(AccountRecord, account), [decode(CustomerRecord, customer)])
    assert lookup_card_response(card, account, [customer]) == expected


@pytest.mark.parametrize(
    "card",
    [
        b"not json",
        b'{"tenant":"t"}',  # required fields missing
        b'{"tenant":"t","id":"k","account_id":"a","customer_id":"c","token":"4111111111111111","fingerprint":"f",'
        b'"bin":"411111","last4":"1111","brand":"NOPE","expiry_month":1,"expiry_year":2030}',
    ],
)
def test_a_bad_record_is_an_error_that_does_not_quote_it(card: bytes) -> None:
    with pytest.raises(CoreError) as err:
        lookup_card_response(card, None, [])
    assert "4111" not in str(err.value) and "tenant" not in str(err.value)
