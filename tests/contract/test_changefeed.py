"""ChangeFeedService contract: Subscribe, CommitCursor, GetConsumer, ExportSnapshot (docs/back-office.md)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from google.protobuf import field_mask_pb2

from crs.domain.changefeed.events import time_cursor
from crs.v1 import account_pb2, card_pb2, customer_pb2, relationship_pb2
from tests.conftest import BACKENDS, _cluster_for
from tests.helpers.data import (
    ACME,
    GLOBEX,
    create_account,
    create_customer,
    link_account,
    register_card,
    request_id,
    uid,
)
from tests.helpers.feed import FEED_ARGS, F, collect, cursor_now, has_all, snapshot, stub
from tests.helpers.pans import make_pan
from tests.helpers.rpc import assert_no_pan, expect_error
from tests.helpers.server import CrsServer

SC = grpc.StatusCode


@pytest.fixture(scope="module", params=BACKENDS)
def feed_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CrsServer]:
    root: Path = tmp_path_factory.mktemp(f"feed-{request.param}")
    server = CrsServer(
        root=root, backend=request.param, cassandra=_cluster_for(request, request.param), extra_args=FEED_ARGS
    )
    try:
        server.start()
        yield server
    finally:
        server.close()


def consumer(tenant: str = "acme") -> str:
    return f"tenants/{tenant}/consumers/c-{uid()}"


def _update_name(clients, customer: customer_pb2.Customer, display_name: str) -> customer_pb2.Customer:
    c = customer_pb2.Customer(name=customer.name, display_name=display_name, etag=customer.etag)
    return clients.customers.UpdateCustomer(
        customer_pb2.UpdateCustomerRequest(
            customer=c, update_mask=field_mask_pb2.FieldMask(paths=["display_name"]), request_id=request_id()
        ),
        timeout=30,
    )


def test_events_for_every_resource_type_in_commit_order(feed_server):
    clients = feed_server.clients("acme-admin")
    feed = stub(feed_server)
    start = cursor_now(feed)
    pan = make_pan()
    c = create_customer(clients)
    c2 = _update_name(clients, c, "Renamed Person")
    a = create_account(clients, c.name)
    card = register_card(clients, a.name, pan=pan)
    other = create_customer(clients)
    rel = link_account(clients, other.name, a.name, relationship_pb2.ACCOUNT_ROLE_AUTHORIZED_USER)
    clients.relationships.DeleteRelationship(
        relationship_pb2.DeleteRelationshipRequest(name=rel.name, request_id=request_id()), timeout=30
    )
    mine = {c.name, a.name, card.name, rel.name}
    events, _ = collect(
        feed, consumer(), start, lambda evs: any(e.resource == rel.name and e.kind == F.DELETED for e in evs)
    )
    by_resource: dict[str, list[F.ChangeEvent]] = {}
    for e in events:
        by_resource.setdefault(e.resource, []).append(e)
    assert mine <= set(by_resource)
    # Customer: created, then updated with the changed path and the new value.
    kinds = [e.kind for e in by_resource[c.name]]
    assert kinds[:2] == [F.CREATED, F.UPDATED]
    created, updated = by_resource[c.name][:2]
    assert created.changed_fields == ["*"] and list(updated.changed_fields) == ["display_name"]
    value = customer_pb2.Customer()
    assert updated.value.Unpack(value)
    assert value.display_name == "Renamed Person" and value.etag == c2.etag
    assert created.commit_time.ToMicroseconds() <= updated.commit_time.ToMicroseconds()
    assert created.cursor < updated.cursor
    # Account and card values; a card carries its token, never the PAN.
    acct = account_pb2.Account()
    assert by_resource[a.name][0].value.Unpack(acct) and acct.currency_code == a.currency_code
    card_value = card_pb2.Card()
    assert by_resource[card.name][0].value.Unpack(card_value) and card_value.token == card.token
    assert_no_pan(str([e.SerializeToString() for e in events]), [pan], "feed events")
    # Relationship: created then deleted; a delete carries no value.
    rel_events = by_resource[rel.name]
    assert [e.kind for e in rel_events] == [F.CREATED, F.DELETED]
    assert not rel_events[1].HasField("value")
    # Clusters follow customers (the cluster engine's own writes carry their events).
    assert any(e.resource_type == "clusters" for e in events)
    # Event ids are unique; cursors increase.
    assert len({e.event_id for e in events}) == len(events)
    assert [e.cursor for e in events] == sorted(e.cursor for e in events)


def test_resource_type_filter_and_tenant_isolation(feed_server):
    acme, globex = feed_server.clients("acme-admin"), feed_server.clients("globex-admin")
    feed = stub(feed_server)
    start = cursor_now(feed)
    theirs = create_customer(globex, parent=GLOBEX)
    c = create_customer(acme)
    a = create_account(acme, c.name)
    events, _ = collect(feed, consumer(), start, has_all({a.name}), types=("accounts",))
    assert {e.resource_type for e in events} == {"accounts"}
    assert all(e.resource.startswith("tenants/acme/") for e in events)
    assert theirs.name not in {e.resource for e in events}


def test_values_follow_the_consumers_scopes(feed_server):
    clients = feed_server.clients("acme-admin")
    start = cursor_now(stub(feed_server))
    nid = customer_pb2.NationalIdentifier(type=customer_pb2.NATIONAL_ID_TYPE_PASSPORT, value="X1234567890")
    c = create_customer(clients, national_identifiers=[nid])
    for key, masked in (("acme-read", True), ("acme-pii", False)):
        events, _ = collect(stub(feed_server, key), consumer(), start, has_all({c.name}))
        value = customer_pb2.Customer()
        assert next(e for e in events if e.resource == c.name).value.Unpack(value)
        assert value.national_identifiers[0].masked is masked
        assert (value.national_identifiers[0].value == "X1234567890") is not masked


def test_commit_cursor_and_resume(feed_server):
    clients = feed_server.clients("acme-admin")
    feed = stub(feed_server)
    name = consumer()
    expect_error(SC.NOT_FOUND, feed.GetConsumer, F.GetConsumerRequest(name=name), timeout=10)
    expect_error(
        SC.FAILED_PRECONDITION,
        lambda: list(feed.Subscribe(F.SubscribeRequest(consumer=name), timeout=10)),
        reason="NO_CURSOR",
    )
    start = cursor_now(feed)
    first = create_customer(clients)
    _events, cur = collect(feed, name, start, has_all({first.name}))
    committed = feed.CommitCursor(F.CommitCursorRequest(consumer=name, cursor=cur), timeout=10)
    assert committed.cursor == cur and committed.name == name
    assert feed.GetConsumer(F.GetConsumerRequest(name=name), timeout=10).cursor == cur
    second = create_customer(clients)
    # Resume from the committed cursor: the second customer, never the first again.
    got: list[F.ChangeEvent] = []
    for item in feed.Subscribe(F.SubscribeRequest(consumer=name), timeout=30):
        if item.HasField("event"):
            got.append(item.event)
            if item.event.resource == second.name:
                break
    assert first.name not in {e.resource for e in got}
    assert all(e.cursor > cur for e in got)


def test_max_events_and_start_positions(feed_server):
    clients = feed_server.clients("acme-admin")
    feed = stub(feed_server)
    for _ in range(3):
        create_customer(clients)
    items = list(
        feed.Subscribe(F.SubscribeRequest(consumer=consumer(), start_position=F.EARLIEST, max_events=2), timeout=30)
    )
    assert len([i for i in items if i.HasField("event")]) == 2
    # LATEST: only what is committed after the call started.
    call = feed.Subscribe(F.SubscribeRequest(consumer=consumer(), start_position=F.LATEST), timeout=30)
    late = create_customer(clients)
    for item in call:
        if item.HasField("event") and item.event.resource == late.name:
            call.cancel()
            break


def test_bad_requests(feed_server):
    feed = stub(feed_server)

    def sub(**kw):
        return lambda: list(feed.Subscribe(F.SubscribeRequest(**kw), timeout=10))

    expect_error(SC.INVALID_ARGUMENT, sub(consumer="consumers/x"), field="consumer")
    expect_error(SC.NOT_FOUND, sub(consumer="tenants/globex/consumers/x", start_position=F.LATEST))
    expect_error(SC.INVALID_ARGUMENT, sub(consumer=consumer(), start_cursor="not-a-cursor"), field="start_cursor")
    expect_error(
        SC.INVALID_ARGUMENT,
        sub(consumer=consumer(), start_position=F.LATEST, resource_types=["pans"]),
        field="resource_types[0]",
    )
    eight_days_ago = time_cursor(int((time.time() - 8 * 86400) * 1e6))
    expect_error(SC.FAILED_PRECONDITION, sub(consumer=consumer(), start_cursor=eight_days_ago), reason="CURSOR_EXPIRED")
    expect_error(
        SC.FAILED_PRECONDITION,
        feed.CommitCursor,
        F.CommitCursorRequest(consumer=consumer(), cursor=eight_days_ago),
        timeout=10,
        reason="CURSOR_EXPIRED",
    )
    expect_error(
        SC.INVALID_ARGUMENT, feed.CommitCursor, F.CommitCursorRequest(consumer=consumer()), timeout=10, field="cursor"
    )
    expect_error(
        SC.INVALID_ARGUMENT,
        lambda: list(feed.ExportSnapshot(F.ExportSnapshotRequest(parent=ACME, resource_types=["vault"]), timeout=10)),
        field="resource_types[0]",
    )
    expect_error(SC.NOT_FOUND, lambda: list(feed.ExportSnapshot(F.ExportSnapshotRequest(parent=GLOBEX), timeout=10)))


def test_scopes_and_authentication(feed_server):
    tok = stub(feed_server, "acme-tok")
    expect_error(
        SC.PERMISSION_DENIED,
        lambda: list(tok.Subscribe(F.SubscribeRequest(consumer=consumer(), start_position=F.LATEST), timeout=10)),
        reason="MISSING_SCOPE",
    )
    from crs.v1 import changefeed_pb2_grpc

    anon = changefeed_pb2_grpc.ChangeFeedServiceStub(feed_server.channel(None))
    expect_error(
        SC.UNAUTHENTICATED,
        lambda: list(anon.ExportSnapshot(F.ExportSnapshotRequest(parent=ACME), timeout=10)),
    )


def test_snapshot_under_concurrent_writes_then_follow_has_no_gap(feed_server):
    """Snapshot while customers keep changing; snapshot + the events after its cursor == the final state."""
    clients = feed_server.clients("acme-admin")
    feed = stub(feed_server)
    customers = [create_customer(clients) for _ in range(12)]
    stop = threading.Event()
    created: list[str] = []

    def churn() -> None:
        i = 0
        current = {c.name: c for c in customers}
        while not stop.is_set():
            name = customers[i % len(customers)].name
            current[name] = _update_name(clients, current[name], f"Churn {i}")
            if i % 5 == 0:
                created.append(create_customer(clients).name)
            i += 1

    worker = threading.Thread(target=churn)
    worker.start()
    try:
        time.sleep(0.3)
        records, end = snapshot(feed, ["customers"])
        time.sleep(0.5)
    finally:
        stop.set()
        worker.join(timeout=60)
    state: dict[str, str] = {}
    for r in records:
        v = customer_pb2.Customer()
        assert r.value.Unpack(v)
        state[r.resource] = v.display_name
    assert end.counts["customers"] == len(records)
    # Follow from the snapshot's cursor until past the last change made.
    marker = create_customer(clients)
    events, _ = collect(feed, consumer(), end.cursor, has_all({marker.name}), types=("customers",))
    latest: dict[str, tuple[int, str]] = {}
    for e in events:
        v = customer_pb2.Customer()
        assert e.value.Unpack(v)
        t = e.commit_time.ToMicroseconds()
        if e.resource not in latest or t >= latest[e.resource][0]:
            latest[e.resource] = (t, v.display_name)
    for resource, (_t, display) in latest.items():
        state[resource] = display
    for c in [*customers, *(customer_pb2.Customer(name=n) for n in created), marker]:
        got = clients.customers.GetCustomer(customer_pb2.GetCustomerRequest(name=c.name), timeout=10)
        assert state.get(c.name) == got.display_name, c.name


def test_two_server_processes_share_one_feed(feed_server, tmp_path):
    sibling = CrsServer(
        root=tmp_path / "sibling", backend=feed_server.backend, sibling_of=feed_server, extra_args=FEED_ARGS
    )
    sibling.start()
    try:
        feed = stub(feed_server)
        start = cursor_now(feed)
        here = create_customer(feed_server.clients("acme-admin"))
        there = create_customer(sibling.clients("acme-admin"))
        events, _ = collect(feed, consumer(), start, has_all({here.name, there.name}), types=("customers",))
        assert {here.name, there.name} <= {e.resource for e in events}
    finally:
        sibling.close()


def test_crs_export_writes_jsonl_and_manifest(feed_server, tmp_path):
    import json
    import subprocess
    import sys

    from crs.export import verify
    from tests.helpers.server import python_env

    clients = feed_server.clients("acme-admin")
    c = create_customer(clients)
    a = create_account(clients, c.name)
    card = register_card(clients, a.name)
    env = {**python_env(), "CRS_API_KEY": feed_server.secrets["acme-read"]}
    out = tmp_path / "export"
    proc = subprocess.run(
        [sys.executable, "-m", "crs", "export", "--target", feed_server.address, "--tenant", "acme", "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    manifest = verify(out)
    assert set(manifest["files"]) == {"customers", "accounts", "cards", "relationships", "clusters"}
    lines = {
        rtype: [json.loads(x) for x in (out / entry["file"]).read_text().splitlines()]
        for rtype, entry in manifest["files"].items()
    }
    by_name = {row["resource"]: row["value"] for rows in lines.values() for row in rows}
    assert by_name[c.name]["display_name"] == c.display_name
    assert by_name[a.name]["currency_code"] == a.currency_code
    assert by_name[card.name]["token"] == card.token
    # The export's cursor continues with Subscribe: a change made after it arrives, nothing before it.
    later = create_customer(clients)
    events, _ = collect(stub(feed_server), consumer(), manifest["cursor"], has_all({later.name}))
    assert c.name not in {e.resource for e in events}
    # A tampered file no longer matches its manifest.
    (out / "customers.jsonl").write_text("{}\n")
    with pytest.raises(ValueError):
        verify(out)


def test_streams_end_cleanly_when_the_server_drains(tmp_path):
    server = CrsServer(root=tmp_path / "drain", extra_args=FEED_ARGS)
    server.start()
    try:
        call = stub(server).Subscribe(F.SubscribeRequest(consumer=consumer(), start_position=F.LATEST), timeout=60)
        outcome: list[object] = []

        def drain() -> None:
            try:
                outcome.append(sum(1 for _ in call))
            except grpc.RpcError as err:
                outcome.append(err.code())

        reader = threading.Thread(target=drain)
        reader.start()
        time.sleep(1.5)  # the stream is open and polling
        started = time.monotonic()
        assert server.terminate(timeout=30) == 0
        reader.join(timeout=30)
        assert outcome and isinstance(outcome[0], int), outcome  # ended with OK, not cancelled by the grace period
        assert time.monotonic() - started < 5
    finally:
        server.close()


def test_transactions_segments_and_risk_alerts_are_feed_types(feed_server):
    from crs.v1 import segment_pb2, transaction_pb2
    from tests.helpers.transactions import payer, record, stubs, txn

    clients = feed_server.clients("acme-admin")
    feed = stub(feed_server)
    start = cursor_now(feed)
    p = payer(clients)
    resp = record(stubs(feed_server), [txn(p.token, tid=f"t-{uid()}")])
    tname = resp.results[0].name
    segments = f"{p.customer}/segments"
    events, _ = collect(
        feed, consumer(), start, has_all({tname, segments}), types=("transactions", "segments", "riskAlerts")
    )
    t_event = next(e for e in events if e.resource == tname)
    assert t_event.kind == F.CREATED and t_event.resource_type == "transactions"
    value = transaction_pb2.Transaction()
    assert t_event.value.Unpack(value) and value.name == tname and value.customer == p.customer
    s_event = next(e for e in events if e.resource == segments)
    seg = segment_pb2.Segments()
    assert s_event.resource_type == "segments" and s_event.value.Unpack(seg) and seg.customer == p.customer
