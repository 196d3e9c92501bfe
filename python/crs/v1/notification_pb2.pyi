import datetime

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

class NotificationKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NOTIFICATION_KIND_UNSPECIFIED: _ClassVar[NotificationKind]
    NOTIFICATION_KIND_PAYMENT_DUE_REMINDER: _ClassVar[NotificationKind]
    NOTIFICATION_KIND_LATE_PAYMENT: _ClassVar[NotificationKind]
    NOTIFICATION_KIND_CARD_EXPIRING: _ClassVar[NotificationKind]
    NOTIFICATION_KIND_CARD_BLOCKED_OR_REPLACED: _ClassVar[NotificationKind]
    NOTIFICATION_KIND_LARGE_OR_UNUSUAL_TRANSACTION: _ClassVar[NotificationKind]
    NOTIFICATION_KIND_CONTACT_DATA_CHANGED: _ClassVar[NotificationKind]

class NotificationChannel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NOTIFICATION_CHANNEL_UNSPECIFIED: _ClassVar[NotificationChannel]
    NOTIFICATION_CHANNEL_EMAIL: _ClassVar[NotificationChannel]
    NOTIFICATION_CHANNEL_SMS: _ClassVar[NotificationChannel]
    NOTIFICATION_CHANNEL_WEBHOOK: _ClassVar[NotificationChannel]
    NOTIFICATION_CHANNEL_NONE: _ClassVar[NotificationChannel]

class NotificationStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NOTIFICATION_STATUS_UNSPECIFIED: _ClassVar[NotificationStatus]
    NOTIFICATION_STATUS_PENDING: _ClassVar[NotificationStatus]
    NOTIFICATION_STATUS_DELIVERED: _ClassVar[NotificationStatus]
    NOTIFICATION_STATUS_DEAD: _ClassVar[NotificationStatus]
    NOTIFICATION_STATUS_SUPPRESSED: _ClassVar[NotificationStatus]
NOTIFICATION_KIND_UNSPECIFIED: NotificationKind
NOTIFICATION_KIND_PAYMENT_DUE_REMINDER: NotificationKind
NOTIFICATION_KIND_LATE_PAYMENT: NotificationKind
NOTIFICATION_KIND_CARD_EXPIRING: NotificationKind
NOTIFICATION_KIND_CARD_BLOCKED_OR_REPLACED: NotificationKind
NOTIFICATION_KIND_LARGE_OR_UNUSUAL_TRANSACTION: NotificationKind
NOTIFICATION_KIND_CONTACT_DATA_CHANGED: NotificationKind
NOTIFICATION_CHANNEL_UNSPECIFIED: NotificationChannel
NOTIFICATION_CHANNEL_EMAIL: NotificationChannel
NOTIFICATION_CHANNEL_SMS: NotificationChannel
NOTIFICATION_CHANNEL_WEBHOOK: NotificationChannel
NOTIFICATION_CHANNEL_NONE: NotificationChannel
NOTIFICATION_STATUS_UNSPECIFIED: NotificationStatus
NOTIFICATION_STATUS_PENDING: NotificationStatus
NOTIFICATION_STATUS_DELIVERED: NotificationStatus
NOTIFICATION_STATUS_DEAD: NotificationStatus
NOTIFICATION_STATUS_SUPPRESSED: NotificationStatus

class Notification(_message.Message):
    __slots__ = ("name", "event_id", "kind", "customer", "channel", "address", "purpose", "language", "status", "send_time", "create_time", "deliver_time", "attempts", "last_error", "provider_id", "facts")
    class FactsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SEND_TIME_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    DELIVER_TIME_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_ID_FIELD_NUMBER: _ClassVar[int]
    FACTS_FIELD_NUMBER: _ClassVar[int]
    name: str
    event_id: str
    kind: NotificationKind
    customer: str
    channel: NotificationChannel
    address: str
    purpose: str
    language: str
    status: NotificationStatus
    send_time: _timestamp_pb2.Timestamp
    create_time: _timestamp_pb2.Timestamp
    deliver_time: _timestamp_pb2.Timestamp
    attempts: int
    last_error: str
    provider_id: str
    facts: _containers.ScalarMap[str, str]
    def __init__(self, name: _Optional[str] = ..., event_id: _Optional[str] = ..., kind: _Optional[_Union[NotificationKind, str]] = ..., customer: _Optional[str] = ..., channel: _Optional[_Union[NotificationChannel, str]] = ..., address: _Optional[str] = ..., purpose: _Optional[str] = ..., language: _Optional[str] = ..., status: _Optional[_Union[NotificationStatus, str]] = ..., send_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., deliver_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., attempts: _Optional[int] = ..., last_error: _Optional[str] = ..., provider_id: _Optional[str] = ..., facts: _Optional[_Mapping[str, str]] = ...) -> None: ...

