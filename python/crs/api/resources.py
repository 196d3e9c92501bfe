"""Resource-name parsing for servicers: malformed -> INVALID_ARGUMENT, another tenant's -> NOT_FOUND."""

from __future__ import annotations

from crs.api.call import own_tenant
from crs.domain.names import Name, parse_name, parse_parent


def parent(value: str, field_path: str = "parent") -> str:
    return own_tenant(parse_parent(value, field_path), value)


def name(value: str, collection: str, field_path: str = "name") -> Name:
    parsed = parse_name(value, collection, field_path)
    own_tenant(parsed.tenant, value)
    return parsed


def optional_name(value: str, collection: str, field_path: str) -> Name | None:
    return name(value, collection, field_path) if value else None
