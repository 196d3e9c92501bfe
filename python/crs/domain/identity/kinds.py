"""Identifier kinds and their strength (a strong identifier alone is enough for a deterministic link)."""

from __future__ import annotations

from enum import StrEnum


class IdentifierKind(StrEnum):
    EMAIL = "EMAIL"
    PHONE = "PHONE"
    NATIONAL_ID = "NATIONAL_ID"
    CARD_FINGERPRINT = "CARD_FINGERPRINT"
    BANK_ACCOUNT = "BANK_ACCOUNT"
    WALLET_ID = "WALLET_ID"
    DEVICE_ID = "DEVICE_ID"
    POSTAL_ADDRESS = "POSTAL_ADDRESS"
    NAME_DOB = "NAME_DOB"


STRONG: frozenset[IdentifierKind] = frozenset(
    {IdentifierKind.NATIONAL_ID, IdentifierKind.CARD_FINGERPRINT, IdentifierKind.BANK_ACCOUNT}
)
WEAK: frozenset[IdentifierKind] = frozenset(IdentifierKind) - STRONG


def is_strong(kind: IdentifierKind) -> bool:
    return kind in STRONG
