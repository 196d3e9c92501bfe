"""Wires the domain services over one store and one key ring."""

from __future__ import annotations

from crs._core import KeyRing
from crs.domain.accounts import Accounts
from crs.domain.audit_log import AuditLog
from crs.domain.cards import Cards
from crs.domain.customers import Customers
from crs.domain.mutation import Mutation
from crs.domain.paging import PageTokens
from crs.domain.relationships import Relationships
from crs.domain.vault import Vault
from crs.storage.base import Store


class Domain:
    def __init__(self, store: Store, keyring: KeyRing) -> None:
        self.store = store
        self.keyring = keyring
        mutation = Mutation(store)
        pages = PageTokens(keyring)
        self.customers = Customers(store, keyring, mutation, pages)
        self.relationships = Relationships(store, mutation, pages)
        self.accounts = Accounts(store, self.customers, mutation, pages)
        self.vault = Vault(store, keyring, mutation)
        self.cards = Cards(store, self.vault, self.accounts, self.customers, self.relationships, mutation, pages)
        self.audit_log = AuditLog(store, pages)
