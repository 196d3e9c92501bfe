"""Changes -> notification events. The change-feed consumer calls ``events_for_change`` for every change;
until the feed exists, the card and customer servicers call it after their own committed writes.

Event ids are derived from the change (resource, version after the change, kind), so a change delivered
twice (at-least-once feed, a retried call) yields the same event id and therefore the same notices.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from crs.domain.notifications.model import (
    CARD_BLOCKED_OR_REPLACED,
    CONTACT_DATA_CHANGED,
    LARGE_OR_UNUSUAL_TRANSACTION,
    NotificationEvent,
)

CONTACT_FIELDS = frozenset({"emails", "phones", "postal_addresses"})
# Card states (crs.domain.cards): 2 BLOCKED, 3 LOST, 4 STOLEN, 6 CLOSED (replaced or closed).
_NOTIFIED_CARD_STATES = {2: "BLOCKED", 3: "LOST", 4: "STOLEN", 6: "CLOSED"}


def event_id_for(resource: str, version: str, kind: str) -> str:
    return hashlib.sha256(f"{resource}|{version}|{kind}".encode()).hexdigest()[:32]


def _tenant_and_type(resource: str) -> tuple[str, str, str]:
    parts = resource.split("/")
    if len(parts) < 4 or parts[0] != "tenants":
        return "", "", ""
    return parts[1], parts[-2], parts[-1]


def events_for_change(
    resource: str,
    changed_fields: Sequence[str],
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any],
    occurred_us: int,
) -> list[NotificationEvent]:
    """The notification events one committed change implies (often none).

    ``old``/``new`` are the resource's records before/after as plain dicts (the feed's values); ``old`` may be
    None when the feed does not carry it. Only tokens and masked card data are ever put into facts.
    """
    tenant, collection, rid = _tenant_and_type(resource)
    version = str(new.get("version", "")) or str(occurred_us)
    fields = set(changed_fields)
    if collection == "cards" and ("state" in fields or "*" in fields):
        state = int(new.get("state", 0))
        if state in _NOTIFIED_CARD_STATES and (old is None or int(old.get("state", 0)) != state):
            facts = {
                "card": resource,
                "last4": str(new.get("last4", "")),
                "state": _NOTIFIED_CARD_STATES[state],
                "reason": str(new.get("state_reason", ""))[:200],
            }
            kind = CARD_BLOCKED_OR_REPLACED
            return [
                NotificationEvent(
                    event_id_for(resource, version, kind), tenant, kind, str(new["customer_id"]), occurred_us, facts
                )
            ]
    if collection == "customers" and fields & CONTACT_FIELDS:
        changed = sorted(fields & CONTACT_FIELDS)
        if old is not None and all(old.get(f) == new.get(f) for f in changed):
            return []
        kind = CONTACT_DATA_CHANGED
        facts = {"customer": resource, "changed": ",".join(changed)}
        return [NotificationEvent(event_id_for(resource, version, kind), tenant, kind, rid, occurred_us, facts)]
    if collection == "transactions" and bool(new.get("large_or_unusual")):
        kind = LARGE_OR_UNUSUAL_TRANSACTION
        facts = {
            "transaction": resource,
            "amount_minor": str(new.get("amount_minor", "")),
            "currency_code": str(new.get("currency_code", "")),
        }
        if new.get("reason"):
            facts["reason"] = str(new["reason"])
        customer = str(new.get("customer_id", ""))
        if customer:
            return [
                NotificationEvent(event_id_for(resource, version, kind), tenant, kind, customer, occurred_us, facts)
            ]
    return []
