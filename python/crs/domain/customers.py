"""Customers: validation, blind indexes, encrypted national identifiers, CRUD, search."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from crs._core import KeyRing
from crs.domain import etags, listing
from crs.domain.context import CallContext
from crs.domain.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    Violations,
)
from crs.domain.ids import new_version, valid_id
from crs.domain.loading import load, load_many
from crs.domain.mutation import Change, Mutation
from crs.domain.names import Name
from crs.domain.paging import PageTokens, page_size, query_hash
from crs.domain.records import CustomerRecord, PostalAddress, SealedNationalId, decode, encode, now_us
from crs.domain.validation import (
    MAX_LIST,
    MAX_REASON,
    check_language,
    check_region,
    check_text,
    normalize_email,
    normalize_national_id,
    normalize_phone,
    parse_date,
)
from crs.storage import schema
from crs.storage.base import ConditionFailed, Delete, NotExists, Put, Record, Store, VersionIs, Write

KIND_PERSON, KIND_BUSINESS = 1, 2
ACTIVE, DORMANT, CLOSED = 1, 2, 3
NATIONAL_ID_TYPES = range(1, 9)
UPDATABLE_FIELDS = (
    "kind",
    "display_name",
    "legal_name",
    "date_of_birth",
    "emails",
    "phones",
    "postal_addresses",
    "national_identifiers",
    "preferred_language",
)


@dataclass(slots=True)
class NationalIdInput:
    type: int
    value: str
    issuing_country: str = ""


@dataclass(slots=True)
class CustomerInput:
    kind: int = 0
    display_name: str = ""
    legal_name: str = ""
    date_of_birth: tuple[int, int, int] = (0, 0, 0)
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    postal_addresses: list[PostalAddress] = field(default_factory=list)
    national_ids: list[NationalIdInput] = field(default_factory=list)
    preferred_language: str = ""


@dataclass(slots=True)
class Normalized:
    kind: int
    display_name: str
    legal_name: str
    date_of_birth: str
    emails: list[str]
    phones: list[str]
    postal_addresses: list[PostalAddress]
    national_ids: list[NationalIdInput]
    preferred_language: str


def national_id_context(customer_id: str, index_type: int) -> str:
    return f"customer/{customer_id}/national_id/{index_type}"


def mask(value: str) -> str:
    """Last 4 characters shown only when at least 8 remain hidden-worthy; short values are fully masked."""
    return "*" * (len(value) - 4) + value[-4:] if len(value) >= 8 else "*" * len(value)


def _bounded(v: Violations, field_path: str, items: Sequence[object]) -> None:
    if len(items) > MAX_LIST:
        v.add(field_path, f"must have at most {MAX_LIST} entries")


def _normalized_list(
    v: Violations, field_path: str, raw: Sequence[str], norm: Callable[[str], str | None], problem: str
) -> list[str]:
    _bounded(v, field_path, raw)
    out: list[str] = []
    for i, item in enumerate(raw[:MAX_LIST]):
        value = norm(item)
        if value is None:
            v.add(f"{field_path}[{i}]", problem)
        elif value not in out:
            out.append(value)
    return out


def _check_addresses(v: Violations, field_path: str, addresses: Sequence[PostalAddress]) -> None:
    _bounded(v, field_path, addresses)
    for i, addr in enumerate(addresses[:MAX_LIST]):
        p = f"{field_path}[{i}]"
        check_region(v, f"{p}.region_code", addr.region_code, required=True)
        for fname in ("postal_code", "administrative_area", "locality", "recipient"):
            check_text(v, f"{p}.{fname}", getattr(addr, fname))
        if len(addr.address_lines) > 5:
            v.add(f"{p}.address_lines", "must have at most 5 lines")
        for j, line in enumerate(addr.address_lines[:5]):
            check_text(v, f"{p}.address_lines[{j}]", line)


def _national_ids(v: Violations, field_path: str, ids: Sequence[NationalIdInput]) -> list[NationalIdInput]:
    _bounded(v, field_path, ids)
    out: list[NationalIdInput] = []
    for i, nid in enumerate(ids[:MAX_LIST]):
        p = f"{field_path}[{i}]"
        if nid.type not in NATIONAL_ID_TYPES:
            v.add(f"{p}.type", "must be set to a defined national identifier type")
        value = normalize_national_id(nid.value)
        if not value:
            v.add(f"{p}.value", "is required")
        check_text(v, f"{p}.value", value, limit=64)
        check_region(v, f"{p}.issuing_country", nid.issuing_country)
        out.append(NationalIdInput(nid.type, value, nid.issuing_country))
    return out


def normalize(inp: CustomerInput, prefix: str = "customer") -> Normalized:
    """Validates every field (all violations in one error) and returns canonical values."""
    v = Violations()
    if inp.kind not in (KIND_PERSON, KIND_BUSINESS):
        v.add(f"{prefix}.kind", "must be CUSTOMER_KIND_PERSON or CUSTOMER_KIND_BUSINESS")
    check_text(v, f"{prefix}.display_name", inp.display_name, required=True)
    check_text(v, f"{prefix}.legal_name", inp.legal_name)
    dob = parse_date(v, f"{prefix}.date_of_birth", *inp.date_of_birth)
    emails = _normalized_list(v, f"{prefix}.emails", inp.emails, normalize_email, "must be an e-mail address")
    phones = _normalized_list(
        v, f"{prefix}.phones", inp.phones, normalize_phone, "must be a phone number in international form (+3725551234)"
    )
    _check_addresses(v, f"{prefix}.postal_addresses", inp.postal_addresses)
    nids = _national_ids(v, f"{prefix}.national_identifiers", inp.national_ids)
    check_language(v, f"{prefix}.preferred_language", inp.preferred_language)
    v.raise_if_any()
    return Normalized(
        inp.kind,
        inp.display_name.strip(),
        inp.legal_name.strip(),
        dob,
        emails,
        phones,
        list(inp.postal_addresses[:MAX_LIST]),
        nids,
        inp.preferred_language,
    )


class Customers:
    def __init__(self, store: Store, keyring: KeyRing, mutation: Mutation, pages: PageTokens) -> None:
        self._store = store
        self._keys = keyring
        self._mutation = mutation
        self._pages = pages

    # -- helpers -----------------------------------------------------------------------------------

    def _blind(self, tenant: str, kind: str, value: str) -> str:
        return self._keys.blind_index(tenant, kind, value)

    def national_id_blind(self, tenant: str, id_type: int, value: str) -> str:
        return self._blind(tenant, "national_id", f"{id_type}:{normalize_national_id(value)}")

    def _seal_ids(self, tenant: str, customer_id: str, ids: Sequence[NationalIdInput]) -> list[SealedNationalId]:
        out = []
        for nid in ids:
            key_id, ct = self._keys.encrypt_field(tenant, national_id_context(customer_id, nid.type), nid.value)
            out.append(
                SealedNationalId(nid.type, nid.issuing_country, key_id, base64.b64encode(ct).decode(), mask(nid.value))
            )
        return out

    def reveal_national_ids(self, rec: CustomerRecord) -> list[str]:
        """Plain values, in order, for a caller with the ``pii`` scope."""
        return [
            self._keys.decrypt_field(
                rec.tenant, national_id_context(rec.id, n.type), n.key_id, base64.b64decode(n.ciphertext)
            )
            for n in rec.national_ids
        ]

    def _indexes(self, tenant: str, norm: Normalized) -> list[list[str]]:
        out = [["email", self._blind(tenant, "email", e)] for e in norm.emails]
        out += [["phone", self._blind(tenant, "phone", p)] for p in norm.phones]
        out += [["national_id", self.national_id_blind(tenant, n.type, n.value)] for n in norm.national_ids]
        return out

    @staticmethod
    def _row_writes(rec: CustomerRecord, condition: NotExists | VersionIs) -> list[Write]:
        value = encode(rec)
        return [
            Put(schema.customers_by_id, (rec.tenant, rec.id), value, rec.version, condition),
            Put(schema.customers_by_tenant, (rec.tenant, listing.bucket_of(rec.id), rec.id), value, rec.version),
        ]

    @staticmethod
    def _index_writes(rec: CustomerRecord, old: Sequence[Sequence[str]]) -> list[Write]:
        new = {tuple(i) for i in rec.blind_indexes}
        before = {tuple(i) for i in old}
        writes: list[Write] = [
            Put(schema.customers_by_blind_index, (rec.tenant, k, h, rec.id), b"{}") for k, h in sorted(new - before)
        ]
        writes += [Delete(schema.customers_by_blind_index, (rec.tenant, k, h, rec.id)) for k, h in sorted(before - new)]
        return writes

    async def get(self, name: Name) -> CustomerRecord:
        return await load(self._store, schema.customers_by_id, name, CustomerRecord, "crs.v1/Customer")

    # -- methods -----------------------------------------------------------------------------------

    async def create(self, ctx: CallContext, tenant: str, inp: CustomerInput, customer_id: str) -> CustomerRecord:
        if customer_id and not valid_id(customer_id):
            raise InvalidArgument.of("customer_id", "must match ^[a-z0-9][a-z0-9-]{0,62}$")
        norm = normalize(inp)
        cid = customer_id or ctx.new_id()

        async def build() -> Change[CustomerRecord]:
            ts = now_us()
            rec = CustomerRecord(
                tenant=tenant,
                id=cid,
                kind=norm.kind,
                display_name=norm.display_name,
                legal_name=norm.legal_name,
                date_of_birth=norm.date_of_birth,
                emails=norm.emails,
                phones=norm.phones,
                postal_addresses=norm.postal_addresses,
                national_ids=self._seal_ids(tenant, cid, norm.national_ids),
                preferred_language=norm.preferred_language,
                status=ACTIVE,
                create_us=ts,
                update_us=ts,
                version=new_version(),
                blind_indexes=self._indexes(tenant, norm),
            )
            writes = self._row_writes(rec, NotExists()) + self._index_writes(rec, [])
            return Change(writes, rec, f"tenants/{tenant}/customers/{cid}", ["*"])

        async def conflict(failed: ConditionFailed) -> Exception:
            name = f"tenants/{tenant}/customers/{cid}"

            return AlreadyExists(f"{name} already exists", "ALREADY_EXISTS", {}, "crs.v1/Customer", name)

        return await self._mutation.run(ctx, CustomerRecord, build, conflict)

    async def update(
        self, ctx: CallContext, name: Name, inp: CustomerInput, paths: Sequence[str], etag: str
    ) -> CustomerRecord:
        if "*" in paths:
            paths = UPDATABLE_FIELDS
        if not paths:
            raise InvalidArgument.of("update_mask", "must name at least one field")
        for p in paths:
            if p not in UPDATABLE_FIELDS:
                raise InvalidArgument.of("update_mask", f"unknown or immutable field path {p!r}", "INVALID_UPDATE_MASK")

        async def build() -> Change[CustomerRecord]:
            current = await self.get(name)
            etags.check(etag, current.version, "customer")
            if current.status == CLOSED:
                raise FailedPrecondition("a closed customer cannot be changed", "CUSTOMER_CLOSED")
            merged = _merge_input(current, inp, paths, self.reveal_national_ids(current))
            norm = normalize(merged)
            rec = replace(
                current,
                kind=norm.kind,
                display_name=norm.display_name,
                legal_name=norm.legal_name,
                date_of_birth=norm.date_of_birth,
                emails=norm.emails,
                phones=norm.phones,
                postal_addresses=norm.postal_addresses,
                national_ids=(
                    self._seal_ids(name.tenant, name.id, norm.national_ids)
                    if "national_identifiers" in paths
                    else current.national_ids
                ),
                preferred_language=norm.preferred_language,
                update_us=now_us(),
                version=new_version(),
                blind_indexes=self._indexes(name.tenant, norm),
            )
            writes = self._row_writes(rec, VersionIs(current.version))
            writes += self._index_writes(rec, current.blind_indexes)
            return Change(writes, rec, str(name), paths)

        return await self._mutation.run(ctx, CustomerRecord, build, etags.conflict("customer"))

    async def close(self, ctx: CallContext, name: Name, etag: str, reason: str) -> CustomerRecord:
        v = Violations()
        check_text(v, "reason", reason, limit=MAX_REASON)
        v.raise_if_any()

        async def build() -> Change[CustomerRecord]:
            current = await self.get(name)
            etags.check(etag, current.version, "customer")
            if current.status == CLOSED:
                return Change([], current, str(name), [])
            ts = now_us()
            rec = replace(current, status=CLOSED, close_reason=reason, close_us=ts, update_us=ts, version=new_version())
            writes = self._row_writes(rec, VersionIs(current.version))
            return Change(writes, rec, str(name), ["status", "close_reason", "close_time"])

        return await self._mutation.run(ctx, CustomerRecord, build, etags.conflict("customer"))

    async def list_page(self, tenant: str, status: int, size: int, token: str) -> tuple[list[CustomerRecord], str]:
        n = page_size(size)
        q = query_hash("customers", tenant, status)
        position = self._pages.decode(token, q)

        def keep(_key: object, record: Record) -> CustomerRecord | None:
            rec = decode(CustomerRecord, record.value)
            return rec if status == 0 or rec.status == status else None

        items, nxt = await listing.list_buckets(self._store, schema.customers_by_tenant, tenant, position, n, keep)
        return items, (self._pages.encode(q, nxt) if nxt else "")

    async def search(
        self, tenant: str, kind: str, blind: str, size: int, token: str
    ) -> tuple[list[CustomerRecord], str]:
        n = page_size(size)
        q = query_hash("search", tenant, kind, blind)
        position = self._pages.decode(token, q)
        after = tuple(str(p) for p in position) if position else None
        ids, nxt = await listing.list_partition(
            self._store, schema.customers_by_blind_index, (tenant, kind, blind), after, n, lambda k, _r: k[0]
        )
        records = await self.get_many(tenant, [str(i) for i in ids])
        return records, (self._pages.encode(q, list(nxt)) if nxt else "")

    async def get_many(self, tenant: str, ids: Sequence[str]) -> list[CustomerRecord]:
        return await load_many(self._store, schema.customers_by_id, tenant, ids, CustomerRecord)

    def blind_for_email(self, tenant: str, raw: str) -> str:
        email = normalize_email(raw)
        if email is None:
            raise InvalidArgument.of("email", "must be an e-mail address")
        return self._blind(tenant, "email", email)

    def blind_for_phone(self, tenant: str, raw: str) -> str:
        phone = normalize_phone(raw)
        if phone is None:
            raise InvalidArgument.of("phone", "must be a phone number in international form")
        return self._blind(tenant, "phone", phone)


def _merge_input(
    current: CustomerRecord, inp: CustomerInput, paths: Sequence[str], plain_ids: list[str]
) -> CustomerInput:
    dob = tuple(int(x) for x in current.date_of_birth.split("-")) if current.date_of_birth else (0, 0, 0)
    merged = CustomerInput(
        kind=current.kind,
        display_name=current.display_name,
        legal_name=current.legal_name,
        date_of_birth=(dob[0], dob[1], dob[2]),
        emails=list(current.emails),
        phones=list(current.phones),
        postal_addresses=list(current.postal_addresses),
        national_ids=[
            NationalIdInput(n.type, plain, n.issuing_country)
            for n, plain in zip(current.national_ids, plain_ids, strict=True)
        ],
        preferred_language=current.preferred_language,
    )
    mapping = {"national_identifiers": "national_ids"}
    for p in paths:
        attr = mapping.get(p, p)
        setattr(merged, attr, getattr(inp, attr))
    if "national_identifiers" in paths:
        merged.national_ids = _unmask(inp.national_ids, current.national_ids, plain_ids)
    return merged


def _unmask(
    given: Sequence[NationalIdInput], stored: Sequence[SealedNationalId], plain: Sequence[str]
) -> list[NationalIdInput]:
    """A caller without ``pii`` sees masked values; writing one back keeps the stored value, not the mask."""
    out = []
    for nid in given:
        kept = next(
            (p for s, p in zip(stored, plain, strict=True) if s.type == nid.type and s.masked == nid.value), None
        )
        out.append(NationalIdInput(nid.type, kept, nid.issuing_country) if kept is not None else nid)
    return out
