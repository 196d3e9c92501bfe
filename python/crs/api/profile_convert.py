"""ProfileService messages <-> domain profile input and records."""

from __future__ import annotations

from google.type import timeofday_pb2

from crs.api.convert import date_in, date_out, ts
from crs.domain.effective_profile import EffectiveProfile
from crs.domain.profile_input import MethodInput, ProfileInput, QuietInput, ThresholdInput
from crs.domain.profile_records import (
    ACCOUNT,
    BANK_TRANSFER,
    BNPL,
    CARD,
    CONTACT_CHANNELS,
    CONTACT_PURPOSES,
    WALLET,
    PaymentMethodRecord,
    ProfileRecord,
)
from crs.v1 import profile_pb2

P = profile_pb2


def _method_in(m: profile_pb2.PaymentMethod) -> MethodInput:
    which = m.WhichOneof("method")
    if which == "card_token":
        return MethodInput(CARD, card_token=m.card_token)
    if which == "account":
        return MethodInput(ACCOUNT, account=m.account)
    if which == "wallet":
        return MethodInput(WALLET, provider=m.wallet.provider, reference=m.wallet.reference)
    if which == "bank_transfer":
        return MethodInput(BANK_TRANSFER, account=m.bank_transfer.account, provider=m.bank_transfer.scheme)
    if which == "bnpl":
        return MethodInput(BNPL, provider=m.bnpl.provider)
    return MethodInput()


def _time_in(t: timeofday_pb2.TimeOfDay) -> tuple[int, int, int, int]:
    return (t.hours, t.minutes, t.seconds, t.nanos)


def profile_in(p: profile_pb2.Profile) -> ProfileInput:
    c = p.contact_preferences
    quiet = None
    if c.HasField("quiet_hours"):
        q = c.quiet_hours
        quiet = QuietInput(_time_in(q.start), _time_in(q.end), q.time_zone)
    return ProfileInput(
        payment_methods={k: _method_in(m) for k, m in p.default_payment_methods.items()},
        preferred_currency=p.preferred_currency,
        preferred_language=p.preferred_language,
        channel_order=list(c.channel_order),
        quiet_hours=quiet,
        opt_outs=[(o.channel, o.purpose, o.opt_back_in) for o in c.opt_outs],
        thresholds=[
            ThresholdInput(
                t.currency_code,
                t.per_transaction_limit_minor,
                t.daily_limit_minor,
                date_in(t.effective_from),
                date_in(t.effective_until),
            )
            for t in p.payment_thresholds
        ],
    )


def _method_out(tenant: str, m: PaymentMethodRecord) -> profile_pb2.PaymentMethod:
    account = f"tenants/{tenant}/accounts/{m.account_id}" if m.account_id else ""
    if m.kind == CARD:
        return P.PaymentMethod(card_token=m.card_token)
    if m.kind == ACCOUNT:
        return P.PaymentMethod(account=account)
    if m.kind == WALLET:
        return P.PaymentMethod(wallet=P.WalletMethod(provider=m.provider, reference=m.reference))
    if m.kind == BANK_TRANSFER:
        return P.PaymentMethod(bank_transfer=P.BankTransferMethod(account=account, scheme=m.provider))
    return P.PaymentMethod(bnpl=P.BnplMethod(provider=m.provider))


def _time_out(minute: int) -> timeofday_pb2.TimeOfDay:
    return timeofday_pb2.TimeOfDay(hours=minute // 60, minutes=minute % 60)


def profile_out(r: ProfileRecord) -> profile_pb2.Profile:
    contact = P.ContactPreferences(
        channel_order=[CONTACT_CHANNELS.index(c) + 1 for c in r.channel_order],  # type: ignore[misc]
        opt_outs=[
            P.OptOut(
                channel=CONTACT_CHANNELS.index(o.channel) + 1,  # type: ignore[arg-type]
                purpose=CONTACT_PURPOSES.index(o.purpose) + 1,  # type: ignore[arg-type]
                opt_back_in=o.opt_back_in,
            )
            for o in r.opt_outs
        ],
    )
    if r.has_quiet_hours:
        contact.quiet_hours.CopyFrom(
            P.QuietHours(
                start=_time_out(r.quiet_start_min), end=_time_out(r.quiet_end_min), time_zone=r.quiet_time_zone
            )
        )
    out = P.Profile(
        name=r.name,
        preferred_currency=r.preferred_currency,
        preferred_language=r.preferred_language,
        contact_preferences=contact,
        payment_thresholds=[
            P.PaymentThreshold(
                currency_code=t.currency,
                per_transaction_limit_minor=t.per_transaction_minor,
                daily_limit_minor=t.daily_minor,
                effective_from=date_out(t.effective_from),
                effective_until=date_out(t.effective_until),
            )
            for t in r.thresholds
        ],
        etag=r.version,
        update_time=ts(r.update_us),
    )
    for m in r.payment_methods:
        out.default_payment_methods[m.channel].CopyFrom(_method_out(r.tenant, m))
    return out


def effective_out(e: EffectiveProfile) -> profile_pb2.EffectiveProfile:
    return P.EffectiveProfile(
        name=e.merged.name,
        cluster=f"tenants/{e.tenant}/clusters/{e.cluster_id}" if e.cluster_id else "",
        profile=profile_out(e.merged),
        sources={path: P.ProfileSource.Value(f"PROFILE_SOURCE_{s}") for path, s in e.sources.items()},  # type: ignore[misc]
    )
