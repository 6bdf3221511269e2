"""Availability computed from the store: a resource is available until blocked, and it is blocked
by its bookings in a busy state of their graph, by the events in its calendars and by unexpired
reservations (each padded by `buffer`), and outside what the constraints allow (constraints.py).
Candidate slots of `length` start every `start_increments` (default: `length`) from `from`,
aligned to the increment within the day; the mode decides which resources a free slot is
offered with."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable

from . import common, times
from .common import Problems
from .constraints import Rules, checked
from .graphs import GRAPHS
from .intervals import Interval, Windows

SIX_MONTHS = (6, timedelta(days=1))  # the documented maximum search space, with a day of slack
MIN_LENGTH = timedelta(minutes=1)
MAX_CANDIDATES = 100_000  # slots examined per resource; more is refused rather than computed slowly
DEFAULTS = {"mode": "roundrobin_random", "length": "1 hour", "from": "now", "buffer": "0 minutes"}



# -- what blocks a resource ---------------------------------------------------------------------

def busy_times(resource_id: str, *, skip: set[str] = frozenset(),
               at: datetime | None = None) -> list[Interval]:
    """Every interval in which the resource is blocked, sorted; `skip` leaves documents out
    (the booking being rescheduled, the reservation being booked)."""
    at = at or times.now()
    calendars = {c["id"] for c in common.owned("calendars", lambda c: c.get("resource_id") == resource_id)}
    found = [span(b["event_info"]) for b in common.owned(
        "bookings", lambda b: b["resource_id"] == resource_id and b["state"] in GRAPHS[b["graph"]].busy)
        if b["id"] not in skip]
    found += [span(e) for e in common.owned("events", lambda e: e.get("calendar_id") in calendars)
              if e["id"] not in skip]
    found += [span(r) for r in common.owned("reservations", lambda r: r["resource_id"] == resource_id)
              if r["id"] not in skip and datetime.fromisoformat(r["expires_at"]) > at]
    return sorted(found)


def span(doc: dict) -> Interval:
    return datetime.fromisoformat(doc["start"]), datetime.fromisoformat(doc["end"])


def calendar(intervals: list[Interval], buffer: timedelta) -> Windows:
    """One resource's blocked intervals, padded by the buffer: `.clear(start, end)` when free."""
    return Windows((s - buffer, e + buffer) for s, e in intervals)


def is_free(resource_id: str, start: datetime, end: datetime, skip: set[str] = frozenset()) -> bool:
    return calendar(busy_times(resource_id, skip=skip), timedelta()).clear(start, end)


# -- modes: which of the free resources a slot is offered with ----------------------------------

def _mutual(free: list[str], ordered: list[str], state: dict) -> list[str]:
    return ordered if len(free) == len(ordered) else []


def _exclusive(free: list[str], ordered: list[str], state: dict) -> list[str]:
    return free


def _prioritized(free: list[str], ordered: list[str], state: dict) -> list[str]:
    return free[:1]


def _random(free: list[str], ordered: list[str], state: dict) -> list[str]:
    """The shuffled order decides; a resource found once keeps precedence while it is free."""
    if state.get("sticky") in free:
        return [state["sticky"]]
    if not free:
        return []
    state["sticky"] = free[0]
    return free[:1]


MODES: dict[str, tuple[Callable, bool]] = {  # mode -> (chooser, shuffle the resources first)
    "mutual": (_mutual, False),
    "exclusive": (_exclusive, False),
    "roundrobin_prioritized": (_prioritized, False),
    "roundrobin_random": (_random, True),
}


# -- the query ----------------------------------------------------------------------------------

