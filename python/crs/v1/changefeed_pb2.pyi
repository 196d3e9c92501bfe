import datetime

from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import any_pb2 as _any_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ChangeKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHANGE_KIND_UNSPECIFIED: _ClassVar[ChangeKind]
    CREATED: _ClassVar[ChangeKind]
    UPDATED: _ClassVar[ChangeKind]
    DELETED: _ClassVar[ChangeKind]

class StartPosition(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    START_POSITION_UNSPECIFIED: _ClassVar[StartPosition]
    EARLIEST: _ClassVar[StartPosition]
    LATEST: _ClassVar[StartPosition]
CHANGE_KIND_UNSPECIFIED: ChangeKind
CREATED: ChangeKind
UPDATED: ChangeKind
DELETED: ChangeKind
START_POSITION_UNSPECIFIED: StartPosition
EARLIEST: StartPosition
LATEST: StartPosition

class ChangeEvent(_message.Message):
    __slots__ = ("event_id", "resource", "resource_type", "kind", "changed_fields", "value", "commit_time", "cursor")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_TYPE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FIELDS_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    COMMIT_TIME_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    resource: str
    resource_type: str
    kind: ChangeKind
    changed_fields: _containers.RepeatedScalarFieldContainer[str]
    value: _any_pb2.Any
    commit_time: _timestamp_pb2.Timestamp
    cursor: str
    def __init__(self, event_id: _Optional[str] = ..., resource: _Optional[str] = ..., resource_type: _Optional[str] = ..., kind: _Optional[_Union[ChangeKind, str]] = ..., changed_fields: _Optional[_Iterable[str]] = ..., value: _Optional[_Union[_any_pb2.Any, _Mapping]] = ..., commit_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., cursor: _Optional[str] = ...) -> None: ...

class Heartbeat(_message.Message):
    __slots__ = ("cursor", "horizon_time")
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    HORIZON_TIME_FIELD_NUMBER: _ClassVar[int]
    cursor: str
    horizon_time: _timestamp_pb2.Timestamp
    def __init__(self, cursor: _Optional[str] = ..., horizon_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SubscribeRequest(_message.Message):
    __slots__ = ("consumer", "resource_types", "start_cursor", "start_position", "max_events")
    CONSUMER_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_TYPES_FIELD_NUMBER: _ClassVar[int]
    START_CURSOR_FIELD_NUMBER: _ClassVar[int]
    START_POSITION_FIELD_NUMBER: _ClassVar[int]
    MAX_EVENTS_FIELD_NUMBER: _ClassVar[int]
    consumer: str
    resource_types: _containers.RepeatedScalarFieldContainer[str]
    start_cursor: str
    start_position: StartPosition
    max_events: int
    def __init__(self, consumer: _Optional[str] = ..., resource_types: _Optional[_Iterable[str]] = ..., start_cursor: _Optional[str] = ..., start_position: _Optional[_Union[StartPosition, str]] = ..., max_events: _Optional[int] = ...) -> None: ...

class SubscribeResponse(_message.Message):
    __slots__ = ("event", "heartbeat")
    EVENT_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    event: ChangeEvent
    heartbeat: Heartbeat
    def __init__(self, event: _Optional[_Union[ChangeEvent, _Mapping]] = ..., heartbeat: _Optional[_Union[Heartbeat, _Mapping]] = ...) -> None: ...

class Consumer(_message.Message):
    __slots__ = ("name", "cursor", "update_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    cursor: str
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., cursor: _Optional[str] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CommitCursorRequest(_message.Message):
    __slots__ = ("consumer", "cursor")
    CONSUMER_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    consumer: str
    cursor: str
    def __init__(self, consumer: _Optional[str] = ..., cursor: _Optional[str] = ...) -> None: ...

class GetConsumerRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ExportSnapshotRequest(_message.Message):
    __slots__ = ("parent", "resource_types")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_TYPES_FIELD_NUMBER: _ClassVar[int]
    parent: str
    resource_types: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, parent: _Optional[str] = ..., resource_types: _Optional[_Iterable[str]] = ...) -> None: ...

class SnapshotRecord(_message.Message):
    __slots__ = ("resource_type", "resource", "value")
    RESOURCE_TYPE_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    resource_type: str
    resource: str
    value: _any_pb2.Any
    def __init__(self, resource_type: _Optional[str] = ..., resource: _Optional[str] = ..., value: _Optional[_Union[_any_pb2.Any, _Mapping]] = ...) -> None: ...

class SnapshotEnd(_message.Message):
    __slots__ = ("cursor", "counts", "as_of_time")
    class CountsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    AS_OF_TIME_FIELD_NUMBER: _ClassVar[int]
    cursor: str
    counts: _containers.ScalarMap[str, int]
    as_of_time: _timestamp_pb2.Timestamp
    def __init__(self, cursor: _Optional[str] = ..., counts: _Optional[_Mapping[str, int]] = ..., as_of_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ExportSnapshotResponse(_message.Message):
    __slots__ = ("record", "end")
    RECORD_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    record: SnapshotRecord
    end: SnapshotEnd
    def __init__(self, record: _Optional[_Union[SnapshotRecord, _Mapping]] = ..., end: _Optional[_Union[SnapshotEnd, _Mapping]] = ...) -> None: ...
