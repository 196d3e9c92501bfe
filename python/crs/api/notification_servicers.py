"""NotificationService and DueService: convert, call the domain (domain/notifications), convert back."""

from __future__ import annotations

from typing import Any

import grpc

from crs.api.call import current, own_tenant
from crs.api.convert import date_in, date_out, ts
from crs.api.resources import name, parent
from crs.domain.errors import InvalidArgument
from crs.domain.ids import valid_id
from crs.domain.notifications.model import KINDS, DueRecord, NoticeRecord, due_name, notice_name
from crs.domain.notifications.quality import ContactQuality
from crs.domain.notifications.service import HistoryItem, Notifications
from crs.v1 import billing_pb2, billing_pb2_grpc, notification_pb2, notification_pb2_grpc

Ctx = grpc.aio.ServicerContext[Any, Any]
N = notification_pb2
_CHANNELS = {
    "EMAIL": N.NOTIFICATION_CHANNEL_EMAIL,
    "SMS": N.NOTIFICATION_CHANNEL_SMS,
    "WEBHOOK": N.NOTIFICATION_CHANNEL_WEBHOOK,
    "NONE": N.NOTIFICATION_CHANNEL_NONE,
}
_STATUS = {
    "PENDING": N.NOTIFICATION_STATUS_PENDING,
    "DELIVERED": N.NOTIFICATION_STATUS_DELIVERED,
    "DEAD": N.NOTIFICATION_STATUS_DEAD,
    "SUPPRESSED": N.NOTIFICATION_STATUS_SUPPRESSED,
}


def _kind(kind: str) -> int:
    return KINDS.index(kind) + 1 if kind in KINDS else 0


def notice_out(r: NoticeRecord) -> notification_pb2.Notification:
    return N.Notification(
        name=notice_name(r.tenant, r.id),
        event_id=r.event_id,
        kind=_kind(r.kind),  # type: ignore[arg-type]
        customer=f"tenants/{r.tenant}/customers/{r.customer_id}",
        channel=_CHANNELS.get(r.channel, 0),  # type: ignore[arg-type]
        address=r.address,
        purpose=r.purpose,
        language=r.language,
        status=_STATUS.get(r.status, 0),  # type: ignore[arg-type]
        send_time=ts(r.send_us) if r.status == "PENDING" else None,
        create_time=ts(r.create_us),
        deliver_time=ts(r.deliver_us) if r.status == "DELIVERED" else None,
        attempts=r.attempts,
        last_error=r.last_error,
        provider_id=r.provider_id,
        facts=r.facts,
    )


def history_out(tenant: str, item: HistoryItem) -> notification_pb2.NotificationHistoryEntry:
    e = item.entry
    notice = e.entry == "notice"
    return N.NotificationHistoryEntry(
        type=(
            N.NotificationHistoryEntry.TYPE_NOTIFICATION if notice else N.NotificationHistoryEntry.TYPE_WORKFLOW_STEP
        ),
        time=ts(e.time_us),
        kind=_kind(e.kind),  # type: ignore[arg-type]
        resource=notice_name(tenant, e.ref) if notice else e.ref,
        summary=e.summary,
        notification=notice_out(item.notice) if item.notice else None,
    )


def quality_out(tenant: str, q: ContactQuality) -> notification_pb2.ContactQuality:
    return N.ContactQuality(
        customer=f"tenants/{tenant}/customers/{q.customer_id}",
        checks=[
            N.ContactCheck(
                kind=c.kind, value=c.value, valid=c.valid, problem=c.problem, bounces=c.bounces, usable=c.usable
            )
            for c in q.checks
        ],
        complete=q.complete,
        flags=list(q.flags),
    )


def due_out(r: DueRecord) -> billing_pb2.Due:
    return billing_pb2.Due(
        name=due_name(r.tenant, r.account_id, r.id),
        customer=f"tenants/{r.tenant}/customers/{r.customer_id}",
        amount_minor_units=r.amount_minor,
        currency_code=r.currency_code,
        due_date=date_out(r.due_date),
        status=r.status,  # type: ignore[arg-type]
        workflow_steps=r.steps_done,
        etag=r.version,
        create_time=ts(r.create_us),
        update_time=ts(r.update_us),
        paid_time=ts(r.paid_us),
    )


