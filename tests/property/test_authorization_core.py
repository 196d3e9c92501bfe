"""GetAuthorizationContext computed in ``_core`` (``AuthorizationRules.authorization_context``: risk signals,
preferred method and the whole encoding from the stored rows) is byte for byte what the Python rules
(``Lookup.context_of``: ``risk.signals.assess``, ``ProfilePreferences``) and ``authorization_encoded`` give for
the same rows, on random cards, clusters, velocity rows, profiles and tenant settings that make every rule
fire and not fire; and what the core leaves to Python (a rate that is not a plain decimal, an amount beyond
its exact range, an unknown identifier kind) is answered by the Python path."""

from __future__ import annotations

import random
from typing import cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crs._core import CoreError
from crs.api.cluster_convert import authorization_encoded, authorization_response, core_encoded
from crs.domain.cards import Cards
from crs.domain.checkout.sources import ProfilePreferences
from crs.domain.clusters.records import ClusterRecord
from crs.domain.identity.kinds import IdentifierKind
from crs.domain.lookup import ContextRows, Lookup
from crs.domain.profile_records import PaymentMethodRecord, ProfileRecord
from crs.domain.profiles import Profiles
from crs.domain.records import AccountRecord, CardRecord, CustomerRecord, encode
from crs.domain.risk.config import RiskConfig, TenantRiskConfig
from crs.domain.risk.signals import DEFAULT_SCORES
from crs.domain.risk.windows import DAY_US, HOUR_US, MINUTE_US, VelocityState, apply_event
from crs.storage.base import Record, Store
from tests.property.test_authorization_encoding import card_lookup
from tests.property.test_lookup_encoding import _ACCOUNT, _CARD, _CUSTOMER, _ID

T0 = 1_764_000_000_000_000  # 2025-11-24, microseconds
TENANT = "acme"

_CONFIG = st.builds(
    RiskConfig,
    velocity_1m_count=st.integers(1, 4),
    velocity_1h_count=st.integers(1, 10),
    velocity_24h_count=st.integers(1, 30),
    velocity_30d_count=st.integers(1, 60),
    velocity_24h_amount_eur_cents=st.integers(-5, 3_000_000),
    many_names=st.integers(-1, 5),
    identity_burst=st.integers(-1, 3),
    burst_window_hours=st.integers(1, 48),
    new_card_days=st.integers(0, 30),
    old_cluster_days=st.integers(0, 400),
    scores=st.dictionaries(st.sampled_from(sorted(DEFAULT_SCORES)), st.integers(-50, 80), max_size=4),
    eur_rates=st.dictionaries(
        st.sampled_from(["USD", "JPY", "KWD", "SEK"]),
        st.from_regex(r"[0-9]{1,3}(\.[0-9]{1,6})?", fullmatch=True).filter(lambda r: float(r) > 0),
        max_size=3,
    ),
)
_KINDS = [k.value for k in IdentifierKind]
_FLAG = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(_KINDS),
        "fingerprint": st.from_regex(r"[0-9a-f]{8}", fullmatch=True),
        "masked": st.text(max_size=8),
        "count": st.integers(2, 50),
    }
)
_STATS = st.dictionaries(
    st.sampled_from(["customers", "distinct_names", "distinct_emails", "distinct_cards"]), st.integers(0, 7)
)
_METHOD = st.builds(
    PaymentMethodRecord,
    channel=st.sampled_from(["POS", "ECOMMERCE", "IN_APP", "MOTO", "RECURRING", "P2P"]),
    kind=st.sampled_from(["CARD", "ACCOUNT", "WALLET", "BANK_TRANSFER", "BNPL"]),
    card_id=st.sampled_from(["", "k1"]),
    account_id=st.sampled_from(["", "a1"]),
    provider=st.sampled_from(["", "IDEAL", "PAYPAL", "KLARNA", "ACME_PAY"]),
)
_PROFILE = st.one_of(st.none(), st.lists(_METHOD, max_size=4))
_CURRENCIES = ["EUR", "USD", "JPY", "KWD", "SEK", "GBP"]


def _lookup(cfg: RiskConfig) -> Lookup:
    """A Lookup whose rules are ``cfg``'s; the store and cards are not used by ``context_of``."""
    prefs = ProfilePreferences(cast(Profiles, None))
    return Lookup(cast(Store, None), cast(Cards, None), TenantRiskConfig({TENANT: cfg}), prefs)


def _velocity_row(seed: int, events: int, now: int, max_amount: int) -> bytes:
    rng = random.Random(seed)
    state = VelocityState()
    for i in range(events):
        span = rng.choice([MINUTE_US, HOUR_US, DAY_US, 35 * DAY_US])
        amount = rng.randint(1, max_amount)
        apply_event(state, f"t{i}", now - rng.randint(0, span), rng.choice(_CURRENCIES), amount, 10 * MINUTE_US, 64)
    return encode(state)


def _profile(owner_kind: str, methods: list[PaymentMethodRecord] | None) -> Record | None:
    if methods is None:
        return None
    return Record(encode(ProfileRecord(TENANT, owner_kind, "x", payment_methods=methods)), "v")


