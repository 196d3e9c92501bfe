"""Notice texts per kind and language (English fallback). Facts never hold card numbers, only tokens/last4."""

from __future__ import annotations

from crs.domain.notifications.model import (
    CARD_BLOCKED_OR_REPLACED,
    CARD_EXPIRING,
    CONTACT_DATA_CHANGED,
    LARGE_OR_UNUSUAL_TRANSACTION,
    LATE_PAYMENT,
    PAYMENT_DUE_REMINDER,
)

_SUBJECTS: dict[str, dict[str, str]] = {
    "en": {
        PAYMENT_DUE_REMINDER: "Payment due on {due_date}",
        LATE_PAYMENT: "Your payment due on {due_date} is late",
        CARD_EXPIRING: "Your card ending {last4} expires {expiry}",
        CARD_BLOCKED_OR_REPLACED: "Your card ending {last4} is {state}",
        LARGE_OR_UNUSUAL_TRANSACTION: "Unusual transaction of {amount_minor} {currency_code}",
        CONTACT_DATA_CHANGED: "Your contact details were changed",
    },
    "de": {
        PAYMENT_DUE_REMINDER: "Zahlung fällig am {due_date}",
        LATE_PAYMENT: "Ihre Zahlung vom {due_date} ist überfällig",
        CARD_EXPIRING: "Ihre Karte mit Endziffern {last4} läuft {expiry} ab",
        CARD_BLOCKED_OR_REPLACED: "Ihre Karte mit Endziffern {last4}: {state}",
        LARGE_OR_UNUSUAL_TRANSACTION: "Ungewöhnliche Transaktion über {amount_minor} {currency_code}",
        CONTACT_DATA_CHANGED: "Ihre Kontaktdaten wurden geändert",
    },
    "et": {
        PAYMENT_DUE_REMINDER: "Makse tähtaeg {due_date}",
        LATE_PAYMENT: "Teie {due_date} tähtajaga makse on hilinenud",
        CARD_EXPIRING: "Teie kaart lõpuga {last4} aegub {expiry}",
        CARD_BLOCKED_OR_REPLACED: "Teie kaart lõpuga {last4}: {state}",
        LARGE_OR_UNUSUAL_TRANSACTION: "Ebatavaline tehing {amount_minor} {currency_code}",
        CONTACT_DATA_CHANGED: "Teie kontaktandmeid muudeti",
    },
}


class _Facts(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def render(kind: str, language: str, facts: dict[str, str]) -> tuple[str, str]:
    """(subject, body) in the customer's language (base language of a tag, else English)."""
    texts = _SUBJECTS.get(language) or _SUBJECTS.get(language.split("-")[0]) or _SUBJECTS["en"]
    subject = texts.get(kind, kind).format_map(_Facts(facts))
    details = "\n".join(f"{k}: {v}" for k, v in sorted(facts.items()))
    return subject, f"{subject}\n\n{details}\n"
