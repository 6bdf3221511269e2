"""A player on a game server (POG): position, inventory, currency, and what moderators do to the
player there (ban, kick, teleport, give items). Currency moves only when the economy is on."""

from __future__ import annotations

from understudy.context import store
from understudy.errors import ApiError

from .bans import BAN
from .core import Resource, bad_request, domain_id, done, emit, mine, missing, now, ok, related_one
from .gameservers import GAMESERVER
from .players import PLAYER, bulk_delete
from .roles import ROLE, assignments, granted
from .settings import economy_enabled

POG = Resource(
    "Player on gameserver", "pogs",
    extend={"gameServer": lambda p: related_one("gameservers", p["gameServerId"]),
            "player": lambda p: related_one("players", p["playerId"])},
)


def find(game_server_id: str, player_id: str) -> dict:
    GAMESERVER.find(game_server_id)
    PLAYER.find(player_id)
    found = mine("pogs", gameServerId=game_server_id, playerId=player_id)
    if not found:
        raise missing("Player on gameserver", player_id)
    return found[0]


def roles_on_server(pog: dict, default_role: bool = False) -> list[dict]:
    """The player's role assignments that apply on the POG's game server (global ones and that
    server's), one per role. A search adds the Player role everyone has, as `{roleId, role}`
    (PlayerOnGameServerService.extend); a single POG is read without it (the repository's findOne)."""
    found, seen = [], set()
    for assignment in assignments("playerId", pog["playerId"]):
        if assignment.get("gameServerId") in (None, pog["gameServerId"]) and assignment["roleId"] not in seen:
            seen.add(assignment["roleId"])
            found.append(assignment)
    default = store().first("roles", domain=domain_id(), name="Player", system=True) if default_role else None
    if default is not None:
        found.append({"roleId": default["id"], "role": ROLE.render(default)})
    return found


def with_roles(pog: dict, default_role: bool = False) -> dict:
    return {**POG.render(pog), "roles": roles_on_server(pog, default_role)}


def permissions(pog: dict) -> set[str]:
    """The permission codes the player holds on the POG's game server."""
    return granted(roles_on_server(pog, default_role=True))


async def search(body=None):
    rows, meta = POG.query(body)
    return ok([{**row, "roles": roles_on_server(row, default_role=True)} for row in rows], meta)


async def get(gameServerId: str, playerId: str):
    return ok(with_roles(find(gameServerId, playerId)))


async def delete(gameServerId: str, playerId: str):
    store().delete("pogs", find(gameServerId, playerId)["id"])
    return done()


async def bulk(gameServerId: str, body: dict):
    GAMESERVER.find(gameServerId)
    return ok(bulk_delete(body["playerIds"],
                          lambda ident: store().delete("pogs", find(gameServerId, ident)["id"])))


# -- currency ----------------------------------------------------------------------------------------
def wallet(game_server_id: str, player_id: str) -> dict:
    pog = find(game_server_id, player_id)
    if not economy_enabled(game_server_id):
        raise bad_request("Economy is not enabled")
    return pog


def credit(pog: dict, amount: float) -> dict:
    if pog["currency"] + amount < 0:
        raise bad_request("Not enough currency")
    return store().update("pogs", pog["id"], {"currency": pog["currency"] + amount, "updatedAt": now()})


async def add_currency(gameServerId: str, playerId: str, body: dict):
    pog = credit(wallet(gameServerId, playerId), body["currency"])
    emit("currency-added", pog, {"amount": body["currency"]})
    return ok(with_roles(pog))


async def deduct_currency(gameServerId: str, playerId: str, body: dict):
    pog = credit(wallet(gameServerId, playerId), -body["currency"])
    emit("currency-deducted", pog, {"amount": body["currency"]})
    return ok(with_roles(pog))


async def set_currency(gameServerId: str, playerId: str, body: dict):
    pog = wallet(gameServerId, playerId)
    return ok(with_roles(store().update("pogs", pog["id"], {"currency": body["currency"],
                                                            "updatedAt": now()})))


def pog_named(game_server_id: str, ref: str) -> dict:
    """A transfer names POGs by their own ids (Takaro reads them with findById); a player's id on
    the game server is accepted as well."""
    pog = store().get("pogs", ref)
    if pog is None or pog.get("domain") != domain_id():
        pog = next(iter(mine("pogs", gameServerId=game_server_id, playerId=ref)), None)
    if pog is None:
        raise ApiError("not_found", "Not found")
    return pog


async def transfer(gameServerId: str, sender: str, receiver: str, body: dict):
    source = pog_named(gameServerId, sender)
    if not economy_enabled(source["gameServerId"]):
        raise bad_request("Economy is not enabled")
    if body["currency"] <= 0:
        raise bad_request("Amount must be greater than 0")
    target = pog_named(gameServerId, receiver)
    if source["gameServerId"] != target["gameServerId"]:
        raise bad_request("Players are not on the same game server")
    if source["currency"] < body["currency"]:
        raise bad_request("Insufficient funds")
    source = credit(source, -body["currency"])
    credit(target, body["currency"])
    emit("currency-deducted", source, {"amount": body["currency"]})
    emit("currency-added", target, {"amount": body["currency"]})
    return done()  # PlayerOnGameServerService.transact returns nothing: `data` is {}


# -- moderation ---------------------------------------------------------------------------------------
async def ban(gameServerId: str, playerId: str, body: dict | None = None):
    body = body or {}
    find(gameServerId, playerId)
    BAN.create({"gameServerId": gameServerId, "playerId": playerId, "takaroManaged": True,
                "isGlobal": False, "until": body.get("expiresAt"), "reason": body.get("reason")})
    return done()


async def unban(gameServerId: str, playerId: str):
    find(gameServerId, playerId)
    for found in mine("bans", gameServerId=gameServerId, playerId=playerId):
        BAN.delete(found["id"])
    return done()


async def kick(gameServerId: str, playerId: str, body: dict):
    pog = find(gameServerId, playerId)
    store().update("pogs", pog["id"], {"online": False, "updatedAt": now()})
    return done()


async def teleport(gameServerId: str, playerId: str, body: dict):
    pog = find(gameServerId, playerId)
    store().update("pogs", pog["id"], {"positionX": body["x"], "positionY": body["y"],
                                       "positionZ": body["z"], "dimension": body.get("dimension"),
                                       "updatedAt": now()})
    return done()


async def give_item(gameServerId: str, playerId: str, body: dict):
    pog = find(gameServerId, playerId)
    inventory = [i for i in pog.get("inventory", []) if i.get("name") != body["name"]]
    held = next((i for i in pog.get("inventory", []) if i.get("name") == body["name"]), None)
    amount = (held or {}).get("amount", 0) + body["amount"]
    inventory.append({**(held or {"name": body["name"], "code": body["name"]}),
                      "amount": amount, "quality": body["quality"]})
    store().update("pogs", pog["id"], {"inventory": inventory, "updatedAt": now()})
    return done()

