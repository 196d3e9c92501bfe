"""RelationshipService contract."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import empty_pb2

from crs.v1 import audit_pb2, relationship_pb2
from tests.helpers.data import ACME, GLOBEX, create_account, create_customer, request_id, uid
from tests.helpers.rpc import expect_error, list_all

R = relationship_pb2
SC = grpc.StatusCode


def _create(clients, parent=ACME, rid=None, **fields):
    return clients.relationships.CreateRelationship(
        R.CreateRelationshipRequest(
            parent=parent, relationship=R.Relationship(**fields), request_id=rid or request_id()
        ),
        timeout=30,
    )


def _list(clients, page_size=50, **kw):
    return list_all(
        clients.relationships.ListRelationships,
        R.ListRelationshipsRequest(parent=ACME, **kw),
        "relationships",
        page_size=page_size,
    )


def _tamper(token):
    mid = len(token) // 2
    return token[:mid] + ("A" if token[mid] != "A" else "B") + token[mid + 1 :]


def test_account_relationship_roundtrip(admin):
    owner = create_customer(admin)
    joint = create_customer(admin)
    acct = create_account(admin, owner.name)
    rel = _create(admin, customer=joint.name, account=acct.name, account_role=R.ACCOUNT_ROLE_JOINT_OWNER)
    assert rel.name.startswith("tenants/acme/relationships/")
    assert rel.customer == joint.name and rel.account == acct.name
    assert rel.account_role == R.ACCOUNT_ROLE_JOINT_OWNER
    assert rel.create_time.seconds > 0
    assert admin.relationships.GetRelationship(R.GetRelationshipRequest(name=rel.name), timeout=30) == rel
    by_account = _list(admin, account=acct.name)
    assert {(r.customer, r.account_role) for r in by_account} == {
        (owner.name, R.ACCOUNT_ROLE_OWNER),
        (joint.name, R.ACCOUNT_ROLE_JOINT_OWNER),
    }
    assert [r.name for r in _list(admin, customer=joint.name)] == [rel.name]


def test_customer_link_seen_from_both_sides(admin):
    employer = create_customer(admin)
    employee = create_customer(admin)
    rel = _create(
        admin, customer=employer.name, related_customer=employee.name, link_type=R.CUSTOMER_LINK_TYPE_EMPLOYER
    )
    assert rel.related_customer == employee.name and rel.link_type == R.CUSTOMER_LINK_TYPE_EMPLOYER
    assert rel.name in [r.name for r in _list(admin, customer=employer.name)]
    assert rel.name in [r.name for r in _list(admin, customer=employee.name)]


def test_delete(admin):
    a = create_customer(admin)
    b = create_customer(admin)
    rel = _create(admin, customer=a.name, related_customer=b.name, link_type=R.CUSTOMER_LINK_TYPE_HOUSEHOLD_MEMBER)
    resp = admin.relationships.DeleteRelationship(
        R.DeleteRelationshipRequest(name=rel.name, request_id=request_id()), timeout=30
    )
    assert resp == empty_pb2.Empty()
    expect_error(SC.NOT_FOUND, admin.relationships.GetRelationship, R.GetRelationshipRequest(name=rel.name))
    assert rel.name not in [r.name for r in _list(admin, customer=a.name)]
    # A fresh delete (new request_id) of the deleted relationship: NOT_FOUND.
    f = expect_error(
        SC.NOT_FOUND,
        admin.relationships.DeleteRelationship,
        R.DeleteRelationshipRequest(name=rel.name, request_id=request_id()),
    )
    assert f.resource_info is not None and f.resource_info.resource_name == rel.name


def test_delete_idempotent_replay(admin):
    a = create_customer(admin)
    b = create_customer(admin)
    rel = _create(admin, customer=a.name, related_customer=b.name, link_type=R.CUSTOMER_LINK_TYPE_HOUSEHOLD_MEMBER)
    req = R.DeleteRelationshipRequest(name=rel.name, request_id=request_id())
    assert admin.relationships.DeleteRelationship(req, timeout=30) == empty_pb2.Empty()
    # Replay of the same delete returns the first result (not NOT_FOUND) and writes no second event.
    try:
        again = admin.relationships.DeleteRelationship(req, timeout=30)
    except grpc.RpcError as e:
        raise AssertionError(f"replayed DeleteRelationship failed with {e.code().name}: {e.details()}") from None
    assert again == empty_pb2.Empty()
    events = list_all(
        admin.audit.ListAuditEvents, audit_pb2.ListAuditEventsRequest(parent=ACME, resource=rel.name), "audit_events"
    )
    assert len([e for e in events if e.method == "/crs.v1.RelationshipService/DeleteRelationship"]) == 1


def test_create_idempotent_and_request_id_reuse(admin):
    a = create_customer(admin)
    b = create_customer(admin)
    c = create_customer(admin)
    rid = request_id()
    first = _create(admin, rid=rid, customer=a.name, related_customer=b.name, link_type=R.CUSTOMER_LINK_TYPE_GUARDIAN)
    second = _create(admin, rid=rid, customer=a.name, related_customer=b.name, link_type=R.CUSTOMER_LINK_TYPE_GUARDIAN)
    assert first == second
    assert [r.name for r in _list(admin, customer=a.name)] == [first.name]
    expect_error(
        SC.FAILED_PRECONDITION,
        _create,
        admin,
        rid=rid,
        customer=a.name,
        related_customer=c.name,
        link_type=R.CUSTOMER_LINK_TYPE_GUARDIAN,
        reason="REQUEST_ID_REUSED",
    )


@pytest.mark.parametrize(
    ("kind", "field"),
    [
        ("no-target", "relationship"),
        ("account-no-role", "relationship.account_role"),
        ("link-no-type", "relationship.link_type"),
        ("no-customer", "relationship.customer"),
        ("bad-account-name", "relationship.account"),
    ],
)
def test_create_invalid(admin, kind, field):
    a = create_customer(admin)
    b = create_customer(admin)
    acct = create_account(admin, a.name)
    fields = {
        "no-target": {"customer": b.name},
        "account-no-role": {"customer": b.name, "account": acct.name},
        "link-no-type": {"customer": a.name, "related_customer": b.name},
        "no-customer": {"account": acct.name, "account_role": R.ACCOUNT_ROLE_BENEFICIARY},
        "bad-account-name": {"customer": b.name, "account": "accounts/x", "account_role": R.ACCOUNT_ROLE_BENEFICIARY},
    }[kind]
    expect_error(SC.INVALID_ARGUMENT, _create, admin, **fields, field=field)


def test_create_with_missing_target(admin):
    a = create_customer(admin)
    expect_error(
        (SC.NOT_FOUND, SC.FAILED_PRECONDITION, SC.INVALID_ARGUMENT),
        _create,
        admin,
        customer=a.name,
        account=f"tenants/acme/accounts/ghost-{uid()}",
        account_role=R.ACCOUNT_ROLE_BENEFICIARY,
    )
    expect_error(
        (SC.NOT_FOUND, SC.FAILED_PRECONDITION, SC.INVALID_ARGUMENT),
        _create,
        admin,
        customer=a.name,
        related_customer=f"tenants/acme/customers/ghost-{uid()}",
        link_type=R.CUSTOMER_LINK_TYPE_HOUSEHOLD_MEMBER,
    )


def test_get_not_found_and_bad_name(admin):
    name = f"tenants/acme/relationships/none-{uid()}"
    f = expect_error(SC.NOT_FOUND, admin.relationships.GetRelationship, R.GetRelationshipRequest(name=name))
    assert f.resource_info is not None and f.resource_info.resource_name == name
    expect_error(
        SC.INVALID_ARGUMENT,
        admin.relationships.GetRelationship,
        R.GetRelationshipRequest(name="relationships/x"),
        field="name",
    )


def test_list_needs_exactly_one_side(admin):
    a = create_customer(admin)
    acct = create_account(admin, a.name)
    expect_error(SC.INVALID_ARGUMENT, admin.relationships.ListRelationships, R.ListRelationshipsRequest(parent=ACME))
    expect_error(
        SC.INVALID_ARGUMENT,
        admin.relationships.ListRelationships,
        R.ListRelationshipsRequest(parent=ACME, customer=a.name, account=acct.name),
    )


def test_list_pagination(admin):
    hub = create_customer(admin)
    others = [create_customer(admin) for _ in range(11)]
    made = [
        _create(admin, customer=hub.name, related_customer=o.name, link_type=R.CUSTOMER_LINK_TYPE_HOUSEHOLD_MEMBER).name
        for o in others
    ]
    seen = []
    req = R.ListRelationshipsRequest(parent=ACME, customer=hub.name, page_size=4)
    pages = 0
    while True:
        resp = admin.relationships.ListRelationships(req, timeout=30)
        pages += 1
        seen += [r.name for r in resp.relationships]
        if pages == 1:
            made.append(
                _create(
                    admin,
                    customer=hub.name,
                    related_customer=create_customer(admin).name,
                    link_type=R.CUSTOMER_LINK_TYPE_HOUSEHOLD_MEMBER,
                ).name
            )
        if not resp.next_page_token:
            break
        req.page_token = resp.next_page_token
    assert pages >= 3
    assert len(seen) == len(set(seen))
    for n in made[:11]:
        assert seen.count(n) == 1
    # Page token bound to the filter.
    resp = admin.relationships.ListRelationships(
        R.ListRelationshipsRequest(parent=ACME, customer=hub.name, page_size=2), timeout=30
    )
    expect_error(
        SC.INVALID_ARGUMENT,
        admin.relationships.ListRelationships,
        R.ListRelationshipsRequest(parent=ACME, customer=others[0].name, page_size=2, page_token=resp.next_page_token),
        field="page_token",
    )
    expect_error(
        SC.INVALID_ARGUMENT,
        admin.relationships.ListRelationships,
        R.ListRelationshipsRequest(
            parent=ACME, customer=hub.name, page_size=2, page_token=_tamper(resp.next_page_token)
        ),
        field="page_token",
    )


def test_scopes_and_auth(crs_server, admin):
    a = create_customer(admin)
    b = create_customer(admin)
    rel = _create(admin, customer=a.name, related_customer=b.name, link_type=R.CUSTOMER_LINK_TYPE_HOUSEHOLD_MEMBER)
    reader = crs_server.clients("acme-read")
    assert reader.relationships.GetRelationship(R.GetRelationshipRequest(name=rel.name), timeout=30) == rel
    expect_error(
        SC.PERMISSION_DENIED,
        _create,
        reader,
        customer=b.name,
        related_customer=a.name,
        link_type=R.CUSTOMER_LINK_TYPE_HOUSEHOLD_MEMBER,
        reason="MISSING_SCOPE",
    )
    expect_error(
        SC.PERMISSION_DENIED,
        reader.relationships.DeleteRelationship,
        R.DeleteRelationshipRequest(name=rel.name, request_id=request_id()),
        reason="MISSING_SCOPE",
    )
    tok = crs_server.clients("acme-detok")
    expect_error(
        SC.PERMISSION_DENIED,
        tok.relationships.ListRelationships,
        R.ListRelationshipsRequest(parent=ACME, customer=a.name),
    )
    expect_error(
        SC.UNAUTHENTICATED,
        crs_server.clients(None).relationships.GetRelationship,
        R.GetRelationshipRequest(name=rel.name),
    )
    admin.relationships.GetRelationship(R.GetRelationshipRequest(name=rel.name), timeout=30)


def test_cross_tenant(admin, globex):
    a = create_customer(admin)
    b = create_customer(admin)
    rel = _create(admin, customer=a.name, related_customer=b.name, link_type=R.CUSTOMER_LINK_TYPE_HOUSEHOLD_MEMBER)
    expect_error(SC.NOT_FOUND, globex.relationships.GetRelationship, R.GetRelationshipRequest(name=rel.name))
    expect_error(
        SC.NOT_FOUND, globex.relationships.ListRelationships, R.ListRelationshipsRequest(parent=ACME, customer=a.name)
    )
    expect_error(
        SC.NOT_FOUND,
        globex.relationships.DeleteRelationship,
        R.DeleteRelationshipRequest(name=rel.name, request_id=request_id()),
    )
    expect_error(
        SC.NOT_FOUND,
        globex.relationships.CreateRelationship,
        R.CreateRelationshipRequest(
            parent=ACME,
            relationship=R.Relationship(
                customer=a.name, related_customer=b.name, link_type=R.CUSTOMER_LINK_TYPE_EMPLOYER
            ),
            request_id=request_id(),
        ),
    )
    g = create_customer(globex, parent=GLOBEX)
    expect_error(
        (SC.NOT_FOUND, SC.INVALID_ARGUMENT),
        globex.relationships.CreateRelationship,
        R.CreateRelationshipRequest(
            parent=GLOBEX,
            relationship=R.Relationship(
                customer=g.name, related_customer=a.name, link_type=R.CUSTOMER_LINK_TYPE_EMPLOYER
            ),
            request_id=request_id(),
        ),
    )
    assert admin.relationships.GetRelationship(R.GetRelationshipRequest(name=rel.name), timeout=30) == rel
