"""Where players were and what they carried: location samples and inventory history."""

from __future__ import annotations

from datetime import datetime, timezone

from .core import mine, ok, owned, parse_time
from .gameservers import GAMESERVER

DEFAULT_LIMIT = 1000


def within(doc: dict, start: str | None, end: str | None) -> bool:
    moment = parse_time(doc["createdAt"]) or datetime.now(timezone.utc)
    begin, finish = parse_time(start), parse_time(end)
    return (begin is None or moment >= begin) and (finish is None or moment <= finish)


def location(doc: dict) -> dict:
    return {k: doc[k] for k in ("id", "playerId", "pogId", "x", "y", "z", "createdAt", "updatedAt")}


def newest(docs: list[dict], limit: int = DEFAULT_LIMIT) -> list[dict]:
    return sorted(docs, key=lambda d: d["createdAt"], reverse=True)[:limit]


async def movement(body: dict):
    wanted = body.get("playerId") or []
    found = [d for d in mine("playerLocations") if (not wanted or d["playerId"] in wanted)
             and within(d, body.get("startDate"), body.get("endDate"))]
    return ok([location(d) for d in newest(found, body.get("limit", DEFAULT_LIMIT))])


def at_time(doc: dict, timestamp: str | None) -> bool:
    """Samples up to `timestamp` (all of them without one)."""
    return timestamp is None or within(doc, None, timestamp)


async def box(body: dict):
    if body.get("gameserverId"):
        GAMESERVER.find(body["gameserverId"])
    found = [d for d in mine("playerLocations")
             if body.get("gameserverId") in (None, d["gameserverId"]) and at_time(d, body.get("timestamp"))
             and all(body[f"min{a}"] <= d[a.lower()] <= body[f"max{a}"] for a in "XYZ")]
    return ok([location(d) for d in newest(found)])


async def radius(body: dict):
    GAMESERVER.find(body["gameserverId"])
    found = [d for d in mine("playerLocations", gameserverId=body["gameserverId"])
             if at_time(d, body.get("timestamp"))
             and sum((d[a] - body[a]) ** 2 for a in "xyz") <= body["radius"] ** 2]
    return ok([location(d) for d in newest(found)])


async def player_inventory(body: dict):
    owned("players", body["playerId"], "Player")
    found = [d for d in mine("inventoryHistory", playerId=body["playerId"])
             if within(d, body["startDate"], body["endDate"])]
    out = []
    for doc in newest(found):
        item = owned("items", doc["itemId"], "Item")
        out.append({**{k: doc[k] for k in ("id", "playerId", "pogId", "itemId", "quantity", "createdAt", "updatedAt")},
                    "itemName": item["name"], "itemCode": item["code"]})
    return ok(out)


async def item_holders(body: dict):
    owned("items", body["itemId"], "Item")
    found = [d for d in mine("inventoryHistory", itemId=body["itemId"])
             if within(d, body.get("startDate"), body.get("endDate"))]
    return ok([{k: d[k] for k in ("id", "playerId", "pogId", "quantity", "createdAt", "updatedAt")}
               for d in newest(found)])


