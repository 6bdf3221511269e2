"""Users: dashboard and player accounts of a domain. A user is an identity (an e-mail and a
password, shared across domains) plus a row per domain; its roles come from role assignments."""

from __future__ import annotations

from understudy.context import store

from .core import Resource, bad_request, deleter, domain_id, getter, new_id, now, ok, related_one, searcher
from .roles import ROLE, assign, assignable, assignments, unassign


def roles_of(user: dict) -> list[dict]:
    """The user's assignments, plus the `User` role everyone has."""
    found = assignments("userId", user["id"])
    default = store().first("roles", domain=domain_id(), name="User", system=True)
    if default is not None and all(a["roleId"] != default["id"] for a in found):
        found.append({"userId": user["id"], "roleId": default["id"], "playerId": None,
                      "gameServerId": None, "expiresAt": None, "role": ROLE.render(default)})
    return found


def role_ids(user: dict) -> list[str]:
    return [a["roleId"] for a in roles_of(user)]


def shape(user: dict) -> dict:
    """A user with its roles, and its player when one is linked (UserService adds it then only)."""
    player = related_one("players", user.get("playerId"))
    return {**user, "roles": roles_of(user), **({"player": player} if player else {})}


USER = Resource(
    "User", "users",
    shape=shape,
    extend={"roles": roles_of},
    fields={"roleId": role_ids},
    defaults={"discordId": None, "playerId": None, "isDashboardUser": False, "idpId": None},
    unique=(("email",),),
)


def check_seats(user: dict | None = None) -> None:
    """Dashboard users are limited by the domain's `maxUsers`."""
    domain = store().get("domains", domain_id())
    seated = [u for u in USER.rows() if u.get("isDashboardUser") and (user is None or u["id"] != user["id"])]
    if len(seated) >= domain["maxUsers"]:
        raise bad_request(f"Max users ({domain['maxUsers']}) limit reached")


def identity_for(email: str, password: str | None) -> dict:
    """The identity with this e-mail, created when new (Kratos keeps one per e-mail); a password
    given for an identity that had none (invited, linked) becomes its password."""
    found = store().first("identities", email=email)
    if found is None:
        return store().insert("identities", {"id": new_id(), "email": email, "password": password})
    if password and not found.get("password"):
        found = store().update("identities", found["id"], {"password": password})
    return found


def add_user(name: str, email: str, password: str | None, dashboard: bool) -> dict:
    if dashboard:
        check_seats()
    identity = identity_for(email, password)
    return USER.create({"name": name, "email": email, "idpId": identity["id"],
                        "isDashboardUser": dashboard, "lastSeen": now()})


async def create(body: dict):
    user = add_user(body["name"], body["email"], body["password"], body.get("isDashboardUser", False))
    return ok(USER.render(user))


async def invite(body: dict):
    existing = store().first("users", domain=domain_id(), email=body["email"])
    if existing is not None:
        return ok(USER.render(existing))
    return ok(USER.render(add_user(body["email"], body["email"], None, True)))


async def update(id: str, body: dict):
    user = USER.find(id)
    if body.get("isDashboardUser") and not user.get("isDashboardUser"):
        check_seats(user)
    return ok(USER.render(USER.update(id, body)))


async def delete(id: str):
    for assignment in store().find("roleAssignments", userId=id):
        store().delete("roleAssignments", assignment["id"])
    return await deleter(USER)(id=id)


async def assign_role(id: str, roleId: str, body: dict | None = None):
    user = USER.find(id)
    assign(assignable(roleId), user, "userId", expiresAt=(body or {}).get("expiresAt"))
    return ok({})


async def remove_role(id: str, roleId: str):
    user = USER.find(id)
    unassign(ROLE.find(roleId), user, "userId")
    return ok({})


search = searcher(USER)
get = getter(USER)
