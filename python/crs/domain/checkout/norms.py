"""What shoppers in a country usually pay with online, most used first (data; edit freely).

Sources: public payment-method market-share reports (e.g. iDEAL's majority of Dutch e-commerce, PayPal and
invoice/Klarna in Germany, Bancontact in Belgium, BLIK in Poland, Swish in Sweden). Unknown countries fall
back to ``DEFAULT``.
"""

from __future__ import annotations

DEFAULT: tuple[str, ...] = ("CARD", "PAYPAL")

BY_COUNTRY: dict[str, tuple[str, ...]] = {
    "NL": ("IDEAL", "CARD", "KLARNA", "PAYPAL", "SEPA_DIRECT_DEBIT"),
    "DE": ("PAYPAL", "KLARNA", "SEPA_DIRECT_DEBIT", "CARD"),
    "AT": ("EPS", "CARD", "KLARNA", "PAYPAL"),
    "BE": ("BANCONTACT", "CARD", "PAYPAL"),
    "FR": ("CARD", "PAYPAL", "SEPA_DIRECT_DEBIT"),
    "ES": ("CARD", "BIZUM", "PAYPAL"),
    "IT": ("CARD", "PAYPAL", "SATISPAY"),
    "PL": ("BLIK", "PRZELEWY24", "CARD"),
    "SE": ("SWISH", "KLARNA", "CARD"),
    "DK": ("MOBILEPAY", "CARD"),
    "FI": ("MOBILEPAY", "BANK_TRANSFER", "CARD"),
    "EE": ("BANK_TRANSFER", "CARD"),
    "GB": ("CARD", "PAYPAL"),
    "US": ("CARD", "PAYPAL", "ACH"),
}


def usual_methods(country: str) -> tuple[str, ...]:
    return BY_COUNTRY.get(country, DEFAULT)
