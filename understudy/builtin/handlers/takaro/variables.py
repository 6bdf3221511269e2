"""Variables: key/value pairs a module keeps, optionally per game server, player and module.
Expired variables are invisible; the key is unique per (game server, player, module)."""

from __future__ import annotations

from .core import (Resource, bad_request, deleter, domain_id, expired, getter, ok, related_one,
                   searcher)
from understudy.context import store

MAX_VALUE_LENGTH = 131072
REFERENCES = {"gameServerId": "gameservers", "playerId": "players", "moduleId": "modules"}

VARIABLE = Resource(
    "Variable", "variables",
    visible=lambda v: not expired(v),
    extend={"module": lambda v: related_one("modules", v.get("moduleId")),
            "player": lambda v: related_one("players", v.get("playerId")),
            "gameServer": lambda v: related_one("gameservers", v.get("gameServerId"))},
    defaults={"expiresAt": None, "gameServerId": None, "playerId": None, "moduleId": None},
    unique=(("key", "gameServerId", "playerId", "moduleId"),),
)


def checked(fields: dict) -> dict:
    if len(fields["value"]) > MAX_VALUE_LENGTH:
        raise bad_request("Invalid data provided")
    for name, coll in REFERENCES.items():
        if fields.get(name) is not None and related_one(coll, fields[name]) is None:
            raise bad_request("Invalid data provided")
    return fields


async def create(body: dict):
    domain = store().get("domains", domain_id())
    if len(VARIABLE.rows()) >= domain["maxVariables"]:
        raise bad_request("Too many variables")
    return ok(VARIABLE.render(VARIABLE.create(checked(body))))


async def update(id: str, body: dict):
    current = VARIABLE.find(id)
    fields = checked({**current, "expiresAt": None, **body})  # no expiresAt clears the expiry
    return ok(VARIABLE.render(VARIABLE.update(id, fields)))


search = searcher(VARIABLE)
get = getter(VARIABLE)
delete = deleter(VARIABLE)
