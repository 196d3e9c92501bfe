import datetime

from crs.v1 import common_pb2 as _common_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.api import resource_pb2 as _resource_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.type import date_pb2 as _date_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CustomerKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CUSTOMER_KIND_UNSPECIFIED: _ClassVar[CustomerKind]
    CUSTOMER_KIND_PERSON: _ClassVar[CustomerKind]
    CUSTOMER_KIND_BUSINESS: _ClassVar[CustomerKind]

class CustomerStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CUSTOMER_STATUS_UNSPECIFIED: _ClassVar[CustomerStatus]
    CUSTOMER_STATUS_ACTIVE: _ClassVar[CustomerStatus]
    CUSTOMER_STATUS_DORMANT: _ClassVar[CustomerStatus]
    CUSTOMER_STATUS_CLOSED: _ClassVar[CustomerStatus]

class NationalIdType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NATIONAL_ID_TYPE_UNSPECIFIED: _ClassVar[NationalIdType]
    NATIONAL_ID_TYPE_PASSPORT: _ClassVar[NationalIdType]
    NATIONAL_ID_TYPE_NATIONAL_ID_CARD: _ClassVar[NationalIdType]
    NATIONAL_ID_TYPE_PERSONAL_CODE: _ClassVar[NationalIdType]
    NATIONAL_ID_TYPE_TAX_ID: _ClassVar[NationalIdType]
    NATIONAL_ID_TYPE_SOCIAL_SECURITY: _ClassVar[NationalIdType]
    NATIONAL_ID_TYPE_DRIVER_LICENSE: _ClassVar[NationalIdType]
    NATIONAL_ID_TYPE_COMPANY_REGISTRATION: _ClassVar[NationalIdType]
    NATIONAL_ID_TYPE_OTHER: _ClassVar[NationalIdType]
CUSTOMER_KIND_UNSPECIFIED: CustomerKind
CUSTOMER_KIND_PERSON: CustomerKind
CUSTOMER_KIND_BUSINESS: CustomerKind
CUSTOMER_STATUS_UNSPECIFIED: CustomerStatus
CUSTOMER_STATUS_ACTIVE: CustomerStatus
CUSTOMER_STATUS_DORMANT: CustomerStatus
CUSTOMER_STATUS_CLOSED: CustomerStatus
NATIONAL_ID_TYPE_UNSPECIFIED: NationalIdType
NATIONAL_ID_TYPE_PASSPORT: NationalIdType
NATIONAL_ID_TYPE_NATIONAL_ID_CARD: NationalIdType
NATIONAL_ID_TYPE_PERSONAL_CODE: NationalIdType
NATIONAL_ID_TYPE_TAX_ID: NationalIdType
NATIONAL_ID_TYPE_SOCIAL_SECURITY: NationalIdType
NATIONAL_ID_TYPE_DRIVER_LICENSE: NationalIdType
NATIONAL_ID_TYPE_COMPANY_REGISTRATION: NationalIdType
NATIONAL_ID_TYPE_OTHER: NationalIdType

class NationalIdentifier(_message.Message):
    __slots__ = ("type", "value", "issuing_country", "masked")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    ISSUING_COUNTRY_FIELD_NUMBER: _ClassVar[int]
    MASKED_FIELD_NUMBER: _ClassVar[int]
    type: NationalIdType
    value: str
    issuing_country: str
    masked: bool
    def __init__(self, type: _Optional[_Union[NationalIdType, str]] = ..., value: _Optional[str] = ..., issuing_country: _Optional[str] = ..., masked: _Optional[bool] = ...) -> None: ...

