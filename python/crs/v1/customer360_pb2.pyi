from crs.v1 import account_pb2 as _account_pb2
from crs.v1 import card_pb2 as _card_pb2
from crs.v1 import cluster_pb2 as _cluster_pb2
from crs.v1 import customer_pb2 as _customer_pb2
from crs.v1 import notification_pb2 as _notification_pb2
from crs.v1 import profile_pb2 as _profile_pb2
from crs.v1 import segment_pb2 as _segment_pb2
from crs.v1 import support_pb2 as _support_pb2
from crs.v1 import transaction_pb2 as _transaction_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetCustomer360Request(_message.Message):
    __slots__ = ("customer", "feedback_count", "transaction_count", "notification_count")
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    FEEDBACK_COUNT_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_COUNT_FIELD_NUMBER: _ClassVar[int]
    NOTIFICATION_COUNT_FIELD_NUMBER: _ClassVar[int]
    customer: str
    feedback_count: int
    transaction_count: int
    notification_count: int
    def __init__(self, customer: _Optional[str] = ..., feedback_count: _Optional[int] = ..., transaction_count: _Optional[int] = ..., notification_count: _Optional[int] = ...) -> None: ...

class Customer360(_message.Message):
    __slots__ = ("customer", "cluster", "accounts", "cards", "effective_profile", "open_cases", "recent_feedback", "truncated_sections", "segments", "recent_transactions", "recent_notifications")
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    ACCOUNTS_FIELD_NUMBER: _ClassVar[int]
    CARDS_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_PROFILE_FIELD_NUMBER: _ClassVar[int]
    OPEN_CASES_FIELD_NUMBER: _ClassVar[int]
    RECENT_FEEDBACK_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_SECTIONS_FIELD_NUMBER: _ClassVar[int]
    SEGMENTS_FIELD_NUMBER: _ClassVar[int]
    RECENT_TRANSACTIONS_FIELD_NUMBER: _ClassVar[int]
    RECENT_NOTIFICATIONS_FIELD_NUMBER: _ClassVar[int]
    customer: _customer_pb2.Customer
    cluster: _cluster_pb2.Cluster
    accounts: _containers.RepeatedCompositeFieldContainer[_account_pb2.Account]
    cards: _containers.RepeatedCompositeFieldContainer[_card_pb2.Card]
    effective_profile: _profile_pb2.EffectiveProfile
    open_cases: _containers.RepeatedCompositeFieldContainer[_support_pb2.SupportCase]
    recent_feedback: _containers.RepeatedCompositeFieldContainer[_support_pb2.Feedback]
    truncated_sections: _containers.RepeatedScalarFieldContainer[str]
    segments: _segment_pb2.Segments
    recent_transactions: _containers.RepeatedCompositeFieldContainer[_transaction_pb2.Transaction]
    recent_notifications: _containers.RepeatedCompositeFieldContainer[_notification_pb2.NotificationHistoryEntry]
    def __init__(self, customer: _Optional[_Union[_customer_pb2.Customer, _Mapping]] = ..., cluster: _Optional[_Union[_cluster_pb2.Cluster, _Mapping]] = ..., accounts: _Optional[_Iterable[_Union[_account_pb2.Account, _Mapping]]] = ..., cards: _Optional[_Iterable[_Union[_card_pb2.Card, _Mapping]]] = ..., effective_profile: _Optional[_Union[_profile_pb2.EffectiveProfile, _Mapping]] = ..., open_cases: _Optional[_Iterable[_Union[_support_pb2.SupportCase, _Mapping]]] = ..., recent_feedback: _Optional[_Iterable[_Union[_support_pb2.Feedback, _Mapping]]] = ..., truncated_sections: _Optional[_Iterable[str]] = ..., segments: _Optional[_Union[_segment_pb2.Segments, _Mapping]] = ..., recent_transactions: _Optional[_Iterable[_Union[_transaction_pb2.Transaction, _Mapping]]] = ..., recent_notifications: _Optional[_Iterable[_Union[_notification_pb2.NotificationHistoryEntry, _Mapping]]] = ...) -> None: ...
