"""Bans: on one game server, or global across the domain's servers."""

from __future__ import annotations

from .core import Resource, bad_request, deleter, getter, ok, related_one, searcher
from .gameservers import GAMESERVER
from .players import PLAYER

BAN = Resource(
    "Ban", "bans",
    extend={"player": lambda b: related_one("players", b["playerId"]),
            "gameServer": lambda b: related_one("gameservers", b.get("gameServerId"))},
    defaults={"gameServerId": None, "takaroManaged": False, "isGlobal": False, "until": None,
              "reason": None},
    events={"create": "player-banned", "delete": "player-unbanned"},
)


def checked(fields: dict) -> dict:
    """A global ban names no game server; any other ban names one that exists."""
    if fields.get("isGlobal") and fields.get("gameServerId"):
        raise bad_request("A global ban cannot have a game server")
    if not fields.get("isGlobal"):
        if not fields.get("gameServerId"):
            raise bad_request("A ban that is not global needs a game server")
        GAMESERVER.find(fields["gameServerId"])
    PLAYER.find(fields["playerId"])
    return fields


async def create(body: dict):
    return ok(BAN.render(BAN.create(checked(body))))


async def update(id: str, body: dict):
    current = BAN.find(id)
    return ok(BAN.render(BAN.update(id, checked({**current, **body}))))


search = searcher(BAN)
get = getter(BAN)
delete = deleter(BAN)
