"""ProfileService: the profiles of customers and clusters, their updates, and the effective (inherited) view."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace

from crs.domain import etags
from crs.domain.accounts import CLOSED as ACCOUNT_CLOSED
from crs.domain.accounts import FROZEN as ACCOUNT_FROZEN
from crs.domain.clusters.records import ACTIVE as CLUSTER_ACTIVE
from crs.domain.clusters.records import ClusterRecord, Membership
from crs.domain.context import CallContext
from crs.domain.customers import CLOSED as CUSTOMER_CLOSED
from crs.domain.effective_profile import EffectiveProfile, merge, merged_methods
from crs.domain.errors import FailedPrecondition, InvalidArgument, NotFound, Violations
from crs.domain.ids import new_version
from crs.domain.mutation import Change, Mutation
from crs.domain.names import Name, parse_name
from crs.domain.profile_input import (
    CHANNEL_ORDER,
    CURRENCY,
    LANGUAGE,
    OPT_OUTS,
    PAYMENT_METHODS,
    QUIET_HOURS,
    THRESHOLDS,
    ProfileInput,
    channel_order,
    expand_paths,
    opt_outs,
    payment_method,
    quiet_hours,
    scalars,
    thresholds,
)
from crs.domain.profile_records import (
    ACCOUNT,
    BANK_TRANSFER,
    CARD,
    CHECKOUT_CHANNELS,
    PaymentMethodRecord,
    ProfileRecord,
)
from crs.domain.records import AccountRecord, CardRecord, CustomerRecord, RelationshipRecord, decode, encode, now_us
from crs.storage import schema
from crs.storage.base import ConditionFailed, Key, NotExists, Put, Record, Store, Table, VersionIs

CUSTOMERS, CLUSTERS = "customers", "clusters"
_CARD_ACTIVE = 1
_PREFIX = "profile"


def profile_table(owner: Name) -> Table:
    return schema.profiles_by_customer if owner.collection == CUSTOMERS else schema.profiles_by_cluster


def _decode_profile(owner: Name, stored: Record | None) -> ProfileRecord:
    if stored is None:
        return ProfileRecord(owner.tenant, owner.collection, owner.id)
    return decode(ProfileRecord, stored.value)


def _apply(current: ProfileRecord, inp: ProfileInput, leaves: Sequence[str], v: Violations) -> ProfileRecord:
    """The current profile with the leaves of the mask replaced by validated input."""
    rec = replace(current, payment_methods=list(current.payment_methods))
    on_cluster = current.owner_kind == CLUSTERS
    scalars(v, _PREFIX, inp, leaves)
    if CURRENCY in leaves:
        rec.preferred_currency = inp.preferred_currency
    if LANGUAGE in leaves:
        rec.preferred_language = inp.preferred_language
    if CHANNEL_ORDER in leaves:
        rec.channel_order = channel_order(v, f"{_PREFIX}.{CHANNEL_ORDER}", inp.channel_order)
    if QUIET_HOURS in leaves:
        rec.quiet_start_min, rec.quiet_end_min, rec.quiet_time_zone = quiet_hours(
            v, f"{_PREFIX}.{QUIET_HOURS}", inp.quiet_hours
        )
    if OPT_OUTS in leaves:
        rec.opt_outs = opt_outs(v, f"{_PREFIX}.{OPT_OUTS}", inp.opt_outs, on_cluster)
    if THRESHOLDS in leaves:
        rec.thresholds = thresholds(v, f"{_PREFIX}.{THRESHOLDS}", inp.thresholds)
    _apply_methods(rec, inp, leaves, v)
    return rec


def _apply_methods(rec: ProfileRecord, inp: ProfileInput, leaves: Sequence[str], v: Violations) -> None:
    path = f"{_PREFIX}.{PAYMENT_METHODS}"
    if PAYMENT_METHODS in leaves:
        channels: list[str] = list(CHECKOUT_CHANNELS)
        unknown = sorted(k for k in inp.payment_methods if k not in CHECKOUT_CHANNELS)
        if unknown:
            shown = ", ".join(repr(k[:40]) for k in unknown[:3]) + (" ..." if len(unknown) > 3 else "")
            v.add(path, f"unknown channel keys {shown}; use {', '.join(CHECKOUT_CHANNELS)}")
    else:
        channels = [leaf.partition(".")[2] for leaf in leaves if leaf.startswith(PAYMENT_METHODS + ".")]
    kept = {m.channel: m for m in rec.payment_methods if m.channel not in channels}
    for channel in channels:
        given = inp.payment_methods.get(channel)
        if given is not None:
            kept[channel] = payment_method(v, f"{path}.{channel}", channel, given)
    rec.payment_methods = [kept[c] for c in CHECKOUT_CHANNELS if c in kept]


def _changed_methods(before: ProfileRecord, after: ProfileRecord) -> list[PaymentMethodRecord]:
    """The methods this update sets or changes; one sent again unchanged keeps its resolved card id unchecked."""
    old = {m.channel: m for m in before.payment_methods}
    changed = []
    for m in after.payment_methods:
        prior = old.get(m.channel)
        if prior is not None and replace(prior, card_id="") == replace(m, card_id=""):
            m.card_id = prior.card_id
        else:
            changed.append(m)
    return changed


class Profiles:
    def __init__(self, store: Store, mutation: Mutation) -> None:
        self._store = store
        self._mutation = mutation

    # -- owners and references ---------------------------------------------------------------------

    async def _owner(self, owner: Name, for_update: bool) -> None:
        if owner.collection == CUSTOMERS:
            stored = await self._store.get(schema.customers_by_id, (owner.tenant, owner.id))
            if stored is None:
                raise NotFound(f"{owner} not found", "NOT_FOUND", {}, "crs.v1/Customer", str(owner))
            if for_update and decode(CustomerRecord, stored.value).status == CUSTOMER_CLOSED:
                raise FailedPrecondition("a closed customer's profile cannot be changed", "CUSTOMER_CLOSED")
            return
        stored = await self._store.get(schema.clusters_by_id, (owner.tenant, owner.id))
        if stored is None:
            raise NotFound(f"{owner} not found", "NOT_FOUND", {}, "crs.v1/Cluster", str(owner))
        if for_update and decode(ClusterRecord, stored.value).state != CLUSTER_ACTIVE:
            raise FailedPrecondition(
                "only an active cluster's profile can be changed (a merged cluster's survivor holds the profile)",
                "CLUSTER_NOT_ACTIVE",
            )

    async def _cluster_of(self, tenant: str, customer_id: str) -> str:
        stored = await self._store.get(schema.cluster_by_customer, (tenant, customer_id))
        return decode(Membership, stored.value).cluster_id if stored else ""

    async def _belongs(self, owner: Name, holder_id: str, account_id: str) -> bool:
        """Whether the card or account of ``holder_id`` (on ``account_id``) is the owner's to pay with."""
        if owner.collection == CLUSTERS:
            return await self._cluster_of(owner.tenant, holder_id) == owner.id
        if holder_id == owner.id:
            return True
        rows = await self._store.scan(schema.relationships_by_account, (owner.tenant, account_id), limit=100)
        return any(decode(RelationshipRecord, r.record.value).customer_id == owner.id for r in rows)

    async def _check_card(self, v: Violations, owner: Name, m: PaymentMethodRecord) -> None:
        path = f"{_PREFIX}.{PAYMENT_METHODS}.{m.channel}.card_token"
        stored_id = await self._store.get(schema.cards_by_token, (owner.tenant, m.card_token))
        card_id = stored_id.value.decode() if stored_id else ""
        stored = await self._store.get(schema.cards_by_id, (owner.tenant, card_id)) if card_id else None
        if stored is None:
            v.add(path, "is not the token of a card registered in this tenant")
            return
        card = decode(CardRecord, stored.value)
        if not await self._belongs(owner, card.customer_id, card.account_id):
            v.add(path, f"is not a card of this {owner.collection[:-1]}")
            return
        if card.state != _CARD_ACTIVE:
            raise FailedPrecondition(
                f"the card for {m.channel} is not active", "CARD_NOT_ACTIVE", {"channel": m.channel}
            )
        m.card_id = card.id

    async def _check_account(self, v: Violations, owner: Name, m: PaymentMethodRecord) -> None:
        sub = "account" if m.kind == ACCOUNT else "bank_transfer.account"
        path = f"{_PREFIX}.{PAYMENT_METHODS}.{m.channel}.{sub}"
        stored = await self._store.get(schema.accounts_by_id, (owner.tenant, m.account_id))
        account = decode(AccountRecord, stored.value) if stored else None
        if account is None or not await self._belongs(owner, account.customer_id, account.id):
            v.add(path, f"is not an account of this {owner.collection[:-1]}")
            return
        if account.status in (ACCOUNT_CLOSED, ACCOUNT_FROZEN):
            raise FailedPrecondition(
                f"the account for {m.channel} is closed or frozen", "ACCOUNT_NOT_ACTIVE", {"channel": m.channel}
            )

    async def _check_references(self, owner: Name, methods: Sequence[PaymentMethodRecord]) -> None:
        v = Violations()
        for m in methods:
            if m.kind == CARD:
                await self._check_card(v, owner, m)
            elif m.kind == ACCOUNT or (m.kind == BANK_TRANSFER and m.account_id):
                await self._check_account(v, owner, m)
        v.raise_if_any()

    # -- methods -----------------------------------------------------------------------------------

    async def get(self, owner: Name) -> ProfileRecord:
        """The owner's own profile; an empty one (version "") when none was written."""
        _, stored = await asyncio.gather(
            self._owner(owner, False), self._store.get(profile_table(owner), (owner.tenant, owner.id))
        )
        return _decode_profile(owner, stored)

    async def update(
        self, ctx: CallContext, owner: Name, inp: ProfileInput, paths: Sequence[str], etag: str
    ) -> ProfileRecord:
        leaves = expand_paths(paths)
        table = profile_table(owner)
        name = f"{owner}/profile"

        async def build() -> Change[ProfileRecord]:
            await self._owner(owner, True)
            current = _decode_profile(owner, await self._store.get(table, (owner.tenant, owner.id)))
            etags.check(etag, current.version, "profile")
            v = Violations()
            rec = _apply(current, inp, leaves, v)
            v.raise_if_any()
            await self._check_references(owner, _changed_methods(current, rec))
            rec.version, rec.update_us = new_version(), now_us()
            condition = VersionIs(current.version) if current.version else NotExists()
            write = Put(table, (owner.tenant, owner.id), encode(rec), rec.version, condition)
            return Change([write], rec, name, leaves)

        async def conflict(failed: ConditionFailed) -> Exception | None:
            if etag:
                return await etags.conflict("profile")(failed)
            return None  # no etag: re-read and apply the change to the newer profile

        return await self._mutation.run(ctx, ProfileRecord, build, conflict)

    async def _cluster_profile(self, tenant: str, cluster_id: str) -> ProfileRecord | None:
        if not cluster_id:
            return None
        stored = await self._store.get(schema.profiles_by_cluster, (tenant, cluster_id))
        return decode(ProfileRecord, stored.value) if stored else None

    async def effective_for(self, customer: CustomerRecord, known_cluster: str | None = None) -> EffectiveProfile:
        """The effective profile of a customer already loaded (pass its cluster id when already known)."""
        if known_cluster is not None:
            stored = await self._store.get_each(effective_reads(customer.tenant, customer.id, known_cluster))
            return effective_from(customer.tenant, customer.id, known_cluster, stored, customer.preferred_language)
        key = (customer.tenant, customer.id)
        stored_own, cluster_id = await asyncio.gather(
            self._store.get(schema.profiles_by_customer, key), self._cluster_of(*key)
        )
        cluster = await self._cluster_profile(customer.tenant, cluster_id)
        own = _decode_profile(Name(customer.tenant, CUSTOMERS, customer.id), stored_own)
        return merge(customer.tenant, customer.id, cluster_id, own, cluster, customer.preferred_language)

    async def effective_of_id(self, tenant: str, customer_id: str, cluster_id: str | None = None) -> EffectiveProfile:
        """The effective profile without reading the customer record (so without its language fallback), for
        callers that know the customer exists (checkout, the authorization path); pass the customer's cluster id
        when already read ("" for none). Two keyed reads in one step (after a third without the cluster id)."""
        if cluster_id is None:
            cluster_id = await self._cluster_of(tenant, customer_id)
        stored = await self._store.get_each(effective_reads(tenant, customer_id, cluster_id))
        return effective_from(tenant, customer_id, cluster_id, stored)

    async def effective(self, tenant: str, customer_id: str) -> EffectiveProfile:
        """The typed effective profile (``.contact`` for notifications); NOT_FOUND for an unknown customer."""
        key = (tenant, customer_id)
        stored, stored_own, cluster_id = await asyncio.gather(
            self._store.get(schema.customers_by_id, key),
            self._store.get(schema.profiles_by_customer, key),
            self._cluster_of(*key),
        )
        if stored is None:
            name = Name(tenant, CUSTOMERS, customer_id)
            raise NotFound(f"{name} not found", "NOT_FOUND", {}, "crs.v1/Customer", str(name))
        customer = decode(CustomerRecord, stored.value)
        own = _decode_profile(Name(tenant, CUSTOMERS, customer_id), stored_own)
        cluster = await self._cluster_profile(tenant, cluster_id)
        return merge(tenant, customer_id, cluster_id, own, cluster, customer.preferred_language)


