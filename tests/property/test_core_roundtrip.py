"""Property tests for ``crs._core``, cross-checked against pyca/cryptography."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from hypothesis import given, settings
from hypothesis import strategies as st

from crs import _core
from crs._core import DecryptionError, KeyRing, SealedPan

EXAMPLES = settings(max_examples=150, deadline=None)


def luhn_ok(digits: str) -> bool:
    """Reference Luhn implementation."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


@st.composite
def valid_pans(draw: st.DrawFn) -> str:
    length = draw(st.integers(min_value=12, max_value=19))
    payload = draw(st.text(alphabet="0123456789", min_size=length - 1, max_size=length - 1))
    check = next(d for d in "0123456789" if luhn_ok(payload + d))
    return payload + check


tenants = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/",
    min_size=1,
    max_size=40,
)


class Keys:
    """A generated key file, loaded both by the extension and in raw form."""

    def __init__(self, path: Path) -> None:
        KeyRing.generate(str(path))
        doc = json.loads(path.read_text())
        self.ring = KeyRing.from_file(str(path))
        self.enc = {k: base64.b64decode(v) for k, v in doc["encryption_keys"].items()}
        self.index = base64.b64decode(doc["index_key"]["key"])

    def derive(self, info: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"crs-v1", info=info).derive(self.index)


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    return Keys(tmp_path_factory.mktemp("keys") / "keys.json")


@EXAMPLES
@given(st.text(alphabet="0123456789", max_size=25))
def test_luhn_matches_reference(digits: str) -> None:
    assert _core.luhn_valid(digits) == (digits != "" and luhn_ok(digits))


@EXAMPLES
@given(valid_pans())
def test_validate_pan_info(pan: str) -> None:
    info = _core.validate_pan(pan)
    assert (info.bin, info.last4, info.length) == (pan[:6], pan[-4:], len(pan))
    assert info.brand == _core.classify_brand(pan)


@EXAMPLES
@given(valid_pans(), st.integers(min_value=0, max_value=18), st.integers(min_value=1, max_value=9))
def test_single_digit_error_is_rejected(pan: str, pos: int, delta: int) -> None:
    pos %= len(pan)
    broken = pan[:pos] + str((int(pan[pos]) + delta) % 10) + pan[pos + 1 :]
    with pytest.raises(_core.InvalidPanError) as excinfo:
        _core.validate_pan(broken)
    assert excinfo.value.args == ("PAN fails the Luhn check",)


@EXAMPLES
@given(valid_pans())
def test_token_properties(keys: Keys, pan: str) -> None:
    token = keys.ring.new_token(pan)
    assert len(token) == len(pan)
    assert token.isdigit() and token.isascii()
    assert token[:6] == pan[:6]
    assert token[-4:] == pan[-4:]
    assert not _core.luhn_valid(token)
    assert not luhn_ok(token)
    assert _core.is_token_shaped(token)


@EXAMPLES
@given(tenants, valid_pans())
def test_seal_open_roundtrip(keys: Keys, tenant: str, pan: str) -> None:
    sealed = keys.ring.seal_pan(tenant, pan)
    assert (sealed.bin, sealed.last4) == (pan[:6], pan[-4:])
    assert sealed.brand == _core.classify_brand(pan)
    assert sealed.token[:6] == pan[:6] and sealed.token[-4:] == pan[-4:]
    assert len(sealed.token) == len(pan) and not luhn_ok(sealed.token)
    assert keys.ring.open_pan(tenant, sealed.token, sealed.key_id, sealed.ciphertext) == pan
    with pytest.raises(DecryptionError):
        keys.ring.open_pan(tenant + "x", sealed.token, sealed.key_id, sealed.ciphertext)


