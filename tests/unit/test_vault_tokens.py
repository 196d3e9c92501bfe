"""BatchTokenize when random tokens collide: within the batch, or with a token already in the vault."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from crs._core import KeyRing
from crs.domain.app import Domain
from crs.domain.context import CallContext, Principal
from crs.domain.records import encode
from crs.domain.vault import Tokenized, entry_from_sealed
from crs.storage import schema
from crs.storage.base import Put
from crs.storage.embedded import EmbeddedStore
from tests.helpers.pans import make_pan

CTX = CallContext(Principal("t", "acme", frozenset({"tokenize"})), "/crs.v1.TokenService/BatchTokenize")


def test_colliding_tokens_are_redrawn_and_the_batch_succeeds(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    async def run() -> None:
        KeyRing.generate(str(tmp_path / "keys.json"))
        store = EmbeddedStore(tmp_path / "crs.db")
        domain = Domain(store, KeyRing.from_file(str(tmp_path / "keys.json")))
        vault = domain.vault
        try:
            taken = vault.seal("acme", make_pan("411111", 16))
            existing = entry_from_sealed("acme", taken)
            await store.apply([Put(schema.vault_by_token, ("acme", existing.token), encode(existing))])
            real_prepare = vault._prepare

            def colliding(tenant: str, pans: list[str]):  # type: ignore[no-untyped-def]
                entries = real_prepare(tenant, pans)
                # the first two share a token, the third takes one that is already in the vault
                entries[1] = replace(entries[1], token=entries[0].token)
                entries[2] = replace(entries[2], token=existing.token)
                return entries

            monkeypatch.setattr(vault, "_prepare", colliding)
            pans = [make_pan("411111", 16) for _ in range(5)]
            results = await vault.tokenize_batch(CTX, "acme", pans)
            tokens = [r.entry.token for r in results if isinstance(r, Tokenized)]
            assert len(tokens) == 5 and len(set(tokens)) == 5 and existing.token not in tokens
            for pan, token in zip(pans, tokens, strict=True):
                assert (await vault.by_token("acme", token)) is not None
                assert token[:6] == pan[:6] and token[-4:] == pan[-4:]
        finally:
            await store.close()

    asyncio.run(run())
