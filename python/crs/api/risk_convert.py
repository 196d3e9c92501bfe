"""Risk, alert and checkout-advice records -> crs.v1 messages."""

from __future__ import annotations

from crs.api.convert import ts
from crs.domain.checkout.advice import Advice
from crs.domain.risk.alerts import RiskAlertRecord, alert_name
from crs.domain.risk.service import RiskReport
from crs.domain.risk.signals import Signal
from crs.domain.risk.velocity import Velocity
from crs.v1 import decision_pb2, risk_pb2


def _cluster_name(tenant: str, cluster_id: str) -> str:
    return f"tenants/{tenant}/clusters/{cluster_id}" if cluster_id else ""


def signal_out(s: Signal) -> risk_pb2.RiskSignal:
    return risk_pb2.RiskSignal(code=s.code, score=s.score, reason=s.reason)


def velocity_out(v: Velocity) -> risk_pb2.Velocity:
    return risk_pb2.Velocity(
        windows=[
            risk_pb2.VelocityWindow(
                window=name,
                count=t.count,
                totals=[
                    risk_pb2.CurrencyTotal(currency_code=cur, count=n, amount_minor=amount)
                    for cur, (n, amount) in t.by_currency.items()
                ],
            )
            for name, t in v.windows.items()
        ],
        as_of_time=ts(v.at_us),
        newest_event_time=ts(v.watermark_us),
        late_dropped=v.late_dropped,
        duplicates=v.duplicates,
    )


def alert_out(a: RiskAlertRecord) -> risk_pb2.RiskAlert:
    return risk_pb2.RiskAlert(
        name=alert_name(a.tenant, a.id),
        cluster=_cluster_name(a.tenant, a.cluster_id),
        subject=a.subject,
        score=a.score,
        threshold=a.threshold,
        signals=[
            risk_pb2.RiskSignal(code=str(s["code"]), score=int(s["score"]), reason=str(s["reason"])) for s in a.signals
        ],
        create_time=ts(a.create_us),
    )


def report_out(tenant: str, r: RiskReport) -> risk_pb2.RiskSignals:
    out = risk_pb2.RiskSignals(
        subject=r.subject,
        cluster=_cluster_name(tenant, r.cluster_id),
        score=r.assessment.score,
        alert_score=r.alert_score,
        signals=[signal_out(s) for s in r.assessment.signals],
        as_of_time=ts(r.facts.now_us),
    )
    if r.velocity is not None:
        out.velocity.CopyFrom(velocity_out(r.velocity))
    if r.alert is not None:
        out.alert.CopyFrom(alert_out(r.alert))
    return out


_RECOMMENDATION = {
    "CHALLENGE": decision_pb2.SCA_RECOMMENDATION_CHALLENGE,
    "LOW_VALUE": decision_pb2.SCA_RECOMMENDATION_LOW_VALUE,
    "TRANSACTION_RISK_ANALYSIS": decision_pb2.SCA_RECOMMENDATION_TRANSACTION_RISK_ANALYSIS,
    "TRUSTED_BENEFICIARY": decision_pb2.SCA_RECOMMENDATION_TRUSTED_BENEFICIARY,
    "RECURRING": decision_pb2.SCA_RECOMMENDATION_RECURRING,
}


def advice_out(tenant: str, a: Advice, now_us: int) -> decision_pb2.CheckoutAdvice:
    f = a.facts
    facts = decision_pb2.ScaFacts(
        payments_since_last_sca=f.count_since_sca,
        prior_successful_scas=f.prior_successful_scas,
        last_sca_time=ts(f.last_sca_us),
        cluster_age_days=f.cluster_age_days,
        low_value_counter=f.low_value_counter,
    )
    if f.amount_since_sca_eur_cents is not None:
        facts.amount_since_last_sca_eur_minor = f.amount_since_sca_eur_cents
    if f.amount_eur_cents is not None:
        facts.amount_eur_minor = f.amount_eur_cents
    if f.fraud_rate_ppm is not None:
        facts.fraud_rate_ppm = f.fraud_rate_ppm
    if f.tra_threshold_eur_cents is not None:
        facts.tra_threshold_eur_minor = f.tra_threshold_eur_cents
    return decision_pb2.CheckoutAdvice(
        payer=a.subject,
        customer=f"tenants/{tenant}/customers/{a.customer_id}",
        cluster=_cluster_name(tenant, a.risk.cluster_id),
        payment_methods=[
            decision_pb2.RankedPaymentMethod(method=m.method, instrument=m.instrument, score=m.score, reasons=m.reasons)
            for m in a.methods
        ],
        sca=decision_pb2.ScaAdvice(
            recommendation=_RECOMMENDATION[a.decision.recommendation],
            reason_codes=a.decision.reasons,
            facts=facts,
        ),
        risk_score=a.risk.assessment.score,
        risk_signals=[signal_out(s) for s in a.risk.assessment.signals],
        as_of_time=ts(now_us),
    )
