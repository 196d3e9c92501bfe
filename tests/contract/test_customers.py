"""CustomerService contract."""

from __future__ import annotations

import threading

import grpc
import pytest
from google.protobuf import field_mask_pb2
from google.type import date_pb2

from crs.v1 import audit_pb2, common_pb2, customer_pb2
from tests.helpers.data import (
    ACME,
    GLOBEX,
    create_account,
    create_customer,
    new_customer,
    register_card,
    request_id,
    uid,
    unique_phone,
)
from tests.helpers.rpc import expect_error, list_all

C = customer_pb2
SC = grpc.StatusCode
CUSTOMER_METHOD = "/crs.v1.CustomerService/"


def _create(admin, customer=None, **kw):
    kw.setdefault("request_id", request_id())
    return admin.customers.CreateCustomer(
        C.CreateCustomerRequest(parent=kw.pop("parent", ACME), customer=customer or new_customer(), **kw), timeout=30
    )


def _update(clients, customer, paths, rid=None):
    return clients.customers.UpdateCustomer(
        C.UpdateCustomerRequest(
            customer=customer, update_mask=field_mask_pb2.FieldMask(paths=paths), request_id=rid or request_id()
        ),
        timeout=30,
    )


def _audit_for(admin, resource):
    return list_all(
        admin.audit.ListAuditEvents,
        audit_pb2.ListAuditEventsRequest(parent=ACME, resource=resource),
        "audit_events",
        page_size=100,
    )


# ------------------------------------------------------------------ create / get


def test_create_and_get(admin):
    u = uid()
    cust = new_customer(
        display_name=f"Ada {u}",
        emails=[f"Ada.{u}@Example.COM"],
        phones=["+372 555-0" + u[:3].translate(str.maketrans("abcdef", "123456"))],
        date_of_birth=date_pb2.Date(year=1990, month=2, day=3),
    )
    created = _create(admin, cust)
    assert created.name.startswith("tenants/acme/customers/")
    assert created.display_name == f"Ada {u}"
    assert created.status == C.CUSTOMER_STATUS_ACTIVE
    assert created.etag
    assert created.create_time.seconds > 0
    # Domain part lower-cased (local part may or may not be).
    assert created.emails[0].lower() == f"ada.{u}@example.com"
    assert created.emails[0].endswith("@example.com")
    # Phones normalized: no spaces/dashes.
    assert " " not in created.phones[0] and "-" not in created.phones[0]
    assert created.phones[0].startswith("+372555")
    got = admin.customers.GetCustomer(C.GetCustomerRequest(name=created.name), timeout=30)
    assert got == created


def test_create_with_client_id_and_duplicate(admin):
    cid = f"cust-{uid()}"
    created = _create(admin, customer_id=cid)
    assert created.name == f"tenants/acme/customers/{cid}"
    f = expect_error(
        SC.ALREADY_EXISTS,
        admin.customers.CreateCustomer,
        C.CreateCustomerRequest(parent=ACME, customer=new_customer(), customer_id=cid, request_id=request_id()),
    )
    assert f.resource_info is not None and f.resource_info.resource_name == created.name, f.describe()


@pytest.mark.parametrize("bad_id", ["Upper", "-lead", "has_underscore", "a" * 64, "sp ace"])
def test_create_bad_customer_id(admin, bad_id):
    expect_error(
        SC.INVALID_ARGUMENT,
        admin.customers.CreateCustomer,
        C.CreateCustomerRequest(parent=ACME, customer=new_customer(), customer_id=bad_id, request_id=request_id()),
        field="customer_id",
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"display_name": ""}, "customer.display_name"),
        ({"display_name": "x" * 201}, "customer.display_name"),
        ({"kind": C.CUSTOMER_KIND_UNSPECIFIED}, "customer.kind"),
        ({"emails": [f"e{i}-{uid()}@example.com" for i in range(11)]}, "customer.emails"),
        ({"phones": [f"+3725550{i:03d}" for i in range(11)]}, "customer.phones"),
        ({"emails": ["not-an-email"]}, "customer.emails"),
        ({"phones": ["call me"]}, "customer.phones"),
        ({"date_of_birth": date_pb2.Date(year=1990, month=13, day=1)}, "customer.date_of_birth"),
        (
            {"postal_addresses": [common_pb2.PostalAddress(region_code="EE", address_lines=["l"] * 6)]},
            "customer.postal_addresses",
        ),
        (
            {"postal_addresses": [common_pb2.PostalAddress(region_code="EE", address_lines=["l" * 201])]},
            "customer.postal_addresses",
        ),
        ({"national_identifiers": [C.NationalIdentifier(value="X123")]}, "customer.national_identifiers"),
    ],
    ids=[
        "empty-name",
        "long-name",
        "no-kind",
        "11-emails",
        "11-phones",
        "bad-email",
        "bad-phone",
        "bad-dob",
        "6-address-lines",
        "long-address-line",
        "national-id-without-type",
    ],
)
def test_create_invalid_fields(admin, overrides, field):
    expect_error(
        SC.INVALID_ARGUMENT,
        admin.customers.CreateCustomer,
        C.CreateCustomerRequest(parent=ACME, customer=new_customer(**overrides), request_id=request_id()),
        field=field,
    )


