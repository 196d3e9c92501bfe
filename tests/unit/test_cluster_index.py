"""Edge cases of ``crs._core.ClusterIndex``."""

from __future__ import annotations

import hashlib
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from crs._core import ClusterIndex, CoreError, SnapshotError


def key(i: int) -> bytes:
    return hashlib.sha256(i.to_bytes(8, "big")).digest()[:16]


A, B, C, D = key(1), key(2), key(3), key(4)


def test_self_link_adds_node_without_edge() -> None:
    idx = ClusterIndex()
    assert idx.link(A, A) is False
    assert A in idx
    assert idx.node_count == 1
    assert idx.edge_count == 0
    assert idx.component_count == 1
    assert idx.neighbors(A) == []
    assert idx.path(A, A) == [A]
    assert idx.find(A) == A
    assert idx.unlink(A, A) == []


def test_duplicate_edge_is_idempotent() -> None:
    idx = ClusterIndex()
    assert idx.link(A, B) is True
    assert idx.link(A, B) is False
    assert idx.link(B, A) is False
    assert idx.edge_count == 1
    assert idx.neighbors(A) == [B]
    assert idx.link_many([(A, B), (B, A), (B, C)]) == 1
    assert idx.edge_count == 2
    # One unlink removes the (single) edge; the second is a no-op.
    assert idx.unlink(B, A) == sorted([[A], sorted([B, C])])
    assert idx.unlink(A, B) == []
    assert idx.edge_count == 1


def test_unknown_nodes() -> None:
    idx = ClusterIndex()
    idx.link(A, B)
    assert not idx.contains(C)
    assert idx.find(C) is None
    assert idx.members(C) == []
    assert idx.neighbors(C) == []
    assert idx.component_size(C) == 0
    assert idx.same(C, C) is False
    assert idx.same(A, C) is False
    assert idx.path(A, C) is None
    assert idx.unlink(A, C) == []
    assert idx.remove_node(C) == []
    assert (idx.node_count, idx.edge_count, idx.component_count) == (2, 1, 1)


def test_unconnected_nodes_have_no_path() -> None:
    idx = ClusterIndex.build([(A, B), (C, D)])
    assert idx.component_count == 2
    assert idx.path(A, D) is None
    assert idx.same(A, D) is False
    assert idx.link(B, C) is True
    assert idx.path(A, D) == [A, B, C, D]


@pytest.mark.parametrize("bad", [b"", b"x" * 15, b"x" * 17, b"x" * 32])
def test_wrong_key_length(bad: bytes) -> None:
    idx = ClusterIndex()
    calls: list[Callable[[], object]] = [
        lambda: idx.link(bad, A),
        lambda: idx.link(A, bad),
        lambda: idx.unlink(A, bad),
        lambda: idx.add_node(bad),
        lambda: idx.remove_node(bad),
        lambda: idx.contains(bad),
        lambda: idx.find(bad),
        lambda: idx.members(bad),
        lambda: idx.component_size(bad),
        lambda: idx.same(A, bad),
        lambda: idx.path(bad, A),
        lambda: idx.neighbors(bad),
        lambda: idx.link_many([(A, B), (A, bad)]),
        lambda: ClusterIndex.build([(A, bad)]),
    ]
    for call in calls:
        with pytest.raises(CoreError, match="exactly 16 bytes"):
            call()
    # link_many validates every pair before linking any.
    assert idx.node_count == 0


def test_pairs_must_be_byte_tuples() -> None:
    with pytest.raises(CoreError, match="tuples"):
        ClusterIndex.build([(A, B, C)])  # type: ignore[list-item]
    with pytest.raises(CoreError, match="tuples"):
        ClusterIndex.build([[A, B]])  # type: ignore[list-item]
    with pytest.raises(CoreError, match="tuples"):
        ClusterIndex.build([(A, "x" * 16)])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        idx = ClusterIndex()
        idx.link(A, "x" * 16)  # type: ignore[arg-type]


def test_add_and_remove_node() -> None:
    idx = ClusterIndex()
    assert idx.add_node(A) is True
    assert idx.add_node(A) is False
    idx.link_many([(B, A), (A, C), (A, D), (C, D)])
    assert idx.component_size(B) == 4
    parts = idx.remove_node(A)
    assert parts == sorted([[B], sorted([C, D])])
    assert A not in idx
    assert (idx.node_count, idx.edge_count, idx.component_count) == (3, 1, 2)
    assert idx.remove_node(A) == []
    assert idx.remove_node(B) == []
    assert idx.component_count == 1


