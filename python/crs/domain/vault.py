"""The card-data vault: PAN -> one token per tenant, encrypted PAN by token.

Tokenization runs in ``crs._core`` (validation, HMAC fingerprint, token, AES-256-GCM). The store
keeps ``vault_by_fingerprint`` (the one token of a PAN) and ``vault_by_token`` (the ciphertext), both
written insert-if-not-exists: a concurrent tokenization of the same PAN or a token collision loses
the race and re-reads. No plain PAN is ever written to the store or to an error.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Sequence
from dataclasses import dataclass

from crs._core import InvalidPanError, KeyRing, SealedPan, is_token_shaped, validate_pan
from crs.domain import audit
from crs.domain.context import CallContext
from crs.domain.errors import Aborted, InvalidArgument, NotFound, Violations
from crs.domain.mutation import Change, Mutation
from crs.domain.records import VaultEntry, decode, encode, now_us
from crs.domain.validation import MAX_PURPOSE, check_text
from crs.storage import schema
from crs.storage.base import ConditionFailed, NotExists, Put, Store, Write

MAX_BATCH = 100_000
_THREAD_THRESHOLD = 256  # batches at least this big run the GIL-free Rust batch on a worker thread


@dataclass(frozen=True, slots=True)
class Tokenized:
    entry: VaultEntry
    created: bool


def vault_resource(tenant: str) -> str:
    return f"tenants/{tenant}/vault"


def entry_from_sealed(tenant: str, sealed: SealedPan) -> VaultEntry:
    return VaultEntry(
        tenant=tenant,
        token=sealed.token,
        fingerprint=sealed.fingerprint,
        key_id=sealed.key_id,
        ciphertext=base64.b64encode(sealed.ciphertext).decode(),
        bin=sealed.bin,
        last4=sealed.last4,
        brand=sealed.brand,
        create_us=now_us(),
    )


def entry_writes(entry: VaultEntry) -> list[Write]:
    value = encode(entry)
    return [
        Put(schema.vault_by_fingerprint, (entry.tenant, entry.fingerprint), value, condition=NotExists()),
        Put(schema.vault_by_token, (entry.tenant, entry.token), value, condition=NotExists()),
    ]


def invalid_pan(error: InvalidPanError | str, field_path: str = "pan") -> InvalidArgument:
    return InvalidArgument.of(field_path, str(error), "INVALID_PAN")


class Vault:
    def __init__(self, store: Store, keyring: KeyRing, mutation: Mutation) -> None:
        self._store = store
        self._keys = keyring
        self._mutation = mutation

    def fingerprint(self, tenant: str, pan: str, field_path: str = "pan") -> str:
        try:
            return self._keys.fingerprint_pan(tenant, pan)
        except InvalidPanError as e:
            raise invalid_pan(e, field_path) from None

    def seal(self, tenant: str, pan: str, field_path: str = "pan") -> SealedPan:
        try:
            return self._keys.seal_pan(tenant, pan)
        except InvalidPanError as e:
            raise invalid_pan(e, field_path) from None

    async def by_fingerprint(self, tenant: str, fingerprint: str) -> VaultEntry | None:
        stored = await self._store.get(schema.vault_by_fingerprint, (tenant, fingerprint))
        return decode(VaultEntry, stored.value) if stored else None

    async def by_token(self, tenant: str, token: str) -> VaultEntry | None:
        stored = await self._store.get(schema.vault_by_token, (tenant, token))
        return decode(VaultEntry, stored.value) if stored else None

    async def tokenize(self, ctx: CallContext, tenant: str, pan: str) -> Tokenized:
        fingerprint = self.fingerprint(tenant, pan)
        existing = await self.by_fingerprint(tenant, fingerprint)
        if existing is not None:
            return Tokenized(existing, False)

        created = False

        async def build() -> Change[VaultEntry]:
            nonlocal created
            found = await self.by_fingerprint(tenant, fingerprint)
            created = found is None
            if found is not None:
                return Change([], found, vault_resource(tenant))
            entry = entry_from_sealed(tenant, self.seal(tenant, pan))
            return Change(entry_writes(entry), entry, vault_resource(tenant), ["tokens"])

        async def retry(_failed: ConditionFailed) -> Exception | None:
            return None  # lost a race (same PAN elsewhere, or a token collision): read again

        entry = await self._mutation.run(ctx, VaultEntry, build, retry, attempts=5)
        return Tokenized(entry, created)

    async def tokenize_batch(self, ctx: CallContext, tenant: str, pans: Sequence[str]) -> list[Tokenized | str]:
        if len(pans) > MAX_BATCH:
            raise InvalidArgument.of("pans", f"at most {MAX_BATCH} PANs per call")
        pan_list = list(pans)
        if len(pan_list) >= _THREAD_THRESHOLD:
            prints = await asyncio.to_thread(self._keys.fingerprint_pans, tenant, pan_list)
        else:
            prints = self._keys.fingerprint_pans(tenant, pan_list)
        for _attempt in range(5):
            results, missing = await self._resolve(tenant, pan_list, prints)
            if not missing:
                return results
            # Seal each distinct new PAN once (a batch may repeat a PAN), then write them in one change.
            first_index = {prints[i]: i for i in reversed(missing)}
            to_seal = [pan_list[i] for i in first_index.values()]
            if len(to_seal) >= _THREAD_THRESHOLD:  # keep the event loop free while big batches are prepared
                entries = await asyncio.to_thread(self._prepare, tenant, to_seal)
            else:
                entries = self._prepare(tenant, to_seal)
            pan_of = {fp: pan_list[i] for fp, i in first_index.items() if fp is not None}
            entries = await self._fresh_tokens(tenant, entries, pan_of)
            writes = [w for e in entries for w in entry_writes(e)]
            writes += audit.writes(audit.event(ctx, vault_resource(tenant), changed_fields=["tokens"]))
            try:
                await self._store.apply(writes)
            except ConditionFailed:
                continue  # a concurrent call vaulted one of these PANs: resolve again
            created = {e.fingerprint for e in entries}
            by_print = {e.fingerprint: e for e in entries}
            for i in missing:
                fp = prints[i]
                assert fp is not None
                results[i] = Tokenized(by_print[fp], fp in created and first_index[fp] == i)
            return results
        raise Aborted("concurrent tokenization of the same PANs kept conflicting; retry the batch", "BATCH_CONFLICT")

    def _prepare(self, tenant: str, pans: list[str]) -> list[VaultEntry]:
        """Seal new PANs (Rust, GIL released)."""
        sealed = self._keys.seal_pans(tenant, pans)
        return [entry_from_sealed(tenant, s) for s in sealed if isinstance(s, SealedPan)]

    async def _fresh_tokens(self, tenant: str, entries: list[VaultEntry], pan_of: dict[str, str]) -> list[VaultEntry]:
        """Reseal the entries whose random token repeats within the batch or is already in the vault.

        A token keeps the PAN's BIN6 and last4, so only its middle digits are random: in a batch of 100,000 PANs of
        one BIN, or against a large vault, a few tokens collide. Without this one collision fails the whole batch's
        write, and the retry draws 100,000 new tokens with the same odds.
        """
        for _round in range(8):
            seen: set[str] = set()
            redo: set[int] = set()
            for i, e in enumerate(entries):
                if e.token in seen:
                    redo.add(i)
                seen.add(e.token)
            stored = await self._store.get_many(schema.vault_by_token, [(tenant, e.token) for e in entries])
            redo |= {i for i, row in enumerate(stored) if row is not None}
            if not redo:
                break
            for i in sorted(redo):
                entries[i] = entry_from_sealed(tenant, self.seal(tenant, pan_of[entries[i].fingerprint]))
        return entries  # what is still taken now is caught by the write's condition

    async def _resolve(
        self, tenant: str, pans: list[str], prints: list[str | None]
    ) -> tuple[list[Tokenized | str], list[int]]:
        results: list[Tokenized | str] = [""] * len(pans)
        unique = list(dict.fromkeys(fp for fp in prints if fp is not None))
        stored = await self._store.get_many(schema.vault_by_fingerprint, [(tenant, fp) for fp in unique])
        known = {fp: decode(VaultEntry, s.value) for fp, s in zip(unique, stored, strict=True) if s is not None}
        missing: list[int] = []
        for i, fp in enumerate(prints):
            if fp is None:
                results[i] = _pan_error(pans[i])
            elif fp in known:
                results[i] = Tokenized(known[fp], False)
            else:
                missing.append(i)
        return results, missing

    async def detokenize(self, ctx: CallContext, tenant: str, token: str, purpose: str) -> str:
        v = Violations()
        if not is_token_shaped(token):
            v.add("token", "must be a CRS card token (12-19 digits, not a valid card number)")
        check_text(v, "purpose", purpose, required=True, limit=MAX_PURPOSE)
        v.raise_if_any()
        entry = await self.by_token(tenant, token)
        resource = f"{vault_resource(tenant)}/tokens/{token}"
        if entry is None:
            raise NotFound("token not found", "NOT_FOUND", {}, "crs.v1/Token", resource)
        pan = self._keys.open_pan(tenant, token, entry.key_id, base64.b64decode(entry.ciphertext))
        await audit.record_outcome(self._store, ctx, resource, "OK", purpose=purpose)
        return pan


def _pan_error(pan: str) -> str:
    try:
        validate_pan(pan)
    except InvalidPanError as e:
        return str(e)
    return "PAN is not valid"
