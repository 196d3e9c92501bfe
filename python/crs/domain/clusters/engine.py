"""Reconciliation: after a customer, card or identifier changes, bring its identifiers, links and clusters
up to date in the store (the source of truth).

1. ``sync``: write the customer's identifiers (derived and added), match encodings, blocking keys and
   probabilistic links. Written before anything is read back, so of two concurrent reconciliations of
   customers sharing an identifier at least one sees the other (each writes, then reads at quorum).
2. ``recluster``: read the graph around the changed customers (``GraphReader``), compute its clusters
   (``graph.cluster``), give them ids (``assign``) and write memberships, cluster rows and events in one
   ``apply``. Every cluster row whose membership changes is compare-and-set on its version, so two
   processes reconciling overlapping clusters serialize: the loser re-reads and recomputes.

Cluster ids (docs/clusters.md): a cluster keeps its id while it only gains or loses members without
splitting; a merge keeps the oldest cluster's id (creation time, then id) and marks the others MERGED into
it; a split marks the cluster SPLIT and gives every piece a new id; a cluster of customers that had none is
named after its smallest customer id, so concurrent creators agree on it.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from crs._core import KeyRing
from crs.domain.audit import day_of
from crs.domain.changefeed import outbox
from crs.domain.errors import Aborted
from crs.domain.identity import matching
from crs.domain.identity.encoding import MatchRecord
from crs.domain.identity.kinds import IdentifierKind
from crs.domain.identity.normalize import canonical_name
from crs.domain.ids import new_id, new_version
from crs.domain.records import CardRecord, CustomerRecord, decode, encode, now_us
from crs.storage import schema
from crs.storage.base import ConditionFailed, Delete, NotExists, Put, Store, VersionIs, Write

from . import identifiers
from .graph import GraphReader, View, cluster
from .records import (
    ACTIVE,
    EMPTY,
    EV_MEMBER_ADDED,
    EV_MEMBER_REMOVED,
    EV_MERGED,
    EV_SPLIT,
    MERGED,
    PROBABILISTIC,
    SOURCE_ADDED,
    SPLIT,
    ClusterEventRecord,
    ClusterRecord,
    IdentifierRecord,
    LinkRecord,
    MatchState,
    Membership,
)
from .rules import Rules, TenantRules

log = logging.getLogger("crs.clusters")
_ATTEMPTS = 6
_MODEL_TTL_S = 60.0
_MAX_EVENT_CUSTOMERS = 100
_STAT_KINDS = {
    "distinct_emails": IdentifierKind.EMAIL.value,
    "distinct_phones": IdentifierKind.PHONE.value,
    "distinct_cards": IdentifierKind.CARD_FINGERPRINT.value,
    "distinct_bank_accounts": IdentifierKind.BANK_ACCOUNT.value,
    "distinct_devices": IdentifierKind.DEVICE_ID.value,
}


def new_cluster_id(tenant: str, first_member: str) -> str:
    """The id of a cluster formed by customers that had none: derived, so concurrent creators agree."""
    digest = hashlib.sha256(f"{tenant}|cluster-of|{first_member}".encode()).hexdigest()
    return f"cl-{digest[:24]}"


class NationalIds:
    """Decrypts a customer's national identifiers (``CC:TYPE:VALUE``) for identifier derivation."""

    def __init__(self, reveal: Callable[[CustomerRecord], list[str]]) -> None:
        self._reveal = reveal

    def of(self, rec: CustomerRecord) -> list[str]:
        values = self._reveal(rec)
        return [f"{n.issuing_country or 'ZZ'}:{n.type}:{v}" for n, v in zip(rec.national_ids, values, strict=True)]


@dataclass(slots=True)
class Plan:
    writes: list[Write]
    events: list[ClusterEventRecord]