@EXAMPLES
@given(tenants, valid_pans())
def test_ciphertext_decrypts_with_pyca_cryptography(keys: Keys, tenant: str, pan: str) -> None:
    sealed = keys.ring.seal_pan(tenant, pan)
    key = keys.enc[sealed.key_id]
    nonce, body = sealed.ciphertext[:12], sealed.ciphertext[12:]
    aad = b"crs/pan/v1|" + tenant.encode() + b"|" + sealed.token.encode() + b"|" + sealed.key_id.encode()
    assert AESGCM(key).decrypt(nonce, body, aad) == pan.encode()

    key_id, resealed = keys.ring.reseal_pan(tenant, pan, sealed.token)
    assert AESGCM(keys.enc[key_id]).decrypt(resealed[:12], resealed[12:], aad) == pan.encode()

    # And the other direction: pyca-produced ciphertext opens in Rust.
    nonce2 = bytes(12)
    foreign = nonce2 + AESGCM(key).encrypt(nonce2, pan.encode(), aad)
    assert keys.ring.open_pan(tenant, sealed.token, sealed.key_id, foreign) == pan


@EXAMPLES
@given(tenants, tenants, valid_pans())
def test_fingerprint_deterministic_per_tenant(keys: Keys, t1: str, t2: str, pan: str) -> None:
    fp = keys.ring.fingerprint_pan(t1, pan)
    assert keys.ring.fingerprint_pan(t1, pan) == fp
    expected = hmac.new(keys.derive(b"fingerprint|" + t1.encode()), pan.encode(), hashlib.sha256).hexdigest()
    assert fp == expected
    if t1 != t2:
        assert keys.ring.fingerprint_pan(t2, pan) != fp


@EXAMPLES
@given(tenants, st.sampled_from(["email", "phone", "national_id"]), st.text(max_size=64))
def test_blind_index_matches_reference(keys: Keys, tenant: str, kind: str, value: str) -> None:
    info = b"blind|" + tenant.encode() + b"|" + kind.encode()
    expected = hmac.new(keys.derive(info), value.encode(), hashlib.sha256).hexdigest()
    assert keys.ring.blind_index(tenant, kind, value) == expected


@EXAMPLES
@given(st.text(min_size=1, max_size=32), st.binary(max_size=256))
def test_mac_matches_reference(keys: Keys, purpose: str, data: bytes) -> None:
    tag = keys.ring.mac(purpose, data)
    assert tag == hmac.new(keys.derive(b"mac|" + purpose.encode()), data, hashlib.sha256).digest()
    assert keys.ring.verify_mac(purpose, data, tag)
    assert not keys.ring.verify_mac(purpose, data + b"\x00", tag)


@EXAMPLES
@given(tenants, st.text(max_size=40), st.text(max_size=300))
def test_encrypt_field_roundtrip(keys: Keys, tenant: str, context: str, plaintext: str) -> None:
    key_id, ct = keys.ring.encrypt_field(tenant, context, plaintext)
    assert keys.ring.decrypt_field(tenant, context, key_id, ct) == plaintext
    aad = b"crs/field/v1|" + tenant.encode() + b"|" + context.encode() + b"|" + key_id.encode()
    assert AESGCM(keys.enc[key_id]).decrypt(ct[:12], ct[12:], aad) == plaintext.encode()
    with pytest.raises(DecryptionError):
        keys.ring.decrypt_field(tenant, context + "!", key_id, ct)


@settings(max_examples=30, deadline=None)
@given(tenants, st.lists(st.one_of(valid_pans(), st.text(max_size=20)), max_size=40))
def test_batches_agree_with_single_calls(keys: Keys, tenant: str, pans: list[str]) -> None:
    sealed = keys.ring.seal_pans(tenant, pans)
    fps = keys.ring.fingerprint_pans(tenant, pans)
    assert len(sealed) == len(fps) == len(pans)
    for pan, item, fp in zip(pans, sealed, fps, strict=True):
        try:
            expected_fp: str | None = keys.ring.fingerprint_pan(tenant, pan)
        except _core.InvalidPanError as exc:
            assert item == exc.args[0]
            assert fp is None
            expected_fp = None
        if expected_fp is not None:
            assert isinstance(item, SealedPan)
            assert item.fingerprint == fp == expected_fp
            assert keys.ring.open_pan(tenant, item.token, item.key_id, item.ciphertext) == "".join(
                c for c in pan if c.isdigit()
            )
