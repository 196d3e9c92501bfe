"""A customer's effective profile: each field from the customer's profile, else its cluster's, else the record.

This is the typed view other parts of CRS read (e.g. notifications: ``Profiles.effective(...).contact``).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, field

from crs.domain.profile_input import CHANNEL_ORDER, CURRENCY, LANGUAGE, OPT_OUTS, PAYMENT_METHODS, QUIET_HOURS
from crs.domain.profile_input import THRESHOLDS as THRESHOLDS_PATH
from crs.domain.profile_records import (
    FROM_CLUSTER,
    FROM_CUSTOMER,
    FROM_CUSTOMER_RECORD,
    OptOutRecord,
    PaymentMethodRecord,
    ProfileRecord,
    ThresholdRecord,
)


@dataclass(frozen=True, slots=True)
class QuietHours:
    start_min: int  # minutes after local midnight
    end_min: int  # an end before the start wraps past midnight
    time_zone: str  # IANA

    def contains(self, at: dt.datetime) -> bool:
        """True when ``at`` (timezone-aware) falls in the quiet period, in the profile's time zone."""
        local = at.astimezone(zoneinfo.ZoneInfo(self.time_zone))
        minute = local.hour * 60 + local.minute
        if self.start_min < self.end_min:
            return self.start_min <= minute < self.end_min
        return minute >= self.start_min or minute < self.end_min


@dataclass(frozen=True, slots=True)
class ContactView:
    channel_order: tuple[str, ...]  # CONTACT_CHANNELS names, most preferred first
    quiet_hours: QuietHours | None
    opt_outs: frozenset[tuple[str, str]]  # (channel, purpose) the customer must not be contacted on
    language: str  # BCP 47, "" when unknown

    def allows(self, channel: str, purpose: str) -> bool:
        return (channel, purpose) not in self.opt_outs

    def channels_for(self, purpose: str) -> tuple[str, ...]:
        """The channel order without the channels opted out of for ``purpose``."""
        return tuple(c for c in self.channel_order if self.allows(c, purpose))

    def in_quiet_hours(self, at: dt.datetime) -> bool:
        return self.quiet_hours is not None and self.quiet_hours.contains(at)


@dataclass(frozen=True, slots=True)
class EffectiveProfile:
    tenant: str
    customer_id: str
    cluster_id: str  # "" when the customer has no cluster yet
    merged: ProfileRecord  # the effective values (version "" and update_us 0)
    sources: dict[str, str] = field(default_factory=dict)  # field path -> FROM_*

    @property
    def contact(self) -> ContactView:
        m = self.merged
        quiet = QuietHours(m.quiet_start_min, m.quiet_end_min, m.quiet_time_zone) if m.has_quiet_hours else None
        outs = frozenset((o.channel, o.purpose) for o in m.opt_outs if not o.opt_back_in)
        return ContactView(tuple(m.channel_order), quiet, outs, m.preferred_language)

    @property
    def payment_methods(self) -> dict[str, PaymentMethodRecord]:
        return {p.channel: p for p in self.merged.payment_methods}

    def threshold_on(self, day: dt.date, currency: str) -> ThresholdRecord | None:
        """The payment threshold in force on ``day`` for ``currency``."""
        iso = day.isoformat()
        for t in self.merged.thresholds:
            if t.currency == currency and t.effective_from <= iso < (t.effective_until or "9999-12-31"):
                return t
        return None


def merged_methods(
    own: Sequence[PaymentMethodRecord], inherited: Sequence[PaymentMethodRecord]
) -> list[tuple[PaymentMethodRecord, str]]:
    """The effective payment methods in channel order, each with where it comes from: per channel the
    customer's own, else the cluster's (``merge`` and the authorization path's ``stated_methods_from``)."""
    methods: dict[str, tuple[PaymentMethodRecord, str]] = {m.channel: (m, FROM_CLUSTER) for m in inherited}
    methods.update({m.channel: (m, FROM_CUSTOMER) for m in own})
    return [methods[channel] for channel in sorted(methods)]


def _pick(own: object, inherited: object) -> tuple[bool, bool]:
    """(use own, use inherited): a value is set when it is truthy."""
    return bool(own), (not own and bool(inherited))


def merge(
    tenant: str,
    customer_id: str,
    cluster_id: str,
    own: ProfileRecord,
    cluster: ProfileRecord | None,
    record_language: str,
) -> EffectiveProfile:
    inherited = cluster or ProfileRecord(tenant, "clusters", "")
    out = ProfileRecord(tenant, "customers", customer_id)
    sources: dict[str, str] = {}

    def take(path: str, attr: str) -> None:
        mine, theirs = getattr(own, attr), getattr(inherited, attr)
        use_own, use_inherited = _pick(mine, theirs)
        if use_own or use_inherited:
            setattr(out, attr, mine if use_own else theirs)
            sources[path] = FROM_CUSTOMER if use_own else FROM_CLUSTER

    take(CURRENCY, "preferred_currency")
    take(LANGUAGE, "preferred_language")
    if not out.preferred_language and record_language:
        out.preferred_language, sources[LANGUAGE] = record_language, FROM_CUSTOMER_RECORD
    take(CHANNEL_ORDER, "channel_order")
    take(THRESHOLDS_PATH, "thresholds")
    for rec, source in ((own, FROM_CUSTOMER), (inherited, FROM_CLUSTER)):
        if rec.has_quiet_hours and not out.has_quiet_hours:
            out.quiet_start_min, out.quiet_end_min, out.quiet_time_zone = (
                rec.quiet_start_min,
                rec.quiet_end_min,
                rec.quiet_time_zone,
            )
            sources[QUIET_HOURS] = source
    for method, source in merged_methods(own.payment_methods, inherited.payment_methods):
        out.payment_methods.append(method)
        sources[f"{PAYMENT_METHODS}.{method.channel}"] = source
    outs: dict[tuple[str, str], tuple[OptOutRecord, str]] = {
        (o.channel, o.purpose): (o, FROM_CLUSTER) for o in inherited.opt_outs
    }
    outs.update({(o.channel, o.purpose): (o, FROM_CUSTOMER) for o in own.opt_outs})
    for (channel, purpose), (opt, source) in sorted(outs.items()):
        if not opt.opt_back_in:
            out.opt_outs.append(opt)
            sources[f"{OPT_OUTS}.{channel}.{purpose}"] = source
    return EffectiveProfile(tenant, customer_id, cluster_id, out, sources)
