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

class TransactionKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRANSACTION_KIND_UNSPECIFIED: _ClassVar[TransactionKind]
    TRANSACTION_KIND_AUTHORIZATION: _ClassVar[TransactionKind]
    TRANSACTION_KIND_CAPTURE: _ClassVar[TransactionKind]
    TRANSACTION_KIND_REFUND: _ClassVar[TransactionKind]
    TRANSACTION_KIND_REVERSAL: _ClassVar[TransactionKind]
    TRANSACTION_KIND_CHARGEBACK: _ClassVar[TransactionKind]
    TRANSACTION_KIND_TRANSFER: _ClassVar[TransactionKind]

class PaymentChannel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PAYMENT_CHANNEL_UNSPECIFIED: _ClassVar[PaymentChannel]
    PAYMENT_CHANNEL_POS: _ClassVar[PaymentChannel]
    PAYMENT_CHANNEL_ECOMMERCE: _ClassVar[PaymentChannel]
    PAYMENT_CHANNEL_ACH: _ClassVar[PaymentChannel]
    PAYMENT_CHANNEL_WALLET: _ClassVar[PaymentChannel]
    PAYMENT_CHANNEL_MOTO: _ClassVar[PaymentChannel]

class TransactionResult(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRANSACTION_RESULT_UNSPECIFIED: _ClassVar[TransactionResult]
    TRANSACTION_RESULT_APPROVED: _ClassVar[TransactionResult]
    TRANSACTION_RESULT_DECLINED: _ClassVar[TransactionResult]

class ScaOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SCA_OUTCOME_UNSPECIFIED: _ClassVar[ScaOutcome]
    SCA_OUTCOME_NOT_APPLICABLE: _ClassVar[ScaOutcome]
    SCA_OUTCOME_FRICTIONLESS: _ClassVar[ScaOutcome]
    SCA_OUTCOME_CHALLENGE_SUCCEEDED: _ClassVar[ScaOutcome]
    SCA_OUTCOME_CHALLENGE_FAILED: _ClassVar[ScaOutcome]
    SCA_OUTCOME_EXEMPTION_APPLIED: _ClassVar[ScaOutcome]

class ScaExemption(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SCA_EXEMPTION_UNSPECIFIED: _ClassVar[ScaExemption]
    SCA_EXEMPTION_LOW_VALUE: _ClassVar[ScaExemption]
    SCA_EXEMPTION_TRANSACTION_RISK_ANALYSIS: _ClassVar[ScaExemption]
    SCA_EXEMPTION_TRUSTED_BENEFICIARY: _ClassVar[ScaExemption]
    SCA_EXEMPTION_RECURRING: _ClassVar[ScaExemption]
    SCA_EXEMPTION_MERCHANT_INITIATED: _ClassVar[ScaExemption]
    SCA_EXEMPTION_SECURE_CORPORATE: _ClassVar[ScaExemption]

class RecordStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RECORD_STATUS_UNSPECIFIED: _ClassVar[RecordStatus]
    RECORD_STATUS_RECORDED: _ClassVar[RecordStatus]
    RECORD_STATUS_DUPLICATE: _ClassVar[RecordStatus]
    RECORD_STATUS_REJECTED: _ClassVar[RecordStatus]
TRANSACTION_KIND_UNSPECIFIED: TransactionKind
TRANSACTION_KIND_AUTHORIZATION: TransactionKind
TRANSACTION_KIND_CAPTURE: TransactionKind
TRANSACTION_KIND_REFUND: TransactionKind
TRANSACTION_KIND_REVERSAL: TransactionKind
TRANSACTION_KIND_CHARGEBACK: TransactionKind
TRANSACTION_KIND_TRANSFER: TransactionKind
PAYMENT_CHANNEL_UNSPECIFIED: PaymentChannel
PAYMENT_CHANNEL_POS: PaymentChannel
PAYMENT_CHANNEL_ECOMMERCE: PaymentChannel
PAYMENT_CHANNEL_ACH: PaymentChannel
PAYMENT_CHANNEL_WALLET: PaymentChannel
PAYMENT_CHANNEL_MOTO: PaymentChannel
TRANSACTION_RESULT_UNSPECIFIED: TransactionResult
TRANSACTION_RESULT_APPROVED: TransactionResult
TRANSACTION_RESULT_DECLINED: TransactionResult
SCA_OUTCOME_UNSPECIFIED: ScaOutcome
SCA_OUTCOME_NOT_APPLICABLE: ScaOutcome
SCA_OUTCOME_FRICTIONLESS: ScaOutcome
SCA_OUTCOME_CHALLENGE_SUCCEEDED: ScaOutcome
SCA_OUTCOME_CHALLENGE_FAILED: ScaOutcome
SCA_OUTCOME_EXEMPTION_APPLIED: ScaOutcome
SCA_EXEMPTION_UNSPECIFIED: ScaExemption
SCA_EXEMPTION_LOW_VALUE: ScaExemption
SCA_EXEMPTION_TRANSACTION_RISK_ANALYSIS: ScaExemption
SCA_EXEMPTION_TRUSTED_BENEFICIARY: ScaExemption
SCA_EXEMPTION_RECURRING: ScaExemption
SCA_EXEMPTION_MERCHANT_INITIATED: ScaExemption
SCA_EXEMPTION_SECURE_CORPORATE: ScaExemption
RECORD_STATUS_UNSPECIFIED: RecordStatus
RECORD_STATUS_RECORDED: RecordStatus
RECORD_STATUS_DUPLICATE: RecordStatus
RECORD_STATUS_REJECTED: RecordStatus

class Transaction(_message.Message):
    __slots__ = ("name", "kind", "amount_minor", "currency_code", "merchant_id", "mcc", "merchant_country", "channel", "card_token", "instrument_account", "result", "decline_reason", "sca_outcome", "sca_exemption", "occur_time", "original_transaction_id", "card", "account", "customer", "cluster", "record_time", "recurring")
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_MINOR_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    MERCHANT_ID_FIELD_NUMBER: _ClassVar[int]
    MCC_FIELD_NUMBER: _ClassVar[int]
    MERCHANT_COUNTRY_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    CARD_TOKEN_FIELD_NUMBER: _ClassVar[int]
    INSTRUMENT_ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    DECLINE_REASON_FIELD_NUMBER: _ClassVar[int]
    SCA_OUTCOME_FIELD_NUMBER: _ClassVar[int]
    SCA_EXEMPTION_FIELD_NUMBER: _ClassVar[int]
    OCCUR_TIME_FIELD_NUMBER: _ClassVar[int]
    ORIGINAL_TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    RECORD_TIME_FIELD_NUMBER: _ClassVar[int]
    RECURRING_FIELD_NUMBER: _ClassVar[int]
    name: str
    kind: TransactionKind
    amount_minor: int
    currency_code: str
    merchant_id: str
    mcc: str
    merchant_country: str
    channel: PaymentChannel
    card_token: str
    instrument_account: str
    result: TransactionResult
    decline_reason: str
    sca_outcome: ScaOutcome
    sca_exemption: ScaExemption
    occur_time: _timestamp_pb2.Timestamp
    original_transaction_id: str
    card: str
    account: str
    customer: str
    cluster: str
    record_time: _timestamp_pb2.Timestamp
    recurring: bool
    def __init__(self, name: _Optional[str] = ..., kind: _Optional[_Union[TransactionKind, str]] = ..., amount_minor: _Optional[int] = ..., currency_code: _Optional[str] = ..., merchant_id: _Optional[str] = ..., mcc: _Optional[str] = ..., merchant_country: _Optional[str] = ..., channel: _Optional[_Union[PaymentChannel, str]] = ..., card_token: _Optional[str] = ..., instrument_account: _Optional[str] = ..., result: _Optional[_Union[TransactionResult, str]] = ..., decline_reason: _Optional[str] = ..., sca_outcome: _Optional[_Union[ScaOutcome, str]] = ..., sca_exemption: _Optional[_Union[ScaExemption, str]] = ..., occur_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., original_transaction_id: _Optional[str] = ..., card: _Optional[str] = ..., account: _Optional[str] = ..., customer: _Optional[str] = ..., cluster: _Optional[str] = ..., record_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., recurring: _Optional[bool] = ...) -> None: ...

class TransactionInput(_message.Message):
    __slots__ = ("transaction_id", "transaction")
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    transaction_id: str
    transaction: Transaction
    def __init__(self, transaction_id: _Optional[str] = ..., transaction: _Optional[_Union[Transaction, _Mapping]] = ...) -> None: ...

class BatchRecordTransactionsRequest(_message.Message):
    __slots__ = ("parent", "transactions")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    TRANSACTIONS_FIELD_NUMBER: _ClassVar[int]
    parent: str
    transactions: _containers.RepeatedCompositeFieldContainer[TransactionInput]
    def __init__(self, parent: _Optional[str] = ..., transactions: _Optional[_Iterable[_Union[TransactionInput, _Mapping]]] = ...) -> None: ...

class RecordResult(_message.Message):
    __slots__ = ("transaction_id", "status", "name", "reason", "message", "fields")
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    transaction_id: str
    status: RecordStatus
    name: str
    reason: str
    message: str
    fields: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, transaction_id: _Optional[str] = ..., status: _Optional[_Union[RecordStatus, str]] = ..., name: _Optional[str] = ..., reason: _Optional[str] = ..., message: _Optional[str] = ..., fields: _Optional[_Iterable[str]] = ...) -> None: ...

class BatchRecordTransactionsResponse(_message.Message):
    __slots__ = ("results", "recorded", "duplicates", "rejected")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    RECORDED_FIELD_NUMBER: _ClassVar[int]
    DUPLICATES_FIELD_NUMBER: _ClassVar[int]
    REJECTED_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[RecordResult]
    recorded: int
    duplicates: int
    rejected: int
    def __init__(self, results: _Optional[_Iterable[_Union[RecordResult, _Mapping]]] = ..., recorded: _Optional[int] = ..., duplicates: _Optional[int] = ..., rejected: _Optional[int] = ...) -> None: ...

class GetTransactionRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListTransactionsRequest(_message.Message):
    __slots__ = ("parent", "customer", "cluster", "account", "card", "start_time", "end_time", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    CARD_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    customer: str
    cluster: str
    account: str
    card: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., customer: _Optional[str] = ..., cluster: _Optional[str] = ..., account: _Optional[str] = ..., card: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListTransactionsResponse(_message.Message):
    __slots__ = ("transactions", "next_page_token")
    TRANSACTIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    transactions: _containers.RepeatedCompositeFieldContainer[Transaction]
    next_page_token: str
    def __init__(self, transactions: _Optional[_Iterable[_Union[Transaction, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