class Engine:
    def __init__(self, store: Store, keyring: KeyRing, national_ids: NationalIds, rules: TenantRules) -> None:
        self._store = store
        self._keyring = keyring
        self._national_ids = national_ids
        self.rules = rules
        self._reader = GraphReader(store)
        # Called with the node count of each reconciliation's ClusterIndex (the API layer exports it as a metric).
        self.on_index_size: Callable[[int], None] | None = None
        self._models: dict[str, tuple[float, matching.MatchModel]] = {}

    # ---- step 1: identifiers, match encodings, probabilistic links ------------------------------------------

    async def model(self, tenant: str) -> matching.MatchModel:
        cached = self._models.get(tenant)
        if cached and time.monotonic() - cached[0] < _MODEL_TTL_S:
            return cached[1]
        stored = await self._store.get(schema.match_model_by_tenant, (tenant,))
        model = matching.default_model()
        if stored is not None:
            try:
                model = matching.MatchModel.from_json(stored.value.decode())
            except ValueError:
                log.warning("tenant %s: stored match model has an old format; defaults until retrained", tenant)
        self._models[tenant] = (time.monotonic(), model)
        return model

    async def _cards_held(self, tenant: str, cid: str) -> list[CardRecord]:
        rows = await self._store.scan(schema.cards_by_customer, (tenant, cid), limit=10_000)
        stored = await self._store.get_many(schema.cards_by_id, [(tenant, str(r.clustering[0])) for r in rows])
        cards = [decode(CardRecord, s.value) for s in stored if s is not None]
        return [c for c in cards if c.customer_id == cid]

    async def sync(self, tenant: str, cid: str) -> None:
        rules = self.rules.of(tenant)
        stored = await self._store.get(schema.customers_by_id, (tenant, cid))
        rec = decode(CustomerRecord, stored.value) if stored else None
        active = rec is not None and rec.status != 3
        current = [
            decode(IdentifierRecord, r.record.value)
            for r in await self._store.scan(schema.identifiers_by_customer, (tenant, cid), limit=10_000)
        ]
        writes: list[Write] = []
        ts = now_us()
        if rec is not None and active:
            nids = self._national_ids.of(rec)
            cards = await self._cards_held(tenant, cid)
            want = identifiers.derived(self._keyring, rec, nids, cards, ts)
            want += [i for i in current if i.source == SOURCE_ADDED and i.id not in {w.id for w in want}]
            mrec = identifiers.match_record(self._keyring, rec, nids, cards)
        else:
            want, mrec = [], None
        writes += _identifier_writes(tenant, cid, current, want)
        old_state_row = await self._store.get(schema.match_by_customer, (tenant, cid))
        old_state = decode(MatchState, old_state_row.value) if old_state_row else None
        writes += _match_writes(tenant, cid, old_state, mrec)
        if writes:
            await self._store.apply(writes)
        await self._sync_links(tenant, cid, rules, mrec)

    async def _sync_links(self, tenant: str, cid: str, rules: Rules, mrec: MatchRecord | None) -> None:
        """Probabilistic links of ``cid``: scored against the customers sharing a blocking key, only."""
        want: dict[str, LinkRecord] = {}
        if mrec is not None and rules.probabilistic:
            model = await self.model(tenant)
            candidates: set[str] = set()
            for block in sorted(matching.blocking_keys(mrec)):
                rows = await self._store.scan(
                    schema.customers_by_match_block, (tenant, block), limit=rules.block_limit + 1
                )
                if len(rows) <= rules.block_limit:
                    candidates.update(str(r.clustering[0]) for r in rows)
            candidates.discard(cid)
            ordered = sorted(candidates)
            states = await self._store.get_many(schema.match_by_customer, [(tenant, c) for c in ordered])
            for other, st in zip(ordered, states, strict=True):
                if st is None:
                    continue
                other_rec = MatchRecord.from_json(decode(MatchState, st.value).record)
                linked, weight, levels = matching.decide(model, mrec, other_rec)
                if linked:
                    want[other] = LinkRecord(PROBABILISTIC, round(weight, 3), levels, "", now_us())
        rows = await self._store.scan(schema.links_by_customer, (tenant, cid), limit=10_000)
        have = {str(r.clustering[0]): decode(LinkRecord, r.record.value) for r in rows}
        writes: list[Write] = []
        for other, link in have.items():
            if link.rule == PROBABILISTIC and other not in want:
                writes += [
                    Delete(schema.links_by_customer, (tenant, cid, other)),
                    Delete(schema.links_by_customer, (tenant, other, cid)),
                ]
        for other, link in want.items():
            old = have.get(other)
            if old is None or (old.rule == PROBABILISTIC and (old.weight, old.levels) != (link.weight, link.levels)):
                value = encode(link)
                writes += [
                    Put(schema.links_by_customer, (tenant, cid, other), value),
                    Put(schema.links_by_customer, (tenant, other, cid), value),
                ]
        if writes:
            await self._store.apply(writes)

    # ---- step 2: clusters -------------------------------------------------------------------------------------

    async def reconcile(self, tenant: str, customer_ids: Iterable[str], reason: str = "") -> list[ClusterEventRecord]:
        ids = sorted(set(customer_ids))
        for cid in ids:
            await self.sync(tenant, cid)
        return await self.recluster(tenant, ids, reason)

    async def recluster(self, tenant: str, seeds: Sequence[str], reason: str = "") -> list[ClusterEventRecord]:
        rules = self.rules.of(tenant)
        for _attempt in range(_ATTEMPTS):
            view = await self._reader.read(tenant, rules, seeds)
            plan = assign(view, reason)
            if self.on_index_size is not None:
                self.on_index_size(len(view.nodes))
            if not plan.writes:
                return []
            try:
                await outbox.apply(self._store, [*plan.writes, *outbox.derive(plan.writes)])
                return plan.events
            except ConditionFailed:
                continue  # another process changed one of these clusters: read again
        raise Aborted(
            "the customer's cluster kept changing under concurrent requests; retry", "CONCURRENT_MODIFICATION"
        )

    async def view(self, tenant: str, seeds: Sequence[str]) -> View:
        return await self._reader.read(tenant, self.rules.of(tenant), seeds)


