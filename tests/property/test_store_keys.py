"""The embedded store's keyed reads encode keys in ``_core`` (``store_keys.rs``) as ``crs.storage.keys.encode_key``
does: over random keys (text with and without control characters, integers in and out of range, bools, other
types, wrong shapes), a row written under the Python encoding is found by each ``_core`` keyed read, and a key
``_core`` refuses (``StoreKeyError``) is exactly one it should leave to Python; through the store, every key
answers what the Python encoding answers, the same error included."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crs._core import StoreKeyError
from crs.storage.base import Put, Record, Table
from crs.storage.embedded import EmbeddedStore
from crs.storage.keys import encode_key

ROWS = Table("rows_by_ab", ("a", "b"), ("c",), "test: two partition parts, one clustering part")
NAMED = Table("named_by_id", ("a", "id"), (), "test: the rows an index names")
INDEX = Table("index_by_x", ("x",), (), "test: an index row naming a NAMED row")

text = st.text(alphabet=st.characters(codec="utf-8"), max_size=6) | st.sampled_from(["", "a\x1fb", "\x00", "tab\t"])
integer = st.integers(min_value=-5, max_value=2**70) | st.sampled_from([10**20 - 1, 10**20, 0])
part: st.SearchStrategy[Any] = text | integer | st.booleans() | st.just(1.5) | st.none()
key3 = st.tuples(part, part, part) | st.lists(part, max_size=4).map(tuple)


def simple(p: object) -> bool:
    """What ``_core`` encodes itself: text without control characters, exact ints in [0, 10**20)."""
    if isinstance(p, str):
        return not any(c < " " for c in p)
    return type(p) is int and 0 <= p < 10**20


def python_answer(key: tuple[Any, ...]) -> tuple[str, str] | tuple[type[BaseException], str]:
    try:
        ROWS.split(key)
        return encode_key(key[:2]), encode_key(key[2:])
    except Exception as e:  # the error the store must raise for this key
        return type(e), str(e)


async def python_through(
    store: EmbeddedStore, index: Table, index_key: tuple[Any, ...], table: Table, head: tuple[Any, ...]
) -> tuple[Record | None, Record | None]:
    """``get_through`` with both keys encoded in Python (the store's fallback for keys ``_core`` refuses)."""
    found, row = store._fast.get_through(*store._through(index, index_key, table, head), 2e9)
    return (None if found is None else Record(*found), None if row is None else Record(*row))


@pytest.fixture(scope="module")
def store() -> Iterator[EmbeddedStore]:
    with tempfile.TemporaryDirectory() as tmp:
        s = EmbeddedStore(Path(tmp) / "keys.db", (ROWS, NAMED, INDEX))
        yield s
        asyncio.run(s.close())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=key3)
def test_core_encodes_keys_as_python_does(store: EmbeddedStore, key: tuple[Any, ...]) -> None:
    expected = python_answer(key)
    encodable = isinstance(expected[0], str)

    async def body() -> None:
        if encodable:
            await store.apply([Put(ROWS, key, repr(key).encode(), "v")])
        reader, now = store._fast, 2e9
        refuses = len(key) != 3 or not all(simple(p) for p in key)
        try:
            found = reader.get_key(ROWS, key, now)
        except StoreKeyError:
            assert refuses, f"_core refused a key it encodes: {key!r}"
        else:
            assert not refuses, f"_core encoded a key it leaves to Python: {key!r}"
            assert found == (repr(key).encode(), "v")
            assert reader.get_each_keys([(ROWS, key), (ROWS, key)], now) == [found, found]
            pk = key[:2]
            found_too, rows = reader.get_each_scan_keys([(ROWS, key)], ROWS, pk, 100, now)
            assert found_too == [found] and (expected[1], repr(key).encode(), "v") in rows

        # through the store: what the Python encoding answers, errors included
        async def one() -> list[Record | None]:
            return [await store.get(ROWS, key)]

        async def each() -> list[Record | None]:
            return await store.get_each([(ROWS, key)])

        async def each_and_scan() -> list[Record | None]:
            return (await store.get_each_and_scan([(ROWS, key)], ROWS, key[:2], limit=1))[0]

        for read in (one, each, each_and_scan):
            if encodable:
                assert await read() == [Record(repr(key).encode(), "v")]
            else:
                with pytest.raises(expected[0]) as caught:  # type: ignore[arg-type]
                    await read()
                assert str(caught.value) == expected[1]

    asyncio.run(body())


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tenant=part, value=text, head=st.lists(part, max_size=2).map(tuple))
def test_get_through_encodes_both_keys_as_python_does(
    store: EmbeddedStore, tenant: Any, value: str, head: tuple[Any, ...]
) -> None:
    async def body() -> None:
        index_key = (tenant,)
        try:
            encode_key(index_key)
            encode_key(head)
            named_key = (*head, value)
            ok = len(named_key) == 2 and encode_key(named_key) is not None
        except Exception:
            ok = False
        if ok and simple(value):
            await store.apply([Put(INDEX, index_key, value.encode(), "i"), Put(NAMED, named_key, b"named", "n")])
        answers = []
        for read in (EmbeddedStore.get_through, python_through):
            try:
                answers.append(await read(store, INDEX, index_key, NAMED, head))
            except Exception as e:
                answers.append((type(e), str(e)))
        assert answers[0] == answers[1], (index_key, head, value)

    asyncio.run(body())
