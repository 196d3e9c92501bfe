"""LARGE_OR_UNUSUAL_TRANSACTION: produced from the payments RecordTransactions newly recorded.

A payment (approved AUTHORIZATION, TRANSFER or one-step CAPTURE: the ones risk counts) is

* LARGE when its amount is at or over the tenant's threshold for its currency (``large_transaction_minor``);
* UNUSUAL_AMOUNT when the customer's spend in the ``usual_months`` UTC months before the payment's month holds
  at least ``unusual_min_payments`` payments and the amount is at least ``unusual_amount_multiple`` times their
  average in that currency (a currency never used before counts as an average of 0: not unusual by amount);
* NEW_COUNTRY when, likewise, none of those payments had the payment's merchant country.

The usual behaviour comes from the customer-month aggregates (one ``get_many`` per batch), so the batch's own
transactions never count as usual. The event id is derived from the transaction's name, so reporting the same
transaction again (a DUPLICATE is not even fed) or a retried producer claims the same notice.
"""

from __future__ import annotations

from collections.abc import Sequence

from crs.domain.context import CallContext
from crs.domain.notifications.rules import NotificationRules, Rules
from crs.domain.notifications.service import Notifications
from crs.domain.records import decode
from crs.domain.risk.from_transactions import is_payment
from crs.domain.transactions.aggregates import MonthAggregate, combine, months_back
from crs.domain.transactions.model import APPROVED, TransactionRecord, month_of, transaction_name
from crs.storage import schema
from crs.storage.base import Store

LARGE, UNUSUAL_AMOUNT, NEW_COUNTRY = "LARGE", "UNUSUAL_AMOUNT", "NEW_COUNTRY"


def _before(month: str, n: int) -> list[str]:
    """The ``n`` months before ``month`` (YYYYMM), oldest first."""
    return months_back(month, n + 1)[:-1]


def reasons(rules: Rules, txn: TransactionRecord, usual: MonthAggregate) -> list[str]:
    """Why ``txn`` is large or unusual against ``usual`` (the customer's earlier months combined); [] if not."""
    out = []
    limit = rules.large_transaction_minor.get(txn.currency)
    if limit is not None and txn.amount_minor >= limit:
        out.append(LARGE)
    spend = usual.spend()
    if sum(n for n, _a in spend.values()) < rules.unusual_min_payments:
        return out
    n, total = spend.get(txn.currency, [0, 0])
    if rules.unusual_amount_multiple and n and txn.amount_minor * n >= rules.unusual_amount_multiple * total:
        out.append(UNUSUAL_AMOUNT)
    countries = {c for c, cells in usual.countries.items() if c != "unknown" and cells}
    counted = sum(cell[0] for cells in usual.countries.values() for cell in cells.values())
    known = counted >= rules.unusual_min_payments
    if rules.unusual_new_country and known and txn.merchant_country and txn.merchant_country not in countries:
        out.append(NEW_COUNTRY)
    return out


class LargeOrUnusual:
    def __init__(self, store: Store, rules: NotificationRules, notifications: Notifications) -> None:
        self._store = store
        self._rules = rules
        self._notifications = notifications

    async def observe(self, ctx: CallContext, tenant: str, records: list[TransactionRecord]) -> None:
        """Claims a notice for each flagged payment among ``records`` (the ``on_recorded`` chain)."""
        await self.flag(tenant, records)

    async def flag(self, tenant: str, records: Sequence[TransactionRecord]) -> int:
        """Claims a notice for each flagged payment among ``records``; returns how many were flagged."""
        rules = self._rules.of(tenant)
        payments = [r for r in records if is_payment(r) and r.result == APPROVED]
        wanted = {(r.customer_id, m) for r in payments for m in _before(month_of(r.occurred_us), rules.usual_months)}
        keys = sorted(wanted)
        stored = await self._store.get_many(schema.aggregates_by_customer, [(tenant, c, m) for c, m in keys])
        months = {k: decode(MonthAggregate, s.value) for k, s in zip(keys, stored, strict=True) if s is not None}
        usual: dict[tuple[str, str], MonthAggregate] = {}  # (customer, month) -> the months before, combined
        flagged = 0
        for rec in payments:
            month = month_of(rec.occurred_us)
            if (rec.customer_id, month) not in usual:
                earlier = [months.get((rec.customer_id, m)) for m in _before(month, rules.usual_months)]
                usual[(rec.customer_id, month)] = combine(
                    tenant, rec.customer_id, [a for a in earlier if a is not None]
                )
            why = reasons(rules, rec, usual[(rec.customer_id, month)])
            if not why:
                continue
            flagged += 1
            name = transaction_name(tenant, rec.id)
            new = {
                "large_or_unusual": True,
                "version": rec.id,
                "customer_id": rec.customer_id,
                "amount_minor": rec.amount_minor,
                "currency_code": rec.currency,
                "reason": ",".join(why),
            }
            await self._notifications.on_change(name, ["*"], None, new, rec.occurred_us)
        return flagged
