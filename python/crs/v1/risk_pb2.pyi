import datetime

from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MinorAmount(_message.Message):
    __slots__ = ("amount_minor", "currency_code")
    AMOUNT_MINOR_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    amount_minor: int
    currency_code: str
    def __init__(self, amount_minor: _Optional[int] = ..., currency_code: _Optional[str] = ...) -> None: ...

class GetRiskSignalsRequest(_message.Message):
    __slots__ = ("parent", "card_token", "customer", "cluster", "amount")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    CARD_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    parent: str
    card_token: str
    customer: str
    cluster: str
    amount: MinorAmount
    def __init__(self, parent: _Optional[str] = ..., card_token: _Optional[str] = ..., customer: _Optional[str] = ..., cluster: _Optional[str] = ..., amount: _Optional[_Union[MinorAmount, _Mapping]] = ...) -> None: ...

class RiskSignal(_message.Message):
    __slots__ = ("code", "score", "reason")
    CODE_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    code: str
    score: int
    reason: str
    def __init__(self, code: _Optional[str] = ..., score: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class CurrencyTotal(_message.Message):
    __slots__ = ("currency_code", "count", "amount_minor")
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_MINOR_FIELD_NUMBER: _ClassVar[int]
    currency_code: str
    count: int
    amount_minor: int
    def __init__(self, currency_code: _Optional[str] = ..., count: _Optional[int] = ..., amount_minor: _Optional[int] = ...) -> None: ...

class VelocityWindow(_message.Message):
    __slots__ = ("window", "count", "totals")
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    TOTALS_FIELD_NUMBER: _ClassVar[int]
    window: str
    count: int
    totals: _containers.RepeatedCompositeFieldContainer[CurrencyTotal]
    def __init__(self, window: _Optional[str] = ..., count: _Optional[int] = ..., totals: _Optional[_Iterable[_Union[CurrencyTotal, _Mapping]]] = ...) -> None: ...

class Velocity(_message.Message):
    __slots__ = ("windows", "as_of_time", "newest_event_time", "late_dropped", "duplicates")
    WINDOWS_FIELD_NUMBER: _ClassVar[int]
    AS_OF_TIME_FIELD_NUMBER: _ClassVar[int]
    NEWEST_EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    LATE_DROPPED_FIELD_NUMBER: _ClassVar[int]
    DUPLICATES_FIELD_NUMBER: _ClassVar[int]
    windows: _containers.RepeatedCompositeFieldContainer[VelocityWindow]
    as_of_time: _timestamp_pb2.Timestamp
    newest_event_time: _timestamp_pb2.Timestamp
    late_dropped: int
    duplicates: int
    def __init__(self, windows: _Optional[_Iterable[_Union[VelocityWindow, _Mapping]]] = ..., as_of_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., newest_event_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., late_dropped: _Optional[int] = ..., duplicates: _Optional[int] = ...) -> None: ...

class RiskAlert(_message.Message):
    __slots__ = ("name", "cluster", "subject", "score", "threshold", "signals", "create_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    SIGNALS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    cluster: str
    subject: str
    score: int
    threshold: int
    signals: _containers.RepeatedCompositeFieldContainer[RiskSignal]
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., cluster: _Optional[str] = ..., subject: _Optional[str] = ..., score: _Optional[int] = ..., threshold: _Optional[int] = ..., signals: _Optional[_Iterable[_Union[RiskSignal, _Mapping]]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RiskSignals(_message.Message):
    __slots__ = ("subject", "cluster", "score", "alert_score", "signals", "velocity", "alert", "as_of_time")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    ALERT_SCORE_FIELD_NUMBER: _ClassVar[int]
    SIGNALS_FIELD_NUMBER: _ClassVar[int]
    VELOCITY_FIELD_NUMBER: _ClassVar[int]
    ALERT_FIELD_NUMBER: _ClassVar[int]
    AS_OF_TIME_FIELD_NUMBER: _ClassVar[int]
    subject: str
    cluster: str
    score: int
    alert_score: int
    signals: _containers.RepeatedCompositeFieldContainer[RiskSignal]
    velocity: Velocity
    alert: RiskAlert
    as_of_time: _timestamp_pb2.Timestamp
    def __init__(self, subject: _Optional[str] = ..., cluster: _Optional[str] = ..., score: _Optional[int] = ..., alert_score: _Optional[int] = ..., signals: _Optional[_Iterable[_Union[RiskSignal, _Mapping]]] = ..., velocity: _Optional[_Union[Velocity, _Mapping]] = ..., alert: _Optional[_Union[RiskAlert, _Mapping]] = ..., as_of_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListRiskAlertsRequest(_message.Message):
    __slots__ = ("parent", "cluster", "start_time", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    cluster: str
    start_time: _timestamp_pb2.Timestamp
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., cluster: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListRiskAlertsResponse(_message.Message):
    __slots__ = ("risk_alerts", "next_page_token")
    RISK_ALERTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    risk_alerts: _containers.RepeatedCompositeFieldContainer[RiskAlert]
    next_page_token: str
    def __init__(self, risk_alerts: _Optional[_Iterable[_Union[RiskAlert, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class RiskSummary(_message.Message):
    __slots__ = ("score", "signals", "velocity")
    SCORE_FIELD_NUMBER: _ClassVar[int]
    SIGNALS_FIELD_NUMBER: _ClassVar[int]
    VELOCITY_FIELD_NUMBER: _ClassVar[int]
    score: int
    signals: _containers.RepeatedCompositeFieldContainer[RiskSignal]
    velocity: Velocity
    def __init__(self, score: _Optional[int] = ..., signals: _Optional[_Iterable[_Union[RiskSignal, _Mapping]]] = ..., velocity: _Optional[_Union[Velocity, _Mapping]] = ...) -> None: ...
