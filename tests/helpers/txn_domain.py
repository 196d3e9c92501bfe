"""In-process domain over an embedded store, with an injectable clock, for transaction/segment tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from crs._core import KeyRing
from crs.domain.app import Domain
from crs.domain.context import CallContext, Principal
from crs.domain.customers import KIND_PERSON, CustomerInput
from crs.domain.names import Name
from crs.domain.transactions.model import APPROVED, CAPTURE, POS, SCA_FRICTIONLESS, TransactionInput
from crs.domain.transactions.segment_rules import TenantSegmentRules
from crs.storage.embedded import EmbeddedStore

TENANT = "acme"
CTX = CallContext(
    Principal("test-switch", TENANT, frozenset({"admin"})), "/crs.v1.TransactionService/BatchRecordTransactions"
)


def us(when: dt.datetime) -> int:
    return int(when.timestamp() * 1_000_000)


@dataclass
class Clock:
    now_us: int

    def __call__(self) -> int:
        return self.now_us

    def set(self, when: dt.datetime) -> None:
        self.now_us = us(when)


@dataclass
class World:
    store: EmbeddedStore
    domain: Domain
    clock: Clock
    accounts: dict[str, str] = field(default_factory=dict)  # customer id -> account id

    async def payer(self, label: str) -> str:
        """A customer with an account; returns the customer id."""
        cust = await self.domain.customers.create(
            CTX, TENANT, CustomerInput(kind=KIND_PERSON, display_name=f"Payer {label}"), ""
        )
        acct = await self.domain.accounts.create(
            CTX, TENANT, Name(TENANT, "customers", cust.id), 1, "EUR", f"Account {label}", (0, 0, 0), ""
        )
        self.accounts[cust.id] = acct.id
        return cust.id


def keyring(root: Path) -> KeyRing:
    path = root / "keys.json"
    if not path.exists():
        KeyRing.generate(str(path))
    return KeyRing.from_file(str(path))


def world(root: Path, now: dt.datetime, rules: TenantSegmentRules | None = None, db: str = "crs.db") -> World:
    store = EmbeddedStore(root / db)
    domain = Domain(store, keyring(root), segment_rules=rules)
    clock = Clock(us(now))
    domain.transactions.clock = clock
    domain.insights.clock = clock
    domain.segments.clock = clock
    return World(store, domain, clock)


def item(
    tid: str,
    account_id: str,
    when: dt.datetime,
    *,
    kind: int = CAPTURE,
    amount: int = 1000,
    currency: str = "EUR",
    mcc: str = "5411",
    channel: int = POS,
    result: int = APPROVED,
    merchant: str = "m-1",
) -> TransactionInput:
    return TransactionInput(
        transaction_id=tid,
        kind=kind,
        amount_minor=amount,
        currency=currency,
        merchant_id=merchant,
        mcc=mcc,
        merchant_country="EE",
        channel=channel,
        card_token="",
        account_id=account_id,
        result=result,
        decline_reason="",
        sca_outcome=SCA_FRICTIONLESS,
        sca_exemption=0,
        occurred_us=us(when),
    )
