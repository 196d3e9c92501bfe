"""Customer feedback: a rating, a category and optional text, kept per customer newest first."""

from __future__ import annotations

from crs.domain.context import CallContext
from crs.domain.errors import AlreadyExists, Violations
from crs.domain.freetext import clean_prose
from crs.domain.loading import load
from crs.domain.mutation import Change, Mutation
from crs.domain.names import Name
from crs.domain.paging import PageTokens, page_size, query_hash
from crs.domain.records import CustomerRecord, decode, encode, now_us
from crs.domain.support_records import FEEDBACK_CATEGORIES, RATINGS, CaseRecord, FeedbackRecord
from crs.storage import schema
from crs.storage.base import ConditionFailed, NotExists, Put, Store

FEEDBACK_TYPE = "crs.v1/Feedback"


class Feedback:
    def __init__(self, store: Store, mutation: Mutation, pages: PageTokens) -> None:
        self._store = store
        self._mutation = mutation
        self._pages = pages

    async def _customer(self, customer: Name) -> CustomerRecord:
        return await load(self._store, schema.customers_by_id, customer, CustomerRecord, "crs.v1/Customer")

    async def create(
        self, ctx: CallContext, customer: Name, rating: int, category: int, text: str, case: Name | None
    ) -> FeedbackRecord:
        v = Violations()
        if rating not in RATINGS:
            v.add("feedback.rating", "must be 1 to 5")
        if category not in FEEDBACK_CATEGORIES:
            v.add("feedback.category", "must be a defined feedback category")
        text = clean_prose(v, "feedback.text", text)
        v.raise_if_any()
        await self._customer(customer)
        if case is not None:
            stored = await self._store.get(schema.cases_by_id, (case.tenant, case.id))
            if stored is None or decode(CaseRecord, stored.value).customer_id != customer.id:
                v.add("feedback.support_case", "must be a support case of this customer")
                v.raise_if_any()
        feedback_id = ctx.new_id()

        async def build() -> Change[FeedbackRecord]:
            rec = FeedbackRecord(
                customer.tenant, feedback_id, customer.id, rating, category, text, case.id if case else "", now_us()
            )
            value = encode(rec)
            writes = [
                Put(schema.feedback_by_id, (rec.tenant, rec.id), value, condition=NotExists()),
                Put(schema.feedback_by_customer, (rec.tenant, rec.customer_id, rec.recency, rec.id), value),
            ]
            return Change(writes, rec, rec.name, ["*"])

        async def conflict(failed: ConditionFailed) -> Exception:
            name = f"{customer}/feedback/{feedback_id}"
            return AlreadyExists(f"{name} already exists", "ALREADY_EXISTS", {}, FEEDBACK_TYPE, name)

        return await self._mutation.run(ctx, FeedbackRecord, build, conflict)

    async def list_page(self, customer: Name, size: int, token: str) -> tuple[list[FeedbackRecord], str]:
        await self._customer(customer)
        n = page_size(size)
        q = query_hash("feedback", customer.tenant, customer.id)
        pos = self._pages.decode(token, q)
        after = tuple(str(p) for p in pos) if pos else None
        rows = await self._store.scan(
            schema.feedback_by_customer, (customer.tenant, customer.id), after=after, limit=n + 1
        )
        items = [decode(FeedbackRecord, r.record.value) for r in rows[:n]]
        nxt = self._pages.encode(q, list(rows[n - 1].clustering)) if len(rows) > n else ""
        return items, nxt

    async def recent(self, tenant: str, customer_id: str, limit: int) -> list[FeedbackRecord]:
        rows = await self._store.scan(schema.feedback_by_customer, (tenant, customer_id), limit=limit)
        return [decode(FeedbackRecord, r.record.value) for r in rows]
