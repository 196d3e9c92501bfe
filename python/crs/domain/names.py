"""Resource names (AIP-122): tenants/{tenant}/{collection}/{id}."""

from __future__ import annotations

from dataclasses import dataclass

from crs.domain.errors import InvalidArgument
from crs.domain.ids import valid_id


@dataclass(frozen=True, slots=True)
class Name:
    tenant: str
    collection: str
    id: str

    def __str__(self) -> str:
        return f"tenants/{self.tenant}/{self.collection}/{self.id}"


def tenant_name(tenant: str) -> str:
    return f"tenants/{tenant}"


def parse_parent(value: str, field_path: str = "parent") -> str:
    """``tenants/{tenant}`` -> tenant id."""
    parts = value.split("/")
    if len(parts) != 2 or parts[0] != "tenants" or not valid_id(parts[1]):
        raise InvalidArgument.of(field_path, "must be tenants/{tenant}", "INVALID_RESOURCE_NAME")
    return parts[1]


def parse_name(value: str, collection: str, field_path: str = "name") -> Name:
    parts = value.split("/")
    if (
        len(parts) != 4
        or parts[0] != "tenants"
        or parts[2] != collection
        or not valid_id(parts[1])
        or not valid_id(parts[3])
    ):
        raise InvalidArgument.of(field_path, f"must be tenants/{{tenant}}/{collection}/{{id}}", "INVALID_RESOURCE_NAME")
    return Name(parts[1], collection, parts[3])


def name_tenant(value: str) -> str | None:
    """The tenant a resource name or parent points into, or None when it is not one of ours."""
    parts = value.split("/")
    if len(parts) >= 2 and parts[0] == "tenants" and valid_id(parts[1]):
        return parts[1]
    return None
