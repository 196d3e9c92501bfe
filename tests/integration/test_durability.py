"""Every acknowledged write survives kill -9."""

from __future__ import annotations

import threading
import time

import grpc
import pytest

from crs.v1 import account_pb2, audit_pb2, card_pb2, customer_pb2
from tests.helpers.data import ACME, create_account, create_customer, new_customer, register_card, request_id
from tests.helpers.pans import make_pan
from tests.helpers.rpc import list_all


@pytest.mark.timeout(180)
def test_acknowledged_writes_survive_kill_9(fresh_server):
    server = fresh_server
    admin = server.clients("acme-admin")
    customers, accounts, cards = [], [], []
    last_req = None
    for i in range(25):
        c = create_customer(admin)
        customers.append(c)
        a = create_account(admin, c.name)
        accounts.append(a)
        p = make_pan()
        cards.append((p, register_card(admin, a.name, pan=p)))
        if i == 24:
            last_req = customer_pb2.CreateCustomerRequest(parent=ACME, customer=new_customer(), request_id=request_id())
            customers.append(admin.customers.CreateCustomer(last_req, timeout=30))
    # Kill right after the last ack.
    server.kill()
    server.start()
    admin = server.clients("acme-admin")
    for c in customers:
        assert admin.customers.GetCustomer(customer_pb2.GetCustomerRequest(name=c.name), timeout=30) == c
    for a in accounts:
        assert admin.accounts.GetAccount(account_pb2.GetAccountRequest(name=a.name), timeout=30) == a
    for p, card in cards:
        assert admin.cards.GetCard(card_pb2.GetCardRequest(name=card.name), timeout=30) == card
        assert admin.cards.LookupCard(card_pb2.LookupCardRequest(parent=ACME, pan=p), timeout=30).card == card
    # Idempotency records are durable too: the replay returns the first result, no new customer.
    assert admin.customers.CreateCustomer(last_req, timeout=30) == customers[-1]
    found = admin.customers.SearchCustomers(
        customer_pb2.SearchCustomersRequest(parent=ACME, email=last_req.customer.emails[0]), timeout=30
    )
    assert [c.name for c in found.customers] == [customers[-1].name]


@pytest.mark.timeout(180)
def test_concurrent_writers_killed_mid_stream(fresh_server):
    server = fresh_server
    acked: list[customer_pb2.Customer] = []
    lock = threading.Lock()
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer():
        clients = server.clients("acme-rw")
        while not stop.is_set():
            try:
                c = create_customer(clients)
            except grpc.RpcError:
                return  # server died
            except BaseException as e:
                errors.append(e)
                return
            with lock:
                acked.append(c)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with lock:
            if len(acked) >= 60:
                break
        time.sleep(0.02)
    proc = server.proc
    assert proc is not None
    proc.kill()  # SIGKILL while writes are in flight
    proc.wait(timeout=30)
    with lock:
        snapshot = list(acked)
    stop.set()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert len(snapshot) >= 60, f"only {len(snapshot)} writes acknowledged in 20 s"
    server.kill()  # close channels/log handles
    server.start()
    admin = server.clients("acme-admin")
    for c in snapshot:
        got = admin.customers.GetCustomer(customer_pb2.GetCustomerRequest(name=c.name), timeout=30)
        assert got == c
    # The audit event is part of the same durable write: every acknowledged create has one.
    events = list_all(
        admin.audit.ListAuditEvents,
        audit_pb2.ListAuditEventsRequest(parent=ACME, actor="acme-rw"),
        "audit_events",
        page_size=1000,
    )
    audited = {e.resource for e in events if e.method == "/crs.v1.CustomerService/CreateCustomer"}
    missing = [c.name for c in snapshot if c.name not in audited]
    assert not missing, f"{len(missing)} acknowledged creates have no audit event"
