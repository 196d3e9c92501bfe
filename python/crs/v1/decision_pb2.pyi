import datetime

from crs.v1 import risk_pb2 as _risk_pb2
from crs.v1 import transaction_pb2 as _transaction_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ScaRecommendation(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SCA_RECOMMENDATION_UNSPECIFIED: _ClassVar[ScaRecommendation]
    SCA_RECOMMENDATION_CHALLENGE: _ClassVar[ScaRecommendation]
    SCA_RECOMMENDATION_LOW_VALUE: _ClassVar[ScaRecommendation]
    SCA_RECOMMENDATION_TRANSACTION_RISK_ANALYSIS: _ClassVar[ScaRecommendation]
    SCA_RECOMMENDATION_TRUSTED_BENEFICIARY: _ClassVar[ScaRecommendation]
    SCA_RECOMMENDATION_RECURRING: _ClassVar[ScaRecommendation]
SCA_RECOMMENDATION_UNSPECIFIED: ScaRecommendation
SCA_RECOMMENDATION_CHALLENGE: ScaRecommendation
SCA_RECOMMENDATION_LOW_VALUE: ScaRecommendation
SCA_RECOMMENDATION_TRANSACTION_RISK_ANALYSIS: ScaRecommendation
SCA_RECOMMENDATION_TRUSTED_BENEFICIARY: ScaRecommendation
SCA_RECOMMENDATION_RECURRING: ScaRecommendation

class GetCheckoutAdviceRequest(_message.Message):
    __slots__ = ("parent", "card_token", "customer", "amount", "merchant_id", "channel", "country_code", "recurring", "acquirer_fraud_rate_ppm")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    CARD_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    MERCHANT_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_CODE_FIELD_NUMBER: _ClassVar[int]
    RECURRING_FIELD_NUMBER: _ClassVar[int]
    ACQUIRER_FRAUD_RATE_PPM_FIELD_NUMBER: _ClassVar[int]
    parent: str
    card_token: str
    customer: str
    amount: _risk_pb2.MinorAmount
    merchant_id: str
    channel: _transaction_pb2.PaymentChannel
    country_code: str
    recurring: bool
    acquirer_fraud_rate_ppm: int
    def __init__(self, parent: _Optional[str] = ..., card_token: _Optional[str] = ..., customer: _Optional[str] = ..., amount: _Optional[_Union[_risk_pb2.MinorAmount, _Mapping]] = ..., merchant_id: _Optional[str] = ..., channel: _Optional[_Union[_transaction_pb2.PaymentChannel, str]] = ..., country_code: _Optional[str] = ..., recurring: _Optional[bool] = ..., acquirer_fraud_rate_ppm: _Optional[int] = ...) -> None: ...

class RankedPaymentMethod(_message.Message):
    __slots__ = ("method", "instrument", "score", "reasons")
    METHOD_FIELD_NUMBER: _ClassVar[int]
    INSTRUMENT_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    method: str
    instrument: str
    score: int
    reasons: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, method: _Optional[str] = ..., instrument: _Optional[str] = ..., score: _Optional[int] = ..., reasons: _Optional[_Iterable[str]] = ...) -> None: ...

class ScaFacts(_message.Message):
    __slots__ = ("payments_since_last_sca", "amount_since_last_sca_eur_minor", "prior_successful_scas", "last_sca_time", "cluster_age_days", "amount_eur_minor", "fraud_rate_ppm", "tra_threshold_eur_minor", "low_value_counter")
    PAYMENTS_SINCE_LAST_SCA_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_SINCE_LAST_SCA_EUR_MINOR_FIELD_NUMBER: _ClassVar[int]
    PRIOR_SUCCESSFUL_SCAS_FIELD_NUMBER: _ClassVar[int]
    LAST_SCA_TIME_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_AGE_DAYS_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_EUR_MINOR_FIELD_NUMBER: _ClassVar[int]
    FRAUD_RATE_PPM_FIELD_NUMBER: _ClassVar[int]
    TRA_THRESHOLD_EUR_MINOR_FIELD_NUMBER: _ClassVar[int]
    LOW_VALUE_COUNTER_FIELD_NUMBER: _ClassVar[int]
    payments_since_last_sca: int
    amount_since_last_sca_eur_minor: int
    prior_successful_scas: int
    last_sca_time: _timestamp_pb2.Timestamp
    cluster_age_days: int
    amount_eur_minor: int
    fraud_rate_ppm: int
    tra_threshold_eur_minor: int
    low_value_counter: str
    def __init__(self, payments_since_last_sca: _Optional[int] = ..., amount_since_last_sca_eur_minor: _Optional[int] = ..., prior_successful_scas: _Optional[int] = ..., last_sca_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., cluster_age_days: _Optional[int] = ..., amount_eur_minor: _Optional[int] = ..., fraud_rate_ppm: _Optional[int] = ..., tra_threshold_eur_minor: _Optional[int] = ..., low_value_counter: _Optional[str] = ...) -> None: ...

class ScaAdvice(_message.Message):
    __slots__ = ("recommendation", "reason_codes", "facts")
    RECOMMENDATION_FIELD_NUMBER: _ClassVar[int]
    REASON_CODES_FIELD_NUMBER: _ClassVar[int]
    FACTS_FIELD_NUMBER: _ClassVar[int]
    recommendation: ScaRecommendation
    reason_codes: _containers.RepeatedScalarFieldContainer[str]
    facts: ScaFacts
    def __init__(self, recommendation: _Optional[_Union[ScaRecommendation, str]] = ..., reason_codes: _Optional[_Iterable[str]] = ..., facts: _Optional[_Union[ScaFacts, _Mapping]] = ...) -> None: ...

class CheckoutAdvice(_message.Message):
    __slots__ = ("payer", "customer", "cluster", "payment_methods", "sca", "risk_score", "risk_signals", "as_of_time")
    PAYER_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_METHODS_FIELD_NUMBER: _ClassVar[int]
    SCA_FIELD_NUMBER: _ClassVar[int]
    RISK_SCORE_FIELD_NUMBER: _ClassVar[int]
    RISK_SIGNALS_FIELD_NUMBER: _ClassVar[int]
    AS_OF_TIME_FIELD_NUMBER: _ClassVar[int]
    payer: str
    customer: str
    cluster: str
    payment_methods: _containers.RepeatedCompositeFieldContainer[RankedPaymentMethod]
    sca: ScaAdvice
    risk_score: int
    risk_signals: _containers.RepeatedCompositeFieldContainer[_risk_pb2.RiskSignal]
    as_of_time: _timestamp_pb2.Timestamp
    def __init__(self, payer: _Optional[str] = ..., customer: _Optional[str] = ..., cluster: _Optional[str] = ..., payment_methods: _Optional[_Iterable[_Union[RankedPaymentMethod, _Mapping]]] = ..., sca: _Optional[_Union[ScaAdvice, _Mapping]] = ..., risk_score: _Optional[int] = ..., risk_signals: _Optional[_Iterable[_Union[_risk_pb2.RiskSignal, _Mapping]]] = ..., as_of_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
