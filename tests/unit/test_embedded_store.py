"""The ``Store`` contract, exercised on ``EmbeddedStore`` (SQLite, WAL) in a temporary file."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Coroutine, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypeVar

import pytest

from crs._core import StoreBusyError
from crs.storage import embedded, schema
from crs.storage.base import (
    ConditionFailed,
    Delete,
    NotExists,
    Put,
    Record,
    Store,
    StoreUnavailable,
    Table,
    VersionIs,
    Write,
)
from crs.storage.embedded import EmbeddedStore

T = TypeVar("T")

ITEMS = Table("items_by_owner", ("owner",), ("item",), "test: the items of one owner")
PAIRS = Table("pairs_by_group", ("tenant", "group"), ("a", "b"), "test: two clustering columns, int partition part")
THINGS = Table("things_by_id", ("tenant", "id"), (), "test: get one thing by id")
TINY_TTL = Table("tiny_ttl", ("k",), (), "test: rows live one second", ttl_seconds=1)
TABLES = (ITEMS, PAIRS, THINGS, TINY_TTL)


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    s = EmbeddedStore(tmp_path / "crs.db", TABLES)
    yield s
    run(s.close())


def put(table: Table, key: tuple[str | int, ...], value: bytes, version: str = "v1", **kw: Any) -> Put:
    return Put(table, key, value, version, **kw)


def apply(store: EmbeddedStore, *writes: Write) -> None:
    run(store.apply(list(writes)))


# --------------------------------------------------------------------------- get / get_many


def test_get_missing_is_none(store: EmbeddedStore) -> None:
    assert run(store.get(THINGS, ("acme", "nope"))) is None


def test_put_then_get(store: EmbeddedStore) -> None:
    apply(store, put(THINGS, ("acme", "t1"), b"\x00value\xff", "ver-1"))
    assert run(store.get(THINGS, ("acme", "t1"))) == Record(b"\x00value\xff", "ver-1")
    # same id in another tenant is another row
    assert run(store.get(THINGS, ("globex", "t1"))) is None


def test_unconditional_put_replaces(store: EmbeddedStore) -> None:
    apply(store, put(THINGS, ("acme", "t1"), b"one", "v1"))
    apply(store, put(THINGS, ("acme", "t1"), b"two", "v2"))
    assert run(store.get(THINGS, ("acme", "t1"))) == Record(b"two", "v2")


def test_get_many_keeps_request_order_and_reports_missing(store: EmbeddedStore) -> None:
    apply(store, put(THINGS, ("acme", "a"), b"A", "va"), put(THINGS, ("acme", "c"), b"C", "vc"))
    got = run(store.get_many(THINGS, [("acme", "c"), ("acme", "b"), ("acme", "a"), ("acme", "c")]))
    assert got == [Record(b"C", "vc"), None, Record(b"A", "va"), Record(b"C", "vc")]
    assert run(store.get_many(THINGS, [])) == []


def test_get_each_reads_several_tables_in_request_order(store: EmbeddedStore) -> None:
    apply(store, put(THINGS, ("acme", "a"), b"A", "va"), put(ITEMS, ("o1", "i1"), b"I", "vi"))
    reads = [(ITEMS, ("o1", "i1")), (THINGS, ("acme", "b")), (THINGS, ("acme", "a")), (ITEMS, ("o1", "i2"))]
    assert run(store.get_each(reads)) == [Record(b"I", "vi"), None, Record(b"A", "va"), None]
    assert run(store.get_each([])) == []
    with pytest.raises(ValueError):
        run(store.get_each([(THINGS, ("acme", "a")), (THINGS, ("acme",))]))


def test_get_each_honours_expiry(store: EmbeddedStore, clock: FakeClock) -> None:
    apply(store, put(TINY_TTL, ("k",), b"short-lived", "v1"), put(THINGS, ("acme", "a"), b"A", "va"))
    assert run(store.get_each([(TINY_TTL, ("k",)), (THINGS, ("acme", "a"))]))[0] is not None
    clock.now += 1.0
    assert run(store.get_each([(TINY_TTL, ("k",)), (THINGS, ("acme", "a"))])) == [None, Record(b"A", "va")]


INDEX = Table("things_by_code", ("tenant", "code"), (), "test: an index naming a thing by its id")
OWNED = Table("owned_by_tenant", ("tenant",), ("owner", "id"), "test: an index naming a clustered row")


def _index_data(store: EmbeddedStore) -> None:
    apply(
        store,
        put(THINGS, ("acme", "t1"), b"thing one", "vt"),
        put(INDEX, ("acme", "c1"), b"t1", "vi"),
        put(INDEX, ("acme", "dangling"), b"t9", "vd"),
        put(OWNED, ("acme", "o", "t1"), b"owned one", "vo"),
    )


@pytest.fixture
def indexed(tmp_path: Path) -> Iterator[EmbeddedStore]:
    s = EmbeddedStore(tmp_path / "crs.db", (*TABLES, INDEX, OWNED))
    _index_data(s)
    yield s
    run(s.close())


def test_get_through_follows_the_index_row_like_the_interface_default(indexed: EmbeddedStore) -> None:
    """The embedded store answers both reads in one _core call; ``Store.get_through`` (what Cassandra runs) in
    two: the answers agree, for a row in the partition key and one in the clustering key."""
    cases = [
        ((INDEX, ("acme", "c1"), THINGS, ("acme",)), (Record(b"t1", "vi"), Record(b"thing one", "vt"))),
        ((INDEX, ("acme", "c1"), OWNED, ("acme", "o")), (Record(b"t1", "vi"), Record(b"owned one", "vo"))),
        ((INDEX, ("acme", "dangling"), THINGS, ("acme",)), (Record(b"t9", "vd"), None)),
        ((INDEX, ("acme", "none"), THINGS, ("acme",)), (None, None)),
        ((INDEX, ("other", "c1"), THINGS, ("other",)), (None, None)),
    ]
    for args, expected in cases:
        assert run(indexed.get_through(*args)) == expected, args
        assert run(Store.get_through(indexed, *args)) == expected, args


def test_get_through_checks_shapes_and_refuses_an_index_value_that_is_not_key_text(indexed: EmbeddedStore) -> None:
    with pytest.raises(ValueError, match="things_by_id: key has 3 parts"):
        run(indexed.get_through(INDEX, ("acme", "c1"), THINGS, ("acme", "x")))
    with pytest.raises(ValueError):
        run(indexed.get_through(INDEX, ("acme",), THINGS, ("acme",)))
    for bad in (b"t\n1", b"\xfft1"):
        apply(indexed, put(INDEX, ("acme", "bad"), bad, "vb"))
        for read in (indexed.get_through, lambda *a: Store.get_through(indexed, *a)):
            with pytest.raises(StoreUnavailable, match="not key text") as caught:
                run(read(INDEX, ("acme", "bad"), THINGS, ("acme",)))
            assert "t\n1" not in str(caught.value)


def test_get_each_and_scan_answers_both_like_the_interface_default(indexed: EmbeddedStore) -> None:
    _fill_items(indexed, "o", ["a", "b", "c"])
    reads = [(THINGS, ("acme", "t1")), (INDEX, ("acme", "none"))]
    found, rows = run(indexed.get_each_and_scan(reads, ITEMS, ("o",), limit=2))
    assert found == [Record(b"thing one", "vt"), None]
    assert [(r.clustering, r.record.value) for r in rows] == [(("a",), b"a"), (("b",), b"b")]
    assert run(Store.get_each_and_scan(indexed, reads, ITEMS, ("o",), limit=2)) == (found, rows)
    assert run(indexed.get_each_and_scan([], ITEMS, ("nobody",), limit=5)) == ([], [])
    with pytest.raises(ValueError):
        run(indexed.get_each_and_scan(reads, ITEMS, ("o", "extra"), limit=2))
    with pytest.raises(ValueError):
        run(indexed.get_each_and_scan([(THINGS, ("acme",))], ITEMS, ("o",), limit=2))


def test_key_shape_is_checked(store: EmbeddedStore) -> None:
    with pytest.raises(ValueError):
        run(store.get(THINGS, ("acme",)))
    with pytest.raises(ValueError):
        run(store.get(THINGS, ("acme", "a", "b")))
    with pytest.raises(ValueError):
        run(store.get(THINGS, ("acme", "bad\x1fid")))


def test_invalid_key_in_apply_writes_nothing(store: EmbeddedStore) -> None:
    with pytest.raises(ValueError):
        apply(store, put(THINGS, ("acme", "ok"), b"x"), put(THINGS, ("acme", "ctl\nchar"), b"y"))
    assert run(store.get(THINGS, ("acme", "ok"))) is None


def test_default_tables_exist(tmp_path: Path) -> None:
    s = EmbeddedStore(tmp_path / "all.db")
    try:
        for table in schema.ALL_TABLES:
            key = tuple(f"k{i}" for i in range(len(table.key_columns)))
            run(s.apply([Put(table, key, table.name.encode(), "v")]))
            assert run(s.get(table, key)) == Record(table.name.encode(), "v")
    finally:
        run(s.close())


# --------------------------------------------------------------------------- scan

# Prefixes, the separator's neighbours, upper/lower case, non-ASCII and astral characters.
CLUSTERING = ["", " ", "!", "0", "9", "A", "Z", "a", "a b", "a!", "a-b", "ab", "a\x7f", "b", "z", "~"]
CLUSTERING += ["é", "ÿ", "中", "😀"]


def _fill_items(store: EmbeddedStore, owner: str, items: list[str]) -> None:
    shuffled = list(items)
    random.Random(7).shuffle(shuffled)
    apply(store, *(put(ITEMS, (owner, item), item.encode(), f"v-{item}") for item in shuffled))


def test_scan_returns_clustering_order(store: EmbeddedStore) -> None:
    _fill_items(store, "o1", CLUSTERING)
    rows = run(store.scan(ITEMS, ("o1",), limit=1000))
    assert [r.clustering for r in rows] == [(c,) for c in sorted(CLUSTERING)]
    assert [r.record for r in rows] == [Record(c.encode(), f"v-{c}") for c in sorted(CLUSTERING)]


def test_scan_stays_in_its_partition(store: EmbeddedStore) -> None:
    _fill_items(store, "o", ["x1", "x2"])
    _fill_items(store, "o1", ["y1"])
    _fill_items(store, "o 1", ["z1"])
    _fill_items(store, "", ["e1"])
    assert [r.clustering for r in run(store.scan(ITEMS, ("o",), limit=10))] == [("x1",), ("x2",)]
    assert [r.clustering for r in run(store.scan(ITEMS, ("o1",), limit=10))] == [("y1",)]
    assert [r.clustering for r in run(store.scan(ITEMS, ("",), limit=10))] == [("e1",)]
    assert run(store.scan(ITEMS, ("other",), limit=10)) == []


def test_scan_int_partition_parts(store: EmbeddedStore) -> None:
    for bucket in (1, 10, 2):
        apply(store, put(PAIRS, ("t", bucket, "a", str(bucket)), b"x"))
    for bucket in (1, 10, 2):
        rows = run(store.scan(PAIRS, ("t", bucket), limit=10))
        assert [r.clustering for r in rows] == [("a", str(bucket))]
    assert run(store.scan(PAIRS, ("t", 3), limit=10)) == []


def test_scan_after_before_are_exclusive(store: EmbeddedStore) -> None:
    items = [f"i{n:02d}" for n in range(10)]
    _fill_items(store, "o", items)

    def cks(**kw: Any) -> list[str]:
        return [str(r.clustering[0]) for r in run(store.scan(ITEMS, ("o",), limit=kw.pop("limit", 100), **kw))]

    assert cks(after=("i03",)) == items[4:]
    assert cks(before=("i03",)) == items[:3]
    assert cks(after=("i03",), before=("i07",)) == items[4:7]
    assert cks(after=("i03",), before=("i04",)) == []
    assert cks(after=("i09",)) == []
    # bounds that are not stored keys
    assert cks(after=("i035",), before=("i06x",)) == ["i04", "i05", "i06"]
    assert cks(after=("",)) == items
    assert cks(before=("j",)) == items


def test_scan_limit(store: EmbeddedStore) -> None:
    items = [f"i{n:02d}" for n in range(10)]
    _fill_items(store, "o", items)
    assert [r.clustering for r in run(store.scan(ITEMS, ("o",), limit=3))] == [("i00",), ("i01",), ("i02",)]
    assert [r.clustering for r in run(store.scan(ITEMS, ("o",), after=("i05",), limit=2))] == [("i06",), ("i07",)]
    assert run(store.scan(ITEMS, ("o",), limit=0)) == []


def test_scan_pages_by_after_visit_every_row_once(store: EmbeddedStore) -> None:
    _fill_items(store, "o", CLUSTERING)
    seen: list[tuple[Any, ...]] = []
    after = None
    while True:
        rows = run(store.scan(ITEMS, ("o",), after=after, limit=3))
        if not rows:
            break
        seen += [r.clustering for r in rows]
        after = rows[-1].clustering
    assert seen == [(c,) for c in sorted(CLUSTERING)]


def test_scan_two_clustering_columns(store: EmbeddedStore) -> None:
    keys = [("a", "2"), ("a", "10"), ("ab", "1"), ("a b", "1"), ("b", ""), ("a", ""), ("", "z")]
    apply(store, *(put(PAIRS, ("t", 0, *k), "/".join(k).encode()) for k in keys))
    rows = run(store.scan(PAIRS, ("t", 0), limit=100))
    assert [r.clustering for r in rows] == sorted(keys)
    assert [r.record.value for r in rows] == ["/".join(k).encode() for k in sorted(keys)]
    after = run(store.scan(PAIRS, ("t", 0), after=("a", "10"), before=("ab", "1"), limit=100))
    assert [r.clustering for r in after] == [("a", "2"), ("a b", "1")]


# --------------------------------------------------------------------------- apply, conditions, delete


def test_apply_is_atomic_when_last_condition_fails(store: EmbeddedStore) -> None:
    apply(store, put(THINGS, ("acme", "taken"), b"original", "v0"), put(THINGS, ("acme", "doomed"), b"keep", "vd"))
    writes: list[Write] = [
        put(THINGS, ("acme", "new-1"), b"1"),
        put(ITEMS, ("o", "new-2"), b"2"),
        put(THINGS, ("acme", "taken"), b"overwritten-unconditionally", "vx"),
        Delete(THINGS, ("acme", "doomed")),
        put(THINGS, ("acme", "taken"), b"second", "v2", condition=NotExists()),
    ]
    with pytest.raises(ConditionFailed) as excinfo:
        run(store.apply(writes))
    assert excinfo.value.write is writes[-1]
    assert run(store.get(THINGS, ("acme", "new-1"))) is None
    assert run(store.get(ITEMS, ("o", "new-2"))) is None
    assert run(store.get(THINGS, ("acme", "taken"))) == Record(b"original", "v0")
    assert run(store.get(THINGS, ("acme", "doomed"))) == Record(b"keep", "vd")
    # the store is still usable after the rollback
    apply(store, put(THINGS, ("acme", "new-1"), b"1"))
    assert run(store.get(THINGS, ("acme", "new-1"))) == Record(b"1", "v1")


def test_not_exists(store: EmbeddedStore) -> None:
    apply(store, put(THINGS, ("acme", "k"), b"first", "v1", condition=NotExists()))
    assert run(store.get(THINGS, ("acme", "k"))) == Record(b"first", "v1")
    with pytest.raises(ConditionFailed) as excinfo:
        apply(store, put(THINGS, ("acme", "k"), b"second", "v2", condition=NotExists()))
    assert excinfo.value.current == Record(b"first", "v1")
    assert excinfo.value.write.key == ("acme", "k")
    assert "things_by_id" in str(excinfo.value)
    assert run(store.get(THINGS, ("acme", "k"))) == Record(b"first", "v1")


def test_version_is(store: EmbeddedStore) -> None:
    apply(store, put(THINGS, ("acme", "k"), b"one", "v1"))
    apply(store, put(THINGS, ("acme", "k"), b"two", "v2", condition=VersionIs("v1")))
    assert run(store.get(THINGS, ("acme", "k"))) == Record(b"two", "v2")

    with pytest.raises(ConditionFailed) as excinfo:
        apply(store, put(THINGS, ("acme", "k"), b"three", "v3", condition=VersionIs("v1")))
    assert excinfo.value.current == Record(b"two", "v2")
    assert run(store.get(THINGS, ("acme", "k"))) == Record(b"two", "v2")

    with pytest.raises(ConditionFailed) as excinfo:
        apply(store, put(THINGS, ("acme", "missing"), b"x", "v1", condition=VersionIs("v1")))
    assert excinfo.value.current is None
    assert run(store.get(THINGS, ("acme", "missing"))) is None


def test_delete(store: EmbeddedStore) -> None:
    _fill_items(store, "o", ["a", "b", "c"])
    apply(store, Delete(ITEMS, ("o", "b")))
    assert run(store.get(ITEMS, ("o", "b"))) is None
    assert [r.clustering for r in run(store.scan(ITEMS, ("o",), limit=10))] == [("a",), ("c",)]
    apply(store, Delete(ITEMS, ("o", "never-there")))  # deleting a missing row is not an error


def test_conditional_delete(store: EmbeddedStore) -> None:
    apply(store, put(THINGS, ("acme", "k"), b"x", "v1"))
    with pytest.raises(ConditionFailed) as excinfo:
        apply(store, Delete(THINGS, ("acme", "k"), condition=VersionIs("v0")))
    assert excinfo.value.current == Record(b"x", "v1")
    with pytest.raises(ConditionFailed):
        apply(store, Delete(THINGS, ("acme", "k"), condition=NotExists()))
    assert run(store.get(THINGS, ("acme", "k"))) == Record(b"x", "v1")
    apply(store, Delete(THINGS, ("acme", "k"), condition=VersionIs("v1")))
    assert run(store.get(THINGS, ("acme", "k"))) is None
    with pytest.raises(ConditionFailed) as excinfo:
        apply(store, Delete(THINGS, ("acme", "k"), condition=VersionIs("v1")))
    assert excinfo.value.current is None


def test_empty_apply_is_a_no_op(store: EmbeddedStore) -> None:
    apply(store)
    assert run(store.healthy()) is True


# --------------------------------------------------------------------------- TTL


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock(1_700_000_000.0)
    monkeypatch.setattr(embedded, "time", SimpleNamespace(time=fake.time))
    return fake


def test_ttl_rows_expire(store: EmbeddedStore, clock: FakeClock) -> None:
    apply(store, put(TINY_TTL, ("k",), b"short-lived"), put(THINGS, ("acme", "forever"), b"x"))
    clock.now += 0.5
    assert run(store.get(TINY_TTL, ("k",))) == Record(b"short-lived", "v1")
    clock.now += 0.5  # exactly ttl_seconds later: expired
    assert run(store.get(TINY_TTL, ("k",))) is None
    assert run(store.get_many(TINY_TTL, [("k",)])) == [None]
    assert run(store.scan(TINY_TTL, ("k",), limit=10)) == []
    clock.now += 10**6
    assert run(store.get(THINGS, ("acme", "forever"))) == Record(b"x", "v1")


def test_ttl_expired_rows_do_not_satisfy_conditions(store: EmbeddedStore, clock: FakeClock) -> None:
    apply(store, put(TINY_TTL, ("a",), b"old", "v1"), put(TINY_TTL, ("b",), b"old", "v1"))
    with pytest.raises(ConditionFailed) as excinfo:
        apply(store, put(TINY_TTL, ("a",), b"new", "v2", condition=NotExists()))
    assert excinfo.value.current == Record(b"old", "v1")

    clock.now += 1.5
    apply(store, put(TINY_TTL, ("a",), b"new", "v2", condition=NotExists()))
    assert run(store.get(TINY_TTL, ("a",))) == Record(b"new", "v2")
    with pytest.raises(ConditionFailed) as excinfo:
        apply(store, put(TINY_TTL, ("b",), b"new", "v2", condition=VersionIs("v1")))
    assert excinfo.value.current is None

    # a rewritten row gets a fresh TTL from its own write time
    clock.now += 0.9
    assert run(store.get(TINY_TTL, ("a",))) == Record(b"new", "v2")
    clock.now += 0.2
    assert run(store.get(TINY_TTL, ("a",))) is None


# --------------------------------------------------------------------------- lifecycle


def test_reopen_after_close_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "crs.db"
    first = EmbeddedStore(path, TABLES)
    apply(first, put(THINGS, ("acme", "durable"), b"still here", "v9"))
    _fill_items(first, "o", ["a", "b"])
    run(first.close())
    run(first.close())  # idempotent

    second = EmbeddedStore(path, TABLES)
    try:
        assert second.path == path
        assert run(second.get(THINGS, ("acme", "durable"))) == Record(b"still here", "v9")
        assert [r.clustering for r in run(second.scan(ITEMS, ("o",), limit=10))] == [("a",), ("b",)]
    finally:
        run(second.close())


def test_closed_store_is_unavailable(tmp_path: Path) -> None:
    s = EmbeddedStore(tmp_path / "crs.db", TABLES)
    assert run(s.healthy()) is True
    run(s.close())
    assert run(s.healthy()) is False
    with pytest.raises(StoreUnavailable):
        run(s.get(THINGS, ("acme", "x")))
    with pytest.raises(StoreUnavailable):
        run(s.scan(ITEMS, ("o",), limit=1))
    with pytest.raises(StoreUnavailable):
        apply(s, put(THINGS, ("acme", "x"), b"x"))


# --------------------------------------------------------------------------- the _core reader


def test_reads_see_what_another_process_committed(tmp_path: Path) -> None:
    """Keyed reads and scans go through ``_core.StoreReader`` (its own connection): a row committed by another
    connection to the file (another worker process) is visible to the next read, and so is its deletion."""
    path = tmp_path / "crs.db"
    reader, other = EmbeddedStore(path, TABLES), EmbeddedStore(path, TABLES)
    try:
        assert run(reader.get(THINGS, ("acme", "late"))) is None
        apply(other, put(THINGS, ("acme", "late"), b"written elsewhere", "v2"))
        _fill_items(other, "o", ["x", "y"])
        assert run(reader.get(THINGS, ("acme", "late"))) == Record(b"written elsewhere", "v2")
        assert [r.clustering for r in run(reader.scan(ITEMS, ("o",), limit=10))] == [("x",), ("y",)]
        apply(other, Delete(THINGS, ("acme", "late")))
        assert run(reader.get(THINGS, ("acme", "late"))) is None
    finally:
        run(reader.close())
        run(other.close())


def test_a_busy_file_is_read_on_the_path_that_waits_without_the_gil(indexed: EmbeddedStore) -> None:
    """The _core reader keeps the GIL, so it waits only 20 ms for a lock and then raises StoreBusyError; the read
    is retried on Python's sqlite3, which waits with the GIL released. A WAL reader is almost never refused a
    lock (another connection in exclusive locking mode, WAL recovery), which cannot be timed for a test: the
    refusal is simulated; the retry reads the real file."""

    class Busy:
        def __init__(self) -> None:
            self.calls = 0

        def get(self, *args: object) -> None:
            self.calls += 1
            raise StoreBusyError("store read: database is locked")

        scan = get_each = get_each_scan = get_through = get
        get_key = get_each_keys = get_each_scan_keys = get_through_keys = get

    store = indexed
    apply(store, put(THINGS, ("acme", "t"), b"value", "v1"))
    _fill_items(store, "o", ["a", "b"])
    real, busy = store._fast, Busy()
    store._fast = busy  # type: ignore[assignment]
    try:
        assert run(store.get(THINGS, ("acme", "t"))) == Record(b"value", "v1")
        assert run(store.get(THINGS, ("acme", "missing"))) is None
        rows = run(store.scan(ITEMS, ("o",), after=("a",), limit=10))
        assert [(r.clustering, r.record.value) for r in rows] == [(("b",), b"b")]
        assert run(store.get_each([(THINGS, ("acme", "t")), (THINGS, ("acme", "x"))])) == [Record(b"value", "v1"), None]
        found, rows = run(store.get_each_and_scan([(THINGS, ("acme", "t"))], ITEMS, ("o",), limit=1))
        assert (found, [r.record.value for r in rows]) == ([Record(b"value", "v1")], [b"a"])
        assert run(store.get_through(INDEX, ("acme", "c1"), THINGS, ("acme",))) == (
            Record(b"t1", "vi"),
            Record(b"thing one", "vt"),
        )
        assert busy.calls == 10  # every _core read refused, the fallbacks' own reads (``get``, ``scan``) too
    finally:
        store._fast = real


def test_a_failed_read_is_store_unavailable(store: EmbeddedStore) -> None:
    """Any other read error of the _core reader (I/O, a closed connection) is StoreUnavailable: UNAVAILABLE to
    the caller, who may retry; the message names no key."""
    store._fast.close()
    with pytest.raises(StoreUnavailable, match="store read failed") as caught:
        run(store.get(THINGS, ("acme", "secret-id")))
    assert "secret-id" not in str(caught.value)
    with pytest.raises(StoreUnavailable):
        run(store.scan(ITEMS, ("o",), limit=1))
    with pytest.raises(StoreUnavailable):
        run(store.get_each_and_scan([(THINGS, ("acme", "secret-id"))], ITEMS, ("o",), limit=1))
    with pytest.raises(StoreUnavailable):
        run(store.get_through(THINGS, ("acme", "secret-id"), THINGS, ("acme",)))


# --------------------------------------------------------------------------- concurrency


async def _race(stores: list[EmbeddedStore], tasks: int) -> list[BaseException | None]:
    async def one(i: int) -> None:
        s = stores[i % len(stores)]
        await s.apply([put(THINGS, ("acme", "contended"), f"writer-{i}".encode(), f"v{i}", condition=NotExists())])

    return list(await asyncio.gather(*(one(i) for i in range(tasks)), return_exceptions=True))


def _check_one_winner(store: EmbeddedStore, results: list[BaseException | None]) -> None:
    winners = [i for i, r in enumerate(results) if r is None]
    assert len(winners) == 1, results
    losers = [r for r in results if r is not None]
    assert all(isinstance(r, ConditionFailed) for r in losers), losers
    winner = Record(f"writer-{winners[0]}".encode(), f"v{winners[0]}")
    assert all(r.current == winner for r in losers if isinstance(r, ConditionFailed))
    assert run(store.get(THINGS, ("acme", "contended"))) == winner


def test_concurrent_not_exists_exactly_one_wins(store: EmbeddedStore) -> None:
    results = run(_race([store], 40))
    _check_one_winner(store, results)


def test_concurrent_not_exists_across_two_stores_on_one_file(tmp_path: Path) -> None:
    a = EmbeddedStore(tmp_path / "shared.db", TABLES)
    b = EmbeddedStore(tmp_path / "shared.db", TABLES)
    try:
        results = run(_race([a, b], 40))
        _check_one_winner(a, results)
        assert run(b.get(THINGS, ("acme", "contended"))) == run(a.get(THINGS, ("acme", "contended")))
    finally:
        run(a.close())
        run(b.close())


# --------------------------------------------------------------------------- snapshots


def test_a_snapshot_reads_one_state_of_the_file_until_it_ends(store: EmbeddedStore) -> None:
    async def body() -> None:
        await store.apply([put(THINGS, ("acme", "t"), b"old", "v1"), put(ITEMS, ("o", "a"), b"old", "v1")])
        async with store.snapshot():
            assert await store.get(THINGS, ("acme", "t")) == Record(b"old", "v1")  # fixes the snapshot
            await store.apply([put(THINGS, ("acme", "t"), b"new", "v2"), put(ITEMS, ("o", "a"), b"new", "v2")])
            assert await store.get(THINGS, ("acme", "t")) == Record(b"old", "v1")
            assert await store.get_each([(THINGS, ("acme", "t")), (ITEMS, ("o", "a"))]) == [Record(b"old", "v1")] * 2
            found, rows = await store.get_each_and_scan([(THINGS, ("acme", "t"))], ITEMS, ("o",), limit=5)
            assert (found, [r.record for r in rows]) == ([Record(b"old", "v1")], [Record(b"old", "v1")])
            assert [r.record for r in await store.scan(ITEMS, ("o",), limit=5)] == [Record(b"old", "v1")]
            async with store.snapshot():  # an inner snapshot joins the outer one, and leaves it open
                assert await store.get(THINGS, ("acme", "t")) == Record(b"old", "v1")
            assert await store.get(THINGS, ("acme", "t")) == Record(b"old", "v1")
        assert await store.get(THINGS, ("acme", "t")) == Record(b"new", "v2")
        async with store.snapshot():  # the next snapshot starts from the latest state
            assert await store.get(THINGS, ("acme", "t")) == Record(b"new", "v2")

    run(body())


def test_get_through_in_a_snapshot_reads_both_rows_from_its_state(indexed: EmbeddedStore) -> None:
    through = (INDEX, ("acme", "c1"), THINGS, ("acme",))

    async def body() -> None:
        async with indexed.snapshot():
            before = await indexed.get_through(*through)
            await indexed.apply([put(THINGS, ("acme", "t1"), b"changed", "v9")])
            assert await indexed.get_through(*through) == before
        after = await indexed.get_through(*through)
        assert after[1] == Record(b"changed", "v9") != before[1]

    run(body())


def test_reads_outside_a_snapshot_never_see_another_tasks_snapshot(store: EmbeddedStore) -> None:
    """A task suspended inside its snapshot keeps its reader: the other tasks' reads (plain ones, and snapshots
    of their own up to the reader limit, then plain ones) see the latest state, their own writes included."""

    async def body() -> None:
        await store.apply([put(THINGS, ("acme", "t"), b"old", "v1")])
        holding = asyncio.Event()
        release = asyncio.Event()

        async def holder() -> Record | None:
            async with store.snapshot():
                first = await store.get(THINGS, ("acme", "t"))
                holding.set()
                await release.wait()
                assert await store.get(THINGS, ("acme", "t")) == first
                return first

        held = asyncio.create_task(holder())
        await holding.wait()
        await store.apply([put(THINGS, ("acme", "t"), b"new", "v2")])
        assert await store.get(THINGS, ("acme", "t")) == Record(b"new", "v2")
        async with store.snapshot():  # a second reader
            assert await store.get(THINGS, ("acme", "t")) == Record(b"new", "v2")
            async with store.snapshot():
                pass
            assert len(store._snapshot_readers) == 2

        async def third() -> None:  # the second reader is free again: lent to this snapshot
            async with store.snapshot():
                assert await store.get(THINGS, ("acme", "t")) == Record(b"new", "v2")
                await store.apply([put(THINGS, ("acme", "t"), b"newer", "v3")])

        await third()
        assert len(store._snapshot_readers) == 2, "idle readers are lent again, not reopened"
        await store.apply([put(THINGS, ("acme", "t"), b"newest", "v4")])

        second_holding = asyncio.Event()

        async def second_holder() -> None:
            async with store.snapshot():
                assert await store.get(THINGS, ("acme", "t")) == Record(b"newest", "v4")
                second_holding.set()
                await release.wait()
                assert await store.get(THINGS, ("acme", "t")) == Record(b"newest", "v4")

        held_too = asyncio.create_task(second_holder())
        await second_holding.wait()
        async with store.snapshot():  # every reader lent: this snapshot's reads stand alone
            assert await store.get(THINGS, ("acme", "t")) == Record(b"newest", "v4")
            await store.apply([put(THINGS, ("acme", "t"), b"latest", "v5")])
            assert await store.get(THINGS, ("acme", "t")) == Record(b"latest", "v5")
        release.set()
        assert await held == Record(b"old", "v1")
        await held_too
        assert len(store._snapshot_readers) == embedded._SNAPSHOT_READERS

    run(body())


def test_a_snapshot_ends_when_its_body_raises_and_fails_cleanly_after_close(tmp_path: Path) -> None:
    s = EmbeddedStore(tmp_path / "crs.db", TABLES)

    async def body() -> None:
        await s.apply([put(THINGS, ("acme", "t"), b"old", "v1")])
        with pytest.raises(KeyError):
            async with s.snapshot():
                await s.get(THINGS, ("acme", "t"))
                raise KeyError("the caller's own error")
        await s.apply([put(THINGS, ("acme", "t"), b"new", "v2")])
        async with s.snapshot():  # the reader came back without its old transaction
            assert await s.get(THINGS, ("acme", "t")) == Record(b"new", "v2")
            await s.close()
            with pytest.raises(StoreUnavailable):
                await s.get(THINGS, ("acme", "t"))
        with pytest.raises(StoreUnavailable):
            async with s.snapshot():
                pass

    run(body())


def test_a_task_started_inside_a_snapshot_reads_on_its_own_once_the_snapshot_ends(store: EmbeddedStore) -> None:
    async def body() -> None:
        await store.apply([put(THINGS, ("acme", "t"), b"old", "v1")])
        go = asyncio.Event()

        async def child() -> Record | None:
            await go.wait()
            return await store.get(THINGS, ("acme", "t"))

        async with store.snapshot():
            await store.get(THINGS, ("acme", "t"))
            task = asyncio.create_task(child())  # inherits the snapshot's lease
        async with store.snapshot():  # the same reader, lent again: its snapshot holds the old state
            assert await store.get(THINGS, ("acme", "t")) == Record(b"old", "v1")
            await store.apply([put(THINGS, ("acme", "t"), b"new", "v2")])
            go.set()
            assert await task == Record(b"new", "v2"), "the child read in another task's snapshot"
        assert len(store._snapshot_readers) == 1

    run(body())
