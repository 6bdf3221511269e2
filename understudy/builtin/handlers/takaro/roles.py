"""Roles and the permission list. A role holds permission grants `{permissionId, count}`; core
permissions are shared by every domain, module permissions belong to one domain's module version."""

from __future__ import annotations

import uuid

from understudy.context import principal, store
from understudy.errors import forbidden

from .core import (Resource, bad_request, can, deleter, domain_id, emit, expired, getter, new_id, now, ok,
                   public, searcher, stamp)

DEFAULT_ROLES = ("Player", "User")  # everyone has these; they cannot be assigned


def visible_permission(permission: dict) -> bool:
    return permission.get("domain") in (None, domain_id())


def permission_output(permission: dict) -> dict:
    out = public(permission)
    version = store().get("moduleVersions", permission.get("moduleVersionId"))
    if version is not None:
        module = store().get("modules", version["moduleId"]) or {}
        out["module"] = {"id": version["moduleId"], "name": module.get("name")}
        out["version"] = {"id": version["id"], "tag": version["tag"]}
    return out


GRANT_IDS = uuid.UUID("5d0a3b8e-7c1f-4e0a-9a51-6f1c2b3d4e5f")  # names the grants fixtures leave unnamed


def fixture_grant_id(role_id: str, permission_id: str) -> str:
    """A stable v4-shaped id for a grant the fixtures left unnamed."""
    return str(uuid.UUID(bytes=uuid.uuid5(GRANT_IDS, role_id + permission_id).bytes, version=4))


def grants_output(role: dict) -> list[dict]:
    """A role's permissions as PermissionOnRoleDTOs: each grant is a row of its own, with an id and
    timestamps (a grant from the fixtures gets a stable id and its role's timestamps)."""
    found = []
    for grant in role.get("permissions", []):
        permission = store().get("permissions", grant["permissionId"])
        if permission is not None:
            found.append({"id": grant.get("id") or fixture_grant_id(role["id"], grant["permissionId"]),
                          "createdAt": grant.get("createdAt") or role["createdAt"],
                          "updatedAt": grant.get("updatedAt") or role["createdAt"],
                          "roleId": role["id"], "permissionId": grant["permissionId"],
                          "permission": permission_output(permission),
                          "count": grant.get("count", 0)})
    return found


def shape(role: dict) -> dict:
    return {**role, "permissions": grants_output(role)}


ROLE = Resource(
    "Role", "roles", shape=shape, extend={"permissions": grants_output},
    defaults={"system": False, "linkedDiscordRoleId": None, "permissions": []},
    unique=(("name",),),
    events={"create": "role-created", "update": "role-updated", "delete": "role-deleted"},
)


def grants(requested: list[dict]) -> list[dict]:
    """Permission inputs as stored grants, each a new row; every permission must exist for this
    domain, and be one the caller holds (`within_rights`)."""
    found, moment = [], now()
    for item in requested:
        permission = store().get("permissions", item["permissionId"])
        if permission is None or not visible_permission(permission):
            raise bad_request(f"Permission {item['permissionId']} does not exist")
        found.append({"id": new_id(), "permissionId": permission["id"], "count": item.get("count") or 0,
                      "createdAt": moment, "updatedAt": moment})
    within_rights(found, "grant")
    return found


def within_rights(found: list[dict], verb: str) -> None:
    """A caller without ROOT grants or assigns no core permission it does not hold itself, so no
    user raises anyone (themself included) above their own rights (inferred: Takaro's docs say
    only that the root role is not meant to be assigned). Module permissions act in game, not on
    the API, and are not limited."""
    if can("ROOT"):
        return
    held = set(principal().get("permissions", ()))
    codes = {p["permission"] for p in (store().get("permissions", g["permissionId"]) for g in found)
             if p is not None and p.get("domain") is None}
    beyond = sorted(codes - held)
    if beyond:
        raise forbidden(f"Cannot {verb} permissions you do not hold: {', '.join(beyond)}")


async def permissions():
    rows = store().filter("permissions", visible_permission)
    return ok([permission_output(p) for p in sorted(rows, key=lambda p: p["permission"])])


async def create(body: dict):
    fields = {**body, "permissions": grants(body.get("permissions", []))}
    return ok(ROLE.render(ROLE.create(fields)))


async def update(id: str, body: dict):
    role = ROLE.find(id)
    if role["name"] == "root" and role["system"]:
        raise bad_request("Cannot update root role")
    fields = dict(body)
    if "permissions" in fields:
        fields["permissions"] = grants(fields["permissions"])
    if role["system"]:
        fields = {k: v for k, v in fields.items() if k == "permissions"}
    return ok(ROLE.render(ROLE.update(id, fields)))


async def delete(id: str):
    role = ROLE.find(id)
    if role["system"]:
        raise bad_request("Cannot delete system roles")
    for assignment in store().find("roleAssignments", roleId=id):
        store().delete("roleAssignments", assignment["id"])
    return await deleter(ROLE)(id=id)


search = searcher(ROLE)
get = getter(ROLE)


# -- role assignments (users and players share them) ----------------------------------------------
def assignable(role_id: str) -> dict:
    role = ROLE.find(role_id)
    if role["system"] and role["name"] in DEFAULT_ROLES:
        raise bad_request("Cannot assign Player or User role, everyone has these by default")
    within_rights(role.get("permissions", []), "assign a role with")
    return role


def assign(role: dict, subject: dict, field: str, gameServerId: str | None = None,
           expiresAt: str | None = None) -> None:
    """Give `subject` (a user or a player, named by `field`) the role, once per game server."""
    existing = store().first("roleAssignments", domain=domain_id(), roleId=role["id"],
                             gameServerId=gameServerId, **{field: subject["id"]})
    if existing is not None:
        store().update("roleAssignments", existing["id"], {"expiresAt": expiresAt, "updatedAt": now()})
    else:
        other = "playerId" if field == "userId" else "userId"
        store().insert("roleAssignments", stamp({"roleId": role["id"], field: subject["id"],
                                                 other: None, "gameServerId": gameServerId,
                                                 "expiresAt": expiresAt}))
    emit("role-assigned", {field: subject["id"], "gameServerId": gameServerId},
         {"role": {"id": role["id"], "name": role["name"]}})


def unassign(role: dict, subject: dict, field: str, gameServerId: str | None = None) -> None:
    for found in store().find("roleAssignments", domain=domain_id(), roleId=role["id"],
                              gameServerId=gameServerId, **{field: subject["id"]}):
        store().delete("roleAssignments", found["id"])
    emit("role-removed", {field: subject["id"], "gameServerId": gameServerId},
         {"role": {"id": role["id"], "name": role["name"]}})


def granted(held: list[dict]) -> set[str]:
    """The permission codes that role assignments (each with its `role`) grant."""
    return {grant["permission"]["permission"] for a in held for grant in a["role"]["permissions"]}


def assignments(field: str, subject_id: str) -> list[dict]:
    """A user's or player's live assignments, each with its role."""
    found = []
    for a in store().find("roleAssignments", **{field: subject_id}):
        role = store().get("roles", a["roleId"])
        if role is not None and not expired(a):
            found.append({**public(a), "role": ROLE.render(role)})
    return found
