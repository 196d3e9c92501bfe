"""SupportService contract: cases (open, assign, resolve, notes, listing) and feedback; text checks; tenancy."""

from __future__ import annotations

import grpc
import pytest

from crs.v1 import audit_pb2, support_pb2, support_pb2_grpc
from tests.helpers.data import ACME, GLOBEX, create_customer, request_id, uid
from tests.helpers.pans import formatted, make_pan
from tests.helpers.rpc import assert_no_pan, expect_error, list_all
from tests.helpers.scan import find_pans, read_existing

S = support_pb2
SC = grpc.StatusCode


@pytest.fixture(scope="module")
def support(crs_server):  # type: ignore[no-untyped-def]
    return crs_server.stub(support_pb2_grpc.SupportServiceStub, "acme-admin")


def _open(support, customer: str, subject: str = "", **fields):
    parent = fields.pop("parent", ACME)
    rid = fields.pop("request_id", request_id())
    return support.CreateCase(
        S.CreateCaseRequest(
            parent=parent,
            support_case=S.SupportCase(customer=customer, subject=subject or f"Card declined {uid()}", **fields),
            request_id=rid,
        ),
        timeout=30,
    )


def _note(support, case: str, text: str):
    return support.CreateCaseNote(
        S.CreateCaseNoteRequest(parent=case, note=S.CaseNote(text=text), request_id=request_id()), timeout=30
    )


def _feedback(support, customer: str, rating: int = 4, category: int = S.FEEDBACK_CATEGORY_PAYMENTS, **fields):
    return support.CreateFeedback(
        S.CreateFeedbackRequest(
            parent=customer,
            feedback=S.Feedback(rating=rating, category=category, **fields),
            request_id=request_id(),
        ),
        timeout=30,
    )


# ------------------------------------------------------------------ cases


def test_open_get_assign_resolve(admin, support):
    c = create_customer(admin)
    opened = _open(support, c.name, "Double charge", description="Charged twice\nat the same shop")
    assert opened.name.startswith(f"{ACME}/cases/")
    assert opened.customer == c.name and opened.subject == "Double charge"
    assert opened.description == "Charged twice\nat the same shop"
    assert opened.status == S.CASE_STATUS_OPEN and opened.priority == S.CASE_PRIORITY_NORMAL
    assert opened.opened_by == "acme-admin" and opened.etag and opened.create_time.seconds > 0
    assert support.GetCase(S.GetCaseRequest(name=opened.name), timeout=30) == opened
    assigned = support.AssignCase(
        S.AssignCaseRequest(name=opened.name, assignee="agent-7", etag=opened.etag), timeout=30
    )
    assert assigned.status == S.CASE_STATUS_ASSIGNED and assigned.assignee == "agent-7"
    expect_error(
        SC.ABORTED,
        support.AssignCase,
        S.AssignCaseRequest(name=opened.name, assignee="agent-8", etag=opened.etag),
        reason="ETAG_MISMATCH",
    )
    reassigned = support.AssignCase(S.AssignCaseRequest(name=opened.name, assignee="agent-8"), timeout=30)
    assert reassigned.assignee == "agent-8"
    resolved = support.ResolveCase(
        S.ResolveCaseRequest(name=opened.name, resolution="Refunded", etag=reassigned.etag), timeout=30
    )
    assert resolved.status == S.CASE_STATUS_RESOLVED and resolved.resolution == "Refunded"
    assert resolved.resolve_time.seconds > 0 and resolved.assignee == "agent-8"
    again = support.ResolveCase(S.ResolveCaseRequest(name=opened.name, resolution="Again"), timeout=30)
    assert again == resolved
    expect_error(
        SC.FAILED_PRECONDITION,
        support.AssignCase,
        S.AssignCaseRequest(name=opened.name, assignee="agent-9"),
        reason="CASE_RESOLVED",
    )
    events = list_all(
        admin.audit.ListAuditEvents, audit_pb2.ListAuditEventsRequest(parent=ACME, resource=opened.name), "audit_events"
    )
    methods = [e.method.rsplit("/", 1)[-1] for e in events if e.outcome == "OK"]
    assert methods == ["CreateCase", "AssignCase", "AssignCase", "ResolveCase"]
    assert "FAILED_PRECONDITION" in {e.outcome for e in events}


