"""The crs.v1 servicers: convert, call the domain, convert back. Policy lives in the interceptor."""

from __future__ import annotations

from typing import Any

import grpc
from google.protobuf import empty_pb2

from crs._core import lookup_card_response
from crs.api import convert
from crs.api.call import current
from crs.api.encoded import encoded
from crs.api.resources import name, optional_name, parent
from crs.domain.app import Domain
from crs.domain.errors import InvalidArgument, PermissionDenied
from crs.domain.records import CustomerRecord
from crs.domain.vault import Tokenized
from crs.v1 import (
    account_pb2,
    account_pb2_grpc,
    audit_pb2,
    audit_pb2_grpc,
    card_pb2,
    card_pb2_grpc,
    customer_pb2,
    customer_pb2_grpc,
    relationship_pb2,
    relationship_pb2_grpc,
    token_pb2,
    token_pb2_grpc,
)

Ctx = grpc.aio.ServicerContext[Any, Any]


def _customer(domain: Domain, rec: CustomerRecord) -> customer_pb2.Customer:
    plain = domain.customers.reveal_national_ids(rec) if current().principal.has("pii") else None
    return convert.customer_out(rec, plain)


class CustomerServicer(customer_pb2_grpc.CustomerServiceServicer):
    def __init__(self, domain: Domain) -> None:
        self.d = domain

    async def CreateCustomer(self, request: customer_pb2.CreateCustomerRequest, context: Ctx) -> customer_pb2.Customer:
        tenant = parent(request.parent)
        rec = await self.d.customers.create(
            current(), tenant, convert.customer_in(request.customer), request.customer_id
        )
        await self.d.after_change(tenant, [rec.id], "customer created")
        return _customer(self.d, rec)

    async def GetCustomer(self, request: customer_pb2.GetCustomerRequest, context: Ctx) -> customer_pb2.Customer:
        return _customer(self.d, await self.d.customers.get(name(request.name, "customers")))

    async def UpdateCustomer(self, request: customer_pb2.UpdateCustomerRequest, context: Ctx) -> customer_pb2.Customer:
        target = name(request.customer.name, "customers", "customer.name")
        if not request.HasField("update_mask"):
            raise InvalidArgument.of("update_mask", "is required")
        rec = await self.d.customers.update(
            current(),
            target,
            convert.customer_in(request.customer),
            list(request.update_mask.paths),
            request.customer.etag,
        )
        await self.d.after_change(target.tenant, [rec.id], "customer updated")
        await self.d.notify_change(str(target), list(request.update_mask.paths), rec)
        return _customer(self.d, rec)

    async def ListCustomers(
        self, request: customer_pb2.ListCustomersRequest, context: Ctx
    ) -> customer_pb2.ListCustomersResponse:
        tenant = parent(request.parent)
        items, nxt = await self.d.customers.list_page(tenant, request.status, request.page_size, request.page_token)
        return customer_pb2.ListCustomersResponse(customers=[_customer(self.d, r) for r in items], next_page_token=nxt)

    async def CloseCustomer(self, request: customer_pb2.CloseCustomerRequest, context: Ctx) -> customer_pb2.Customer:
        rec = await self.d.customers.close(current(), name(request.name, "customers"), request.etag, request.reason)
        await self.d.after_change(rec.tenant, [rec.id], "customer closed")
        return _customer(self.d, rec)

    async def SearchCustomers(
        self, request: customer_pb2.SearchCustomersRequest, context: Ctx
    ) -> customer_pb2.SearchCustomersResponse:
        tenant = parent(request.parent)
        which = request.WhichOneof("query")
        c = self.d.customers
        if which == "email":
            kind, blind = "email", c.blind_for_email(tenant, request.email)
        elif which == "phone":
            kind, blind = "phone", c.blind_for_phone(tenant, request.phone)
        elif which == "national_identifier":
            if not current().principal.has("pii"):  # else masked last-4 + search would reveal the value
                raise PermissionDenied("searching by national identifier needs the 'pii' scope", "MISSING_SCOPE")
            nid = request.national_identifier
            if not nid.type or not nid.value.strip():
                raise InvalidArgument.of("national_identifier", "type and value are required")
            kind, blind = "national_id", c.national_id_blind(tenant, nid.type, nid.value)
        elif which == "card_fingerprint":
            return await self._by_card(tenant, request.card_fingerprint)
        else:
            raise InvalidArgument.of("query", "set one of email, phone, national_identifier, card_fingerprint")
        items, nxt = await c.search(tenant, kind, blind, request.page_size, request.page_token)
        return customer_pb2.SearchCustomersResponse(
            customers=[_customer(self.d, r) for r in items], next_page_token=nxt
        )

    async def _by_card(self, tenant: str, fingerprint: str) -> customer_pb2.SearchCustomersResponse:
        if len(fingerprint) != 64 or any(ch not in "0123456789abcdef" for ch in fingerprint):
            raise InvalidArgument.of("card_fingerprint", "must be 64 lower-case hex characters")
        stored = await self.d.cards.owners_by_fingerprint(tenant, fingerprint)
        return customer_pb2.SearchCustomersResponse(customers=[_customer(self.d, r) for r in stored])