@st.composite
def _rows(draw: st.DrawFn) -> tuple[ContextRows, int]:
    now = T0 + draw(st.integers(0, 400 * DAY_US))
    card: CardRecord = draw(_CARD)
    card.tenant = TENANT
    card.state = draw(st.sampled_from([1, 1, 1, 2, 3, 4, 5, 6]))
    card.create_us = now - draw(st.integers(-DAY_US, 40 * DAY_US))
    account: AccountRecord | None = draw(st.one_of(st.none(), _ACCOUNT))
    owners: list[CustomerRecord] = draw(st.lists(_CUSTOMER, min_size=1, max_size=3))
    ids = [o.id for o in owners]
    clusters_of = {c: draw(_ID) for c in draw(st.lists(st.sampled_from(ids), unique=True))}
    cluster = None
    if draw(st.booleans()):
        cluster = ClusterRecord(
            TENANT,
            draw(_ID),
            state=draw(st.sampled_from([1, 1, 1, 2, 4])),
            version=draw(st.integers(1, 10**6)),
            size=draw(st.integers(0, 500)),
            first_seen_us=draw(st.one_of(st.just(0), st.integers(now - 500 * DAY_US, now))),
            stats=draw(_STATS),
            risk_flags=draw(st.lists(_FLAG, max_size=3)),
        )
    velocity = None
    if cluster is not None and draw(st.booleans()):
        max_amount = draw(st.sampled_from([100, 100_000, 10**9]))
        velocity = _velocity_row(draw(st.integers(0, 10**6)), draw(st.integers(0, 60)), now, max_amount)
    holder_cluster = cluster.id if cluster is not None else ""
    prefs = [_profile("customers", draw(_PROFILE))]
    if holder_cluster:
        prefs.append(_profile("clusters", draw(_PROFILE)))
    found = card_lookup(card, account, owners)
    rows = ContextRows(
        TENANT,
        found,
        clusters_of,
        holder_cluster,
        Record(encode(cluster), "v") if cluster is not None else None,
        Record(velocity, "v") if velocity is not None else None,
        prefs,
    )
    return rows, now


def _python(lookup: Lookup, rows: ContextRows, now: int) -> bytes:
    return authorization_encoded(lookup.context_of(rows, now), now)


@settings(max_examples=500, deadline=None)
@given(_rows(), _CONFIG)
def test_core_answer_equals_the_python_rules(drawn: tuple[ContextRows, int], cfg: RiskConfig) -> None:
    rows, now = drawn
    lookup = _lookup(cfg)
    rules = lookup.core_rules(TENANT)
    assert rules is not None  # plain rates and integer settings: the core takes every one of these
    assert core_encoded(rules, rows, now) == _python(lookup, rows, now)
    assert authorization_response(lookup, rows, now) == _python(lookup, rows, now)


def _one(cluster_flags: list[dict[str, str | int]], velocity: bytes | None) -> tuple[ContextRows, int]:
    card = CardRecord(TENANT, "k", "a", "c", "tok", "fp", "499999", "0007", "VISA", 3, 2030, create_us=T0)
    owner = CustomerRecord(TENANT, "c", 1, "Ann")
    cluster = ClusterRecord(TENANT, "q", first_seen_us=T0 - 300 * DAY_US, risk_flags=cluster_flags)
    found = card_lookup(card, None, [owner])
    rows = ContextRows(
        TENANT,
        found,
        {"c": "q"},
        "q",
        Record(encode(cluster), "v"),
        Record(velocity, "v") if velocity is not None else None,
        [None, None],
    )
    return rows, T0


def test_what_the_core_leaves_to_python_is_answered_by_python() -> None:
    # An exchange rate in exponent notation: the tenant's rules stay in Python.
    lookup = _lookup(RiskConfig(eur_rates={"USD": "9.2E-1"}))
    assert lookup.core_rules(TENANT) is None
    rows, now = _one([], _velocity_row(1, 30, T0, 10**6))
    assert authorization_response(lookup, rows, now) == _python(lookup, rows, now)
    # An amount beyond Python's 28 exact digits: this call goes to Python.
    lookup = _lookup(RiskConfig(eur_rates={"USD": "1.123456789012345"}))
    state = VelocityState()
    apply_event(state, "t", T0 - 1, "USD", 9 * 10**17, 10 * MINUTE_US, 64)
    rows, now = _one([], encode(state))
    rules = lookup.core_rules(TENANT)
    assert rules is not None
    with pytest.raises(CoreError):
        core_encoded(rules, rows, now)
    assert authorization_response(lookup, rows, now) == _python(lookup, rows, now)
    # A shared identifier of a kind the API does not know: both paths refuse the record.
    rows, now = _one([{"kind": "SHOE_SIZE", "fingerprint": "ab", "masked": "4*", "count": 3}], None)
    with pytest.raises(CoreError):
        core_encoded(rules, rows, now)
    with pytest.raises(ValueError):
        authorization_response(lookup, rows, now)


def test_other_preferences_take_the_python_path() -> None:
    from crs.domain.checkout.methods import NoPreferences

    lookup = Lookup(cast(Store, None), cast(Cards, None), TenantRiskConfig(), NoPreferences())
    assert lookup.core_rules(TENANT) is None
    rows, now = _one([], None)
    rows = ContextRows(TENANT, rows.lookup, rows.clusters_of, "q", rows.cluster, None, [])
    assert authorization_response(lookup, rows, now) == _python(lookup, rows, now)
