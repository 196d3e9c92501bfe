"""Behaviour of the Rust extension ``crs._core`` as seen from Python."""

from __future__ import annotations

import base64
import json
import os
import stat
import threading
import time
from pathlib import Path

import pytest

from crs import _core
from crs._core import (
    CoreError,
    DecryptionError,
    InvalidPanError,
    KeyRing,
    KeyRingError,
    PanInfo,
    SealedPan,
)

VISA = "4111111111111111"
MASTERCARD = "5555555555554444"
AMEX = "378282246310005"
TENANT = "tenant-a"


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def ring_json(active: str = "k2", **overrides: object) -> str:
    doc: dict[str, object] = {
        "version": 1,
        "active_key_id": active,
        "encryption_keys": {"k1": b64(bytes([1]) * 32), "k2": b64(bytes([2]) * 32)},
        "index_key": {"id": "i1", "key": b64(bytes([3]) * 32)},
    }
    doc.update(overrides)
    return json.dumps(doc)


@pytest.fixture
def ring() -> KeyRing:
    return KeyRing.from_json(ring_json())


def with_check_digit(payload: str) -> str:
    for d in "0123456789":
        if _core.luhn_valid(payload + d):
            return payload + d
    raise AssertionError("unreachable")


# --------------------------------------------------------------------------- PAN functions


@pytest.mark.parametrize("digits", [VISA, MASTERCARD, AMEX, "79927398713", "0"])
def test_luhn_valid_accepts(digits: str) -> None:
    assert _core.luhn_valid(digits)


@pytest.mark.parametrize("digits", ["4111111111111112", "", "4111 1111 1111 1111", "41111111111111a1", "١٢٣"])
def test_luhn_valid_rejects(digits: str) -> None:
    assert not _core.luhn_valid(digits)


def test_validate_pan_returns_info_and_strips_separators() -> None:
    info = _core.validate_pan(" 4111-1111 1111-1111 ")
    assert isinstance(info, PanInfo)
    assert (info.bin, info.last4, info.brand, info.length) == ("411111", "1111", "VISA", 16)
    amex = _core.validate_pan(AMEX)
    assert (amex.bin, amex.last4, amex.brand, amex.length) == ("378282", "0005", "AMEX", 15)


def test_pan_info_is_frozen() -> None:
    info = _core.validate_pan(VISA)
    with pytest.raises(AttributeError):
        info.bin = "000000"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("pan", "reason"),
    [
        ("4111x11111111111", "PAN must contain only digits"),
        ("4111\t1111111111111", "PAN must contain only digits"),
        ("\uff14" + "\uff11" * 15, "PAN must contain only digits"),  # fullwidth digits
        ("", "PAN length must be 12 to 19 digits"),
        ("42424242424", "PAN length must be 12 to 19 digits"),
        ("42424242424242424242", "PAN length must be 12 to 19 digits"),
        ("4111111111111112", "PAN fails the Luhn check"),
        ("4111 1111 1111 1112", "PAN fails the Luhn check"),
    ],
)
def test_validate_pan_errors_never_contain_the_pan(pan: str, reason: str) -> None:
    with pytest.raises(InvalidPanError) as excinfo:
        _core.validate_pan(pan)
    assert excinfo.value.args == (reason,)
    text = str(excinfo.value) + repr(excinfo.value)
    digits = "".join(c for c in pan if c.isdigit())
    if len(digits) >= 4:
        assert digits not in text
        assert digits[-4:] not in text


def test_exception_hierarchy() -> None:
    for exc in (InvalidPanError, KeyRingError, DecryptionError):
        assert issubclass(exc, CoreError)
    assert issubclass(CoreError, ValueError)
    assert CoreError.__module__ == "crs._core"