def test_create_display_name_at_limit_ok(admin):
    created = _create(admin, new_customer(display_name="y" * 200))
    assert len(created.display_name) == 200
    # The limit counts characters, not UTF-8 bytes.
    created = _create(admin, new_customer(display_name="ü" * 200))
    assert created.display_name == "ü" * 200
    expect_error(
        SC.INVALID_ARGUMENT,
        admin.customers.CreateCustomer,
        C.CreateCustomerRequest(parent=ACME, customer=new_customer(display_name="ü" * 201), request_id=request_id()),
        field="customer.display_name",
    )


@pytest.mark.parametrize("parent", ["", "acme", "tenants/", "tenants/ACME", "tenants/acme/customers"])
def test_create_bad_parent(admin, parent):
    expect_error(
        SC.INVALID_ARGUMENT,
        admin.customers.CreateCustomer,
        C.CreateCustomerRequest(parent=parent, customer=new_customer(), request_id=request_id()),
        field="parent",
    )


def test_get_not_found(admin):
    name = f"tenants/acme/customers/missing-{uid()}"
    f = expect_error(SC.NOT_FOUND, admin.customers.GetCustomer, C.GetCustomerRequest(name=name))
    assert f.resource_info is not None and f.resource_info.resource_name == name, f.describe()


@pytest.mark.parametrize(
    "name", ["", "customers/x", "tenants/acme/accounts/x", "tenants/acme/customers/", "tenants/acme/customers/BAD_ID"]
)
def test_get_bad_name(admin, name):
    expect_error(SC.INVALID_ARGUMENT, admin.customers.GetCustomer, C.GetCustomerRequest(name=name), field="name")


# ------------------------------------------------------------------ update


def test_update_display_name(admin):
    created = _create(admin)
    patch = C.Customer(name=created.name, display_name="Renamed " + uid(), legal_name="IGNORED", etag=created.etag)
    updated = _update(admin, patch, ["display_name"])
    assert updated.display_name == patch.display_name
    assert updated.legal_name == created.legal_name  # not in mask: unchanged
    assert updated.emails == created.emails
    assert updated.etag and updated.etag != created.etag
    assert updated.update_time.ToNanoseconds() >= created.update_time.ToNanoseconds()
    got = admin.customers.GetCustomer(C.GetCustomerRequest(name=created.name), timeout=30)
    assert got.display_name == patch.display_name and got.etag == updated.etag


def test_update_without_etag_ok(admin):
    created = _create(admin)
    updated = _update(admin, C.Customer(name=created.name, legal_name="New Legal"), ["legal_name"])
    assert updated.legal_name == "New Legal"


def test_update_star_mask(admin):
    created = _create(admin)
    replacement = new_customer(display_name="Star " + uid())
    replacement.name = created.name
    replacement.etag = created.etag
    updated = _update(admin, replacement, ["*"])
    assert updated.display_name == replacement.display_name
    assert list(updated.emails) == list(replacement.emails)
    assert updated.name == created.name


def test_update_etag_mismatch(admin):
    created = _create(admin)
    _update(admin, C.Customer(name=created.name, display_name="first"), ["display_name"])
    f = expect_error(
        SC.ABORTED,
        _update,
        admin,
        C.Customer(name=created.name, display_name="stale", etag=created.etag),
        ["display_name"],
        reason="ETAG_MISMATCH",
    )
    assert f
    got = admin.customers.GetCustomer(C.GetCustomerRequest(name=created.name), timeout=30)
    assert got.display_name == "first"


@pytest.mark.parametrize("paths", [["no_such_field"], ["display_name", "status"], ["etag"], ["name"]])
def test_update_unknown_mask_path(admin, paths):
    created = _create(admin)
    expect_error(
        SC.INVALID_ARGUMENT,
        admin.customers.UpdateCustomer,
        C.UpdateCustomerRequest(
            customer=C.Customer(name=created.name, display_name="x"),
            update_mask=field_mask_pb2.FieldMask(paths=paths),
            request_id=request_id(),
        ),
        field="update_mask",
    )


