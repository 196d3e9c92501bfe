"""Gathering the facts the risk rules need, by keyed reads and single-partition scans only.

Bounded work per assessment: at most ``MAX_MEMBERS`` cluster members are looked at for identity bursts and
contact changes, at most ``MAX_CARRIERS`` carriers of a card, and audit events of the last
``contact_change_days`` only (an audit partition is read from the ULID of that time on).
"""

from __future__ import annotations

from dataclasses import dataclass

from crs._core import KeyRing
from crs.domain.audit import decode_event
from crs.domain.clusters import identifiers
from crs.domain.clusters.records import ClusterRecord, IdentifierRecord
from crs.domain.identity.kinds import IdentifierKind
from crs.domain.identity.normalize import canonical_name
from crs.domain.records import CardRecord, CustomerRecord, decode
from crs.domain.risk.config import RiskConfig
from crs.domain.risk.signals import Facts
from crs.domain.risk.velocity import Velocities
from crs.domain.risk.windows import DAY_US, HOUR_US
from crs.storage import schema
from crs.storage.base import Store

MAX_MEMBERS = 50
MAX_CARRIERS = 100
MAX_AUDIT_EVENTS = 200
CONTACT_FIELDS = frozenset({"emails", "phones"})
ADDED_LATER_US = 60_000_000  # an identifier created this long after its customer was added later
_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def ulid_floor(time_us: int) -> str:
    """The smallest event id (ULID) created at or after ``time_us``."""
    value = (time_us // 1000) << 80
    chars = []
    for _ in range(26):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def name_key(rec: CustomerRecord) -> str:
    raw = rec.legal_name or rec.display_name
    try:
        return canonical_name(raw)
    except ValueError:
        return raw.casefold()


@dataclass(frozen=True, slots=True)
class Subject:
    """Who is assessed: the cluster, the customers looked at, and the card (for a card subject)."""

    cluster: ClusterRecord | None
    customer_ids: list[str]
    card: CardRecord | None = None


class FactReader:
    def __init__(self, store: Store, keyring: KeyRing, velocities: Velocities) -> None:
        self._store = store
        self._keyring = keyring
        self._velocities = velocities

    async def facts(self, tenant: str, subject: Subject, cfg: RiskConfig, now: int) -> Facts:
        f = Facts(now_us=now, cluster=subject.cluster, card=subject.card)
        members = list(subject.customer_ids)
        if subject.cluster is not None:
            f.velocity = await self._velocities.read(tenant, subject.cluster.id, now)
            rows = await self._store.scan(schema.customers_by_cluster, (tenant, subject.cluster.id), limit=MAX_MEMBERS)
            members += [str(r.clustering[0]) for r in rows if str(r.clustering[0]) not in members]
        members = members[:MAX_MEMBERS]
        f.new_identities = await self._new_identities(tenant, members, now - cfg.burst_window_hours * HOUR_US)
        if subject.card is not None:
            f.card_carrier_names = await self._carrier_names(tenant, subject.card)
        watched = subject.customer_ids or members
        f.contact_changed_us = await self._contact_changed(tenant, watched, now - cfg.contact_change_days * DAY_US)
        return f

    async def _new_identities(self, tenant: str, members: list[str], since_us: int) -> int:
        """Customers created in the window, plus identifiers added in it to customers that existed before (a new
        customer's own identifiers, created with it, are not counted again)."""
        stored = await self._store.get_many(schema.customers_by_id, [(tenant, c) for c in members])
        created = {c: decode(CustomerRecord, s.value).create_us for c, s in zip(members, stored, strict=True) if s}
        count = sum(1 for t in created.values() if t >= since_us)
        for cid, born in created.items():
            for row in await self._store.scan(schema.identifiers_by_customer, (tenant, cid), limit=1000):
                ident = decode(IdentifierRecord, row.record.value)
                count += ident.create_us >= since_us and ident.create_us > born + ADDED_LATER_US
        return count

    async def _carrier_names(self, tenant: str, card: CardRecord) -> int:
        kind = IdentifierKind.CARD_FINGERPRINT
        keyed = identifiers.fingerprint(self._keyring, tenant, kind, card.fingerprint)
        rows = await self._store.scan(schema.customers_by_identifier, (tenant, kind.value, keyed), limit=MAX_CARRIERS)
        ids = [str(r.clustering[0]) for r in rows]
        if card.customer_id not in ids:
            ids.append(card.customer_id)
        stored = await self._store.get_many(schema.customers_by_id, [(tenant, c) for c in ids])
        return len({name_key(decode(CustomerRecord, s.value)) for s in stored if s is not None})

    async def _contact_changed(self, tenant: str, customer_ids: list[str], since_us: int) -> int:
        newest = 0
        floor = (ulid_floor(since_us),)
        for cid in customer_ids:
            rows = await self._store.scan(
                schema.audit_by_resource,
                (tenant, f"tenants/{tenant}/customers/{cid}"),
                after=floor,
                limit=MAX_AUDIT_EVENTS,
            )
            for row in rows:
                ev = decode_event(row.record.value)
                if (
                    ev.outcome == "OK"
                    and ev.method.endswith("/UpdateCustomer")
                    and CONTACT_FIELDS & set(ev.changed_fields)
                ):
                    newest = max(newest, ev.time_us)
        return newest
