"""The Cassandra store's reads on the native client (crs._core.CqlReader) against a real node: the same answers as
the Python driver, bursts, cancellation, event-loop changes, close, and the errors a real fault produces."""

from __future__ import annotations

import asyncio
import selectors
import time
from collections.abc import Iterator
from typing import Any

import pytest

from crs._core import CoreError, CqlError, CqlReader
from crs.storage import schema
from crs.storage.base import Put, Record, StoreUnavailable
from crs.storage.cassandra import CassandraReadError, CassandraStore

pytestmark = [
    pytest.mark.cassandra,
    pytest.mark.timeout(300),
    pytest.mark.filterwarnings("ignore::DeprecationWarning:cassandra"),
]
TENANT = "t-reads"
CARDS = schema.cards_by_account  # partition (tenant, account_id), clustering (card_id,)
CUSTOMERS = schema.customers_by_id  # no clustering key
TENANT_LIST = schema.customers_by_tenant  # partition (tenant, bucket int), clustering (customer_id,)


@pytest.fixture(scope="module")
def keyspace(cassandra_cluster: Any) -> Iterator[str]:
    name: str = cassandra_cluster.new_keyspace()
    store = CassandraStore(cassandra_cluster.contact_points, name, "dc1", reads="driver")

    async def fill() -> None:
        writes = [Put(CARDS, (TENANT, "acct-1", f"card-{i:03d}"), f"card {i}".encode(), f"v{i}") for i in range(40)]
        writes += [Put(CUSTOMERS, (TENANT, f"cus-{i}"), bytes([i, 0, 255]), f"e{i}") for i in range(20)]
        writes += [Put(TENANT_LIST, (TENANT, 7, f"cus-{i}"), b"", "") for i in range(5)]
        await store.apply_bulk(writes)
        await store.close()

    asyncio.run(fill())
    try:
        yield name
    finally:
        cassandra_cluster.drop_keyspace(name)


@pytest.fixture
def stores(cassandra_cluster: Any, keyspace: str) -> Iterator[tuple[CassandraStore, CassandraStore]]:
    """A store reading natively and one reading through the Python driver, on the filled keyspace."""
    native = CassandraStore(cassandra_cluster.contact_points, keyspace, "dc1")
    driver = CassandraStore(cassandra_cluster.contact_points, keyspace, "dc1", reads="driver")

    async def close() -> None:  # closing twice is a no-op: tests may close a store themselves
        await native.close()
        await driver.close()

    try:
        yield native, driver
    finally:
        asyncio.run(close())


def test_native_reads_answer_what_the_driver_answers(stores: tuple[CassandraStore, CassandraStore]) -> None:
    native, driver = stores

    async def both(read: Any) -> tuple[Any, Any]:
        return await read(native), await read(driver)

    async def run() -> None:
        reads = [
            lambda s: s.get(CUSTOMERS, (TENANT, "cus-3")),
            lambda s: s.get(CUSTOMERS, (TENANT, "nobody")),
            lambda s: s.get_many(CUSTOMERS, [(TENANT, f"cus-{i}") for i in (0, 19, 25, 7)]),
            lambda s: s.get_each([(CUSTOMERS, (TENANT, "cus-3")), (CUSTOMERS, (TENANT, "nobody"))]),
            lambda s: s.scan(CARDS, (TENANT, "acct-1"), limit=10),
            lambda s: s.scan(CARDS, (TENANT, "acct-1"), after=("card-005",), limit=3),
            lambda s: s.scan(CARDS, (TENANT, "acct-1"), before=("card-010",), limit=100),
            lambda s: s.scan(CARDS, (TENANT, "acct-1"), after=("card-030",), before=("card-035",), limit=100),
            lambda s: s.scan(CARDS, (TENANT, "acct-none"), limit=10),
            lambda s: s.scan(TENANT_LIST, (TENANT, 7), limit=100),
        ]
        for read in reads:
            mine, theirs = await both(read)
            assert mine == theirs
        each = await native.get_each([(CUSTOMERS, (TENANT, "nobody")), (CUSTOMERS, (TENANT, "cus-3"))])
        assert each == [None, await native.get(CUSTOMERS, (TENANT, "cus-3"))]
        record = await native.get(CUSTOMERS, (TENANT, "cus-3"))
        assert record is not None and record.value == bytes([3, 0, 255]) and record.version == "e3"
        rows = await native.scan(CARDS, (TENANT, "acct-1"), after=("card-005",), limit=3)
        assert [r.clustering for r in rows] == [("card-006",), ("card-007",), ("card-008",)]
        assert [r.clustering for r in await native.scan(TENANT_LIST, (TENANT, 7), limit=2)] == [
            ("cus-0",),
            ("cus-1",),
        ]

    asyncio.run(run())


