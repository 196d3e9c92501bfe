"""Keyset listing (``list_partition`` / ``list_buckets``) against a real ``EmbeddedStore``."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from crs.domain.listing import bucket_of, list_buckets, list_partition
from crs.storage import schema
from crs.storage.base import Key, Put, Record
from crs.storage.embedded import EmbeddedStore
from crs.storage.schema import LIST_BUCKETS

T = TypeVar("T")
TENANT = "acme"
PARTITION = (TENANT, "acct-1")
TABLE = schema.cards_by_account  # (tenant, account_id) -> card_id
MAX_PAGES = 10_000


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    s = EmbeddedStore(tmp_path / "crs.db")
    yield s
    run(s.close())


def card_ids(n: int, prefix: str = "c") -> list[str]:
    return [f"{prefix}{i:05d}" for i in range(n)]


def insert_cards(store: EmbeddedStore, ids: list[str], partition: Key = PARTITION) -> None:
    shuffled = list(ids)
    random.Random(len(ids)).shuffle(shuffled)
    run(store.apply([Put(TABLE, (*partition, cid), cid.encode(), "v") for cid in shuffled]))


def insert_customers(store: EmbeddedStore, ids: list[str], tenant: str = TENANT) -> None:
    writes = [Put(schema.customers_by_tenant, (tenant, bucket_of(cid), cid), cid.encode(), "v") for cid in ids]
    run(store.apply(writes))


def keep_all(clustering: Key, record: Record) -> str:
    assert record.value == str(clustering[0]).encode()
    return str(clustering[0])


def keep_every(n: int) -> Callable[[Key, Record], str | None]:
    def keep(clustering: Key, record: Record) -> str | None:
        cid = str(clustering[0])
        return cid if int(cid.lstrip("abcdefghijklmnopqrstuvwxyz")) % n == 0 else None

    return keep


def walk_partition(
    store: EmbeddedStore,
    size: int,
    keep: Callable[[Key, Record], str | None] = keep_all,
    between_pages: Callable[[int], None] | None = None,
) -> list[list[str]]:
    """Every page until the position is None, each position passed through JSON like a page token."""
    pages: list[list[str]] = []
    after: Key | None = None
    for page_no in range(MAX_PAGES):
        items, position = run(list_partition(store, TABLE, PARTITION, after, size, keep))
        assert len(items) <= size
        pages.append(items)
        if position is None:
            return pages
        if after is not None:
            assert position > after, "the position must advance"
        after = tuple(json.loads(json.dumps(list(position))))
        if between_pages:
            between_pages(page_no)
    pytest.fail("listing did not terminate")


def walk_buckets(
    store: EmbeddedStore,
    size: int,
    keep: Callable[[Key, Record], str | None] = keep_all,
    between_pages: Callable[[int], None] | None = None,
    tenant: str = TENANT,
) -> list[list[str]]:
    pages: list[list[str]] = []
    position: list[object] | None = None
    for page_no in range(MAX_PAGES):
        items, nxt = run(list_buckets(store, schema.customers_by_tenant, tenant, position, size, keep))
        assert len(items) <= size
        pages.append(items)
        if nxt is None:
            return pages
        assert isinstance(nxt[0], int)
        assert 0 <= nxt[0] < LIST_BUCKETS
        position = json.loads(json.dumps(nxt))
        if between_pages:
            between_pages(page_no)
    pytest.fail("listing did not terminate")


def flat(pages: list[list[str]]) -> list[str]:
    return [item for page in pages for item in page]


def bucket_order(ids: list[str]) -> list[str]:
    return sorted(ids, key=lambda cid: (bucket_of(cid), cid))


# --------------------------------------------------------------------------- list_partition


def test_empty_partition(store: EmbeddedStore) -> None:
    assert run(list_partition(store, TABLE, PARTITION, None, 10, keep_all)) == ([], None)


@pytest.mark.parametrize("size", [1, 2, 3, 7, 22, 23, 24, 50])
def test_partition_pages_return_every_row_once_in_order(store: EmbeddedStore, size: int) -> None:
    ids = card_ids(23)
    insert_cards(store, ids)
    insert_cards(store, card_ids(5, "other"), (TENANT, "acct-2"))
    pages = walk_partition(store, size)
    assert flat(pages) == ids
    assert all(len(p) == size for p in pages[:-1])
    # no trailing empty page when the rows divide evenly
    assert len(pages) == max(1, -(-len(ids) // size))


def test_partition_exact_multiple_has_no_extra_page(store: EmbeddedStore) -> None:
    insert_cards(store, card_ids(20))
    first, position = run(list_partition(store, TABLE, PARTITION, None, 10, keep_all))
    assert first == card_ids(20)[:10]
    assert position == ("c00009",)
    second, position = run(list_partition(store, TABLE, PARTITION, position, 10, keep_all))
    assert second == card_ids(20)[10:]
    assert position is None


def test_partition_with_inserts_between_pages(store: EmbeddedStore) -> None:
    original = card_ids(60)[::2]  # c00000, c00002, ...
    insert_cards(store, original)
    rng = random.Random(3)
    inserted: list[str] = []

    def insert_some(page_no: int) -> None:
        # new rows before and after the cursor, including right next to existing ones
        new = [f"c{rng.randrange(0, 70):05d}x{page_no}" for _ in range(4)] + [f"a-new-{page_no}", f"z-new-{page_no}"]
        inserted.extend(new)
        insert_cards(store, new)

    items = flat(walk_partition(store, 4, between_pages=insert_some))
    assert inserted
    assert items == sorted(items), "keyset order"
    assert len(items) == len(set(items)), "no row twice"
    for cid in original:
        assert items.count(cid) == 1
    assert set(items) <= set(original) | set(inserted)
    assert f"z-new-{0}" in items  # rows inserted ahead of the cursor are seen


@pytest.mark.parametrize(("size", "every"), [(1, 10), (3, 10), (3, 97), (5, 1000), (10, 7)])
def test_partition_filtered_keep_terminates_and_finds_all(store: EmbeddedStore, size: int, every: int) -> None:
    ids = card_ids(300)
    insert_cards(store, ids)
    kept = [cid for cid in ids if int(cid[1:]) % every == 0]
    pages = walk_partition(store, size, keep_every(every))
    assert flat(pages) == kept
    assert len(pages) < 300


def test_partition_keep_nothing_terminates(store: EmbeddedStore) -> None:
    insert_cards(store, card_ids(100))
    pages = walk_partition(store, 2, lambda _c, _r: None)
    assert flat(pages) == []
    assert len(pages) <= 100


def test_partition_filtered_page_reads_a_bounded_number_of_rows(store: EmbeddedStore) -> None:
    insert_cards(store, card_ids(500))
    items, position = run(list_partition(store, TABLE, PARTITION, None, 2, lambda _c, _r: None))
    assert items == []
    assert position is not None  # gives up with a token instead of reading the whole partition
    assert position[0] < "c00100"


# --------------------------------------------------------------------------- list_buckets


def test_bucket_of() -> None:
    ids = [f"cust-{i}" for i in range(500)]
    buckets = [bucket_of(cid) for cid in ids]
    assert all(0 <= b < LIST_BUCKETS for b in buckets)
    assert len(set(buckets)) == LIST_BUCKETS
    assert [bucket_of(cid) for cid in ids] == buckets


def test_empty_tenant(store: EmbeddedStore) -> None:
    assert run(list_buckets(store, schema.customers_by_tenant, TENANT, None, 10, keep_all)) == ([], None)


@pytest.mark.parametrize("size", [1, 4, 16, 17, 50, 1000])
def test_buckets_return_every_row_once(store: EmbeddedStore, size: int) -> None:
    ids = [f"cust-{i:03d}" for i in range(80)]
    insert_customers(store, ids)
    insert_customers(store, ["other-tenant-row"], tenant="globex")
    pages = walk_buckets(store, size)
    assert flat(pages) == bucket_order(ids)
    assert all(len(p) == size for p in pages[:-1])


def test_buckets_with_inserts_between_pages(store: EmbeddedStore) -> None:
    original = [f"cust-{i:03d}" for i in range(0, 120, 2)]
    insert_customers(store, original)
    inserted: list[str] = []

    def insert_some(page_no: int) -> None:
        new = [f"cust-{i:03d}" for i in range(1 + page_no * 2, 120, 40)] + [f"new-{page_no}-{j}" for j in range(3)]
        new = [cid for cid in new if cid not in inserted]
        inserted.extend(new)
        insert_customers(store, new)

    items = flat(walk_buckets(store, 5, between_pages=insert_some))
    assert inserted
    assert len(items) == len(set(items)), "no row twice"
    for cid in original:
        assert items.count(cid) == 1
    assert items == bucket_order(items)


@pytest.mark.parametrize(("size", "every"), [(1, 10), (3, 25), (7, 1000)])
def test_buckets_filtered_keep_terminates_and_finds_all(store: EmbeddedStore, size: int, every: int) -> None:
    ids = [f"cust-{i:04d}" for i in range(400)]
    insert_customers(store, ids)
    pages = walk_buckets(store, size, keep_every(every))
    assert flat(pages) == bucket_order([cid for cid in ids if int(cid[5:]) % every == 0])


def test_buckets_resume_from_a_bucket_only_position(store: EmbeddedStore) -> None:
    ids = [f"cust-{i:03d}" for i in range(60)]
    insert_customers(store, ids)
    items, position = run(list_buckets(store, schema.customers_by_tenant, TENANT, [3], 1000, keep_all))
    assert position is None
    assert items == [cid for cid in bucket_order(ids) if bucket_of(cid) >= 3]
