from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class YearMonth(_message.Message):
    __slots__ = ("year", "month")
    YEAR_FIELD_NUMBER: _ClassVar[int]
    MONTH_FIELD_NUMBER: _ClassVar[int]
    year: int
    month: int
    def __init__(self, year: _Optional[int] = ..., month: _Optional[int] = ...) -> None: ...

class GetCustomerInsightsRequest(_message.Message):
    __slots__ = ("parent", "customer", "cluster", "end_month", "months")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    END_MONTH_FIELD_NUMBER: _ClassVar[int]
    MONTHS_FIELD_NUMBER: _ClassVar[int]
    parent: str
    customer: str
    cluster: str
    end_month: YearMonth
    months: int
    def __init__(self, parent: _Optional[str] = ..., customer: _Optional[str] = ..., cluster: _Optional[str] = ..., end_month: _Optional[_Union[YearMonth, _Mapping]] = ..., months: _Optional[int] = ...) -> None: ...

class SpendLine(_message.Message):
    __slots__ = ("key", "currency_code", "count", "amount_minor")
    KEY_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_MINOR_FIELD_NUMBER: _ClassVar[int]
    key: str
    currency_code: str
    count: int
    amount_minor: int
    def __init__(self, key: _Optional[str] = ..., currency_code: _Optional[str] = ..., count: _Optional[int] = ..., amount_minor: _Optional[int] = ...) -> None: ...

class CurrencyTrend(_message.Message):
    __slots__ = ("currency_code", "amount_minor", "previous_amount_minor", "count", "previous_count", "change_percent", "has_previous")
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_MINOR_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_AMOUNT_MINOR_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_COUNT_FIELD_NUMBER: _ClassVar[int]
    CHANGE_PERCENT_FIELD_NUMBER: _ClassVar[int]
    HAS_PREVIOUS_FIELD_NUMBER: _ClassVar[int]
    currency_code: str
    amount_minor: int
    previous_amount_minor: int
    count: int
    previous_count: int
    change_percent: float
    has_previous: bool
    def __init__(self, currency_code: _Optional[str] = ..., amount_minor: _Optional[int] = ..., previous_amount_minor: _Optional[int] = ..., count: _Optional[int] = ..., previous_count: _Optional[int] = ..., change_percent: _Optional[float] = ..., has_previous: _Optional[bool] = ...) -> None: ...

class HourShare(_message.Message):
    __slots__ = ("hour", "count")
    HOUR_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    hour: int
    count: int
    def __init__(self, hour: _Optional[int] = ..., count: _Optional[int] = ...) -> None: ...

class CustomerInsights(_message.Message):
    __slots__ = ("subject", "start_month", "end_month", "by_category", "by_merchant", "by_channel", "by_currency", "spend_count", "refund_count", "chargeback_count", "refund_ratio", "chargeback_ratio", "declined_count", "preferred_hours", "hours", "customers")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    START_MONTH_FIELD_NUMBER: _ClassVar[int]
    END_MONTH_FIELD_NUMBER: _ClassVar[int]
    BY_CATEGORY_FIELD_NUMBER: _ClassVar[int]
    BY_MERCHANT_FIELD_NUMBER: _ClassVar[int]
    BY_CHANNEL_FIELD_NUMBER: _ClassVar[int]
    BY_CURRENCY_FIELD_NUMBER: _ClassVar[int]
    SPEND_COUNT_FIELD_NUMBER: _ClassVar[int]
    REFUND_COUNT_FIELD_NUMBER: _ClassVar[int]
    CHARGEBACK_COUNT_FIELD_NUMBER: _ClassVar[int]
    REFUND_RATIO_FIELD_NUMBER: _ClassVar[int]
    CHARGEBACK_RATIO_FIELD_NUMBER: _ClassVar[int]
    DECLINED_COUNT_FIELD_NUMBER: _ClassVar[int]
    PREFERRED_HOURS_FIELD_NUMBER: _ClassVar[int]
    HOURS_FIELD_NUMBER: _ClassVar[int]
    CUSTOMERS_FIELD_NUMBER: _ClassVar[int]
    subject: str
    start_month: YearMonth
    end_month: YearMonth
    by_category: _containers.RepeatedCompositeFieldContainer[SpendLine]
    by_merchant: _containers.RepeatedCompositeFieldContainer[SpendLine]
    by_channel: _containers.RepeatedCompositeFieldContainer[SpendLine]
    by_currency: _containers.RepeatedCompositeFieldContainer[CurrencyTrend]
    spend_count: int
    refund_count: int
    chargeback_count: int
    refund_ratio: float
    chargeback_ratio: float
    declined_count: int
    preferred_hours: _containers.RepeatedScalarFieldContainer[int]
    hours: _containers.RepeatedCompositeFieldContainer[HourShare]
    customers: int
    def __init__(self, subject: _Optional[str] = ..., start_month: _Optional[_Union[YearMonth, _Mapping]] = ..., end_month: _Optional[_Union[YearMonth, _Mapping]] = ..., by_category: _Optional[_Iterable[_Union[SpendLine, _Mapping]]] = ..., by_merchant: _Optional[_Iterable[_Union[SpendLine, _Mapping]]] = ..., by_channel: _Optional[_Iterable[_Union[SpendLine, _Mapping]]] = ..., by_currency: _Optional[_Iterable[_Union[CurrencyTrend, _Mapping]]] = ..., spend_count: _Optional[int] = ..., refund_count: _Optional[int] = ..., chargeback_count: _Optional[int] = ..., refund_ratio: _Optional[float] = ..., chargeback_ratio: _Optional[float] = ..., declined_count: _Optional[int] = ..., preferred_hours: _Optional[_Iterable[int]] = ..., hours: _Optional[_Iterable[_Union[HourShare, _Mapping]]] = ..., customers: _Optional[int] = ...) -> None: ...