def test_update_validates_values(admin):
    created = _create(admin)
    expect_error(
        SC.INVALID_ARGUMENT,
        _update,
        admin,
        C.Customer(name=created.name, display_name="z" * 201),
        ["display_name"],
        field="customer.display_name",
    )


def test_update_not_found(admin):
    expect_error(
        SC.NOT_FOUND,
        _update,
        admin,
        C.Customer(name=f"tenants/acme/customers/nope-{uid()}", display_name="x"),
        ["display_name"],
    )


@pytest.mark.timeout(60)
def test_concurrent_update_same_etag_one_wins(admin):
    for _round in range(5):
        created = _create(admin)
        barrier = threading.Barrier(4)
        results: list[object] = [None] * 4

        def worker(i, created=created, barrier=barrier, results=results):
            patch = C.Customer(name=created.name, display_name=f"writer-{i}", etag=created.etag)
            barrier.wait()
            try:
                results[i] = _update(admin, patch, ["display_name"])
            except grpc.RpcError as e:
                results[i] = e.code()

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        oks = [r for r in results if isinstance(r, C.Customer)]
        aborted = [r for r in results if r == SC.ABORTED]
        assert len(oks) == 1 and len(aborted) == 3, f"round {_round}: {results}"
        got = admin.customers.GetCustomer(C.GetCustomerRequest(name=created.name), timeout=30)
        assert got.display_name == oks[0].display_name and got.etag == oks[0].etag


# ------------------------------------------------------------------ idempotency


def test_create_idempotent_replay(admin):
    u = uid()
    req = C.CreateCustomerRequest(
        parent=ACME, customer=new_customer(emails=[f"replay-{u}@example.com"]), request_id=request_id()
    )
    first = admin.customers.CreateCustomer(req, timeout=30)
    second = admin.customers.CreateCustomer(req, timeout=30)
    assert second == first
    found = admin.customers.SearchCustomers(
        C.SearchCustomersRequest(parent=ACME, email=f"replay-{u}@example.com"), timeout=30
    )
    assert [c.name for c in found.customers] == [first.name]
    events = [e for e in _audit_for(admin, first.name) if e.method == CUSTOMER_METHOD + "CreateCustomer"]
    assert len(events) == 1, events


def test_update_idempotent_replay(admin):
    created = _create(admin)
    rid = request_id()
    patch = C.Customer(name=created.name, display_name="once " + uid(), etag=created.etag)
    first = _update(admin, patch, ["display_name"], rid=rid)
    # Same request again: the etag in it is stale now, but the replay returns the first result.
    second = _update(admin, patch, ["display_name"], rid=rid)
    assert second == first
    events = [e for e in _audit_for(admin, created.name) if e.method == CUSTOMER_METHOD + "UpdateCustomer"]
    assert len(events) == 1, events


def test_request_id_reused_with_different_request(admin):
    rid = request_id()
    _create(admin, request_id=rid)
    expect_error(
        SC.FAILED_PRECONDITION,
        admin.customers.CreateCustomer,
        C.CreateCustomerRequest(parent=ACME, customer=new_customer(), request_id=rid),
        reason="REQUEST_ID_REUSED",
    )


# ------------------------------------------------------------------ close


def test_close_is_soft(admin):
    created = _create(admin)
    closed = admin.customers.CloseCustomer(
        C.CloseCustomerRequest(
            name=created.name, etag=created.etag, reason="customer request", request_id=request_id()
        ),
        timeout=30,
    )
    assert closed.status == C.CUSTOMER_STATUS_CLOSED
    assert closed.close_time.seconds > 0
    assert closed.close_reason == "customer request"
    assert closed.etag != created.etag
    got = admin.customers.GetCustomer(C.GetCustomerRequest(name=created.name), timeout=30)
    assert got.status == C.CUSTOMER_STATUS_CLOSED and got.display_name == created.display_name
    # Still searchable, status shown.
    found = admin.customers.SearchCustomers(C.SearchCustomersRequest(parent=ACME, email=created.emails[0]), timeout=30)
    assert [(c.name, c.status) for c in found.customers] == [(created.name, C.CUSTOMER_STATUS_CLOSED)]


def test_close_etag_mismatch(admin):
    created = _create(admin)
    _update(admin, C.Customer(name=created.name, display_name="changed"), ["display_name"])
    expect_error(
        SC.ABORTED,
        admin.customers.CloseCustomer,
        C.CloseCustomerRequest(name=created.name, etag=created.etag, request_id=request_id()),
        reason="ETAG_MISMATCH",
    )


