import datetime

from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.api import resource_pb2 as _resource_pb2
from google.protobuf import empty_pb2 as _empty_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class IdentifierKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    IDENTIFIER_KIND_UNSPECIFIED: _ClassVar[IdentifierKind]
    IDENTIFIER_KIND_EMAIL: _ClassVar[IdentifierKind]
    IDENTIFIER_KIND_PHONE: _ClassVar[IdentifierKind]
    IDENTIFIER_KIND_NATIONAL_ID: _ClassVar[IdentifierKind]
    IDENTIFIER_KIND_CARD_FINGERPRINT: _ClassVar[IdentifierKind]
    IDENTIFIER_KIND_BANK_ACCOUNT: _ClassVar[IdentifierKind]
    IDENTIFIER_KIND_WALLET_ID: _ClassVar[IdentifierKind]
    IDENTIFIER_KIND_DEVICE_ID: _ClassVar[IdentifierKind]
    IDENTIFIER_KIND_POSTAL_ADDRESS: _ClassVar[IdentifierKind]
    IDENTIFIER_KIND_NAME_DOB: _ClassVar[IdentifierKind]

class IdentifierSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    IDENTIFIER_SOURCE_UNSPECIFIED: _ClassVar[IdentifierSource]
    IDENTIFIER_SOURCE_CUSTOMER_RECORD: _ClassVar[IdentifierSource]
    IDENTIFIER_SOURCE_CARD: _ClassVar[IdentifierSource]
    IDENTIFIER_SOURCE_ADDED: _ClassVar[IdentifierSource]

class ClusterState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CLUSTER_STATE_UNSPECIFIED: _ClassVar[ClusterState]
    CLUSTER_STATE_ACTIVE: _ClassVar[ClusterState]
    CLUSTER_STATE_MERGED: _ClassVar[ClusterState]
    CLUSTER_STATE_SPLIT: _ClassVar[ClusterState]
    CLUSTER_STATE_EMPTY: _ClassVar[ClusterState]

