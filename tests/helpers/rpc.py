"""Calling RPCs that must fail, and reading google.rpc error details."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.protobuf import timestamp_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from .scan import find_pans, masked


@dataclass
class RpcFailure:
    code: grpc.StatusCode
    message: str
    status: status_pb2.Status | None
    trailing_metadata: list[tuple[str, Any]]
    error_info: error_details_pb2.ErrorInfo | None = None
    bad_request: error_details_pb2.BadRequest | None = None
    resource_info: error_details_pb2.ResourceInfo | None = None
    detail_types: list[str] = field(default_factory=list)

    @property
    def violation_fields(self) -> list[str]:
        if self.bad_request is None:
            return []
        return [v.field for v in self.bad_request.field_violations]

    @property
    def reason(self) -> str | None:
        return self.error_info.reason if self.error_info else None

    def text_blob(self) -> str:
        """Everything a client can see about the error, as text (for PAN-leak checks)."""
        parts = [self.message]
        if self.status is not None:
            parts.append(self.status.message)
            parts.append(str(self.status))
            for d in self.status.details:
                parts.append(d.value.decode("latin-1"))
        for k, v in self.trailing_metadata:
            parts.append(f"{k}={v.decode('latin-1') if isinstance(v, bytes) else v}")
        for msg in (self.error_info, self.bad_request, self.resource_info):
            if msg is not None:
                parts.append(str(msg))
        return "\n".join(parts)

    def describe(self) -> str:
        return (
            f"{self.code.name}: {self.message!r} reason={self.reason!r} "
            f"violations={self.violation_fields!r} resource={self.resource_info!s} details={self.detail_types}"
        )


def parse_error(err: grpc.RpcError) -> RpcFailure:
    code = err.code()  # type: ignore[attr-defined]
    message = err.details() or ""  # type: ignore[attr-defined]
    trailing = list(err.trailing_metadata() or [])  # type: ignore[attr-defined]
    try:
        status = rpc_status.from_call(err)  # type: ignore[arg-type]
    except ValueError as exc:  # code/message in details disagree with the call's
        raise AssertionError(f"grpc-status-details-bin inconsistent with the call status: {exc}") from exc
    failure = RpcFailure(code=code, message=message, status=status, trailing_metadata=trailing)
    if status is not None:
        for any_msg in status.details:
            failure.detail_types.append(any_msg.type_url)
            for cls, attr in (
                (error_details_pb2.ErrorInfo, "error_info"),
                (error_details_pb2.BadRequest, "bad_request"),
                (error_details_pb2.ResourceInfo, "resource_info"),
            ):
                if any_msg.Is(cls.DESCRIPTOR):
                    msg = cls()
                    any_msg.Unpack(msg)
                    setattr(failure, attr, msg)
    return failure


# Every failure seen by `expect_error`, for the module-level "no PAN in any error" checks.
SEEN_FAILURES: list[RpcFailure] = []


def call_error(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> RpcFailure:
    if isinstance(fn, grpc.UnaryUnaryMultiCallable | grpc.UnaryStreamMultiCallable):
        kwargs.setdefault("timeout", 30)
    try:
        result = fn(*args, **kwargs)
    except grpc.RpcError as err:
        failure = parse_error(err)
        SEEN_FAILURES.append(failure)
        return failure
    raise AssertionError(f"expected the call to fail, but it returned: {str(result)[:500]}")


def expect_error(
    code: grpc.StatusCode | Iterable[grpc.StatusCode],
    fn: Callable[..., Any],
    *args: Any,
    field: str | None = None,
    reason: str | None = None,
    details: bool = True,
    **kwargs: Any,
) -> RpcFailure:
    """Call fn expecting a failure with `code` (or one of several codes).

    field: a BadRequest field violation with this path (or a path starting with it + '.'/'[') must exist.
    reason: the ErrorInfo reason (domain crs.v1).
    details: require a google.rpc.Status in grpc-status-details-bin with an ErrorInfo.
    """
    failure = call_error(fn, *args, **kwargs)
    codes = {code} if isinstance(code, grpc.StatusCode) else set(code)
    assert failure.code in codes, f"expected {sorted(c.name for c in codes)}, got {failure.describe()}"
    if details:
        assert failure.status is not None, f"no grpc-status-details-bin on {failure.describe()}"
        assert failure.error_info is not None, f"no google.rpc.ErrorInfo in details: {failure.describe()}"
        assert failure.error_info.domain == "crs.v1", failure.describe()
    if field is not None:
        assert failure.bad_request is not None, f"no google.rpc.BadRequest in details: {failure.describe()}"
        assert any(
            f == field or f.startswith(field + ".") or f.startswith(field + "[") for f in failure.violation_fields
        ), f"no field violation for {field!r}: {failure.describe()}"
        for v in failure.bad_request.field_violations:
            assert v.description, f"field violation without description: {failure.describe()}"
    if reason is not None:
        assert failure.reason == reason, f"expected reason {reason!r}: {failure.describe()}"
    return failure


def assert_no_pan(text: str, pans: Iterable[str], where: str = "") -> None:
    """No PAN of `pans` in `text`: as digits anywhere, or with separators between the digits."""
    hits = find_pans(text.encode("utf-8", "replace"), [p for p in pans if len(p) >= 12])
    assert not hits, f"PAN(s) {masked(hits)} found in {where or 'text'}"


def ts(seconds: float) -> timestamp_pb2.Timestamp:
    t = timestamp_pb2.Timestamp()
    t.FromNanoseconds(int(seconds * 1e9))
    return t


def list_all(
    method: Callable[..., Any], request: Any, items_field: str, page_size: int = 50, max_pages: int = 10_000
) -> list[Any]:
    """Follow next_page_token to the end; returns every item."""
    out: list[Any] = []
    req = type(request)()
    req.CopyFrom(request)
    req.page_size = page_size
    for _ in range(max_pages):
        resp = method(req, timeout=30)
        out.extend(getattr(resp, items_field))
        if not resp.next_page_token:
            return out
        req.page_token = resp.next_page_token
    raise AssertionError("pagination did not terminate")
