import datetime

from crs.v1 import account_pb2 as _account_pb2
from crs.v1 import customer_pb2 as _customer_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.api import resource_pb2 as _resource_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CardBrand(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CARD_BRAND_UNSPECIFIED: _ClassVar[CardBrand]
    CARD_BRAND_VISA: _ClassVar[CardBrand]
    CARD_BRAND_MASTERCARD: _ClassVar[CardBrand]
    CARD_BRAND_AMEX: _ClassVar[CardBrand]
    CARD_BRAND_DISCOVER: _ClassVar[CardBrand]
    CARD_BRAND_JCB: _ClassVar[CardBrand]
    CARD_BRAND_DINERS: _ClassVar[CardBrand]
    CARD_BRAND_UNIONPAY: _ClassVar[CardBrand]
    CARD_BRAND_MAESTRO: _ClassVar[CardBrand]
    CARD_BRAND_MIR: _ClassVar[CardBrand]
    CARD_BRAND_UNKNOWN: _ClassVar[CardBrand]

class CardState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CARD_STATE_UNSPECIFIED: _ClassVar[CardState]
    CARD_STATE_ACTIVE: _ClassVar[CardState]
    CARD_STATE_BLOCKED: _ClassVar[CardState]
    CARD_STATE_LOST: _ClassVar[CardState]
    CARD_STATE_STOLEN: _ClassVar[CardState]
    CARD_STATE_EXPIRED: _ClassVar[CardState]
    CARD_STATE_CLOSED: _ClassVar[CardState]
CARD_BRAND_UNSPECIFIED: CardBrand
CARD_BRAND_VISA: CardBrand
CARD_BRAND_MASTERCARD: CardBrand
CARD_BRAND_AMEX: CardBrand
CARD_BRAND_DISCOVER: CardBrand
CARD_BRAND_JCB: CardBrand
CARD_BRAND_DINERS: CardBrand
CARD_BRAND_UNIONPAY: CardBrand
CARD_BRAND_MAESTRO: CardBrand
CARD_BRAND_MIR: CardBrand
CARD_BRAND_UNKNOWN: CardBrand
CARD_STATE_UNSPECIFIED: CardState
CARD_STATE_ACTIVE: CardState
CARD_STATE_BLOCKED: CardState
CARD_STATE_LOST: CardState
CARD_STATE_STOLEN: CardState
CARD_STATE_EXPIRED: CardState
CARD_STATE_CLOSED: CardState

class Card(_message.Message):
    __slots__ = ("name", "account", "customer", "token", "bin", "last4", "brand", "fingerprint", "expiry_month", "expiry_year", "cardholder_name", "state", "state_reason", "etag", "create_time", "update_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    BIN_FIELD_NUMBER: _ClassVar[int]
    LAST4_FIELD_NUMBER: _ClassVar[int]
    BRAND_FIELD_NUMBER: _ClassVar[int]
    FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    EXPIRY_MONTH_FIELD_NUMBER: _ClassVar[int]
    EXPIRY_YEAR_FIELD_NUMBER: _ClassVar[int]
    CARDHOLDER_NAME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    STATE_REASON_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    account: str
    customer: str
    token: str
    bin: str
    last4: str
    brand: CardBrand
    fingerprint: str
    expiry_month: int
    expiry_year: int
    cardholder_name: str
    state: CardState
    state_reason: str
    etag: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., account: _Optional[str] = ..., customer: _Optional[str] = ..., token: _Optional[str] = ..., bin: _Optional[str] = ..., last4: _Optional[str] = ..., brand: _Optional[_Union[CardBrand, str]] = ..., fingerprint: _Optional[str] = ..., expiry_month: _Optional[int] = ..., expiry_year: _Optional[int] = ..., cardholder_name: _Optional[str] = ..., state: _Optional[_Union[CardState, str]] = ..., state_reason: _Optional[str] = ..., etag: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RegisterCardRequest(_message.Message):
    __slots__ = ("parent", "pan", "expiry_month", "expiry_year", "cardholder_name", "account", "customer", "card_id", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAN_FIELD_NUMBER: _ClassVar[int]
    EXPIRY_MONTH_FIELD_NUMBER: _ClassVar[int]
    EXPIRY_YEAR_FIELD_NUMBER: _ClassVar[int]
    CARDHOLDER_NAME_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    CARD_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    pan: str
    expiry_month: int
    expiry_year: int
    cardholder_name: str
    account: str
    customer: str
    card_id: str
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., pan: _Optional[str] = ..., expiry_month: _Optional[int] = ..., expiry_year: _Optional[int] = ..., cardholder_name: _Optional[str] = ..., account: _Optional[str] = ..., customer: _Optional[str] = ..., card_id: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetCardRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListCardsRequest(_message.Message):
    __slots__ = ("parent", "account", "customer", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    account: str
    customer: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., account: _Optional[str] = ..., customer: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListCardsResponse(_message.Message):
    __slots__ = ("cards", "next_page_token")
    CARDS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    cards: _containers.RepeatedCompositeFieldContainer[Card]
    next_page_token: str
    def __init__(self, cards: _Optional[_Iterable[_Union[Card, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateCardStateRequest(_message.Message):
    __slots__ = ("name", "state", "reason", "etag", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    state: CardState
    reason: str
    etag: str
    request_id: str
    def __init__(self, name: _Optional[str] = ..., state: _Optional[_Union[CardState, str]] = ..., reason: _Optional[str] = ..., etag: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class LookupCardRequest(_message.Message):
    __slots__ = ("parent", "pan", "token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAN_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    pan: str
    token: str
    def __init__(self, parent: _Optional[str] = ..., pan: _Optional[str] = ..., token: _Optional[str] = ...) -> None: ...

class LookupCardResponse(_message.Message):
    __slots__ = ("card", "account", "owners")
    CARD_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    OWNERS_FIELD_NUMBER: _ClassVar[int]
    card: Card
    account: _account_pb2.Account
    owners: _containers.RepeatedCompositeFieldContainer[_customer_pb2.Customer]
    def __init__(self, card: _Optional[_Union[Card, _Mapping]] = ..., account: _Optional[_Union[_account_pb2.Account, _Mapping]] = ..., owners: _Optional[_Iterable[_Union[_customer_pb2.Customer, _Mapping]]] = ...) -> None: ...
