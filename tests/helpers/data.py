"""Factories for unique test data and the common setup chains."""

from __future__ import annotations

import random
import uuid
from typing import Any

from crs.v1 import account_pb2, card_pb2, customer_pb2, relationship_pb2, token_pb2

from .pans import make_pan

_rng = random.SystemRandom()

ACME = "tenants/acme"
GLOBEX = "tenants/globex"


def uid() -> str:
    return uuid.uuid4().hex[:12]


def request_id() -> str:
    return str(uuid.uuid4())


def unique_phone() -> str:
    return "+3725" + "".join(str(_rng.randrange(10)) for _ in range(7))


def new_customer(**overrides: Any) -> customer_pb2.Customer:
    u = uid()
    fields: dict[str, Any] = {
        "kind": customer_pb2.CUSTOMER_KIND_PERSON,
        "display_name": f"Test Person {u}",
        "legal_name": f"Test Person Legal {u}",
        "emails": [f"person-{u}@example.com"],
        "phones": [unique_phone()],
        "preferred_language": "en",
    }
    fields.update(overrides)
    return customer_pb2.Customer(**fields)


def create_customer(clients: Any, parent: str = ACME, **overrides: Any) -> customer_pb2.Customer:
    return clients.customers.CreateCustomer(
        customer_pb2.CreateCustomerRequest(parent=parent, customer=new_customer(**overrides), request_id=request_id()),
        timeout=30,
    )


def create_account(
    clients: Any, customer: str, parent: str = ACME, currency: str = "EUR", **overrides: Any
) -> account_pb2.Account:
    fields: dict[str, Any] = {
        "customer": customer,
        "kind": account_pb2.ACCOUNT_KIND_CHECKING,
        "currency_code": currency,
        "display_name": f"Account {uid()}",
    }
    fields.update(overrides)
    return clients.accounts.CreateAccount(
        account_pb2.CreateAccountRequest(parent=parent, account=account_pb2.Account(**fields), request_id=request_id()),
        timeout=30,
    )


def register_card(
    clients: Any, account: str, pan: str | None = None, parent: str = ACME, **overrides: Any
) -> card_pb2.Card:
    fields: dict[str, Any] = {
        "parent": parent,
        "pan": pan or make_pan(),
        "expiry_month": 12,
        "expiry_year": 2031,
        "cardholder_name": "TEST HOLDER",
        "account": account,
        "request_id": request_id(),
    }
    fields.update(overrides)
    return clients.cards.RegisterCard(card_pb2.RegisterCardRequest(**fields), timeout=30)


def customer_with_account(clients: Any, parent: str = ACME) -> tuple[customer_pb2.Customer, account_pb2.Account]:
    c = create_customer(clients, parent=parent)
    a = create_account(clients, c.name, parent=parent)
    return c, a


def link_account(clients: Any, customer: str, account: str, role: int, parent: str = ACME) -> Any:
    return clients.relationships.CreateRelationship(
        relationship_pb2.CreateRelationshipRequest(
            parent=parent,
            relationship=relationship_pb2.Relationship(customer=customer, account=account, account_role=role),
            request_id=request_id(),
        ),
        timeout=30,
    )


def tokenize(clients: Any, pan: str, parent: str = ACME) -> token_pb2.TokenizeResponse:
    return clients.tokens.Tokenize(token_pb2.TokenizeRequest(parent=parent, pan=pan), timeout=30)


def resource_id(name: str) -> str:
    return name.rsplit("/", 1)[-1]


def make_iban(seed: int) -> str:
    """A checksum-valid Estonian IBAN derived from ``seed`` (bank account identifiers in cluster tests)."""
    bban = f"22{seed:014d}"
    check = 98 - int("".join(str(int(ch, 36)) for ch in bban + "EE00")) % 97
    return f"EE{check:02d}{bban}"