def test_close_not_found(admin):
    expect_error(
        SC.NOT_FOUND,
        admin.customers.CloseCustomer,
        C.CloseCustomerRequest(name=f"tenants/acme/customers/gone-{uid()}", request_id=request_id()),
    )


def test_close_idempotent_replay(admin):
    created = _create(admin)
    req = C.CloseCustomerRequest(name=created.name, reason="dup", request_id=request_id())
    first = admin.customers.CloseCustomer(req, timeout=30)
    second = admin.customers.CloseCustomer(req, timeout=30)
    assert first == second
    events = [e for e in _audit_for(admin, created.name) if e.method == CUSTOMER_METHOD + "CloseCustomer"]
    assert len(events) == 1, events


# ------------------------------------------------------------------ list / pagination


def test_list_pagination_with_inserts_between_pages(admin):
    before = [_create(admin).name for _ in range(23)]
    seen: list[str] = []
    req = C.ListCustomersRequest(parent=ACME, page_size=7)
    pages = 0
    inserted: list[str] = []
    while True:
        resp = admin.customers.ListCustomers(req, timeout=30)
        pages += 1
        assert len(resp.customers) <= 7
        seen.extend(c.name for c in resp.customers)
        if pages <= 3:
            inserted.append(_create(admin).name)  # concurrent writer between pages
        if not resp.next_page_token:
            break
        req.page_token = resp.next_page_token
        assert pages < 1000
    assert pages > 3
    assert len(seen) == len(set(seen)), "duplicates across pages"
    for name in before:
        assert seen.count(name) == 1, f"{name} missing from the listing"


def test_list_order_is_stable_and_complete(admin):
    """The documented order: stable across calls and page sizes (bucket, then id); every customer once."""
    made = [_create(admin).name for _ in range(10)]

    def listed(page_size: int) -> list[str]:
        return [
            c.name
            for c in list_all(
                admin.customers.ListCustomers, C.ListCustomersRequest(parent=ACME), "customers", page_size=page_size
            )
        ]

    big, small = listed(1000), listed(3)
    assert big == small
    assert len(big) == len(set(big))
    assert set(made) <= set(big)


def test_list_status_filter(admin):
    a = _create(admin)
    b = _create(admin)
    admin.customers.CloseCustomer(C.CloseCustomerRequest(name=b.name, request_id=request_id()), timeout=30)
    closed = {
        c.name
        for c in list_all(
            admin.customers.ListCustomers,
            C.ListCustomersRequest(parent=ACME, status=C.CUSTOMER_STATUS_CLOSED),
            "customers",
            page_size=1000,
        )
    }
    active = {
        c.name
        for c in list_all(
            admin.customers.ListCustomers,
            C.ListCustomersRequest(parent=ACME, status=C.CUSTOMER_STATUS_ACTIVE),
            "customers",
            page_size=1000,
        )
    }
    assert b.name in closed and b.name not in active
    assert a.name in active and a.name not in closed


def test_list_page_size_bounds(admin):
    expect_error(
        SC.INVALID_ARGUMENT,
        admin.customers.ListCustomers,
        C.ListCustomersRequest(parent=ACME, page_size=-1),
        field="page_size",
    )
    resp = admin.customers.ListCustomers(C.ListCustomersRequest(parent=ACME, page_size=5000), timeout=30)
    assert len(resp.customers) <= 1000
    resp = admin.customers.ListCustomers(C.ListCustomersRequest(parent=ACME), timeout=30)
    assert len(resp.customers) <= 50


def _tamper_variants(token: str) -> list[str]:
    mid = len(token) // 2
    flipped = token[:mid] + ("A" if token[mid] != "A" else "B") + token[mid + 1 :]
    # (Not the last character: with base64 its low bits may be padding that decoders ignore.)
    early = token[:3] + ("A" if token[3] != "A" else "B") + token[4:]
    return [flipped, early, token[:mid], token + "AAAA", "garbage", "!!!"]


def test_tampered_page_token(admin):
    for _ in range(3):
        _create(admin)
    resp = admin.customers.ListCustomers(C.ListCustomersRequest(parent=ACME, page_size=1), timeout=30)
    assert resp.next_page_token
    for bad in _tamper_variants(resp.next_page_token):
        expect_error(
            SC.INVALID_ARGUMENT,
            admin.customers.ListCustomers,
            C.ListCustomersRequest(parent=ACME, page_size=1, page_token=bad),
            field="page_token",
            reason="INVALID_PAGE_TOKEN",
        )


