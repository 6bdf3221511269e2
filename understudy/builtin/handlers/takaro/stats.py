"""Statistics, computed from the store: time series are `[[epoch ms, value], ...]` over buckets
between `startDate` (default 24 hours ago) and `endDate` (default now)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterable

from .core import bad_request, mine, ok, owned, parse_time
from .gameservers import GAMESERVER

STEPS = {"5m": timedelta(minutes=5), "30m": timedelta(minutes=30), "1h": timedelta(hours=1),
         "6h": timedelta(hours=6), "12h": timedelta(hours=12), "24h": timedelta(days=1)}
PERIOD_STEPS = {"daily": timedelta(days=1), "weekly": timedelta(days=7), "monthly": timedelta(days=30)}
MAX_BUCKETS = 500
SUM_BY_FIELDS = {"player": "playerId", "module": "moduleId", "user": "userId",
                 "gameserver": "gameserverId", "event": "eventName"}


def window(start: str | None, end: str | None) -> tuple[datetime, datetime]:
    finish = parse_time(end) or datetime.now(timezone.utc)
    begin = parse_time(start) or finish - timedelta(days=1)
    if begin > finish:
        raise bad_request("startDate must be before endDate")
    return begin, finish


def series(start: str | None, end: str | None, step: timedelta,
           value: Callable[[datetime, datetime], float | None]) -> list[list]:
    """One `[epoch ms, value]` per bucket; a long range gets wider buckets."""
    begin, finish = window(start, end)
    while (finish - begin) / step > MAX_BUCKETS:
        step *= 2
    points, moment = [], begin
    while moment < finish:
        points.append([int(moment.timestamp() * 1000), value(moment, moment + step)])
        moment += step
    return points


def events_between(events: Iterable[dict], begin: datetime, finish: datetime) -> list[dict]:
    return [e for e in events if begin <= (parse_time(e["createdAt"]) or begin - timedelta(1)) < finish]


def domain_events(gameServerId: str | None = None, **equals) -> list[dict]:
    if gameServerId is not None:
        GAMESERVER.find(gameServerId)
        equals["gameserverId"] = gameServerId
    return mine("events", **equals)


async def players_online(gameServerId: str | None = None, startDate: str | None = None,
                         endDate: str | None = None):
    connected = domain_events(gameServerId, eventName="player-connected")
    return ok({"values": series(startDate, endDate, STEPS["1h"], lambda a, b: len(
        {e["playerId"] for e in events_between(connected, a, b)}))})


async def activity(timeType: str, dataType: str, gameServerId: str | None = None,
                   startDate: str | None = None, endDate: str | None = None):
    field = "playerId" if dataType == "players" else "actingUserId"
    events = domain_events(gameServerId)
    return ok({"values": series(startDate, endDate, PERIOD_STEPS[timeType], lambda a, b: len(
        {e[field] for e in events_between(events, a, b) if e.get(field)}))})


async def countries(gameServerId: list[str] | None = None):
    players = mine("players")
    if gameServerId:
        on = {p["playerId"] for p in mine("pogs") if p["gameServerId"] in gameServerId}
        players = [p for p in players if p["id"] in on]
    found = Counter((p.get("ipHistory") or [{}])[-1].get("country") for p in players)
    return ok({"values": [{"country": c, "playerCount": n} for c, n in found.most_common() if c]})


async def currency(gameServerId: str, playerId: str | None = None, startDate: str | None = None,
                   endDate: str | None = None):
    GAMESERVER.find(gameServerId)
    pogs = [p for p in mine("pogs", gameServerId=gameServerId) if playerId in (None, p["playerId"])]
    total = sum(p["currency"] for p in pogs)
    return ok({"values": series(startDate, endDate, STEPS["1h"], lambda a, b: total)})


async def events_count(eventName: str, bucketStep: str, sumBy: list[str] | None = None,
                       gameServerId: str | None = None, moduleId: str | None = None,
                       playerId: str | None = None, userId: str | None = None,
                       startDate: str | None = None, endDate: str | None = None):
    wanted = {"moduleId": moduleId, "playerId": playerId, "userId": userId}
    events = [e for e in domain_events(gameServerId, eventName=eventName)
              if all(v is None or e.get(k) == v for k, v in wanted.items())]
    keys = [SUM_BY_FIELDS[s] for s in sumBy or []]
    if keys:
        begin, finish = window(startDate, endDate)
        groups = Counter(tuple(e.get(k) for k in keys) for e in events_between(events, begin, finish))
        return ok({"values": [{**dict(zip(sumBy, group)), "count": n} for group, n in groups.most_common()]})
    return ok({"values": series(startDate, endDate, STEPS[bucketStep],
                                lambda a, b: len(events_between(events, a, b)))})


async def latency(gameServerId: str, startDate: str | None = None, endDate: str | None = None):
    server = GAMESERVER.find(gameServerId)
    return ok({"values": series(startDate, endDate, STEPS["1h"],
                                lambda a, b: 12 if server["reachable"] else None)})


async def ping(gameServerId: str, playerId: str, startDate: str | None = None, endDate: str | None = None):
    GAMESERVER.find(gameServerId)
    owned("players", playerId, "Player")
    pogs = mine("pogs", gameServerId=gameServerId, playerId=playerId)
    value = pogs[0].get("ping") if pogs else None
    return ok({"values": series(startDate, endDate, STEPS["1h"], lambda a, b: value)})
