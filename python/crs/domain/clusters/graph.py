"""The identity graph around some customers, read from the store, and its clusters (Rust ``ClusterIndex``).

The graph is bipartite customer <-> identifier (``identifiers_by_customer`` / ``customers_by_identifier``) plus
customer <-> customer links (``links_by_customer``: probabilistic matches and analyst must-links). Two
customers are joined when they share an enabled strong identifier, share at least ``weak_combination``
enabled weak identifiers, or are linked. An identifier carried by more than ``share_threshold`` customers is
disabled (a risk flag, not a link). Cannot-link overrides suppress any join that would put the two customers
of the override in one cluster. Joins are applied in a fixed order (analyst, strong, weak, probabilistic, then
by customer ids), so the same graph always gives the same clusters.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from crs._core import ClusterIndex
from crs.domain.records import CustomerRecord, decode
from crs.storage import schema
from crs.storage.base import Row, Store, Table

from .records import (
    CANNOT_LINK,
    RULE_ORDER,
    STRONG_IDENTIFIER,
    WEAK_COMBINATION,
    ClusterRecord,
    IdentifierRecord,
    LinkRecord,
    Membership,
    OverrideRecord,
)
from .rules import Rules

log = logging.getLogger("crs.clusters")
CLOSED = 3  # crs.v1.CustomerStatus CLOSED
_PARTITION_LIMIT = 10_000
_FLAG_COUNT_LIMIT = 1000


def node_key(customer_id: str) -> bytes:
    return hashlib.sha256(customer_id.encode()).digest()[:16]


@dataclass(slots=True)
class Node:
    customer: CustomerRecord | None
    identifiers: list[IdentifierRecord]
    links: dict[str, LinkRecord]
    overrides: dict[str, OverrideRecord]
    membership: Membership | None

    @property
    def active(self) -> bool:
        return self.customer is not None and self.customer.status != CLOSED


@dataclass(frozen=True, slots=True)
class Edge:
    a: str
    b: str
    rule: int
    identifiers: tuple[IdentifierRecord, ...] = ()
    link: LinkRecord | None = None

    def sort_key(self) -> tuple[int, str, str]:
        return (RULE_ORDER[self.rule], self.a, self.b)


@dataclass(slots=True)
class View:
    """Everything reconciliation reads: nodes, identifier carriers, old clusters and their members."""

    tenant: str
    rules: Rules
    nodes: dict[str, Node] = field(default_factory=dict)
    carriers: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    shared_counts: dict[tuple[str, str], int] = field(default_factory=dict)
    clusters: dict[str, tuple[ClusterRecord, str]] = field(default_factory=dict)  # id -> (record, row version)
    cluster_members: dict[str, set[str]] = field(default_factory=dict)
    truncated: bool = False

    def enabled(self, kind: str, fp: str) -> bool:
        return len(self.carriers.get((kind, fp), ())) <= self.rules.share_threshold

    def neighbours(self, cid: str) -> set[str]:
        node = self.nodes[cid]
        out: set[str] = set(node.links)
        for ident in node.identifiers:
            out.update(self.carriers.get((ident.kind, ident.fingerprint), ()))
        out.update(o for o, ov in node.overrides.items() if ov.kind != CANNOT_LINK)
        out.discard(cid)
        return out

    def edges(self) -> list[Edge]:  # noqa: C901 - the three join rules side by side
        """Every join the rules allow between active customers of the view (before cannot-link)."""
        found: dict[tuple[str, str], Edge] = {}

        def offer(edge: Edge) -> None:
            key = (edge.a, edge.b)
            have = found.get(key)
            if have is None or edge.sort_key() < have.sort_key():
                found[key] = edge

        for cid, node in self.nodes.items():
            if not node.active:
                continue
            weak: Counter[str] = Counter()
            weak_ids: dict[str, list[IdentifierRecord]] = {}
            for ident in node.identifiers:
                if not self.enabled(ident.kind, ident.fingerprint):
                    continue
                for other in self.carriers.get((ident.kind, ident.fingerprint), ()):
                    if other <= cid or other not in self.nodes or not self.nodes[other].active:
                        continue
                    if ident.strong:
                        offer(Edge(cid, other, STRONG_IDENTIFIER, (ident,)))
                    else:
                        weak[other] += 1
                        weak_ids.setdefault(other, []).append(ident)
            for other, n in weak.items():
                if n >= self.rules.weak_combination:
                    offer(Edge(cid, other, WEAK_COMBINATION, tuple(weak_ids[other])))
            for other, link in node.links.items():
                if other in self.nodes and self.nodes[other].active and other != cid:
                    a, b = sorted((cid, other))
                    offer(Edge(a, b, link.rule, (), link))
        return sorted(found.values(), key=Edge.sort_key)

    def cannot_pairs(self) -> set[tuple[str, str]]:
        pairs: set[tuple[str, str]] = set()
        for cid, node in self.nodes.items():
            for other, ov in node.overrides.items():
                if ov.kind == CANNOT_LINK:
                    a, b = sorted((cid, other))
                    pairs.add((a, b))
        return pairs


@dataclass(slots=True)
class Clustering:
    index: ClusterIndex
    components: list[list[str]]  # active customers, each sorted; components sorted by first member
    applied: dict[tuple[str, str], Edge]
    suppressed: list[Edge]


def cluster(view: View) -> Clustering:
    """Components of the view's active customers under its rules and cannot-link overrides."""
    index = ClusterIndex()
    active = sorted(c for c, n in view.nodes.items() if n.active)
    keys = {c: node_key(c) for c in active}
    for c in active:
        index.add_node(keys[c])
    cannot = [(keys[a], keys[b]) for a, b in view.cannot_pairs() if a in keys and b in keys]
    applied: dict[tuple[str, str], Edge] = {}
    suppressed: list[Edge] = []
    for edge in view.edges():
        ka, kb = keys[edge.a], keys[edge.b]
        if index.same(ka, kb):
            continue
        if any(
            (index.same(u, ka) and index.same(v, kb)) or (index.same(u, kb) and index.same(v, ka)) for u, v in cannot
        ):
            suppressed.append(edge)
            continue
        index.link(ka, kb)
        applied[(edge.a, edge.b)] = edge
    by_root: dict[bytes, list[str]] = {}
    for c in active:
        root = index.find(keys[c])
        assert root is not None
        by_root.setdefault(root, []).append(c)
    components = sorted((sorted(m) for m in by_root.values()), key=lambda m: m[0])
    return Clustering(index, components, applied, suppressed)