def test_page_token_with_different_filter(admin):
    for _ in range(3):
        _create(admin)
    resp = admin.customers.ListCustomers(
        C.ListCustomersRequest(parent=ACME, page_size=1, status=C.CUSTOMER_STATUS_ACTIVE), timeout=30
    )
    assert resp.next_page_token
    expect_error(
        SC.INVALID_ARGUMENT,
        admin.customers.ListCustomers,
        C.ListCustomersRequest(
            parent=ACME, page_size=1, status=C.CUSTOMER_STATUS_CLOSED, page_token=resp.next_page_token
        ),
        field="page_token",
    )
    # Same token with a different parent (another tenant's listing) is rejected too (or hidden).
    expect_error(
        (SC.INVALID_ARGUMENT, SC.NOT_FOUND),
        admin.customers.ListCustomers,
        C.ListCustomersRequest(
            parent=GLOBEX, page_size=1, status=C.CUSTOMER_STATUS_ACTIVE, page_token=resp.next_page_token
        ),
    )


# ------------------------------------------------------------------ PII


def _with_national_id(value="ab 123 456 789"):
    return new_customer(
        national_identifiers=[
            C.NationalIdentifier(type=C.NATIONAL_ID_TYPE_PERSONAL_CODE, value=value, issuing_country="EE")
        ]
    )


def _plain_value(cust):
    return cust.national_identifiers[0].value


def test_national_id_masked_without_pii(admin, crs_server):
    value = "3900101" + uid()[:4].translate(str.maketrans("abcdef", "123456"))  # 11 chars
    created = _create(admin, _with_national_id(value))
    assert _plain_value(created) == value
    assert created.national_identifiers[0].masked is False
    plain = value
    reader = crs_server.clients("acme-read")
    got = reader.customers.GetCustomer(C.GetCustomerRequest(name=created.name), timeout=30)
    nid = got.national_identifiers[0]
    assert nid.masked is True
    assert nid.value == "*" * (len(plain) - 4) + plain[-4:]
    assert plain not in str(got)
    # Listing and searching without pii are masked too.
    found = reader.customers.SearchCustomers(C.SearchCustomersRequest(parent=ACME, email=created.emails[0]), timeout=30)
    assert found.customers[0].national_identifiers[0].masked is True
    assert plain not in str(found)
    listed = list_all(reader.customers.ListCustomers, C.ListCustomersRequest(parent=ACME), "customers", page_size=1000)
    mine = [c for c in listed if c.name == created.name]
    assert mine and mine[0].national_identifiers[0].masked is True
    # A write-without-pii key sees masked values in the mutation response as well.
    rw = crs_server.clients("acme-rw")
    upd = rw.customers.UpdateCustomer(
        C.UpdateCustomerRequest(
            customer=C.Customer(name=created.name, display_name="pii " + uid()),
            update_mask=field_mask_pb2.FieldMask(paths=["display_name"]),
            request_id=request_id(),
        ),
        timeout=30,
    )
    assert upd.national_identifiers[0].masked is True and plain not in str(upd)
    rw_created = rw.customers.CreateCustomer(
        C.CreateCustomerRequest(parent=ACME, customer=_with_national_id("XY99887766"), request_id=request_id()),
        timeout=30,
    )
    assert rw_created.national_identifiers[0].masked is True
    assert "99887766" not in str(rw_created)
    # An idempotent replay by a key without pii does not hand out the pii-scoped first response.
    req = C.CreateCustomerRequest(parent=ACME, customer=_with_national_id("ZZ11223344"), request_id=request_id())
    assert admin.customers.CreateCustomer(req, timeout=30).national_identifiers[0].value == "ZZ11223344"
    replay = rw.customers.CreateCustomer(req, timeout=30)
    assert replay.national_identifiers[0].masked is True and "11223344" not in str(replay)
    # pii scope: plain.
    pii = crs_server.clients("acme-pii")
    got = pii.customers.GetCustomer(C.GetCustomerRequest(name=created.name), timeout=30)
    assert got.national_identifiers[0].value == plain and got.national_identifiers[0].masked is False
    got = admin.customers.GetCustomer(C.GetCustomerRequest(name=created.name), timeout=30)
    assert got.national_identifiers[0].value == plain