class LinkRule(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LINK_RULE_UNSPECIFIED: _ClassVar[LinkRule]
    LINK_RULE_STRONG_IDENTIFIER: _ClassVar[LinkRule]
    LINK_RULE_WEAK_COMBINATION: _ClassVar[LinkRule]
    LINK_RULE_PROBABILISTIC: _ClassVar[LinkRule]
    LINK_RULE_ANALYST: _ClassVar[LinkRule]

class ClusterEventKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CLUSTER_EVENT_KIND_UNSPECIFIED: _ClassVar[ClusterEventKind]
    CLUSTER_EVENT_KIND_MERGED: _ClassVar[ClusterEventKind]
    CLUSTER_EVENT_KIND_SPLIT: _ClassVar[ClusterEventKind]
    CLUSTER_EVENT_KIND_MEMBER_ADDED: _ClassVar[ClusterEventKind]
    CLUSTER_EVENT_KIND_MEMBER_REMOVED: _ClassVar[ClusterEventKind]
IDENTIFIER_KIND_UNSPECIFIED: IdentifierKind
IDENTIFIER_KIND_EMAIL: IdentifierKind
IDENTIFIER_KIND_PHONE: IdentifierKind
IDENTIFIER_KIND_NATIONAL_ID: IdentifierKind
IDENTIFIER_KIND_CARD_FINGERPRINT: IdentifierKind
IDENTIFIER_KIND_BANK_ACCOUNT: IdentifierKind
IDENTIFIER_KIND_WALLET_ID: IdentifierKind
IDENTIFIER_KIND_DEVICE_ID: IdentifierKind
IDENTIFIER_KIND_POSTAL_ADDRESS: IdentifierKind
IDENTIFIER_KIND_NAME_DOB: IdentifierKind
IDENTIFIER_SOURCE_UNSPECIFIED: IdentifierSource
IDENTIFIER_SOURCE_CUSTOMER_RECORD: IdentifierSource
IDENTIFIER_SOURCE_CARD: IdentifierSource
IDENTIFIER_SOURCE_ADDED: IdentifierSource
CLUSTER_STATE_UNSPECIFIED: ClusterState
CLUSTER_STATE_ACTIVE: ClusterState
CLUSTER_STATE_MERGED: ClusterState
CLUSTER_STATE_SPLIT: ClusterState
CLUSTER_STATE_EMPTY: ClusterState
LINK_RULE_UNSPECIFIED: LinkRule
LINK_RULE_STRONG_IDENTIFIER: LinkRule
LINK_RULE_WEAK_COMBINATION: LinkRule
LINK_RULE_PROBABILISTIC: LinkRule
LINK_RULE_ANALYST: LinkRule
CLUSTER_EVENT_KIND_UNSPECIFIED: ClusterEventKind
CLUSTER_EVENT_KIND_MERGED: ClusterEventKind
CLUSTER_EVENT_KIND_SPLIT: ClusterEventKind
CLUSTER_EVENT_KIND_MEMBER_ADDED: ClusterEventKind
CLUSTER_EVENT_KIND_MEMBER_REMOVED: ClusterEventKind

class Identifier(_message.Message):
    __slots__ = ("name", "kind", "value", "region_code", "masked_value", "fingerprint", "source", "strong", "create_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    REGION_CODE_FIELD_NUMBER: _ClassVar[int]
    MASKED_VALUE_FIELD_NUMBER: _ClassVar[int]
    FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    STRONG_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    kind: IdentifierKind
    value: str
    region_code: str
    masked_value: str
    fingerprint: str
    source: IdentifierSource
    strong: bool
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., kind: _Optional[_Union[IdentifierKind, str]] = ..., value: _Optional[str] = ..., region_code: _Optional[str] = ..., masked_value: _Optional[str] = ..., fingerprint: _Optional[str] = ..., source: _Optional[_Union[IdentifierSource, str]] = ..., strong: _Optional[bool] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateIdentifierRequest(_message.Message):
    __slots__ = ("parent", "identifier", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    identifier: Identifier
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., identifier: _Optional[_Union[Identifier, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class ListIdentifiersRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListIdentifiersResponse(_message.Message):
    __slots__ = ("identifiers", "next_page_token")
    IDENTIFIERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    identifiers: _containers.RepeatedCompositeFieldContainer[Identifier]
    next_page_token: str
    def __init__(self, identifiers: _Optional[_Iterable[_Union[Identifier, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DeleteIdentifierRequest(_message.Message):
    __slots__ = ("name", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    request_id: str
    def __init__(self, name: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class RiskFlag(_message.Message):
    __slots__ = ("code", "kind", "masked_value", "fingerprint", "customer_count", "reason")
    CODE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    MASKED_VALUE_FIELD_NUMBER: _ClassVar[int]
    FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_COUNT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    code: str
    kind: IdentifierKind
    masked_value: str
    fingerprint: str
    customer_count: int
    reason: str
    def __init__(self, code: _Optional[str] = ..., kind: _Optional[_Union[IdentifierKind, str]] = ..., masked_value: _Optional[str] = ..., fingerprint: _Optional[str] = ..., customer_count: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class ClusterStats(_message.Message):
    __slots__ = ("customers", "distinct_names", "distinct_emails", "distinct_phones", "distinct_cards", "distinct_bank_accounts", "distinct_devices")
    CUSTOMERS_FIELD_NUMBER: _ClassVar[int]
    DISTINCT_NAMES_FIELD_NUMBER: _ClassVar[int]
    DISTINCT_EMAILS_FIELD_NUMBER: _ClassVar[int]
    DISTINCT_PHONES_FIELD_NUMBER: _ClassVar[int]
    DISTINCT_CARDS_FIELD_NUMBER: _ClassVar[int]
    DISTINCT_BANK_ACCOUNTS_FIELD_NUMBER: _ClassVar[int]
    DISTINCT_DEVICES_FIELD_NUMBER: _ClassVar[int]
    customers: int
    distinct_names: int
    distinct_emails: int
    distinct_phones: int
    distinct_cards: int
    distinct_bank_accounts: int
    distinct_devices: int
    def __init__(self, customers: _Optional[int] = ..., distinct_names: _Optional[int] = ..., distinct_emails: _Optional[int] = ..., distinct_phones: _Optional[int] = ..., distinct_cards: _Optional[int] = ..., distinct_bank_accounts: _Optional[int] = ..., distinct_devices: _Optional[int] = ...) -> None: ...

class ClusterMember(_message.Message):
    __slots__ = ("customer", "display_name", "identifiers", "customer_since")
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    IDENTIFIERS_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_SINCE_FIELD_NUMBER: _ClassVar[int]
    customer: str
    display_name: str
    identifiers: _containers.RepeatedCompositeFieldContainer[Identifier]
    customer_since: _timestamp_pb2.Timestamp
    def __init__(self, customer: _Optional[str] = ..., display_name: _Optional[str] = ..., identifiers: _Optional[_Iterable[_Union[Identifier, _Mapping]]] = ..., customer_since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Cluster(_message.Message):
    __slots__ = ("name", "state", "version", "size", "successor_clusters", "first_seen_time", "last_seen_time", "stats", "risk_flags", "members", "create_time", "update_time", "etag")
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    SUCCESSOR_CLUSTERS_FIELD_NUMBER: _ClassVar[int]
    FIRST_SEEN_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_SEEN_TIME_FIELD_NUMBER: _ClassVar[int]
    STATS_FIELD_NUMBER: _ClassVar[int]
    RISK_FLAGS_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    state: ClusterState
    version: int
    size: int
    successor_clusters: _containers.RepeatedScalarFieldContainer[str]
    first_seen_time: _timestamp_pb2.Timestamp
    last_seen_time: _timestamp_pb2.Timestamp
    stats: ClusterStats
    risk_flags: _containers.RepeatedCompositeFieldContainer[RiskFlag]
    members: _containers.RepeatedCompositeFieldContainer[ClusterMember]
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    etag: str
    def __init__(self, name: _Optional[str] = ..., state: _Optional[_Union[ClusterState, str]] = ..., version: _Optional[int] = ..., size: _Optional[int] = ..., successor_clusters: _Optional[_Iterable[str]] = ..., first_seen_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_seen_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., stats: _Optional[_Union[ClusterStats, _Mapping]] = ..., risk_flags: _Optional[_Iterable[_Union[RiskFlag, _Mapping]]] = ..., members: _Optional[_Iterable[_Union[ClusterMember, _Mapping]]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ...) -> None: ...

class IdentifierValue(_message.Message):
    __slots__ = ("kind", "value", "region_code")
    KIND_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    REGION_CODE_FIELD_NUMBER: _ClassVar[int]
    kind: IdentifierKind
    value: str
    region_code: str
    def __init__(self, kind: _Optional[_Union[IdentifierKind, str]] = ..., value: _Optional[str] = ..., region_code: _Optional[str] = ...) -> None: ...

class ResolveClusterRequest(_message.Message):
    __slots__ = ("parent", "customer", "account", "card", "token", "identifier", "cluster")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    CARD_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    parent: str
    customer: str
    account: str
    card: str
    token: str
    identifier: IdentifierValue
    cluster: str
    def __init__(self, parent: _Optional[str] = ..., customer: _Optional[str] = ..., account: _Optional[str] = ..., card: _Optional[str] = ..., token: _Optional[str] = ..., identifier: _Optional[_Union[IdentifierValue, _Mapping]] = ..., cluster: _Optional[str] = ...) -> None: ...

class GetClusterRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListClusterMembersRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListClusterMembersResponse(_message.Message):
    __slots__ = ("members", "next_page_token")
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    members: _containers.RepeatedCompositeFieldContainer[ClusterMember]
    next_page_token: str
    def __init__(self, members: _Optional[_Iterable[_Union[ClusterMember, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ClusterLink(_message.Message):
    __slots__ = ("from_customer", "to_customer", "rule", "identifiers", "match_weight", "comparison_levels", "reason")
    class ComparisonLevelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    FROM_CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    TO_CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    IDENTIFIERS_FIELD_NUMBER: _ClassVar[int]
    MATCH_WEIGHT_FIELD_NUMBER: _ClassVar[int]
    COMPARISON_LEVELS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    from_customer: str
    to_customer: str
    rule: LinkRule
    identifiers: _containers.RepeatedCompositeFieldContainer[Identifier]
    match_weight: float
    comparison_levels: _containers.ScalarMap[str, str]
    reason: str
    def __init__(self, from_customer: _Optional[str] = ..., to_customer: _Optional[str] = ..., rule: _Optional[_Union[LinkRule, str]] = ..., identifiers: _Optional[_Iterable[_Union[Identifier, _Mapping]]] = ..., match_weight: _Optional[float] = ..., comparison_levels: _Optional[_Mapping[str, str]] = ..., reason: _Optional[str] = ...) -> None: ...

class ExplainClusterRequest(_message.Message):
    __slots__ = ("customer", "other_customer")
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    OTHER_CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    customer: str
    other_customer: str
    def __init__(self, customer: _Optional[str] = ..., other_customer: _Optional[str] = ...) -> None: ...

class ExplainClusterResponse(_message.Message):
    __slots__ = ("cluster", "same_cluster", "path")
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    SAME_CLUSTER_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    cluster: str
    same_cluster: bool
    path: _containers.RepeatedCompositeFieldContainer[ClusterLink]
    def __init__(self, cluster: _Optional[str] = ..., same_cluster: _Optional[bool] = ..., path: _Optional[_Iterable[_Union[ClusterLink, _Mapping]]] = ...) -> None: ...

class ClusterEvent(_message.Message):
    __slots__ = ("name", "kind", "cluster", "cluster_version", "related_clusters", "customers", "reason", "event_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_VERSION_FIELD_NUMBER: _ClassVar[int]
    RELATED_CLUSTERS_FIELD_NUMBER: _ClassVar[int]
    CUSTOMERS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    kind: ClusterEventKind
    cluster: str
    cluster_version: int
    related_clusters: _containers.RepeatedScalarFieldContainer[str]
    customers: _containers.RepeatedScalarFieldContainer[str]
    reason: str
    event_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., kind: _Optional[_Union[ClusterEventKind, str]] = ..., cluster: _Optional[str] = ..., cluster_version: _Optional[int] = ..., related_clusters: _Optional[_Iterable[str]] = ..., customers: _Optional[_Iterable[str]] = ..., reason: _Optional[str] = ..., event_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListClusterEventsRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token", "start_time")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    start_time: _timestamp_pb2.Timestamp
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListClusterEventsResponse(_message.Message):
    __slots__ = ("events", "next_page_token", "resume_token")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    RESUME_TOKEN_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[ClusterEvent]
    next_page_token: str
    resume_token: str
    def __init__(self, events: _Optional[_Iterable[_Union[ClusterEvent, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., resume_token: _Optional[str] = ...) -> None: ...

class MergeCustomersRequest(_message.Message):
    __slots__ = ("customers", "reason", "request_id")
    CUSTOMERS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    customers: _containers.RepeatedScalarFieldContainer[str]
    reason: str
    request_id: str
    def __init__(self, customers: _Optional[_Iterable[str]] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class SplitCustomerRequest(_message.Message):
    __slots__ = ("customer", "apart_from", "reason", "request_id")
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    APART_FROM_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    customer: str
    apart_from: _containers.RepeatedScalarFieldContainer[str]
    reason: str
    request_id: str
    def __init__(self, customer: _Optional[str] = ..., apart_from: _Optional[_Iterable[str]] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...
