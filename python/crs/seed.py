"""Synthetic data for load tests and benchmarks: ``crs seed --customers N``.

Every row is written by the service's own domain code (``Customers.create``, ``Accounts.create``,
``Vault.tokenize_batch``, ``Cards.register``), so the rows are exactly the ones the RPCs write, audit
events included. What makes it fast is only *where* the writes go: ``BufferedStore`` takes each change's
``apply`` into memory (checking its conditions against what is stored plus what is buffered) and hands
many changes to the real store's ``apply`` as one transaction. Card numbers are tokenized in chunks
through the Rust batch path (``KeyRing.fingerprint_pans`` / ``seal_pans`` via ``Vault.tokenize_batch``),
so ``Cards.register`` finds each PAN already vaulted and seals nothing itself.

PANs are synthetic: ``synthetic_pan(salt, i)`` is a bijection of ``i`` into a 9-digit space under a test
BIN, with a correct Luhn digit, so N seeded customers never collide and a load test can re-derive any
seeded PAN from its index without the PANs ever being written to a file or printed.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from crs._core import KeyRing
from crs.domain.app import Domain
from crs.domain.context import CallContext, Principal
from crs.domain.customers import KIND_PERSON, CustomerInput, NationalIdInput
from crs.domain.names import Name
from crs.domain.vault import Tokenized
from crs.storage.base import (
    ConditionFailed,
    Delete,
    Key,
    NotExists,
    Put,
    Record,
    Row,
    Store,
    Table,
    VersionIs,
    Write,
)

SEED_BIN = "499999"  # the seeded cards' BIN
ONBOARDING_BIN = "525252"  # cards registered during a load test (never collide with seeded ones)
_SPACE = 10**9  # 16-digit PAN = 6 BIN + 9 + 1 check digit
_STEP = 387_420_489  # 3**18: coprime to 10**9, so i -> (salt + i*STEP) mod 10**9 is a bijection
ACCOUNT_KIND_CARD = 3
PERSONAL_CODE = 3
DEFAULT_CHUNK = 1000
MAX_SAMPLE_TOKENS = 20_000


def luhn_digit(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = ord(ch) - 48
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def synthetic_pan(salt: int, index: int, bin6: str = SEED_BIN) -> str:
    """The ``index``-th synthetic PAN of a seed run: distinct for distinct indexes below 10**9."""
    body = f"{bin6}{(salt + index * _STEP) % _SPACE:09d}"
    return body + luhn_digit(body)


def customer_id(index: int) -> str:
    return f"seed-c-{index}"


def account_id(index: int) -> str:
    return f"seed-a-{index}"


def card_id(index: int) -> str:
    return f"seed-k-{index}"


class BufferedStore(Store):
    """Collects changes in memory and writes them to ``inner`` in large ``apply`` calls.

    Reads see buffered writes first. Conditions are checked when a change is buffered (against stored
    plus buffered rows) and again by ``inner.apply`` on flush. Only for bulk loading by one process.
    """

    def __init__(self, inner: Store, flush_writes: int = 20_000) -> None:
        self.inner = inner
        self._flush_writes = flush_writes
        self._pending: list[Write] = []
        self._overlay: dict[tuple[str, Key], Record | None] = {}
        # The batch being written (by the store's writer thread) while the next one is built.
        self._flushing: dict[tuple[str, Key], Record | None] = {}
        self._flush_task: asyncio.Task[None] | None = None
        self.flushed_writes = 0

    def _buffered(self, k: tuple[str, Key]) -> tuple[bool, Record | None]:
        if k in self._overlay:
            return True, self._overlay[k]
        if k in self._flushing:
            return True, self._flushing[k]
        return False, None

    async def get(self, table: Table, key: Key) -> Record | None:
        hit, record = self._buffered((table.name, key))
        return record if hit else await self.inner.get(table, key)

    async def get_many(self, table: Table, keys: Sequence[Key]) -> list[Record | None]:
        seen = {k: self._buffered((table.name, k)) for k in keys}
        missing = [k for k, (hit, _r) in seen.items() if not hit]
        stored = dict(zip(missing, await self.inner.get_many(table, missing), strict=True)) if missing else {}
        return [seen[k][1] if seen[k][0] else stored[k] for k in keys]

    async def scan(
        self, table: Table, partition: Key, *, after: Key | None = None, before: Key | None = None, limit: int
    ) -> list[Row]:
        await self.flush()
        return await self.inner.scan(table, partition, after=after, before=before, limit=limit)

    async def apply(self, writes: Sequence[Write]) -> None:
        for w in writes:
            if w.condition is None:
                continue
            current = await self.get(w.table, w.key)
            if isinstance(w.condition, NotExists) and current is not None:
                raise ConditionFailed(w, current)
            if isinstance(w.condition, VersionIs) and (current is None or current.version != w.condition.version):
                raise ConditionFailed(w, current)
        for w in writes:
            if isinstance(w, Put):
                self._overlay[(w.table.name, w.key)] = Record(w.value, w.version)
            elif isinstance(w, Delete):
                self._overlay[(w.table.name, w.key)] = None
        self._pending.extend(writes)
        if len(self._pending) >= self._flush_writes:
            await self._start_flush()

    async def _wait_flush(self) -> None:
        if self._flush_task is not None:
            task, self._flush_task = self._flush_task, None
            await task
            self._flushing = {}

    async def _start_flush(self) -> None:
        """Hands the buffered changes to the store and returns at once: the next batch is built meanwhile."""
        await self._wait_flush()
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        self._flushing, self._overlay = self._overlay, {}

        async def write() -> None:
            await self.inner.apply(pending)
            self.flushed_writes += len(pending)

        self._flush_task = asyncio.create_task(write())

    async def flush(self) -> None:
        """Everything buffered is durably in the store when this returns."""
        await self._start_flush()
        await self._wait_flush()

    async def healthy(self) -> bool:
        return await self.inner.healthy()

    async def close(self) -> None:
        await self.flush()
        await self.inner.close()


@dataclass
class SeedResult:
    customers: int
    seconds: float
    rows: int
    tokens: list[str]  # the seeded cards' tokens (a sample of at most MAX_SAMPLE_TOKENS), by index

    @property
    def per_second(self) -> float:
        return self.customers / self.seconds if self.seconds > 0 else 0.0


def _ctx(tenant: str, method: str) -> CallContext:
    return CallContext(Principal("seed", tenant, frozenset({"admin"})), method)


def _customer_input(i: int) -> CustomerInput:
    return CustomerInput(
        kind=KIND_PERSON,
        display_name=f"Seed Customer {i}",
        legal_name=f"Seed Customer {i}",
        date_of_birth=(1950 + i % 50, 1 + i % 12, 1 + i % 28),
        emails=[f"seed.customer.{i}@example.com"],
        phones=[f"+3725{i % 10_000_000:07d}"],
        national_ids=[NationalIdInput(PERSONAL_CODE, f"SEED{i:010d}", "EE")],
        preferred_language="en",
    )


async def seed(
    store: Store,
    keyring: KeyRing,
    tenant: str,
    customers: int,
    *,
    salt: int,
    start: int = 0,
    chunk: int = DEFAULT_CHUNK,
    flush_writes: int = 20_000,
) -> SeedResult:
    """Seeds customers ``start .. start+customers-1``: each with one card account, one card, e-mail, phone
    and national identifier. ``store`` must not be serving writes to anyone else meanwhile."""
    buffered = BufferedStore(store, flush_writes)
    domain = Domain(buffered, keyring)
    tok_ctx = _ctx(tenant, "/crs.v1.TokenService/BatchTokenize")
    cust_ctx = _ctx(tenant, "/crs.v1.CustomerService/CreateCustomer")
    acct_ctx = _ctx(tenant, "/crs.v1.AccountService/CreateAccount")
    card_ctx = _ctx(tenant, "/crs.v1.CardService/RegisterCard")
    tokens: list[str] = []
    started = time.perf_counter()
    for lo in range(start, start + customers, chunk):
        hi = min(lo + chunk, start + customers)
        pans = [synthetic_pan(salt, i) for i in range(lo, hi)]
        vaulted = await domain.vault.tokenize_batch(tok_ctx, tenant, pans)
        for offset, i in enumerate(range(lo, hi)):
            result = vaulted[offset]
            if not isinstance(result, Tokenized):
                raise ValueError("a synthetic PAN was rejected by the vault")
            if len(tokens) < MAX_SAMPLE_TOKENS:
                tokens.append(result.entry.token)
            cust = await domain.customers.create(cust_ctx, tenant, _customer_input(i), customer_id(i))
            acct = await domain.accounts.create(
                acct_ctx,
                tenant,
                Name(tenant, "customers", cust.id),
                ACCOUNT_KIND_CARD,
                "EUR",
                "Everyday card",
                (2024, 1 + i % 12, 1 + i % 28),
                account_id(i),
            )
            await domain.cards.register(
                card_ctx,
                tenant,
                pans[offset],
                1 + i % 12,
                2030 + i % 5,
                f"SEED CUSTOMER {i}",
                Name(tenant, "accounts", acct.id),
                None,
                card_id(i),
            )
    await buffered.flush()
    return SeedResult(customers, time.perf_counter() - started, buffered.flushed_writes, tokens)


def write_manifest(path: Path, tenant: str, salt: int, start: int, result: SeedResult) -> None:
    """What a load test needs to address the seeded data: no PANs (they are re-derived from salt + index)."""
    data = {
        "tenant": tenant,
        "salt": salt,
        "start": start,
        "customers": result.customers,
        "tokens": result.tokens,
        "seconds": round(result.seconds, 3),
        "rows": result.rows,
    }
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f)
    os.replace(tmp, path)