def test_create_is_idempotent_by_request_id(admin, support):
    c = create_customer(admin)
    rid = request_id()
    first = _open(support, c.name, "Same", request_id=rid)
    second = _open(support, c.name, "Same", request_id=rid)
    assert second == first
    listed = list_all(support.ListCases, S.ListCasesRequest(parent=ACME, customer=c.name), "cases")
    assert [x.name for x in listed] == [first.name]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"subject": " "}, "support_case.subject"),
        ({"subject": "x" * 201}, "support_case.subject"),
        ({"subject": "line\nbreak"}, "support_case.subject"),
        ({"subject": "bell\x07"}, "support_case.subject"),
        ({"subject": "ok", "description": "y" * 4001}, "support_case.description"),
        ({"subject": "ok", "description": "nul\x00"}, "support_case.description"),
        ({"subject": "ok", "priority": 9}, "support_case.priority"),
    ],
)
def test_case_text_is_validated(admin, support, fields, field):
    c = create_customer(admin)
    expect_error(
        SC.INVALID_ARGUMENT,
        support.CreateCase,
        S.CreateCaseRequest(parent=ACME, support_case=S.SupportCase(customer=c.name, **fields)),
        field=field,
    )


def test_card_numbers_in_free_text_are_masked_everywhere(admin, support, crs_server):
    c = create_customer(admin)
    pans = [make_pan(), make_pan("550000"), make_pan()]
    case = _open(
        support,
        c.name,
        f"Card {pans[0]} declined",
        description=f"Customer read out {formatted(pans[1], ' ')} on the phone",
    )
    note = _note(support, case.name, f"Also tried {formatted(pans[2], '-')}")
    fb = _feedback(support, c.name, text=f"my card {pans[0]} was blocked")
    resolved = support.ResolveCase(S.ResolveCaseRequest(name=case.name, resolution=f"unblocked {pans[1]}"), timeout=30)
    for message in (case, note, fb, resolved):
        assert_no_pan(str(message), pans, type(message).__name__)
        assert "[PAN " in str(message)
    assert case.subject == f"Card [PAN {pans[0][:6]}…{pans[0][-4:]}] declined"
    stored = support.GetCase(S.GetCaseRequest(name=case.name), timeout=30)
    notes = list_all(support.ListCaseNotes, S.ListCaseNotesRequest(parent=case.name), "notes")
    assert_no_pan(str(stored) + str(notes), pans, "stored case and notes")
    # an assignee is an identifier, not prose: a card number there is refused
    f = expect_error(
        SC.INVALID_ARGUMENT,
        support.AssignCase,
        S.AssignCaseRequest(name=case.name, assignee=pans[2]),
        field="assignee",
    )
    assert_no_pan(f.text_blob(), pans, "error")
    # nothing the store wrote (rows, audit events, WAL) and no log line holds any of them
    for path in crs_server.store_files():
        assert not find_pans(read_existing(path), pans), f"a PAN reached {path.name}"
    assert_no_pan(crs_server.log_text(), pans, "server log")


