"""When a notice may go out: the customer's usual hour, then out of quiet hours, in the customer's time zone."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from crs.domain.notifications.preferences import ContactPreferences
from crs.domain.notifications.rules import KindRule

_US = 1_000_000


def _local(now_us: int, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    return dt.datetime.fromtimestamp(now_us / _US, dt.UTC).astimezone(tz)


def _to_us(local: dt.datetime) -> int:
    return int(local.astimezone(dt.UTC).timestamp()) * _US


def _at_minute(day: dt.datetime, minute: int, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    """``day``'s date at the local wall time ``minute``; a time skipped by a DST jump lands after the jump."""
    naive = dt.datetime(day.year, day.month, day.day, minute // 60, minute % 60)
    local = naive.replace(tzinfo=tz)
    # Round trip through UTC: a non-existent wall time (spring forward) normalizes to a real instant.
    return local.astimezone(dt.UTC).astimezone(tz)


def in_quiet_hours(local: dt.datetime, start: int, end: int) -> bool:
    """Quiet window [start, end) in local minutes; it may wrap midnight (22:00-07:00)."""
    minute = local.hour * 60 + local.minute
    if start == end:
        return False
    if start < end:
        return start <= minute < end
    return minute >= start or minute < end


def _after_quiet(local: dt.datetime, start: int, end: int, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    """The first instant at or after ``local`` outside the quiet window."""
    if not in_quiet_hours(local, start, end):
        return local
    minute = local.hour * 60 + local.minute
    day = local if (start < end or minute < end) else local + dt.timedelta(days=1)
    return max(_at_minute(day, end, tz), local)


def _next_hour(local: dt.datetime, hour: int, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    """Now if we are inside ``hour``; else the next local ``hour``:00."""
    if local.hour == hour:
        return local
    candidate = _at_minute(local, hour * 60, tz)
    if candidate <= local:
        candidate = _at_minute(local + dt.timedelta(days=1), hour * 60, tz)
    return candidate


def send_time(now_us: int, prefs: ContactPreferences, rule: KindRule, usual_hour: int | None, default_hour: int) -> int:
    """Urgent kinds: now. Others: the customer's usual payment hour (else the tenant's default hour).
    Then, unless the rule overrides them, moved out of the customer's quiet hours."""
    try:
        tz = zoneinfo.ZoneInfo(prefs.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = zoneinfo.ZoneInfo("UTC")
    local = _local(now_us, tz)
    if not rule.urgent:
        hour = usual_hour if usual_hour is not None and 0 <= usual_hour <= 23 else default_hour
        local = _next_hour(local, hour, tz)
    start, end = prefs.quiet_start_minute, prefs.quiet_end_minute
    if start is not None and end is not None and not rule.override_quiet_hours:
        local = _after_quiet(local, start, end, tz)
    return max(_to_us(local), now_us)
