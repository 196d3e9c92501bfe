"""Audit events: built here, written in the same ``apply`` as the change they record."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from crs.domain.context import CallContext
from crs.domain.ids import new_id
from crs.domain.records import AuditRecord, decode, encode, now_us
from crs.storage import schema
from crs.storage.base import Put, Store, Write


def day_of(time_us: int) -> str:
    return dt.datetime.fromtimestamp(time_us / 1e6, dt.UTC).strftime("%Y%m%d")


def event(
    ctx: CallContext,
    resource: str,
    *,
    outcome: str = "OK",
    changed_fields: Sequence[str] = (),
    purpose: str = "",
) -> AuditRecord:
    return AuditRecord(
        event_id=new_id(),
        tenant=ctx.tenant,
        actor=ctx.actor,
        method=ctx.method,
        resource=resource,
        request_id=ctx.request_id,
        time_us=now_us(),
        outcome=outcome,
        changed_fields=sorted(changed_fields),
        purpose=purpose,
    )


def writes(rec: AuditRecord) -> list[Write]:
    """The three denormalized copies of one audit event."""
    value = encode(rec)
    day = day_of(rec.time_us)
    return [
        Put(schema.audit_by_resource, (rec.tenant, rec.resource, rec.event_id), value),
        Put(schema.audit_by_actor, (rec.tenant, rec.actor, day, rec.event_id), value),
        Put(schema.audit_by_day, (rec.tenant, day, rec.event_id), value),
    ]


async def record_outcome(store: Store, ctx: CallContext, resource: str, outcome: str, purpose: str = "") -> None:
    """A refused or failed call: the audit event is the only thing written."""
    await store.apply(writes(event(ctx, resource, outcome=outcome, purpose=purpose)))


def decode_event(data: bytes) -> AuditRecord:
    return decode(AuditRecord, data)
