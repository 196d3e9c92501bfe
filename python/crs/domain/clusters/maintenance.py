"""Whole-tenant cluster maintenance (``crs clusters rebuild|train``): run offline against the store.

``rebuild`` re-derives every customer's identifiers, match encodings and probabilistic links, then
recomputes every cluster in chunks. Analyst overrides live in the store, so they survive it; cluster ids
follow the same rules as on-line reconciliation (a cluster that did not change keeps its id).

``train`` estimates the tenant's Fellegi-Sunter model by EM (no labels) on the candidate pairs of its
blocking keys and stores it; the servers pick it up within a minute.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from crs.domain.identity import matching
from crs.domain.identity.encoding import MatchRecord
from crs.domain.records import decode
from crs.storage import schema
from crs.storage.base import Put, Store
from crs.storage.schema import LIST_BUCKETS

from .engine import Engine
from .records import MatchState

_PAGE = 500


async def tenant_customers(store: Store, tenant: str) -> AsyncIterator[str]:
    for bucket in range(LIST_BUCKETS):
        after = None
        while True:
            rows = await store.scan(schema.customers_by_tenant, (tenant, bucket), after=after, limit=_PAGE)
            for r in rows:
                yield str(r.clustering[0])
            if len(rows) < _PAGE:
                break
            after = rows[-1].clustering


@dataclass(slots=True)
class RebuildReport:
    customers: int = 0
    events: int = 0


async def rebuild(engine: Engine, store: Store, tenant: str, chunk: int = 200) -> RebuildReport:
    report = RebuildReport()
    ids = [c async for c in tenant_customers(store, tenant)]
    for cid in ids:
        await engine.sync(tenant, cid)
    report.customers = len(ids)
    for i in range(0, len(ids), chunk):
        report.events += len(await engine.recluster(tenant, ids[i : i + chunk], "rebuild"))
    return report


async def train(store: Store, tenant: str, max_pairs: int = 200_000, block_limit: int = 200) -> matching.MatchModel:
    """EM on candidate pairs (customers sharing a blocking key), at most ``max_pairs`` of them."""
    records: dict[str, MatchRecord] = {}
    blocks: dict[str, list[str]] = {}
    async for cid in tenant_customers(store, tenant):
        stored = await store.get(schema.match_by_customer, (tenant, cid))
        if stored is None:
            continue
        state = decode(MatchState, stored.value)
        records[cid] = MatchRecord.from_json(state.record)
        for b in state.blocks:
            blocks.setdefault(b, []).append(cid)
    pairs: set[tuple[str, str]] = set()
    for members in blocks.values():
        if len(members) > block_limit:
            continue
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                pairs.add((a, b) if a < b else (b, a))
                if len(pairs) >= max_pairs:
                    break
    vectors = [matching.compare(records[a], records[b]) for a, b in sorted(pairs)]
    model = matching.estimate(vectors) if vectors else matching.default_model()
    model = model.with_name_frequencies(records.values())
    await store.apply([Put(schema.match_model_by_tenant, (tenant,), model.to_json().encode())])
    return model