def _identifier_writes(
    tenant: str, cid: str, current: list[IdentifierRecord], want: list[IdentifierRecord]
) -> list[Write]:
    have = {i.id: i for i in current}
    need = {i.id: i for i in want}
    writes: list[Write] = []
    for iid, ident in have.items():
        if iid not in need:
            writes += [
                Delete(schema.identifiers_by_customer, (tenant, cid, iid)),
                Delete(schema.customers_by_identifier, (tenant, ident.kind, ident.fingerprint, cid)),
            ]
    for iid, ident in need.items():
        old = have.get(iid)
        if old is None or (old.source, old.source_ref, old.masked) != (ident.source, ident.source_ref, ident.masked):
            keep = replace(ident, create_us=old.create_us) if old else ident
            writes += [
                Put(schema.identifiers_by_customer, (tenant, cid, iid), encode(keep)),
                Put(schema.customers_by_identifier, (tenant, ident.kind, ident.fingerprint, cid), b"{}"),
            ]
    return writes


def _match_writes(tenant: str, cid: str, old: MatchState | None, mrec: MatchRecord | None) -> list[Write]:
    before = set(old.blocks) if old else set()
    after = matching.blocking_keys(mrec) if mrec is not None else set()
    writes: list[Write] = [Delete(schema.customers_by_match_block, (tenant, b, cid)) for b in sorted(before - after)]
    writes += [Put(schema.customers_by_match_block, (tenant, b, cid), b"{}") for b in sorted(after - before)]
    if mrec is None:
        if old is not None:
            writes.append(Delete(schema.match_by_customer, (tenant, cid)))
    else:
        state = MatchState(mrec.to_json(), sorted(after))
        if old is None or old.record != state.record or old.blocks != state.blocks:
            writes.append(Put(schema.match_by_customer, (tenant, cid), encode(state)))
    return writes


# ---- assignment of cluster ids ---------------------------------------------------------------------------------


