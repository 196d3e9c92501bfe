"""Type stubs for ``crs._core``, the Rust card-data core (PyO3).

Nothing in this module ever puts a PAN, plaintext or key material in an
exception message or a ``repr``.

Tenant ids passed to ``KeyRing`` methods must be 1-128 bytes and must not
contain ``'|'`` or control characters (they are part of key-derivation info
strings and AEAD associated data); otherwise ``CoreError`` is raised.
"""

import os
from typing import final

__all__ = [
    "CoreError",
    "DecryptionError",
    "InvalidPanError",
    "KeyRing",
    "KeyRingError",
    "PanInfo",
    "SealedPan",
    "classify_brand",
    "is_token_shaped",
    "luhn_valid",
    "new_token",
    "validate_pan",
]

class CoreError(ValueError):
    """Base class of every error raised by crs._core."""

class InvalidPanError(CoreError):
    """Not a valid PAN. ``args[0]`` is one of ``"PAN must contain only digits"``,
    ``"PAN length must be 12 to 19 digits"``, ``"PAN fails the Luhn check"``."""

class KeyRingError(CoreError):
    """Key file / key ring problem; also raised for an unknown key id."""

class DecryptionError(CoreError):
    """Authenticated decryption failed (wrong tenant, token, context or key, or tampered data)."""

def luhn_valid(digits: str) -> bool:
    """True if ``digits`` is non-empty, all ASCII digits, with a correct Luhn check digit."""

def validate_pan(pan: str) -> PanInfo:
    """Validate a PAN (ASCII spaces and ``-`` are stripped): digits only, 12-19 long,
    Luhn-valid. Raises ``InvalidPanError``."""

def classify_brand(pan_or_bin: str) -> str:
    """One of ``VISA MASTERCARD AMEX DISCOVER JCB DINERS UNIONPAY MAESTRO MIR UNKNOWN``."""

def is_token_shaped(s: str) -> bool:
    """True for 12-19 ASCII digits that FAIL the Luhn check."""

def new_token(pan: str) -> str:
    """Same as ``KeyRing.new_token`` (no key needed). Raises ``InvalidPanError``."""

@final
class PanInfo:
    """Non-sensitive PAN metadata."""

    @property
    def bin(self) -> str:
        """First six digits."""

    @property
    def last4(self) -> str: ...
    @property
    def brand(self) -> str: ...
    @property
    def length(self) -> int: ...

@final
class SealedPan:
    """Result of ``KeyRing.seal_pan``; holds no plaintext PAN."""

    @property
    def token(self) -> str:
        """Vault token: BIN6 + random digits + last4, same length as the PAN, Luhn-invalid."""

    @property
    def fingerprint(self) -> str:
        """Lowercase hex HMAC-SHA256 of the PAN under the tenant's fingerprint key."""

    @property
    def key_id(self) -> str:
        """Id of the encryption key the ciphertext was sealed under."""

    @property
    def ciphertext(self) -> bytes:
        """``nonce(12) || ciphertext || tag(16)`` (AES-256-GCM)."""

    @property
    def bin(self) -> str: ...
    @property
    def last4(self) -> str: ...
    @property
    def brand(self) -> str: ...

@final
class KeyRing:
    """AES-256-GCM encryption keys plus the index key (HKDF root of all HMAC keys).

    Key file JSON (version 1)::

        {"version": 1, "active_key_id": "k2",
         "encryption_keys": {"k1": "<base64 32 bytes>", "k2": "<base64 32 bytes>"},
         "index_key": {"id": "i1", "key": "<base64 32 bytes>"}}

    Instances are created only through the static constructors.
    """

    @staticmethod
    def from_json(data: str) -> KeyRing:
        """Parse key file JSON. Raises ``KeyRingError``."""

    @staticmethod
    def from_file(path: str | os.PathLike[str]) -> KeyRing:
        """Read a key file. Raises ``KeyRingError``."""

    @staticmethod
    def from_env(var: str = "CRS_KEYS") -> KeyRing:
        """Parse the key file JSON held in environment variable ``var``. Raises ``KeyRingError``."""

    @staticmethod
    def generate(path: str | os.PathLike[str]) -> None:
        """Write a new key file (mode 0600): encryption key ``k1`` (active) and index key
        ``i1``. Raises ``KeyRingError`` if the file exists (it is never overwritten)."""

    @property
    def active_key_id(self) -> str: ...
    @property
    def index_key_id(self) -> str: ...
    def key_ids(self) -> list[str]:
        """Encryption key ids, sorted."""

    def fingerprint_pan(self, tenant: str, pan: str) -> str:
        """Lowercase hex HMAC-SHA256(tenant fingerprint key, normalised PAN).
        Raises ``InvalidPanError``."""

    def seal_pan(self, tenant: str, pan: str) -> SealedPan:
        """Validate, fingerprint, tokenise and encrypt under the active key.
        Raises ``InvalidPanError``."""

    def seal_pans(self, tenant: str, pans: list[str]) -> list[SealedPan | str]:
        """Batch ``seal_pan`` (GIL released, parallel for large batches). An invalid PAN
        yields its ``InvalidPanError`` reason string in place."""

    def fingerprint_pans(self, tenant: str, pans: list[str]) -> list[str | None]:
        """Batch ``fingerprint_pan`` (GIL released); ``None`` where the PAN is invalid."""

    def reseal_pan(self, tenant: str, pan: str, token: str) -> tuple[str, bytes]:
        """Encrypt ``pan`` under the active key for an existing token; returns
        ``(key_id, ciphertext)``. Raises ``InvalidPanError``, or ``CoreError`` if ``token``
        is not token-shaped (see ``is_token_shaped``)."""

    def open_pan(self, tenant: str, token: str, key_id: str, ciphertext: bytes) -> str:
        """Decrypt a sealed PAN with the named (possibly retired) key. Raises
        ``KeyRingError`` if ``key_id`` is not in the ring, ``DecryptionError`` on any other
        failure (wrong tenant, token or key id, truncated or tampered bytes)."""

    def new_token(self, pan: str) -> str:
        """Fresh vault token for ``pan``: BIN6 + random middle digits + last4, same length,
        always Luhn-invalid. Raises ``InvalidPanError``."""

    def blind_index(self, tenant: str, kind: str, normalized_value: str) -> str:
        """Deterministic lowercase hex HMAC-SHA256 under the (tenant, kind) key.
        ``kind`` must be non-empty (``CoreError``)."""

    def mac(self, purpose: str, data: bytes) -> bytes:
        """32-byte HMAC-SHA256 under the key derived for ``purpose`` (non-empty)."""

    def verify_mac(self, purpose: str, data: bytes, tag: bytes) -> bool:
        """Constant-time check of a tag produced by ``mac``."""

    def encrypt_field(self, tenant: str, context: str, plaintext: str) -> tuple[str, bytes]:
        """AES-256-GCM under the active key; returns ``(key_id, nonce || ct || tag)``."""

    def decrypt_field(self, tenant: str, context: str, key_id: str, ciphertext: bytes) -> str:
        """Inverse of ``encrypt_field``. Same errors as ``open_pan``."""
