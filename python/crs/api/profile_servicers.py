"""ProfileService, SupportService and Customer360Service: convert, call the domain, convert back."""

from __future__ import annotations

from typing import Any

import grpc

from crs.api import convert
from crs.api import profile_convert as pc
from crs.api import support_convert as sc
from crs.api.call import current, own_tenant
from crs.api.cluster_convert import cluster_out
from crs.api.notification_servicers import history_out
from crs.api.resources import name, optional_name, parent
from crs.api.txn_convert import segments_out, transaction_out
from crs.domain.app import Domain
from crs.domain.clusters.service import ClusterView
from crs.domain.errors import InvalidArgument
from crs.domain.names import Name
from crs.domain.profiles import CUSTOMERS, parse_profile_name
from crs.v1 import (
    customer360_pb2,
    customer360_pb2_grpc,
    profile_pb2,
    profile_pb2_grpc,
    support_pb2,
    support_pb2_grpc,
)

Ctx = grpc.aio.ServicerContext[Any, Any]


def _profile_owner(value: str, field_path: str = "name") -> Name:
    owner = parse_profile_name(value, field_path)
    own_tenant(owner.tenant, value)
    return owner


class ProfileServicer(profile_pb2_grpc.ProfileServiceServicer):
    def __init__(self, domain: Domain) -> None:
        self.d = domain

    async def GetProfile(self, request: profile_pb2.GetProfileRequest, context: Ctx) -> profile_pb2.Profile:
        return pc.profile_out(await self.d.profiles.get(_profile_owner(request.name)))

    async def UpdateProfile(self, request: profile_pb2.UpdateProfileRequest, context: Ctx) -> profile_pb2.Profile:
        owner = _profile_owner(request.profile.name, "profile.name")
        if not request.HasField("update_mask"):
            raise InvalidArgument.of("update_mask", "is required")
        rec = await self.d.profiles.update(
            current(), owner, pc.profile_in(request.profile), list(request.update_mask.paths), request.profile.etag
        )
        return pc.profile_out(rec)

    async def GetEffectiveProfile(
        self, request: profile_pb2.GetEffectiveProfileRequest, context: Ctx
    ) -> profile_pb2.EffectiveProfile:
        owner = _profile_owner(request.name)
        if owner.collection != CUSTOMERS:
            raise InvalidArgument.of("name", "must be tenants/{tenant}/customers/{customer}/profile")
        return pc.effective_out(await self.d.profiles.effective(owner.tenant, owner.id))


def _case_name(value: str, field_path: str = "name") -> Name:
    return name(value, "cases", field_path)


class SupportServicer(support_pb2_grpc.SupportServiceServicer):
    def __init__(self, domain: Domain) -> None:
        self.d = domain

    async def CreateCase(self, request: support_pb2.CreateCaseRequest, context: Ctx) -> support_pb2.SupportCase:
        tenant = parent(request.parent)
        c = request.support_case
        if not c.customer:
            raise InvalidArgument.of("support_case.customer", "is required")
        customer = name(c.customer, "customers", "support_case.customer")
        rec = await self.d.cases.create(current(), tenant, customer, c.subject, c.description, c.priority)
        return sc.case_out(rec)

    async def GetCase(self, request: support_pb2.GetCaseRequest, context: Ctx) -> support_pb2.SupportCase:
        return sc.case_out(await self.d.cases.get(_case_name(request.name)))

    async def ListCases(self, request: support_pb2.ListCasesRequest, context: Ctx) -> support_pb2.ListCasesResponse:
        tenant = parent(request.parent)
        if not request.customer:
            raise InvalidArgument.of("customer", "is required")
        customer = name(request.customer, "customers", "customer")
        if customer.tenant != tenant:
            raise InvalidArgument.of("customer", "must be in the parent tenant")
        items, nxt = await self.d.cases.list_page(customer, request.status, request.page_size, request.page_token)
        return support_pb2.ListCasesResponse(cases=[sc.case_out(r) for r in items], next_page_token=nxt)

    async def AssignCase(self, request: support_pb2.AssignCaseRequest, context: Ctx) -> support_pb2.SupportCase:
        rec = await self.d.cases.assign(current(), _case_name(request.name), request.assignee, request.etag)
        return sc.case_out(rec)

    async def ResolveCase(self, request: support_pb2.ResolveCaseRequest, context: Ctx) -> support_pb2.SupportCase:
        rec = await self.d.cases.resolve(current(), _case_name(request.name), request.resolution, request.etag)
        return sc.case_out(rec)

    async def CreateCaseNote(self, request: support_pb2.CreateCaseNoteRequest, context: Ctx) -> support_pb2.CaseNote:
        case = _case_name(request.parent, "parent")
        return sc.note_out(await self.d.cases.add_note(current(), case, request.note.text))

    async def ListCaseNotes(
        self, request: support_pb2.ListCaseNotesRequest, context: Ctx
    ) -> support_pb2.ListCaseNotesResponse:
        case = _case_name(request.parent, "parent")
        items, nxt = await self.d.cases.list_notes(case, request.page_size, request.page_token)
        return support_pb2.ListCaseNotesResponse(notes=[sc.note_out(r) for r in items], next_page_token=nxt)

    async def CreateFeedback(self, request: support_pb2.CreateFeedbackRequest, context: Ctx) -> support_pb2.Feedback:
        customer = name(request.parent, "customers", "parent")
        f = request.feedback
        case = optional_name(f.support_case, "cases", "feedback.support_case")
        rec = await self.d.feedback.create(current(), customer, f.rating, f.category, f.text, case)
        return sc.feedback_out(rec)

    async def ListFeedback(
        self, request: support_pb2.ListFeedbackRequest, context: Ctx
    ) -> support_pb2.ListFeedbackResponse:
        customer = name(request.parent, "customers", "parent")
        items, nxt = await self.d.feedback.list_page(customer, request.page_size, request.page_token)
        return support_pb2.ListFeedbackResponse(feedback=[sc.feedback_out(r) for r in items], next_page_token=nxt)


class Customer360Servicer(customer360_pb2_grpc.Customer360ServiceServicer):
    def __init__(self, domain: Domain) -> None:
        self.d = domain

    async def GetCustomer360(
        self, request: customer360_pb2.GetCustomer360Request, context: Ctx
    ) -> customer360_pb2.Customer360:
        if not request.customer:
            raise InvalidArgument.of("customer", "is required")
        view = await self.d.customer360.get(
            name(request.customer, "customers", "customer"),
            request.feedback_count,
            request.transaction_count,
            request.notification_count,
        )
        tenant = view.customer.tenant
        plain = self.d.customers.reveal_national_ids(view.customer) if current().principal.has("pii") else None
        return customer360_pb2.Customer360(
            customer=convert.customer_out(view.customer, plain),
            cluster=cluster_out(ClusterView(view.cluster, [])) if view.cluster else None,
            accounts=[convert.account_out(a) for a in view.accounts],
            cards=[convert.card_out(c) for c in view.cards],
            effective_profile=pc.effective_out(view.profile),
            open_cases=[sc.case_out(c) for c in view.open_cases],
            recent_feedback=[sc.feedback_out(f) for f in view.recent_feedback],
            truncated_sections=view.truncated,
            segments=segments_out(tenant, view.customer.id, view.segments) if view.segments else None,
            recent_transactions=[transaction_out(t) for t in view.recent_transactions],
            recent_notifications=[history_out(tenant, h) for h in view.recent_notifications],
        )