def _stats(view: View, members: list[str]) -> tuple[dict[str, int], list[dict[str, str | int]], int, int]:
    names: set[str] = set()
    kinds: dict[str, set[str]] = {k: set() for k in _STAT_KINDS.values()}
    flags: dict[tuple[str, str], dict[str, str | int]] = {}
    first, last = 0, 0
    for cid in members:
        node = view.nodes[cid]
        assert node.customer is not None
        try:
            names.add(canonical_name(node.customer.legal_name or node.customer.display_name))
        except ValueError:
            names.add(node.customer.display_name.casefold())
        first = min(first, node.customer.create_us) if first else node.customer.create_us
        last = max(last, node.customer.update_us, node.customer.create_us)
        for ident in node.identifiers:
            if ident.kind in kinds:
                kinds[ident.kind].add(ident.fingerprint)
            key = (ident.kind, ident.fingerprint)
            if not view.enabled(*key) and key not in flags:
                count = view.shared_counts.get(key, len(view.carriers.get(key, ())))
                flags[key] = {
                    "kind": ident.kind,
                    "fingerprint": ident.fingerprint,
                    "masked": ident.masked,
                    "count": count,
                }
    stats = {"customers": len(members), "distinct_names": len(names)}
    stats |= {name: len(kinds[kind]) for name, kind in _STAT_KINDS.items()}
    return stats, [flags[k] for k in sorted(flags)], first, last


def _event(
    tenant: str, kind: int, cluster_id: str, version: int, related: Iterable[str], customers: Iterable[str], reason: str
) -> ClusterEventRecord:
    return ClusterEventRecord(
        tenant,
        new_id(),
        kind,
        cluster_id,
        version,
        sorted(related),
        sorted(customers)[:_MAX_EVENT_CUSTOMERS],
        reason,
        now_us(),
    )


def event_writes(ev: ClusterEventRecord, partitions: Iterable[str]) -> list[Write]:
    value = encode(ev)
    out: list[Write] = [Put(schema.cluster_events_by_day, (ev.tenant, day_of(ev.time_us), ev.event_id), value)]
    out += [Put(schema.cluster_events_by_cluster, (ev.tenant, c, ev.event_id), value) for c in sorted(set(partitions))]
    return out


def _dedupe(writes: list[Write]) -> list[Write]:
    """One write per row (the last one), in first-seen order."""
    last: dict[tuple[str, tuple[object, ...]], Write] = {}
    for w in writes:
        last[(w.table.name, w.key)] = w
    seen: set[tuple[str, tuple[object, ...]]] = set()
    out: list[Write] = []
    for w in writes:
        k = (w.table.name, w.key)
        if k not in seen:
            seen.add(k)
            out.append(last[k])
    return out