def test_a_burst_of_concurrent_reads_all_answer(stores: tuple[CassandraStore, CassandraStore]) -> None:
    native, _ = stores

    async def run() -> None:
        keys = [(TENANT, f"cus-{i % 25}") for i in range(600)]
        got = await asyncio.gather(*(native.get(CUSTOMERS, k) for k in keys))
        assert [r is not None for r in got] == [i % 25 < 20 for i in range(600)]
        assert [r.value for r in got if r is not None] == [bytes([i % 25, 0, 255]) for i in range(600) if i % 25 < 20]
        assert await native.get_many(CUSTOMERS, keys) == got
        assert native._waiting == {}  # every answer was taken and resolved

    asyncio.run(run())


def test_a_cancelled_read_is_dropped_and_later_reads_answer(stores: tuple[CassandraStore, CassandraStore]) -> None:
    native, _ = stores

    async def run() -> None:
        task = asyncio.ensure_future(native.get(CUSTOMERS, (TENANT, "cus-1")))
        await asyncio.sleep(0)  # submitted
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        record = await native.get(CUSTOMERS, (TENANT, "cus-2"))
        assert record is not None and record.version == "e2"
        for _ in range(50):  # the cancelled read's answer arrives and is dropped
            if not native._waiting:
                break
            await asyncio.sleep(0.01)
        assert native._waiting == {}

    asyncio.run(run())


def test_the_store_keeps_reading_on_a_new_event_loop(stores: tuple[CassandraStore, CassandraStore]) -> None:
    native, _ = stores

    async def read() -> bytes | None:
        record = await native.get(CUSTOMERS, (TENANT, "cus-4"))
        return None if record is None else record.value

    assert asyncio.run(read()) == bytes([4, 0, 255])
    assert asyncio.run(read()) == bytes([4, 0, 255])  # the first loop is closed by now


def test_close_fails_waiting_reads_and_refuses_new_ones(stores: tuple[CassandraStore, CassandraStore]) -> None:
    native, _ = stores

    async def run() -> None:
        pending = asyncio.ensure_future(native.get(CUSTOMERS, (TENANT, "cus-5")))
        await asyncio.sleep(0)
        await native.close()
        # Either it answered before the close, or the close failed it: never left hanging.
        [outcome] = await asyncio.wait_for(asyncio.gather(pending, return_exceptions=True), timeout=10)
        assert isinstance(outcome, StoreUnavailable) or (isinstance(outcome, Record) and outcome.version == "e5")
        with pytest.raises(StoreUnavailable):
            await native.get(CUSTOMERS, (TENANT, "cus-5"))

    asyncio.run(run())


def test_reads_must_name_a_known_client(cassandra_cluster: Any, keyspace: str) -> None:
    with pytest.raises(ValueError, match="reads must be one of"):
        CassandraStore(cassandra_cluster.contact_points, keyspace, "dc1", reads="thrift")


# -- crs._core.CqlReader directly: the errors of real faults ------------------------------------------------


def _answers(reader: CqlReader, count: int, timeout: float = 10.0) -> list[tuple[int, Any, str | None, bool]]:
    sel = selectors.DefaultSelector()
    sel.register(reader.fileno(), selectors.EVENT_READ)
    got: list[tuple[int, Any, str | None, bool]] = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        if sel.select(timeout=0.5):
            got += reader.take()
    sel.close()
    return got


