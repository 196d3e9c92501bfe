"""Domain errors -> gRPC status with google.rpc details (ErrorInfo, BadRequest, ResourceInfo), in one place."""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from crs.domain import errors as e

DOMAIN = "crs.v1"

_CODES: list[tuple[type[e.DomainError], grpc.StatusCode, int]] = [
    (e.InvalidArgument, grpc.StatusCode.INVALID_ARGUMENT, code_pb2.INVALID_ARGUMENT),
    (e.NotFound, grpc.StatusCode.NOT_FOUND, code_pb2.NOT_FOUND),
    (e.AlreadyExists, grpc.StatusCode.ALREADY_EXISTS, code_pb2.ALREADY_EXISTS),
    (e.Aborted, grpc.StatusCode.ABORTED, code_pb2.ABORTED),
    (e.FailedPrecondition, grpc.StatusCode.FAILED_PRECONDITION, code_pb2.FAILED_PRECONDITION),
    (e.PermissionDenied, grpc.StatusCode.PERMISSION_DENIED, code_pb2.PERMISSION_DENIED),
    (e.Unauthenticated, grpc.StatusCode.UNAUTHENTICATED, code_pb2.UNAUTHENTICATED),
    (e.ResourceExhausted, grpc.StatusCode.RESOURCE_EXHAUSTED, code_pb2.RESOURCE_EXHAUSTED),
    (e.Unavailable, grpc.StatusCode.UNAVAILABLE, code_pb2.UNAVAILABLE),
]


def _pack(message: object) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)  # type: ignore[arg-type]
    return packed


def code_of(error: e.DomainError) -> grpc.StatusCode:
    for cls, code, _ in _CODES:
        if isinstance(error, cls):
            return code
    return grpc.StatusCode.INTERNAL


def to_status(error: e.DomainError) -> grpc.Status:
    numeric = code_pb2.INTERNAL
    for cls, _, num in _CODES:
        if isinstance(error, cls):
            numeric = num
            break
    status = status_pb2.Status(code=numeric, message=error.message)
    status.details.append(
        _pack(error_details_pb2.ErrorInfo(reason=error.reason, domain=DOMAIN, metadata=error.metadata))
    )
    if isinstance(error, e.InvalidArgument) and error.violations:
        bad = error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
                for v in error.violations
            ]
        )
        status.details.append(_pack(bad))
    if isinstance(error, e.NotFound | e.AlreadyExists) and (error.resource_type or error.resource_name):
        status.details.append(
            _pack(
                error_details_pb2.ResourceInfo(
                    resource_type=error.resource_type, resource_name=error.resource_name, description=error.message
                )
            )
        )
    return rpc_status.to_status(status)


def internal_status() -> grpc.Status:
    status = status_pb2.Status(code=code_pb2.INTERNAL, message="internal error")
    status.details.append(_pack(error_details_pb2.ErrorInfo(reason="INTERNAL", domain=DOMAIN)))
    return rpc_status.to_status(status)


def unavailable_status(message: str) -> grpc.Status:
    status = status_pb2.Status(code=code_pb2.UNAVAILABLE, message=message)
    status.details.append(_pack(error_details_pb2.ErrorInfo(reason="STORE_UNAVAILABLE", domain=DOMAIN)))
    return rpc_status.to_status(status)


def deadline_status(message: str) -> grpc.Status:
    status = status_pb2.Status(code=code_pb2.DEADLINE_EXCEEDED, message=message)
    status.details.append(_pack(error_details_pb2.ErrorInfo(reason="DEADLINE_EXCEEDED", domain=DOMAIN)))
    return rpc_status.to_status(status)