def test_masked_read_modify_write_keeps_national_ids(admin, crs_server):
    """A key without `pii` that reads a customer (masked) and writes it back with mask "*" must not
    replace the stored identifier with its masked form (rejecting the write is fine too)."""
    plain = "3900101" + uid()[:4].translate(str.maketrans("abcdef", "123456"))
    created = _create(admin, _with_national_id(plain))
    rw = crs_server.clients("acme-rw")
    seen = rw.customers.GetCustomer(C.GetCustomerRequest(name=created.name), timeout=30)
    assert seen.national_identifiers[0].masked is True
    seen.display_name = "edited without pii"
    try:
        _update(rw, seen, ["*"])
    except grpc.RpcError as e:
        assert e.code() in (SC.PERMISSION_DENIED, SC.INVALID_ARGUMENT, SC.FAILED_PRECONDITION), e
    got = admin.customers.GetCustomer(C.GetCustomerRequest(name=created.name), timeout=30)
    assert [n.value for n in got.national_identifiers] == [plain], (
        f"stored national identifier overwritten: {[n.value for n in got.national_identifiers]}"
    )


def test_closed_customer_cannot_be_updated(admin):
    created = _create(admin)
    admin.customers.CloseCustomer(C.CloseCustomerRequest(name=created.name, request_id=request_id()), timeout=30)
    expect_error(
        SC.FAILED_PRECONDITION, _update, admin, C.Customer(name=created.name, display_name="x"), ["display_name"]
    )


# ------------------------------------------------------------------ search


def test_search_by_email_case_insensitive(admin):
    u = uid()
    created = _create(admin, new_customer(emails=[f"mixed.{u}@example.com"]))
    for q in (f"mixed.{u}@example.com", f"MIXED.{u}@EXAMPLE.COM", f"Mixed.{u}@Example.Com"):
        resp = admin.customers.SearchCustomers(C.SearchCustomersRequest(parent=ACME, email=q), timeout=30)
        assert [c.name for c in resp.customers] == [created.name], q
    resp = admin.customers.SearchCustomers(
        C.SearchCustomersRequest(parent=ACME, email=f"other.{u}@example.com"), timeout=30
    )
    assert list(resp.customers) == []


def test_search_by_phone(admin):
    digits = "5" + uid()[:7].translate(str.maketrans("abcdef", "123456"))
    created = _create(admin, new_customer(phones=[f"+372 {digits[:3]}-{digits[3:]}"]))
    for q in (f"+372{digits}", f"+372 {digits[:4]} {digits[4:]}", f"+372-{digits}"):
        resp = admin.customers.SearchCustomers(C.SearchCustomersRequest(parent=ACME, phone=q), timeout=30)
        assert [c.name for c in resp.customers] == [created.name], q


def test_search_by_national_id(admin):
    u = uid()
    value = f"AB{u[:6].upper()}"
    created = _create(admin, _with_national_id(value))
    for q in (value, value.lower(), f"{value[:3]} {value[3:]}".lower()):
        resp = admin.customers.SearchCustomers(
            C.SearchCustomersRequest(
                parent=ACME, national_identifier=C.NationalIdentifier(type=C.NATIONAL_ID_TYPE_PERSONAL_CODE, value=q)
            ),
            timeout=30,
        )
        assert [c.name for c in resp.customers] == [created.name], q
    # Other type: no match.
    resp = admin.customers.SearchCustomers(
        C.SearchCustomersRequest(
            parent=ACME, national_identifier=C.NationalIdentifier(type=C.NATIONAL_ID_TYPE_PASSPORT, value=value)
        ),
        timeout=30,
    )
    assert list(resp.customers) == []


def test_search_by_card_fingerprint(admin):
    holder = _create(admin)
    acct = create_account(admin, holder.name)
    card = register_card(admin, acct.name)
    assert card.fingerprint
    resp = admin.customers.SearchCustomers(
        C.SearchCustomersRequest(parent=ACME, card_fingerprint=card.fingerprint), timeout=30
    )
    assert holder.name in [c.name for c in resp.customers]


def test_search_requires_query(admin):
    expect_error(SC.INVALID_ARGUMENT, admin.customers.SearchCustomers, C.SearchCustomersRequest(parent=ACME))


