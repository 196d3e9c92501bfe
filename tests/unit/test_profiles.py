"""Profile rules without a server: inheritance merge, quiet hours, thresholds, free-text checks."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crs.domain.effective_profile import QuietHours, merge
from crs.domain.errors import InvalidArgument, Violations
from crs.domain.freetext import clean_line, clean_prose
from crs.domain.profile_input import ThresholdInput, expand_paths, thresholds, valid_time_zone
from crs.domain.profile_records import OptOutRecord, PaymentMethodRecord, ProfileRecord, ThresholdRecord
from crs.domain.records import decode, encode
from tests.helpers.pans import make_pan

UTC = dt.UTC


def _profile(kind: str = "customers", **kw: object) -> ProfileRecord:
    return ProfileRecord("acme", kind, "x", **kw)  # type: ignore[arg-type]


def test_profile_record_roundtrips_through_the_codec() -> None:
    rec = _profile(
        payment_methods=[PaymentMethodRecord("POS", "CARD", card_token="4111110000001234", card_id="c1")],
        opt_outs=[OptOutRecord("EMAIL", "MARKETING", True)],
        thresholds=[ThresholdRecord("EUR", 100, 0, "2026-01-01", "")],
        channel_order=["SMS"],
        quiet_start_min=1320,
        quiet_end_min=420,
        quiet_time_zone="Europe/Tallinn",
        version="v1",
    )
    assert decode(ProfileRecord, encode(rec)) == rec


def test_merge_takes_each_field_from_the_nearest_owner() -> None:
    own = _profile(
        preferred_currency="USD",
        payment_methods=[PaymentMethodRecord("POS", "BNPL", provider="KLARNA")],
        opt_outs=[OptOutRecord("EMAIL", "MARKETING", opt_back_in=True), OptOutRecord("PUSH", "SERVICE")],
    )
    cluster = _profile(
        "clusters",
        preferred_currency="EUR",
        channel_order=["EMAIL", "SMS"],
        quiet_start_min=1320,
        quiet_end_min=420,
        quiet_time_zone="Europe/Tallinn",
        payment_methods=[
            PaymentMethodRecord("POS", "WALLET", provider="APPLE_PAY"),
            PaymentMethodRecord("MOTO", "WALLET", provider="PAYPAL"),
        ],
        opt_outs=[OptOutRecord("EMAIL", "MARKETING"), OptOutRecord("SMS", "MARKETING")],
    )
    e = merge("acme", "x", "k1", own, cluster, "fi")
    assert e.merged.preferred_currency == "USD" and e.sources["preferred_currency"] == "CUSTOMER"
    assert e.merged.preferred_language == "fi" and e.sources["preferred_language"] == "CUSTOMER_RECORD"
    assert e.payment_methods["POS"].provider == "KLARNA" and e.payment_methods["MOTO"].provider == "PAYPAL"
    assert e.sources["default_payment_methods.MOTO"] == "CLUSTER"
    contact = e.contact
    assert contact.opt_outs == frozenset({("SMS", "MARKETING"), ("PUSH", "SERVICE")})
    assert contact.allows("EMAIL", "MARKETING") and not contact.allows("SMS", "MARKETING")
    assert contact.channels_for("MARKETING") == ("EMAIL",)
    assert contact.language == "fi"
    assert contact.quiet_hours == QuietHours(1320, 420, "Europe/Tallinn")
    assert e.cluster_id == "k1"


def test_merge_without_a_cluster_profile_keeps_only_own_values() -> None:
    e = merge("acme", "x", "", _profile(preferred_language="et"), None, "en")
    assert e.merged.preferred_language == "et" and e.sources == {"preferred_language": "CUSTOMER"}
    assert e.contact.quiet_hours is None and not e.contact.in_quiet_hours(dt.datetime.now(UTC))


@pytest.mark.parametrize(
    ("start", "end", "utc_time", "quiet"),
    [
        # Europe/Tallinn is UTC+2 in winter: 20:30 UTC = 22:30 local
        (22 * 60, 7 * 60, "2026-01-15T20:30", True),
        (22 * 60, 7 * 60, "2026-01-15T04:59", True),
        (22 * 60, 7 * 60, "2026-01-15T05:00", False),
        (22 * 60, 7 * 60, "2026-01-15T19:59", False),
        (13 * 60, 14 * 60, "2026-07-15T10:30", True),  # summer: UTC+3
        (13 * 60, 14 * 60, "2026-07-15T11:00", False),
    ],
)
def test_quiet_hours_are_local_and_wrap_midnight(start: int, end: int, utc_time: str, quiet: bool) -> None:
    at = dt.datetime.fromisoformat(utc_time).replace(tzinfo=UTC)
    assert QuietHours(start, end, "Europe/Tallinn").contains(at) is quiet


def test_threshold_in_force_on_a_day() -> None:
    rec = _profile(
        thresholds=[
            ThresholdRecord("EUR", 100, 0, "2026-01-01", "2026-07-01"),
            ThresholdRecord("EUR", 200, 0, "2026-07-01", ""),
            ThresholdRecord("USD", 300, 0, "2026-03-01", "2026-04-01"),
        ]
    )
    e = merge("acme", "x", "", rec, None, "")
    assert e.threshold_on(dt.date(2026, 6, 30), "EUR") == rec.thresholds[0]
    assert e.threshold_on(dt.date(2026, 7, 1), "EUR") == rec.thresholds[1]
    assert e.threshold_on(dt.date(2030, 1, 1), "EUR") == rec.thresholds[1]
    assert e.threshold_on(dt.date(2025, 12, 31), "EUR") is None
    assert e.threshold_on(dt.date(2026, 4, 1), "USD") is None


_days = st.integers(min_value=0, max_value=400)


@given(st.lists(st.tuples(_days, st.integers(min_value=1, max_value=60), st.booleans()), max_size=6))
def test_threshold_overlap_check_matches_brute_force(periods: list[tuple[int, int, bool]]) -> None:
    base = dt.date(2026, 1, 1)
    items = []
    spans = []
    for start, length, open_ended in periods:
        s = base + dt.timedelta(days=start)
        u = None if open_ended else s + dt.timedelta(days=length)
        items.append(
            ThresholdInput("EUR", 100, 0, (s.year, s.month, s.day), (u.year, u.month, u.day) if u else (0, 0, 0))
        )
        spans.append((s, u or dt.date.max))
    overlap = any(a[0] < b[1] and b[0] < a[1] for i, a in enumerate(spans) for b in spans[i + 1 :])
    v = Violations()
    thresholds(v, "t", items)
    assert any("overlaps" in x.description for x in v.items) is overlap


def test_expand_paths() -> None:
    assert expand_paths(["contact_preferences"]) == [
        "contact_preferences.channel_order",
        "contact_preferences.quiet_hours",
        "contact_preferences.opt_outs",
    ]
    assert expand_paths(["default_payment_methods.POS", "preferred_currency"]) == [
        "default_payment_methods.POS",
        "preferred_currency",
    ]
    assert len(expand_paths(["*"])) == 7
    for bad in ([], ["etag"], ["default_payment_methods.pos"], ["contact_preferences.quiet_hours.start"]):
        with pytest.raises(InvalidArgument):
            expand_paths(bad)


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("Europe/Tallinn", True),
        ("UTC", True),
        ("America/Argentina/Buenos_Aires", True),
        ("", False),
        ("Mars/Base", False),
        ("/etc/passwd", False),
        ("../x", False),
        ("Europe/../Tallinn", False),
    ],
)
def test_time_zones(name: str, ok: bool) -> None:
    assert valid_time_zone(name) is ok


def test_free_text_masks_card_numbers_and_refuses_them_in_identifiers() -> None:
    pan = make_pan()
    v = Violations()
    out = clean_prose(v, "note", f"  card {pan}\nsecond line  ")
    assert not v.items and pan not in out and out.startswith("card [PAN ") and out.endswith("second line")
    line = clean_line(v, "ref", f"ref {pan}", refuse_pans=True)
    assert pan not in line and [x.field for x in v.items] == ["ref"]
    v2 = Violations()
    clean_line(v2, "subject", "two\nlines")
    clean_prose(v2, "note", "zero\u200bwidth")
    clean_line(v2, "subject", "x" * 201)
    clean_prose(v2, "note", " ", required=True)
    assert [x.field for x in v2.items] == ["subject", "note", "subject", "note"]
