"""TransactionService, SegmentService and InsightService: convert, call the domain, convert back."""

from __future__ import annotations

from typing import Any

import grpc

from crs.api import txn_convert
from crs.api.call import current
from crs.api.resources import name, parent
from crs.domain.app import Domain
from crs.domain.errors import InvalidArgument
from crs.domain.names import Name
from crs.domain.records import now_us
from crs.v1 import (
    insight_pb2,
    insight_pb2_grpc,
    segment_pb2,
    segment_pb2_grpc,
    transaction_pb2,
    transaction_pb2_grpc,
)

Ctx = grpc.aio.ServicerContext[Any, Any]


class TransactionServicer(transaction_pb2_grpc.TransactionServiceServicer):
    def __init__(self, domain: Domain) -> None:
        self.d = domain

    async def BatchRecordTransactions(
        self, request: transaction_pb2.BatchRecordTransactionsRequest, context: Ctx
    ) -> transaction_pb2.BatchRecordTransactionsResponse:
        tenant = parent(request.parent)
        items = [txn_convert.transaction_in(tenant, item) for item in request.transactions]
        results = await self.d.transactions.record_batch(current(), tenant, items)
        return txn_convert.results_out(tenant, results)

    async def GetTransaction(
        self, request: transaction_pb2.GetTransactionRequest, context: Ctx
    ) -> transaction_pb2.Transaction:
        return txn_convert.transaction_out(await self.d.transactions.get(name(request.name, "transactions")))

    async def ListTransactions(
        self, request: transaction_pb2.ListTransactionsRequest, context: Ctx
    ) -> transaction_pb2.ListTransactionsResponse:
        tenant = parent(request.parent)
        which = request.WhichOneof("scope")
        if which is None:
            raise InvalidArgument.of("scope", "set one of customer, cluster, account or card")
        scope = name(str(getattr(request, which)), f"{which}s", which)
        start = request.start_time.ToMicroseconds() if request.HasField("start_time") else 0
        end = request.end_time.ToMicroseconds() if request.HasField("end_time") else 0
        items, nxt = await self.d.transactions.list_page(
            tenant, scope, start, end, request.page_size, request.page_token
        )
        return transaction_pb2.ListTransactionsResponse(
            transactions=[txn_convert.transaction_out(r) for r in items], next_page_token=nxt
        )


class SegmentServicer(segment_pb2_grpc.SegmentServiceServicer):
    def __init__(self, domain: Domain) -> None:
        self.d = domain

    async def GetSegments(self, request: segment_pb2.GetSegmentsRequest, context: Ctx) -> segment_pb2.Segments:
        customer = name(request.customer, "customers", "customer")
        await self.d.customers.get(customer)
        rec = await self.d.segments.get(customer.tenant, customer.id)
        return txn_convert.segments_out(customer.tenant, customer.id, rec)

    async def ListSegmentMembers(
        self, request: segment_pb2.ListSegmentMembersRequest, context: Ctx
    ) -> segment_pb2.ListSegmentMembersResponse:
        tenant = parent(request.parent)
        which = request.WhichOneof("segment")
        if which == "value_tier" and request.value_tier in (1, 2, 3):
            kind, value = "tier", int(request.value_tier)
        elif which == "lifecycle" and request.lifecycle in (1, 2, 3, 4):
            kind, value = "lifecycle", int(request.lifecycle)
        else:
            raise InvalidArgument.of("segment", "set value_tier or lifecycle to a defined value")
        items, nxt = await self.d.segments.list_members(tenant, kind, value, request.page_size, request.page_token)
        return segment_pb2.ListSegmentMembersResponse(
            members=[txn_convert.segments_out(tenant, r.customer_id, r) for r in items], next_page_token=nxt
        )

    async def ListSegmentChanges(
        self, request: segment_pb2.ListSegmentChangesRequest, context: Ctx
    ) -> segment_pb2.ListSegmentChangesResponse:
        tenant = parent(request.parent)
        which = request.WhichOneof("scope")
        customer: Name | None = None
        if which == "customer":
            customer = name(request.customer, "customers", "customer")
        elif which != "day":
            raise InvalidArgument.of("scope", "set customer or day")
        items, nxt = await self.d.segments.list_changes(
            tenant, customer, request.day, request.page_size, request.page_token
        )
        return segment_pb2.ListSegmentChangesResponse(
            changes=[txn_convert.change_out(c) for c in items], next_page_token=nxt
        )

    async def RefreshSegments(
        self, request: segment_pb2.RefreshSegmentsRequest, context: Ctx
    ) -> segment_pb2.RefreshSegmentsResponse:
        tenant = parent(request.parent)
        as_of = request.as_of.ToMicroseconds() if request.HasField("as_of") else now_us()
        evaluated, changed = await self.d.segments.refresh(current(), tenant, as_of)
        return segment_pb2.RefreshSegmentsResponse(evaluated=evaluated, changed=changed)


class InsightServicer(insight_pb2_grpc.InsightServiceServicer):
    def __init__(self, domain: Domain) -> None:
        self.d = domain

    async def GetCustomerInsights(
        self, request: insight_pb2.GetCustomerInsightsRequest, context: Ctx
    ) -> insight_pb2.CustomerInsights:
        parent(request.parent)
        end = (request.end_month.year, request.end_month.month) if request.HasField("end_month") else None
        which = request.WhichOneof("subject")
        if which == "customer":
            ins = await self.d.insights.of_customer(
                name(request.customer, "customers", "customer"), end, request.months
            )
        elif which == "cluster":
            ins = await self.d.insights.of_cluster(name(request.cluster, "clusters", "cluster"), end, request.months)
        else:
            raise InvalidArgument.of("subject", "set customer or cluster")
        return txn_convert.insights_out(ins)
