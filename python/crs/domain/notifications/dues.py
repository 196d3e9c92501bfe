"""Payment dues (a minimal billing concept for the late-payment workflow): create, get, list, mark paid.

``tenants/{t}/accounts/{a}/dues/{d}``: amount in minor units + currency, due date, status OPEN / PAID /
COLLECTIONS, and the late-payment steps already taken. Stored in ``dues_by_account`` (get, list, CAS) and copied
to ``dues_by_date`` so the scheduler reads one partition per date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace

from crs.domain import etags, listing
from crs.domain.context import CallContext
from crs.domain.errors import AlreadyExists, NotFound, Violations
from crs.domain.ids import new_version, valid_id
from crs.domain.mutation import Change, Mutation
from crs.domain.notifications.model import DUE_OPEN, DUE_PAID, Clock, DueRecord, due_name
from crs.domain.paging import PageTokens, page_size, query_hash
from crs.domain.records import AccountRecord, decode, encode
from crs.domain.validation import check_currency
from crs.storage import schema
from crs.storage.base import ConditionFailed, NotExists, Put, Store, VersionIs, Write

MAX_AMOUNT_MINOR = 10**15
RESOURCE_TYPE = "crs.v1/Due"


def row_writes(rec: DueRecord, condition: NotExists | VersionIs) -> list[Write]:
    value = encode(rec)
    return [
        Put(schema.dues_by_account, (rec.tenant, rec.account_id, rec.id), value, rec.version, condition),
        Put(schema.dues_by_date, (rec.tenant, rec.due_date, rec.account_id, rec.id), value, rec.version),
    ]


def _not_found(name: str) -> NotFound:
    return NotFound(f"{name} not found", "NOT_FOUND", {}, RESOURCE_TYPE, name)


class Dues:
    def __init__(self, store: Store, mutation: Mutation, pages: PageTokens, clock: Clock) -> None:
        self._store = store
        self._mutation = mutation
        self._pages = pages
        self._clock = clock

    async def get(self, tenant: str, account_id: str, due_id: str) -> DueRecord:
        stored = await self._store.get(schema.dues_by_account, (tenant, account_id, due_id))
        if stored is None:
            raise _not_found(due_name(tenant, account_id, due_id))
        return decode(DueRecord, stored.value)

    async def create(
        self,
        ctx: CallContext,
        tenant: str,
        account_id: str,
        amount_minor: int,
        currency_code: str,
        due_date: tuple[int, int, int],
        due_id: str,
    ) -> DueRecord:
        v = Violations()
        if due_id and not valid_id(due_id):
            v.add("due_id", "must match ^[a-z0-9][a-z0-9-]{0,62}$")
        if not 0 < amount_minor <= MAX_AMOUNT_MINOR:
            v.add("due.amount.minor_units", f"must be 1 to {MAX_AMOUNT_MINOR}")
        check_currency(v, "due.amount.currency_code", currency_code)
        try:
            date = dt.date(*due_date).isoformat()
        except ValueError:
            v.add("due.due_date", "must be a valid calendar date")
            date = ""
        v.raise_if_any()
        stored = await self._store.get(schema.accounts_by_id, (tenant, account_id))
        if stored is None:
            raise NotFound(
                f"tenants/{tenant}/accounts/{account_id} not found",
                "NOT_FOUND",
                {},
                "crs.v1/Account",
                f"tenants/{tenant}/accounts/{account_id}",
            )
        account = decode(AccountRecord, stored.value)
        did = due_id or ctx.new_id()
        name = due_name(tenant, account_id, did)

        async def build() -> Change[DueRecord]:
            now = self._clock.now_us()
            rec = DueRecord(
                tenant=tenant,
                account_id=account_id,
                id=did,
                customer_id=account.customer_id,
                amount_minor=amount_minor,
                currency_code=currency_code,
                due_date=date,
                status=DUE_OPEN,
                create_us=now,
                update_us=now,
                version=new_version(),
            )
            return Change(row_writes(rec, NotExists()), rec, name, ["*"])

        async def conflict(_failed: ConditionFailed) -> Exception:
            return AlreadyExists(f"{name} already exists", "ALREADY_EXISTS", {}, RESOURCE_TYPE, name)

        return await self._mutation.run(ctx, DueRecord, build, conflict)

    async def mark_paid(self, ctx: CallContext, tenant: str, account_id: str, due_id: str, etag: str) -> DueRecord:
        name = due_name(tenant, account_id, due_id)

        async def build() -> Change[DueRecord]:
            current = await self.get(tenant, account_id, due_id)
            etags.check(etag, current.version, "due")
            if current.status == DUE_PAID:
                return Change([], current, name)
            now = self._clock.now_us()
            rec = replace(current, status=DUE_PAID, paid_us=now, update_us=now, version=new_version())
            return Change(row_writes(rec, VersionIs(current.version)), rec, name, ["status", "paid_time"])

        return await self._mutation.run(ctx, DueRecord, build, etags.conflict("due"))

    async def list_page(self, tenant: str, account_id: str, size: int, token: str) -> tuple[list[DueRecord], str]:
        n = page_size(size)
        q = query_hash("dues", tenant, account_id)
        position = self._pages.decode(token, q)
        after = tuple(str(p) for p in position) if position else None
        items, nxt = await listing.list_partition(
            self._store,
            schema.dues_by_account,
            (tenant, account_id),
            after,
            n,
            lambda _k, r: decode(DueRecord, r.value),
        )
        return items, (self._pages.encode(q, list(nxt)) if nxt else "")

    async def on_date(self, tenant: str, date: str) -> Sequence[DueRecord]:
        """Every due falling due on ``date`` (one partition, read in pages)."""
        out: list[DueRecord] = []
        after = None
        while True:
            rows = await self._store.scan(schema.dues_by_date, (tenant, date), after=after, limit=500)
            out += [decode(DueRecord, r.record.value) for r in rows]
            if len(rows) < 500:
                return out
            after = rows[-1].clustering
