"""Cards: registration through the vault, state changes, listing and the switch's LookupCard."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from crs._core import is_token_shaped
from crs.domain import etags, listing
from crs.domain.accounts import CLOSED as ACCOUNT_CLOSED
from crs.domain.accounts import Accounts
from crs.domain.context import CallContext
from crs.domain.customers import CLOSED as CUSTOMER_CLOSED
from crs.domain.customers import Customers
from crs.domain.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    Violations,
)
from crs.domain.ids import new_version, valid_id
from crs.domain.loading import load, load_json, load_many, load_many_json
from crs.domain.mutation import Change, Mutation
from crs.domain.names import Name
from crs.domain.paging import PageTokens, page_size, query_hash
from crs.domain.records import AccountRecord, CardRecord, CustomerRecord, build, decode, encode, loads, now_us
from crs.domain.relationships import OWNERS_READ, owners_in
from crs.domain.validation import MAX_REASON, check_text
from crs.domain.vault import Vault, entry_from_sealed, entry_writes
from crs.storage import schema
from crs.storage.base import (
    ConditionFailed,
    Key,
    NotExists,
    Put,
    Record,
    Store,
    Table,
    VersionIs,
    Write,
    index_key_text,
)

ACTIVE, BLOCKED, LOST, STOLEN, EXPIRED, CLOSED = 1, 2, 3, 4, 5, 6
_HEX = frozenset("0123456789abcdef")
_IN_FLIGHT_WAITS = (0.0, 0.05, 0.1, 0.2, 0.4, 0.8)  # seconds, about 1.5 s in all
STATES = range(1, 7)


@dataclass(frozen=True)
class CardLookup:
    """A card with its account and owning customers, as stored (JSON). The records are built on first use:
    LookupCard's encoder in ``_core`` reads the JSON and builds nothing here."""

    card_fields: dict[str, Any]  # the card's JSON, parsed
    card_json: bytes
    account_json: bytes | None
    owners_json: list[bytes]
    owner_ids: list[str]  # the account's owners, then the cardholder if not one of them (as read: some may be gone)

    @cached_property
    def card(self) -> CardRecord:
        return build(CardRecord, self.card_fields)

    @cached_property
    def account(self) -> AccountRecord | None:
        return None if self.account_json is None else decode(AccountRecord, self.account_json)

    @cached_property
    def owners(self) -> list[CustomerRecord]:
        return [decode(CustomerRecord, raw) for raw in self.owners_json]


def card_name(tenant: str, card_id: str) -> str:
    return f"tenants/{tenant}/cards/{card_id}"


