"""Link rules per tenant, with defaults (docs/clusters.md, "Rules")."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields, replace
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Rules:
    # An identifier carried by more customers than this stops linking and becomes a risk flag.
    share_threshold: int = 10
    # Weak identifiers (e-mail, phone, device, wallet, address, name + birth date) link only when at least
    # this many are shared by the same two customers.
    weak_combination: int = 2
    # Probabilistic (Fellegi-Sunter) links on or off.
    probabilistic: bool = True
    # A blocking key shared by more customers than this is not used for candidates (too common to help).
    block_limit: int = 200
    # Reconciliation stops growing a cluster beyond this many customers (and says so in the logs).
    max_cluster_size: int = 5000


class TenantRules:
    """Defaults plus per-tenant overrides from a JSON file: ``{"tenant-id": {"share_threshold": 5}}``."""

    def __init__(self, overrides: dict[str, Rules] | None = None, default: Rules | None = None) -> None:
        self._overrides = overrides or {}
        self._default = default or Rules()

    def of(self, tenant: str) -> Rules:
        return self._overrides.get(tenant, self._default)

    @classmethod
    def from_file(cls, path: str | Path) -> TenantRules:
        data = json.loads(Path(path).read_text())
        if not isinstance(data, dict):
            raise ValueError("cluster rules file must be a JSON object of tenant -> rules")
        known = {f.name for f in fields(Rules)}
        overrides: dict[str, Rules] = {}
        for tenant, values in data.items():
            if not isinstance(values, dict) or not set(values) <= known:
                raise ValueError(f"cluster rules for {tenant!r}: unknown keys (known: {sorted(known)})")
            overrides[str(tenant)] = replace(Rules(), **values)
        return cls(overrides)