def effective_reads(tenant: str, customer_id: str, cluster_id: str) -> list[tuple[Table, Key]]:
    """The rows ``effective_from`` needs: the customer's own profile, then its cluster's ("": no cluster)."""
    out: list[tuple[Table, Key]] = [(schema.profiles_by_customer, (tenant, customer_id))]
    if cluster_id:
        out.append((schema.profiles_by_cluster, (tenant, cluster_id)))
    return out


def effective_from(
    tenant: str, customer_id: str, cluster_id: str, stored: Sequence[Record | None], language: str = ""
) -> EffectiveProfile:
    """The effective profile from the rows ``effective_reads`` named, in that order; ``language``: the customer
    record's preferred language, the fallback of the profile's ("": none)."""
    own = _decode_profile(Name(tenant, CUSTOMERS, customer_id), stored[0])
    on_cluster = stored[1] if cluster_id else None
    cluster = decode(ProfileRecord, on_cluster.value) if on_cluster is not None else None
    return merge(tenant, customer_id, cluster_id, own, cluster, language)


def stated_methods_from(cluster_id: str, stored: Sequence[Record | None]) -> list[PaymentMethodRecord]:
    """``effective_from(...).merged.payment_methods`` from the same rows, without the rest of the merge (the
    authorization path needs only these)."""
    own = decode(ProfileRecord, stored[0].value).payment_methods if stored[0] is not None else []
    on_cluster = stored[1] if cluster_id else None
    inherited = decode(ProfileRecord, on_cluster.value).payment_methods if on_cluster is not None else []
    return [method for method, _source in merged_methods(own, inherited)]


def parse_profile_name(value: str, field_path: str = "name") -> Name:
    """tenants/{t}/customers/{c}/profile or tenants/{t}/clusters/{k}/profile -> the owner's name."""
    head, sep, tail = value.rpartition("/profile")
    parts = head.split("/")
    if not sep or tail or len(parts) != 4 or parts[2] not in (CUSTOMERS, CLUSTERS):
        raise InvalidArgument.of(
            field_path,
            "must be tenants/{tenant}/customers/{customer}/profile or tenants/{tenant}/clusters/{cluster}/profile",
            "INVALID_RESOURCE_NAME",
        )
    return parse_name(head, parts[2], field_path)
