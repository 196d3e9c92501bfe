"""RiskService and DecisionService: convert, call the domain, convert back."""

from __future__ import annotations

from typing import Any

import grpc

from crs.api import risk_convert as out
from crs.api.call import current
from crs.api.resources import name, optional_name, parent
from crs.domain.app import Domain
from crs.domain.checkout.advice import CheckoutRequest
from crs.domain.errors import InvalidArgument, Violations
from crs.domain.records import now_us
from crs.domain.validation import check_currency
from crs.v1 import decision_pb2, decision_pb2_grpc, risk_pb2, risk_pb2_grpc

Ctx = grpc.aio.ServicerContext[Any, Any]


def _start_us(request: risk_pb2.ListRiskAlertsRequest) -> int:
    if not request.HasField("start_time"):
        return 0
    t = request.start_time
    if t.seconds <= 0 or not 0 <= t.nanos < 1_000_000_000:
        raise InvalidArgument.of("start_time", "must be a valid timestamp after 1970")
    return t.seconds * 1_000_000 + t.nanos // 1000


class RiskServicer(risk_pb2_grpc.RiskServiceServicer):
    def __init__(self, domain: Domain) -> None:
        self.d = domain

    async def GetRiskSignals(self, request: risk_pb2.GetRiskSignalsRequest, context: Ctx) -> risk_pb2.RiskSignals:
        tenant = parent(request.parent)
        which = request.WhichOneof("subject")
        r = self.d.risk
        if which == "card_token":
            subject_name, subject = await r.subject(tenant, token=request.card_token)
        elif which == "customer":
            subject_name, subject = await r.subject(tenant, customer=name(request.customer, "customers", "customer"))
        elif which == "cluster":
            subject_name, subject = await r.subject(tenant, cluster=name(request.cluster, "clusters", "cluster"))
        else:
            raise InvalidArgument.of("subject", "set one of card_token, customer or cluster")
        eur: int | None = None
        if request.HasField("amount"):
            a = request.amount
            v = Violations()
            if a.amount_minor <= 0:
                v.add("amount.amount_minor", "must be a positive amount in minor units")
            check_currency(v, "amount.currency_code", a.currency_code)
            v.raise_if_any()
            eur = r.config.of(tenant).to_eur_cents(a.amount_minor, a.currency_code)
        report = await r.assess(current(), subject_name, subject, amount_eur_cents=eur)
        return out.report_out(tenant, report)

    async def ListRiskAlerts(
        self, request: risk_pb2.ListRiskAlertsRequest, context: Ctx
    ) -> risk_pb2.ListRiskAlertsResponse:
        tenant = parent(request.parent)
        cluster = optional_name(request.cluster, "clusters", "cluster")
        start = _start_us(request)
        if cluster is not None and start:
            raise InvalidArgument.of("start_time", "applies to the tenant-wide listing only")
        items, nxt = await self.d.risk.alerts.list_page(
            tenant, cluster.id if cluster else "", start, request.page_size, request.page_token
        )
        return risk_pb2.ListRiskAlertsResponse(risk_alerts=[out.alert_out(a) for a in items], next_page_token=nxt)


class DecisionServicer(decision_pb2_grpc.DecisionServiceServicer):
    def __init__(self, domain: Domain) -> None:
        self.d = domain

    async def GetCheckoutAdvice(
        self, request: decision_pb2.GetCheckoutAdviceRequest, context: Ctx
    ) -> decision_pb2.CheckoutAdvice:
        tenant = parent(request.parent)
        which = request.WhichOneof("payer")
        if which not in ("card_token", "customer"):
            raise InvalidArgument.of("payer", "set card_token or customer")
        req = CheckoutRequest(
            amount_minor=request.amount.amount_minor,
            currency=request.amount.currency_code,
            merchant_id=request.merchant_id,
            channel=int(request.channel),
            country=request.country_code,
            recurring=request.recurring,
            fraud_rate_ppm=request.acquirer_fraud_rate_ppm if request.HasField("acquirer_fraud_rate_ppm") else None,
        )
        customer = name(request.customer, "customers", "customer") if which == "customer" else None
        advice = await self.d.checkout.advice(current(), tenant, req, token=request.card_token, customer=customer)
        return out.advice_out(tenant, advice, now_us())
