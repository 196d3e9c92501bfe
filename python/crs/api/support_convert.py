"""SupportService messages from domain records."""

from __future__ import annotations

from crs.api.convert import ts
from crs.domain.support_records import CaseRecord, FeedbackRecord, NoteRecord
from crs.v1 import support_pb2


def case_out(r: CaseRecord) -> support_pb2.SupportCase:
    return support_pb2.SupportCase(
        name=r.name,
        customer=f"tenants/{r.tenant}/customers/{r.customer_id}",
        subject=r.subject,
        description=r.description,
        status=r.status,  # type: ignore[arg-type]
        priority=r.priority,  # type: ignore[arg-type]
        assignee=r.assignee,
        resolution=r.resolution,
        note_count=r.note_count,
        opened_by=r.opened_by,
        etag=r.version,
        create_time=ts(r.create_us),
        update_time=ts(r.update_us),
        resolve_time=ts(r.resolve_us),
    )


def note_out(r: NoteRecord) -> support_pb2.CaseNote:
    return support_pb2.CaseNote(name=r.name, text=r.text, author=r.author, create_time=ts(r.create_us))


def feedback_out(r: FeedbackRecord) -> support_pb2.Feedback:
    return support_pb2.Feedback(
        name=r.name,
        rating=r.rating,
        text=r.text,
        category=r.category,  # type: ignore[arg-type]
        support_case=f"tenants/{r.tenant}/cases/{r.case_id}" if r.case_id else "",
        create_time=ts(r.create_us),
    )
