"""Locust load test of CRS over gRPC: payment switch (dominant), onboarding and back office.

Run it with ``bash loadtests/run.sh`` (starts and seeds a local server). Environment, set by run.py:
CRS_LOAD_TARGET (host:port), CRS_LOAD_SECRETS (JSON file: role -> API key), CRS_LOAD_MANIFEST (the seed
manifest: tenant, PAN salt, customer count, sample tokens). Every gRPC call is reported to Locust as
request_type "grpc", name = the method; a non-OK status is a failure. PANs are synthetic (crs.seed) and
are never logged or printed: failures report the status code and the method only.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

import grpc
import grpc.experimental.gevent as grpc_gevent
from locust import User, between, events, task
from locust.env import Environment

from crs.seed import ONBOARDING_BIN, account_id, customer_id, synthetic_pan
from crs.v1 import (
    account_pb2,
    account_pb2_grpc,
    audit_pb2,
    audit_pb2_grpc,
    card_pb2,
    card_pb2_grpc,
    customer_pb2,
    customer_pb2_grpc,
    lookup_pb2,
    lookup_pb2_grpc,
    token_pb2,
    token_pb2_grpc,
)

grpc_gevent.init_gevent()

Resp = TypeVar("Resp")
TIMEOUT_S = 10.0
BATCH_SIZE = 100


class RpcFailed(Exception):
    """A non-OK gRPC status (the details are left out: they never matter for load and may echo input)."""


class Data:
    """The seeded data set and the counters that keep new PANs unique within this run."""

    def __init__(self) -> None:
        self.target = os.environ["CRS_LOAD_TARGET"]
        with open(os.environ["CRS_LOAD_SECRETS"]) as f:
            self.secrets: dict[str, str] = json.load(f)
        with open(os.environ["CRS_LOAD_MANIFEST"]) as f:
            manifest: dict[str, Any] = json.load(f)
        self.tenant = str(manifest["tenant"])
        self.parent = f"tenants/{self.tenant}"
        self.salt = int(manifest["salt"])
        self.start = int(manifest["start"])
        self.customers = int(manifest["customers"])
        self.tokens: list[str] = list(manifest["tokens"])
        self._fresh = itertools.count()
        self._run_salt = random.SystemRandom().randrange(10**9)

    def index(self) -> int:
        return self.start + random.randrange(self.customers)

    def seeded_pan(self) -> str:
        return synthetic_pan(self.salt, self.index())

    def new_pan(self) -> str:
        """A PAN no seeded card has (other BIN) and no earlier call of this run used."""
        return synthetic_pan(self._run_salt, next(self._fresh), ONBOARDING_BIN)


_data: Data | None = None


def data() -> Data:
    global _data
    if _data is None:
        _data = Data()
    return _data


class GrpcUser(User):
    abstract = True
    role = ""

    def on_start(self) -> None:
        d = data()
        self.d = d
        self.channel = grpc.insecure_channel(d.target)
        self.md = (("authorization", f"Bearer {d.secrets[self.role]}"),)
        self.cards = card_pb2_grpc.CardServiceStub(self.channel)
        self.tokens = token_pb2_grpc.TokenServiceStub(self.channel)
        self.customers = customer_pb2_grpc.CustomerServiceStub(self.channel)
        self.accounts = account_pb2_grpc.AccountServiceStub(self.channel)
        self.audit = audit_pb2_grpc.AuditServiceStub(self.channel)
        self.lookup = lookup_pb2_grpc.LookupServiceStub(self.channel)

    def on_stop(self) -> None:
        self.channel.close()

    def call(self, name: str, method: Callable[..., Resp], request: Any) -> Resp | None:
        """One unary call, reported to Locust; None when it failed (already reported)."""
        started = time.perf_counter()
        response: Resp | None = None
        exception: Exception | None = None
        try:
            response = method(request, metadata=self.md, timeout=TIMEOUT_S)
        except grpc.RpcError as err:
            code = err.code() if isinstance(err, grpc.Call) else None
            exception = RpcFailed(f"{name}: {code.name if code else 'error'}")
        size = response.ByteSize() if response is not None and hasattr(response, "ByteSize") else 0
        self.environment.events.request.fire(
            request_type="grpc",
            name=name,
            response_time=(time.perf_counter() - started) * 1000,
            response_length=size,
            exception=exception,
            context={"role": self.role},
        )
        return response


class PaymentSwitchUser(GrpcUser):
    """The authorization path: the authorization context (or the plain card lookup) by token or PAN, and
    tokenization at the edge."""

    weight = 8
    role = "switch"
    wait_time = between(0.0, 0.02)

    @task(4)
    def context_by_token(self) -> None:
        self.call(
            "GetAuthorizationContext/token",
            self.lookup.GetAuthorizationContext,
            lookup_pb2.GetAuthorizationContextRequest(parent=self.d.parent, token=random.choice(self.d.tokens)),
        )

    @task(2)
    def context_by_pan(self) -> None:
        self.call(
            "GetAuthorizationContext/pan",
            self.lookup.GetAuthorizationContext,
            lookup_pb2.GetAuthorizationContextRequest(parent=self.d.parent, pan=self.d.seeded_pan()),
        )

    @task(2)
    def lookup_by_token(self) -> None:
        self.call(
            "LookupCard/token",
            self.cards.LookupCard,
            card_pb2.LookupCardRequest(parent=self.d.parent, token=random.choice(self.d.tokens)),
        )

    @task(1)
    def lookup_by_pan(self) -> None:
        self.call(
            "LookupCard/pan",
            self.cards.LookupCard,
            card_pb2.LookupCardRequest(parent=self.d.parent, pan=self.d.seeded_pan()),
        )

    @task(2)
    def tokenize_known(self) -> None:
        self.call(
            "Tokenize",
            self.tokens.Tokenize,
            token_pb2.TokenizeRequest(parent=self.d.parent, pan=self.d.seeded_pan()),
        )

    @task(1)
    def tokenize_new(self) -> None:
        self.call(
            "Tokenize/new", self.tokens.Tokenize, token_pb2.TokenizeRequest(parent=self.d.parent, pan=self.d.new_pan())
        )


class OnboardingUser(GrpcUser):
    """A new customer with a card account and a card."""

    weight = 1
    role = "onboarding"
    wait_time = between(0.05, 0.2)

    @task
    def onboard(self) -> None:
        n = next(_onboarded)
        cust = self.call(
            "CreateCustomer",
            self.customers.CreateCustomer,
            customer_pb2.CreateCustomerRequest(
                parent=self.d.parent,
                customer=customer_pb2.Customer(
                    kind=customer_pb2.CUSTOMER_KIND_PERSON,
                    display_name=f"Load Customer {n}",
                    emails=[f"load.customer.{n}@example.com"],
                ),
            ),
        )
        if cust is None:
            return
        acct = self.call(
            "CreateAccount",
            self.accounts.CreateAccount,
            account_pb2.CreateAccountRequest(
                parent=self.d.parent,
                account=account_pb2.Account(
                    customer=cust.name, kind=account_pb2.ACCOUNT_KIND_CARD, currency_code="EUR", display_name="Card"
                ),
            ),
        )
        if acct is None:
            return
        self.call(
            "RegisterCard",
            self.cards.RegisterCard,
            card_pb2.RegisterCardRequest(
                parent=self.d.parent,
                account=acct.name,
                pan=self.d.new_pan(),
                expiry_month=12,
                expiry_year=2031,
                cardholder_name=f"LOAD CUSTOMER {n}",
            ),
        )


_onboarded = itertools.count()


class BackOfficeUser(GrpcUser):
    """Operators: page through customers' accounts, cards and audit; batch tokenization of files."""

    weight = 1
    role = "backoffice"
    wait_time = between(0.1, 0.3)

    @task(3)
    def customer_accounts_and_cards(self) -> None:
        i = self.d.index()
        accounts = self.call(
            "ListAccounts",
            self.accounts.ListAccounts,
            account_pb2.ListAccountsRequest(
                parent=self.d.parent, customer=f"{self.d.parent}/customers/{customer_id(i)}", page_size=10
            ),
        )
        if accounts is not None:
            self.call(
                "ListCards",
                self.cards.ListCards,
                card_pb2.ListCardsRequest(
                    parent=self.d.parent, account=f"{self.d.parent}/accounts/{account_id(i)}", page_size=10
                ),
            )

    @task(2)
    def page_customers(self) -> None:
        token = ""
        for _page in range(2):
            page = self.call(
                "ListCustomers",
                self.customers.ListCustomers,
                customer_pb2.ListCustomersRequest(parent=self.d.parent, page_size=50, page_token=token),
            )
            if page is None or not page.next_page_token:
                return
            token = page.next_page_token

    @task(2)
    def audit_trail(self) -> None:
        self.call(
            "ListAuditEvents",
            self.audit.ListAuditEvents,
            audit_pb2.ListAuditEventsRequest(
                parent=self.d.parent, resource=f"{self.d.parent}/customers/{customer_id(self.d.index())}", page_size=20
            ),
        )

    @task(1)
    def batch_tokenize(self) -> None:
        pans = [self.d.seeded_pan() for _ in range(BATCH_SIZE - 5)] + [self.d.new_pan() for _ in range(5)]
        self.call(
            "BatchTokenize", self.tokens.BatchTokenize, token_pb2.BatchTokenizeRequest(parent=self.d.parent, pans=pans)
        )


def _check_environment(environment: Environment, **_kwargs: Any) -> None:
    data()  # fail at start, not in every user, when the run.py environment is missing


events.init.add_listener(_check_environment)  # type: ignore[no-untyped-call]
