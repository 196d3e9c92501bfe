"""Send time across time zones and quiet hours (injectable clock), and the properties that hold for any input."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from hypothesis import given, settings
from hypothesis import strategies as st

from crs.domain.notifications.preferences import ContactPreferences
from crs.domain.notifications.rules import KindRule
from crs.domain.notifications.timing import in_quiet_hours, send_time
from tests.notifications.world import utc_us

US = 1_000_000
URGENT = KindRule("security", urgent=True)
BILLING = KindRule("billing")


def prefs(tz: str, quiet: tuple[int, int] | None = None) -> ContactPreferences:
    return ContactPreferences(
        ("EMAIL",), {"EMAIL": "a@example.com"}, "en", tz, quiet[0] if quiet else None, quiet[1] if quiet else None
    )


def local(us: int, tz: str) -> dt.datetime:
    return dt.datetime.fromtimestamp(us / US, dt.UTC).astimezone(zoneinfo.ZoneInfo(tz))


NIGHT = (21 * 60, 8 * 60)  # 21:00-08:00


def test_urgent_notice_waits_for_the_end_of_quiet_hours_in_the_customers_zone() -> None:
    now = utc_us(2026, 6, 1, 3, 0)  # 23:00 in New York (EDT), 12:00 in Tokyo, 05:00 in Berlin
    ny = send_time(now, prefs("America/New_York", NIGHT), URGENT, None, 10)
    assert local(ny, "America/New_York").strftime("%Y-%m-%d %H:%M") == "2026-06-01 08:00"
    assert ny == utc_us(2026, 6, 1, 12, 0)
    assert send_time(now, prefs("Asia/Tokyo", NIGHT), URGENT, None, 10) == now
    berlin = send_time(now, prefs("Europe/Berlin", NIGHT), URGENT, None, 10)
    assert local(berlin, "Europe/Berlin").strftime("%H:%M") == "08:00" and berlin == utc_us(2026, 6, 1, 6, 0)
    # Rules may let a kind override quiet hours.
    assert (
        send_time(
            now,
            prefs("America/New_York", NIGHT),
            KindRule("security", urgent=True, override_quiet_hours=True),
            None,
            10,
        )
        == now
    )


def test_non_urgent_notice_goes_out_at_the_hour_the_customer_usually_pays() -> None:
    now = utc_us(2026, 6, 1, 3, 0)  # 12:00 in Tokyo
    usual = send_time(now, prefs("Asia/Tokyo", NIGHT), BILLING, 19, 10)
    assert local(usual, "Asia/Tokyo").strftime("%Y-%m-%d %H:%M") == "2026-06-01 19:00"
    # No payment history: the tenant's default hour, the next day because 10:00 has passed in Tokyo.
    default = send_time(now, prefs("Asia/Tokyo", NIGHT), BILLING, None, 10)
    assert local(default, "Asia/Tokyo").strftime("%Y-%m-%d %H:%M") == "2026-06-02 10:00"
    # A usual hour inside quiet hours is moved to the end of them.
    late = send_time(now, prefs("Asia/Tokyo", NIGHT), BILLING, 23, 10)
    assert local(late, "Asia/Tokyo").strftime("%Y-%m-%d %H:%M") == "2026-06-02 08:00"


def test_quiet_hours_across_a_daylight_saving_change() -> None:
    # Berlin springs forward on 2026-03-29 at 02:00 -> 03:00; quiet hours 22:00-07:00 end at 05:00 UTC that day.
    now = utc_us(2026, 3, 28, 23, 30)  # 00:30 CET
    t = send_time(now, prefs("Europe/Berlin", (22 * 60, 7 * 60)), URGENT, None, 10)
    assert local(t, "Europe/Berlin").strftime("%Y-%m-%d %H:%M %Z") == "2026-03-29 07:00 CEST"
    assert t == utc_us(2026, 3, 29, 5, 0)


ZONES = [
    "UTC",
    "America/New_York",
    "Asia/Tokyo",
    "Europe/Berlin",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "Pacific/Chatham",
]


@settings(max_examples=400, deadline=None)
@given(
    now=st.integers(utc_us(2024, 1, 1), utc_us(2030, 1, 1)),
    tz=st.sampled_from(ZONES),
    quiet=st.none() | st.tuples(st.integers(0, 1439), st.integers(0, 1439)),
    urgent=st.booleans(),
    usual=st.none() | st.integers(0, 23),
)
def test_send_time_properties(
    now: int, tz: str, quiet: tuple[int, int] | None, urgent: bool, usual: int | None
) -> None:
    rule = KindRule("billing", urgent=urgent)
    t = send_time(now, prefs(tz, quiet), rule, usual, 10)
    assert now <= t <= now + 2 * 86_400 * US
    if quiet is not None:
        assert not in_quiet_hours(local(t, tz), *quiet), local(t, tz)
    if urgent and (quiet is None or not in_quiet_hours(local(now, tz), *quiet)):
        assert t == now