class AccountServicer(account_pb2_grpc.AccountServiceServicer):
    def __init__(self, domain: Domain) -> None:
        self.d = domain

    async def CreateAccount(self, request: account_pb2.CreateAccountRequest, context: Ctx) -> account_pb2.Account:
        tenant = parent(request.parent)
        a = request.account
        if not a.customer:
            raise InvalidArgument.of("account.customer", "is required")
        rec = await self.d.accounts.create(
            current(),
            tenant,
            name(a.customer, "customers", "account.customer"),
            a.kind,
            a.currency_code,
            a.display_name,
            convert.date_in(a.open_date),
            request.account_id,
        )
        return convert.account_out(rec)

    async def GetAccount(self, request: account_pb2.GetAccountRequest, context: Ctx) -> account_pb2.Account:
        return convert.account_out(await self.d.accounts.get(name(request.name, "accounts")))

    async def UpdateAccount(self, request: account_pb2.UpdateAccountRequest, context: Ctx) -> account_pb2.Account:
        target = name(request.account.name, "accounts", "account.name")
        if not request.HasField("update_mask"):
            raise InvalidArgument.of("update_mask", "is required")
        a = request.account
        rec = await self.d.accounts.update(
            current(),
            target,
            list(request.update_mask.paths),
            a.etag,
            a.display_name,
            a.status,
            convert.date_in(a.open_date),
        )
        return convert.account_out(rec)

    async def ListAccounts(
        self, request: account_pb2.ListAccountsRequest, context: Ctx
    ) -> account_pb2.ListAccountsResponse:
        tenant = parent(request.parent)
        customer = optional_name(request.customer, "customers", "customer")
        items, nxt = await self.d.accounts.list_page(tenant, customer, request.page_size, request.page_token)
        return account_pb2.ListAccountsResponse(accounts=[convert.account_out(r) for r in items], next_page_token=nxt)

    async def CloseAccount(self, request: account_pb2.CloseAccountRequest, context: Ctx) -> account_pb2.Account:
        rec = await self.d.accounts.close(current(), name(request.name, "accounts"), request.etag, request.reason)
        return convert.account_out(rec)


class RelationshipServicer(relationship_pb2_grpc.RelationshipServiceServicer):
    def __init__(self, domain: Domain) -> None:
        self.d = domain

    async def CreateRelationship(
        self, request: relationship_pb2.CreateRelationshipRequest, context: Ctx
    ) -> relationship_pb2.Relationship:
        tenant = parent(request.parent)
        r = request.relationship
        if not r.customer:
            raise InvalidArgument.of("relationship.customer", "is required")
        rec = await self.d.relationships.create(
            current(),
            tenant,
            name(r.customer, "customers", "relationship.customer"),
            optional_name(r.account, "accounts", "relationship.account"),
            optional_name(r.related_customer, "customers", "relationship.related_customer"),
            r.account_role,
            r.link_type,
        )
        return convert.relationship_out(rec)

    async def GetRelationship(
        self, request: relationship_pb2.GetRelationshipRequest, context: Ctx
    ) -> relationship_pb2.Relationship:
        return convert.relationship_out(await self.d.relationships.get(name(request.name, "relationships")))

    async def DeleteRelationship(
        self, request: relationship_pb2.DeleteRelationshipRequest, context: Ctx
    ) -> empty_pb2.Empty:
        await self.d.relationships.delete(current(), name(request.name, "relationships"))
        return empty_pb2.Empty()

    async def ListRelationships(
        self, request: relationship_pb2.ListRelationshipsRequest, context: Ctx
    ) -> relationship_pb2.ListRelationshipsResponse:
        tenant = parent(request.parent)
        items, nxt = await self.d.relationships.list_page(
            tenant,
            optional_name(request.customer, "customers", "customer"),
            optional_name(request.account, "accounts", "account"),
            request.page_size,
            request.page_token,
        )
        return relationship_pb2.ListRelationshipsResponse(
            relationships=[convert.relationship_out(r) for r in items], next_page_token=nxt
        )


