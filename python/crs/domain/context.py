"""Who is calling: the authenticated principal and the call's idempotency data."""

from __future__ import annotations

from dataclasses import dataclass, field

SCOPES = frozenset({"read", "write", "tokenize", "detokenize", "pii", "admin"})


@dataclass(frozen=True, slots=True)
class Principal:
    key_id: str
    tenant: str
    scopes: frozenset[str]

    def has(self, scope: str) -> bool:
        return scope in self.scopes or "admin" in self.scopes


@dataclass(frozen=True, slots=True)
class CallContext:
    principal: Principal
    method: str
    request_id: str = ""
    # Hash of the request message, to tell a retry from a different request with a reused request_id.
    request_hash: str = ""
    peer: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def tenant(self) -> str:
        return self.principal.tenant

    @property
    def actor(self) -> str:
        return self.principal.key_id

    def new_id(self) -> str:
        """Id for the resource this call creates (deterministic per request_id, see ``ids.id_for``)."""
        from crs.domain.ids import id_for

        return id_for(f"{self.tenant}|{self.method}", self.request_id)
