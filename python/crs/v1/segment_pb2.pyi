import datetime

from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ValueTier(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VALUE_TIER_UNSPECIFIED: _ClassVar[ValueTier]
    VALUE_TIER_HIGH: _ClassVar[ValueTier]
    VALUE_TIER_MEDIUM: _ClassVar[ValueTier]
    VALUE_TIER_LOW: _ClassVar[ValueTier]

class Lifecycle(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LIFECYCLE_UNSPECIFIED: _ClassVar[Lifecycle]
    LIFECYCLE_NEW: _ClassVar[Lifecycle]
    LIFECYCLE_ACTIVE: _ClassVar[Lifecycle]
    LIFECYCLE_DORMANT: _ClassVar[Lifecycle]
    LIFECYCLE_CHURNED: _ClassVar[Lifecycle]
VALUE_TIER_UNSPECIFIED: ValueTier
VALUE_TIER_HIGH: ValueTier
VALUE_TIER_MEDIUM: ValueTier
VALUE_TIER_LOW: ValueTier
LIFECYCLE_UNSPECIFIED: Lifecycle
LIFECYCLE_NEW: Lifecycle
LIFECYCLE_ACTIVE: Lifecycle
LIFECYCLE_DORMANT: Lifecycle
LIFECYCLE_CHURNED: Lifecycle

class Segments(_message.Message):
    __slots__ = ("name", "customer", "value_tier", "lifecycle", "reason", "recency_days", "frequency", "monetary_minor", "monetary_currency", "tier_since", "lifecycle_since", "evaluate_time", "first_activity_time", "last_activity_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    VALUE_TIER_FIELD_NUMBER: _ClassVar[int]
    LIFECYCLE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    RECENCY_DAYS_FIELD_NUMBER: _ClassVar[int]
    FREQUENCY_FIELD_NUMBER: _ClassVar[int]
    MONETARY_MINOR_FIELD_NUMBER: _ClassVar[int]
    MONETARY_CURRENCY_FIELD_NUMBER: _ClassVar[int]
    TIER_SINCE_FIELD_NUMBER: _ClassVar[int]
    LIFECYCLE_SINCE_FIELD_NUMBER: _ClassVar[int]
    EVALUATE_TIME_FIELD_NUMBER: _ClassVar[int]
    FIRST_ACTIVITY_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_ACTIVITY_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    customer: str
    value_tier: ValueTier
    lifecycle: Lifecycle
    reason: str
    recency_days: int
    frequency: int
    monetary_minor: int
    monetary_currency: str
    tier_since: _timestamp_pb2.Timestamp
    lifecycle_since: _timestamp_pb2.Timestamp
    evaluate_time: _timestamp_pb2.Timestamp
    first_activity_time: _timestamp_pb2.Timestamp
    last_activity_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., customer: _Optional[str] = ..., value_tier: _Optional[_Union[ValueTier, str]] = ..., lifecycle: _Optional[_Union[Lifecycle, str]] = ..., reason: _Optional[str] = ..., recency_days: _Optional[int] = ..., frequency: _Optional[int] = ..., monetary_minor: _Optional[int] = ..., monetary_currency: _Optional[str] = ..., tier_since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., lifecycle_since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., evaluate_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., first_activity_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_activity_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetSegmentsRequest(_message.Message):
    __slots__ = ("customer",)
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    customer: str
    def __init__(self, customer: _Optional[str] = ...) -> None: ...

class ListSegmentMembersRequest(_message.Message):
    __slots__ = ("parent", "value_tier", "lifecycle", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    VALUE_TIER_FIELD_NUMBER: _ClassVar[int]
    LIFECYCLE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    value_tier: ValueTier
    lifecycle: Lifecycle
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., value_tier: _Optional[_Union[ValueTier, str]] = ..., lifecycle: _Optional[_Union[Lifecycle, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListSegmentMembersResponse(_message.Message):
    __slots__ = ("members", "next_page_token")
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    members: _containers.RepeatedCompositeFieldContainer[Segments]
    next_page_token: str
    def __init__(self, members: _Optional[_Iterable[_Union[Segments, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class SegmentChange(_message.Message):
    __slots__ = ("customer", "from_tier", "to_tier", "from_lifecycle", "to_lifecycle", "reason", "trigger", "change_time", "change_id")
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    FROM_TIER_FIELD_NUMBER: _ClassVar[int]
    TO_TIER_FIELD_NUMBER: _ClassVar[int]
    FROM_LIFECYCLE_FIELD_NUMBER: _ClassVar[int]
    TO_LIFECYCLE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_FIELD_NUMBER: _ClassVar[int]
    CHANGE_TIME_FIELD_NUMBER: _ClassVar[int]
    CHANGE_ID_FIELD_NUMBER: _ClassVar[int]
    customer: str
    from_tier: ValueTier
    to_tier: ValueTier
    from_lifecycle: Lifecycle
    to_lifecycle: Lifecycle
    reason: str
    trigger: str
    change_time: _timestamp_pb2.Timestamp
    change_id: str
    def __init__(self, customer: _Optional[str] = ..., from_tier: _Optional[_Union[ValueTier, str]] = ..., to_tier: _Optional[_Union[ValueTier, str]] = ..., from_lifecycle: _Optional[_Union[Lifecycle, str]] = ..., to_lifecycle: _Optional[_Union[Lifecycle, str]] = ..., reason: _Optional[str] = ..., trigger: _Optional[str] = ..., change_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., change_id: _Optional[str] = ...) -> None: ...

class ListSegmentChangesRequest(_message.Message):
    __slots__ = ("parent", "customer", "day", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    DAY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    customer: str
    day: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., customer: _Optional[str] = ..., day: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListSegmentChangesResponse(_message.Message):
    __slots__ = ("changes", "next_page_token")
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    changes: _containers.RepeatedCompositeFieldContainer[SegmentChange]
    next_page_token: str
    def __init__(self, changes: _Optional[_Iterable[_Union[SegmentChange, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class RefreshSegmentsRequest(_message.Message):
    __slots__ = ("parent", "as_of")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    parent: str
    as_of: _timestamp_pb2.Timestamp
    def __init__(self, parent: _Optional[str] = ..., as_of: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RefreshSegmentsResponse(_message.Message):
    __slots__ = ("evaluated", "changed")
    EVALUATED_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    evaluated: int
    changed: int
    def __init__(self, evaluated: _Optional[int] = ..., changed: _Optional[int] = ...) -> None: ...