def test_case_customer_and_tenancy(admin, support, crs_server, globex):
    expect_error(
        SC.NOT_FOUND,
        support.CreateCase,
        S.CreateCaseRequest(
            parent=ACME, support_case=S.SupportCase(customer=f"{ACME}/customers/nobody-{uid()}", subject="x")
        ),
    )
    expect_error(
        SC.INVALID_ARGUMENT,
        support.CreateCase,
        S.CreateCaseRequest(parent=ACME, support_case=S.SupportCase(subject="x")),
        field="support_case.customer",
    )
    g = create_customer(globex, parent=GLOBEX)
    expect_error(
        SC.NOT_FOUND,
        support.CreateCase,
        S.CreateCaseRequest(parent=ACME, support_case=S.SupportCase(customer=g.name, subject="x")),
    )
    c = create_customer(admin)
    case = _open(support, c.name)
    other = crs_server.stub(support_pb2_grpc.SupportServiceStub, "globex-admin")
    expect_error(SC.NOT_FOUND, other.GetCase, S.GetCaseRequest(name=case.name))
    expect_error(SC.NOT_FOUND, other.AssignCase, S.AssignCaseRequest(name=case.name, assignee="x"))
    expect_error(SC.NOT_FOUND, other.ListCaseNotes, S.ListCaseNotesRequest(parent=case.name))
    expect_error(SC.NOT_FOUND, other.ListCases, S.ListCasesRequest(parent=ACME, customer=c.name))
    expect_error(SC.NOT_FOUND, support.GetCase, S.GetCaseRequest(name=f"{ACME}/cases/missing-{uid()}"))
    expect_error(SC.INVALID_ARGUMENT, support.GetCase, S.GetCaseRequest(name=f"{ACME}/case/x"), field="name")
    reader = crs_server.stub(support_pb2_grpc.SupportServiceStub, "acme-read")
    assert reader.GetCase(S.GetCaseRequest(name=case.name), timeout=30).name == case.name
    expect_error(SC.PERMISSION_DENIED, reader.ResolveCase, S.ResolveCaseRequest(name=case.name, resolution="x"))


def test_notes_are_counted_listed_and_validated(admin, support):
    c = create_customer(admin)
    case = _open(support, c.name)
    texts = [f"note {i}" for i in range(5)]
    notes = [_note(support, case.name, t) for t in texts]
    assert all(n.name.startswith(f"{case.name}/notes/") and n.author == "acme-admin" for n in notes)
    got = support.GetCase(S.GetCaseRequest(name=case.name), timeout=30)
    assert got.note_count == 5 and got.etag != case.etag
    listed = list_all(support.ListCaseNotes, S.ListCaseNotesRequest(parent=case.name), "notes", page_size=2)
    assert [n.text for n in listed] == texts
    assert [n.name for n in listed] == [n.name for n in notes]
    expect_error(
        SC.INVALID_ARGUMENT,
        support.CreateCaseNote,
        S.CreateCaseNoteRequest(parent=case.name, note=S.CaseNote(text="  ")),
        field="note.text",
    )
    expect_error(
        SC.NOT_FOUND,
        support.CreateCaseNote,
        S.CreateCaseNoteRequest(parent=f"{ACME}/cases/missing-{uid()}", note=S.CaseNote(text="x")),
    )
    # notes on a resolved case are still allowed
    support.ResolveCase(S.ResolveCaseRequest(name=case.name, resolution="done"), timeout=30)
    _note(support, case.name, "follow-up call")
    assert support.GetCase(S.GetCaseRequest(name=case.name), timeout=30).note_count == 6


def test_list_by_customer_and_status_pages(admin, support):
    c = create_customer(admin)
    cases = [_open(support, c.name, f"case {i}") for i in range(6)]
    for x in cases[:2]:
        support.AssignCase(S.AssignCaseRequest(name=x.name, assignee="agent"), timeout=30)
    support.ResolveCase(S.ResolveCaseRequest(name=cases[2].name, resolution="ok"), timeout=30)
    other = create_customer(admin)
    _open(support, other.name)

    def names(status: int = 0, page_size: int = 2) -> list[str]:
        req = S.ListCasesRequest(parent=ACME, customer=c.name, status=status)
        return [x.name for x in list_all(support.ListCases, req, "cases", page_size=page_size)]

    assert names(S.CASE_STATUS_OPEN) == [x.name for x in cases[3:]]
    assert names(S.CASE_STATUS_ASSIGNED) == [x.name for x in cases[:2]]
    assert names(S.CASE_STATUS_RESOLVED) == [cases[2].name]
    expected_all = [x.name for x in cases[3:]] + [x.name for x in cases[:2]] + [cases[2].name]
    assert names() == expected_all
    assert names(page_size=1) == expected_all
    assert names(page_size=100) == expected_all
    first = support.ListCases(S.ListCasesRequest(parent=ACME, customer=c.name, page_size=2), timeout=30)
    expect_error(
        SC.INVALID_ARGUMENT,
        support.ListCases,
        S.ListCasesRequest(parent=ACME, customer=other.name, page_size=2, page_token=first.next_page_token),
        field="page_token",
    )
    expect_error(SC.INVALID_ARGUMENT, support.ListCases, S.ListCasesRequest(parent=ACME), field="customer")
    expect_error(
        SC.INVALID_ARGUMENT,
        support.ListCases,
        S.ListCasesRequest(parent=ACME, customer=c.name, status=7),
        field="status",
    )


