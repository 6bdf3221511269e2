"""Logging in and out, who am I, which domain I work in, and linking a game player to a user."""

from __future__ import annotations

import secrets
import string

from understudy.auth import find, matching
from understudy.context import current, header, principal, store
from understudy.errors import ApiError, unauthorized

from .access import DOMAIN_COOKIE, member_domains
from .core import act_in, bad_request, can, done, emit, now, ok, public, related
from .players import PLAYER
from .settings import setting_in
from .users import USER, add_user

TOKEN_ALPHABET = string.ascii_letters + string.digits


def session_token() -> str:
    """A Kratos-style session token."""
    return "ory_st_" + "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(32))


async def login(body: dict):
    with_password = [i for i in store().all("identities") if i.get("password")]
    identity = matching(with_password, email=body["username"], password=body["password"])
    if identity is None:
        raise unauthorized("Not authorized")
    token = store().insert("sessions", {"id": session_token(), "identityId": identity["id"],
                                        "createdAt": now()})
    return ok({"token": token["id"]})


async def logout():
    scheme, _, token = (header("authorization") or "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        found = find("sessions", id=token.strip())
        if found is not None:
            store().delete("sessions", found["id"])
    return done()


def domain_output(domain: dict) -> dict:
    out = public(domain)
    if not can("MANAGE_GAMESERVERS"):
        out.pop("serverRegistrationToken", None)
    name = setting_in(domain["id"], "domainName")
    if name:
        out["name"] = name
    return out


async def me():
    user = principal()["user"]
    player = store().get("players", user.get("playerId"))
    data = {"user": USER.render(user),
            "domains": [domain_output(d) for d in member_domains(user["idpId"])],
            "domain": user["domain"],
            "pogs": related("pogs", playerId=player["id"]) if player else []}
    if player is not None:
        data["player"] = PLAYER.render(player)
    return ok(data)


def cookie(value: str, max_age: int | None = None) -> dict:
    age = "" if max_age is None else f"; Max-Age={max_age}"
    return {"Set-Cookie": f"{DOMAIN_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax{age}"}


async def clear_domain():
    return done(cookie("", 0))


async def select_domain(domainId: str):
    user = principal()["user"]
    if all(d["id"] != domainId for d in member_domains(user["idpId"])):
        raise ApiError("not_found", f"Domain with id {domainId} not found")
    current().extras.pop("set-cookie", None)
    return done(cookie(domainId))


async def link_player(body: dict):
    code = store().get("linkCodes", body["code"])
    if code is None:
        raise bad_request("Invalid link code")
    act_in(code["domain"])
    user = (store().first("users", domain=code["domain"], email=body["email"])
            or add_user(body["email"], body["email"], None, dashboard=False))
    store().update("users", user["id"], {"playerId": code["playerId"], "updatedAt": now()})
    store().delete("linkCodes", code["id"])
    emit("player-linked", {"playerId": code["playerId"], "userId": user["id"]})
    return done()
