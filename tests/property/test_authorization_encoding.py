"""``cluster_convert.authorization_encoded`` (head encoded in ``_core``, cluster and risk appended) is exactly the
AuthorizationContext the protobuf runtime builds field by field from the same records: random records, stored
with ``records.encode``, both ways."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crs._core import CoreError, authorization_context_head
from crs.api import convert
from crs.api.cluster_convert import _flags, authorization_encoded, stats_out
from crs.api.risk_convert import signal_out, velocity_out
from crs.domain.cards import CardLookup
from crs.domain.clusters.records import ClusterRecord
from crs.domain.lookup import AuthorizationContext
from crs.domain.records import AccountRecord, CardRecord, CustomerRecord, encode
from crs.domain.risk.signals import Assessment, Signal
from crs.domain.risk.velocity import Velocity
from crs.domain.risk.windows import LEVEL_NAMES, Totals
from crs.v1 import lookup_pb2, risk_pb2
from tests.property.test_lookup_encoding import _ACCOUNT, _CARD, _CUSTOMER, _ID

_ACTIVE = 1
_MOSTLY_ACTIVE = st.sampled_from([1, 1, 1, 2, 6])
_US = st.integers(min_value=1, max_value=4 * 10**15)
_STATS = st.dictionaries(
    st.sampled_from(list(lookup_pb2.ClusterContext().stats.DESCRIPTOR.fields_by_name)), st.integers(0, 99)
)
_FLAG = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["EMAIL", "PHONE", "NATIONAL_ID"]),
        "fingerprint": st.from_regex(r"[0-9a-f]{8}", fullmatch=True),
        "masked": st.text(max_size=8),
        "count": st.integers(2, 50),
    }
)
_CLUSTER = st.builds(
    ClusterRecord,
    tenant=_ID,
    id=_ID,
    version=st.integers(1, 10**6),
    size=st.integers(0, 500),
    first_seen_us=st.one_of(st.just(0), _US),
    stats=_STATS,
    risk_flags=st.lists(_FLAG, max_size=2),
)
_TOTALS = st.builds(
    Totals,
    count=st.integers(0, 10**6),
    by_currency=st.dictionaries(
        st.sampled_from(["EUR", "USD", "CNY", "JPY"]), st.tuples(st.integers(0, 10**6), st.integers(0, 10**12))
    ),
)
_VELOCITY = st.builds(
    Velocity,
    cluster_id=_ID,
    at_us=_US,
    windows=st.dictionaries(st.sampled_from(LEVEL_NAMES), _TOTALS),
    watermark_us=st.one_of(st.just(0), _US),
    late_dropped=st.integers(0, 10**6),
    duplicates=st.integers(0, 10**6),
)
_RISK = st.builds(
    Assessment,
    signals=st.lists(st.builds(Signal, code=_ID, score=st.integers(0, 100), reason=st.text(max_size=20)), max_size=3),
    score=st.integers(0, 100),
)


def _cluster_context(c: ClusterRecord) -> lookup_pb2.ClusterContext:
    return lookup_pb2.ClusterContext(
        cluster=f"tenants/{c.tenant}/clusters/{c.id}",
        version=c.version,
        size=c.size,
        customer_since=convert.ts(c.first_seen_us),
        stats=stats_out(c),
        risk_flags=_flags(c),
    )


def _summary(a: Assessment, v: Velocity | None) -> risk_pb2.RiskSummary:
    out = risk_pb2.RiskSummary(score=a.score, signals=[signal_out(s) for s in a.signals])
    if v is not None:
        out.velocity.CopyFrom(velocity_out(v))
    return out


def _reference(ctx: AuthorizationContext, now_us: int) -> lookup_pb2.AuthorizationContext:
    """The message built with protobuf objects from decoded records and the domain's values (what the servicer
    returned before the message moved to ``_core``)."""
    card, account, owners = ctx.lookup.card, ctx.lookup.account, ctx.lookup.owners
    now = dt.datetime.fromtimestamp(now_us / 1e6, dt.UTC)
    expired = (card.expiry_year, card.expiry_month) < (now.year, now.month)
    usable = (
        card.state == _ACTIVE
        and not expired
        and account is not None
        and account.status == _ACTIVE
        and any(o.status == _ACTIVE for o in owners)
    )
    t = card.tenant
    return lookup_pb2.AuthorizationContext(
        card=lookup_pb2.CardContext(
            card=f"tenants/{t}/cards/{card.id}",
            token=card.token,
            brand=convert.brand_out(card.brand),  # type: ignore[arg-type]
            bin=card.bin,
            last4=card.last4,
            state=card.state,  # type: ignore[arg-type]
            expiry_month=card.expiry_month,
            expiry_year=card.expiry_year,
            expired=expired,
            usable=usable,
        ),
        account=lookup_pb2.AccountContext(
            account=f"tenants/{account.tenant}/accounts/{account.id}",
            kind=account.kind,  # type: ignore[arg-type]
            status=account.status,  # type: ignore[arg-type]
            currency_code=account.currency_code,
        )
        if account is not None
        else None,
        owners=[
            lookup_pb2.CustomerContext(
                customer=f"tenants/{o.tenant}/customers/{o.id}",
                kind=o.kind,  # type: ignore[arg-type]
                status=o.status,  # type: ignore[arg-type]
                display_name=o.display_name,
                customer_since=convert.ts(o.create_us),
                cluster=f"tenants/{o.tenant}/clusters/{ctx.clusters_of[o.id]}" if o.id in ctx.clusters_of else "",
            )
            for o in owners
        ],
        cluster=_cluster_context(ctx.cluster) if ctx.cluster is not None else None,
        as_of_time=convert.ts(now_us),
        risk=_summary(ctx.risk, ctx.velocity) if ctx.risk is not None else None,
        preferred_method=ctx.preferred_method,
    )


def _context(
    card: CardRecord,
    account: AccountRecord | None,
    owners: list[CustomerRecord],
    clusters_of: dict[str, str],
    cluster: ClusterRecord | None,
    risk: Assessment | None,
    preferred: str,
    velocity: Velocity | None = None,
) -> AuthorizationContext:
    return AuthorizationContext(card_lookup(card, account, owners), clusters_of, cluster, risk, velocity, preferred)


def card_lookup(card: CardRecord, account: AccountRecord | None, owners: list[CustomerRecord]) -> CardLookup:
    """The ``CardLookup`` of these records as stored (``records.encode``), the owners' ids in their order."""
    card_json = encode(card)
    return CardLookup(
        json.loads(card_json),
        card_json,
        encode(account) if account is not None else None,
        [encode(o) for o in owners],
        [o.id for o in owners],
    )


