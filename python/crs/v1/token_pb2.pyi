from crs.v1 import card_pb2 as _card_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TokenizeRequest(_message.Message):
    __slots__ = ("parent", "pan")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    pan: str
    def __init__(self, parent: _Optional[str] = ..., pan: _Optional[str] = ...) -> None: ...

class TokenizeResponse(_message.Message):
    __slots__ = ("token", "fingerprint", "bin", "last4", "brand", "created")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    BIN_FIELD_NUMBER: _ClassVar[int]
    LAST4_FIELD_NUMBER: _ClassVar[int]
    BRAND_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    token: str
    fingerprint: str
    bin: str
    last4: str
    brand: _card_pb2.CardBrand
    created: bool
    def __init__(self, token: _Optional[str] = ..., fingerprint: _Optional[str] = ..., bin: _Optional[str] = ..., last4: _Optional[str] = ..., brand: _Optional[_Union[_card_pb2.CardBrand, str]] = ..., created: _Optional[bool] = ...) -> None: ...

class BatchTokenizeRequest(_message.Message):
    __slots__ = ("parent", "pans")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PANS_FIELD_NUMBER: _ClassVar[int]
    parent: str
    pans: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, parent: _Optional[str] = ..., pans: _Optional[_Iterable[str]] = ...) -> None: ...

class BatchTokenizeResult(_message.Message):
    __slots__ = ("index", "token", "error")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    index: int
    token: TokenizeResponse
    error: str
    def __init__(self, index: _Optional[int] = ..., token: _Optional[_Union[TokenizeResponse, _Mapping]] = ..., error: _Optional[str] = ...) -> None: ...

class BatchTokenizeResponse(_message.Message):
    __slots__ = ("results", "success_count", "failure_count")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_COUNT_FIELD_NUMBER: _ClassVar[int]
    FAILURE_COUNT_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[BatchTokenizeResult]
    success_count: int
    failure_count: int
    def __init__(self, results: _Optional[_Iterable[_Union[BatchTokenizeResult, _Mapping]]] = ..., success_count: _Optional[int] = ..., failure_count: _Optional[int] = ...) -> None: ...

class DetokenizeRequest(_message.Message):
    __slots__ = ("parent", "token", "purpose")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    parent: str
    token: str
    purpose: str
    def __init__(self, parent: _Optional[str] = ..., token: _Optional[str] = ..., purpose: _Optional[str] = ...) -> None: ...

class DetokenizeResponse(_message.Message):
    __slots__ = ("pan",)
    PAN_FIELD_NUMBER: _ClassVar[int]
    pan: str
    def __init__(self, pan: _Optional[str] = ...) -> None: ...
