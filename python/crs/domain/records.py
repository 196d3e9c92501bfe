"""Domain records: what the store keeps, serialized as compact JSON by ``encode``/``decode``."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from typing import Any, TypeVar

import orjson

from crs._core import has_long_digit_run

T = TypeVar("T")


def now_us() -> int:
    return time.time_ns() // 1000


@dataclass(slots=True)
class PostalAddress:
    region_code: str = ""
    postal_code: str = ""
    administrative_area: str = ""
    locality: str = ""
    address_lines: list[str] = field(default_factory=list)
    recipient: str = ""


@dataclass(slots=True)
class SealedNationalId:
    """A national identifier: the value only encrypted (AES-256-GCM) plus a masked form."""

    type: int
    issuing_country: str
    key_id: str
    ciphertext: str  # base64
    masked: str


@dataclass(slots=True)
class CustomerRecord:
    tenant: str
    id: str
    kind: int
    display_name: str
    legal_name: str = ""
    date_of_birth: str = ""  # YYYY-MM-DD or ""
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    postal_addresses: list[PostalAddress] = field(default_factory=list)
    national_ids: list[SealedNationalId] = field(default_factory=list)
    preferred_language: str = ""
    status: int = 1
    close_reason: str = ""
    create_us: int = 0
    update_us: int = 0
    close_us: int = 0
    version: str = ""
    # blind indexes this record is searchable by: [kind, hex]
    blind_indexes: list[list[str]] = field(default_factory=list)


@dataclass(slots=True)
class AccountRecord:
    tenant: str
    id: str
    customer_id: str
    kind: int
    currency_code: str
    status: int = 1
    display_name: str = ""
    open_date: str = ""
    close_date: str = ""
    create_us: int = 0
    update_us: int = 0
    version: str = ""


@dataclass(slots=True)
class RelationshipRecord:
    tenant: str
    id: str
    customer_id: str
    account_id: str = ""
    related_customer_id: str = ""
    account_role: int = 0
    link_type: int = 0
    create_us: int = 0


@dataclass(slots=True)
class VaultEntry:
    tenant: str
    token: str
    fingerprint: str
    key_id: str
    ciphertext: str  # base64 nonce||ct||tag
    bin: str
    last4: str
    brand: str
    create_us: int = 0


@dataclass(slots=True)
class CardRecord:
    tenant: str
    id: str
    account_id: str
    customer_id: str
    token: str
    fingerprint: str
    bin: str
    last4: str
    brand: str
    expiry_month: int
    expiry_year: int
    cardholder_name: str = ""
    state: int = 1
    state_reason: str = ""
    create_us: int = 0
    update_us: int = 0
    version: str = ""


@dataclass(slots=True)
class AuditRecord:
    event_id: str
    tenant: str
    actor: str
    method: str
    resource: str
    request_id: str
    time_us: int
    outcome: str
    changed_fields: list[str] = field(default_factory=list)
    purpose: str = ""


@dataclass(slots=True)
class IdempotencyRecord:
    method: str
    request_hash: str
    kind: str
    payload: str  # JSON of the result record


def encode(record: Any) -> bytes:
    """Compact JSON of the record's fields, exactly ``json.dumps(asdict(record))`` without its deep copies."""
    return json.dumps(_plain(record), separators=(",", ":"), ensure_ascii=False).encode()


def _plain(record: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, nested in _plan(type(record)):
        value = getattr(record, name)
        out[name] = [asdict(item) for item in value] if nested is not None else value
    return out


def decode(cls: type[T], data: bytes) -> T:
    return _build(cls, loads(data))


def build(cls: type[T], raw: dict[str, Any]) -> T:
    """The record from its JSON already parsed (``loads``), for callers that read a field or two first."""
    return _build(cls, raw)


# 19 digits in a row: maybe an integer orjson cannot hold in 64 bits (it would read it as a float). Every
# integer of at most 18 digits is exact in orjson; a longer digit run (a token, a long fraction) only costs
# the slower parser. ``has_long_digit_run`` (``_core``, json_digits.rs) finds one in one pass over the text:
# every record read asks (the translate-and-search it replaced took about 0.5 µs per record).


def loads(data: bytes) -> Any:
    """``json.loads``, parsed by orjson (several times faster on every read path) unless the text may hold an
    integer beyond 64 bits; what orjson refuses but the standard library reads (NaN written by ``json.dumps``)
    goes to ``json.loads`` too."""
    if not has_long_digit_run(data):
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
    return json.loads(data)


_NESTED: dict[tuple[str, str], type] = {
    ("CustomerRecord", "postal_addresses"): PostalAddress,
    ("CustomerRecord", "national_ids"): SealedNationalId,
}


# Per record class: (field name, nested record class or None), computed once (``fields()`` is slow).
_PLAN: dict[type, tuple[tuple[str, type | None], ...]] = {}


def _plan(cls: type) -> tuple[tuple[str, type | None], ...]:
    plan = _PLAN.get(cls)
    if plan is None:
        assert is_dataclass(cls)
        plan = tuple((f.name, _NESTED.get((cls.__name__, f.name))) for f in fields(cls))
        _PLAN[cls] = plan
    return plan


def _build(cls: type[T], raw: dict[str, Any]) -> T:
    kwargs: dict[str, Any] = {}
    for name, nested in _plan(cls):
        if name not in raw:
            continue
        value = raw[name]
        if nested is not None:
            value = [_build(nested, item) for item in value]
        kwargs[name] = value
    return cls(**kwargs)


def register_nested(cls: type, field_name: str, nested: type) -> None:
    """Declares ``cls.field_name`` a list of ``nested`` records, for modules that keep record classes of their own."""
    _NESTED[(cls.__name__, field_name)] = nested
    _PLAN.pop(cls, None)
