"""Running per-customer aggregates of one UTC month, updated one transaction at a time.

Every counter is a sum, so adding transactions in any order gives the same row; duplicates never reach
``add`` (a transaction id is claimed once, in the same atomic write as the aggregate update). Cells are
``[count, amount_minor]`` per currency. Spend (approved CAPTURE/TRANSFER) is broken down by day, merchant
category, channel, merchant, instrument, merchant country and UTC hour; every transaction counts by kind and
result.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from crs.domain.transactions.model import APPROVED, CHANNEL_NAMES, KIND_NAMES, TransactionRecord

Cells = dict[str, list[int]]  # currency -> [count, amount_minor]
Breakdown = dict[str, Cells]  # key (day, MCC, channel, merchant, kind) -> currency -> cell


@dataclass(slots=True)
class MonthAggregate:
    tenant: str
    customer_id: str
    month: str  # YYYYMM
    count: int = 0  # every transaction recorded
    declined: int = 0
    first_us: int = 0  # first and last activity in this month (any transaction)
    last_us: int = 0
    kinds: Breakdown = field(default_factory=dict)  # approved, by kind name
    days: Breakdown = field(default_factory=dict)  # spend by day "DD"
    day_counts: dict[str, int] = field(default_factory=dict)  # every transaction by day "DD"
    mcc: Breakdown = field(default_factory=dict)  # spend
    channels: Breakdown = field(default_factory=dict)  # spend
    merchants: Breakdown = field(default_factory=dict)  # spend
    hours: dict[str, int] = field(default_factory=dict)  # spend count by UTC hour "HH"
    # spend by instrument "cards/{id}" or "accounts/{id}" (kept from when the field was added; older rows lack it)
    instruments: Breakdown = field(default_factory=dict)
    countries: Breakdown = field(default_factory=dict)  # spend by merchant country (likewise)
    version: str = ""

    def spend(self) -> Cells:
        out: Cells = {}
        for cells in self.days.values():
            _merge_cells(out, cells)
        return out


def _bump(breakdown: Breakdown, key: str, currency: str, amount: int) -> None:
    cell = breakdown.setdefault(key, {}).setdefault(currency, [0, 0])
    cell[0] += 1
    cell[1] += amount


def _merge_cells(into: Cells, cells: Cells) -> None:
    for currency, (n, amount) in cells.items():
        cell = into.setdefault(currency, [0, 0])
        cell[0] += n
        cell[1] += amount


def merge_breakdown(into: Breakdown, other: Breakdown) -> None:
    for key, cells in other.items():
        _merge_cells(into.setdefault(key, {}), cells)


def add(agg: MonthAggregate, txn: TransactionRecord) -> None:
    """Adds one transaction (of this customer and month) to the aggregate."""
    when = dt.datetime.fromtimestamp(txn.occurred_us / 1e6, dt.UTC)
    day = f"{when.day:02d}"
    agg.count += 1
    agg.day_counts[day] = agg.day_counts.get(day, 0) + 1
    agg.first_us = txn.occurred_us if not agg.first_us else min(agg.first_us, txn.occurred_us)
    agg.last_us = max(agg.last_us, txn.occurred_us)
    if txn.result != APPROVED:
        agg.declined += 1
        return
    _bump(agg.kinds, KIND_NAMES[txn.kind], txn.currency, txn.amount_minor)
    if not txn.is_spend:
        return
    _bump(agg.days, day, txn.currency, txn.amount_minor)
    _bump(agg.mcc, txn.mcc or "unknown", txn.currency, txn.amount_minor)
    _bump(agg.channels, CHANNEL_NAMES[txn.channel], txn.currency, txn.amount_minor)
    _bump(agg.merchants, txn.merchant_id or "unknown", txn.currency, txn.amount_minor)
    hour = f"{when.hour:02d}"
    agg.hours[hour] = agg.hours.get(hour, 0) + 1
    _bump(agg.instruments, instrument_key(txn), txn.currency, txn.amount_minor)
    _bump(agg.countries, txn.merchant_country or "unknown", txn.currency, txn.amount_minor)


def instrument_key(txn: TransactionRecord) -> str:
    return f"cards/{txn.card_id}" if txn.card_id else f"accounts/{txn.account_id}"


def add_all(agg: MonthAggregate, txns: Iterable[TransactionRecord]) -> None:
    for txn in txns:
        add(agg, txn)


def combine(tenant: str, subject: str, months: Iterable[MonthAggregate]) -> MonthAggregate:
    """One aggregate summing several (months of one customer, or the members of a cluster)."""
    out = MonthAggregate(tenant, subject, "")
    for agg in months:
        out.count += agg.count
        out.declined += agg.declined
        if agg.first_us:
            out.first_us = agg.first_us if not out.first_us else min(out.first_us, agg.first_us)
        out.last_us = max(out.last_us, agg.last_us)
        for mine, theirs in (
            (out.kinds, agg.kinds),
            (out.days, agg.days),
            (out.mcc, agg.mcc),
            (out.channels, agg.channels),
            (out.merchants, agg.merchants),
            (out.instruments, agg.instruments),
            (out.countries, agg.countries),
        ):
            merge_breakdown(mine, theirs)
        for counts, other in ((out.day_counts, agg.day_counts), (out.hours, agg.hours)):
            for key, n in other.items():
                counts[key] = counts.get(key, 0) + n
    return out


def months_back(end_month: str, n: int) -> list[str]:
    """``n`` months ending with ``end_month`` (YYYYMM), oldest first."""
    year, month = int(end_month[:4]), int(end_month[4:])
    out = []
    for _ in range(n):
        out.append(f"{year:04d}{month:02d}")
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return out[::-1]
