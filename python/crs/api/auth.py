"""API keys: a file (or env) of key id, tenant, scopes and the SHA-256 of the secret; never the secret."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from crs.domain.context import SCOPES, Principal
from crs.domain.errors import Unauthenticated
from crs.domain.ids import valid_id

KEY_PREFIX = "crs_"


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    tenant: str
    scopes: frozenset[str]
    sha256: str


class ApiKeys:
    def __init__(self, keys: Sequence[ApiKey]) -> None:
        self._by_hash = {k.sha256: k for k in keys}

    @classmethod
    def from_json(cls, text: str) -> ApiKeys:
        data = json.loads(text)
        keys = []
        for raw in data.get("api_keys", []):
            scopes = frozenset(raw.get("scopes", []))
            if unknown := scopes - SCOPES:
                raise ValueError(f"api key {raw.get('id')!r}: unknown scopes {sorted(unknown)}")
            if not valid_id(raw.get("tenant", "")):
                raise ValueError(f"api key {raw.get('id')!r}: invalid tenant")
            digest = str(raw["sha256"]).lower()
            if len(digest) != 64 or any(ch not in "0123456789abcdef" for ch in digest):
                raise ValueError(f"api key {raw.get('id')!r}: sha256 must be 64 hex characters")
            keys.append(ApiKey(str(raw["id"]), raw["tenant"], scopes, digest))
        return cls(keys)

    @classmethod
    def load(cls, path: Path | None, env: str = "CRS_API_KEYS") -> ApiKeys:
        if path is not None:
            return cls.from_json(path.read_text())
        text = os.environ.get(env)
        if text is None:
            raise ValueError(f"no API keys: pass --api-keys-file or set {env}")
        return cls.from_json(text)

    def __len__(self) -> int:
        return len(self._by_hash)

    def authenticate(self, authorization: str | None) -> Principal:
        if not authorization:
            raise Unauthenticated("missing authorization: send 'authorization: Bearer <api key>'", "UNAUTHENTICATED")
        scheme, _, secret = authorization.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise Unauthenticated("authorization must be 'Bearer <api key>'", "UNAUTHENTICATED")
        digest = hash_key(secret.strip())
        for known, key in self._by_hash.items():
            if hmac.compare_digest(known, digest):
                return Principal(key.id, key.tenant, key.scopes)
        raise Unauthenticated("unknown API key", "UNAUTHENTICATED")


def add_key(path: Path, key_id: str, tenant: str, scopes: Sequence[str]) -> str:
    """Appends a new key to the file (created 0600 if missing) and returns the secret, shown once."""
    if not valid_id(tenant):
        raise ValueError("tenant must match ^[a-z0-9][a-z0-9-]{0,62}$")
    if unknown := set(scopes) - SCOPES:
        raise ValueError(f"unknown scopes {sorted(unknown)}; known: {sorted(SCOPES)}")
    data: dict[str, list[dict[str, object]]] = {"api_keys": []}
    if path.exists():
        data = json.loads(path.read_text())
    if any(k["id"] == key_id for k in data["api_keys"]):
        raise ValueError(f"api key id {key_id!r} already exists")
    secret = new_secret()
    data["api_keys"].append({"id": key_id, "tenant": tenant, "scopes": sorted(scopes), "sha256": hash_key(secret)})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=2)
    os.replace(tmp, path)
    return secret