def test_find_is_smallest_key_and_order_independent() -> None:
    keys = [key(i) for i in range(50)]
    pairs = [(keys[i], keys[(i * 7 + 3) % 50]) for i in range(50)]
    forward = ClusterIndex()
    forward.link_many(pairs)
    backward = ClusterIndex()
    backward.link_many([(b, a) for a, b in reversed(pairs)])
    built = ClusterIndex.build(pairs)
    for k in keys:
        assert forward.find(k) == backward.find(k) == built.find(k) == min(forward.members(k))


def test_memory_bytes_is_within_budget_after_build() -> None:
    pairs = [(key(2 * i), key(2 * i + 1)) for i in range(20_000)]
    idx = ClusterIndex.build(pairs)
    assert idx.node_count == 40_000
    per_node = idx.memory_bytes() / idx.node_count
    # Keys (16) + node record (20) + hash slot (>= 5) + two half-edges per edge (8 per node here).
    assert 16 + 20 + 5 + 8 <= per_node <= 64


def test_shrink_to_fit_after_incremental_growth() -> None:
    idx = ClusterIndex()
    idx.link_many([(key(2 * i), key(2 * i + 1)) for i in range(20_000)])
    grown = idx.memory_bytes()
    idx.shrink_to_fit()
    assert idx.memory_bytes() <= grown
    assert idx.memory_bytes() / idx.node_count <= 64
    assert idx.same(key(0), key(1))
    assert idx.members(key(39_999)) == sorted([key(39_998), key(39_999)])


def test_load_missing_or_garbage_file(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match="cannot read"):
        ClusterIndex.load(tmp_path / "missing.snap")
    garbage = tmp_path / "garbage.snap"
    garbage.write_bytes(b"\x00" * 100)
    with pytest.raises(SnapshotError, match="magic"):
        ClusterIndex.load(garbage)
    with pytest.raises(SnapshotError, match="cannot create"):
        ClusterIndex().save(tmp_path / "no-such-dir" / "x.snap")


def test_snapshot_version_is_checked(tmp_path: Path) -> None:
    path = tmp_path / "x.snap"
    ClusterIndex.build([(A, B)]).save(path)
    data = bytearray(path.read_bytes())
    data[8] = 2
    path.write_bytes(bytes(data))
    with pytest.raises(SnapshotError, match="version 2"):
        ClusterIndex.load(path)


@pytest.fixture
def no_preemption() -> Iterator[None]:
    """A huge switch interval: the main thread only gives up the GIL when it blocks or releases it."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1000.0)
    try:
        yield
    finally:
        sys.setswitchinterval(old)


def progress_during(work: Callable[[], object]) -> int:
    """How many times a second thread ran Python code while ``work`` ran in this thread.

    The helper sleeps 1 ms between increments with the GIL released; with preemption off, this
    thread never yields the GIL between reading ``before`` and ``after`` unless ``work`` releases it.
    """
    counter = [0]
    stop = threading.Event()

    def count() -> None:
        while not stop.wait(0.001):
            counter[0] += 1

    helper = threading.Thread(target=count)
    helper.start()
    try:
        before = counter[0]
        work()
        after = counter[0]
    finally:
        stop.set()
        helper.join()
    return after - before


def big_pairs() -> list[tuple[bytes, bytes]]:
    keys = [key(i) for i in range(400_000)]
    return [(keys[i], keys[(i * 7919 + 1) % len(keys)]) for i in range(len(keys))]


@pytest.mark.usefixtures("no_preemption")
def test_build_releases_the_gil() -> None:
    pairs = big_pairs()
    assert progress_during(lambda: ClusterIndex.build(pairs)) > 0
    # Control: work that holds the GIL throughout lets the helper make no progress.
    assert progress_during(lambda: sorted(pairs)) == 0


@pytest.mark.usefixtures("no_preemption")
def test_link_many_releases_the_gil() -> None:
    pairs = big_pairs()
    idx = ClusterIndex()
    assert progress_during(lambda: idx.link_many(pairs)) > 0
    assert idx.node_count == 400_000