class NotificationHistoryEntry(_message.Message):
    __slots__ = ("type", "time", "kind", "resource", "summary", "notification")
    class Type(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        TYPE_UNSPECIFIED: _ClassVar[NotificationHistoryEntry.Type]
        TYPE_NOTIFICATION: _ClassVar[NotificationHistoryEntry.Type]
        TYPE_WORKFLOW_STEP: _ClassVar[NotificationHistoryEntry.Type]
    TYPE_UNSPECIFIED: NotificationHistoryEntry.Type
    TYPE_NOTIFICATION: NotificationHistoryEntry.Type
    TYPE_WORKFLOW_STEP: NotificationHistoryEntry.Type
    TYPE_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    NOTIFICATION_FIELD_NUMBER: _ClassVar[int]
    type: NotificationHistoryEntry.Type
    time: _timestamp_pb2.Timestamp
    kind: NotificationKind
    resource: str
    summary: str
    notification: Notification
    def __init__(self, type: _Optional[_Union[NotificationHistoryEntry.Type, str]] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., kind: _Optional[_Union[NotificationKind, str]] = ..., resource: _Optional[str] = ..., summary: _Optional[str] = ..., notification: _Optional[_Union[Notification, _Mapping]] = ...) -> None: ...

class ListNotificationsRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListNotificationsResponse(_message.Message):
    __slots__ = ("entries", "next_page_token")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[NotificationHistoryEntry]
    next_page_token: str
    def __init__(self, entries: _Optional[_Iterable[_Union[NotificationHistoryEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetNotificationRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListDeadLettersRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListDeadLettersResponse(_message.Message):
    __slots__ = ("notifications", "next_page_token")
    NOTIFICATIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    notifications: _containers.RepeatedCompositeFieldContainer[Notification]
    next_page_token: str
    def __init__(self, notifications: _Optional[_Iterable[_Union[Notification, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ReplayDeadLetterRequest(_message.Message):
    __slots__ = ("name", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    request_id: str
    def __init__(self, name: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetContactQualityRequest(_message.Message):
    __slots__ = ("customer",)
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    customer: str
    def __init__(self, customer: _Optional[str] = ...) -> None: ...

class ContactCheck(_message.Message):
    __slots__ = ("kind", "value", "valid", "problem", "bounces", "usable")
    KIND_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    VALID_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_FIELD_NUMBER: _ClassVar[int]
    BOUNCES_FIELD_NUMBER: _ClassVar[int]
    USABLE_FIELD_NUMBER: _ClassVar[int]
    kind: str
    value: str
    valid: bool
    problem: str
    bounces: int
    usable: bool
    def __init__(self, kind: _Optional[str] = ..., value: _Optional[str] = ..., valid: _Optional[bool] = ..., problem: _Optional[str] = ..., bounces: _Optional[int] = ..., usable: _Optional[bool] = ...) -> None: ...

class ContactQuality(_message.Message):
    __slots__ = ("customer", "checks", "complete", "flags")
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    CHECKS_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_FIELD_NUMBER: _ClassVar[int]
    FLAGS_FIELD_NUMBER: _ClassVar[int]
    customer: str
    checks: _containers.RepeatedCompositeFieldContainer[ContactCheck]
    complete: bool
    flags: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, customer: _Optional[str] = ..., checks: _Optional[_Iterable[_Union[ContactCheck, _Mapping]]] = ..., complete: _Optional[bool] = ..., flags: _Optional[_Iterable[str]] = ...) -> None: ...
