"""Insights over a period of whole months, read from the monthly aggregates (never from raw transactions).

A cluster's insights sum its current members' aggregates at read time, so they stay right across merges and
splits without any rewrite (docs/transactions.md, "Cluster aggregates")."""

from __future__ import annotations

from dataclasses import dataclass, field

from crs.domain.clusters.service import Clusters
from crs.domain.customers import Customers
from crs.domain.errors import InvalidArgument
from crs.domain.names import Name
from crs.domain.records import decode, now_us
from crs.domain.transactions.aggregates import Breakdown, MonthAggregate, combine, months_back
from crs.domain.transactions.model import month_of
from crs.domain.transactions.recorder import Clock
from crs.storage import schema
from crs.storage.base import Store

MAX_MONTHS = 24
MAX_CLUSTER_MEMBERS = 1000


@dataclass(slots=True)
class Line:
    key: str
    currency: str
    count: int
    amount_minor: int


@dataclass(slots=True)
class Trend:
    currency: str
    amount_minor: int
    previous_amount_minor: int
    count: int
    previous_count: int
    change_percent: float
    has_previous: bool


@dataclass(slots=True)
class Insights:
    subject: str
    start_month: str
    end_month: str
    customers: int
    by_category: list[Line] = field(default_factory=list)
    by_merchant: list[Line] = field(default_factory=list)
    by_channel: list[Line] = field(default_factory=list)
    by_currency: list[Trend] = field(default_factory=list)
    spend_count: int = 0
    refund_count: int = 0
    chargeback_count: int = 0
    refund_ratio: float = 0.0
    chargeback_ratio: float = 0.0
    declined_count: int = 0
    preferred_hours: list[int] = field(default_factory=list)
    hours: dict[int, int] = field(default_factory=dict)


def _lines(breakdown: Breakdown, limit: int = 50) -> list[Line]:
    out = [Line(k, c, n, a) for k, cells in breakdown.items() for c, (n, a) in cells.items()]
    out.sort(key=lambda line: (-line.amount_minor, line.key, line.currency))
    return out[:limit]


def _count(agg: MonthAggregate, kind: str) -> int:
    return sum(n for n, _a in agg.kinds.get(kind, {}).values())


def period(end_month: tuple[int, int] | None, months: int, now_us: int) -> list[str]:
    if months < 0 or months > MAX_MONTHS:
        raise InvalidArgument.of("months", f"must be 1 to {MAX_MONTHS}")
    if end_month is None:
        end = month_of(now_us)
    else:
        year, month = end_month
        if not (2000 <= year <= 2100 and 1 <= month <= 12):
            raise InvalidArgument.of("end_month", "must be a year 2000-2100 and a month 1-12")
        end = f"{year:04d}{month:02d}"
    return months_back(end, months or 3)


def _trends(now: MonthAggregate, before: MonthAggregate) -> list[Trend]:
    spend, previous = now.spend(), before.spend()
    out = []
    for currency in sorted(set(spend) | set(previous)):
        n, amount = spend.get(currency, [0, 0])
        pn, pamount = previous.get(currency, [0, 0])
        change = (amount - pamount) / pamount * 100.0 if pamount else 0.0
        out.append(Trend(currency, amount, pamount, n, pn, round(change, 2), bool(pamount)))
    return out


async def compute(store: Store, tenant: str, subject: str, customer_ids: list[str], months: list[str]) -> Insights:
    """Insights of the customers summed over ``months``, with the trend against the months just before."""
    previous = months_back(months[0], len(months) + 1)[:-1]
    keys = [(tenant, c, m) for c in customer_ids for m in previous + months]
    stored = await store.get_many(schema.aggregates_by_customer, keys)
    current: list[MonthAggregate] = []
    before: list[MonthAggregate] = []
    wanted = set(months)
    for key, got in zip(keys, stored, strict=True):
        if got is not None:
            (current if key[2] in wanted else before).append(decode(MonthAggregate, got.value))
    now, then = combine(tenant, subject, current), combine(tenant, subject, before)
    spend = sum(n for n, _a in now.spend().values())
    refunds, chargebacks = _count(now, "REFUND"), _count(now, "CHARGEBACK")
    hours = {int(h): n for h, n in now.hours.items()}
    return Insights(
        subject=subject,
        start_month=months[0],
        end_month=months[-1],
        customers=len(customer_ids),
        by_category=_lines(now.mcc),
        by_merchant=_lines(now.merchants),
        by_channel=_lines(now.channels),
        by_currency=_trends(now, then),
        spend_count=spend,
        refund_count=refunds,
        chargeback_count=chargebacks,
        refund_ratio=round(refunds / spend, 4) if spend else 0.0,
        chargeback_ratio=round(chargebacks / spend, 4) if spend else 0.0,
        declined_count=now.declined,
        preferred_hours=[h for h, _n in sorted(hours.items(), key=lambda kv: (-kv[1], kv[0]))[:3]],
        hours=dict(sorted(hours.items())),
    )


def month_tuple(month: str) -> tuple[int, int]:
    return int(month[:4]), int(month[4:])


class CustomerInsights:
    def __init__(self, store: Store, customers: Customers, clusters: Clusters, clock: Clock = now_us) -> None:
        self._store = store
        self._customers = customers
        self._clusters = clusters
        self.clock = clock

    async def of_customer(self, customer: Name, end_month: tuple[int, int] | None, months: int) -> Insights:
        span = period(end_month, months, self.clock())
        await self._customers.get(customer)  # NOT_FOUND for a missing (or another tenant's) customer
        return await compute(self._store, customer.tenant, str(customer), [customer.id], span)

    async def of_cluster(self, cluster: Name, end_month: tuple[int, int] | None, months: int) -> Insights:
        """The cluster's current members (an absorbed cluster resolves to its survivor)."""
        span = period(end_month, months, self.clock())
        rec = await self._clusters.follow(cluster.tenant, cluster.id)
        rows = await self._store.scan(schema.customers_by_cluster, (cluster.tenant, rec.id), limit=MAX_CLUSTER_MEMBERS)
        members = [str(r.clustering[0]) for r in rows]
        return await compute(self._store, cluster.tenant, f"tenants/{cluster.tenant}/clusters/{rec.id}", members, span)