class Customer(_message.Message):
    __slots__ = ("name", "kind", "display_name", "legal_name", "date_of_birth", "emails", "phones", "postal_addresses", "national_identifiers", "status", "etag", "create_time", "update_time", "close_time", "close_reason", "preferred_language")
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    LEGAL_NAME_FIELD_NUMBER: _ClassVar[int]
    DATE_OF_BIRTH_FIELD_NUMBER: _ClassVar[int]
    EMAILS_FIELD_NUMBER: _ClassVar[int]
    PHONES_FIELD_NUMBER: _ClassVar[int]
    POSTAL_ADDRESSES_FIELD_NUMBER: _ClassVar[int]
    NATIONAL_IDENTIFIERS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    CLOSE_TIME_FIELD_NUMBER: _ClassVar[int]
    CLOSE_REASON_FIELD_NUMBER: _ClassVar[int]
    PREFERRED_LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    name: str
    kind: CustomerKind
    display_name: str
    legal_name: str
    date_of_birth: _date_pb2.Date
    emails: _containers.RepeatedScalarFieldContainer[str]
    phones: _containers.RepeatedScalarFieldContainer[str]
    postal_addresses: _containers.RepeatedCompositeFieldContainer[_common_pb2.PostalAddress]
    national_identifiers: _containers.RepeatedCompositeFieldContainer[NationalIdentifier]
    status: CustomerStatus
    etag: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    close_time: _timestamp_pb2.Timestamp
    close_reason: str
    preferred_language: str
    def __init__(self, name: _Optional[str] = ..., kind: _Optional[_Union[CustomerKind, str]] = ..., display_name: _Optional[str] = ..., legal_name: _Optional[str] = ..., date_of_birth: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., emails: _Optional[_Iterable[str]] = ..., phones: _Optional[_Iterable[str]] = ..., postal_addresses: _Optional[_Iterable[_Union[_common_pb2.PostalAddress, _Mapping]]] = ..., national_identifiers: _Optional[_Iterable[_Union[NationalIdentifier, _Mapping]]] = ..., status: _Optional[_Union[CustomerStatus, str]] = ..., etag: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., close_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., close_reason: _Optional[str] = ..., preferred_language: _Optional[str] = ...) -> None: ...

class CreateCustomerRequest(_message.Message):
    __slots__ = ("parent", "customer", "customer_id", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    customer: Customer
    customer_id: str
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., customer: _Optional[_Union[Customer, _Mapping]] = ..., customer_id: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetCustomerRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class UpdateCustomerRequest(_message.Message):
    __slots__ = ("customer", "update_mask", "request_id")
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    customer: Customer
    update_mask: _field_mask_pb2.FieldMask
    request_id: str
    def __init__(self, customer: _Optional[_Union[Customer, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class ListCustomersRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token", "status")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    status: CustomerStatus
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., status: _Optional[_Union[CustomerStatus, str]] = ...) -> None: ...

class ListCustomersResponse(_message.Message):
    __slots__ = ("customers", "next_page_token")
    CUSTOMERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    customers: _containers.RepeatedCompositeFieldContainer[Customer]
    next_page_token: str
    def __init__(self, customers: _Optional[_Iterable[_Union[Customer, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CloseCustomerRequest(_message.Message):
    __slots__ = ("name", "etag", "reason", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    etag: str
    reason: str
    request_id: str
    def __init__(self, name: _Optional[str] = ..., etag: _Optional[str] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class SearchCustomersRequest(_message.Message):
    __slots__ = ("parent", "email", "phone", "national_identifier", "card_fingerprint", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    NATIONAL_IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    CARD_FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    email: str
    phone: str
    national_identifier: NationalIdentifier
    card_fingerprint: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., email: _Optional[str] = ..., phone: _Optional[str] = ..., national_identifier: _Optional[_Union[NationalIdentifier, _Mapping]] = ..., card_fingerprint: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class SearchCustomersResponse(_message.Message):
    __slots__ = ("customers", "next_page_token")
    CUSTOMERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    customers: _containers.RepeatedCompositeFieldContainer[Customer]
    next_page_token: str
    def __init__(self, customers: _Optional[_Iterable[_Union[Customer, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
