"""The deprecated `POST /findtime` family, answered by the availability engine: `resource_ids`
(or the resources' `emails`) are searched for mutual availability from now until `future`,
`filters` are the constraints' older form (`{"or": [...], "and": [...]}`, where
`specific_day_and_time` is `allow_day_and_time`), and `/findtime/team` offers a slot when any
member of the team (a resource, or a group of `resources` all free) is."""

from __future__ import annotations

from datetime import datetime, timedelta

from . import common, times
from .availability import Query, present_slot, read_query, slots
from .common import Problems
from .constraints import AnyOf, Zoned, checked_rule

FILTER_NAMES = {"specific_day_and_time": "allow_day_and_time"}
DEFAULTS = {"future": "4 weeks", "length": "1 hour", "buffer": "0 minutes"}
ALL_SOLUTIONS_STEP = "15 minutes"  # with all_solutions, overlapping slots start this often
NAMES = {"resources": "resource_ids", "to": "future", "start_increments": "all_solutions"}


def read(body: dict, problems: Problems, mode: str) -> Query | None:
    """The findtime body as an availability query (problems reported under findtime's names)."""
    problems = problems.renamed(NAMES)
    body = {**DEFAULTS, **{k: v for k, v in body.items() if v is not None}}
    resources = list(body.get("resource_ids") or [])
    for i, email in enumerate(body.get("emails") or []):
        found = common.owned("resources", lambda r: (r.get("email") or "").lower() == email.lower())
        if found:
            resources.append(found[0]["id"])
        else:
            problems.add(f"emails.{i}", f"no resource has the e-mail {email}")
    params = {"mode": mode, "resources": resources, "from": "now", "to": body["future"],
              "length": body["length"], "buffer": body["buffer"], "timezone": body.get("timezone"),
              "start_increments": ALL_SOLUTIONS_STEP if body.get("all_solutions") else None}
    return read_query(params, problems, read_filters(body.get("filters") or {}, problems))


def read_filters(filters: dict, problems: Problems) -> list:
    """`and` filters must all permit a slot, one of the `or` filters must."""
    def rule(item: dict, where: str):
        (name, args), = item.items()
        args = dict(args)
        zone_name = args.pop("timezone", None)
        zone = times.zone(zone_name) if zone_name else None
        if zone_name and zone is None:
            problems.add(f"{where}.{name}.timezone", f"{zone_name} is not a known time zone")
        return checked_rule({FILTER_NAMES.get(name, name): args}, where, problems), zone

    every = [Zoned(*rule(item, f"filters.and.{i}")) for i, item in enumerate(filters.get("and") or [])]
    one_of = [rule(item, f"filters.or.{i}") for i, item in enumerate(filters.get("or") or [])]
    return [*every, AnyOf(one_of)] if one_of else every


def answer(query: Query, body: dict, with_resources: bool = False) -> list[dict]:
    found = [present_slot(interval, resources, query.zone) for interval, resources in slots(query)]
    if body.get("no_day_span"):  # end - 1 s: a slot ending at midnight stays in its day
        found = [s for s in found if s["start"][:10] == times.rfc3339(
            datetime.fromisoformat(s["end"]) - timedelta(seconds=1))[:10]]
    if not with_resources:
        found = [{"start": s["start"], "end": s["end"]} for s in found]
    return found[::-1] if body.get("sort") == "desc" else found


def one(body: dict, mode: str = "mutual"):
    problems = Problems()
    query = read(body, problems, mode)
    problems.check()
    return common.ok(answer(query, body, with_resources=mode != "mutual"), zone=query.zone)


async def findtime(body: dict):
    return one(body)


async def findtime_team(body: dict):
    """The team's members are each group of `resources` (free when all its resources are; its own
    fields override the top-level ones) and each resource of `resource_ids` / `emails`."""
    if not body.get("resources"):
        return one(body, "exclusive")
    shared = {k: v for k, v in body.items() if k not in ("resources", "resource_ids", "emails")}
    problems = Problems()
    members = [({**shared, **{k: v for k, v in group.items() if v is not None}}, problems.under(f"resources.{i}"),
                "mutual") for i, group in enumerate(body["resources"])]
    if body.get("resource_ids") or body.get("emails"):
        members.append(({k: v for k, v in body.items() if k != "resources"}, problems, "exclusive"))
    queries = [read(member, where, mode) for member, where, mode in members]
    problems.check()
    found: dict[tuple[datetime, datetime], dict] = {}
    for query, (member, _, _) in zip(queries, members):
        for slot in answer(query, member, with_resources=True):
            key = (datetime.fromisoformat(slot["start"]), datetime.fromisoformat(slot["end"]))
            kept = found.setdefault(key, {**slot, "resources": []})
            kept["resources"] += [r for r in slot["resources"] if r not in kept["resources"]]
    ordered = [found[key] for key in sorted(found, reverse=body.get("sort") == "desc")]
    return common.ok(ordered, zone=queries[0].zone)


async def findtime_bulk(body: list):
    problems = Problems()
    queries = [read(item, problems.under(str(i)), "mutual") for i, item in enumerate(body)]
    problems.check()
    return common.ok([answer(query, item) for query, item in zip(queries, body)])