def explain(clustering: Clustering, a: str, b: str) -> list[Edge] | None:
    """The applied joins along a shortest chain from customer a to customer b, or None if not joined."""
    path = clustering.index.path(node_key(a), node_key(b))
    if path is None:
        return None
    by_key = {node_key(c): c for comp in clustering.components for c in comp}
    chain = [by_key[k] for k in path]
    out: list[Edge] = []
    for x, y in itertools.pairwise(chain):
        lo, hi = sorted((x, y))
        edge = clustering.applied[(lo, hi)]
        out.append(Edge(x, y, edge.rule, edge.identifiers, edge.link))
    return out


class GraphReader:
    """Reads the closure of some customers: their identifiers' carriers, links, overrides and old clusters,
    repeatedly, until nothing new is reachable (or the rules' size cap is reached)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def _scan(self, table: Table, partition: tuple[str, ...], limit: int = _PARTITION_LIMIT) -> list[Row]:
        return await self._store.scan(table, partition, limit=limit)

    async def _node(self, tenant: str, cid: str) -> Node:
        customer, idents, links, overrides, member = await asyncio.gather(
            self._store.get(schema.customers_by_id, (tenant, cid)),
            self._scan(schema.identifiers_by_customer, (tenant, cid)),
            self._scan(schema.links_by_customer, (tenant, cid)),
            self._scan(schema.overrides_by_customer, (tenant, cid)),
            self._store.get(schema.cluster_by_customer, (tenant, cid)),
        )
        return Node(
            decode(CustomerRecord, customer.value) if customer else None,
            [decode(IdentifierRecord, r.record.value) for r in idents],
            {str(r.clustering[0]): decode(LinkRecord, r.record.value) for r in links},
            {str(r.clustering[0]): decode(OverrideRecord, r.record.value) for r in overrides},
            decode(Membership, member.value) if member else None,
        )

    async def _carriers(self, view: View, kind: str, fp: str) -> None:
        rows = await self._scan(
            schema.customers_by_identifier, (view.tenant, kind, fp), limit=view.rules.share_threshold + 1
        )
        view.carriers[(kind, fp)] = [str(r.clustering[0]) for r in rows]
        if len(rows) > view.rules.share_threshold:
            many = await self._scan(schema.customers_by_identifier, (view.tenant, kind, fp), limit=_FLAG_COUNT_LIMIT)
            view.shared_counts[(kind, fp)] = len(many)

    async def _cluster(self, view: View, cluster_id: str) -> None:
        stored, rows = await asyncio.gather(
            self._store.get(schema.clusters_by_id, (view.tenant, cluster_id)),
            self._scan(schema.customers_by_cluster, (view.tenant, cluster_id)),
        )
        if stored is not None:
            view.clusters[cluster_id] = (decode(ClusterRecord, stored.value), stored.version)
        view.cluster_members[cluster_id] = {str(r.clustering[0]) for r in rows}

    async def read(self, tenant: str, rules: Rules, seeds: Iterable[str]) -> View:
        view = View(tenant, rules)
        frontier = set(seeds)
        while frontier:
            room = rules.max_cluster_size * 2 - len(view.nodes)
            batch = sorted(frontier - view.nodes.keys())[: max(room, 0)]
            if len(batch) < len(frontier - view.nodes.keys()):
                view.truncated = True
                log.warning("cluster reconciliation stopped at %d customers in tenant %s", len(view.nodes), tenant)
            if not batch:
                break
            nodes = await asyncio.gather(*(self._node(tenant, c) for c in batch))
            view.nodes.update(zip(batch, nodes, strict=True))
            idents = {(i.kind, i.fingerprint) for n in nodes for i in n.identifiers} - view.carriers.keys()
            clusters = {n.membership.cluster_id for n in nodes if n.membership} - view.cluster_members.keys()
            await asyncio.gather(
                *(self._carriers(view, k, f) for k, f in sorted(idents)),
                *(self._cluster(view, c) for c in sorted(clusters)),
            )
            frontier = set()
            for c in batch:
                frontier |= view.neighbours(c)
            for members in view.cluster_members.values():
                frontier |= members
            frontier -= view.nodes.keys()
        return view
