"""Timekit's times: RFC3339 out (or the caller's `OutputTimestampFormat`, in `Timekit-Timezone`),
RFC3339, the `+0300` offset form or the caller's `InputTimestampFormat` in, relative times
("2 days", "tomorrow") and durations ("1 hour", "30 minutes") for availability.

Timestamp formats are PHP date() strings, as Timekit documents (`Y-m-d h:ia`)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from understudy.context import current_or_none, query_params

UTC = timezone.utc

# Keys whose string values are timestamps in every Timekit response body.
TIMESTAMP_KEYS = frozenset({"start", "end", "created_at", "updated_at", "expires_at", "requested_at",
                            "last_synced_at"})

RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6})\d*)?)?"
    r"\s*(Z|z|[+-]\d{2}:?\d{2}|[+-]\d{2})?$"
)

UNITS = {
    "second": timedelta(seconds=1), "sec": timedelta(seconds=1), "minute": timedelta(minutes=1),
    "min": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1),
    "week": timedelta(weeks=1), "fortnight": timedelta(weeks=2),
}
MONTHS_PER = {"month": 1, "year": 12}
DURATION_PART = re.compile(r"([+-]?\d+)\s*([a-z]+?)s?\b", re.IGNORECASE)
DURATION = re.compile(r"^\s*(?:[+-]?\d+\s*[a-z]+\s*)+$", re.IGNORECASE)
YEARS = (1900, 2199)
DAY_WORDS = {"now": 0, "today": 0, "tomorrow": 1, "yesterday": -1}


class TimeError(ValueError):
    """A value that is not a time of the expected kind; the message says why."""


# -- time zones --------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def zone_names() -> frozenset[str]:
    return frozenset(available_timezones()) | {"UTC"}


def zone(name: str | None):
    """The IANA zone, or None for an unknown or missing name."""
    if not name or name not in zone_names():
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def is_zone(name: Any) -> bool:
    return isinstance(name, str) and zone(name) is not None


def _option(*names: str) -> str | None:
    """A per-request option sent as a header (`Timekit-X` or `X`) or a query parameter."""
    ctx = current_or_none()
    if ctx is None or ctx.headers is None:
        return None
    headers, query = ctx.headers, query_params()
    for name in names:
        for spelling in (f"Timekit-{name}", name):
            value = headers.get(spelling) or query.get(spelling)
            if value:
                return value
    return None


def request_zone():
    return zone(_option("Timezone"))


# -- reading -----------------------------------------------------------------------------------

def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def parse_timestamp(text: Any, field: str = "timestamp") -> datetime:
    """An aware datetime from RFC3339, the `+0300` form, or the request's InputTimestampFormat.
    Timestamps without an offset are read in `Timekit-Timezone` (UTC when unset)."""
    if not isinstance(text, str):
        raise TimeError(f"{field} must be a timestamp string")
    custom = _option("InputTimestampFormat")
    if custom:
        try:
            return _in_range(php_parse(custom, text.strip(), request_zone() or UTC), field)
        except TimeError:
            pass  # the documented formats stay accepted
    match = RFC3339.match(text.strip())
    if not match:
        raise TimeError(f"{field} is not a valid timestamp (RFC3339, e.g. 2026-12-01T10:00:00+01:00)")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    try:
        value = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0),
                         int((fraction or "0").ljust(6, "0")))
    except ValueError as error:
        raise TimeError(f"{field} is not a valid timestamp: {error}") from None
    return _in_range(value.replace(tzinfo=_offset(offset) if offset else (request_zone() or UTC)), field)


def _in_range(moment: datetime, field: str) -> datetime:
    """Times far from now are refused rather than overflow the arithmetic done on them."""
    if not YEARS[0] <= moment.year <= YEARS[1]:
        raise TimeError(f"{field} must be between the years {YEARS[0]} and {YEARS[1]}")
    return moment


def _offset(text: str):
    if text in ("Z", "z"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if hours > 23 or minutes > 59:
        raise TimeError(f"{text} is not a UTC offset")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse_duration(text: Any, field: str = "duration") -> tuple[int, timedelta]:
    """"1 hour", "90 minutes", "2 weeks 3 days" -> (months, the rest)."""
    if not isinstance(text, str) or not DURATION.match(text):
        raise TimeError(f"{field} must be a duration such as \"1 hour\" or \"30 minutes\"")
    months, rest = 0, timedelta()
    for amount, unit in DURATION_PART.findall(text):
        unit = unit.lower()
        if unit in UNITS:
            rest += int(amount) * UNITS[unit]
        elif unit in MONTHS_PER:
            months += int(amount) * MONTHS_PER[unit]
        else:
            raise TimeError(f"{field}: unknown unit {unit!r}")
    return months, rest


def add(moment: datetime, duration: tuple[int, timedelta]) -> datetime:
    months, rest = duration
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    if not YEARS[0] <= year <= YEARS[1]:
        raise TimeError(f"the time must stay between the years {YEARS[0]} and {YEARS[1]}")
    moment = moment.replace(year=year, month=month + 1, day=min(moment.day, _days_in_month(year, month + 1)))
    return _in_range(moment + rest, "the time")


def length(text: Any, field: str) -> timedelta:
    """A duration without months (slot lengths, buffers, increments)."""
    months, rest = parse_duration(text, field)
    return rest + timedelta(days=30 * months)


def parse_moment(text: Any, field: str, base: datetime) -> datetime:
    """An absolute timestamp, or a time relative to `base`: "now", "tomorrow", "2 days"."""
    if isinstance(text, str):
        words = text.strip().lower()
        if words in DAY_WORDS:
            if words == "now":
                return base
            start = base.astimezone(request_zone() or UTC).replace(hour=0, minute=0, second=0)
            return start + timedelta(days=DAY_WORDS[words])
        if DURATION.match(text):
            return add(base, parse_duration(text, field))
    try:
        return parse_timestamp(text, field)
    except TimeError:
        raise TimeError(f"{field} is not a valid timestamp or relative time (e.g. \"2 days\")") from None


# -- writing -----------------------------------------------------------------------------------

def rfc3339(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def stamp() -> str:
    return rfc3339(now())


def render(data: Any, tz=None) -> Any:
    """The response body with its timestamps in `tz` (or the request's `Timekit-Timezone`) and
    the request's OutputTimestampFormat (RFC3339 when none is asked for). Only strings under
    TIMESTAMP_KEYS that are RFC3339 are touched."""
    tz, fmt = tz or request_zone(), _option("OutputTimestampFormat")
    if tz is None and not fmt:
        return data
    return _render(data, tz, fmt)


def _render(value: Any, tz, fmt: str | None, key: str | None = None) -> Any:
    if isinstance(value, dict):
        return {k: _render(v, tz, fmt, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_render(v, tz, fmt, key) for v in value]
    if key in TIMESTAMP_KEYS and isinstance(value, str) and RFC3339.match(value):
        moment = datetime.fromisoformat(value)
        if tz is not None:
            moment = moment.astimezone(tz)
        return php_format(fmt, moment) if fmt else rfc3339(moment)
    return value


# -- PHP date() formats ------------------------------------------------------------------------

DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December"]


def _days_in_month(year: int, month: int) -> int:
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - timedelta(days=1)).day


def _offset_text(moment: datetime, colon: bool) -> str:
    seconds = int(moment.utcoffset().total_seconds())
    sign = "-" if seconds < 0 else "+"
    hours, minutes = divmod(abs(seconds) // 60, 60)
    return f"{sign}{hours:02d}{':' if colon else ''}{minutes:02d}"


FORMATTERS = {
    "d": lambda m: f"{m.day:02d}", "j": lambda m: str(m.day),
    "D": lambda m: DAY_NAMES[m.weekday()][:3], "l": lambda m: DAY_NAMES[m.weekday()],
    "N": lambda m: str(m.isoweekday()), "w": lambda m: str(m.isoweekday() % 7),
    "z": lambda m: str(m.timetuple().tm_yday - 1), "W": lambda m: f"{m.isocalendar()[1]:02d}",
    "F": lambda m: MONTH_NAMES[m.month - 1], "M": lambda m: MONTH_NAMES[m.month - 1][:3],
    "m": lambda m: f"{m.month:02d}", "n": lambda m: str(m.month),
    "t": lambda m: str(_days_in_month(m.year, m.month)),
    "Y": lambda m: str(m.year), "y": lambda m: f"{m.year % 100:02d}",
    "a": lambda m: "am" if m.hour < 12 else "pm", "A": lambda m: "AM" if m.hour < 12 else "PM",
    "g": lambda m: str(m.hour % 12 or 12), "G": lambda m: str(m.hour),
    "h": lambda m: f"{m.hour % 12 or 12:02d}", "H": lambda m: f"{m.hour:02d}",
    "i": lambda m: f"{m.minute:02d}", "s": lambda m: f"{m.second:02d}",
    "u": lambda m: f"{m.microsecond:06d}", "v": lambda m: f"{m.microsecond // 1000:03d}",
    "e": lambda m: getattr(m.tzinfo, "key", None) or _offset_text(m, True),
    "T": lambda m: m.tzname() or _offset_text(m, True),
    "O": lambda m: _offset_text(m, False), "P": lambda m: _offset_text(m, True),
    "Z": lambda m: str(int(m.utcoffset().total_seconds())),
    "U": lambda m: str(int(m.timestamp())),
    "c": lambda m: php_format("Y-m-d\\TH:i:sP", m),
    "r": lambda m: php_format("D, d M Y H:i:s O", m),
}


def php_format(fmt: str, moment: datetime) -> str:
    out, escaped = [], False
    for char in fmt:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            out.append(FORMATTERS[char](moment) if char in FORMATTERS else char)
    return "".join(out)


# PHP format character -> (regex, field it sets)
PARSERS = {
    "d": (r"\d{2}", "day"), "j": (r"\d{1,2}", "day"), "m": (r"\d{2}", "month"),
    "n": (r"\d{1,2}", "month"), "Y": (r"\d{4}", "year"), "y": (r"\d{2}", "year2"),
    "H": (r"\d{2}", "hour"), "G": (r"\d{1,2}", "hour"), "h": (r"\d{2}", "hour12"),
    "g": (r"\d{1,2}", "hour12"), "i": (r"\d{2}", "minute"), "s": (r"\d{2}", "second"),
    "a": (r"[aApP][mM]", "meridiem"), "A": (r"[aApP][mM]", "meridiem"),
    "D": (r"[A-Za-z]{3}", None), "l": (r"[A-Za-z]+", None),
    "M": (r"[A-Za-z]{3}", "month_name"), "F": (r"[A-Za-z]+", "month_name"),
    "O": (r"[+-]\d{4}", "offset"), "P": (r"[+-]\d{2}:\d{2}", "offset"),
    "T": (r"[A-Za-z]+", "zone"), "e": (r"[A-Za-z_/+-]+", "zone"),
    "U": (r"-?\d+", "unix"), "u": (r"\d{1,6}", "micro"), "v": (r"\d{3}", "milli"),
}
EXPANSIONS = {"c": "Y-m-d\\TH:i:sP", "r": "D, d M Y H:i:s O"}


def _tokens(fmt: str) -> list[tuple[bool, str]]:
    """(literal?, character) pairs: `c` and `r` expanded, `\\x` read as a literal x."""
    out, chars = [], iter(fmt)
    for char in chars:
        if char == "\\":
            out.append((True, next(chars, "\\")))
        elif char in EXPANSIONS:
            out.extend(_tokens(EXPANSIONS[char]))
        else:
            out.append((char not in PARSERS, char))
    return out


def php_parse(fmt: str, text: str, default_zone) -> datetime:
    pattern, fields = [], []
    for literal, char in _tokens(fmt):
        if literal:
            pattern.append(re.escape(char))
        else:
            regex, name = PARSERS[char]
            pattern.append(f"({regex})")
            fields.append(name)
    match = re.fullmatch("".join(pattern), text)
    if not match:
        raise TimeError(f"does not match the input format {fmt!r}")
    got = {name: value for name, value in zip(fields, match.groups()) if name}
    try:
        return _assemble(got, default_zone)
    except (ValueError, KeyError) as error:
        raise TimeError(f"is not a valid time for the input format {fmt!r}: {error}") from None


def _assemble(got: dict[str, str], default_zone) -> datetime:
    if "unix" in got:
        return datetime.fromtimestamp(int(got["unix"]), UTC)
    year = int(got["year"]) if "year" in got else 2000 + int(got.get("year2", "0"))
    if "month_name" in got:
        names = [n[:3].lower() for n in MONTH_NAMES]
        month = names.index(got["month_name"][:3].lower()) + 1
    else:
        month = int(got.get("month", 1))
    hour = int(got.get("hour", 0))
    if "hour12" in got:
        hour = int(got["hour12"]) % 12 + (12 if got.get("meridiem", "am").lower() == "pm" else 0)
    micro = int(got["micro"].ljust(6, "0")) if "micro" in got else int(got.get("milli", 0)) * 1000
    tz = default_zone
    if "offset" in got:
        tz = _offset(got["offset"])
    elif "zone" in got:
        tz = UTC if got["zone"].upper() in ("UTC", "GMT", "Z") else zone(got["zone"])
        if tz is None:
            raise ValueError(f"unknown time zone {got['zone']}")
    return datetime(year, month, int(got.get("day", 1)), hour, int(got.get("minute", 0)),
                    int(got.get("second", 0)), micro, tzinfo=tz)
