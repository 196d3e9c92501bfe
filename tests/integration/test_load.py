"""The seeder and the Locust load test against a real server (embedded store), kept short for CI."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest

from crs.seed import account_id, card_id, customer_id, synthetic_pan
from crs.v1 import (
    account_pb2,
    account_pb2_grpc,
    audit_pb2,
    audit_pb2_grpc,
    card_pb2,
    card_pb2_grpc,
    customer_pb2,
    customer_pb2_grpc,
    lookup_pb2,
    lookup_pb2_grpc,
    token_pb2,
    token_pb2_grpc,
)
from loadtests.harness import TENANT, LocalServer, Workspace
from loadtests.run import CLASS_MARKERS, run

PARENT = f"tenants/{TENANT}"


def test_seed_writes_what_the_api_serves(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    manifest = ws.seed(50, salt=7)
    assert manifest["customers"] == 50 and len(manifest["tokens"]) == 50
    text = ws.manifest_file.read_text()
    assert not any(synthetic_pan(7, i) in text for i in range(50))  # PANs are re-derived, never stored
    with LocalServer(ws) as server, grpc.insecure_channel(server.address) as channel:
        md = (("authorization", f"Bearer {ws.secrets['backoffice']}"),)
        customers = customer_pb2_grpc.CustomerServiceStub(channel)
        names: list[str] = []
        token = ""
        while True:
            page = customers.ListCustomers(
                customer_pb2.ListCustomersRequest(parent=PARENT, page_size=7, page_token=token), metadata=md
            )
            names += [c.name for c in page.customers]
            token = page.next_page_token
            if not token:
                break
        assert sorted(names) == sorted(f"{PARENT}/customers/{customer_id(i)}" for i in range(50))

        found = customers.SearchCustomers(
            customer_pb2.SearchCustomersRequest(parent=PARENT, email="seed.customer.3@example.com"), metadata=md
        )
        assert [c.name for c in found.customers] == [f"{PARENT}/customers/{customer_id(3)}"]

        accounts = account_pb2_grpc.AccountServiceStub(channel).ListAccounts(
            account_pb2.ListAccountsRequest(parent=PARENT, customer=f"{PARENT}/customers/{customer_id(9)}"), metadata=md
        )
        assert [a.name for a in accounts.accounts] == [f"{PARENT}/accounts/{account_id(9)}"]
        cards = card_pb2_grpc.CardServiceStub(channel)
        listed = cards.ListCards(
            card_pb2.ListCardsRequest(parent=PARENT, account=f"{PARENT}/accounts/{account_id(9)}"), metadata=md
        )
        assert [c.name for c in listed.cards] == [f"{PARENT}/cards/{card_id(9)}"]

        by_pan = cards.LookupCard(card_pb2.LookupCardRequest(parent=PARENT, pan=synthetic_pan(7, 12)), metadata=md)
        assert by_pan.card.name == f"{PARENT}/cards/{card_id(12)}"
        assert by_pan.card.token == manifest["tokens"][12]
        assert [o.name for o in by_pan.owners] == [f"{PARENT}/customers/{customer_id(12)}"]
        by_token = cards.LookupCard(
            card_pb2.LookupCardRequest(parent=PARENT, token=manifest["tokens"][40]), metadata=md
        )
        assert by_token.account.name == f"{PARENT}/accounts/{account_id(40)}"

        # Clusters were reconciled as the servicers do: the authorization context names the holder's cluster.
        context = lookup_pb2_grpc.LookupServiceStub(channel).GetAuthorizationContext(
            lookup_pb2.GetAuthorizationContextRequest(parent=PARENT, token=manifest["tokens"][21]), metadata=md
        )
        assert context.card.card == f"{PARENT}/cards/{card_id(21)}"
        assert context.cluster.cluster.startswith(f"{PARENT}/clusters/")
        assert context.cluster.size == 1  # distinct synthetic people: nobody is linked to anybody
        assert [o.cluster for o in context.owners] == [context.cluster.cluster]

        # The vault holds every seeded PAN once: batch tokenization finds them all, creates none.
        batch = token_pb2_grpc.TokenServiceStub(channel).BatchTokenize(
            token_pb2.BatchTokenizeRequest(parent=PARENT, pans=[synthetic_pan(7, i) for i in range(50)]), metadata=md
        )
        assert batch.success_count == 50
        assert [r.token.token for r in batch.results] == manifest["tokens"]
        assert not any(r.token.created for r in batch.results)

        events = audit_pb2_grpc.AuditServiceStub(channel).ListAuditEvents(
            audit_pb2.ListAuditEventsRequest(parent=PARENT, resource=f"{PARENT}/customers/{customer_id(5)}"),
            metadata=md,
        )
        assert [e.method for e in events.audit_events] == ["/crs.v1.CustomerService/CreateCustomer"]


def test_locust_mix_runs_without_failures(tmp_path: Path) -> None:
    result = run(customers=200, users=10, spawn_rate=10, run_time=10, workdir=tmp_path)
    assert result.problems() == [], result.output
    for cls, method in CLASS_MARKERS.items():
        assert result.requests.get(method, 0) > 0, cls
    assert result.requests.get("LookupCard/pan", 0) > 0


@pytest.mark.cassandra
def test_locust_mix_on_cassandra_runs_without_failures(cassandra_cluster: object, tmp_path: Path) -> None:
    """The same mix against a server on a fresh keyspace of the local node (loadtests/run.py --store cassandra)."""
    result = run(customers=100, users=10, spawn_rate=10, run_time=10, workdir=tmp_path, store="cassandra")
    assert result.problems() == [], result.output
    assert result.requests.get("GetAuthorizationContext/token", 0) > 0 and result.requests.get("RegisterCard", 0) > 0
