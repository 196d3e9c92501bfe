"""Customer360Service contract: every section, masking, limits, tenancy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf import field_mask_pb2

from crs.v1 import (
    card_pb2,
    customer360_pb2,
    customer360_pb2_grpc,
    customer_pb2,
    notification_pb2,
    profile_pb2,
    profile_pb2_grpc,
    segment_pb2,
    support_pb2,
    support_pb2_grpc,
)
from crs.v1 import transaction_pb2 as T
from tests.helpers.data import ACME, GLOBEX, create_account, create_customer, register_card, request_id, uid
from tests.helpers.pans import make_pan
from tests.helpers.rpc import assert_no_pan, expect_error
from tests.helpers.transactions import record, stubs, txn

SC = grpc.StatusCode
S = support_pb2


@pytest.fixture(scope="module")
def c360(crs_server):  # type: ignore[no-untyped-def]
    return crs_server.stub(customer360_pb2_grpc.Customer360ServiceStub, "acme-admin")


@pytest.fixture(scope="module")
def support(crs_server):  # type: ignore[no-untyped-def]
    return crs_server.stub(support_pb2_grpc.SupportServiceStub, "acme-admin")


def _view(stub, customer: str, feedback_count: int = 0) -> customer360_pb2.Customer360:
    return stub.GetCustomer360(
        customer360_pb2.GetCustomer360Request(customer=customer, feedback_count=feedback_count), timeout=30
    )


def test_every_section_of_a_busy_customer(admin, c360, support, crs_server):
    c = create_customer(
        admin,
        national_identifiers=[
            customer_pb2.NationalIdentifier(
                type=customer_pb2.NATIONAL_ID_TYPE_PERSONAL_CODE, value=f"3900101{uid()[:4]}"
            )
        ],
    )
    a1, a2 = create_account(admin, c.name), create_account(admin, c.name, currency="USD")
    pans = [make_pan(), make_pan("550000")]
    cards = [register_card(admin, a1.name, pan=pans[0]), register_card(admin, a2.name, pan=pans[1])]
    profiles = crs_server.stub(profile_pb2_grpc.ProfileServiceStub, "acme-admin")
    profiles.UpdateProfile(
        profile_pb2.UpdateProfileRequest(
            profile=profile_pb2.Profile(
                name=f"{c.name}/profile",
                preferred_currency="EUR",
                default_payment_methods={"POS": profile_pb2.PaymentMethod(card_token=cards[0].token)},
            ),
            update_mask=field_mask_pb2.FieldMask(paths=["preferred_currency", "default_payment_methods"]),
            request_id=request_id(),
        ),
        timeout=30,
    )

    def open_case(subject: str) -> S.SupportCase:
        return support.CreateCase(
            S.CreateCaseRequest(parent=ACME, support_case=S.SupportCase(customer=c.name, subject=subject)), timeout=30
        )

    open_one, assigned, resolved = open_case("open"), open_case("assigned"), open_case("resolved")
    support.AssignCase(S.AssignCaseRequest(name=assigned.name, assignee="agent-1"), timeout=30)
    support.ResolveCase(S.ResolveCaseRequest(name=resolved.name, resolution="done"), timeout=30)
    feedback = [
        support.CreateFeedback(
            S.CreateFeedbackRequest(parent=c.name, feedback=S.Feedback(rating=1 + i % 5, category=1, text=f"fb {i}")),
            timeout=30,
        )
        for i in range(7)
    ]

    view = _view(c360, c.name)
    assert view.customer.name == c.name and view.customer.display_name == c.display_name
    assert view.customer.national_identifiers[0].masked is False  # the admin key has the pii scope
    assert view.cluster.name.startswith(f"{ACME}/clusters/") and view.cluster.size >= 1
    assert not view.cluster.members, "the 360 carries the cluster summary, not its member list"
    assert {a.name for a in view.accounts} == {a1.name, a2.name}
    assert {(x.name, x.last4, x.token) for x in view.cards} == {(x.name, x.last4, x.token) for x in cards}
    assert view.effective_profile.profile.preferred_currency == "EUR"
    assert view.effective_profile.profile.default_payment_methods["POS"].card_token == cards[0].token
    assert view.effective_profile.sources["preferred_currency"] == profile_pb2.PROFILE_SOURCE_CUSTOMER
    assert [x.name for x in view.open_cases] == [open_one.name, assigned.name]
    assert [f.name for f in view.recent_feedback] == [f.name for f in reversed(feedback)][:5]
    assert not view.truncated_sections
    assert_no_pan(view.SerializeToString().decode("latin-1"), pans, "Customer360")
    seven = _view(c360, c.name, feedback_count=7)
    assert [f.name for f in seven.recent_feedback] == [f.name for f in reversed(feedback)]


def test_national_ids_masked_without_pii_scope(admin, crs_server):
    c = create_customer(
        admin,
        national_identifiers=[
            customer_pb2.NationalIdentifier(type=customer_pb2.NATIONAL_ID_TYPE_PERSONAL_CODE, value="39001010000")
        ],
    )
    reader = crs_server.stub(customer360_pb2_grpc.Customer360ServiceStub, "acme-read")
    view = _view(reader, c.name)
    nid = view.customer.national_identifiers[0]
    assert nid.masked and nid.value.endswith("0000") and "3900101" not in nid.value


def test_a_bare_customer_has_empty_sections(admin, c360):
    c = create_customer(admin, preferred_language="et")
    view = _view(c360, c.name)
    assert view.customer.name == c.name
    assert not view.accounts and not view.cards and not view.open_cases and not view.recent_feedback
    assert view.effective_profile.profile.preferred_language == "et"
    assert view.effective_profile.name == f"{c.name}/profile"


def test_errors_and_tenancy(admin, c360, globex, crs_server):
    c = create_customer(admin)
    other = crs_server.stub(customer360_pb2_grpc.Customer360ServiceStub, "globex-admin")
    expect_error(SC.NOT_FOUND, other.GetCustomer360, customer360_pb2.GetCustomer360Request(customer=c.name))
    g = create_customer(globex, parent=GLOBEX)
    expect_error(SC.NOT_FOUND, c360.GetCustomer360, customer360_pb2.GetCustomer360Request(customer=g.name))
    expect_error(
        SC.NOT_FOUND,
        c360.GetCustomer360,
        customer360_pb2.GetCustomer360Request(customer=f"{ACME}/customers/nobody-{uid()}"),
    )
    expect_error(SC.INVALID_ARGUMENT, c360.GetCustomer360, customer360_pb2.GetCustomer360Request(), field="customer")
    expect_error(
        SC.INVALID_ARGUMENT,
        c360.GetCustomer360,
        customer360_pb2.GetCustomer360Request(customer=f"{ACME}/accounts/x"),
        field="customer",
    )
    for bad in (-1, 51):
        expect_error(
            SC.INVALID_ARGUMENT,
            c360.GetCustomer360,
            customer360_pb2.GetCustomer360Request(customer=c.name, feedback_count=bad),
            field="feedback_count",
        )


def test_long_sections_stop_at_the_limit_and_say_so(admin, c360, support):
    c = create_customer(admin)
    for _ in range(101):
        create_account(admin, c.name)
    cases = [
        support.CreateCase(
            S.CreateCaseRequest(parent=ACME, support_case=S.SupportCase(customer=c.name, subject=f"c{i}")), timeout=30
        )
        for i in range(101)
    ]
    view = _view(c360, c.name)
    assert len(view.accounts) == 100 and len(view.open_cases) == 100
    assert set(view.truncated_sections) == {"accounts", "open_cases"}
    assert [x.name for x in view.open_cases] == [x.name for x in cases[:100]]


def test_segments_recent_transactions_and_notifications(admin, c360, crs_server):
    c = create_customer(admin)
    pan = make_pan()
    card = register_card(admin, create_account(admin, c.name).name, pan=pan)
    bare = _view(c360, c.name)
    assert not bare.HasField("segments") and not bare.recent_transactions and not bare.recent_notifications
    now = datetime.now(UTC)
    items = [txn(card.token, amount=1000 + i, when=now - timedelta(days=40 - i)) for i in range(12)]
    got = record(stubs(crs_server), items)
    assert got.recorded == 12
    admin.cards.UpdateCardState(
        card_pb2.UpdateCardStateRequest(name=card.name, state=card_pb2.CARD_STATE_BLOCKED, reason="lost"), timeout=30
    )
    view = _view(c360, c.name)
    assert view.segments.customer == c.name and view.segments.lifecycle != segment_pb2.LIFECYCLE_UNSPECIFIED
    assert view.segments.frequency == 12
    ids = [t.name.rsplit("/", 1)[1] for t in view.recent_transactions]
    assert ids == [i.transaction_id for i in reversed(items)][:10]  # the default 10, newest first
    assert view.recent_transactions[0].card == card.name and view.recent_transactions[0].customer == c.name
    assert view.recent_notifications[0].notification.kind == notification_pb2.NOTIFICATION_KIND_CARD_BLOCKED_OR_REPLACED
    three = c360.GetCustomer360(
        customer360_pb2.GetCustomer360Request(customer=c.name, transaction_count=3, notification_count=1), timeout=30
    )
    assert len(three.recent_transactions) == 3 and len(three.recent_notifications) == 1
    assert_no_pan(str(three), [pan], "the 360 view")
    for field in ("transaction_count", "notification_count"):
        for bad in (-1, 51):
            expect_error(
                SC.INVALID_ARGUMENT,
                c360.GetCustomer360,
                customer360_pb2.GetCustomer360Request(customer=c.name, **{field: bad}),
                field=field,
            )
    assert view.recent_transactions[0].kind == T.TRANSACTION_KIND_CAPTURE