@dataclass
class Query:
    mode: str
    resources: list[str]
    start: datetime
    end: datetime
    length: timedelta
    buffer: timedelta
    increment: timedelta
    zone: Any  # output time zone (None: UTC)
    constraints: list[dict]  # the request's (or its project's); each resource adds its own
    filters: list  # more rules each slot must pass (findtime's filters)

    def grid(self) -> list[Interval]:
        """Candidate slots: every `increment` from `start`, aligned to the increment in the day."""
        local = self.start.astimezone(self.zone or times.UTC)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        steps = -(-(local - midnight) // self.increment)  # ceiling division
        first = (midnight + steps * self.increment).astimezone(times.UTC)
        count = max(0, int((self.end - self.length - first) // self.increment) + 1)
        return [(first + i * self.increment, first + i * self.increment + self.length) for i in range(count)]


def read_query(body: dict, problems: Problems | None = None, filters: list = ()) -> Query | None:
    """The request's parameters over the project's (`project_id`), with the documented defaults;
    every problem is reported at once as 422 (or, given `problems`, added there: None then
    means this query has some)."""
    own, problems = problems is None, problems or Problems()
    before = len(problems.found)
    project: dict = {}
    if body.get("project_id") is not None:
        found = problems.reference("projects", body["project_id"], "project_id", "project")
        if found:
            project = {**found.get("availability", {}), "resources": found.get("resources", [])}
    params = {**DEFAULTS, **project, **{k: v for k, v in body.items() if v is not None}}
    if params["mode"] not in MODES:
        problems.add("mode", f"mode must be one of {', '.join(MODES)}")
    resources = list(dict.fromkeys(params.get("resources") or []))
    if not resources:
        problems.add("resources", "resources is required (or a project_id whose project has resources)")
    for ident in resources:
        problems.reference("resources", ident, "resources", "resource")
    constraints = checked(params.get("constraints"), "constraints", problems)
    zone = None
    if params.get("timezone") is not None:
        zone = times.zone(params["timezone"])
        if zone is None:
            problems.add("timezone", f"{params['timezone']} is not a known time zone")
    at = times.now()
    start = _read(problems, "from", lambda: times.parse_moment(params["from"], "from", at))
    end = _read(problems, "to", lambda: times.parse_moment(params["to"], "to", at)) if "to" in params else (
        times.add(start, (0, timedelta(weeks=4))) if start else None)
    size = _read(problems, "length", lambda: times.length(params["length"], "length"))
    buffer = _read(problems, "buffer", lambda: times.length(params["buffer"], "buffer"))
    step = size
    if params.get("start_increments") is not None:
        step = _read(problems, "start_increments",
                     lambda: times.length(params["start_increments"], "start_increments"))
    for field, value in (("length", size), ("start_increments", step)):
        if value is not None and value < MIN_LENGTH:
            problems.add(field, f"{field} must be at least 1 minute")
    if buffer is not None and buffer < timedelta():
        problems.add("buffer", "buffer must not be negative")
    if start and end:
        if end <= start:
            problems.add("to", "to must be after from")
        elif end > times.add(start, SIX_MONTHS):
            problems.add("to", "to can be at most 6 months after from")
        elif step and step >= MIN_LENGTH and (end - start) / step > MAX_CANDIDATES:
            problems.add("start_increments", "too many slots for this search space; use a longer increment")
    if own:
        problems.check()
    elif len(problems.found) > before:
        return None
    return Query(params["mode"], resources, start, end, size, buffer, step, zone, constraints, list(filters))


def _read(problems: Problems, field: str, read: Callable[[], Any]) -> Any:
    try:
        return read()
    except times.TimeError as error:
        problems.add(field, str(error))
        return None


def free_checks(query: Query) -> dict[str, Callable[[datetime, datetime], bool]]:
    """For each resource, whether it is free for a slot: nothing blocks it (padded by the buffer)
    and the constraints, the query's and its own, read in its time zone, permit the slot."""
    general = [Rules(query.constraints), *query.filters]
    checks = {}
    for ident in query.resources:
        blocked = calendar(busy_times(ident), query.buffer)
        resource = common.lookup("resources", ident) or {}
        rules = [r for r in (*general, Rules(resource.get("availability_constraints"))) if r]
        if not rules:
            checks[ident] = blocked.clear
            continue
        zone = times.zone(resource.get("timezone")) or times.UTC
        permits = [r.over(query.start, query.end, zone) for r in rules]
        checks[ident] = lambda s, e, blocked=blocked, permits=permits: (
            blocked.clear(s, e) and all(p(s, e) for p in permits))
    return checks


def slots(query: Query) -> list[tuple[Interval, list[str]]]:
    """Each free candidate slot with the resources the mode offers it with."""
    choose, shuffle = MODES[query.mode]
    ordered = list(query.resources)
    if shuffle:
        random.Random(",".join(sorted(ordered))).shuffle(ordered)
    free_for = free_checks(query)
    state: dict = {}
    found = []
    for start, end in query.grid():
        free = [r for r in ordered if free_for[r](start, end)]
        chosen = choose(free, ordered, state)
        if chosen:
            found.append(((start, end), chosen))
    return found


def blocked(query: Query) -> list[tuple[Interval, list[str]]]:
    """Each candidate slot in which some of the resources are blocked (or outside what the
    constraints allow), with those resources."""
    free_for = free_checks(query)
    found = []
    for start, end in query.grid():
        busy = [r for r in query.resources if not free_for[r](start, end)]
        if busy:
            found.append(((start, end), busy))
    return found


def present_slot(interval: Interval, resources: list[str], zone) -> dict:
    start, end = (t.astimezone(zone or times.UTC) for t in interval)
    return {"start": times.rfc3339(start), "end": times.rfc3339(end), "resources": resources}


# -- handlers -----------------------------------------------------------------------------------

async def query_availability(body: dict):
    query = read_query(body)
    return common.ok([present_slot(i, r, query.zone) for i, r in slots(query)], zone=query.zone)


async def available_dates(body: dict):
    query = read_query(body)
    days: dict[str, list[str]] = {}
    for (start, _), resources in slots(query):
        day = days.setdefault(start.astimezone(query.zone or times.UTC).date().isoformat(), [])
        day.extend(r for r in resources if r not in day)
    return common.ok([{"date": d, "resources": r} for d, r in days.items()])


async def count_availability(body: dict):
    return common.ok({"count": len(slots(read_query(body)))})


async def unavailable_slots(body: dict):
    query = read_query(body)
    return common.ok([present_slot(i, r, query.zone) for i, r in blocked(query)], zone=query.zone)