def test_search_pagination(admin):
    u = uid()
    shared = f"+3726{u[:7].translate(str.maketrans('abcdef', '123456'))}"
    names = {_create(admin, new_customer(phones=[shared])).name for _ in range(5)}
    got = list_all(
        admin.customers.SearchCustomers, C.SearchCustomersRequest(parent=ACME, phone=shared), "customers", page_size=2
    )
    assert sorted(c.name for c in got) == sorted(names)
    first = admin.customers.SearchCustomers(
        C.SearchCustomersRequest(parent=ACME, phone=shared, page_size=2), timeout=30
    )
    assert first.next_page_token
    for other in (
        C.SearchCustomersRequest(parent=ACME, phone=unique_phone(), page_size=2, page_token=first.next_page_token),
        C.SearchCustomersRequest(
            parent=ACME, email=f"x-{uid()}@example.com", page_size=2, page_token=first.next_page_token
        ),
        C.SearchCustomersRequest(
            parent=ACME, phone=shared, page_size=2, page_token=_tamper_variants(first.next_page_token)[0]
        ),
    ):
        expect_error(SC.INVALID_ARGUMENT, admin.customers.SearchCustomers, other, field="page_token")


# ------------------------------------------------------------------ auth / scopes / tenancy


def test_unauthenticated(crs_server):
    name = "tenants/acme/customers/whatever"
    for clients in (
        crs_server.clients(None),
        crs_server.clients(raw_header="Bearer not-a-real-key"),
        crs_server.clients(raw_header=crs_server.secrets["acme-admin"]),  # missing "Bearer "
        crs_server.clients(raw_header="Basic " + crs_server.secrets["acme-admin"]),
    ):
        expect_error(
            SC.UNAUTHENTICATED, clients.customers.GetCustomer, C.GetCustomerRequest(name=name), reason="UNAUTHENTICATED"
        )
        expect_error(
            SC.UNAUTHENTICATED,
            clients.customers.CreateCustomer,
            C.CreateCustomerRequest(parent=ACME, customer=new_customer(), request_id=request_id()),
        )


def test_missing_scope(crs_server, admin):
    created = _create(admin)
    reader = crs_server.clients("acme-read")
    tok = crs_server.clients("acme-tok")
    expect_error(
        SC.PERMISSION_DENIED,
        reader.customers.CreateCustomer,
        C.CreateCustomerRequest(parent=ACME, customer=new_customer(), request_id=request_id()),
        reason="MISSING_SCOPE",
    )
    expect_error(
        SC.PERMISSION_DENIED,
        reader.customers.UpdateCustomer,
        C.UpdateCustomerRequest(
            customer=C.Customer(name=created.name, display_name="x"),
            update_mask=field_mask_pb2.FieldMask(paths=["display_name"]),
        ),
        reason="MISSING_SCOPE",
    )
    expect_error(
        SC.PERMISSION_DENIED,
        reader.customers.CloseCustomer,
        C.CloseCustomerRequest(name=created.name),
        reason="MISSING_SCOPE",
    )
    for call, req in (
        (tok.customers.GetCustomer, C.GetCustomerRequest(name=created.name)),
        (tok.customers.ListCustomers, C.ListCustomersRequest(parent=ACME)),
        (tok.customers.SearchCustomers, C.SearchCustomersRequest(parent=ACME, email=created.emails[0])),
    ):
        expect_error(SC.PERMISSION_DENIED, call, req, reason="MISSING_SCOPE")
    got = admin.customers.GetCustomer(C.GetCustomerRequest(name=created.name), timeout=30)
    assert got.status == C.CUSTOMER_STATUS_ACTIVE and got.etag == created.etag


def test_cross_tenant_is_not_found(admin, globex):
    created = _create(admin)
    expect_error(SC.NOT_FOUND, globex.customers.GetCustomer, C.GetCustomerRequest(name=created.name))
    expect_error(SC.NOT_FOUND, globex.customers.ListCustomers, C.ListCustomersRequest(parent=ACME))
    expect_error(
        SC.NOT_FOUND, globex.customers.SearchCustomers, C.SearchCustomersRequest(parent=ACME, email=created.emails[0])
    )
    expect_error(
        SC.NOT_FOUND,
        globex.customers.UpdateCustomer,
        C.UpdateCustomerRequest(
            customer=C.Customer(name=created.name, display_name="pwn"),
            update_mask=field_mask_pb2.FieldMask(paths=["display_name"]),
            request_id=request_id(),
        ),
    )
    expect_error(
        SC.NOT_FOUND, globex.customers.CloseCustomer, C.CloseCustomerRequest(name=created.name, request_id=request_id())
    )
    expect_error(
        SC.NOT_FOUND,
        globex.customers.CreateCustomer,
        C.CreateCustomerRequest(parent=ACME, customer=new_customer(), request_id=request_id()),
    )
    # Same message shape as a truly missing customer (no existence oracle).
    missing = expect_error(
        SC.NOT_FOUND, globex.customers.GetCustomer, C.GetCustomerRequest(name=f"tenants/acme/customers/missing-{uid()}")
    )
    assert (
        missing.reason
        == expect_error(SC.NOT_FOUND, globex.customers.GetCustomer, C.GetCustomerRequest(name=created.name)).reason
    )
    # Globex searching its own tenant does not see acme's customer.
    resp = globex.customers.SearchCustomers(
        C.SearchCustomersRequest(parent=GLOBEX, email=created.emails[0]), timeout=30
    )
    assert list(resp.customers) == []
    own = create_customer(globex, parent=GLOBEX)
    assert own.name.startswith("tenants/globex/customers/")
    names = [
        c.name
        for c in list_all(
            globex.customers.ListCustomers, C.ListCustomersRequest(parent=GLOBEX), "customers", page_size=1000
        )
    ]
    assert own.name in names and all(n.startswith("tenants/globex/") for n in names)
    expect_error(SC.NOT_FOUND, admin.customers.GetCustomer, C.GetCustomerRequest(name=own.name))


