"""What a customer's or cluster's profile keeps (JSON via ``crs.domain.records.encode``/``decode``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from crs.domain.records import register_nested

# Enum value names as in crs.v1 without their prefix, in proto number order (index + 1 = number).
CHECKOUT_CHANNELS = ("POS", "ECOMMERCE", "RECURRING", "IN_APP", "P2P", "MOTO")
CONTACT_CHANNELS = ("EMAIL", "SMS", "PUSH", "WEBHOOK")
CONTACT_PURPOSES = ("PAYMENT_REMINDERS", "SECURITY", "MARKETING", "SERVICE")

# PaymentMethodRecord.kind
CARD, ACCOUNT, WALLET, BANK_TRANSFER, BNPL = "CARD", "ACCOUNT", "WALLET", "BANK_TRANSFER", "BNPL"

# Where an effective value came from (crs.v1.ProfileSource without its prefix).
FROM_CUSTOMER, FROM_CLUSTER, FROM_CUSTOMER_RECORD = "CUSTOMER", "CLUSTER", "CUSTOMER_RECORD"

NO_MINUTE = -1  # quiet hours unset


@dataclass(slots=True)
class PaymentMethodRecord:
    """The default instrument of one checkout channel."""

    channel: str  # one of CHECKOUT_CHANNELS
    kind: str  # CARD | ACCOUNT | WALLET | BANK_TRANSFER | BNPL
    card_token: str = ""  # CARD: the vault token (never a PAN)
    card_id: str = ""  # CARD: the card it resolved to when set
    account_id: str = ""  # ACCOUNT, optionally BANK_TRANSFER
    provider: str = ""  # WALLET / BNPL provider, BANK_TRANSFER scheme
    reference: str = ""  # WALLET reference at the provider


@dataclass(slots=True)
class OptOutRecord:
    channel: str  # one of CONTACT_CHANNELS
    purpose: str  # one of CONTACT_PURPOSES
    opt_back_in: bool = False  # customer profiles only: overrides an opt-out inherited from the cluster


@dataclass(slots=True)
class ThresholdRecord:
    currency: str
    per_transaction_minor: int
    daily_minor: int
    effective_from: str  # YYYY-MM-DD, inclusive
    effective_until: str = ""  # YYYY-MM-DD, exclusive; "" = open-ended


@dataclass(slots=True)
class ProfileRecord:
    tenant: str
    owner_kind: str  # "customers" | "clusters"
    owner_id: str
    payment_methods: list[PaymentMethodRecord] = field(default_factory=list)
    preferred_currency: str = ""
    preferred_language: str = ""
    channel_order: list[str] = field(default_factory=list)
    quiet_start_min: int = NO_MINUTE  # minutes after local midnight
    quiet_end_min: int = NO_MINUTE
    quiet_time_zone: str = ""
    opt_outs: list[OptOutRecord] = field(default_factory=list)
    thresholds: list[ThresholdRecord] = field(default_factory=list)
    update_us: int = 0
    version: str = ""  # "" while never written

    @property
    def name(self) -> str:
        return f"tenants/{self.tenant}/{self.owner_kind}/{self.owner_id}/profile"

    @property
    def has_quiet_hours(self) -> bool:
        return self.quiet_start_min != NO_MINUTE


register_nested(ProfileRecord, "payment_methods", PaymentMethodRecord)
register_nested(ProfileRecord, "opt_outs", OptOutRecord)
register_nested(ProfileRecord, "thresholds", ThresholdRecord)