class Cards:
    def __init__(
        self,
        store: Store,
        vault: Vault,
        accounts: Accounts,
        customers: Customers,
        mutation: Mutation,
        pages: PageTokens,
    ) -> None:
        self._store = store
        self._vault = vault
        self._accounts = accounts
        self._customers = customers
        self._mutation = mutation
        self._pages = pages

    async def get(self, name: Name) -> CardRecord:
        return await load(self._store, schema.cards_by_id, name, CardRecord, "crs.v1/Card")

    async def get_many(self, tenant: str, ids: Sequence[str]) -> list[CardRecord]:
        return await load_many(self._store, schema.cards_by_id, tenant, ids, CardRecord)

    async def _card_id_by_fingerprint(self, tenant: str, fingerprint: str) -> str | None:
        stored = await self._store.get(schema.cards_by_fingerprint, (tenant, fingerprint))
        return stored.value.decode() if stored else None

    async def _registered(self, tenant: str, card_id: str) -> bool:
        """The card's change has landed as a whole: its row and the rows written after the claims (the card on its
        account). On Cassandra a concurrent registration's claims are visible before its batch lands, and are
        deleted again if another claim of that change fails."""
        stored = await self._store.get(schema.cards_by_id, (tenant, card_id))
        if stored is None:
            return False
        account_id = decode(CardRecord, stored.value).account_id
        return await self._store.get(schema.cards_by_account, (tenant, account_id, card_id)) is not None

    async def _duplicate(self, tenant: str, fingerprint: str) -> AlreadyExists | None:
        """ALREADY_EXISTS naming the card registered for this PAN, or None when there is none. A registration
        still in flight (claims visible, batch not yet landed) is given a moment to land or be released."""
        existing: str | None = None
        for delay in _IN_FLIGHT_WAITS:
            if delay:
                await asyncio.sleep(delay)
            existing = await self._card_id_by_fingerprint(tenant, fingerprint)
            if existing is None:
                return None
            if await self._registered(tenant, existing):
                break
        if existing is None:
            return None
        name = card_name(tenant, existing)
        return AlreadyExists(
            f"this PAN is already registered as {name}", "CARD_ALREADY_REGISTERED", {}, "crs.v1/Card", name
        )

    @staticmethod
    def _row_writes(rec: CardRecord, condition: NotExists | VersionIs) -> list[Write]:
        return [Put(schema.cards_by_id, (rec.tenant, rec.id), encode(rec), rec.version, condition)]

    async def register(
        self,
        ctx: CallContext,
        tenant: str,
        pan: str,
        expiry_month: int,
        expiry_year: int,
        cardholder_name: str,
        account: Name,
        customer: Name | None,
        card_id: str,
    ) -> CardRecord:
        v = Violations()
        if card_id and not valid_id(card_id):
            v.add("card_id", "must match ^[a-z0-9][a-z0-9-]{0,62}$")
        if not 1 <= expiry_month <= 12:
            v.add("expiry_month", "must be 1 to 12")
        if not 2000 <= expiry_year <= 2100:
            v.add("expiry_year", "must be a four-digit year")
        check_text(v, "cardholder_name", cardholder_name)
        v.raise_if_any()
        fingerprint = self._vault.fingerprint(tenant, pan)
        acct = await self._accounts.get(account)
        if acct.status == ACCOUNT_CLOSED:
            raise FailedPrecondition("cards cannot be registered on a closed account", "ACCOUNT_CLOSED")
        holder = customer.id if customer else acct.customer_id
        if customer is not None and (await self._customers.get(customer)).status == CUSTOMER_CLOSED:
            raise FailedPrecondition("cards cannot be registered for a closed customer", "CUSTOMER_CLOSED")
        cid = card_id or ctx.new_id()

        async def build() -> Change[CardRecord]:
            duplicate = await self._duplicate(tenant, fingerprint)
            if duplicate is not None:
                raise duplicate
            writes: list[Write] = []
            entry = await self._vault.by_fingerprint(tenant, fingerprint)
            if entry is None:
                entry = entry_from_sealed(tenant, self._vault.seal(tenant, pan))
                writes += entry_writes(entry)
            ts = now_us()
            rec = CardRecord(
                tenant=tenant,
                id=cid,
                account_id=acct.id,
                customer_id=holder,
                token=entry.token,
                fingerprint=fingerprint,
                bin=entry.bin,
                last4=entry.last4,
                brand=entry.brand,
                expiry_month=expiry_month,
                expiry_year=expiry_year,
                cardholder_name=cardholder_name.strip(),
                state=ACTIVE,
                create_us=ts,
                update_us=ts,
                version=new_version(),
            )
            writes += self._row_writes(rec, NotExists())
            writes += [
                Put(schema.cards_by_fingerprint, (tenant, fingerprint), cid.encode(), condition=NotExists()),
                Put(schema.cards_by_token, (tenant, entry.token), cid.encode()),
                Put(schema.cards_by_account, (tenant, acct.id, cid), b"{}"),
                # Card-expiring notices (domain/notifications/scheduler.py) read one month's partition.
                Put(schema.cards_by_expiry, (tenant, f"{expiry_year:04d}{expiry_month:02d}", cid), b"{}"),
            ]
            writes += [Put(schema.cards_by_customer, (tenant, c, cid), b"{}") for c in {holder, acct.customer_id}]
            return Change(writes, rec, card_name(tenant, cid), ["*"])

        async def conflict(failed: ConditionFailed) -> Exception | None:
            if failed.write.table is schema.cards_by_id:
                name = card_name(tenant, cid)
                return AlreadyExists(f"{name} already exists", "ALREADY_EXISTS", {}, "crs.v1/Card", name)
            if failed.write.table is schema.cards_by_fingerprint:
                return await self._duplicate(tenant, fingerprint)
            return None  # vault race: the PAN was tokenized concurrently; use that token

        return await self._mutation.run(ctx, CardRecord, build, conflict, attempts=5)

    async def update_state(self, ctx: CallContext, name: Name, state: int, reason: str, etag: str) -> CardRecord:
        v = Violations()
        if state not in STATES:
            v.add("state", "must be set to a defined card state")
        check_text(v, "reason", reason, limit=MAX_REASON)
        v.raise_if_any()

        async def build() -> Change[CardRecord]:
            current = await self.get(name)
            etags.check(etag, current.version, "card")
            if current.state == CLOSED and state != CLOSED:
                raise FailedPrecondition("a closed card cannot change state", "CARD_CLOSED")
            if current.state == state and current.state_reason == reason:
                return Change([], current, str(name))
            rec = replace(current, state=state, state_reason=reason, update_us=now_us(), version=new_version())
            return Change(self._row_writes(rec, VersionIs(current.version)), rec, str(name), ["state", "state_reason"])

        return await self._mutation.run(ctx, CardRecord, build, etags.conflict("card"))

    async def list_page(
        self, tenant: str, account: Name | None, customer: Name | None, size: int, token: str
    ) -> tuple[list[CardRecord], str]:
        if (account is None) == (customer is None):
            raise InvalidArgument.of("account", "set exactly one of account or customer")
        n = page_size(size)
        if account is not None:
            table, partition = schema.cards_by_account, (tenant, account.id)
        else:
            assert customer is not None
            table, partition = schema.cards_by_customer, (tenant, customer.id)
        q = query_hash("cards", table.name, partition)
        pos = self._pages.decode(token, q)
        after = tuple(str(p) for p in pos) if pos else None
        ids, nxt = await listing.list_partition(self._store, table, partition, after, n, lambda k, _r: k[0])
        cards = await self.get_many(tenant, [str(i) for i in ids])
        return cards, (self._pages.encode(q, list(nxt)) if nxt else "")

    def _card_index(self, tenant: str, pan: str, token: str, fingerprint: str) -> tuple[Table, Key, str]:
        """The index row naming the card for a PAN, a vault token or a card fingerprint (the first one set), and
        what the caller gave (for NOT_FOUND)."""
        if pan:
            return schema.cards_by_fingerprint, (tenant, self._vault.fingerprint(tenant, pan)), "PAN"
        if token:
            if not is_token_shaped(token):
                raise InvalidArgument.of("token", "is not a CRS card token", "INVALID_TOKEN")
            return schema.cards_by_token, (tenant, token), "token"
        if fingerprint:
            if len(fingerprint) != 64 or not set(fingerprint) <= _HEX:
                raise InvalidArgument.of("card_fingerprint", "must be 64 lowercase hexadecimal characters")
            return schema.cards_by_fingerprint, (tenant, fingerprint), "fingerprint"
        raise InvalidArgument.of("key", "set pan or token")

    async def card_id_for(self, tenant: str, *, pan: str = "", token: str = "", fingerprint: str = "") -> str:
        """The id of the card registered for a PAN, a vault token or a card fingerprint (the first one set)."""
        index, key, what = self._card_index(tenant, pan, token, fingerprint)
        stored = await self._store.get(index, key)
        if stored is None:
            raise _no_card(what)
        return index_key_text(index, stored.value)

    async def card_for(
        self, tenant: str, *, pan: str = "", token: str = "", fingerprint: str = ""
    ) -> tuple[bytes, dict[str, Any]]:
        """``load_card(card_id_for(...))`` in one store call (the index row and the card it names): the card
        as stored and its fields parsed; NOT_FOUND when no card is registered for the key, or when the index
        names a card that is not there."""
        index, key, what = self._card_index(tenant, pan, token, fingerprint)
        found, card = await self._store.get_through(index, key, schema.cards_by_id, (tenant,))
        if found is None:
            raise _no_card(what)
        if card is None:
            name = Name(tenant, "cards", index_key_text(index, found.value))
            raise NotFound(f"{name} not found", "NOT_FOUND", {}, "crs.v1/Card", str(name))
        return card.value, loads(card.value)

    async def lookup(self, tenant: str, pan: str, token: str) -> CardLookup:
        async with self._store.snapshot():  # the card, its account and owners as of one state of the store
            return await self._lookup_of(tenant, *await self.card_for(tenant, pan=pan, token=token))

    async def owners_by_fingerprint(self, tenant: str, fingerprint: str) -> list[CustomerRecord]:
        """SearchCustomers by card fingerprint: the cardholder and the owners of the card's account."""
        card_id = await self._card_id_by_fingerprint(tenant, fingerprint)
        if card_id is None:
            return []
        found = await self.lookup_by_id(tenant, card_id)
        return found.owners

    async def load_card(self, tenant: str, card_id: str) -> tuple[bytes, dict[str, Any]]:
        """The card as stored and its fields parsed; NOT_FOUND when there is none."""
        card_json = await load_json(self._store, schema.cards_by_id, Name(tenant, "cards", card_id), "crs.v1/Card")
        return card_json, loads(card_json)

    async def account_and_owners(
        self, tenant: str, account_id: str, *, also: Sequence[tuple[Table, Key]] = ()
    ) -> tuple[list[Record | None], list[str]]:
        """The account's row, then the rows of ``also``, and the ids of the account's owners (OWNER,
        JOINT_OWNER) in relationship order: one store call."""
        found, rows = await self._store.get_each_and_scan(
            [(schema.accounts_by_id, (tenant, account_id)), *also],
            schema.relationships_by_account,
            (tenant, account_id),
            limit=OWNERS_READ,
        )
        return found, owners_in(rows)

    async def lookup_by_id(self, tenant: str, card_id: str) -> CardLookup:
        return await self._lookup_of(tenant, *await self.load_card(tenant, card_id))

    async def _lookup_of(self, tenant: str, card_json: bytes, fields: dict[str, Any]) -> CardLookup:
        account_id, holder = fields["account_id"], fields["customer_id"]
        (stored_account,), owner_ids = await self.account_and_owners(tenant, account_id)
        if holder not in owner_ids:
            owner_ids.append(holder)
        owners_json = await load_many_json(self._store, schema.customers_by_id, tenant, owner_ids)
        return CardLookup(fields, card_json, stored_account.value if stored_account else None, owners_json, owner_ids)


def _no_card(what: str) -> NotFound:
    return NotFound(f"no card is registered for this {what}", "NOT_FOUND", {}, "crs.v1/Card", "")
