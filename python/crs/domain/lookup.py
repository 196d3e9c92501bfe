"""GetAuthorizationContext: the switch's one call in the authorization window.

One store read per table: the card index (token or fingerprint), the card, the account, the account's
relationships, the customers, their cluster assignments and their clusters. Nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass

from crs._core import is_token_shaped
from crs.domain.cards import CardLookup, Cards
from crs.domain.clusters.records import ACTIVE, ClusterRecord, Membership
from crs.domain.errors import InvalidArgument, NotFound
from crs.domain.records import decode
from crs.domain.vault import Vault
from crs.storage import schema
from crs.storage.base import Store

_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True, slots=True)
class AuthorizationContext:
    lookup: CardLookup
    clusters_of: dict[str, str]  # customer id -> cluster id
    cluster: ClusterRecord | None  # the cardholder's


class Lookup:
    def __init__(self, store: Store, vault: Vault, cards: Cards) -> None:
        self._store = store
        self._vault = vault
        self._cards = cards

    async def _card_id(self, tenant: str, token: str, pan: str, fingerprint: str) -> str:
        if pan:
            fingerprint = self._vault.fingerprint(tenant, pan)
            table, key = schema.cards_by_fingerprint, (tenant, fingerprint)
        elif fingerprint:
            if len(fingerprint) != 64 or not set(fingerprint) <= _HEX:
                raise InvalidArgument.of("card_fingerprint", "must be 64 lowercase hexadecimal characters")
            table, key = schema.cards_by_fingerprint, (tenant, fingerprint)
        elif token:
            if not is_token_shaped(token):
                raise InvalidArgument.of("token", "is not a CRS card token", "INVALID_TOKEN")
            table, key = schema.cards_by_token, (tenant, token)
        else:
            raise InvalidArgument.of("key", "set token, pan or card_fingerprint")
        stored = await self._store.get(table, key)
        if stored is None:
            raise NotFound("no card is registered for this key", "NOT_FOUND", {}, "crs.v1/Card", "")
        return stored.value.decode()

    async def authorization_context(
        self, tenant: str, *, token: str = "", pan: str = "", fingerprint: str = ""
    ) -> AuthorizationContext:
        card_id = await self._card_id(tenant, token, pan, fingerprint)
        found = await self._cards.lookup_by_id(tenant, card_id)
        people = [o.id for o in found.owners]
        if found.card.customer_id not in people:
            people.append(found.card.customer_id)
        memberships = await self._store.get_many(schema.cluster_by_customer, [(tenant, c) for c in people])
        clusters_of = {
            c: decode(Membership, m.value).cluster_id for c, m in zip(people, memberships, strict=True) if m is not None
        }
        holder_cluster = clusters_of.get(found.card.customer_id)
        cluster: ClusterRecord | None = None
        if holder_cluster:
            stored = await self._store.get(schema.clusters_by_id, (tenant, holder_cluster))
            if stored is not None:
                rec = decode(ClusterRecord, stored.value)
                cluster = rec if rec.state == ACTIVE else None
        return AuthorizationContext(found, clusters_of, cluster)
