"""AuditService contract."""

from __future__ import annotations

import time

import grpc
from google.protobuf import field_mask_pb2

from crs.v1 import audit_pb2, customer_pb2
from tests.helpers.data import ACME, GLOBEX, create_account, create_customer, new_customer, request_id, uid
from tests.helpers.rpc import expect_error, list_all, ts

AU = audit_pb2
C = customer_pb2
SC = grpc.StatusCode
SVC = "/crs.v1.CustomerService/"


def _events(clients, **kw):
    page_size = kw.pop("page_size", 100)
    return list_all(
        clients.audit.ListAuditEvents,
        AU.ListAuditEventsRequest(parent=kw.pop("parent", ACME), **kw),
        "audit_events",
        page_size=page_size,
    )


def test_mutations_are_audited_in_order(crs_server, admin):
    rw = crs_server.clients("acme-rw")
    secret_name = f"Secret Name {uid()}"
    rid_create, rid_update, rid_close = request_id(), request_id(), request_id()
    created = rw.customers.CreateCustomer(
        C.CreateCustomerRequest(parent=ACME, customer=new_customer(), request_id=rid_create), timeout=30
    )
    rw.customers.UpdateCustomer(
        C.UpdateCustomerRequest(
            customer=C.Customer(name=created.name, display_name=secret_name, legal_name="also secret"),
            update_mask=field_mask_pb2.FieldMask(paths=["display_name", "legal_name"]),
            request_id=rid_update,
        ),
        timeout=30,
    )
    rw.customers.CloseCustomer(C.CloseCustomerRequest(name=created.name, reason="r", request_id=rid_close), timeout=30)
    events = _events(admin, resource=created.name)
    assert [e.method for e in events] == [SVC + "CreateCustomer", SVC + "UpdateCustomer", SVC + "CloseCustomer"]
    assert [e.request_id for e in events] == [rid_create, rid_update, rid_close]
    for e in events:
        assert e.actor == "acme-rw"
        assert e.tenant == "acme"
        assert e.resource == created.name
        assert e.outcome == "OK"
        assert e.event_id
        assert e.time.seconds > 0
    assert len({e.event_id for e in events}) == 3
    assert [e.event_id for e in events] == sorted(e.event_id for e in events), "event ids not time-ordered"
    times = [e.time.ToNanoseconds() for e in events]
    assert times == sorted(times)
    assert sorted(events[1].changed_fields) == ["display_name", "legal_name"]
    # Values never appear in the audit trail.
    blob = "\n".join(str(e) for e in events)
    assert secret_name not in blob and "also secret" not in blob
    assert created.emails[0] not in blob


def test_account_and_owner_events(admin):
    cust = create_customer(admin)
    acct = create_account(admin, cust.name)
    events = _events(admin, resource=acct.name)
    assert [e.method for e in events] == ["/crs.v1.AccountService/CreateAccount"]
    assert events[0].actor == "acme-admin"


def test_by_actor_and_time_range(crs_server, admin):
    t0 = time.time() - 1
    rw = crs_server.clients("acme-rw")
    made = [create_customer(rw).name for _ in range(3)]
    t1 = time.time() + 1
    by_actor = _events(admin, actor="acme-rw", start_time=ts(t0), end_time=ts(t1))
    resources = [e.resource for e in by_actor if e.method == SVC + "CreateCustomer"]
    for n in made:
        assert resources.count(n) == 1
    assert all(e.actor == "acme-rw" for e in by_actor)
    # Tenant-wide listing over the window contains them as well.
    tenant_wide = _events(admin, start_time=ts(t0), end_time=ts(t1), page_size=2)
    assert set(made) <= {e.resource for e in tenant_wide}
    assert len({e.event_id for e in tenant_wide}) == len(tenant_wide)
    # Oldest first, whichever way the events are selected.
    for listing in (by_actor, tenant_wide):
        times = [e.time.ToNanoseconds() for e in listing]
        assert times == sorted(times), "audit events not oldest first"
    # A window that ends before they were made shows none of them.
    early = _events(admin, actor="acme-rw", start_time=ts(t0 - 3600), end_time=ts(t0 - 1800))
    assert not set(made) & {e.resource for e in early}


