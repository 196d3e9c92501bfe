"""Protobuf <-> domain conversion for transactions, segments and insights."""

from __future__ import annotations

from crs.api.convert import ts
from crs.domain.errors import InvalidArgument
from crs.domain.names import parse_name
from crs.domain.transactions.insights import Insights, Line, month_tuple
from crs.domain.transactions.model import TransactionInput, TransactionRecord, transaction_name
from crs.domain.transactions.recorder import ItemResult
from crs.domain.transactions.segments import SegmentChange, SegmentRecord
from crs.v1 import insight_pb2, segment_pb2, transaction_pb2


def _account_id(tenant: str, value: str) -> tuple[str, bool]:
    """The instrument account's id; (id, False) for a name in another tenant, which then resolves to nothing."""
    try:
        parsed = parse_name(value, "accounts", "transaction.instrument_account")
    except InvalidArgument:
        return "", True
    return (parsed.id if parsed.tenant == tenant else f"other-tenant-{parsed.id}"), False


def transaction_in(tenant: str, item: transaction_pb2.TransactionInput) -> TransactionInput:
    t = item.transaction
    account_id, bad = _account_id(tenant, t.instrument_account) if t.instrument_account else ("", False)
    return TransactionInput(
        transaction_id=item.transaction_id,
        kind=t.kind,
        amount_minor=t.amount_minor,
        currency=t.currency_code,
        merchant_id=t.merchant_id,
        mcc=t.mcc,
        merchant_country=t.merchant_country,
        channel=t.channel,
        card_token=t.card_token,
        account_id=account_id,
        result=t.result,
        decline_reason=t.decline_reason,
        sca_outcome=t.sca_outcome,
        sca_exemption=t.sca_exemption,
        occurred_us=t.occur_time.ToMicroseconds() if t.HasField("occur_time") else 0,
        original_id=t.original_transaction_id,
        bad_account=bad,
        recurring=t.recurring,
    )


def transaction_out(rec: TransactionRecord) -> transaction_pb2.Transaction:
    base = f"tenants/{rec.tenant}"
    return transaction_pb2.Transaction(
        name=transaction_name(rec.tenant, rec.id),
        kind=rec.kind,  # type: ignore[arg-type]
        amount_minor=rec.amount_minor,
        currency_code=rec.currency,
        merchant_id=rec.merchant_id,
        mcc=rec.mcc,
        merchant_country=rec.merchant_country,
        channel=rec.channel,  # type: ignore[arg-type]
        instrument_account="" if rec.card_id else f"{base}/accounts/{rec.account_id}",  # a card's token is input only
        result=rec.result,  # type: ignore[arg-type]
        decline_reason=rec.decline_reason,
        sca_outcome=rec.sca_outcome,  # type: ignore[arg-type]
        sca_exemption=rec.sca_exemption,  # type: ignore[arg-type]
        occur_time=ts(rec.occurred_us),
        original_transaction_id=rec.original_id,
        card=f"{base}/cards/{rec.card_id}" if rec.card_id else "",
        account=f"{base}/accounts/{rec.account_id}",
        customer=f"{base}/customers/{rec.customer_id}",
        cluster=f"{base}/clusters/{rec.cluster_id}" if rec.cluster_id else "",
        record_time=ts(rec.record_us),
        recurring=rec.recurring,
    )


def results_out(tenant: str, results: list[ItemResult]) -> transaction_pb2.BatchRecordTransactionsResponse:
    out = transaction_pb2.BatchRecordTransactionsResponse()
    for r in results:
        named = r.status in (transaction_pb2.RECORD_STATUS_RECORDED, transaction_pb2.RECORD_STATUS_DUPLICATE)
        out.results.append(
            transaction_pb2.RecordResult(
                transaction_id=r.transaction_id,
                status=r.status,  # type: ignore[arg-type]
                name=transaction_name(tenant, r.transaction_id) if named else "",
                reason=r.reason,
                message=r.message,
                fields=r.fields,
            )
        )
    out.recorded = sum(r.status == transaction_pb2.RECORD_STATUS_RECORDED for r in results)
    out.duplicates = sum(r.status == transaction_pb2.RECORD_STATUS_DUPLICATE for r in results)
    out.rejected = sum(r.status == transaction_pb2.RECORD_STATUS_REJECTED for r in results)
    return out


def segments_out(tenant: str, customer_id: str, rec: SegmentRecord | None) -> segment_pb2.Segments:
    customer = f"tenants/{tenant}/customers/{customer_id}"
    out = segment_pb2.Segments(name=f"{customer}/segments", customer=customer)
    if rec is None:
        return out
    out.value_tier = rec.tier  # type: ignore[assignment]
    out.lifecycle = rec.lifecycle  # type: ignore[assignment]
    out.reason = rec.reason
    out.recency_days = rec.recency_days
    out.frequency = rec.frequency
    out.monetary_minor = rec.monetary_minor
    out.monetary_currency = rec.currency
    for field, us in (
        ("tier_since", rec.tier_since_us),
        ("lifecycle_since", rec.lifecycle_since_us),
        ("evaluate_time", rec.evaluate_us),
        ("first_activity_time", rec.first_us),
        ("last_activity_time", rec.last_us),
    ):
        if us:
            getattr(out, field).FromMicroseconds(us)
    return out


def change_out(rec: SegmentChange) -> segment_pb2.SegmentChange:
    return segment_pb2.SegmentChange(
        customer=f"tenants/{rec.tenant}/customers/{rec.customer_id}",
        from_tier=rec.from_tier,  # type: ignore[arg-type]
        to_tier=rec.to_tier,  # type: ignore[arg-type]
        from_lifecycle=rec.from_lifecycle,  # type: ignore[arg-type]
        to_lifecycle=rec.to_lifecycle,  # type: ignore[arg-type]
        reason=rec.reason,
        trigger=rec.trigger,
        change_time=ts(rec.time_us),
        change_id=rec.change_id,
    )


def _lines(lines: list[Line]) -> list[insight_pb2.SpendLine]:
    return [
        insight_pb2.SpendLine(key=x.key, currency_code=x.currency, count=x.count, amount_minor=x.amount_minor)
        for x in lines
    ]


def insights_out(ins: Insights) -> insight_pb2.CustomerInsights:
    sy, sm = month_tuple(ins.start_month)
    ey, em = month_tuple(ins.end_month)
    return insight_pb2.CustomerInsights(
        subject=ins.subject,
        start_month=insight_pb2.YearMonth(year=sy, month=sm),
        end_month=insight_pb2.YearMonth(year=ey, month=em),
        by_category=_lines(ins.by_category),
        by_merchant=_lines(ins.by_merchant),
        by_channel=_lines(ins.by_channel),
        by_currency=[
            insight_pb2.CurrencyTrend(
                currency_code=t.currency,
                amount_minor=t.amount_minor,
                previous_amount_minor=t.previous_amount_minor,
                count=t.count,
                previous_count=t.previous_count,
                change_percent=t.change_percent,
                has_previous=t.has_previous,
            )
            for t in ins.by_currency
        ],
        spend_count=ins.spend_count,
        refund_count=ins.refund_count,
        chargeback_count=ins.chargeback_count,
        refund_ratio=ins.refund_ratio,
        chargeback_ratio=ins.chargeback_ratio,
        declined_count=ins.declined_count,
        preferred_hours=ins.preferred_hours,
        hours=[insight_pb2.HourShare(hour=h, count=n) for h, n in ins.hours.items()],
        customers=ins.customers,
    )
