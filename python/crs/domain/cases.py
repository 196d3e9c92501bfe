"""Support cases: open, assign, resolve, notes; listed per customer and status (one partition per status)."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from crs.domain import etags, listing
from crs.domain.context import CallContext
from crs.domain.errors import AlreadyExists, FailedPrecondition, InvalidArgument, Violations
from crs.domain.freetext import clean_line, clean_prose
from crs.domain.ids import new_version
from crs.domain.loading import load
from crs.domain.mutation import Change, Mutation
from crs.domain.names import Name
from crs.domain.paging import PageTokens, page_size, query_hash
from crs.domain.records import CustomerRecord, decode, encode, now_us
from crs.domain.support_records import (
    ASSIGNED,
    NORMAL,
    OPEN,
    PRIORITIES,
    RESOLVED,
    STATUS_NAMES,
    STATUS_ORDER,
    CaseRecord,
    NoteRecord,
)
from crs.storage import schema
from crs.storage.base import ConditionFailed, Delete, Key, NotExists, Put, Record, Store, VersionIs, Write

CASE_TYPE = "crs.v1/SupportCase"


def _index_key(rec: CaseRecord) -> Key:
    return (rec.tenant, rec.customer_id, STATUS_NAMES[rec.status], rec.opened_key, rec.id)


def _case_writes(rec: CaseRecord, before: CaseRecord | None) -> list[Write]:
    """The case row (insert-if-not-exists or CAS on the previous version) and its per-status list row."""
    value = encode(rec)
    condition = VersionIs(before.version) if before else NotExists()
    writes: list[Write] = [Put(schema.cases_by_id, (rec.tenant, rec.id), value, rec.version, condition)]
    if before is not None and before.status != rec.status:
        writes.append(Delete(schema.cases_by_customer, _index_key(before)))
    writes.append(Put(schema.cases_by_customer, _index_key(rec), value, rec.version))
    return writes


class Cases:
    def __init__(self, store: Store, mutation: Mutation, pages: PageTokens) -> None:
        self._store = store
        self._mutation = mutation
        self._pages = pages

    async def get(self, name: Name) -> CaseRecord:
        return await load(self._store, schema.cases_by_id, name, CaseRecord, CASE_TYPE)

    async def _customer(self, customer: Name) -> CustomerRecord:
        return await load(self._store, schema.customers_by_id, customer, CustomerRecord, "crs.v1/Customer")

    async def create(
        self, ctx: CallContext, tenant: str, customer: Name, subject: str, description: str, priority: int
    ) -> CaseRecord:
        v = Violations()
        subject = clean_line(v, "support_case.subject", subject, required=True)
        description = clean_prose(v, "support_case.description", description)
        if priority and priority not in PRIORITIES:
            v.add("support_case.priority", "must be a defined case priority")
        v.raise_if_any()
        await self._customer(customer)
        case_id = ctx.new_id()

        async def build() -> Change[CaseRecord]:
            ts = now_us()
            rec = CaseRecord(
                tenant=tenant,
                id=case_id,
                customer_id=customer.id,
                subject=subject,
                description=description,
                priority=priority or NORMAL,
                opened_by=ctx.actor,
                create_us=ts,
                update_us=ts,
                version=new_version(),
            )
            return Change(_case_writes(rec, None), rec, rec.name, ["*"])

        async def conflict(failed: ConditionFailed) -> Exception:
            name = f"tenants/{tenant}/cases/{case_id}"
            return AlreadyExists(f"{name} already exists", "ALREADY_EXISTS", {}, CASE_TYPE, name)

        return await self._mutation.run(ctx, CaseRecord, build, conflict)

    async def assign(self, ctx: CallContext, name: Name, assignee: str, etag: str) -> CaseRecord:
        v = Violations()
        assignee = clean_line(v, "assignee", assignee, required=True, refuse_pans=True)
        v.raise_if_any()

        async def build() -> Change[CaseRecord]:
            current = await self.get(name)
            etags.check(etag, current.version, "case")
            if current.status == RESOLVED:
                raise FailedPrecondition("a resolved case cannot be assigned", "CASE_RESOLVED")
            if current.status == ASSIGNED and current.assignee == assignee:
                return Change([], current, str(name), [])
            rec = replace(current, status=ASSIGNED, assignee=assignee, update_us=now_us(), version=new_version())
            return Change(_case_writes(rec, current), rec, str(name), ["status", "assignee"])

        return await self._mutation.run(ctx, CaseRecord, build, etags.conflict("case"))

    async def resolve(self, ctx: CallContext, name: Name, resolution: str, etag: str) -> CaseRecord:
        v = Violations()
        resolution = clean_prose(v, "resolution", resolution, required=True)
        v.raise_if_any()

        async def build() -> Change[CaseRecord]:
            current = await self.get(name)
            etags.check(etag, current.version, "case")
            if current.status == RESOLVED:
                return Change([], current, str(name), [])
            ts = now_us()
            rec = replace(
                current, status=RESOLVED, resolution=resolution, resolve_us=ts, update_us=ts, version=new_version()
            )
            return Change(_case_writes(rec, current), rec, str(name), ["status", "resolution", "resolve_time"])

        return await self._mutation.run(ctx, CaseRecord, build, etags.conflict("case"))

    async def add_note(self, ctx: CallContext, case: Name, text: str) -> NoteRecord:
        v = Violations()
        text = clean_prose(v, "note.text", text, required=True)
        v.raise_if_any()
        note_id = ctx.new_id()

        async def build() -> Change[NoteRecord]:
            current = await self.get(case)
            ts = now_us()
            note = NoteRecord(case.tenant, case.id, note_id, text, ctx.actor, ts)
            rec = replace(current, note_count=current.note_count + 1, update_us=ts, version=new_version())
            writes = _case_writes(rec, current)
            writes.append(Put(schema.case_notes_by_case, (case.tenant, case.id, f"{ts:017d}", note_id), encode(note)))
            return Change(writes, note, note.name, ["*"])

        async def conflict(_failed: ConditionFailed) -> Exception | None:
            return None  # the case changed meanwhile (another note, an assignment): add the note to the new version

        return await self._mutation.run(ctx, NoteRecord, build, conflict, attempts=5)

    async def list_notes(self, case: Name, size: int, token: str) -> tuple[list[NoteRecord], str]:
        await self.get(case)
        n = page_size(size)
        q = query_hash("case-notes", case.tenant, case.id)
        pos = self._pages.decode(token, q)
        after = tuple(str(p) for p in pos) if pos else None

        def keep(_key: Key, record: Record) -> NoteRecord:
            return decode(NoteRecord, record.value)

        items, nxt = await listing.list_partition(
            self._store, schema.case_notes_by_case, (case.tenant, case.id), after, n, keep
        )
        return items, (self._pages.encode(q, list(nxt)) if nxt else "")

    async def list_page(self, customer: Name, status: int, size: int, token: str) -> tuple[list[CaseRecord], str]:
        """The customer's cases of one status, or of all (OPEN, then ASSIGNED, then RESOLVED)."""
        if status and status not in STATUS_NAMES:
            raise InvalidArgument.of("status", "must be a defined case status")
        n = page_size(size)
        await self._customer(customer)
        statuses = (status,) if status else STATUS_ORDER
        q = query_hash("cases", customer.tenant, customer.id, status)
        pos = self._pages.decode(token, q)
        index = int(pos[0]) if pos else 0
        after: Key | None = tuple(str(p) for p in pos[1:]) if pos and len(pos) > 1 else None
        items: list[CaseRecord] = []
        while index < len(statuses) and len(items) < n:
            partition = (customer.tenant, customer.id, STATUS_NAMES[statuses[index]])
            got, nxt = await listing.list_partition(
                self._store, schema.cases_by_customer, partition, after, n - len(items), self._keep
            )
            items += got
            if nxt is not None:
                return items, self._pages.encode(q, [index, *nxt])
            index, after = index + 1, None
        more = index < len(statuses)
        return items, (self._pages.encode(q, [index]) if more else "")

    @staticmethod
    def _keep(_key: Key, record: Record) -> CaseRecord:
        return decode(CaseRecord, record.value)

    async def open_cases(self, tenant: str, customer_id: str, limit: int) -> tuple[list[CaseRecord], bool]:
        """OPEN then ASSIGNED cases (at most ``limit``; True when there were more), for the 360 view."""
        scans = [
            self._store.scan(schema.cases_by_customer, (tenant, customer_id, STATUS_NAMES[s]), limit=limit + 1)
            for s in (OPEN, ASSIGNED)
        ]
        out = [decode(CaseRecord, r.record.value) for rows in await asyncio.gather(*scans) for r in rows]
        return out[:limit], len(out) > limit
