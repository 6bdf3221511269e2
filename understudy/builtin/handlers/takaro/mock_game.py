"""What a MOCK game server does when Takaro sends it a command, as Takaro's mock game server
(app-mock-gameserver) does: it has a population of ten players (game ids 0 to 9) that
`connectAll` connects and `disconnectAll` disconnects. A player connecting for the first time
becomes a Takaro player and a player on that game server, each announced with `player-created`."""

from __future__ import annotations

import hashlib

from understudy.context import store

from .core import emit, mine, now, stamp

POPULATION = 10


def game_player(server: dict, game_id: int) -> dict:
    """The mock's player `game_id`: names and platform ids fixed by the server and the number."""
    digest = hashlib.sha256(f"{server['id']}:{game_id}".encode()).hexdigest()
    return {"name": f"mock-{digest[:8]}", "steamId": digest[8:24], "epicOnlineServicesId": digest[24:40],
            "xboxLiveId": digest[40:56]}


def connect(server: dict, game_id: int) -> None:
    found = mine("pogs", gameServerId=server["id"], gameId=str(game_id))
    if found:
        store().update("pogs", found[0]["id"], {"online": True, "lastSeen": now(), "updatedAt": now()})
        return
    known = game_player(server, game_id)
    player = store().insert("players", stamp({
        **known, "platformId": None, "steamAvatar": None, "steamAccountCreated": None,
        "steamCommunityBanned": None, "steamEconomyBan": None, "steamVacBanned": None,
        "steamsDaysSinceLastBan": None, "steamNumberOfVACBans": None, "steamLevel": None,
        "playtimeSeconds": 0, "ipHistory": [], "nameHistory": []}))
    emit("player-created", {"playerId": player["id"]})
    pog = store().insert("pogs", stamp({
        "gameServerId": server["id"], "playerId": player["id"], "gameId": str(game_id), "positionX": None,
        "positionY": None, "positionZ": None, "dimension": None, "ip": None, "ping": None, "currency": 0,
        "online": True, "inventory": [], "lastSeen": now(), "playtimeSeconds": 0}))
    emit("player-created", pog)


def connect_all(server: dict) -> str:
    for game_id in range(POPULATION):
        connect(server, game_id)
    return f"Connected {POPULATION} players"


def disconnect_all(server: dict) -> str:
    for pog in mine("pogs", gameServerId=server["id"], online=True):
        store().update("pogs", pog["id"], {"online": False, "updatedAt": now()})
    return "Disconnected all players"


COMMANDS = {"connectAll": connect_all, "disconnectAll": disconnect_all}
