"""Domain errors. The API layer maps each one to a gRPC status with google.rpc details, once."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class FieldViolation:
    field: str
    description: str


@dataclass
class DomainError(Exception):
    message: str
    reason: str = "ERROR"
    metadata: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message


@dataclass
class InvalidArgument(DomainError):
    violations: list[FieldViolation] = field(default_factory=list)
    reason: str = "INVALID_ARGUMENT"

    @classmethod
    def of(cls, field_path: str, description: str, reason: str = "INVALID_ARGUMENT") -> InvalidArgument:
        return cls(f"invalid {field_path}: {description}", reason, {}, [FieldViolation(field_path, description)])


@dataclass
class NotFound(DomainError):
    resource_type: str = ""
    resource_name: str = ""
    reason: str = "NOT_FOUND"


@dataclass
class AlreadyExists(DomainError):
    resource_type: str = ""
    resource_name: str = ""
    reason: str = "ALREADY_EXISTS"


@dataclass
class Aborted(DomainError):
    reason: str = "ETAG_MISMATCH"


@dataclass
class FailedPrecondition(DomainError):
    reason: str = "FAILED_PRECONDITION"


@dataclass
class PermissionDenied(DomainError):
    reason: str = "MISSING_SCOPE"


@dataclass
class Unauthenticated(DomainError):
    reason: str = "UNAUTHENTICATED"


@dataclass
class ResourceExhausted(DomainError):
    reason: str = "RESOURCE_EXHAUSTED"


@dataclass
class Unavailable(DomainError):
    reason: str = "STORE_UNAVAILABLE"


class Violations:
    """Collects field violations so one response names every bad field."""

    def __init__(self) -> None:
        self.items: list[FieldViolation] = []

    def add(self, field_path: str, description: str) -> None:
        self.items.append(FieldViolation(field_path, description))

    def raise_if_any(self, reason: str = "INVALID_ARGUMENT") -> None:
        if self.items:
            first = self.items[0]
            more = f" (and {len(self.items) - 1} more)" if len(self.items) > 1 else ""
            raise InvalidArgument(f"invalid {first.field}: {first.description}{more}", reason, {}, self.items)