def _account_parent(value: str, field_path: str = "parent") -> tuple[str, str]:
    """tenants/{t}/accounts/{a} -> (tenant, account id)."""
    parts = value.split("/")
    if len(parts) != 4 or parts[0] != "tenants" or parts[2] != "accounts" or not all(map(valid_id, parts[1::2])):
        raise InvalidArgument.of(field_path, "must be tenants/{tenant}/accounts/{account}", "INVALID_RESOURCE_NAME")
    return own_tenant(parts[1], value), parts[3]


def _due(value: str, field_path: str = "name") -> tuple[str, str, str]:
    parts = value.split("/")
    if (
        len(parts) != 6
        or parts[0] != "tenants"
        or parts[2] != "accounts"
        or parts[4] != "dues"
        or not all(map(valid_id, parts[1::2]))
    ):
        raise InvalidArgument.of(
            field_path, "must be tenants/{tenant}/accounts/{account}/dues/{due}", "INVALID_RESOURCE_NAME"
        )
    return own_tenant(parts[1], value), parts[3], parts[5]


class NotificationServicer(notification_pb2_grpc.NotificationServiceServicer):
    def __init__(self, notifications: Notifications) -> None:
        self.n = notifications

    async def ListNotifications(
        self, request: notification_pb2.ListNotificationsRequest, context: Ctx
    ) -> notification_pb2.ListNotificationsResponse:
        customer = name(request.parent, "customers", "parent")
        items, nxt = await self.n.history_page(customer.tenant, customer.id, request.page_size, request.page_token)
        return N.ListNotificationsResponse(
            entries=[history_out(customer.tenant, i) for i in items], next_page_token=nxt
        )

    async def GetNotification(
        self, request: notification_pb2.GetNotificationRequest, context: Ctx
    ) -> notification_pb2.Notification:
        target = name(request.name, "notifications")
        return notice_out(await self.n.get(target.tenant, target.id))

    async def ListDeadLetters(
        self, request: notification_pb2.ListDeadLettersRequest, context: Ctx
    ) -> notification_pb2.ListDeadLettersResponse:
        tenant = parent(request.parent)
        items, nxt = await self.n.dead_letters(tenant, request.page_size, request.page_token)
        return N.ListDeadLettersResponse(notifications=[notice_out(r) for r in items], next_page_token=nxt)

    async def ReplayDeadLetter(
        self, request: notification_pb2.ReplayDeadLetterRequest, context: Ctx
    ) -> notification_pb2.Notification:
        target = name(request.name, "notifications")
        return notice_out(await self.n.replay(current(), target.tenant, target.id))

    async def GetContactQuality(
        self, request: notification_pb2.GetContactQualityRequest, context: Ctx
    ) -> notification_pb2.ContactQuality:
        customer = name(request.customer, "customers", "customer")
        return quality_out(customer.tenant, await self.n.contact_quality(customer.tenant, customer.id))


class DueServicer(billing_pb2_grpc.DueServiceServicer):
    def __init__(self, notifications: Notifications) -> None:
        self.n = notifications

    async def CreateDue(self, request: billing_pb2.CreateDueRequest, context: Ctx) -> billing_pb2.Due:
        tenant, account_id = _account_parent(request.parent)
        d = request.due
        rec = await self.n.dues.create(
            current(),
            tenant,
            account_id,
            d.amount_minor_units,
            d.currency_code,
            date_in(d.due_date),
            request.due_id,
        )
        return due_out(rec)

    async def GetDue(self, request: billing_pb2.GetDueRequest, context: Ctx) -> billing_pb2.Due:
        return due_out(await self.n.dues.get(*_due(request.name)))

    async def ListDues(self, request: billing_pb2.ListDuesRequest, context: Ctx) -> billing_pb2.ListDuesResponse:
        tenant, account_id = _account_parent(request.parent)
        items, nxt = await self.n.dues.list_page(tenant, account_id, request.page_size, request.page_token)
        return billing_pb2.ListDuesResponse(dues=[due_out(r) for r in items], next_page_token=nxt)

    async def MarkDuePaid(self, request: billing_pb2.MarkDuePaidRequest, context: Ctx) -> billing_pb2.Due:
        tenant, account_id, due_id = _due(request.name)
        return due_out(await self.n.dues.mark_paid(current(), tenant, account_id, due_id, request.etag))
