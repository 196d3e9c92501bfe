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

class CaseStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CASE_STATUS_UNSPECIFIED: _ClassVar[CaseStatus]
    CASE_STATUS_OPEN: _ClassVar[CaseStatus]
    CASE_STATUS_ASSIGNED: _ClassVar[CaseStatus]
    CASE_STATUS_RESOLVED: _ClassVar[CaseStatus]

class CasePriority(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CASE_PRIORITY_UNSPECIFIED: _ClassVar[CasePriority]
    CASE_PRIORITY_LOW: _ClassVar[CasePriority]
    CASE_PRIORITY_NORMAL: _ClassVar[CasePriority]
    CASE_PRIORITY_HIGH: _ClassVar[CasePriority]
    CASE_PRIORITY_URGENT: _ClassVar[CasePriority]

class FeedbackCategory(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FEEDBACK_CATEGORY_UNSPECIFIED: _ClassVar[FeedbackCategory]
    FEEDBACK_CATEGORY_PAYMENTS: _ClassVar[FeedbackCategory]
    FEEDBACK_CATEGORY_CARDS: _ClassVar[FeedbackCategory]
    FEEDBACK_CATEGORY_SUPPORT: _ClassVar[FeedbackCategory]
    FEEDBACK_CATEGORY_APP: _ClassVar[FeedbackCategory]
    FEEDBACK_CATEGORY_FEES: _ClassVar[FeedbackCategory]
    FEEDBACK_CATEGORY_OTHER: _ClassVar[FeedbackCategory]
CASE_STATUS_UNSPECIFIED: CaseStatus
CASE_STATUS_OPEN: CaseStatus
CASE_STATUS_ASSIGNED: CaseStatus
CASE_STATUS_RESOLVED: CaseStatus
CASE_PRIORITY_UNSPECIFIED: CasePriority
CASE_PRIORITY_LOW: CasePriority
CASE_PRIORITY_NORMAL: CasePriority
CASE_PRIORITY_HIGH: CasePriority
CASE_PRIORITY_URGENT: CasePriority
FEEDBACK_CATEGORY_UNSPECIFIED: FeedbackCategory
FEEDBACK_CATEGORY_PAYMENTS: FeedbackCategory
FEEDBACK_CATEGORY_CARDS: FeedbackCategory
FEEDBACK_CATEGORY_SUPPORT: FeedbackCategory
FEEDBACK_CATEGORY_APP: FeedbackCategory
FEEDBACK_CATEGORY_FEES: FeedbackCategory
FEEDBACK_CATEGORY_OTHER: FeedbackCategory

class SupportCase(_message.Message):
    __slots__ = ("name", "customer", "subject", "description", "status", "priority", "assignee", "resolution", "note_count", "opened_by", "etag", "create_time", "update_time", "resolve_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    ASSIGNEE_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_FIELD_NUMBER: _ClassVar[int]
    NOTE_COUNT_FIELD_NUMBER: _ClassVar[int]
    OPENED_BY_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    RESOLVE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    customer: str
    subject: str
    description: str
    status: CaseStatus
    priority: CasePriority
    assignee: str
    resolution: str
    note_count: int
    opened_by: str
    etag: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    resolve_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., customer: _Optional[str] = ..., subject: _Optional[str] = ..., description: _Optional[str] = ..., status: _Optional[_Union[CaseStatus, str]] = ..., priority: _Optional[_Union[CasePriority, str]] = ..., assignee: _Optional[str] = ..., resolution: _Optional[str] = ..., note_count: _Optional[int] = ..., opened_by: _Optional[str] = ..., etag: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., resolve_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CaseNote(_message.Message):
    __slots__ = ("name", "text", "author", "create_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    text: str
    author: str
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., text: _Optional[str] = ..., author: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateCaseRequest(_message.Message):
    __slots__ = ("parent", "support_case", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    SUPPORT_CASE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    support_case: SupportCase
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., support_case: _Optional[_Union[SupportCase, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetCaseRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListCasesRequest(_message.Message):
    __slots__ = ("parent", "customer", "status", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    customer: str
    status: CaseStatus
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., customer: _Optional[str] = ..., status: _Optional[_Union[CaseStatus, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListCasesResponse(_message.Message):
    __slots__ = ("cases", "next_page_token")
    CASES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    cases: _containers.RepeatedCompositeFieldContainer[SupportCase]
    next_page_token: str
    def __init__(self, cases: _Optional[_Iterable[_Union[SupportCase, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class AssignCaseRequest(_message.Message):
    __slots__ = ("name", "assignee", "etag", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ASSIGNEE_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    assignee: str
    etag: str
    request_id: str
    def __init__(self, name: _Optional[str] = ..., assignee: _Optional[str] = ..., etag: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class ResolveCaseRequest(_message.Message):
    __slots__ = ("name", "resolution", "etag", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    resolution: str
    etag: str
    request_id: str
    def __init__(self, name: _Optional[str] = ..., resolution: _Optional[str] = ..., etag: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateCaseNoteRequest(_message.Message):
    __slots__ = ("parent", "note", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    note: CaseNote
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., note: _Optional[_Union[CaseNote, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class ListCaseNotesRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListCaseNotesResponse(_message.Message):
    __slots__ = ("notes", "next_page_token")
    NOTES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    notes: _containers.RepeatedCompositeFieldContainer[CaseNote]
    next_page_token: str
    def __init__(self, notes: _Optional[_Iterable[_Union[CaseNote, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class Feedback(_message.Message):
    __slots__ = ("name", "rating", "text", "category", "support_case", "create_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    RATING_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    SUPPORT_CASE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    rating: int
    text: str
    category: FeedbackCategory
    support_case: str
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., rating: _Optional[int] = ..., text: _Optional[str] = ..., category: _Optional[_Union[FeedbackCategory, str]] = ..., support_case: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateFeedbackRequest(_message.Message):
    __slots__ = ("parent", "feedback", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    FEEDBACK_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    feedback: Feedback
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., feedback: _Optional[_Union[Feedback, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class ListFeedbackRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListFeedbackResponse(_message.Message):
    __slots__ = ("feedback", "next_page_token")
    FEEDBACK_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    feedback: _containers.RepeatedCompositeFieldContainer[Feedback]
    next_page_token: str
    def __init__(self, feedback: _Optional[_Iterable[_Union[Feedback, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
