"""Settings: a fixed set of keys with defaults; a domain may set a global value, and a game server
an override where the key allows one. Values are strings."""

from __future__ import annotations

import json

from understudy.context import store

from .core import bad_request, domain_id, emit, now, ok, stamp
from .gameservers import GAMESERVER

# key -> (default, can have a game-server override, description)
SETTINGS = {
    "commandPrefix": ("/", True, "Prefix for chat commands"),
    "serverChatName": ("Takaro", True, "Name the server uses to send chat messages"),
    "economyEnabled": ("false", True, "Whether the economy (currency, shop) is enabled"),
    "currencyName": ("Takaro coins", True, "Name of the currency"),
    "developerMode": ("false", False, "Show developer tools in the dashboard"),
    "messagePrefix": ("", True, "Prefix for every message the server sends"),
    "domainName": ("", False, "Name of the domain shown to users"),
    "discordRoleSyncEnabled": ("false", False, "Sync Discord roles with Takaro roles"),
    "discordRoleSyncPreferDiscord": ("false", False, "On conflict, Discord roles win"),
    "unknownCommandFeedbackEnabled": ("false", True, "Answer players who type an unknown command"),
    "unknownCommandFeedbackMessage": (
        "Unknown command '{prefix}{command}'. Use {prefix}help to see available commands.", True,
        "The answer to an unknown command"),
}


def stored(key: str, game_server_id: str | None) -> dict | None:
    return store().first("settings", domain=domain_id(), key=key, gameServerId=game_server_id)


def resolve(key: str, game_server_id: str | None = None) -> dict:
    """SettingsOutputDTO: the override, else the global value, else the default."""
    default, overridable, description = SETTINGS[key]
    override = stored(key, game_server_id) if game_server_id else None
    global_value = stored(key, None)
    if override is not None and override["value"] is not None:
        value, kind = override["value"], "override"
    elif global_value is not None and global_value["value"] is not None:
        value, kind = global_value["value"], "inherit" if game_server_id else "global"
    else:
        value, kind = default, "default"
    return {"key": key, "value": value, "type": kind, "description": description,
            "canHaveGameServerOverride": overridable}


def value_of(key: str, game_server_id: str | None = None) -> str:
    return resolve(key, game_server_id)["value"]


def economy_enabled(game_server_id: str) -> bool:
    return value_of("economyEnabled", game_server_id) == "true"


def check_server(game_server_id: str | None) -> None:
    if game_server_id is not None:
        GAMESERVER.find(game_server_id)


async def list_settings(gameServerId: str | None = None, keys: list[str] | None = None):
    check_server(gameServerId)
    return ok([resolve(k, gameServerId) for k in (keys or SETTINGS)])


async def get(key: str, gameServerId: str | None = None):
    check_server(gameServerId)
    return ok(resolve(key, gameServerId))


def write(key: str, value: str | None, game_server_id: str | None) -> None:
    if game_server_id is not None and not SETTINGS[key][1]:
        raise bad_request(f"Setting {key} cannot be overridden per game server")
    check_server(game_server_id)
    existing = stored(key, game_server_id)
    if existing is not None:
        store().update("settings", existing["id"], {"value": value, "updatedAt": now()})
    else:
        store().insert("settings", stamp({"key": key, "value": value, "gameServerId": game_server_id}))


async def set_setting(key: str, body: dict):
    value = body["value"]
    text = value if isinstance(value, str) else json.dumps(value)
    write(key, text, body.get("gameServerId"))
    emit("settings-set", {"gameServerId": body.get("gameServerId")}, {"key": key, "value": text})
    return ok(resolve(key, body.get("gameServerId")))


async def delete(key: str, gameServerId: str | None = None):
    write(key, None, gameServerId)
    return ok({})


def setting_in(domain: str, key: str) -> str:
    """A setting's domain-wide value in any domain (for listing the caller's other domains)."""
    found = store().first("settings", domain=domain, key=key, gameServerId=None)
    return found["value"] if found and found["value"] is not None else SETTINGS[key][0]
