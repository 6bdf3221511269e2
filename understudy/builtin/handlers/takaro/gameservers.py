"""Game servers: connection info per type, soft delete, reachability, jobs and the actions that
would go to the game (commands, messages, map tiles). understudy talks to no game: servers of the
MOCK and GENERIC types answer, the others are as reachable as the store says."""

from __future__ import annotations

import base64
import json
import secrets

from jsonschema import Draft7Validator
from starlette.responses import Response

from understudy.context import store
from understudy.errors import ApiError, Violation

from . import mock_game
from .core import (Resource, bad_request, can, domain_id, done, emit, getter, mine, missing, now, ok,
                   owned, related, searcher, stamp)

# type -> the JSON schema its connectionInfo must satisfy (GET /gameserver/types sends it as a string)
CONNECTION_SCHEMAS = {
    "SEVENDAYSTODIE": {"type": "object", "required": ["host", "adminUser", "adminToken", "useTls"],
                       "properties": {"host": {"type": "string"}, "adminUser": {"type": "string"},
                                      "adminToken": {"type": "string"}, "useTls": {"type": "boolean"},
                                      "useCPM": {"type": "boolean"}, "useLegacy": {"type": "boolean"}}},
    "RUST": {"type": "object", "required": ["host", "rconPort", "rconPassword", "useTls"],
             "properties": {"host": {"type": "string"}, "rconPort": {"type": "number"},
                            "rconPassword": {"type": "string"}, "useTls": {"type": "boolean"}}},
    "GENERIC": {"type": "object", "properties": {}},
    "MOCK": {"type": "object", "properties": {"host": {"type": "string"}}},
}
ANSWERING_TYPES = ("MOCK", "GENERIC")  # types understudy "reaches"
UNREACHABLE = "understudy does not connect to real game servers"
MAP_INFO = {  # what a game's map looks like, by type
    "SEVENDAYSTODIE": {"enabled": True, "mapBlockSize": 128, "maxZoom": 4, "mapSizeX": 6144,
                       "mapSizeY": 256, "mapSizeZ": 6144},
}
NO_MAP = {"enabled": False, "mapBlockSize": 0, "maxZoom": 0, "mapSizeX": 0, "mapSizeY": 0, "mapSizeZ": 0}
# A transparent 1x1 PNG: every map tile.
TILE = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=")


def shape(server: dict) -> dict:
    """connectionInfo is only shown to callers who may manage game servers."""
    return server if can("MANAGE_GAMESERVERS") else {**server, "connectionInfo": {}}


GAMESERVER = Resource(
    "Gameserver", "gameservers", shape=shape,
    extend={"players": lambda s: related("pogs", gameServerId=s["id"]),
            "items": lambda s: related("items", gameserverId=s["id"])},
    visible=lambda s: s.get("deletedAt") is None,
    defaults={"identityToken": None, "reachable": False, "enabled": True, "deletedAt": None},
    events={"create": "gameserver-created", "update": "gameserver-updated",
            "delete": "gameserver-deleted"},
)


def connection_info(text: str, kind: str) -> dict:
    """Parse connectionInfo (a JSON string) and check it against the type's schema."""
    try:
        info = json.loads(text)
    except ValueError:
        info = None
    if not isinstance(info, dict):
        raise ApiError("validation", "Validation error", [
            Violation("body", "/connectionInfo", "connectionInfo must be a json string", "isJson")])
    problems = [Violation("body", "/connectionInfo/" + "/".join(map(str, e.absolute_path)),
                          e.message, "isConnectionInfo")
                for e in Draft7Validator(CONNECTION_SCHEMAS[kind]).iter_errors(info)]
    if problems:
        raise ApiError("validation", "Validation error", problems)
    return info


def reachable(kind: str) -> bool:
    return kind in ANSWERING_TYPES


async def create(body: dict):
    info = connection_info(body["connectionInfo"], body["type"])
    if body["type"] == "GENERIC" and not body.get("identityToken"):
        raise bad_request("Generic game servers need an identityToken")
    domain = store().get("domains", domain_id())
    if len(GAMESERVER.rows()) >= domain["maxGameservers"]:
        raise bad_request("Max game servers reached")
    server = GAMESERVER.create({**body, "connectionInfo": info, "reachable": reachable(body["type"])})
    return ok(GAMESERVER.render(server))


async def update(id: str, body: dict):
    GAMESERVER.find(id)
    info = connection_info(body["connectionInfo"], body["type"])
    return ok(GAMESERVER.render(GAMESERVER.update(id, {**body, "connectionInfo": info})))


