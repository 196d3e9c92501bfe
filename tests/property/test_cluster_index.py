"""Property tests for ``crs._core.ClusterIndex`` against a plain Python connected-components reference."""

from __future__ import annotations

import tempfile
from collections import deque
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crs._core import ClusterIndex, SnapshotError

EXAMPLES = settings(max_examples=250, deadline=None)
NODES = 14


def key(i: int) -> bytes:
    # Big-endian in the last bytes, so key order is numeric order; a varied prefix keeps hashing honest.
    return bytes([i * 37 % 251]) + bytes(11) + i.to_bytes(4, "big")


class Reference:
    """Adjacency sets; components by BFS from scratch on every query."""

    def __init__(self) -> None:
        self.adj: dict[bytes, set[bytes]] = {}

    def link(self, a: bytes, b: bytes) -> None:
        self.adj.setdefault(a, set())
        self.adj.setdefault(b, set())
        if a != b:
            self.adj[a].add(b)
            self.adj[b].add(a)

    def unlink(self, a: bytes, b: bytes) -> None:
        if a in self.adj and b in self.adj:
            self.adj[a].discard(b)
            self.adj[b].discard(a)

    def remove_node(self, a: bytes) -> None:
        for n in self.adj.pop(a, set()):
            self.adj[n].discard(a)

    def component(self, a: bytes) -> set[bytes]:
        seen = {a}
        queue = deque([a])
        while queue:
            for n in self.adj[queue.popleft()]:
                if n not in seen:
                    seen.add(n)
                    queue.append(n)
        return seen

    def components(self) -> list[list[bytes]]:
        out: list[list[bytes]] = []
        seen: set[bytes] = set()
        for node in self.adj:
            if node not in seen:
                comp = self.component(node)
                seen |= comp
                out.append(sorted(comp))
        return sorted(out)

    def distance(self, a: bytes, b: bytes) -> int | None:
        dist = {a: 0}
        queue = deque([a])
        while queue:
            cur = queue.popleft()
            if cur == b:
                return dist[cur]
            for n in self.adj[cur]:
                if n not in dist:
                    dist[n] = dist[cur] + 1
                    queue.append(n)
        return None


node_ids = st.integers(min_value=0, max_value=NODES - 1)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("link"), node_ids, node_ids),
        st.tuples(st.just("link"), node_ids, node_ids),
        st.tuples(st.just("unlink"), node_ids, node_ids),
        st.tuples(st.just("remove"), node_ids, node_ids),
    ),
    max_size=60,
)


def split_of(ref: Reference, before: set[bytes], nodes: set[bytes]) -> list[list[bytes]]:
    """What unlink/remove_node should return: the components now covering ``nodes`` if there are >= 2."""
    parts = {frozenset(ref.component(n)) for n in nodes if n in ref.adj}
    assert all(p <= before for p in parts)
    return sorted(sorted(p) for p in parts) if len(parts) >= 2 else []


def check_equal(idx: ClusterIndex, ref: Reference) -> None:
    comps = ref.components()
    assert idx.node_count == len(ref.adj)
    assert idx.edge_count == sum(len(s) for s in ref.adj.values()) // 2
    assert idx.component_count == len(comps)
    for comp in comps:
        for node in comp:
            assert idx.members(node) == comp
            assert idx.find(node) == comp[0]
            assert idx.component_size(node) == len(comp)
            assert idx.neighbors(node) == sorted(ref.adj[node])
    for i in range(NODES):
        a = key(i)
        assert idx.contains(a) == (a in ref.adj)
        for j in range(NODES):
            b = key(j)
            connected = a in ref.adj and b in ref.adj and b in ref.component(a)
            assert idx.same(a, b) == connected
            path = idx.path(a, b)
            if not connected:
                assert path is None
                continue
            assert path is not None
            assert path[0] == a
            assert path[-1] == b
            assert all(y in ref.adj[x] for x, y in pairwise(path))
            assert len(path) - 1 == ref.distance(a, b)


def run(ops: list[tuple[str, int, int]]) -> tuple[ClusterIndex, Reference]:
    idx = ClusterIndex()
    ref = Reference()
    for op, i, j in ops:
        a, b = key(i), key(j)
        if op == "link":
            merged = a in ref.adj and b in ref.adj and b not in ref.component(a)
            fresh = a not in ref.adj or b not in ref.adj
            ref.link(a, b)
            assert idx.link(a, b) == (a != b and (merged or fresh))
        elif op == "unlink":
            had_edge = a in ref.adj and b in ref.adj[a]
            before = ref.component(a) if had_edge else set()
            ref.unlink(a, b)
            expected = split_of(ref, before, {a, b}) if had_edge else []
            assert idx.unlink(a, b) == expected
        else:
            before = ref.component(a) if a in ref.adj else set()
            ref.remove_node(a)
            assert idx.remove_node(a) == split_of(ref, before, before - {a})
    return idx, ref


@EXAMPLES
@given(operations)
def test_matches_reference(ops: list[tuple[str, int, int]]) -> None:
    idx, ref = run(ops)
    check_equal(idx, ref)


@EXAMPLES
@given(operations)
def test_build_equals_incremental(ops: list[tuple[str, int, int]]) -> None:
    _, ref = run(ops)
    pairs = [(a, b) for a, ns in ref.adj.items() for b in ns] + [(a, a) for a in ref.adj]
    check_equal(ClusterIndex.build(pairs), ref)
    many = ClusterIndex()
    many.link_many(pairs)
    check_equal(many, ref)


@settings(max_examples=60, deadline=None)
@given(operations)
def test_snapshot_round_trip(ops: list[tuple[str, int, int]]) -> None:
    idx, ref = run(ops)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "index.snap"
        idx.save(path)
        loaded = ClusterIndex.load(path)
        check_equal(loaded, ref)
        # Saving the loaded index gives the same bytes (canonical format).
        loaded.save(Path(tmp) / "again.snap")
        assert (Path(tmp) / "again.snap").read_bytes() == path.read_bytes()


@pytest.fixture(scope="module")
def snapshot_bytes() -> bytes:
    idx = ClusterIndex()
    for i in range(10):
        idx.link(key(i), key((i * 3) % 10))
    idx.add_node(key(11))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "index.snap"
        idx.save(path)
        return path.read_bytes()


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_truncated_or_corrupted_snapshot_raises(snapshot_bytes: bytes, data: st.DataObject) -> None:
    if data.draw(st.booleans(), label="truncate"):
        cut = data.draw(st.integers(min_value=0, max_value=len(snapshot_bytes) - 1), label="cut")
        bad = snapshot_bytes[:cut]
    else:
        at = data.draw(st.integers(min_value=0, max_value=len(snapshot_bytes) - 1), label="at")
        flip = data.draw(st.integers(min_value=1, max_value=255), label="flip")
        bad = snapshot_bytes[:at] + bytes([snapshot_bytes[at] ^ flip]) + snapshot_bytes[at + 1 :]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bad.snap"
        path.write_bytes(bad)
        with pytest.raises(SnapshotError):
            ClusterIndex.load(path)
