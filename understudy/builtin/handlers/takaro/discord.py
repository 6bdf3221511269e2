"""Discord: the guilds a domain's bot is in, their channels and roles, and messages the bot sends.
Nothing reaches Discord: messages are kept in the store."""

from __future__ import annotations

from urllib.parse import quote

from starlette.responses import RedirectResponse

from understudy.context import current, store
from understudy.errors import ApiError

from .core import Resource, bad_request, done, getter, mine, now, ok, searcher, stamp

OAUTH_URL = "https://discord.com/oauth2/authorize"
BOT_INVITE = "https://discord.com/oauth2/authorize?client_id=1000000000000000001&scope=bot&permissions=8"
DEV_SERVER = "https://discord.gg/pwenDRrtnA"

GUILD = Resource("Guild", "guilds",
                 shape=lambda g: {k: v for k, v in g.items() if k not in ("channels", "roles")})


def channel_guild(channel_id: str) -> dict:
    """The domain's guild that has this channel."""
    for guild in mine("guilds"):
        if any(c["id"] == channel_id for c in guild.get("channels", [])):
            return guild
    raise ApiError("not_found", f"Channel {channel_id} not found")


def message_output(message: dict) -> dict:
    return {k: message.get(k) for k in ("id", "channelId", "guildId", "content", "embed",
                                        "createdAt", "updatedAt")}


def content_of(body: dict) -> dict:
    if not body.get("message") and not body.get("embed"):
        raise bad_request("Either message or embed must be provided")
    return {"content": body.get("message") or "", "embed": body.get("embed")}


async def send(id: str, body: dict):
    guild = channel_guild(id)
    message = store().insert("discordMessages", stamp({"channelId": id, "guildId": guild["discordId"],
                                                       **content_of(body)}))
    return ok(message_output(message))


def channel_message(channel_id: str, message_id: str) -> dict:
    channel_guild(channel_id)
    found = store().get("discordMessages", message_id)
    if found is None or found.get("channelId") != channel_id:
        raise ApiError("not_found", f"Message {message_id} not found")
    return found


async def edit(channelId: str, messageId: str, body: dict):
    channel_message(channelId, messageId)
    message = store().update("discordMessages", messageId, {**content_of(body), "updatedAt": now()})
    return ok(message_output(message))


async def delete_message(channelId: str, messageId: str):
    channel_message(channelId, messageId)
    store().delete("discordMessages", messageId)
    return done()


async def update_guild(id: str, body: dict):
    return ok(GUILD.render(GUILD.update(id, body)))


def enabled_guild(discord_id: str) -> dict:
    """A guild by its Discord id (what Takaro's channel and role routes take), Takaro enabled."""
    guild = next(iter(mine("guilds", discordId=discord_id)), None)
    if guild is None:
        raise ApiError("not_found", f"Guild not found for Discord ID {discord_id}")
    if not guild.get("takaroEnabled"):
        raise bad_request(f"Takaro not enabled for guild {guild['id']}")
    return guild


async def channels(id: str):
    return ok(enabled_guild(id).get("channels", []))


async def roles(id: str):
    return ok(enabled_guild(id).get("roles", []))


async def invite():
    return ok({"botInvite": BOT_INVITE, "devServer": DEV_SERVER})


async def login(redirect: str | None = None):
    target = quote(redirect or "/", safe="")
    return RedirectResponse(f"{OAUTH_URL}?response_type=code&scope=identify%20guilds&state={target}", 302)


async def oauth_return(state: str | None = None, code: str | None = None):
    base = current().base_url
    return RedirectResponse(state if state and state.startswith("/") else base + "/", 302)


search_guilds = searcher(GUILD)
get_guild = getter(GUILD)