@settings(max_examples=300, deadline=None)
@given(
    _CARD,
    st.one_of(st.none(), _ACCOUNT),
    st.lists(_CUSTOMER, max_size=3),
    st.data(),
    st.one_of(st.none(), _CLUSTER),
    st.one_of(st.none(), _RISK),
    st.one_of(st.none(), _VELOCITY),
    st.sampled_from(["", "CARD", "SEPA_DIRECT_DEBIT", "CARD:tenants/t/cards/k"]),
    st.integers(min_value=0, max_value=4 * 10**15),
)
def test_same_message_as_the_protobuf_runtime(
    card: CardRecord,
    account: AccountRecord | None,
    owners: list[CustomerRecord],
    data: st.DataObject,
    cluster: ClusterRecord | None,
    risk: Assessment | None,
    velocity: Velocity | None,
    preferred: str,
    now_us: int,
) -> None:
    # usable is a conjunction: mostly-ACTIVE states and unexpired cards make every one of its terms matter
    card.state = data.draw(_MOSTLY_ACTIVE)
    if data.draw(st.booleans()):
        card.expiry_year = 2100
    if account is not None:
        account.status = data.draw(_MOSTLY_ACTIVE)
    for o in owners:
        o.status = data.draw(_MOSTLY_ACTIVE)
    ids = [o.id for o in owners]
    in_cluster = data.draw(st.lists(st.sampled_from(ids), unique=True) if ids else st.just([]))
    clusters_of = {c: data.draw(_ID) for c in in_cluster}
    ctx = _context(card, account, owners, clusters_of, cluster, risk, preferred, velocity)
    want = _reference(ctx, now_us)
    encoded = authorization_encoded(ctx, now_us)
    assert lookup_pb2.AuthorizationContext.FromString(encoded) == want
    # the tail (fields 4 and 6) is byte for byte what the runtime writes for them: same order, same presence
    tail = lookup_pb2.AuthorizationContext()
    for field in ("cluster", "risk"):
        if want.HasField(field):
            getattr(tail, field).CopyFrom(getattr(want, field))
    assert encoded.endswith(tail.SerializeToString(deterministic=True))


def test_expiry_at_the_turn_of_the_month() -> None:
    card = CardRecord("t", "k", "a", "c", "4999998189010007", "f" * 64, "499999", "0007", "VISA", 3, 2030)
    owner = CustomerRecord("t", "c", 1, "Ann")
    account = AccountRecord("t", "a", "c", 1, "EUR")
    ctx = _context(card, account, [owner], {"c": "q"}, None, None, "")
    last = int(dt.datetime(2030, 3, 31, 23, 59, 59, tzinfo=dt.UTC).timestamp() * 1e6)
    for now_us, expired in ((last, False), (last + 1_000_000, True)):
        got = lookup_pb2.AuthorizationContext.FromString(authorization_encoded(ctx, now_us))
        assert (got.card.expired, got.card.usable) == (expired, not expired)
        assert got.owners[0].cluster == "tenants/t/clusters/q"


def test_a_bad_record_is_an_error_that_does_not_quote_it() -> None:
    card = encode(CardRecord("t", "k", "a", "c", "4999998189010007", "f" * 64, "499999", "0007", "VISA", 3, 2030))
    owner = b'{"tenant":"t","id":"4111111111111111"}'  # kind and display_name missing
    with pytest.raises(CoreError) as err:
        authorization_context_head(card, None, [owner], {}, (1, 1970, 1), "")
    assert "4111" not in str(err.value)
