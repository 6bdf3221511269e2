"""Players (created by game servers, never by the API) and their role assignments."""

from __future__ import annotations

from understudy.context import store
from understudy.errors import ApiError

from .core import Resource, caller, domain_id, getter, ok, referenced, related, searcher
from .gameservers import GAMESERVER
from .roles import ROLE, assign, assignable, assignments, unassign


def role_assignments(player: dict) -> list[dict]:
    return assignments("playerId", player["id"])


def with_default_role(player: dict) -> list[dict]:
    """The player's assignments as PlayerService shows them: the Player role everyone holds is
    added as `{playerId, roleId, role}` (no id or timestamps)."""
    found = role_assignments(player)
    default = store().first("roles", domain=domain_id(), name="Player", system=True)
    if default is not None:
        found.append({"playerId": player["id"], "roleId": default["id"], "role": ROLE.render(default)})
    return found


def servers_of(player: dict) -> list[dict]:
    ids = {p["gameServerId"] for p in store().find("pogs", playerId=player["id"])}
    return [GAMESERVER.render(s) for s in GAMESERVER.rows() if s["id"] in ids]


PLAYER = Resource(
    "Player", "players",
    shape=lambda p: {**p, "roleAssignments": with_default_role(p)},
    extend={"playerOnGameServers": lambda p: related("pogs", playerId=p["id"]),
            "gameServers": servers_of,
            "roles": lambda p: [a["role"] for a in role_assignments(p)],
            "roleAssignments": role_assignments},
    fields={"roleId": lambda p: [a["roleId"] for a in role_assignments(p)]},
    events={"delete": "player-deleted"},
)


def remove(player_id: str) -> None:
    """A player and what hangs on it: game-server records, role assignments."""
    PLAYER.delete(player_id)
    for coll in ("pogs", "roleAssignments"):
        for doc in store().find(coll, domain=domain_id(), playerId=player_id):
            store().delete(coll, doc["id"])


def bulk_delete(ids: list[str], delete_one) -> dict:
    """`{deleted, failed, errors}` of deleting each player in turn."""
    deleted, errors = 0, []
    for ident in ids:
        try:
            delete_one(ident)
            deleted += 1
        except ApiError as error:
            errors.append({"playerId": ident, "reason": error.message})
    return {"deleted": deleted, "failed": len(errors), "errors": errors}


async def delete(id: str):
    remove(id)
    return ok({})


async def bulk(body: dict):
    return ok(bulk_delete(body["playerIds"], remove))


async def assign_role(id: str, roleId: str, body: dict | None = None):
    body = body or {}
    player = PLAYER.find(id)
    referenced(body, "gameServerId")
    assign(assignable(roleId), player, "playerId", body.get("gameServerId"), body.get("expiresAt"))
    return ok({})


async def remove_role(id: str, roleId: str, body: dict | None = None):
    player = PLAYER.find(id)
    referenced(body or {}, "gameServerId")
    unassign(ROLE.find(roleId), player, "playerId", (body or {}).get("gameServerId"))
    return ok({})


async def me():
    player = store().get("players", caller().get("playerId"))
    if player is None or player.get("domain") != domain_id():
        raise ApiError("not_found", "Player not found, please link your player account.")
    return ok({"player": PLAYER.render(player), "pogs": related("pogs", playerId=player["id"])})


search = searcher(PLAYER)
get = getter(PLAYER)