# ------------------------------------------------------------------ feedback


def test_feedback_roundtrip_newest_first(admin, support):
    c = create_customer(admin)
    case = _open(support, c.name)
    given = [_feedback(support, c.name, rating=r, text=f"rating {r}") for r in (1, 2, 3, 4, 5)]
    linked = _feedback(support, c.name, rating=5, category=S.FEEDBACK_CATEGORY_SUPPORT, support_case=case.name)
    assert linked.support_case == case.name and linked.name.startswith(f"{c.name}/feedback/")
    listed = list_all(support.ListFeedback, S.ListFeedbackRequest(parent=c.name), "feedback", page_size=4)
    assert [f.name for f in listed] == [f.name for f in reversed([*given, linked])]
    assert listed[-1].rating == 1 and listed[-1].text == "rating 1"
    events = list_all(
        admin.audit.ListAuditEvents, audit_pb2.ListAuditEventsRequest(parent=ACME, resource=linked.name), "audit_events"
    )
    assert [e.method for e in events] == ["/crs.v1.SupportService/CreateFeedback"]


@pytest.mark.parametrize(
    ("rating", "category", "text", "field"),
    [
        (0, 1, "", "feedback.rating"),
        (6, 1, "", "feedback.rating"),
        (3, 0, "", "feedback.category"),
        (3, 99, "", "feedback.category"),
        (3, 1, "z" * 4001, "feedback.text"),
        (3, 1, "esc\x1b[31m", "feedback.text"),
    ],
)
def test_feedback_is_validated(admin, support, rating, category, text, field):
    c = create_customer(admin)
    expect_error(
        SC.INVALID_ARGUMENT,
        support.CreateFeedback,
        S.CreateFeedbackRequest(parent=c.name, feedback=S.Feedback(rating=rating, category=category, text=text)),
        field=field,
    )


def test_feedback_case_must_be_the_customers(admin, support, crs_server):
    c, other = create_customer(admin), create_customer(admin)
    other_case = _open(support, other.name)
    expect_error(
        SC.INVALID_ARGUMENT,
        support.CreateFeedback,
        S.CreateFeedbackRequest(parent=c.name, feedback=S.Feedback(rating=2, category=1, support_case=other_case.name)),
        field="feedback.support_case",
    )
    expect_error(
        SC.NOT_FOUND,
        support.CreateFeedback,
        S.CreateFeedbackRequest(parent=f"{ACME}/customers/nobody-{uid()}", feedback=S.Feedback(rating=2, category=1)),
    )
    g = crs_server.stub(support_pb2_grpc.SupportServiceStub, "globex-admin")
    expect_error(SC.NOT_FOUND, g.ListFeedback, S.ListFeedbackRequest(parent=c.name))


def test_note_retry_with_the_same_request_id_adds_one_note(admin, support):
    c = create_customer(admin)
    case = _open(support, c.name)
    req = S.CreateCaseNoteRequest(parent=case.name, note=S.CaseNote(text="called back"), request_id=request_id())
    first = support.CreateCaseNote(req, timeout=30)
    again = support.CreateCaseNote(req, timeout=30)
    assert again == first
    assert support.GetCase(S.GetCaseRequest(name=case.name), timeout=30).note_count == 1
    changed = S.CreateCaseNoteRequest(parent=case.name, note=S.CaseNote(text="other"), request_id=req.request_id)
    expect_error(SC.FAILED_PRECONDITION, support.CreateCaseNote, changed, reason="REQUEST_ID_REUSED")
