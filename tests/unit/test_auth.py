"""API keys: the key file, bearer authentication and scopes (crs.api.auth)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from crs.api.auth import KEY_PREFIX, ApiKeys, add_key, hash_key, new_secret
from crs.domain.context import SCOPES, Principal
from crs.domain.errors import Unauthenticated

READER_SECRET = "crs_reader-secret-value"
ADMIN_SECRET = "crs_admin-secret-value"


def keys_json(*entries: dict[str, object]) -> str:
    return json.dumps({"api_keys": list(entries)})


def entry(key_id: str, tenant: str, scopes: list[str], secret: str) -> dict[str, object]:
    return {"id": key_id, "tenant": tenant, "scopes": scopes, "sha256": hash_key(secret)}


@pytest.fixture
def keys() -> ApiKeys:
    return ApiKeys.from_json(
        keys_json(
            entry("acme-reader", "acme", ["read"], READER_SECRET),
            entry("globex-admin", "globex", ["admin"], ADMIN_SECRET),
        )
    )


# --------------------------------------------------------------------------- from_json


def test_from_json_loads_every_key(keys: ApiKeys) -> None:
    assert len(keys) == 2
    assert len(ApiKeys.from_json("{}")) == 0
    assert len(ApiKeys.from_json('{"api_keys": []}')) == 0


def test_from_json_accepts_upper_case_digest() -> None:
    raw = entry("k", "acme", ["read"], READER_SECRET)
    raw["sha256"] = str(raw["sha256"]).upper()
    assert ApiKeys.from_json(keys_json(raw)).authenticate(f"Bearer {READER_SECRET}").key_id == "k"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"scopes": ["read", "superuser"]}, "unknown scopes"),
        ({"tenant": "Acme"}, "invalid tenant"),
        ({"tenant": ""}, "invalid tenant"),
        ({"tenant": "acme/other"}, "invalid tenant"),
        ({"sha256": "abc"}, "sha256"),
        ({"sha256": "0" * 63}, "sha256"),
        ({"sha256": "0" * 65}, "sha256"),
    ],
)
def test_from_json_rejects_bad_entries(change: dict[str, object], message: str) -> None:
    raw = entry("k", "acme", ["read"], READER_SECRET) | change
    with pytest.raises(ValueError, match=message):
        ApiKeys.from_json(keys_json(raw))


def test_from_json_rejects_non_hex_digest() -> None:
    """The loader's own message says "sha256 must be 64 hex characters"."""
    raw = entry("k", "acme", ["read"], READER_SECRET) | {"sha256": "z" * 64}
    with pytest.raises(ValueError, match="sha256"):
        ApiKeys.from_json(keys_json(raw))


def test_load_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRS_TEST_KEYS", keys_json(entry("k", "acme", ["read"], READER_SECRET)))
    assert len(ApiKeys.load(None, env="CRS_TEST_KEYS")) == 1
    monkeypatch.delenv("CRS_TEST_KEYS")
    with pytest.raises(ValueError, match="CRS_TEST_KEYS"):
        ApiKeys.load(None, env="CRS_TEST_KEYS")


# --------------------------------------------------------------------------- authenticate


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Bearer    ",
        f"Basic {READER_SECRET}",
        f"Token {READER_SECRET}",
        READER_SECRET,
        f"Bearer{READER_SECRET}",
        "Bearer crs_unknown-key",
        f"Bearer {READER_SECRET}x",
        f"Bearer {READER_SECRET.upper()}",
        f"Bearer {hash_key(READER_SECRET)}",  # the stored hash is not a credential
    ],
)
def test_authenticate_rejects(keys: ApiKeys, header: str | None) -> None:
    with pytest.raises(Unauthenticated) as excinfo:
        keys.authenticate(header)
    assert excinfo.value.reason == "UNAUTHENTICATED"
    assert READER_SECRET not in str(excinfo.value)


@pytest.mark.parametrize("header", [f"Bearer {READER_SECRET}", f"bearer {READER_SECRET}", f"BEARER  {READER_SECRET} "])
def test_authenticate_good_key(keys: ApiKeys, header: str) -> None:
    principal = keys.authenticate(header)
    assert principal == Principal("acme-reader", "acme", frozenset({"read"}))
    assert principal.tenant == "acme"
    assert principal.has("read")
    for scope in SCOPES - {"read"}:
        assert not principal.has(scope), scope


def test_admin_implies_every_scope(keys: ApiKeys) -> None:
    principal = keys.authenticate(f"Bearer {ADMIN_SECRET}")
    assert principal.key_id == "globex-admin"
    assert principal.tenant == "globex"
    assert principal.scopes == frozenset({"admin"})
    for scope in SCOPES:
        assert principal.has(scope), scope


def test_principal_has_only_its_scopes() -> None:
    p = Principal("k", "acme", frozenset({"read", "tokenize"}))
    assert p.has("read")
    assert p.has("tokenize")
    assert not p.has("detokenize")
    assert not p.has("admin")
    assert not Principal("k", "acme", frozenset()).has("read")


# --------------------------------------------------------------------------- add_key


def test_new_secret_shape() -> None:
    a, b = new_secret(), new_secret()
    assert a != b
    assert a.startswith(KEY_PREFIX)
    assert len(a) >= len(KEY_PREFIX) + 40


def test_add_key_writes_0600_file_with_only_the_hash(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "api-keys.json"
    secret = add_key(path, "acme-writer", "acme", ["write", "read"])
    assert secret.startswith(KEY_PREFIX)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert secret not in text
    assert secret[len(KEY_PREFIX) :] not in text
    data = json.loads(text)
    assert data == {
        "api_keys": [{"id": "acme-writer", "tenant": "acme", "scopes": ["read", "write"], "sha256": hash_key(secret)}]
    }
    assert not path.with_suffix(".tmp").exists()

    principal = ApiKeys.load(path).authenticate(f"Bearer {secret}")
    assert principal == Principal("acme-writer", "acme", frozenset({"read", "write"}))


def test_add_key_appends_and_keeps_existing_keys(tmp_path: Path) -> None:
    path = tmp_path / "api-keys.json"
    path.write_text(keys_json(entry("acme-reader", "acme", ["read"], READER_SECRET)))
    path.chmod(0o644)
    secret = add_key(path, "globex-admin", "globex", ["admin"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    keys = ApiKeys.load(path)
    assert len(keys) == 2
    assert keys.authenticate(f"Bearer {READER_SECRET}").key_id == "acme-reader"
    assert keys.authenticate(f"Bearer {secret}").key_id == "globex-admin"


def test_add_key_rejects_duplicate_id(tmp_path: Path) -> None:
    path = tmp_path / "api-keys.json"
    add_key(path, "acme-admin", "acme", ["admin"])
    before = path.read_text()
    with pytest.raises(ValueError, match="already exists"):
        add_key(path, "acme-admin", "other", ["read"])
    assert path.read_text() == before


@pytest.mark.parametrize(
    ("tenant", "scopes", "message"),
    [
        ("acme", ["read", "root"], "unknown scopes"),
        ("acme", ["READ"], "unknown scopes"),
        ("Acme", ["read"], "tenant"),
        ("", ["read"], "tenant"),
    ],
)
def test_add_key_rejects_bad_input(tmp_path: Path, tenant: str, scopes: list[str], message: str) -> None:
    path = tmp_path / "api-keys.json"
    with pytest.raises(ValueError, match=message):
        add_key(path, "k", tenant, scopes)
    assert not path.exists()
