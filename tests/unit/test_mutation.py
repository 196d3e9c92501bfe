"""``Mutation.run``: the change, its audit event and its idempotency record in one atomic apply (AIP-155)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Coroutine, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import pytest

from crs.domain import audit
from crs.domain.context import CallContext, Principal
from crs.domain.errors import Aborted, AlreadyExists, FailedPrecondition, InvalidArgument
from crs.domain.mutation import MAX_REQUEST_ID, Change, Mutation
from crs.domain.records import AccountRecord, IdempotencyRecord, decode, encode
from crs.storage import schema
from crs.storage.base import ConditionFailed, NotExists, Put, VersionIs
from crs.storage.embedded import EmbeddedStore

T = TypeVar("T")
TENANT = "acme"
METHOD = "/crs.v1.AccountService/CreateAccount"
PRINCIPAL = Principal("acme-writer", TENANT, frozenset({"write"}))


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    s = EmbeddedStore(tmp_path / "crs.db")
    yield s
    run(s.close())


def ctx(request_id: str = "", request_hash: str = "", method: str = METHOD) -> CallContext:
    return CallContext(PRINCIPAL, method, request_id=request_id, request_hash=request_hash)


def row_counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        return {t.name: conn.execute(f'SELECT count(*) FROM "{t.name}"').fetchone()[0] for t in schema.ALL_TABLES}
    finally:
        conn.close()


def non_empty(path: Path) -> dict[str, int]:
    return {name: n for name, n in row_counts(path).items() if n}


class CreateAccount:
    """A build function that creates an account (insert-if-not-exists) and counts its calls."""

    def __init__(
        self, account_id: str = "acct-1", display_name: str = "Main", yield_first: bool = False, tenant: str = TENANT
    ) -> None:
        self.tenant = tenant
        self.account_id = account_id
        self.display_name = display_name
        self.yield_first = yield_first
        self.calls = 0

    @property
    def resource(self) -> str:
        return f"tenants/{self.tenant}/accounts/{self.account_id}"

    async def __call__(self) -> Change[AccountRecord]:
        self.calls += 1
        if self.yield_first:
            await asyncio.sleep(0)
        rec = AccountRecord(
            self.tenant, self.account_id, "cust-1", 1, "EUR", display_name=self.display_name, version=f"v{self.calls}"
        )
        writes = [Put(schema.accounts_by_id, (self.tenant, self.account_id), encode(rec), rec.version, NotExists())]
        return Change(writes, rec, self.resource, changed_fields=["display_name", "currency_code"])


async def already_exists(failed: ConditionFailed) -> Exception:
    return AlreadyExists("account already exists")


# --------------------------------------------------------------------------- change + audit


def test_change_and_audit_are_written_together(store: EmbeddedStore) -> None:
    build = CreateAccount()
    c = ctx("req-1", "hash-1")
    result = run(Mutation(store).run(c, AccountRecord, build, already_exists))
    assert result.id == "acct-1"
    assert build.calls == 1

    stored = run(store.get(schema.accounts_by_id, (TENANT, "acct-1")))
    assert stored is not None
    assert decode(AccountRecord, stored.value) == result

    events = run(store.scan(schema.audit_by_resource, (TENANT, build.resource), limit=10))
    assert len(events) == 1
    event = audit.decode_event(events[0].record.value)
    assert events[0].clustering == (event.event_id,)
    assert (event.tenant, event.actor, event.method, event.resource) == (TENANT, "acme-writer", METHOD, build.resource)
    assert event.request_id == "req-1"
    assert event.outcome == "OK"
    assert event.changed_fields == ["currency_code", "display_name"]

    day = audit.day_of(event.time_us)
    by_actor = run(store.scan(schema.audit_by_actor, (TENANT, "acme-writer", day), limit=10))
    by_day = run(store.scan(schema.audit_by_day, (TENANT, day), limit=10))
    assert [r.record.value for r in by_actor] == [events[0].record.value]
    assert [r.record.value for r in by_day] == [events[0].record.value]

    idem = run(store.get(schema.idempotency_by_request, (TENANT, "req-1")))
    assert idem is not None
    rec = decode(IdempotencyRecord, idem.value)
    assert (rec.method, rec.request_hash, rec.kind) == (METHOD, "hash-1", "AccountRecord")

    assert non_empty(store.path) == {
        "accounts_by_id": 1,
        "audit_by_resource": 1,
        "audit_by_actor": 1,
        "audit_by_day": 1,
        "idempotency_by_request": 1,
        "feed_by_shard": 1,  # the change-feed event, in the same apply (the outbox)
    }


def test_without_request_id_no_idempotency_record(store: EmbeddedStore) -> None:
    run(Mutation(store).run(ctx(), AccountRecord, CreateAccount(), already_exists))
    assert non_empty(store.path) == {
        "accounts_by_id": 1,
        "audit_by_resource": 1,
        "audit_by_actor": 1,
        "audit_by_day": 1,
        "feed_by_shard": 1,
    }


def test_failed_condition_writes_no_audit_and_no_idempotency_record(store: EmbeddedStore) -> None:
    mutation = Mutation(store)
    run(mutation.run(ctx(), AccountRecord, CreateAccount(), already_exists))
    before = row_counts(store.path)
    with pytest.raises(AlreadyExists):
        run(mutation.run(ctx("req-2", "h"), AccountRecord, CreateAccount(display_name="Dup"), already_exists))
    assert row_counts(store.path) == before
    assert run(store.get(schema.idempotency_by_request, (TENANT, "req-2"))) is None


# --------------------------------------------------------------------------- request_id replay


def test_replay_returns_stored_result_and_writes_nothing(store: EmbeddedStore) -> None:
    mutation = Mutation(store)
    first_build = CreateAccount(display_name="First")
    first = run(mutation.run(ctx("req-1", "hash-1"), AccountRecord, first_build, already_exists))
    before = row_counts(store.path)

    retry_build = CreateAccount(display_name="Would be different")
    again = run(mutation.run(ctx("req-1", "hash-1"), AccountRecord, retry_build, already_exists))
    assert again == first
    assert isinstance(again, AccountRecord)
    assert retry_build.calls == 0
    assert row_counts(store.path) == before
    assert len(run(store.scan(schema.audit_by_resource, (TENANT, first_build.resource), limit=10))) == 1


def test_same_request_id_in_another_tenant_is_independent(store: EmbeddedStore) -> None:
    mutation = Mutation(store)
    run(mutation.run(ctx("req-1", "hash-1"), AccountRecord, CreateAccount(), already_exists))
    other = CallContext(Principal("globex-writer", "globex", frozenset({"write"})), METHOD, "req-1", "hash-other")
    build = CreateAccount(tenant="globex", display_name="Globex")
    result = run(mutation.run(other, AccountRecord, build, already_exists))
    assert build.calls == 1
    assert (result.tenant, result.display_name) == ("globex", "Globex")
    assert run(store.get(schema.idempotency_by_request, ("globex", "req-1"))) is not None


@pytest.mark.parametrize(("request_hash", "method"), [("hash-2", METHOD), ("hash-1", "/crs.v1.AccountService/Other")])
def test_request_id_reused_for_a_different_request(store: EmbeddedStore, request_hash: str, method: str) -> None:
    mutation = Mutation(store)
    run(mutation.run(ctx("req-1", "hash-1"), AccountRecord, CreateAccount(), already_exists))
    before = row_counts(store.path)
    build = CreateAccount(account_id="acct-2")
    with pytest.raises(FailedPrecondition) as excinfo:
        run(mutation.run(ctx("req-1", request_hash, method), AccountRecord, build, already_exists))
    assert excinfo.value.reason == "REQUEST_ID_REUSED"
    assert build.calls == 0
    assert row_counts(store.path) == before


def test_request_id_length_limit(store: EmbeddedStore) -> None:
    mutation = Mutation(store)
    run(mutation.run(ctx("r" * MAX_REQUEST_ID, "h"), AccountRecord, CreateAccount(), already_exists))
    with pytest.raises(InvalidArgument) as excinfo:
        run(mutation.run(ctx("r" * (MAX_REQUEST_ID + 1), "h"), AccountRecord, CreateAccount("a2"), already_exists))
    assert [v.field for v in excinfo.value.violations] == ["request_id"]


def test_none_result_is_replayed_as_none(store: EmbeddedStore) -> None:
    """Methods returning nothing (DeleteRelationship) store "null"; a retry must replay it, not rebuild."""
    calls = 0

    async def delete_something() -> Change[None]:
        nonlocal calls
        calls += 1
        return Change([Put(schema.accounts_by_id, (TENANT, f"tomb-{calls}"), b"x")], None, "tenants/acme/x")

    mutation = Mutation(store)
    assert run(mutation.run(ctx("req-del", "h"), type(None), delete_something)) is None
    assert run(mutation.run(ctx("req-del", "h"), type(None), delete_something)) is None
    assert calls == 1


def test_concurrent_retries_with_one_request_id_get_the_same_result(store: EmbeddedStore) -> None:
    """A client retry racing the original call (same request_id and request) must replay, not fail.

    Both calls miss the idempotency record, both build; the second apply then fails on the
    change's own NotExists condition, which comes before the idempotency record's.
    """
    mutation = Mutation(store)
    c = ctx("req-race", "hash-race")

    async def both() -> list[Any]:
        calls = [mutation.run(c, AccountRecord, CreateAccount(yield_first=True), already_exists) for _ in range(2)]
        return list(await asyncio.gather(*calls, return_exceptions=True))

    results = run(both())
    assert all(isinstance(r, AccountRecord) for r in results), results
    assert results[0] == results[1]
    assert len(run(store.scan(schema.audit_by_resource, (TENANT, "tenants/acme/accounts/acct-1"), limit=10))) == 1


# --------------------------------------------------------------------------- no-op and retries


def test_empty_change_without_request_id_writes_nothing(store: EmbeddedStore) -> None:
    async def nothing() -> Change[AccountRecord]:
        return Change([], AccountRecord(TENANT, "acct-1", "cust-1", 1, "EUR"), "tenants/acme/accounts/acct-1")

    result = run(Mutation(store).run(ctx(), AccountRecord, nothing))
    assert result.id == "acct-1"
    assert non_empty(store.path) == {}


def test_empty_change_with_request_id_only_remembers_the_result(store: EmbeddedStore) -> None:
    async def nothing() -> Change[AccountRecord]:
        return Change([], AccountRecord(TENANT, "acct-1", "cust-1", 1, "EUR"), "tenants/acme/accounts/acct-1")

    run(Mutation(store).run(ctx("req-noop", "h"), AccountRecord, nothing))
    assert non_empty(store.path) == {"idempotency_by_request": 1}


def test_on_conflict_none_rebuilds_and_retries(store: EmbeddedStore) -> None:
    run(store.apply([Put(schema.accounts_by_id, (TENANT, "acct-1"), b"{}", "v1")]))
    seen_versions: list[str] = []
    conflicts: list[ConditionFailed] = []

    async def bump() -> Change[AccountRecord]:
        current = await store.get(schema.accounts_by_id, (TENANT, "acct-1"))
        assert current is not None
        # the first attempt uses a stale etag, as if another writer got in between read and write
        expected = "stale" if not seen_versions else current.version
        seen_versions.append(expected)
        rec = AccountRecord(TENANT, "acct-1", "cust-1", 1, "EUR", version="v2")
        return Change(
            [Put(schema.accounts_by_id, (TENANT, "acct-1"), encode(rec), "v2", VersionIs(expected))],
            rec,
            "tenants/acme/accounts/acct-1",
        )

    async def retry(failed: ConditionFailed) -> None:
        conflicts.append(failed)
        return None

    result = run(Mutation(store).run(ctx(), AccountRecord, bump, retry))
    assert result.version == "v2"
    assert seen_versions == ["stale", "v1"]
    assert len(conflicts) == 1
    assert conflicts[0].current is not None and conflicts[0].current.version == "v1"
    assert len(run(store.scan(schema.audit_by_resource, (TENANT, "tenants/acme/accounts/acct-1"), limit=10))) == 1


def test_retries_are_bounded(store: EmbeddedStore) -> None:
    run(store.apply([Put(schema.accounts_by_id, (TENANT, "acct-1"), b"{}", "v1")]))
    build = CreateAccount()
    with pytest.raises(Aborted) as err:  # an exhausted retry is ABORTED (retryable), never INTERNAL
        run(Mutation(store).run(ctx(), AccountRecord, build, attempts=4))
    assert err.value.reason == "CONCURRENT_MODIFICATION"
    assert build.calls == 4
    assert non_empty(store.path) == {"accounts_by_id": 1}


def test_context_replace_keeps_tenant_and_actor() -> None:
    c = replace(ctx("r", "h"), request_id="other")
    assert (c.tenant, c.actor, c.request_id) == (TENANT, "acme-writer", "other")
