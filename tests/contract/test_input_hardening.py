"""Inputs found in review: each gets a clean error (never INTERNAL) and leaves no sensitive trace."""

from __future__ import annotations

import hashlib

import grpc
from google.protobuf import timestamp_pb2

from crs.v1 import audit_pb2, card_pb2, customer_pb2, token_pb2
from tests.helpers.data import ACME, create_customer, customer_with_account, request_id
from tests.helpers.pans import make_pan
from tests.helpers.rpc import expect_error
from tests.helpers.scan import read_existing

SC = grpc.StatusCode


def test_a_pan_sent_as_a_detokenize_token_is_rejected_and_not_audited(crs_server, admin):
    pan = make_pan()
    detok = crs_server.clients("acme-detok")
    expect_error(
        SC.INVALID_ARGUMENT,
        detok.tokens.Detokenize,
        token_pb2.DetokenizeRequest(parent=ACME, token=pan, purpose="oops"),
        field="token",
    )
    events = admin.audit.ListAuditEvents(
        audit_pb2.ListAuditEventsRequest(parent=ACME, actor="acme-detok", page_size=1000), timeout=30
    ).audit_events
    assert events, "the refusal was not audited"
    assert all(pan not in e.resource for e in events)
    assert any(e.resource.endswith("/vault/tokens/(not-a-token)") for e in events)


def test_control_characters_in_names_ids_and_filters_are_invalid_argument(admin):
    expect_error(
        SC.INVALID_ARGUMENT,
        admin.customers.GetCustomer,
        customer_pb2.GetCustomerRequest(name=f"{ACME}/customers/abc\n"),
    )
    expect_error(
        SC.INVALID_ARGUMENT,
        admin.customers.CreateCustomer,
        customer_pb2.CreateCustomerRequest(
            parent=ACME, customer_id="abc\n", customer=customer_pb2.Customer(kind=1, display_name="X")
        ),
    )
    expect_error(
        SC.INVALID_ARGUMENT,
        admin.customers.CreateCustomer,
        customer_pb2.CreateCustomerRequest(
            parent=ACME, request_id="r\x01", customer=customer_pb2.Customer(kind=1, display_name="X")
        ),
        field="request_id",
    )
    expect_error(
        SC.INVALID_ARGUMENT,
        admin.audit.ListAuditEvents,
        audit_pb2.ListAuditEventsRequest(parent=ACME, actor="a\x01"),
        field="actor",
    )
    bad_region = customer_pb2.Customer(
        kind=1, display_name="X", postal_addresses=[{"region_code": "EE\n", "locality": "Tallinn"}]
    )
    expect_error(
        SC.INVALID_ARGUMENT,
        admin.customers.CreateCustomer,
        customer_pb2.CreateCustomerRequest(parent=ACME, customer=bad_region),
    )


def test_out_of_range_audit_timestamps(admin):
    far = timestamp_pb2.Timestamp(seconds=253402300799)  # 9999-12-31T23:59:59Z
    ok = admin.audit.ListAuditEvents(
        audit_pb2.ListAuditEventsRequest(
            parent=ACME, start_time=timestamp_pb2.Timestamp(seconds=253402000000), end_time=far
        ),
        timeout=30,
    )
    assert ok.audit_events == []
    expect_error(
        SC.INVALID_ARGUMENT,
        admin.audit.ListAuditEvents,
        audit_pb2.ListAuditEventsRequest(parent=ACME, end_time=timestamp_pb2.Timestamp(seconds=1, nanos=2_000_000_000)),
        field="end_time",
    )


def test_search_by_national_id_needs_pii(crs_server, admin):
    create_customer(admin)
    reader = crs_server.clients("acme-read")
    expect_error(
        SC.PERMISSION_DENIED,
        reader.customers.SearchCustomers,
        customer_pb2.SearchCustomersRequest(
            parent=ACME, national_identifier=customer_pb2.NationalIdentifier(type=3, value="38001085718")
        ),
    )


def test_stored_request_hash_is_keyed(crs_server, admin):
    """The request_id record must not hold an unkeyed hash of a request that carried a PAN."""
    _, account = customer_with_account(admin)
    req = card_pb2.RegisterCardRequest(
        parent=ACME, pan=make_pan(), expiry_month=1, expiry_year=2032, account=account.name, request_id=request_id()
    )
    admin.cards.RegisterCard(req, timeout=30)
    plain = hashlib.sha256(req.SerializeToString(deterministic=True)).hexdigest().encode()
    stored = b"".join(read_existing(p) for p in crs_server.store_files())
    assert plain not in stored
