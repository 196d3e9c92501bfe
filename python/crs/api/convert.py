"""Protobuf <-> domain conversion, at the API boundary only."""

from __future__ import annotations

from google.protobuf import timestamp_pb2
from google.type import date_pb2

from crs.domain.customers import CustomerInput, NationalIdInput
from crs.domain.records import (
    AccountRecord,
    AuditRecord,
    CardRecord,
    CustomerRecord,
    PostalAddress,
    RelationshipRecord,
)
from crs.v1 import account_pb2, audit_pb2, card_pb2, common_pb2, customer_pb2, relationship_pb2


def ts(us: int) -> timestamp_pb2.Timestamp | None:
    if not us:
        return None
    seconds, micros = divmod(us, 1_000_000)  # what Timestamp.FromMicroseconds does, without its Python layers
    return timestamp_pb2.Timestamp(seconds=seconds, nanos=micros * 1000)


def date_in(d: date_pb2.Date) -> tuple[int, int, int]:
    return (d.year, d.month, d.day)


def date_out(iso: str) -> date_pb2.Date | None:
    if not iso:
        return None
    y, m, d = (int(x) for x in iso.split("-"))
    return date_pb2.Date(year=y, month=m, day=d)


def address_in(a: common_pb2.PostalAddress) -> PostalAddress:
    return PostalAddress(
        region_code=a.region_code,
        postal_code=a.postal_code,
        administrative_area=a.administrative_area,
        locality=a.locality,
        address_lines=list(a.address_lines),
        recipient=a.recipient,
    )


def address_out(a: PostalAddress) -> common_pb2.PostalAddress:
    return common_pb2.PostalAddress(
        region_code=a.region_code,
        postal_code=a.postal_code,
        administrative_area=a.administrative_area,
        locality=a.locality,
        address_lines=a.address_lines,
        recipient=a.recipient,
    )


def customer_in(c: customer_pb2.Customer) -> CustomerInput:
    return CustomerInput(
        kind=c.kind,
        display_name=c.display_name,
        legal_name=c.legal_name,
        date_of_birth=date_in(c.date_of_birth),
        emails=list(c.emails),
        phones=list(c.phones),
        postal_addresses=[address_in(a) for a in c.postal_addresses],
        national_ids=[NationalIdInput(n.type, n.value, n.issuing_country) for n in c.national_identifiers],
        preferred_language=c.preferred_language,
    )


def customer_out(r: CustomerRecord, plain_ids: list[str] | None) -> customer_pb2.Customer:
    """``plain_ids``: decrypted national identifiers for a caller with ``pii``; None -> masked."""
    ids = [
        customer_pb2.NationalIdentifier(
            type=n.type,  # type: ignore[arg-type]
            value=plain_ids[i] if plain_ids is not None else n.masked,
            issuing_country=n.issuing_country,
            masked=plain_ids is None,
        )
        for i, n in enumerate(r.national_ids)
    ]
    return customer_pb2.Customer(
        name=f"tenants/{r.tenant}/customers/{r.id}",
        kind=r.kind,  # type: ignore[arg-type]
        display_name=r.display_name,
        legal_name=r.legal_name,
        date_of_birth=date_out(r.date_of_birth),
        emails=r.emails,
        phones=r.phones,
        postal_addresses=[address_out(a) for a in r.postal_addresses],
        national_identifiers=ids,
        status=r.status,  # type: ignore[arg-type]
        etag=r.version,
        create_time=ts(r.create_us),
        update_time=ts(r.update_us),
        close_time=ts(r.close_us),
        close_reason=r.close_reason,
        preferred_language=r.preferred_language,
    )


def account_out(r: AccountRecord) -> account_pb2.Account:
    return account_pb2.Account(
        name=f"tenants/{r.tenant}/accounts/{r.id}",
        customer=f"tenants/{r.tenant}/customers/{r.customer_id}",
        kind=r.kind,  # type: ignore[arg-type]
        currency_code=r.currency_code,
        status=r.status,  # type: ignore[arg-type]
        display_name=r.display_name,
        open_date=date_out(r.open_date),
        close_date=date_out(r.close_date),
        etag=r.version,
        create_time=ts(r.create_us),
        update_time=ts(r.update_us),
    )


def relationship_out(r: RelationshipRecord) -> relationship_pb2.Relationship:
    out = relationship_pb2.Relationship(
        name=f"tenants/{r.tenant}/relationships/{r.id}",
        customer=f"tenants/{r.tenant}/customers/{r.customer_id}",
        account_role=r.account_role,  # type: ignore[arg-type]
        link_type=r.link_type,  # type: ignore[arg-type]
        create_time=ts(r.create_us),
    )
    if r.account_id:
        out.account = f"tenants/{r.tenant}/accounts/{r.account_id}"
    else:
        out.related_customer = f"tenants/{r.tenant}/customers/{r.related_customer_id}"
    return out


_BRANDS: dict[str, int] = {name.removeprefix("CARD_BRAND_"): number for name, number in card_pb2.CardBrand.items()}


def brand_out(brand: str) -> int:
    if not brand:
        return 0
    return _BRANDS[brand]  # a brand the enum lacks is a bug: KeyError, as CardBrand.Value raised ValueError


def card_out(r: CardRecord) -> card_pb2.Card:
    return card_pb2.Card(
        name=f"tenants/{r.tenant}/cards/{r.id}",
        account=f"tenants/{r.tenant}/accounts/{r.account_id}",
        customer=f"tenants/{r.tenant}/customers/{r.customer_id}",
        token=r.token,
        bin=r.bin,
        last4=r.last4,
        brand=brand_out(r.brand),  # type: ignore[arg-type]
        fingerprint=r.fingerprint,
        expiry_month=r.expiry_month,
        expiry_year=r.expiry_year,
        cardholder_name=r.cardholder_name,
        state=r.state,  # type: ignore[arg-type]
        state_reason=r.state_reason,
        etag=r.version,
        create_time=ts(r.create_us),
        update_time=ts(r.update_us),
    )


def audit_out(r: AuditRecord) -> audit_pb2.AuditEvent:
    return audit_pb2.AuditEvent(
        event_id=r.event_id,
        tenant=r.tenant,
        actor=r.actor,
        method=r.method,
        resource=r.resource,
        request_id=r.request_id,
        time=ts(r.time_us),
        outcome=r.outcome,
        changed_fields=r.changed_fields,
        purpose=r.purpose,
    )