async def delete(id: str):
    server = GAMESERVER.find(id)
    store().update("gameservers", id, {"deletedAt": now()})
    emit("gameserver-deleted", {"gameServerId": id}, {"gameserver": {"id": id, "name": server["name"]}})
    return done()


async def types():
    return ok([{"type": kind, "connectionInfoSchema": json.dumps(schema)}
               for kind, schema in CONNECTION_SCHEMAS.items()])


def reachability_of(connectable: bool) -> dict:
    if connectable:
        return {"connectable": True, "latency": 12}
    return {"connectable": False, "reason": UNREACHABLE}


async def test_reachability(body: dict):
    connection_info(body["connectionInfo"], body["type"])
    return ok(reachability_of(reachable(body["type"])))


async def reachability(id: str):
    return ok(reachability_of(GAMESERVER.find(id)["reachable"]))


async def regenerate_registration_token():
    store().update("domains", domain_id(), {"serverRegistrationToken": secrets.token_urlsafe(24),
                                            "updatedAt": now()})
    return done()


# -- jobs ------------------------------------------------------------------------------------------
def job_output(job: dict) -> dict:
    out = {"id": job["id"], "status": job["status"]}
    if job.get("failedReason"):
        out["failedReason"] = job["failedReason"]
    return out


async def start_import():
    job = store().insert("jobs", stamp({"type": "csmmImport", "status": "completed", "targetId": None}))
    return ok({"id": job["id"]})


async def import_status(id: str):
    job = owned("jobs", id, "Import job")
    if job["type"] != "csmmImport":
        raise missing("Import job", id)
    return ok(job_output(job))


async def start_job(type: str, id: str):
    GAMESERVER.find(id)
    job = store().insert("jobs", stamp({"type": type, "status": "completed", "targetId": id}))
    return ok(job_output(job))


async def job_status(type: str, id: str):
    job = owned("jobs", id, "Job")
    if job["type"] != type:
        raise missing("Job", id)
    return ok(job_output(job))


# -- what would go to the game ---------------------------------------------------------------------
async def execute(id: str, body: dict):
    server = GAMESERVER.find(id)
    if not server["reachable"]:
        return ok({"rawResult": "", "success": False, "errorMessage": "Game server is not reachable"})
    mock = mock_game.COMMANDS.get(body["command"]) if server["type"] == "MOCK" else None
    return ok({"rawResult": mock(server) if mock else f"Executed: {body['command']}", "success": True})


async def send_message(id: str, body: dict):
    GAMESERVER.find(id)
    return done()


async def map_info(id: str):
    return ok(MAP_INFO.get(GAMESERVER.find(id)["type"], NO_MAP))


async def map_tile(id: str, x: int, y: int, z: int):
    GAMESERVER.find(id)
    return Response(TILE, media_type="image/png")


async def reset_currency(id: str):
    GAMESERVER.find(id)
    pogs = [p for p in mine("pogs", gameServerId=id) if p["currency"]]
    for pog in pogs:
        store().update("pogs", pog["id"], {"currency": 0, "updatedAt": now()})
    emit("currency-reset-all", {"gameServerId": id})
    return ok({"affectedPlayerCount": len(pogs)})


async def shutdown(id: str):
    GAMESERVER.find(id)
    return done()


async def bans(id: str):
    GAMESERVER.find(id)
    found = []
    for ban in mine("bans"):
        if ban.get("gameServerId") not in (id, None):
            continue
        player = store().get("players", ban["playerId"]) or {}
        pog = store().first("pogs", gameServerId=id, playerId=ban["playerId"]) or {}
        game_player = {"gameId": pog.get("gameId", ""), "name": player.get("name", ""),
                       "steamId": player.get("steamId"), "platformId": player.get("platformId")}
        found.append({"player": {k: v for k, v in game_player.items() if v is not None},
                      "reason": ban.get("reason") or "", "expiresAt": ban.get("until")})
    return ok(found)


def game_player(pog: dict) -> dict:
    """A POG as the game describes its player (IGamePlayer)."""
    player = store().get("players", pog["playerId"]) or {}
    found = {"gameId": pog["gameId"], "name": player.get("name", ""), "ip": pog.get("ip"), "ping": pog.get("ping")}
    for key in ("steamId", "epicOnlineServicesId", "xboxLiveId", "platformId"):
        found[key] = player.get(key)
    return {k: v for k, v in found.items() if v is not None}


async def online_players(id: str):
    GAMESERVER.find(id)
    return ok([game_player(p) for p in mine("pogs", gameServerId=id, online=True)])


search = searcher(GAMESERVER)
get = getter(GAMESERVER)