@pytest.mark.timeout(120)
def test_page_size_clamped_to_1000(admin):
    existing = len(
        list_all(admin.customers.ListCustomers, C.ListCustomersRequest(parent=ACME), "customers", page_size=1000)
    )
    missing = max(0, 1005 - existing)
    pending = []
    for _ in range(missing):
        pending.append(
            admin.customers.CreateCustomer.future(
                C.CreateCustomerRequest(parent=ACME, customer=new_customer(), request_id=request_id()), timeout=60
            )
        )
        if len(pending) >= 64:
            for f in pending:
                f.result()
            pending = []
    for f in pending:
        f.result()
    resp = admin.customers.ListCustomers(C.ListCustomersRequest(parent=ACME, page_size=5000), timeout=60)
    assert len(resp.customers) == 1000
    assert resp.next_page_token
    default = admin.customers.ListCustomers(C.ListCustomersRequest(parent=ACME), timeout=60)
    assert len(default.customers) == 50 and default.next_page_token


@pytest.mark.timeout(60)
def test_concurrent_replays_create_one_customer(admin):
    u = uid()
    req = C.CreateCustomerRequest(
        parent=ACME, customer=new_customer(emails=[f"race-{u}@example.com"]), request_id=request_id()
    )
    futures = [admin.customers.CreateCustomer.future(req, timeout=30) for _ in range(8)]
    results = []
    for f in futures:
        try:
            results.append(f.result())
        except grpc.RpcError as e:
            results.append(e.code())
    oks = [r for r in results if isinstance(r, C.Customer)]
    assert len(oks) == len(results), f"concurrent replays failed: {[r for r in results if r not in oks]}"
    assert all(r == oks[0] for r in oks)
    found = admin.customers.SearchCustomers(
        C.SearchCustomersRequest(parent=ACME, email=f"race-{u}@example.com"), timeout=30
    )
    assert len(found.customers) == 1
    events = [e for e in _audit_for(admin, oks[0].name) if e.method == CUSTOMER_METHOD + "CreateCustomer"]
    assert len(events) == 1


def test_request_id_is_scoped_to_the_tenant(admin, globex):
    """Another tenant reusing a request_id never gets the first tenant's response."""
    req = C.CreateCustomerRequest(parent=ACME, customer=new_customer(), request_id=request_id())
    acme_customer = admin.customers.CreateCustomer(req, timeout=30)
    g_req = C.CreateCustomerRequest(parent=GLOBEX, customer=req.customer, request_id=req.request_id)
    try:
        g = globex.customers.CreateCustomer(g_req, timeout=30)
    except grpc.RpcError as e:
        assert e.code() != SC.OK
        assert acme_customer.name not in (e.details() or "")
        return
    assert g.name.startswith("tenants/globex/customers/"), g.name
    assert g.name != acme_customer.name


def test_close_already_closed(admin):
    """Closing a closed customer (new request_id) either returns it unchanged or is FAILED_PRECONDITION;
    it never moves close_time or changes the etag."""
    created = _create(admin)
    first = admin.customers.CloseCustomer(
        C.CloseCustomerRequest(name=created.name, reason="first", request_id=request_id()), timeout=30
    )
    try:
        second = admin.customers.CloseCustomer(
            C.CloseCustomerRequest(name=created.name, reason="second", request_id=request_id()), timeout=30
        )
    except grpc.RpcError as e:
        assert e.code() == SC.FAILED_PRECONDITION, e
    else:
        assert second == first
    got = admin.customers.GetCustomer(C.GetCustomerRequest(name=created.name), timeout=30)
    assert got == first
