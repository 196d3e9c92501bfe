import datetime

from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.api import resource_pb2 as _resource_pb2
from google.protobuf import empty_pb2 as _empty_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AccountRole(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACCOUNT_ROLE_UNSPECIFIED: _ClassVar[AccountRole]
    ACCOUNT_ROLE_OWNER: _ClassVar[AccountRole]
    ACCOUNT_ROLE_JOINT_OWNER: _ClassVar[AccountRole]
    ACCOUNT_ROLE_AUTHORIZED_USER: _ClassVar[AccountRole]
    ACCOUNT_ROLE_BENEFICIARY: _ClassVar[AccountRole]
    ACCOUNT_ROLE_POWER_OF_ATTORNEY: _ClassVar[AccountRole]

class CustomerLinkType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CUSTOMER_LINK_TYPE_UNSPECIFIED: _ClassVar[CustomerLinkType]
    CUSTOMER_LINK_TYPE_HOUSEHOLD_MEMBER: _ClassVar[CustomerLinkType]
    CUSTOMER_LINK_TYPE_EMPLOYER: _ClassVar[CustomerLinkType]
    CUSTOMER_LINK_TYPE_GUARDIAN: _ClassVar[CustomerLinkType]
    CUSTOMER_LINK_TYPE_BENEFICIAL_OWNER: _ClassVar[CustomerLinkType]
ACCOUNT_ROLE_UNSPECIFIED: AccountRole
ACCOUNT_ROLE_OWNER: AccountRole
ACCOUNT_ROLE_JOINT_OWNER: AccountRole
ACCOUNT_ROLE_AUTHORIZED_USER: AccountRole
ACCOUNT_ROLE_BENEFICIARY: AccountRole
ACCOUNT_ROLE_POWER_OF_ATTORNEY: AccountRole
CUSTOMER_LINK_TYPE_UNSPECIFIED: CustomerLinkType
CUSTOMER_LINK_TYPE_HOUSEHOLD_MEMBER: CustomerLinkType
CUSTOMER_LINK_TYPE_EMPLOYER: CustomerLinkType
CUSTOMER_LINK_TYPE_GUARDIAN: CustomerLinkType
CUSTOMER_LINK_TYPE_BENEFICIAL_OWNER: CustomerLinkType

class Relationship(_message.Message):
    __slots__ = ("name", "customer", "account", "related_customer", "account_role", "link_type", "create_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    RELATED_CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ROLE_FIELD_NUMBER: _ClassVar[int]
    LINK_TYPE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    customer: str
    account: str
    related_customer: str
    account_role: AccountRole
    link_type: CustomerLinkType
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., customer: _Optional[str] = ..., account: _Optional[str] = ..., related_customer: _Optional[str] = ..., account_role: _Optional[_Union[AccountRole, str]] = ..., link_type: _Optional[_Union[CustomerLinkType, str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateRelationshipRequest(_message.Message):
    __slots__ = ("parent", "relationship", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    RELATIONSHIP_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    relationship: Relationship
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., relationship: _Optional[_Union[Relationship, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetRelationshipRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteRelationshipRequest(_message.Message):
    __slots__ = ("name", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    request_id: str
    def __init__(self, name: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class ListRelationshipsRequest(_message.Message):
    __slots__ = ("parent", "customer", "account", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    customer: str
    account: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., customer: _Optional[str] = ..., account: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListRelationshipsResponse(_message.Message):
    __slots__ = ("relationships", "next_page_token")
    RELATIONSHIPS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    relationships: _containers.RepeatedCompositeFieldContainer[Relationship]
    next_page_token: str
    def __init__(self, relationships: _Optional[_Iterable[_Union[Relationship, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
