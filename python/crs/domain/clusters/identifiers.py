"""Identifiers of a customer: derived from its record and cards, or added; normalized, keyed, masked.

The value of an identifier is used only while the request that carries it is served: what is stored is the
per-tenant keyed fingerprint (``KeyRing.blind_index``) and a masked form for people to recognise it by.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from datetime import date

from crs._core import KeyRing
from crs.domain.identity.encoding import MatchRecord, build_match_record
from crs.domain.identity.kinds import STRONG, IdentifierKind
from crs.domain.identity.normalize import Address, IdentifierError, address_of, name_dob, normalize, parse_iso_date
from crs.domain.records import CardRecord, CustomerRecord

from .records import SOURCE_CARD, SOURCE_CUSTOMER_RECORD, IdentifierRecord

# crs.v1.IdentifierKind numbers <-> IdentifierKind.
KIND_NUMBERS: dict[IdentifierKind, int] = {
    IdentifierKind.EMAIL: 1,
    IdentifierKind.PHONE: 2,
    IdentifierKind.NATIONAL_ID: 3,
    IdentifierKind.CARD_FINGERPRINT: 4,
    IdentifierKind.BANK_ACCOUNT: 5,
    IdentifierKind.WALLET_ID: 6,
    IdentifierKind.DEVICE_ID: 7,
    IdentifierKind.POSTAL_ADDRESS: 8,
    IdentifierKind.NAME_DOB: 9,
}
KINDS_BY_NUMBER = {v: k for k, v in KIND_NUMBERS.items()}


class TenantKeyer:
    """The matching encodings' ``Keyer`` over the key ring: HMAC under the (tenant, purpose) derived key."""

    def __init__(self, keyring: KeyRing, tenant: str) -> None:
        self._keyring = keyring
        self._tenant = tenant

    def keyed(self, purpose: str, value: str) -> bytes:
        return bytes.fromhex(self._keyring.blind_index(self._tenant, f"match/{purpose}", value))


def fingerprint(keyring: KeyRing, tenant: str, kind: IdentifierKind, normalized: str) -> str:
    return keyring.blind_index(tenant, f"identifier/{kind.value}", normalized)


def identifier_id(kind: IdentifierKind, fp: str) -> str:
    return f"{kind.value.lower().replace('_', '-')}-{fp[:32]}"


def mask(kind: IdentifierKind, normalized: str) -> str:
    """A form a person recognises without learning the value."""
    if kind is IdentifierKind.EMAIL:
        local, _, domain = normalized.rpartition("@")
        return f"{local[:1]}***@{domain}"
    if kind is IdentifierKind.PHONE:
        return f"{normalized[:4]}***{normalized[-2:]}"
    if kind is IdentifierKind.NATIONAL_ID:
        country, typ, value = normalized.split(":", 2)
        return f"{country}:{typ}:***{value[-2:]}" if len(value) >= 8 else f"{country}:{typ}:***"
    if kind is IdentifierKind.BANK_ACCOUNT:
        return f"{normalized[:4]}***{normalized[-4:]}" if len(normalized) >= 12 else "***"
    if kind is IdentifierKind.CARD_FINGERPRINT:
        return f"card fingerprint {normalized[:8]}…"
    if kind is IdentifierKind.POSTAL_ADDRESS:
        _street, locality, postal, country = normalized.split("|")
        return f"*** {locality} {postal} {country}".replace("  ", " ")
    if kind is IdentifierKind.NAME_DOB:
        name, _, dob = normalized.rpartition("|")
        return f"{name[:1]}*** {dob[:4]}-**-**"
    return f"{normalized[:2]}***{normalized[-2:]}" if len(normalized) >= 8 else "***"


def make(
    keyring: KeyRing, tenant: str, kind: IdentifierKind, normalized: str, source: int, ts: int, ref: str = ""
) -> IdentifierRecord:
    fp = fingerprint(keyring, tenant, kind, normalized)
    return IdentifierRecord(
        identifier_id(kind, fp), kind.value, fp, mask(kind, normalized), source, kind in STRONG, ts, ref
    )


def _try(kind: IdentifierKind, raw: str, region: str | None = None) -> str | None:
    try:
        return normalize(kind, raw, default_region=region)
    except IdentifierError:
        return None  # a record field that is not a usable identifier is simply not matched on


def _addresses(rec: CustomerRecord) -> list[Address]:
    return [
        Address(tuple(a.address_lines), a.locality, a.postal_code, a.region_code)
        for a in rec.postal_addresses
        if a.address_lines and a.region_code
    ]


def _dob(rec: CustomerRecord) -> date | None:
    try:
        return parse_iso_date(rec.date_of_birth) if rec.date_of_birth else None
    except IdentifierError:
        return None


def derived(
    keyring: KeyRing,
    rec: CustomerRecord,
    national_ids: list[str],
    cards: Iterable[CardRecord],
    ts: int,
) -> list[IdentifierRecord]:
    """The identifiers CRS keeps for a customer record and the cards it holds. ``national_ids`` are the
    record's national identifiers in clear (``CC:TYPE:VALUE``), decrypted for this computation only."""
    t = rec.tenant
    found: dict[str, IdentifierRecord] = {}

    def add(kind: IdentifierKind, norm: str | None, source: int = SOURCE_CUSTOMER_RECORD, ref: str = "") -> None:
        if norm:
            r = make(keyring, t, kind, norm, source, ts, ref)
            found.setdefault(r.id, r)

    for e in rec.emails:
        add(IdentifierKind.EMAIL, _try(IdentifierKind.EMAIL, e))
    for p in rec.phones:
        add(IdentifierKind.PHONE, _try(IdentifierKind.PHONE, p))
    for n in national_ids:
        add(IdentifierKind.NATIONAL_ID, _try(IdentifierKind.NATIONAL_ID, n))
    for a in _addresses(rec):
        with contextlib.suppress(IdentifierError):
            add(IdentifierKind.POSTAL_ADDRESS, address_of(a))
    dob = _dob(rec)
    if dob is not None:
        for name in dict.fromkeys(n for n in (rec.legal_name, rec.display_name) if n):
            with contextlib.suppress(IdentifierError):
                add(IdentifierKind.NAME_DOB, name_dob(name, dob))
    for card in cards:
        add(IdentifierKind.CARD_FINGERPRINT, card.fingerprint, SOURCE_CARD, card.id)
    return sorted(found.values(), key=lambda r: r.id)


def match_record(
    keyring: KeyRing, rec: CustomerRecord, national_ids: list[str], cards: Iterable[CardRecord]
) -> MatchRecord:
    """Keyed encodings of the record (and its cards) for probabilistic matching."""
    return build_match_record(
        TenantKeyer(keyring, rec.tenant),
        name=rec.legal_name or rec.display_name,
        dob=_dob(rec),
        emails=rec.emails,
        phones=rec.phones,
        national_ids=national_ids,
        addresses=_addresses(rec),
        card_fingerprints=[c.fingerprint for c in cards],
    )