def test_pagination(admin):
    created = create_customer(admin)
    for i in range(11):
        admin.customers.UpdateCustomer(
            C.UpdateCustomerRequest(
                customer=C.Customer(name=created.name, display_name=f"v{i}"),
                update_mask=field_mask_pb2.FieldMask(paths=["display_name"]),
                request_id=request_id(),
            ),
            timeout=30,
        )
    seen = []
    req = AU.ListAuditEventsRequest(parent=ACME, resource=created.name, page_size=4)
    pages = 0
    while True:
        resp = admin.audit.ListAuditEvents(req, timeout=30)
        pages += 1
        assert len(resp.audit_events) <= 4
        seen += list(resp.audit_events)
        if not resp.next_page_token:
            break
        req.page_token = resp.next_page_token
    assert pages >= 3
    assert len(seen) == 12 and len({e.event_id for e in seen}) == 12
    resp_token = admin.audit.ListAuditEvents(
        AU.ListAuditEventsRequest(parent=ACME, resource=created.name, page_size=4), timeout=30
    ).next_page_token
    mid = len(resp_token) // 2
    tampered = resp_token[:mid] + ("A" if resp_token[mid] != "A" else "B") + resp_token[mid + 1 :]
    expect_error(
        SC.INVALID_ARGUMENT,
        admin.audit.ListAuditEvents,
        AU.ListAuditEventsRequest(parent=ACME, resource=created.name, page_size=4, page_token=tampered),
        field="page_token",
    )
    other = create_customer(admin)
    expect_error(
        SC.INVALID_ARGUMENT,
        admin.audit.ListAuditEvents,
        AU.ListAuditEventsRequest(parent=ACME, resource=other.name, page_size=4, page_token=resp_token),
        field="page_token",
    )


def test_invalid_requests(admin):
    created = create_customer(admin)
    expect_error(
        SC.INVALID_ARGUMENT,
        admin.audit.ListAuditEvents,
        AU.ListAuditEventsRequest(parent=ACME, resource=created.name, actor="acme-admin"),
    )
    expect_error(
        SC.INVALID_ARGUMENT,
        admin.audit.ListAuditEvents,
        AU.ListAuditEventsRequest(parent=ACME, page_size=-1),
        field="page_size",
    )
    expect_error(
        SC.INVALID_ARGUMENT, admin.audit.ListAuditEvents, AU.ListAuditEventsRequest(parent="nope"), field="parent"
    )


def test_scopes_and_auth(crs_server, admin):
    created = create_customer(admin)
    reader = crs_server.clients("acme-read")
    assert len(_events(reader, resource=created.name)) == 1
    for key in ("acme-tok", "acme-detok"):
        expect_error(
            SC.PERMISSION_DENIED,
            crs_server.clients(key).audit.ListAuditEvents,
            AU.ListAuditEventsRequest(parent=ACME, resource=created.name),
            reason="MISSING_SCOPE",
        )
    expect_error(
        SC.UNAUTHENTICATED, crs_server.clients(None).audit.ListAuditEvents, AU.ListAuditEventsRequest(parent=ACME)
    )


def test_cross_tenant(admin, globex):
    created = create_customer(admin)
    expect_error(SC.NOT_FOUND, globex.audit.ListAuditEvents, AU.ListAuditEventsRequest(parent=ACME))
    expect_error(
        SC.NOT_FOUND, globex.audit.ListAuditEvents, AU.ListAuditEventsRequest(parent=ACME, resource=created.name)
    )
    # Through its own tenant globex never sees acme events.
    try:
        leaked = _events(globex, parent=GLOBEX, resource=created.name)
        assert leaked == []
    except grpc.RpcError as e:
        assert e.code() in (SC.NOT_FOUND, SC.INVALID_ARGUMENT)
    assert all(e.tenant == "globex" for e in _events(globex, parent=GLOBEX))
    assert [e.tenant for e in _events(globex, parent=GLOBEX, actor="acme-admin")] == []


def test_resource_filter_naming_another_tenant_is_not_found(globex):
    """ListAuditEvents(parent=own tenant, resource=tenants/<other>/...) names something under another
    tenant: NOT_FOUND like every other cross-tenant reference (and never any event)."""
    created = create_customer(globex, parent=GLOBEX)
    try:
        resp = globex.audit.ListAuditEvents(AU.ListAuditEventsRequest(parent=GLOBEX, resource=created.name), timeout=30)
        assert len(resp.audit_events) == 1  # sanity: own resource visible
        leaked = _events(globex, parent=GLOBEX, resource=created.name.replace("tenants/globex", "tenants/acme"))
    except grpc.RpcError as e:
        assert e.code() == SC.NOT_FOUND, e
        return
    assert leaked == [], "events of another tenant's resource were listed"
    raise AssertionError("resource under another tenant returned OK (empty list) instead of NOT_FOUND")


