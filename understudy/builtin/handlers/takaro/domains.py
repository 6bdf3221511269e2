"""Domain administration (admin token): create a domain with its starting state, search, read,
update, delete, mint agent tokens, resolve registration tokens."""

from __future__ import annotations

import random
import secrets
from typing import Any

from understudy import search
from understudy.context import settings, store
from understudy.errors import ApiError

from .access import mint_jwt
from .core import act_in, body_schema, done, missing, new_id, now, ok, public, stamp
from .roles import ROLE
from .users import USER, add_user

LABEL = "Domain"
# Columns the database fills when a domain is created without them.
DEFAULTS = {"state": "ACTIVE", "externalReference": None, "rateLimitPoints": 2500,
            "rateLimitDuration": 900000, "maxGameservers": 1, "maxUsers": 1, "eventRetentionDays": 7,
            "maxVariables": 10000, "maxModules": 1000, "maxFunctionsInModule": 50}
# Every collection that holds a domain's documents (a hard delete empties them all).
TENANT_COLLECTIONS = (
    "users", "roles", "roleAssignments", "gameservers", "players", "pogs", "bans", "variables",
    "events", "settings", "modules", "moduleVersions", "installations", "commands",
    "commandArguments", "hooks", "cronjobs", "functions", "permissions", "items", "entities",
    "shopCategories", "shopListings", "shopOrders", "guilds", "discordMessages", "jobs",
    "linkCodes", "playerLocations", "inventoryHistory",
)
# human-id style domain ids: adjective-noun-verb.
WORDS = (
    ("brave", "quiet", "slick", "happy", "swift", "tidy", "bold", "calm", "eager", "fuzzy", "gentle",
     "jolly", "lucky", "merry", "proud", "silly", "sunny", "witty", "young", "zesty"),
    ("otters", "lamps", "socks", "foxes", "pumas", "crows", "moles", "geese", "wolves", "hawks",
     "bears", "cats", "ducks", "frogs", "goats", "lions", "mice", "owls", "seals", "yaks"),
    ("sing", "glow", "jam", "dance", "jump", "run", "swim", "fly", "hide", "laugh", "nap", "play",
     "roam", "shine", "sleep", "smile", "talk", "wave", "wink", "work"),
)


def human_id() -> str:
    taken = {d["id"] for d in store().all("domains")}
    while True:
        candidate = "-".join(random.choice(words) for words in WORDS)
        if candidate not in taken:
            return candidate


def find(ident: str) -> dict:
    domain = store().get("domains", ident)
    if domain is None:
        raise missing(LABEL, ident)
    return domain


def instantiate(template: dict[str, list[dict]], domain: str) -> dict[str, str]:
    """Copy the template's documents into a new domain; `@name` ids become fresh uuids, the same
    name the same uuid everywhere it is referenced. Returns the name -> uuid map."""
    ids: dict[str, str] = {}
    moment = now()

    def resolve(value: Any) -> Any:
        if isinstance(value, str) and value.startswith("@"):
            return ids.setdefault(value, new_id())
        if isinstance(value, dict):
            return {k: resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [resolve(v) for v in value]
        return value

    for coll, docs in template.items():
        store().insert_many(coll, [{**resolve(d), "domain": domain, "createdAt": moment,
                                    "updatedAt": moment} for d in docs])
    return ids


async def create(body: dict):
    fields = {k: v for k, v in body.items() if k != "id"}  # Takaro always generates the id
    moment = now()
    domain = {"id": human_id(), **DEFAULTS, **fields,
              "serverRegistrationToken": secrets.token_urlsafe(24), "createdAt": moment,
              "updatedAt": moment}
    store().insert("domains", domain)
    act_in(domain["id"])
    ids = instantiate(store().singleton("domain_template"), domain["id"])
    password = secrets.token_hex(20)
    user = add_user("root", f"root@{domain['id']}.com", password, dashboard=False)
    store().update("identities", user["idpId"], {"password": password})  # a reused id's old identity
    root_role = store().get("roles", ids["@role-root"])
    store().insert("roleAssignments", stamp({"roleId": root_role["id"], "userId": user["id"], "playerId": None,
                                             "gameServerId": None, "expiresAt": None}))
    return ok({"createdDomain": domain, "rootUser": USER.render(user),
               "rootRole": ROLE.render(root_role), "password": password})


async def search_domains(body=None):
    query = search.parse(body, search.Allowed.from_schema(body_schema()))
    rows, meta = search.run(store().all("domains"), query)
    return ok(rows, meta)


async def get(id: str):
    return ok(find(id))


async def update(id: str, body: dict):
    find(id)
    return ok(store().update("domains", id, {**body, "updatedAt": now()}))


async def delete(id: str, hardDelete: bool = False):
    find(id)
    moment = now()
    for server in store().find("gameservers", domain=id, deletedAt=None):
        store().update("gameservers", server["id"], {"deletedAt": moment})
    if hardDelete:
        for coll in TENANT_COLLECTIONS:
            for doc in store().find(coll, domain=id):
                store().delete(coll, doc["id"])
        store().delete("domains", id)
    else:
        store().update("domains", id, {"state": "DISABLED", "updatedAt": moment})
    return done()


async def token(body: dict):
    domain = find(body["domainId"])
    root = next((store().get("users", a["userId"])
                 for role in store().find("roles", domain=domain["id"], name="root")
                 for a in store().find("roleAssignments", roleId=role["id"]) if a.get("userId")),
                None)
    if root is None:
        raise missing("Root user of domain", domain["id"])
    return ok({"token": mint_jwt(root, str(settings()["JWT_SECRET"]))})


async def resolve_registration_token(body: dict):
    wanted = body.get("registrationToken") or ""
    domain = next((d for d in store().all("domains")
                   if wanted and d.get("serverRegistrationToken") == wanted), None)
    if domain is None or domain["state"] == "DISABLED":
        raise ApiError("not_found", "Domain not found")
    return ok(public(domain))
