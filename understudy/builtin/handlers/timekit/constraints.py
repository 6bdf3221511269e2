"""Availability constraints (formerly "filters"): `allow_*` and `block_*` rules of six kinds,
given on the availability request (or its project) and on each resource, and applied in that
resource's time zone.

An allowing rule blocks everything outside it. Rules of one allowing kind add up (Monday 9-12 and
Monday 14-17); rules of different allowing kinds must all hold (`allow_weekdays` and
`allow_hours` 9-17: weekdays from 9 to 5). A slot must fit inside the allowed time and touch no
blocked time. The request's list and the resource's own list must both permit a slot."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, Callable, Iterable

from . import times
from .intervals import Interval, Windows

DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
ONE_DAY = timedelta(days=1)


def _hour(day: date, hour: float, zone) -> datetime:
    return datetime.combine(day, time(), zone) + timedelta(hours=hour)


def _whole_day(day: date, zone) -> Interval:
    return _hour(day, 0, zone), _hour(day + ONE_DAY, 0, zone)


# kind -> the windows one rule of that kind opens on a local day (recurring kinds)
DAILY = {
    "day_and_time": lambda rule, day, zone: [(_hour(day, rule["start"], zone), _hour(day, rule["end"], zone))]
    if day.weekday() == DAYS.index(rule["day"].lower()) else [],
    "hours": lambda rule, day, zone: [(_hour(day, rule["start"], zone), _hour(day, rule["end"], zone))],
    "day": lambda rule, day, zone: [_whole_day(day, zone)] if day.weekday() == DAYS.index(rule["day"].lower()) else [],
    "weekdays": lambda rule, day, zone: [_whole_day(day, zone)] if day.weekday() < 5 else [],
    "weekends": lambda rule, day, zone: [_whole_day(day, zone)] if day.weekday() >= 5 else [],
}
KINDS = [*DAILY, "period"]


def checked(rules: list[dict] | None, field: str, problems) -> list[dict]:
    """The rules with period timestamps stored as RFC3339; a problem for each end not after its
    start (the spec's schema checks the rest)."""
    return [checked_rule(rule, f"{field}.{i}", problems) for i, rule in enumerate(rules or [])]


def checked_rule(rule: dict, where: str, problems) -> dict:
    rule = {name: dict(args) for name, args in rule.items()}
    for name, args in rule.items():
        at = f"{where}.{name}"
        if name.endswith("_period"):
            args["start"] = problems.timestamp(args["start"], f"{at}.start")
            args["end"] = problems.timestamp(args["end"], f"{at}.end")
            start, end = (times.parse_timestamp(args[k]) if args[k] else None for k in ("start", "end"))
        else:
            start, end = args.get("start"), args.get("end")
        if start is not None and end is not None and end <= start:
            problems.add(f"{at}.end", "end must be after start")
    return rule


class Rules:
    """One list of constraints, ready to test slots against."""

    def __init__(self, rules: Iterable[dict] | None):
        self.allow: dict[str, list[dict]] = {}
        self.block: dict[str, list[dict]] = {}
        for rule in rules or []:
            for name, args in rule.items():
                effect, kind = name.split("_", 1)
                (self.allow if effect == "allow" else self.block).setdefault(kind, []).append(args)

    def __bool__(self) -> bool:
        return bool(self.allow or self.block)

    def over(self, start: datetime, end: datetime, zone) -> "Permits":
        """The rules' windows across a search space, for many slot checks."""
        return Permits([Windows(_windows(kind, rules, start, end, zone)) for kind, rules in self.allow.items()],
                       Windows(w for kind, rules in self.block.items() for w in _windows(kind, rules, start, end, zone)))


class Permits:
    """Whether a slot lies inside a window of every allowing kind and clear of every blocked one."""

    def __init__(self, allowed: list[Windows], blocked: Windows):
        self.allowed, self.blocked = allowed, blocked

    def __call__(self, start: datetime, end: datetime) -> bool:
        return all(w.contain(start, end) for w in self.allowed) and self.blocked.clear(start, end)


def _windows(kind: str, rules: list[dict], start: datetime, end: datetime, zone) -> list[Interval]:
    """The windows the rules open around [start, end) (recurring kinds day by day, from the day
    before to the day after, so windows that meet at midnight join)."""
    if kind == "period":
        return [(times.parse_timestamp(r["start"]), times.parse_timestamp(r["end"])) for r in rules]
    first, last = start.astimezone(zone).date() - ONE_DAY, end.astimezone(zone).date() + ONE_DAY
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return [w for day in days for rule in rules for w in DAILY[kind](rule, day, zone)]


class AnyOf:
    """Findtime's `{"or": [...]}`: a slot passes when any one of the filters permits it. Each
    filter is a constraint, in the resource's time zone unless it names its own `timezone`."""

    def __init__(self, filters: list[tuple[dict, Any]]):
        self.filters = [(Rules([rule]), zone) for rule, zone in filters]

    def __bool__(self) -> bool:
        return bool(self.filters)

    def over(self, start: datetime, end: datetime, zone) -> Callable[[datetime, datetime], bool]:
        permits = [rules.over(start, end, own or zone) for rules, own in self.filters]
        return lambda s, e: any(p(s, e) for p in permits)


class Zoned:
    """One rule read in a time zone of its own (a findtime filter with `timezone`)."""

    def __init__(self, rule: dict, zone):
        self.rules, self.zone = Rules([rule]), zone

    def __bool__(self) -> bool:
        return True

    def over(self, start: datetime, end: datetime, zone) -> "Permits":
        return self.rules.over(start, end, self.zone or zone)