@pytest.mark.parametrize(
    ("value", "brand"),
    [
        (VISA, "VISA"),
        ("4", "VISA"),
        (MASTERCARD, "MASTERCARD"),
        ("2221000000000009", "MASTERCARD"),
        ("2720", "MASTERCARD"),
        ("2721", "UNKNOWN"),
        (AMEX, "AMEX"),
        ("34", "AMEX"),
        ("6011111111111117", "DISCOVER"),
        ("644", "DISCOVER"),
        ("65", "DISCOVER"),
        ("622126", "DISCOVER"),
        ("622925", "DISCOVER"),
        ("622125", "UNIONPAY"),
        ("622926", "UNIONPAY"),
        ("62", "UNIONPAY"),
        ("3530111333300000", "JCB"),
        ("3528", "JCB"),
        ("3589", "JCB"),
        ("3590", "UNKNOWN"),
        ("305", "DINERS"),
        ("36", "DINERS"),
        ("38", "DINERS"),
        ("39", "DINERS"),
        ("306", "UNKNOWN"),
        ("50", "MAESTRO"),
        ("56", "MAESTRO"),
        ("58", "MAESTRO"),
        ("6304", "MAESTRO"),
        ("6759", "MAESTRO"),
        ("6761", "MAESTRO"),
        ("6763", "MAESTRO"),
        ("2200", "MIR"),
        ("2204", "MIR"),
        ("2205", "UNKNOWN"),
        ("1234", "UNKNOWN"),
        ("", "UNKNOWN"),
        ("abcd", "UNKNOWN"),
    ],
)
def test_classify_brand(value: str, brand: str) -> None:
    assert _core.classify_brand(value) == brand


def test_is_token_shaped() -> None:
    assert _core.is_token_shaped("4111111111111112")
    assert not _core.is_token_shaped(VISA)
    assert not _core.is_token_shaped("41111111112")
    assert not _core.is_token_shaped("4111 1111 1111 1112")
    assert not _core.is_token_shaped("4" * 19 + "2")


def test_new_token_shape(ring: KeyRing) -> None:
    for pan in (VISA, AMEX, with_check_digit("12345678901"), with_check_digit("4" * 18)):
        for make in (ring.new_token, _core.new_token):
            token = make(pan)
            assert len(token) == len(pan)
            assert token[:6] == pan[:6] and token[-4:] == pan[-4:]
            assert _core.is_token_shaped(token)
            assert not _core.luhn_valid(token)
    with pytest.raises(InvalidPanError):
        ring.new_token("4111111111111112")


# --------------------------------------------------------------------------- KeyRing loading


def test_from_json_properties(ring: KeyRing) -> None:
    assert ring.active_key_id == "k2"
    assert ring.index_key_id == "i1"
    assert ring.key_ids() == ["k1", "k2"]


def test_key_ids_sorted() -> None:
    doc = json.loads(ring_json("b"))
    doc["encryption_keys"] = {k: b64(os.urandom(32)) for k in ("c", "a", "b", "A", "_")}
    assert KeyRing.from_json(json.dumps(doc)).key_ids() == sorted(["c", "a", "b", "A", "_"])


def test_repr_shows_only_ids(ring: KeyRing) -> None:
    text = repr(ring)
    assert text == "KeyRing(active_key_id='k2', key_ids=['k1', 'k2'], index_key_id='i1')"
    for raw in (bytes([1]) * 32, bytes([2]) * 32, bytes([3]) * 32):
        assert b64(raw)[:8] not in text


SECRET = b64(b"S" * 32)
SHORT = b64(b"S" * 31)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (ring_json(encryption_keys={"k1": SHORT, "k2": SECRET}), "exactly 32 bytes"),
        (ring_json(index_key={"id": "i1", "key": b64(b"S" * 33)}), "exactly 32 bytes"),
        (ring_json(encryption_keys={"k1": SECRET[:-2] + "!=", "k2": SECRET}), "not valid base64"),
        (ring_json(active="k3", encryption_keys={"k1": SECRET, "k2": SECRET}), "active_key_id"),
        (ring_json(version=2, encryption_keys={"k1": SECRET, "k2": SECRET}), "version"),
        (ring_json(active="k 1", encryption_keys={"k 1": SECRET}), "must match"),
        (ring_json(encryption_keys={"k" * 33: SECRET, "k2": SECRET}), "must match"),
        (ring_json(index_key={"id": "i/1", "key": SECRET}), "must match"),
        (ring_json(encryption_keys={}), "no encryption keys"),
        ('{"version": 1, "active_key_id": "' + SECRET, "not valid JSON"),
        (json.dumps({"version": SECRET}), "schema"),
        ("[]", "schema"),
    ],
)
def test_from_json_rejects_without_leaking(text: str, fragment: str) -> None:
    with pytest.raises(KeyRingError) as excinfo:
        KeyRing.from_json(text)
    message = str(excinfo.value)
    assert fragment in message
    assert SECRET[:12] not in message
    assert SHORT[:12] not in message


