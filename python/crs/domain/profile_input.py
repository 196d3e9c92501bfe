"""A profile update as the caller sent it, its field-mask paths, and the checks that need no store."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, field

from crs._core import is_token_shaped
from crs.domain.errors import InvalidArgument, Violations
from crs.domain.freetext import clean_line
from crs.domain.names import parse_name
from crs.domain.profile_records import (
    ACCOUNT,
    BANK_TRANSFER,
    BNPL,
    CARD,
    CHECKOUT_CHANNELS,
    CONTACT_CHANNELS,
    CONTACT_PURPOSES,
    NO_MINUTE,
    WALLET,
    OptOutRecord,
    PaymentMethodRecord,
    ThresholdRecord,
)
from crs.domain.validation import check_currency, check_language, parse_date

MAX_THRESHOLDS = 20
MAX_LIMIT_MINOR = 10**15
_PROVIDER = re.compile(r"[A-Z][A-Z0-9_]{1,39}")

PAYMENT_METHODS = "default_payment_methods"
CURRENCY = "preferred_currency"
LANGUAGE = "preferred_language"
CHANNEL_ORDER = "contact_preferences.channel_order"
QUIET_HOURS = "contact_preferences.quiet_hours"
OPT_OUTS = "contact_preferences.opt_outs"
THRESHOLDS = "payment_thresholds"
LEAF_PATHS = (PAYMENT_METHODS, CURRENCY, LANGUAGE, CHANNEL_ORDER, QUIET_HOURS, OPT_OUTS, THRESHOLDS)
_GROUPS = {"*": LEAF_PATHS, "contact_preferences": (CHANNEL_ORDER, QUIET_HOURS, OPT_OUTS)}


@dataclass(slots=True)
class MethodInput:
    kind: str = ""  # "" when the caller set none of the oneof
    card_token: str = ""
    account: str = ""  # resource name
    provider: str = ""
    reference: str = ""


@dataclass(slots=True)
class QuietInput:
    start: tuple[int, int, int, int]  # hours, minutes, seconds, nanos
    end: tuple[int, int, int, int]
    time_zone: str


@dataclass(slots=True)
class ThresholdInput:
    currency: str
    per_transaction_minor: int
    daily_minor: int
    effective_from: tuple[int, int, int]
    effective_until: tuple[int, int, int]


@dataclass(slots=True)
class ProfileInput:
    payment_methods: dict[str, MethodInput] = field(default_factory=dict)
    preferred_currency: str = ""
    preferred_language: str = ""
    channel_order: list[int] = field(default_factory=list)
    quiet_hours: QuietInput | None = None
    opt_outs: list[tuple[int, int, bool]] = field(default_factory=list)
    thresholds: list[ThresholdInput] = field(default_factory=list)


def expand_paths(paths: Sequence[str]) -> list[str]:
    """Mask paths -> leaf paths (``default_payment_methods.POS`` kept as is); unknown paths are INVALID_ARGUMENT."""
    if not paths:
        raise InvalidArgument.of("update_mask", "must name at least one field")
    out: list[str] = []
    for p in paths:
        leaves = _GROUPS.get(p)
        if leaves is None:
            head, _, channel = p.partition(".")
            if p in LEAF_PATHS or (head == PAYMENT_METHODS and channel in CHECKOUT_CHANNELS):
                leaves = (p,)
            else:
                raise InvalidArgument.of("update_mask", f"unknown field path {p!r}", "INVALID_UPDATE_MASK")
        out += [leaf for leaf in leaves if leaf not in out]
    return out


def _enum_name(names: tuple[str, ...], number: int) -> str | None:
    return names[number - 1] if 1 <= number <= len(names) else None


def payment_method(v: Violations, path: str, channel: str, m: MethodInput) -> PaymentMethodRecord:
    """Shape checks only; the card token and account are resolved against the store by the caller."""
    rec = PaymentMethodRecord(channel=channel, kind=m.kind)
    if m.kind == CARD:
        if not is_token_shaped(m.card_token):
            v.add(f"{path}.card_token", "must be the vault token of a registered card (never a card number)")
        rec.card_token = m.card_token if is_token_shaped(m.card_token) else ""
    elif m.kind == ACCOUNT or (m.kind == BANK_TRANSFER and m.account):
        sub = "account" if m.kind == ACCOUNT else "bank_transfer.account"
        try:
            rec.account_id = parse_name(m.account, "accounts", f"{path}.{sub}").id
        except InvalidArgument as err:
            v.items += err.violations
    elif m.kind not in (WALLET, BANK_TRANSFER, BNPL):
        v.add(path, "must set one of card_token, account, wallet, bank_transfer, bnpl")
    if m.kind in (WALLET, BANK_TRANSFER, BNPL):
        sub = {WALLET: "wallet.provider", BANK_TRANSFER: "bank_transfer.scheme", BNPL: "bnpl.provider"}[m.kind]
        if not _PROVIDER.fullmatch(m.provider):
            v.add(f"{path}.{sub}", "must be 2-40 upper-case letters, digits or '_' (e.g. APPLE_PAY, SEPA_CREDIT)")
        rec.provider = m.provider
    if m.kind == WALLET:
        rec.reference = clean_line(v, f"{path}.wallet.reference", m.reference, refuse_pans=True)
    return rec


def channel_order(v: Violations, path: str, numbers: Sequence[int]) -> list[str]:
    if len(numbers) > len(CONTACT_CHANNELS):
        v.add(path, f"must list at most {len(CONTACT_CHANNELS)} channels, each once")
        return []
    out: list[str] = []
    for i, n in enumerate(numbers):
        name = _enum_name(CONTACT_CHANNELS, n)
        if name is None:
            v.add(f"{path}[{i}]", "must be a defined contact channel")
        elif name in out:
            v.add(f"{path}[{i}]", f"{name} is listed twice")
        else:
            out.append(name)
    return out


def _minute(v: Violations, path: str, t: tuple[int, int, int, int]) -> int:
    hours, minutes, seconds, nanos = t
    if not (0 <= hours <= 23 and 0 <= minutes <= 59) or seconds or nanos:
        v.add(path, "must be a time of day in whole minutes, 00:00 to 23:59")
        return NO_MINUTE
    return hours * 60 + minutes


def valid_time_zone(name: str) -> bool:
    if not name or len(name) > 64 or name.startswith(("/", ".")) or ".." in name:
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def quiet_hours(v: Violations, path: str, q: QuietInput | None) -> tuple[int, int, str]:
    if q is None:
        return NO_MINUTE, NO_MINUTE, ""
    start = _minute(v, f"{path}.start", q.start)
    end = _minute(v, f"{path}.end", q.end)
    if start != NO_MINUTE and start == end:
        v.add(f"{path}.end", "must differ from start")
    if not valid_time_zone(q.time_zone):
        v.add(f"{path}.time_zone", "must be an IANA time zone such as Europe/Tallinn")
    return start, end, q.time_zone


def opt_outs(v: Violations, path: str, items: Sequence[tuple[int, int, bool]], on_cluster: bool) -> list[OptOutRecord]:
    limit = len(CONTACT_CHANNELS) * len(CONTACT_PURPOSES)
    if len(items) > limit:
        v.add(path, f"must have at most {limit} entries, one per (channel, purpose)")
        return []
    out: list[OptOutRecord] = []
    seen: set[tuple[str, str]] = set()
    for i, (channel_n, purpose_n, back_in) in enumerate(items):
        channel = _enum_name(CONTACT_CHANNELS, channel_n)
        purpose = _enum_name(CONTACT_PURPOSES, purpose_n)
        if channel is None:
            v.add(f"{path}[{i}].channel", "must be a defined contact channel")
        if purpose is None:
            v.add(f"{path}[{i}].purpose", "must be a defined contact purpose")
        if back_in and on_cluster:
            v.add(f"{path}[{i}].opt_back_in", "applies to customer profiles only")
        if channel is None or purpose is None:
            continue
        if (channel, purpose) in seen:
            v.add(f"{path}[{i}]", f"{channel}/{purpose} is listed twice")
        seen.add((channel, purpose))
        out.append(OptOutRecord(channel, purpose, back_in))
    return out


def _limit(v: Violations, path: str, value: int) -> None:
    if not 0 <= value <= MAX_LIMIT_MINOR:
        v.add(path, f"must be between 0 and {MAX_LIMIT_MINOR} minor units")


def thresholds(v: Violations, path: str, items: Sequence[ThresholdInput]) -> list[ThresholdRecord]:
    if len(items) > MAX_THRESHOLDS:
        v.add(path, f"must have at most {MAX_THRESHOLDS} entries")
        return []
    out: list[tuple[int, ThresholdRecord]] = []
    for i, t in enumerate(items):
        p = f"{path}[{i}]"
        check_currency(v, f"{p}.currency_code", t.currency)
        _limit(v, f"{p}.per_transaction_limit_minor", t.per_transaction_minor)
        _limit(v, f"{p}.daily_limit_minor", t.daily_minor)
        if t.per_transaction_minor <= 0 and t.daily_minor <= 0:
            v.add(p, "must set per_transaction_limit_minor or daily_limit_minor")
        if t.per_transaction_minor > 0 and 0 < t.daily_minor < t.per_transaction_minor:
            v.add(f"{p}.daily_limit_minor", "must not be below per_transaction_limit_minor")
        start = parse_date(v, f"{p}.effective_from", *t.effective_from)
        if not start and t.effective_from == (0, 0, 0):
            v.add(f"{p}.effective_from", "is required")
        until = parse_date(v, f"{p}.effective_until", *t.effective_until)
        if start and until and until <= start:
            v.add(f"{p}.effective_until", "must be after effective_from")
        out.append((i, ThresholdRecord(t.currency, t.per_transaction_minor, t.daily_minor, start, until)))
    _overlaps(v, path, out)
    return sorted((t for _, t in out), key=lambda t: (t.currency, t.effective_from))


def _overlaps(v: Violations, path: str, items: Sequence[tuple[int, ThresholdRecord]]) -> None:
    """Periods in one currency must not overlap ([from, until), until "" = forever)."""
    dated = sorted((t.currency, t.effective_from, t.effective_until or "9999-12-31", i) for i, t in items)
    for (cur_a, from_a, until_a, i_a), (cur_b, from_b, _until_b, i_b) in itertools.pairwise(dated):
        if cur_a == cur_b and from_a and from_b and from_b < until_a:
            first, second = sorted((i_a, i_b))
            v.add(f"{path}[{second}].effective_from", f"overlaps the period of {path}[{first}] in {cur_a}")


def scalars(v: Violations, prefix: str, inp: ProfileInput, leaves: Sequence[str]) -> None:
    if CURRENCY in leaves and inp.preferred_currency:
        check_currency(v, f"{prefix}.{CURRENCY}", inp.preferred_currency)
    if LANGUAGE in leaves and inp.preferred_language:
        check_language(v, f"{prefix}.{LANGUAGE}", inp.preferred_language)


def today() -> str:
    return dt.datetime.now(dt.UTC).date().isoformat()
