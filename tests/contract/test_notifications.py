"""NotificationService and DueService contract, through a real server process."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.type import date_pb2

from crs.v1 import (
    billing_pb2,
    billing_pb2_grpc,
    card_pb2,
    customer_pb2,
    notification_pb2,
    notification_pb2_grpc,
)
from tests.helpers.data import ACME, create_account, create_customer, register_card, request_id
from tests.helpers.rpc import expect_error
from tests.helpers.server import CrsServer
from tests.notifications.sinks import smtp_server

SC = grpc.StatusCode
B = billing_pb2
N = notification_pb2


class Stubs:
    def __init__(self, server: CrsServer, key: str = "acme-admin") -> None:
        channel = server.channel(key)
        self.dues = billing_pb2_grpc.DueServiceStub(channel)
        self.notifications = notification_pb2_grpc.NotificationServiceStub(channel)


def _due(amount: int = 12_345, currency: str = "EUR", date: tuple[int, int, int] = (2031, 1, 15)) -> B.Due:
    return B.Due(
        amount_minor_units=amount,
        currency_code=currency,
        due_date=date_pb2.Date(year=date[0], month=date[1], day=date[2]),
    )


def _history(stubs: Stubs, customer: str) -> list[N.NotificationHistoryEntry]:
    return list(stubs.notifications.ListNotifications(N.ListNotificationsRequest(parent=customer), timeout=30).entries)


def test_due_lifecycle(crs_server: CrsServer, admin: Any) -> None:
    s = Stubs(crs_server)
    customer = create_customer(admin)
    account = create_account(admin, customer.name)
    rid = request_id()
    created = s.dues.CreateDue(B.CreateDueRequest(parent=account.name, due=_due(), request_id=rid), timeout=30)
    assert created.name.startswith(account.name + "/dues/")
    assert created.customer == customer.name and created.status == B.DUE_STATUS_OPEN and created.etag
    assert created.amount_minor_units == 12_345 and created.due_date.year == 2031
    again = s.dues.CreateDue(B.CreateDueRequest(parent=account.name, due=_due(), request_id=rid), timeout=30)
    assert again == created  # request_id replay
    assert s.dues.GetDue(B.GetDueRequest(name=created.name), timeout=30) == created
    second = s.dues.CreateDue(B.CreateDueRequest(parent=account.name, due=_due(500), due_id="feb"), timeout=30)
    listed = s.dues.ListDues(B.ListDuesRequest(parent=account.name, page_size=1), timeout=30)
    assert len(listed.dues) == 1 and listed.next_page_token
    rest = s.dues.ListDues(B.ListDuesRequest(parent=account.name, page_token=listed.next_page_token), timeout=30)
    assert {d.name for d in [*listed.dues, *rest.dues]} == {created.name, second.name}
    expect_error(SC.ABORTED, s.dues.MarkDuePaid, B.MarkDuePaidRequest(name=created.name, etag="stale"), timeout=30)
    paid = s.dues.MarkDuePaid(B.MarkDuePaidRequest(name=created.name, etag=created.etag), timeout=30)
    assert paid.status == B.DUE_STATUS_PAID and paid.paid_time.seconds > 0
    assert s.dues.MarkDuePaid(B.MarkDuePaidRequest(name=created.name), timeout=30) == paid  # idempotent
    expect_error(
        SC.ALREADY_EXISTS,
        s.dues.CreateDue,
        B.CreateDueRequest(parent=account.name, due=_due(), due_id="feb"),
        timeout=30,
    )


@pytest.mark.parametrize(
    ("due", "field"),
    [
        (_due(amount=0), "due.amount.minor_units"),
        (_due(currency="XXY"), "due.amount.currency_code"),
        (_due(date=(2031, 2, 30)), "due.due_date"),
        (B.Due(amount_minor_units=1, currency_code="EUR"), "due.due_date"),
    ],
)
def test_create_due_validation(crs_server: CrsServer, admin: Any, due: B.Due, field: str) -> None:
    account = create_account(admin, create_customer(admin).name)
    expect_error(
        SC.INVALID_ARGUMENT,
        Stubs(crs_server).dues.CreateDue,
        B.CreateDueRequest(parent=account.name, due=due),
        field=field,
        timeout=30,
    )


def test_due_names_and_tenancy(crs_server: CrsServer, admin: Any) -> None:
    s, globex = Stubs(crs_server), Stubs(crs_server, "globex-admin")
    account = create_account(admin, create_customer(admin).name)
    due = s.dues.CreateDue(B.CreateDueRequest(parent=account.name, due=_due()), timeout=30)
    expect_error(SC.NOT_FOUND, globex.dues.GetDue, B.GetDueRequest(name=due.name), timeout=30)
    expect_error(SC.NOT_FOUND, globex.dues.CreateDue, B.CreateDueRequest(parent=account.name, due=_due()), timeout=30)
    expect_error(
        SC.NOT_FOUND, s.dues.CreateDue, B.CreateDueRequest(parent=f"{ACME}/accounts/nope", due=_due()), timeout=30
    )
    expect_error(SC.NOT_FOUND, s.dues.GetDue, B.GetDueRequest(name=f"{account.name}/dues/nope"), timeout=30)
    for bad in ("", "tenants/acme/dues/x", f"{account.name}/dues/", f"{account.name}/dues/UPPER"):
        expect_error(SC.INVALID_ARGUMENT, s.dues.GetDue, B.GetDueRequest(name=bad), field="name", timeout=30)
    expect_error(
        SC.PERMISSION_DENIED,
        Stubs(crs_server, "acme-read").dues.CreateDue,
        B.CreateDueRequest(parent=account.name, due=_due()),
        timeout=30,
    )


def test_card_blocked_and_contact_change_are_notified_once(crs_server: CrsServer, admin: Any) -> None:
    s = Stubs(crs_server, "acme-read")
    customer = create_customer(admin)
    account = create_account(admin, customer.name)
    card = register_card(admin, account.name)
    blocked = admin.cards.UpdateCardState(
        card_pb2.UpdateCardStateRequest(name=card.name, state=card_pb2.CARD_STATE_BLOCKED, reason="lost wallet"),
        timeout=30,
    )
    # The same request again changes nothing and notifies nothing new.
    admin.cards.UpdateCardState(
        card_pb2.UpdateCardStateRequest(name=card.name, state=card_pb2.CARD_STATE_BLOCKED, reason="lost wallet"),
        timeout=30,
    )
    entries = _history(s, customer.name)
    assert len(entries) == 1
    n = entries[0].notification
    assert entries[0].type == N.NotificationHistoryEntry.TYPE_NOTIFICATION
    assert n.kind == N.NOTIFICATION_KIND_CARD_BLOCKED_OR_REPLACED and n.channel == N.NOTIFICATION_CHANNEL_EMAIL
    assert n.status == N.NOTIFICATION_STATUS_PENDING and n.address == customer.emails[0]
    assert n.facts["last4"] == blocked.last4 and n.facts["state"] == "BLOCKED" and n.purpose == "security"
    assert s.notifications.GetNotification(N.GetNotificationRequest(name=n.name), timeout=30) == n
    updated = admin.customers.UpdateCustomer(
        customer_pb2.UpdateCustomerRequest(
            customer=customer_pb2.Customer(name=customer.name, emails=["changed@example.com"]),
            update_mask={"paths": ["emails"]},
        ),
        timeout=30,
    )
    assert updated.emails == ["changed@example.com"]
    kinds = [e.notification.kind for e in _history(s, customer.name)]
    assert kinds == [
        N.NOTIFICATION_KIND_CONTACT_DATA_CHANGED,
        N.NOTIFICATION_KIND_CARD_BLOCKED_OR_REPLACED,
    ]  # newest first
    # Another tenant sees neither the notifications nor the customer's history.
    globex = Stubs(crs_server, "globex-admin")
    expect_error(SC.NOT_FOUND, globex.notifications.GetNotification, N.GetNotificationRequest(name=n.name), timeout=30)
    expect_error(
        SC.NOT_FOUND,
        globex.notifications.ListNotifications,
        N.ListNotificationsRequest(parent=customer.name),
        timeout=30,
    )


def test_contact_quality(crs_server: CrsServer, admin: Any) -> None:
    s = Stubs(crs_server, "acme-read")
    customer = create_customer(admin)
    q = s.notifications.GetContactQuality(N.GetContactQualityRequest(customer=customer.name), timeout=30)
    assert q.customer == customer.name and not q.complete
    assert "INCOMPLETE_POSTAL_ADDRESS" in q.flags and "NO_USABLE_CONTACT" not in q.flags
    assert [c.kind for c in q.checks] == ["email", "phone"] and all(c.usable for c in q.checks)
    expect_error(
        SC.NOT_FOUND,
        s.notifications.GetContactQuality,
        N.GetContactQualityRequest(customer=f"{ACME}/customers/nobody"),
        timeout=30,
    )
    expect_error(
        SC.INVALID_ARGUMENT,
        s.notifications.GetContactQuality,
        N.GetContactQualityRequest(customer="customers/x"),
        field="customer",
        timeout=30,
    )


def test_dead_letters_need_admin(crs_server: CrsServer) -> None:
    reader, admin = Stubs(crs_server, "acme-rw"), Stubs(crs_server)
    expect_error(
        SC.PERMISSION_DENIED, reader.notifications.ListDeadLetters, N.ListDeadLettersRequest(parent=ACME), timeout=30
    )
    expect_error(
        SC.PERMISSION_DENIED,
        reader.notifications.ReplayDeadLetter,
        N.ReplayDeadLetterRequest(name=f"{ACME}/notifications/x"),
        timeout=30,
    )
    assert (
        list(admin.notifications.ListDeadLetters(N.ListDeadLettersRequest(parent=ACME), timeout=30).notifications) == []
    )
    expect_error(
        SC.NOT_FOUND,
        admin.notifications.ReplayDeadLetter,
        N.ReplayDeadLetterRequest(name=f"{ACME}/notifications/nope"),
        timeout=30,
    )
    expect_error(
        SC.NOT_FOUND, admin.notifications.ListDeadLetters, N.ListDeadLettersRequest(parent="tenants/globex"), timeout=30
    )


def _wait(predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("condition not reached in time")


def test_server_delivers_dead_letters_and_replays_over_smtp(
    server_factory: Callable[..., CrsServer], tmp_path: Path
) -> None:
    """The server's own loop: a bounced e-mail becomes a dead letter; the operator replays it once fixed."""
    with smtp_server() as (sink, port):
        rules = tmp_path / "rules.json"
        rules.write_text(
            json.dumps(
                {
                    "acme": {
                        "max_attempts": 1,
                        "bounce_threshold": 1,
                        "kinds": {"CARD_BLOCKED_OR_REPLACED": {"channels": ["EMAIL"]}},
                    }
                }
            )
        )
        delivery = tmp_path / "delivery.json"
        delivery.write_text(
            json.dumps({"tenants": ["acme"], "interval_seconds": 0.2, "smtp": {"host": "127.0.0.1", "port": port}})
        )
        server = server_factory(
            extra_args=("--notification-rules", str(rules), "--notification-delivery", str(delivery))
        ).start()
        admin = server.clients("acme-admin")
        s = Stubs(server)
        customer = create_customer(admin)
        sink.reject[customer.emails[0]] = 550
        card = register_card(admin, create_account(admin, customer.name).name)
        admin.cards.UpdateCardState(
            card_pb2.UpdateCardStateRequest(name=card.name, state=card_pb2.CARD_STATE_STOLEN), timeout=30
        )

        def dead() -> list[N.Notification]:
            return list(
                s.notifications.ListDeadLetters(N.ListDeadLettersRequest(parent=ACME), timeout=30).notifications
            )

        _wait(lambda: len(dead()) == 1)
        letter = dead()[0]
        assert letter.status == N.NOTIFICATION_STATUS_DEAD and "550" in letter.last_error and letter.attempts == 1

        def quality() -> N.ContactQuality:
            return s.notifications.GetContactQuality(N.GetContactQualityRequest(customer=customer.name), timeout=30)

        _wait(lambda: "BOUNCING_CONTACT" in quality().flags)  # the bounce is recorded right after the dead letter
        assert [c.bounces for c in quality().checks if c.kind == "email"] == [1]
        del sink.reject[customer.emails[0]]
        replayed = s.notifications.ReplayDeadLetter(
            N.ReplayDeadLetterRequest(name=letter.name, request_id=request_id()), timeout=30
        )
        assert replayed.status == N.NOTIFICATION_STATUS_PENDING and replayed.attempts == 0
        _wait(
            lambda: (
                s.notifications.GetNotification(N.GetNotificationRequest(name=letter.name), timeout=30).status
                == N.NOTIFICATION_STATUS_DELIVERED
            )
        )
        nid = letter.name.rsplit("/", 1)[1]
        assert sink.message_ids() == [f"<{nid}@notifications.crs>"]
        expect_error(
            SC.FAILED_PRECONDITION,
            s.notifications.ReplayDeadLetter,
            N.ReplayDeadLetterRequest(name=letter.name),
            reason="NOT_DEAD_LETTER",
            timeout=30,
        )
        assert dead() == []
