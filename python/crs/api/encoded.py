"""Responses a servicer has already encoded (in ``_core``): gRPC sends their bytes as they are."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

M = TypeVar("M")


class Encoded:
    """The wire bytes of a method's response message; ``serializer`` passes them through unchanged."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data


def encoded(data: bytes, message_type: type[M]) -> M:
    """``data`` (an encoded ``message_type``) returned where the servicer's signature promises the message.

    The type is a promise to the type checker only: the object reaching gRPC is an ``Encoded``, which the
    serializer of every CRS method (``serializer`` below, installed by the interceptor) sends as is."""
    del message_type  # names what the bytes hold, for the reader and the type checker
    return cast(M, Encoded(data))


def serializer(inner: Callable[[Any], bytes] | None) -> Callable[[Any], bytes] | None:
    """The method's response serializer, passing an ``Encoded`` response's bytes through."""
    if inner is None:
        return None

    def serialize_response(response: Any) -> bytes:
        if type(response) is Encoded:
            return response.data
        return inner(response)

    return serialize_response