class CardServicer(card_pb2_grpc.CardServiceServicer):
    def __init__(self, domain: Domain) -> None:
        self.d = domain

    async def RegisterCard(self, request: card_pb2.RegisterCardRequest, context: Ctx) -> card_pb2.Card:
        tenant = parent(request.parent)
        if not request.account:
            raise InvalidArgument.of("account", "is required")
        rec = await self.d.cards.register(
            current(),
            tenant,
            request.pan,
            request.expiry_month,
            request.expiry_year,
            request.cardholder_name,
            name(request.account, "accounts", "account"),
            optional_name(request.customer, "customers", "customer"),
            request.card_id,
        )
        await self.d.after_change(tenant, [rec.customer_id], "card registered")
        return convert.card_out(rec)

    async def GetCard(self, request: card_pb2.GetCardRequest, context: Ctx) -> card_pb2.Card:
        return convert.card_out(await self.d.cards.get(name(request.name, "cards")))

    async def ListCards(self, request: card_pb2.ListCardsRequest, context: Ctx) -> card_pb2.ListCardsResponse:
        tenant = parent(request.parent)
        items, nxt = await self.d.cards.list_page(
            tenant,
            optional_name(request.account, "accounts", "account"),
            optional_name(request.customer, "customers", "customer"),
            request.page_size,
            request.page_token,
        )
        return card_pb2.ListCardsResponse(cards=[convert.card_out(r) for r in items], next_page_token=nxt)

    async def UpdateCardState(self, request: card_pb2.UpdateCardStateRequest, context: Ctx) -> card_pb2.Card:
        target = name(request.name, "cards")
        rec = await self.d.cards.update_state(current(), target, request.state, request.reason, request.etag)
        await self.d.notify_change(str(target), ["state", "state_reason"], rec)
        return convert.card_out(rec)

    async def LookupCard(self, request: card_pb2.LookupCardRequest, context: Ctx) -> card_pb2.LookupCardResponse:
        tenant = parent(request.parent)
        found = await self.d.cards.lookup(tenant, request.pan, request.token)
        if not current().principal.has("pii"):
            # The payment switch's path: the same message as below, encoded in _core from the stored records
            # (national identifiers masked), without the protobuf object tree.
            data = lookup_card_response(found.card_json, found.account_json, found.owners_json)
            return encoded(data, card_pb2.LookupCardResponse)
        return card_pb2.LookupCardResponse(
            card=convert.card_out(found.card),
            account=convert.account_out(found.account) if found.account else None,
            owners=[_customer(self.d, c) for c in found.owners],
        )


def _token_out(t: Tokenized) -> token_pb2.TokenizeResponse:
    e = t.entry
    return token_pb2.TokenizeResponse(
        token=e.token,
        fingerprint=e.fingerprint,
        bin=e.bin,
        last4=e.last4,
        brand=convert.brand_out(e.brand),  # type: ignore[arg-type]
        created=t.created,
    )


class TokenServicer(token_pb2_grpc.TokenServiceServicer):
    def __init__(self, domain: Domain) -> None:
        self.d = domain

    async def Tokenize(self, request: token_pb2.TokenizeRequest, context: Ctx) -> token_pb2.TokenizeResponse:
        tenant = parent(request.parent)
        return _token_out(await self.d.vault.tokenize(current(), tenant, request.pan))

    async def BatchTokenize(
        self, request: token_pb2.BatchTokenizeRequest, context: Ctx
    ) -> token_pb2.BatchTokenizeResponse:
        tenant = parent(request.parent)
        results = await self.d.vault.tokenize_batch(current(), tenant, request.pans)
        out = token_pb2.BatchTokenizeResponse()
        for i, r in enumerate(results):
            if isinstance(r, Tokenized):
                out.results.append(token_pb2.BatchTokenizeResult(index=i, token=_token_out(r)))
                out.success_count += 1
            else:
                out.results.append(token_pb2.BatchTokenizeResult(index=i, error=r))
                out.failure_count += 1
        return out

    async def Detokenize(self, request: token_pb2.DetokenizeRequest, context: Ctx) -> token_pb2.DetokenizeResponse:
        tenant = parent(request.parent)
        pan = await self.d.vault.detokenize(current(), tenant, request.token, request.purpose)
        return token_pb2.DetokenizeResponse(pan=pan)


def _micros(request: audit_pb2.ListAuditEventsRequest, field_path: str) -> int:
    """A Timestamp field as microseconds since 1970; 0 when unset; INVALID_ARGUMENT when out of range."""
    if not request.HasField(field_path):
        return 0
    try:
        value = int(getattr(request, field_path).ToMicroseconds())
        getattr(request, field_path).ToDatetime()  # rejects nanos/seconds outside the Timestamp range
    except (ValueError, OverflowError):
        raise InvalidArgument.of(field_path, "must be a valid timestamp between 1970 and 9999") from None
    if value < 0:
        raise InvalidArgument.of(field_path, "must not be before 1970")
    return value


class AuditServicer(audit_pb2_grpc.AuditServiceServicer):
    def __init__(self, domain: Domain) -> None:
        self.d = domain

    async def ListAuditEvents(
        self, request: audit_pb2.ListAuditEventsRequest, context: Ctx
    ) -> audit_pb2.ListAuditEventsResponse:
        tenant = parent(request.parent)
        start = _micros(request, "start_time")
        end = _micros(request, "end_time")
        items, nxt = await self.d.audit_log.list_page(
            tenant, request.resource, request.actor, start, end, request.page_size, request.page_token
        )
        return audit_pb2.ListAuditEventsResponse(
            audit_events=[convert.audit_out(r) for r in items], next_page_token=nxt
        )