def test_reader_reports_a_client_timeout_as_retryable(cassandra_cluster: Any, keyspace: str) -> None:
    nodes = [f"{h}:9042" for h in cassandra_cluster.contact_points]
    reader = CqlReader(nodes, "dc1", keyspace, 0.001, None, 10.0)  # 1 ms: 300 reads at once cannot all answer in time
    try:
        stmt = reader.prepare(
            f'SELECT value, version FROM {keyspace}.customers_by_id WHERE "tenant"=? AND "customer_id"=?'
        )
        for tag in range(300):
            reader.submit(stmt, [TENANT, f"cus-{tag % 20}"], tag)
        answers = _answers(reader, 300, timeout=30)
        assert sorted(tag for tag, *_ in answers) == list(range(300))
        failed = [(error, retryable) for _, rows, error, retryable in answers if rows is None]
        assert failed, "every read answered within 1 ms"
        assert all(retryable and error is not None and "timeout" in error for error, retryable in failed)
    finally:
        reader.close()


def test_reader_reports_a_bad_statement_as_not_retryable_and_never_echoes_values(
    cassandra_cluster: Any, keyspace: str
) -> None:
    nodes = [f"{h}:9042" for h in cassandra_cluster.contact_points]
    reader = CqlReader(nodes, "dc1", keyspace, 5.0, 0.05, 10.0)
    secret = "4111111111111111"
    try:
        stmt = reader.prepare(f'SELECT value FROM {keyspace}.customers_by_id WHERE "tenant"=? AND "customer_id"=?')
        reader.submit(stmt, [secret], 1)  # one value for two markers
        reader.submit(stmt, [secret, 5], 2)  # an int for a text column
        answers = sorted(_answers(reader, 2))
        assert [(t, rows, retryable) for t, rows, _, retryable in answers] == [(1, None, False), (2, None, False)]
        assert all(error and secret not in error for _, _, error, _ in answers)
        with pytest.raises(CqlError, match="prepare"):
            reader.prepare("SELECT nonsense")
        with pytest.raises(CoreError, match="unknown statement"):
            reader.submit(99, [], 3)
    finally:
        reader.close()
    with pytest.raises(CqlError, match="closed"):
        reader.submit(stmt, [TENANT, "x"], 4)


def test_store_maps_a_rejected_read_to_an_internal_error(stores: tuple[CassandraStore, CassandraStore]) -> None:
    native, _ = stores

    async def run() -> None:
        with pytest.raises(CassandraReadError):
            await native.get(CUSTOMERS, (TENANT, "cus-1", "extra"))  # a key of the wrong shape

    asyncio.run(run())


def test_reader_cannot_connect_to_a_closed_port() -> None:
    with pytest.raises(CqlError, match="cannot connect"):
        CqlReader(["127.0.0.1:1"], "dc1", "crs", 1.0, None, 1.0)


def test_a_column_the_reader_cannot_convert_fails_only_its_own_query(cassandra_cluster: Any, keyspace: str) -> None:
    nodes = [f"{h}:9042" for h in cassandra_cluster.contact_points]
    reader = CqlReader(nodes, "dc1", keyspace, 5.0, None, 10.0)
    try:
        odd = reader.prepare(f"SELECT version, applied_at FROM {keyspace}.schema_migrations LIMIT ?")  # timestamp
        good = reader.prepare(f'SELECT value FROM {keyspace}.customers_by_id WHERE "tenant"=? AND "customer_id"=?')
        reader.submit(odd, [1], 1)
        reader.submit(good, [TENANT, "cus-6"], 2)
        answers = dict((tag, (rows, error, retryable)) for tag, rows, error, retryable in _answers(reader, 2))
        assert answers[1] == (None, "a column of a type this reader does not convert", False)
        assert answers[2] == ([(bytes([6, 0, 255]),)], None, False)
    finally:
        reader.close()
