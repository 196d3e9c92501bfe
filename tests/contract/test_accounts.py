"""AccountService contract."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import field_mask_pb2
from google.type import date_pb2

from crs.v1 import account_pb2, audit_pb2, relationship_pb2
from tests.helpers.data import ACME, GLOBEX, create_account, create_customer, link_account, request_id, uid
from tests.helpers.rpc import expect_error, list_all

A = account_pb2
R = relationship_pb2
SC = grpc.StatusCode


def _acct(customer, **kw):
    fields = {
        "customer": customer,
        "kind": A.ACCOUNT_KIND_CHECKING,
        "currency_code": "EUR",
        "display_name": f"acct {uid()}",
    }
    fields.update(kw)
    return A.Account(**fields)


def _create_req(customer, **kw):
    account_id = kw.pop("account_id", "")
    return A.CreateAccountRequest(
        parent=kw.pop("parent", ACME), account=_acct(customer, **kw), account_id=account_id, request_id=request_id()
    )


def _update(clients, account, paths, rid=None):
    return clients.accounts.UpdateAccount(
        A.UpdateAccountRequest(
            account=account, update_mask=field_mask_pb2.FieldMask(paths=paths), request_id=rid or request_id()
        ),
        timeout=30,
    )


def test_create_get_and_owner_relationship(admin):
    cust = create_customer(admin)
    acct = admin.accounts.CreateAccount(
        _create_req(cust.name, currency_code="USD", kind=A.ACCOUNT_KIND_SAVINGS), timeout=30
    )
    assert acct.name.startswith("tenants/acme/accounts/")
    assert acct.customer == cust.name
    assert acct.currency_code == "USD" and acct.kind == A.ACCOUNT_KIND_SAVINGS
    assert acct.status == A.ACCOUNT_STATUS_ACTIVE
    assert acct.etag and acct.create_time.seconds > 0
    assert admin.accounts.GetAccount(A.GetAccountRequest(name=acct.name), timeout=30) == acct
    rels = list_all(
        admin.relationships.ListRelationships,
        R.ListRelationshipsRequest(parent=ACME, customer=cust.name),
        "relationships",
    )
    owners = [r for r in rels if r.account == acct.name]
    assert len(owners) == 1 and owners[0].account_role == R.ACCOUNT_ROLE_OWNER and owners[0].customer == cust.name
    by_account = list_all(
        admin.relationships.ListRelationships,
        R.ListRelationshipsRequest(parent=ACME, account=acct.name),
        "relationships",
    )
    assert [r.name for r in by_account] == [owners[0].name]


def test_create_with_client_id_and_duplicate(admin):
    cust = create_customer(admin)
    aid = f"acct-{uid()}"
    acct = admin.accounts.CreateAccount(_create_req(cust.name, account_id=aid), timeout=30)
    assert acct.name == f"tenants/acme/accounts/{aid}"
    f = expect_error(SC.ALREADY_EXISTS, admin.accounts.CreateAccount, _create_req(cust.name, account_id=aid))
    assert f.resource_info is not None and f.resource_info.resource_name == acct.name, f.describe()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"currency_code": "ZZZ"}, "account.currency_code"),
        ({"currency_code": "EURO"}, "account.currency_code"),
        ({"currency_code": ""}, "account.currency_code"),
        ({"currency_code": "12X"}, "account.currency_code"),
        ({"kind": A.ACCOUNT_KIND_UNSPECIFIED}, "account.kind"),
        ({"customer": ""}, "account.customer"),
        ({"customer": "not/a/customer"}, "account.customer"),
        ({"display_name": "d" * 201}, "account.display_name"),
    ],
    ids=[
        "unknown-currency",
        "long-currency",
        "no-currency",
        "digits-currency",
        "no-kind",
        "no-customer",
        "bad-customer-name",
        "long-name",
    ],
)
def test_create_invalid(admin, overrides, field):
    cust = create_customer(admin)
    args = {"customer": cust.name}
    args.update(overrides)
    expect_error(SC.INVALID_ARGUMENT, admin.accounts.CreateAccount, _create_req(**args), field=field)


def test_create_for_missing_customer(admin):
    # The contract requires an existing customer; which code it maps to is not pinned down beyond these.
    expect_error(
        (SC.NOT_FOUND, SC.FAILED_PRECONDITION, SC.INVALID_ARGUMENT),
        admin.accounts.CreateAccount,
        _create_req(f"tenants/acme/customers/ghost-{uid()}"),
    )


def test_get_not_found_and_bad_name(admin):
    name = f"tenants/acme/accounts/none-{uid()}"
    f = expect_error(SC.NOT_FOUND, admin.accounts.GetAccount, A.GetAccountRequest(name=name))
    assert f.resource_info is not None and f.resource_info.resource_name == name
    for bad in ("", "accounts/x", "tenants/acme/customers/x", "tenants/acme/accounts/UP"):
        expect_error(SC.INVALID_ARGUMENT, admin.accounts.GetAccount, A.GetAccountRequest(name=bad), field="name")


def test_update(admin):
    acct = create_account(admin, create_customer(admin).name)
    upd = _update(
        admin,
        A.Account(
            name=acct.name,
            display_name="renamed",
            status=A.ACCOUNT_STATUS_FROZEN,
            open_date=date_pb2.Date(year=2024, month=1, day=31),
            currency_code="USD",
            etag=acct.etag,
        ),
        ["display_name", "status", "open_date"],
    )
    assert upd.display_name == "renamed"
    assert upd.status == A.ACCOUNT_STATUS_FROZEN
    assert (upd.open_date.year, upd.open_date.month, upd.open_date.day) == (2024, 1, 31)
    assert upd.currency_code == "EUR"  # not in the mask
    assert upd.etag != acct.etag
    assert admin.accounts.GetAccount(A.GetAccountRequest(name=acct.name), timeout=30) == upd


def test_update_etag_mismatch(admin):
    acct = create_account(admin, create_customer(admin).name)
    _update(admin, A.Account(name=acct.name, display_name="one"), ["display_name"])
    expect_error(
        SC.ABORTED,
        _update,
        admin,
        A.Account(name=acct.name, display_name="two", etag=acct.etag),
        ["display_name"],
        reason="ETAG_MISMATCH",
    )


@pytest.mark.parametrize("paths", [["currency_code"], ["customer"], ["kind"], ["bogus"], ["display_name", "x"]])
def test_update_mask_rejects_other_paths(admin, paths):
    acct = create_account(admin, create_customer(admin).name)
    expect_error(
        SC.INVALID_ARGUMENT,
        _update,
        admin,
        A.Account(name=acct.name, currency_code="USD", display_name="x"),
        paths,
        field="update_mask",
    )
    assert admin.accounts.GetAccount(A.GetAccountRequest(name=acct.name), timeout=30).currency_code == "EUR"


def test_update_status_closed_is_rejected(admin):
    acct = create_account(admin, create_customer(admin).name)
    expect_error(
        SC.INVALID_ARGUMENT,
        _update,
        admin,
        A.Account(name=acct.name, status=A.ACCOUNT_STATUS_CLOSED),
        ["status"],
        field="account.status",
    )


def test_update_not_found(admin):
    expect_error(
        SC.NOT_FOUND,
        _update,
        admin,
        A.Account(name=f"tenants/acme/accounts/no-{uid()}", display_name="x"),
        ["display_name"],
    )


def test_close_is_soft(admin):
    acct = create_account(admin, create_customer(admin).name)
    closed = admin.accounts.CloseAccount(
        A.CloseAccountRequest(name=acct.name, etag=acct.etag, reason="bye", request_id=request_id()), timeout=30
    )
    assert closed.status == A.ACCOUNT_STATUS_CLOSED
    assert closed.close_date.year > 2000
    got = admin.accounts.GetAccount(A.GetAccountRequest(name=acct.name), timeout=30)
    assert got.status == A.ACCOUNT_STATUS_CLOSED and got.currency_code == "EUR"


def test_close_etag_mismatch_and_not_found(admin):
    acct = create_account(admin, create_customer(admin).name)
    _update(admin, A.Account(name=acct.name, display_name="changed"), ["display_name"])
    expect_error(
        SC.ABORTED,
        admin.accounts.CloseAccount,
        A.CloseAccountRequest(name=acct.name, etag=acct.etag, request_id=request_id()),
        reason="ETAG_MISMATCH",
    )
    expect_error(
        SC.NOT_FOUND,
        admin.accounts.CloseAccount,
        A.CloseAccountRequest(name=f"tenants/acme/accounts/no-{uid()}", request_id=request_id()),
    )


def test_create_idempotent_replay(admin):
    cust = create_customer(admin)
    req = _create_req(cust.name)
    first = admin.accounts.CreateAccount(req, timeout=30)
    assert admin.accounts.CreateAccount(req, timeout=30) == first
    accts = list_all(admin.accounts.ListAccounts, A.ListAccountsRequest(parent=ACME, customer=cust.name), "accounts")
    assert [a.name for a in accts] == [first.name]
    events = list_all(
        admin.audit.ListAuditEvents, audit_pb2.ListAuditEventsRequest(parent=ACME, resource=first.name), "audit_events"
    )
    assert len([e for e in events if e.method == "/crs.v1.AccountService/CreateAccount"]) == 1
    # Also only one OWNER relationship.
    rels = list_all(
        admin.relationships.ListRelationships,
        R.ListRelationshipsRequest(parent=ACME, account=first.name),
        "relationships",
    )
    assert len(rels) == 1


def test_request_id_reused(admin):
    cust = create_customer(admin)
    req = _create_req(cust.name)
    admin.accounts.CreateAccount(req, timeout=30)
    other = A.CreateAccountRequest()
    other.CopyFrom(req)
    other.account.currency_code = "GBP"
    expect_error(SC.FAILED_PRECONDITION, admin.accounts.CreateAccount, other, reason="REQUEST_ID_REUSED")


def test_request_id_reused_across_methods(admin):
    cust = create_customer(admin)
    rid = request_id()
    admin.accounts.CreateAccount(
        A.CreateAccountRequest(parent=ACME, account=_acct(cust.name), request_id=rid), timeout=30
    )
    from crs.v1 import customer_pb2

    expect_error(
        SC.FAILED_PRECONDITION,
        admin.customers.CloseCustomer,
        customer_pb2.CloseCustomerRequest(name=cust.name, request_id=rid),
        reason="REQUEST_ID_REUSED",
    )
    got = admin.customers.GetCustomer(customer_pb2.GetCustomerRequest(name=cust.name), timeout=30)
    assert got.status == customer_pb2.CUSTOMER_STATUS_ACTIVE


def test_page_token_from_another_list_method(admin):
    cust = create_customer(admin)
    for _ in range(3):
        create_account(admin, cust.name)
    from crs.v1 import customer_pb2

    resp = admin.customers.ListCustomers(customer_pb2.ListCustomersRequest(parent=ACME, page_size=1), timeout=30)
    assert resp.next_page_token
    expect_error(
        SC.INVALID_ARGUMENT,
        admin.accounts.ListAccounts,
        A.ListAccountsRequest(parent=ACME, page_size=1, page_token=resp.next_page_token),
        field="page_token",
    )


def test_list_tenant_pagination_with_inserts(admin):
    cust = create_customer(admin)
    before = [create_account(admin, cust.name).name for _ in range(12)]
    seen = []
    req = A.ListAccountsRequest(parent=ACME, page_size=5)
    pages = 0
    while True:
        resp = admin.accounts.ListAccounts(req, timeout=30)
        pages += 1
        assert len(resp.accounts) <= 5
        seen += [a.name for a in resp.accounts]
        if pages <= 2:
            create_account(admin, cust.name)
        if not resp.next_page_token:
            break
        req.page_token = resp.next_page_token
    assert pages >= 3
    assert len(seen) == len(set(seen))
    for n in before:
        assert seen.count(n) == 1


def test_list_by_customer_any_role(admin):
    owner = create_customer(admin)
    joint = create_customer(admin)
    a1 = create_account(admin, owner.name)
    a2 = create_account(admin, joint.name)
    link_account(admin, joint.name, a1.name, R.ACCOUNT_ROLE_JOINT_OWNER)
    got_owner = {
        a.name
        for a in list_all(
            admin.accounts.ListAccounts, A.ListAccountsRequest(parent=ACME, customer=owner.name), "accounts"
        )
    }
    got_joint = {
        a.name
        for a in list_all(
            admin.accounts.ListAccounts,
            A.ListAccountsRequest(parent=ACME, customer=joint.name),
            "accounts",
            page_size=1,
        )
    }
    assert got_owner == {a1.name}
    assert got_joint == {a1.name, a2.name}


def test_list_by_customer_holding_two_roles_on_one_account_has_no_duplicates(admin):
    """A customer who owns three accounts and is also beneficiary and authorized user of one of them sees each
    account exactly once, whatever the page size."""
    owner = create_customer(admin)
    accounts = [create_account(admin, owner.name).name for _ in range(3)]
    link_account(admin, owner.name, accounts[1], R.ACCOUNT_ROLE_BENEFICIARY)
    link_account(admin, owner.name, accounts[1], R.ACCOUNT_ROLE_AUTHORIZED_USER)
    for size in (1, 2, 50):
        got = [
            a.name
            for a in list_all(
                admin.accounts.ListAccounts,
                A.ListAccountsRequest(parent=ACME, customer=owner.name),
                "accounts",
                page_size=size,
            )
        ]
        assert sorted(got) == sorted(accounts), (size, got)


def test_list_errors(admin):
    expect_error(
        SC.INVALID_ARGUMENT,
        admin.accounts.ListAccounts,
        A.ListAccountsRequest(parent=ACME, page_size=-5),
        field="page_size",
    )
    expect_error(
        SC.INVALID_ARGUMENT,
        admin.accounts.ListAccounts,
        A.ListAccountsRequest(parent=ACME, page_token="tampered"),
        field="page_token",
    )
    cust = create_customer(admin)
    for _ in range(3):
        create_account(admin, cust.name)
    resp = admin.accounts.ListAccounts(A.ListAccountsRequest(parent=ACME, customer=cust.name, page_size=1), timeout=30)
    assert resp.next_page_token
    expect_error(
        SC.INVALID_ARGUMENT,
        admin.accounts.ListAccounts,
        A.ListAccountsRequest(parent=ACME, page_size=1, page_token=resp.next_page_token),
        field="page_token",
    )


def test_scopes_and_auth(crs_server, admin):
    cust = create_customer(admin)
    acct = create_account(admin, cust.name)
    reader = crs_server.clients("acme-read")
    assert reader.accounts.GetAccount(A.GetAccountRequest(name=acct.name), timeout=30).name == acct.name
    expect_error(SC.PERMISSION_DENIED, reader.accounts.CreateAccount, _create_req(cust.name), reason="MISSING_SCOPE")
    expect_error(
        SC.PERMISSION_DENIED,
        reader.accounts.UpdateAccount,
        A.UpdateAccountRequest(
            account=A.Account(name=acct.name, display_name="x"),
            update_mask=field_mask_pb2.FieldMask(paths=["display_name"]),
        ),
        reason="MISSING_SCOPE",
    )
    expect_error(
        SC.PERMISSION_DENIED,
        reader.accounts.CloseAccount,
        A.CloseAccountRequest(name=acct.name),
        reason="MISSING_SCOPE",
    )
    tok = crs_server.clients("acme-tok")
    expect_error(SC.PERMISSION_DENIED, tok.accounts.GetAccount, A.GetAccountRequest(name=acct.name))
    expect_error(SC.PERMISSION_DENIED, tok.accounts.ListAccounts, A.ListAccountsRequest(parent=ACME))
    rw = crs_server.clients("acme-rw")
    assert rw.accounts.CreateAccount(_create_req(cust.name), timeout=30).customer == cust.name
    anon = crs_server.clients(None)
    expect_error(SC.UNAUTHENTICATED, anon.accounts.GetAccount, A.GetAccountRequest(name=acct.name))
    expect_error(
        SC.UNAUTHENTICATED,
        crs_server.clients(raw_header="Bearer nope").accounts.ListAccounts,
        A.ListAccountsRequest(parent=ACME),
    )


def test_cross_tenant(admin, globex):
    cust = create_customer(admin)
    acct = create_account(admin, cust.name)
    expect_error(SC.NOT_FOUND, globex.accounts.GetAccount, A.GetAccountRequest(name=acct.name))
    expect_error(SC.NOT_FOUND, globex.accounts.ListAccounts, A.ListAccountsRequest(parent=ACME))
    expect_error(
        SC.NOT_FOUND,
        globex.accounts.UpdateAccount,
        A.UpdateAccountRequest(
            account=A.Account(name=acct.name, display_name="x"),
            update_mask=field_mask_pb2.FieldMask(paths=["display_name"]),
            request_id=request_id(),
        ),
    )
    expect_error(
        SC.NOT_FOUND, globex.accounts.CloseAccount, A.CloseAccountRequest(name=acct.name, request_id=request_id())
    )
    # Globex cannot open an account for an acme customer, in either tenant's namespace.
    expect_error(SC.NOT_FOUND, globex.accounts.CreateAccount, _create_req(cust.name))
    expect_error(
        (SC.NOT_FOUND, SC.INVALID_ARGUMENT), globex.accounts.CreateAccount, _create_req(cust.name, parent=GLOBEX)
    )
    g = create_customer(globex, parent=GLOBEX)
    g_acct = create_account(globex, g.name, parent=GLOBEX)
    from crs.v1 import relationship_pb2 as R

    for req in (
        R.ListRelationshipsRequest(parent=GLOBEX, customer=cust.name),
        R.ListRelationshipsRequest(parent=GLOBEX, account=acct.name),
    ):
        expect_error(SC.NOT_FOUND, globex.relationships.ListRelationships, req)
    expect_error(
        SC.NOT_FOUND,
        globex.relationships.CreateRelationship,
        R.CreateRelationshipRequest(
            parent=GLOBEX,
            relationship=R.Relationship(customer=g.name, account=acct.name, account_role=R.ACCOUNT_ROLE_JOINT_OWNER),
            request_id=request_id(),
        ),
    )
    expect_error(
        SC.NOT_FOUND,
        globex.relationships.CreateRelationship,
        R.CreateRelationshipRequest(
            parent=GLOBEX,
            relationship=R.Relationship(
                customer=cust.name, account=g_acct.name, account_role=R.ACCOUNT_ROLE_JOINT_OWNER
            ),
            request_id=request_id(),
        ),
    )
    # Listing its own tenant by an acme customer shows nothing of acme.
    try:
        resp = globex.accounts.ListAccounts(A.ListAccountsRequest(parent=GLOBEX, customer=cust.name), timeout=30)
        assert list(resp.accounts) == []
    except grpc.RpcError as e:
        assert e.code() in (SC.NOT_FOUND, SC.INVALID_ARGUMENT)
    assert admin.accounts.GetAccount(A.GetAccountRequest(name=acct.name), timeout=30).display_name == acct.display_name


def test_close_already_closed(admin):
    acct = create_account(admin, create_customer(admin).name)
    first = admin.accounts.CloseAccount(
        A.CloseAccountRequest(name=acct.name, reason="first", request_id=request_id()), timeout=30
    )
    try:
        second = admin.accounts.CloseAccount(
            A.CloseAccountRequest(name=acct.name, reason="second", request_id=request_id()), timeout=30
        )
    except grpc.RpcError as e:
        assert e.code() == SC.FAILED_PRECONDITION, e
    else:
        assert second == first
    assert admin.accounts.GetAccount(A.GetAccountRequest(name=acct.name), timeout=30) == first
    # A closed account cannot be updated back to life.
    expect_error(
        (SC.FAILED_PRECONDITION, SC.INVALID_ARGUMENT),
        _update,
        admin,
        A.Account(name=acct.name, status=A.ACCOUNT_STATUS_ACTIVE),
        ["status"],
    )
