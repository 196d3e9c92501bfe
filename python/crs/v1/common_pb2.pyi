from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class PostalAddress(_message.Message):
    __slots__ = ("region_code", "postal_code", "administrative_area", "locality", "address_lines", "recipient")
    REGION_CODE_FIELD_NUMBER: _ClassVar[int]
    POSTAL_CODE_FIELD_NUMBER: _ClassVar[int]
    ADMINISTRATIVE_AREA_FIELD_NUMBER: _ClassVar[int]
    LOCALITY_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_LINES_FIELD_NUMBER: _ClassVar[int]
    RECIPIENT_FIELD_NUMBER: _ClassVar[int]
    region_code: str
    postal_code: str
    administrative_area: str
    locality: str
    address_lines: _containers.RepeatedScalarFieldContainer[str]
    recipient: str
    def __init__(self, region_code: _Optional[str] = ..., postal_code: _Optional[str] = ..., administrative_area: _Optional[str] = ..., locality: _Optional[str] = ..., address_lines: _Optional[_Iterable[str]] = ..., recipient: _Optional[str] = ...) -> None: ...
