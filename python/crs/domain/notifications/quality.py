"""Billing-data quality: contact data validated, bouncing addresses flagged, so notices are not sent into the void."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, replace

import phonenumbers

from crs.domain.ids import new_version
from crs.domain.notifications.model import ContactQualityRecord
from crs.domain.records import CustomerRecord, PostalAddress, decode, encode
from crs.domain.validation import normalize_email
from crs.storage import schema
from crs.storage.base import ConditionFailed, NotExists, Put, Store, VersionIs

MAX_ERROR = 200


@dataclass(frozen=True, slots=True)
class ContactCheck:
    kind: str  # "email" | "phone" | "postal_address"
    value: str  # the address as stored (postal: a one-line summary)
    valid: bool
    problem: str = ""
    bounces: int = 0
    usable: bool = True


@dataclass(frozen=True, slots=True)
class ContactQuality:
    customer_id: str
    checks: tuple[ContactCheck, ...]
    complete: bool  # at least one usable e-mail or phone and one complete postal address
    flags: tuple[str, ...]  # NO_USABLE_CONTACT, INCOMPLETE_POSTAL_ADDRESS, BOUNCING_CONTACT, INVALID_CONTACT


def email_problem(value: str) -> str:
    return "" if normalize_email(value) is not None else "not a valid e-mail address"


def phone_problem(value: str) -> str:
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return "not a phone number in international form"
    if not phonenumbers.is_valid_number(parsed):
        return "not a valid number for its country"
    return ""


def address_problem(addr: PostalAddress) -> str:
    missing = [
        name
        for name, value in (
            ("region_code", addr.region_code),
            ("locality", addr.locality),
            ("address_lines", "".join(addr.address_lines).strip()),
        )
        if not value
    ]
    if not addr.postal_code and addr.region_code not in _NO_POSTAL_CODE:
        missing.append("postal_code")
    return f"missing {', '.join(missing)}" if missing else ""


# Regions without postal codes (a subset; addresses there are complete without one).
_NO_POSTAL_CODE = frozenset({"AE", "AG", "BS", "BZ", "HK", "IE", "QA"})


def assess(rec: CustomerRecord, bounces: ContactQualityRecord | None, threshold: int) -> ContactQuality:
    counts = bounces.bounces if bounces else {}
    checks: list[ContactCheck] = []
    for kind, values, problem_of in (("email", rec.emails, email_problem), ("phone", rec.phones, phone_problem)):
        for value in values:
            problem = problem_of(value)
            n = counts.get(value, 0)
            if not problem and n >= threshold:
                problem = f"{n} failed deliveries"
            checks.append(ContactCheck(kind, value, not problem_of(value), problem, n, not problem))
    for addr in rec.postal_addresses:
        problem = address_problem(addr)
        summary = ", ".join(x for x in (*addr.address_lines, addr.postal_code, addr.locality, addr.region_code) if x)
        checks.append(ContactCheck("postal_address", summary, not problem, problem, 0, not problem))
    flags: list[str] = []
    if not any(c.usable for c in checks if c.kind != "postal_address"):
        flags.append("NO_USABLE_CONTACT")
    if not any(c.usable for c in checks if c.kind == "postal_address"):
        flags.append("INCOMPLETE_POSTAL_ADDRESS")
    if any(c.valid and not c.usable for c in checks):
        flags.append("BOUNCING_CONTACT")
    if any(not c.valid for c in checks):
        flags.append("INVALID_CONTACT")
    complete = "NO_USABLE_CONTACT" not in flags and "INCOMPLETE_POSTAL_ADDRESS" not in flags
    return ContactQuality(rec.id, tuple(checks), complete, tuple(flags))


def usable_address(channel_kind: str, address: str, bounces: ContactQualityRecord | None, threshold: int) -> bool:
    """Valid syntax (e-mail / phone) and fewer failed deliveries than the threshold."""
    if channel_kind == "email" and email_problem(address):
        return False
    if channel_kind == "phone" and phone_problem(address):
        return False
    return (bounces.bounces.get(address, 0) if bounces else 0) < threshold


class Bounces:
    """Per-customer failed-delivery counts, kept with compare-and-set."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def get(self, tenant: str, customer_id: str) -> ContactQualityRecord | None:
        stored = await self._store.get(schema.contact_quality_by_customer, (tenant, customer_id))
        return decode(ContactQualityRecord, stored.value) if stored else None

    async def record(self, tenant: str, customer_id: str, address: str, error: str, now_us: int) -> None:
        for _ in range(5):
            current = await self.get(tenant, customer_id)
            rec = current or ContactQualityRecord(tenant, customer_id)
            bounces = dict(rec.bounces)
            bounces[address] = bounces.get(address, 0) + 1
            errors = dict(rec.last_error)
            errors[address] = error[:MAX_ERROR]
            new = replace(rec, bounces=bounces, last_error=errors, update_us=now_us, version=new_version())
            condition = VersionIs(current.version) if current else NotExists()
            try:
                await self._store.apply(
                    [
                        Put(
                            schema.contact_quality_by_customer,
                            (tenant, customer_id),
                            encode(new),
                            new.version,
                            condition,
                        )
                    ]
                )
                return
            except ConditionFailed:
                continue

    async def clear(self, tenant: str, customer_id: str, address: str, now_us: int) -> None:
        """A delivery that succeeded: the address is good again."""
        current = await self.get(tenant, customer_id)
        if current is None or address not in current.bounces:
            return
        bounces = {a: n for a, n in current.bounces.items() if a != address}
        errors = {a: e for a, e in current.last_error.items() if a != address}
        new = replace(current, bounces=bounces, last_error=errors, update_us=now_us, version=new_version())
        row = Put(
            schema.contact_quality_by_customer,
            (tenant, customer_id),
            encode(new),
            new.version,
            VersionIs(current.version),
        )
        with contextlib.suppress(ConditionFailed):  # a concurrent bounce: keep it
            await self._store.apply([row])
