"""Synthetic data for load tests and benchmarks: ``crs seed --customers N``.

Every row is written by the service's own domain code (``Customers.create``, ``Accounts.create``,
``Vault.tokenize_batch``, ``Cards.register`` and the cluster reconciliation the servicers run after
CreateCustomer and RegisterCard), so the rows are exactly the ones the RPCs write, audit events and
customer clusters included. What makes it fast is only *where* the writes go: ``BufferedStore`` takes each change's
``apply`` into memory (checking its conditions against what is stored plus what is buffered) and hands
many changes to the real store's ``apply`` as one transaction (embedded store). A store with ``apply_bulk``
(Cassandra, where one change's writes go in one logged batch, far too small for thousands of rows) gets the net
write of each row instead, conditional ones as lightweight transactions, a bounded number in flight. Card
numbers are tokenized in chunks through the Rust batch path (``KeyRing.fingerprint_pans`` / ``seal_pans`` via
``Vault.tokenize_batch``), so ``Cards.register`` finds each PAN already vaulted and seals nothing itself.

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
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol, runtime_checkable

from crs._core import KeyRing
from crs.domain.app import Domain
from crs.domain.context import CallContext, Principal
from crs.domain.customers import KIND_PERSON, CustomerInput, NationalIdInput
from crs.domain.names import Name
from crs.domain.vault import Tokenized
from crs.storage.base import (
    Condition,
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
from crs.storage.keys import encode_key

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


Overlay = dict[tuple[str, Key], dict[Key, Record | None]]  # (table, partition) -> clustering -> row or deleted
NetWrites = dict[tuple[str, Key], tuple[Condition | None, Write]]  # row -> (first write's condition, last write)


@runtime_checkable
class BulkStore(Protocol):
    """A store that loads many independent row writes (at most one per row) faster than as one ``apply``."""

    async def apply_bulk(self, writes: Sequence[Write]) -> None: ...


def net_writes(net: NetWrites) -> tuple[list[Write], list[Write]]:
    """One write per row for a batch of buffered changes: the row's last write under its *first* write's
    condition (the one that refers to the stored row; later conditions referred to rows of the batch itself and
    were checked when buffered). Also returns the rows created under ``NotExists`` and deleted again within the
    batch: nothing to write, but they must still be absent from the store."""
    writes: list[Write] = []
    absent: list[Write] = []
    for first, last in net.values():
        if isinstance(last, Delete) and isinstance(first, NotExists):
            absent.append(last)
        else:
            writes.append(replace(last, condition=first))
    return writes, absent


class BufferedStore(Store):
    """Collects changes in memory and writes them to ``inner`` in large ``apply`` calls.

    Reads (``get``, ``get_many``, ``scan``) see buffered writes merged over the stored rows. Conditions are
    checked when a change is buffered (against stored plus buffered rows) and again by ``inner.apply`` on
    flush. One flush runs (on the store's writer thread) while the next batch is built. Only for bulk
    loading by one process into a store nobody else writes meanwhile.

    A ``BulkStore`` inner store (Cassandra) is flushed with ``apply_bulk`` of the batch's net writes
    (``net_writes``): one write per row, the conditional ones checked again by the store as it writes them.
    """

    def __init__(self, inner: Store, flush_writes: int = 20_000) -> None:
        self.inner = inner
        self._flush_writes = flush_writes
        self._pending: list[Write] = []
        self._overlay: Overlay = {}
        self._flushing: Overlay = {}  # the batch being written while the next one is built
        self._flush_task: asyncio.Task[None] | None = None
        self._net: NetWrites = {}  # only for a BulkStore inner store
        self._bulk = isinstance(inner, BulkStore)
        self.flushed_writes = 0

    def _buffered(self, table: Table, key: Key) -> tuple[bool, Record | None]:
        partition, clustering = table.split(key)
        for overlay in (self._overlay, self._flushing):
            rows = overlay.get((table.name, partition))
            if rows is not None and clustering in rows:
                return True, rows[clustering]
        return False, None

    async def get(self, table: Table, key: Key) -> Record | None:
        hit, record = self._buffered(table, key)
        return record if hit else await self.inner.get(table, key)

    async def get_many(self, table: Table, keys: Sequence[Key]) -> list[Record | None]:
        seen = {k: self._buffered(table, k) for k in keys}
        missing = [k for k, (hit, _r) in seen.items() if not hit]
        stored = dict(zip(missing, await self.inner.get_many(table, missing), strict=True)) if missing else {}
        return [seen[k][1] if seen[k][0] else stored[k] for k in keys]

    async def scan(
        self, table: Table, partition: Key, *, after: Key | None = None, before: Key | None = None, limit: int
    ) -> list[Row]:
        changed: dict[Key, Record | None] = {}
        for overlay in (self._flushing, self._overlay):  # newer wins
            changed.update(overlay.get((table.name, partition), {}))
        deleted = sum(1 for r in changed.values() if r is None)
        rows = {
            r.clustering: r.record
            for r in await self.inner.scan(table, partition, after=after, before=before, limit=limit + deleted)
        }
        after_enc = encode_key(after) if after is not None else None
        before_enc = encode_key(before) if before is not None else None
        for clustering, record in changed.items():
            enc = encode_key(clustering)
            if (after_enc is not None and enc <= after_enc) or (before_enc is not None and enc >= before_enc):
                continue
            if record is None:
                rows.pop(clustering, None)
            else:
                rows[clustering] = record
        ordered = sorted(rows.items(), key=lambda item: encode_key(item[0]))
        return [Row(c, r) for c, r in ordered[:limit]]

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
            partition, clustering = w.table.split(w.key)
            rows = self._overlay.setdefault((w.table.name, partition), {})
            rows[clustering] = Record(w.value, w.version) if isinstance(w, Put) else None
            if self._bulk:
                row = (w.table.name, w.key)
                earlier = self._net.get(row)
                self._net[row] = (w.condition if earlier is None else earlier[0], w)
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
        net, self._net = self._net, {}
        self._flushing, self._overlay = self._overlay, {}

        async def write() -> None:
            if not isinstance(self.inner, BulkStore):
                await self.inner.apply(pending)
                self.flushed_writes += len(pending)
                return
            writes, absent = net_writes(net)
            for w in absent:
                current = await self.inner.get(w.table, w.key)
                if current is not None:
                    raise ConditionFailed(w, current)
            await self.inner.apply_bulk(writes)
            self.flushed_writes += len(writes)

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


_SYLLABLES = tuple(c + v for c in "bdfgklmnprstvz" for v in "aeiou")  # 70


def _name(i: int) -> str:
    """A varied synthetic person name, so cluster blocking keys (phonetic name + birth date) stay small
    like real data's, instead of every seeded customer sharing one name."""
    n = len(_SYLLABLES)
    first = (i * 7919) % (n * n)
    last = (i * 104_729 + 12_345) % (n * n * n)
    given = _SYLLABLES[first // n] + _SYLLABLES[first % n]
    family = _SYLLABLES[last // (n * n)] + _SYLLABLES[(last // n) % n] + _SYLLABLES[last % n]
    return f"{given.capitalize()} {family.capitalize()}"


def _customer_input(i: int) -> CustomerInput:
    name = _name(i)
    return CustomerInput(
        kind=KIND_PERSON,
        display_name=name,
        legal_name=name,
        date_of_birth=(1940 + (i * 37) % 66, 1 + (i * 5) % 12, 1 + (i * 11) % 28),
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
            # What CustomerServicer.CreateCustomer runs after the change (Domain.after_change), minus its
            # catch-all: a seed whose cluster reconciliation fails must fail loudly.
            await domain.clusters.engine.reconcile(tenant, [cust.id], "customer created")
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
            card = await domain.cards.register(
                card_ctx,
                tenant,
                pans[offset],
                1 + i % 12,
                2030 + i % 5,
                _name(i).upper(),
                Name(tenant, "accounts", acct.id),
                None,
                card_id(i),
            )
            await domain.clusters.engine.reconcile(tenant, [card.customer_id], "card registered")
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