def test_generate_and_from_file(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    assert KeyRing.generate(str(path)) is None
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    doc = json.loads(path.read_text())
    assert doc["version"] == 1
    assert doc["active_key_id"] == "k1"
    assert set(doc["encryption_keys"]) == {"k1"}
    assert doc["index_key"]["id"] == "i1"
    assert len(base64.b64decode(doc["encryption_keys"]["k1"])) == 32
    assert len(base64.b64decode(doc["index_key"]["key"])) == 32
    assert doc["encryption_keys"]["k1"] != doc["index_key"]["key"]

    loaded = KeyRing.from_file(str(path))
    assert loaded.key_ids() == ["k1"]
    assert KeyRing.from_file(path).active_key_id == "k1"  # os.PathLike is accepted too

    before = path.read_bytes()
    with pytest.raises(KeyRingError, match="already exists"):
        KeyRing.generate(str(path))
    assert path.read_bytes() == before

    other = tmp_path / "other.json"
    KeyRing.generate(other)
    assert json.loads(other.read_text())["encryption_keys"]["k1"] != doc["encryption_keys"]["k1"]


def test_from_file_missing(tmp_path: Path) -> None:
    with pytest.raises(KeyRingError, match="not found"):
        KeyRing.from_file(str(tmp_path / "absent.json"))


def test_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRS_KEYS", ring_json("k1"))
    assert KeyRing.from_env().active_key_id == "k1"
    monkeypatch.setenv("CRS_TEST_OTHER_KEYS", ring_json("k2"))
    assert KeyRing.from_env("CRS_TEST_OTHER_KEYS").active_key_id == "k2"
    monkeypatch.delenv("CRS_KEYS")
    with pytest.raises(KeyRingError, match="CRS_KEYS is not set"):
        KeyRing.from_env()


def test_keyring_has_no_public_constructor() -> None:
    with pytest.raises(TypeError):
        KeyRing()


# --------------------------------------------------------------------------- sealing PANs


def test_seal_and_open(ring: KeyRing) -> None:
    sealed = ring.seal_pan(TENANT, "4111 1111 1111 1111")
    assert isinstance(sealed, SealedPan)
    assert sealed.key_id == "k2"
    assert (sealed.bin, sealed.last4, sealed.brand) == ("411111", "1111", "VISA")
    assert _core.is_token_shaped(sealed.token)
    assert sealed.token[:6] == "411111" and sealed.token[-4:] == "1111"
    assert isinstance(sealed.ciphertext, bytes)
    assert len(sealed.ciphertext) == 12 + 16 + 16
    assert VISA.encode() not in sealed.ciphertext
    assert sealed.fingerprint == ring.fingerprint_pan(TENANT, VISA)
    assert ring.open_pan(TENANT, sealed.token, sealed.key_id, sealed.ciphertext) == VISA


def test_sealed_pan_repr_and_frozen(ring: KeyRing) -> None:
    sealed = ring.seal_pan(TENANT, VISA)
    text = repr(sealed)
    assert text == f"SealedPan(token='{sealed.token}', brand='VISA', key_id='k2')"
    assert VISA not in text
    assert sealed.fingerprint not in text
    assert repr(sealed.ciphertext) not in text
    with pytest.raises(AttributeError):
        sealed.token = "x"  # type: ignore[misc]


def test_seal_is_randomised(ring: KeyRing) -> None:
    a = ring.seal_pan(TENANT, VISA)
    b = ring.seal_pan(TENANT, VISA)
    assert a.fingerprint == b.fingerprint
    assert a.ciphertext != b.ciphertext
    assert a.ciphertext[:12] != b.ciphertext[:12]


def test_seal_pan_invalid(ring: KeyRing) -> None:
    with pytest.raises(InvalidPanError, match="Luhn") as excinfo:
        ring.seal_pan(TENANT, "4111111111111112")
    assert "4111111111111112" not in str(excinfo.value)


def test_open_pan_failures(ring: KeyRing) -> None:
    sealed = ring.seal_pan(TENANT, VISA)
    ct, token = sealed.ciphertext, sealed.token
    with pytest.raises(DecryptionError):
        ring.open_pan("tenant-b", token, "k2", ct)
    other_token = token[:-5] + str((int(token[-5]) + 1) % 10) + token[-4:]
    with pytest.raises(DecryptionError):
        ring.open_pan(TENANT, other_token, "k2", ct)
    with pytest.raises(DecryptionError):
        ring.open_pan(TENANT, token, "k1", ct)
    tampered = bytearray(ct)
    tampered[20] ^= 0x01
    with pytest.raises(DecryptionError):
        ring.open_pan(TENANT, token, "k2", bytes(tampered))
    with pytest.raises(DecryptionError):
        ring.open_pan(TENANT, token, "k2", ct[:27])
    with pytest.raises(DecryptionError):
        ring.open_pan(TENANT, token, "k2", b"")
    with pytest.raises(KeyRingError) as excinfo:
        ring.open_pan(TENANT, token, "k9", ct)
    assert "k9" not in str(excinfo.value)


def test_rotation_old_key_still_decrypts() -> None:
    old = KeyRing.from_json(ring_json("k1"))
    new = KeyRing.from_json(ring_json("k2"))
    sealed = old.seal_pan(TENANT, MASTERCARD)
    assert sealed.key_id == "k1"
    assert new.open_pan(TENANT, sealed.token, "k1", sealed.ciphertext) == MASTERCARD
    key_id, ct = new.reseal_pan(TENANT, MASTERCARD, sealed.token)
    assert key_id == "k2"
    assert isinstance(ct, bytes)
    assert new.open_pan(TENANT, sealed.token, key_id, ct) == MASTERCARD
    # Fingerprints do not depend on the active encryption key.
    assert old.fingerprint_pan(TENANT, MASTERCARD) == new.fingerprint_pan(TENANT, MASTERCARD)


def test_reseal_rejects_bad_inputs(ring: KeyRing) -> None:
    with pytest.raises(InvalidPanError):
        ring.reseal_pan(TENANT, "4111111111111112", "4111111111111112")
    with pytest.raises(CoreError) as excinfo:
        ring.reseal_pan(TENANT, VISA, VISA)
    assert not isinstance(excinfo.value, InvalidPanError)
    assert VISA not in str(excinfo.value)


def test_tenant_validation(ring: KeyRing) -> None:
    for bad in ("", "a|b", "a\nb", "t" * 129):
        with pytest.raises(CoreError, match="tenant"):
            ring.seal_pan(bad, VISA)
        with pytest.raises(CoreError, match="tenant"):
            ring.fingerprint_pan(bad, VISA)
        with pytest.raises(CoreError, match="tenant"):
            ring.encrypt_field(bad, "ctx", "x")


def test_fingerprint(ring: KeyRing) -> None:
    fp = ring.fingerprint_pan(TENANT, VISA)
    assert len(fp) == 64 and fp == fp.lower() and int(fp, 16) >= 0
    assert ring.fingerprint_pan(TENANT, "4111-1111-1111-1111") == fp
    assert ring.fingerprint_pan("tenant-b", VISA) != fp
    assert ring.fingerprint_pan(TENANT, MASTERCARD) != fp
    with pytest.raises(InvalidPanError):
        ring.fingerprint_pan(TENANT, "4111111111111112")


# --------------------------------------------------------------------------- batches


def valid_pans(n: int) -> list[str]:
    return [with_check_digit(f"4{i * 7919:014d}") for i in range(n)]


def test_seal_pans_mixed(ring: KeyRing) -> None:
    inputs = [VISA, "4111111111111112", "41x1", "123", "5555 5555 5555 4444"]
    out = ring.seal_pans(TENANT, inputs)
    assert len(out) == 5
    first, last = out[0], out[4]
    assert isinstance(first, SealedPan) and isinstance(last, SealedPan)
    assert out[1:4] == [
        "PAN fails the Luhn check",
        "PAN must contain only digits",
        "PAN length must be 12 to 19 digits",
    ]
    assert ring.open_pan(TENANT, first.token, first.key_id, first.ciphertext) == VISA
    assert ring.open_pan(TENANT, last.token, last.key_id, last.ciphertext) == MASTERCARD
    assert ring.seal_pans(TENANT, []) == []


def test_fingerprint_pans(ring: KeyRing) -> None:
    out = ring.fingerprint_pans(TENANT, [VISA, "nope", AMEX])
    assert out == [ring.fingerprint_pan(TENANT, VISA), None, ring.fingerprint_pan(TENANT, AMEX)]


def test_large_batch_is_fast_and_correct(ring: KeyRing) -> None:
    pans = valid_pans(10_000)
    pans[5000] = "not-a-pan"
    start = time.perf_counter()
    sealed = ring.seal_pans(TENANT, pans)
    elapsed = time.perf_counter() - start
    assert elapsed < 5.0, elapsed  # ~tens of ms in release builds
    fps = ring.fingerprint_pans(TENANT, pans)
    assert sealed[5000] == "PAN must contain only digits"
    assert fps[5000] is None
    for i in range(0, 10_000, 997):
        item = sealed[i]
        assert isinstance(item, SealedPan)
        assert item.fingerprint == fps[i]
        assert ring.open_pan(TENANT, item.token, item.key_id, item.ciphertext) == pans[i]
    assert len({s.token for s in sealed if isinstance(s, SealedPan)}) > 9_990


def test_batches_from_several_threads(ring: KeyRing) -> None:
    pans = valid_pans(2_000)
    results: dict[int, list[str | None]] = {}

    def work(n: int) -> None:
        results[n] = ring.fingerprint_pans(f"tenant-{n % 2}", pans)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results[0] == results[2]
    assert results[1] == results[3]
    assert results[0] != results[1]


def test_seal_pans_requires_list_of_str(ring: KeyRing) -> None:
    with pytest.raises(TypeError):
        ring.seal_pans(TENANT, [VISA, 4111111111111111])  # type: ignore[list-item]


# --------------------------------------------------------------------------- MACs, blind indexes, fields


def test_blind_index(ring: KeyRing) -> None:
    value = ring.blind_index(TENANT, "email", "alice@example.com")
    assert len(value) == 64 and value == value.lower()
    assert ring.blind_index(TENANT, "email", "alice@example.com") == value
    assert ring.blind_index(TENANT, "phone", "alice@example.com") != value
    assert ring.blind_index("tenant-b", "email", "alice@example.com") != value
    assert ring.blind_index(TENANT, "email", "bob@example.com") != value
    with pytest.raises(CoreError):
        ring.blind_index(TENANT, "", "x")


def test_mac_and_verify(ring: KeyRing) -> None:
    tag = ring.mac("page-token", b"offset=100")
    assert isinstance(tag, bytes) and len(tag) == 32
    assert ring.mac("page-token", b"offset=100") == tag
    assert ring.mac("etag", b"offset=100") != tag
    assert ring.verify_mac("page-token", b"offset=100", tag)
    assert not ring.verify_mac("page-token", b"offset=101", tag)
    assert not ring.verify_mac("etag", b"offset=100", tag)
    assert not ring.verify_mac("page-token", b"offset=100", tag[:16])
    assert not ring.verify_mac("page-token", b"offset=100", b"")
    with pytest.raises(CoreError):
        ring.mac("", b"x")


def test_encrypt_decrypt_field(ring: KeyRing) -> None:
    key_id, ct = ring.encrypt_field(TENANT, "national_id", "AB 12 34 56 C")
    assert key_id == "k2"
    assert isinstance(ct, bytes) and len(ct) == 12 + 13 + 16
    assert ring.decrypt_field(TENANT, "national_id", key_id, ct) == "AB 12 34 56 C"
    with pytest.raises(DecryptionError):
        ring.decrypt_field(TENANT, "tax_id", key_id, ct)
    with pytest.raises(DecryptionError):
        ring.decrypt_field("tenant-b", "national_id", key_id, ct)
    with pytest.raises(DecryptionError):
        ring.decrypt_field(TENANT, "national_id", "k1", ct)
    with pytest.raises(KeyRingError):
        ring.decrypt_field(TENANT, "national_id", "nope", ct)
    with pytest.raises(DecryptionError):
        ring.decrypt_field(TENANT, "national_id", key_id, ct[:-1])
    # A sealed PAN is not a valid field ciphertext (different AAD prefix).
    sealed = ring.seal_pan(TENANT, VISA)
    with pytest.raises(DecryptionError):
        ring.decrypt_field(TENANT, sealed.token, sealed.key_id, sealed.ciphertext)