def assign(view: View, reason: str) -> Plan:  # noqa: C901 - one decision table, kept in one place
    """Cluster ids for the view's components, and the writes and events that record them."""
    tenant = view.tenant
    comps = cluster(view).components
    old_of = {c: n.membership.cluster_id for c, n in view.nodes.items() if n.membership}
    comp_of = {c: i for i, comp in enumerate(comps) for c in comp}
    live = {k for k, (rec, _v) in view.clusters.items() if rec.state == ACTIVE}
    # Which components each old cluster's active members went to.
    pieces = {k: {comp_of[m] for m in view.cluster_members.get(k, ()) if m in comp_of} for k in live}
    split = {k for k, p in pieces.items() if len(p) > 1}
    ts = now_us()
    writes: list[Write] = []
    events: list[ClusterEventRecord] = []
    kept: set[str] = set()
    versions: dict[str, int] = {}
    split_successors: dict[str, set[str]] = {k: set() for k in split}

    def created_key(k: str) -> tuple[int, str]:
        return (view.clusters[k][0].create_us, k)

    def emit(ev: ClusterEventRecord, partitions: Iterable[str]) -> None:
        events.append(ev)
        writes.extend(event_writes(ev, partitions))

    for comp in comps:
        olds = {old_of[c] for c in comp if old_of.get(c) in live}
        intact = sorted((k for k in olds if k not in split), key=created_key)
        if intact:
            cid = intact[0]
        elif olds:
            cid = f"cl-{new_id()}"
        else:
            cid = new_cluster_id(tenant, comp[0])
        absorbed = intact[1:]
        for k in olds & split:
            split_successors[k].add(cid)
        old = view.clusters.get(cid) if cid in live else None
        before = view.cluster_members.get(cid, set()) if old else set()
        members = set(comp)
        stats, flags, first, last = _stats(view, comp)
        changed = old is None or members != before
        version = (old[0].version + 1 if changed else old[0].version) if old else 1
        versions[cid] = version
        kept.add(cid)
        if old is not None and not changed:
            o = old[0]
            if (o.stats, o.risk_flags, o.first_seen_us, o.last_seen_us) == (stats, flags, first, last):
                continue
        rec = ClusterRecord(
            tenant, cid, ACTIVE, version, len(comp), [], first, last, stats, flags,
            old[0].create_us if old else ts, ts,
        )  # fmt: skip
        cond = VersionIs(old[1]) if old else NotExists()
        writes.append(Put(schema.clusters_by_id, (tenant, cid), encode(rec), new_version(), cond))
        joined = members - before
        writes += [Put(schema.customers_by_cluster, (tenant, cid, c), b"{}") for c in sorted(joined)]
        writes += [Put(schema.cluster_by_customer, (tenant, c), encode(Membership(cid, ts))) for c in sorted(joined)]
        via_merge = {c for c in joined if old_of.get(c) in absorbed}
        via_split = {c for c in joined if old_of.get(c) in split}
        added = (joined - via_merge - via_split) | (via_split if old is not None else set())
        if absorbed:
            emit(
                _event(tenant, EV_MERGED, cid, version, absorbed, via_merge, reason or "shared identifiers"),
                [cid, *absorbed],
            )
        if added:
            emit(_event(tenant, EV_MEMBER_ADDED, cid, version, [], added, reason), [cid])
        for k in absorbed:
            krec, kver = view.clusters[k]
            gone = replace(krec, state=MERGED, version=krec.version + 1, size=0, successors=[cid], update_us=ts)
            writes.append(Put(schema.clusters_by_id, (tenant, k), encode(gone), new_version(), VersionIs(kver)))
            writes += [Delete(schema.customers_by_cluster, (tenant, k, c)) for c in sorted(view.cluster_members[k])]
            kept.add(k)
    # Old clusters that split or emptied (every active member closed).
    for k in sorted(live - kept):
        krec, kver = view.clusters[k]
        members = view.cluster_members.get(k, set())
        if k in split:
            succ = sorted(split_successors[k])
            gone = replace(krec, state=SPLIT, version=krec.version + 1, size=0, successors=succ, update_us=ts)
            emit(_event(tenant, EV_SPLIT, k, gone.version, succ, members, reason or "a link was removed"), [k, *succ])
        elif not pieces[k] and members:
            gone = replace(krec, state=EMPTY, version=krec.version + 1, size=0, update_us=ts)
        else:
            continue
        versions[k] = gone.version
        writes.append(Put(schema.clusters_by_id, (tenant, k), encode(gone), new_version(), VersionIs(kver)))
        writes += [Delete(schema.customers_by_cluster, (tenant, k, c)) for c in sorted(members)]
    # Customers that left clustering (closed).
    for c, node in sorted(view.nodes.items()):
        if node.active or node.membership is None:
            continue
        k = node.membership.cluster_id
        writes += [Delete(schema.cluster_by_customer, (tenant, c)), Delete(schema.customers_by_cluster, (tenant, k, c))]
        if k in versions:
            emit(_event(tenant, EV_MEMBER_REMOVED, k, versions[k], [], [c], reason or "customer closed"), [k])
    return Plan(_dedupe(writes), events)