def test_every_mutation_is_audited(admin):
    from crs.v1 import account_pb2, card_pb2, relationship_pb2
    from tests.helpers.data import register_card

    rid = {}

    def r(key):
        rid[key] = request_id()
        return rid[key]

    cust = admin.customers.CreateCustomer(
        C.CreateCustomerRequest(parent=ACME, customer=new_customer(), request_id=r("cc")), timeout=30
    )
    other = create_customer(admin)
    acct = admin.accounts.CreateAccount(
        account_pb2.CreateAccountRequest(
            parent=ACME,
            account=account_pb2.Account(customer=cust.name, kind=account_pb2.ACCOUNT_KIND_WALLET, currency_code="EUR"),
            request_id=r("ca"),
        ),
        timeout=30,
    )
    admin.accounts.UpdateAccount(
        account_pb2.UpdateAccountRequest(
            account=account_pb2.Account(name=acct.name, display_name="w"),
            update_mask=field_mask_pb2.FieldMask(paths=["display_name"]),
            request_id=r("ua"),
        ),
        timeout=30,
    )
    rel = admin.relationships.CreateRelationship(
        relationship_pb2.CreateRelationshipRequest(
            parent=ACME,
            relationship=relationship_pb2.Relationship(
                customer=other.name, account=acct.name, account_role=relationship_pb2.ACCOUNT_ROLE_AUTHORIZED_USER
            ),
            request_id=r("cr"),
        ),
        timeout=30,
    )
    admin.relationships.DeleteRelationship(
        relationship_pb2.DeleteRelationshipRequest(name=rel.name, request_id=r("dr")), timeout=30
    )
    card = register_card(admin, acct.name, request_id=r("rc"))
    admin.cards.UpdateCardState(
        card_pb2.UpdateCardStateRequest(
            name=card.name, state=card_pb2.CARD_STATE_BLOCKED, reason="x", request_id=r("us")
        ),
        timeout=30,
    )
    admin.accounts.CloseAccount(account_pb2.CloseAccountRequest(name=acct.name, request_id=r("xa")), timeout=30)
    admin.customers.CloseCustomer(C.CloseCustomerRequest(name=cust.name, request_id=r("xc")), timeout=30)
    expected = {
        "cc": ("/crs.v1.CustomerService/CreateCustomer", cust.name),
        "ca": ("/crs.v1.AccountService/CreateAccount", acct.name),
        "ua": ("/crs.v1.AccountService/UpdateAccount", acct.name),
        "cr": ("/crs.v1.RelationshipService/CreateRelationship", rel.name),
        "dr": ("/crs.v1.RelationshipService/DeleteRelationship", rel.name),
        "rc": ("/crs.v1.CardService/RegisterCard", card.name),
        "us": ("/crs.v1.CardService/UpdateCardState", card.name),
        "xa": ("/crs.v1.AccountService/CloseAccount", acct.name),
        "xc": ("/crs.v1.CustomerService/CloseCustomer", cust.name),
    }
    for key, (method, resource) in expected.items():
        events = [e for e in _events(admin, resource=resource) if e.request_id == rid[key]]
        assert len(events) == 1, f"{method}: {events}"
        assert events[0].method == method and events[0].outcome == "OK" and events[0].actor == "acme-admin"
    assert "state" in [
        f for e in _events(admin, resource=card.name) if e.request_id == rid["us"] for f in e.changed_fields
    ]


def test_national_id_values_never_in_audit(admin):
    value = "PX" + uid()[:8].upper()
    created = admin.customers.CreateCustomer(
        C.CreateCustomerRequest(
            parent=ACME,
            customer=new_customer(
                national_identifiers=[C.NationalIdentifier(type=C.NATIONAL_ID_TYPE_PASSPORT, value=value)]
            ),
            request_id=request_id(),
        ),
        timeout=30,
    )
    new_value = "PY" + uid()[:8].upper()
    admin.customers.UpdateCustomer(
        C.UpdateCustomerRequest(
            customer=C.Customer(
                name=created.name,
                national_identifiers=[C.NationalIdentifier(type=C.NATIONAL_ID_TYPE_PASSPORT, value=new_value)],
            ),
            update_mask=field_mask_pb2.FieldMask(paths=["national_identifiers"]),
            request_id=request_id(),
        ),
        timeout=30,
    )
    events = _events(admin, resource=created.name)
    assert len(events) == 2
    assert "national_identifiers" in events[1].changed_fields
    blob = "\n".join(str(e) for e in events)
    assert value not in blob and new_value not in blob
