import datetime

from crs.v1 import account_pb2 as _account_pb2
from crs.v1 import card_pb2 as _card_pb2
from crs.v1 import cluster_pb2 as _cluster_pb2
from crs.v1 import customer_pb2 as _customer_pb2
from crs.v1 import risk_pb2 as _risk_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetAuthorizationContextRequest(_message.Message):
    __slots__ = ("parent", "token", "pan", "card_fingerprint")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    PAN_FIELD_NUMBER: _ClassVar[int]
    CARD_FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    parent: str
    token: str
    pan: str
    card_fingerprint: str
    def __init__(self, parent: _Optional[str] = ..., token: _Optional[str] = ..., pan: _Optional[str] = ..., card_fingerprint: _Optional[str] = ...) -> None: ...

class CardContext(_message.Message):
    __slots__ = ("card", "token", "brand", "bin", "last4", "state", "expiry_month", "expiry_year", "expired", "usable")
    CARD_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    BRAND_FIELD_NUMBER: _ClassVar[int]
    BIN_FIELD_NUMBER: _ClassVar[int]
    LAST4_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    EXPIRY_MONTH_FIELD_NUMBER: _ClassVar[int]
    EXPIRY_YEAR_FIELD_NUMBER: _ClassVar[int]
    EXPIRED_FIELD_NUMBER: _ClassVar[int]
    USABLE_FIELD_NUMBER: _ClassVar[int]
    card: str
    token: str
    brand: _card_pb2.CardBrand
    bin: str
    last4: str
    state: _card_pb2.CardState
    expiry_month: int
    expiry_year: int
    expired: bool
    usable: bool
    def __init__(self, card: _Optional[str] = ..., token: _Optional[str] = ..., brand: _Optional[_Union[_card_pb2.CardBrand, str]] = ..., bin: _Optional[str] = ..., last4: _Optional[str] = ..., state: _Optional[_Union[_card_pb2.CardState, str]] = ..., expiry_month: _Optional[int] = ..., expiry_year: _Optional[int] = ..., expired: _Optional[bool] = ..., usable: _Optional[bool] = ...) -> None: ...

class AccountContext(_message.Message):
    __slots__ = ("account", "kind", "status", "currency_code")
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    account: str
    kind: _account_pb2.AccountKind
    status: _account_pb2.AccountStatus
    currency_code: str
    def __init__(self, account: _Optional[str] = ..., kind: _Optional[_Union[_account_pb2.AccountKind, str]] = ..., status: _Optional[_Union[_account_pb2.AccountStatus, str]] = ..., currency_code: _Optional[str] = ...) -> None: ...

class CustomerContext(_message.Message):
    __slots__ = ("customer", "kind", "status", "display_name", "customer_since", "cluster")
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_SINCE_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    customer: str
    kind: _customer_pb2.CustomerKind
    status: _customer_pb2.CustomerStatus
    display_name: str
    customer_since: _timestamp_pb2.Timestamp
    cluster: str
    def __init__(self, customer: _Optional[str] = ..., kind: _Optional[_Union[_customer_pb2.CustomerKind, str]] = ..., status: _Optional[_Union[_customer_pb2.CustomerStatus, str]] = ..., display_name: _Optional[str] = ..., customer_since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., cluster: _Optional[str] = ...) -> None: ...

class ClusterContext(_message.Message):
    __slots__ = ("cluster", "version", "size", "customer_since", "stats", "risk_flags")
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_SINCE_FIELD_NUMBER: _ClassVar[int]
    STATS_FIELD_NUMBER: _ClassVar[int]
    RISK_FLAGS_FIELD_NUMBER: _ClassVar[int]
    cluster: str
    version: int
    size: int
    customer_since: _timestamp_pb2.Timestamp
    stats: _cluster_pb2.ClusterStats
    risk_flags: _containers.RepeatedCompositeFieldContainer[_cluster_pb2.RiskFlag]
    def __init__(self, cluster: _Optional[str] = ..., version: _Optional[int] = ..., size: _Optional[int] = ..., customer_since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., stats: _Optional[_Union[_cluster_pb2.ClusterStats, _Mapping]] = ..., risk_flags: _Optional[_Iterable[_Union[_cluster_pb2.RiskFlag, _Mapping]]] = ...) -> None: ...

class AuthorizationContext(_message.Message):
    __slots__ = ("card", "account", "owners", "cluster", "as_of_time", "risk", "preferred_method")
    CARD_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    OWNERS_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    AS_OF_TIME_FIELD_NUMBER: _ClassVar[int]
    RISK_FIELD_NUMBER: _ClassVar[int]
    PREFERRED_METHOD_FIELD_NUMBER: _ClassVar[int]
    card: CardContext
    account: AccountContext
    owners: _containers.RepeatedCompositeFieldContainer[CustomerContext]
    cluster: ClusterContext
    as_of_time: _timestamp_pb2.Timestamp
    risk: _risk_pb2.RiskSummary
    preferred_method: str
    def __init__(self, card: _Optional[_Union[CardContext, _Mapping]] = ..., account: _Optional[_Union[AccountContext, _Mapping]] = ..., owners: _Optional[_Iterable[_Union[CustomerContext, _Mapping]]] = ..., cluster: _Optional[_Union[ClusterContext, _Mapping]] = ..., as_of_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., risk: _Optional[_Union[_risk_pb2.RiskSummary, _Mapping]] = ..., preferred_method: _Optional[str] = ...) -> None: ...
