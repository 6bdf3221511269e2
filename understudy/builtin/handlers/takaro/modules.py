"""Modules: versioned bundles of commands, hooks, cron jobs, functions and permissions. The
`latest` version is the one being edited; tagging copies it into an immutable semver version.
Installing a version on a game server records its configs; modules travel as export/import JSON."""

from __future__ import annotations

import json
import re
from typing import Any

from jsonschema import Draft7Validator

from understudy.context import settings, store
from understudy.errors import ApiError, Violation
from understudy.security import limits

from .components import (ARGUMENT, COMMAND, CRONJOB, FUNCTION, HOOK, checked_cron, checked_hook,
                         remove_component)
from .core import (Resource, bad_request, conflict, domain_id, done, emit, getter, mine, ok, public,
                   related, related_one, searcher, stamp, validation)
from .gameservers import GAMESERVER

SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")
EMPTY_SCHEMA = json.dumps({"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
                           "properties": {}, "required": [], "additionalProperties": False})
VERSION_FIELDS = ("description", "configSchema", "uiSchema", "defaultSystemConfig")
TAKARO_VERSION = "understudy"
# Components of a version, as (collection, resource, name in ModuleVersionOutputDTO / export)
PARTS = (("commands", COMMAND, "commands"), ("hooks", HOOK, "hooks"),
         ("cronjobs", CRONJOB, "cronJobs"))


def system_config_schema(version_id: str) -> str:
    """The schema of what an installation may tune per component (enabled, cron timing)."""
    properties: dict[str, Any] = {"enabled": {"type": "boolean", "default": True}}
    for coll, _, name in PARTS:
        docs = mine(coll, versionId=version_id)
        if docs:
            properties[name] = {"type": "object", "properties": {
                d["name"]: {"type": "object", "properties": {"enabled": {"type": "boolean", "default": True}}}
                for d in docs}}
    return json.dumps({"type": "object", "properties": properties})


def version_shape(version: dict) -> dict:
    out = {**version, "systemConfigSchema": system_config_schema(version["id"])}
    for coll, res, name in PARTS:
        out[name] = [res.render(d) for d in mine(coll, versionId=version["id"])]
    out["functions"] = related("functions", versionId=version["id"])
    out["permissions"] = [public(p) for p in mine("permissions", moduleVersionId=version["id"])]
    return out


VERSION = Resource("ModuleVersion", "moduleVersions", shape=version_shape,
                   unique=(("moduleId", "tag"),),
                   defaults={"description": "", "configSchema": EMPTY_SCHEMA, "uiSchema": "{}",
                             "defaultSystemConfig": None})


def latest_of(module_id: str) -> dict | None:
    return next(iter(mine("moduleVersions", moduleId=module_id, tag="latest")), None)


def module_shape(module: dict) -> dict:
    latest = latest_of(module["id"])
    versions = sorted(mine("moduleVersions", moduleId=module["id"]), key=lambda v: v["createdAt"])
    return {**module, **({"latestVersion": VERSION.render(latest)} if latest else {}),
            "versions": [{k: v[k] for k in ("id", "tag", "createdAt", "updatedAt")} for v in versions]}


MODULE = Resource("Module", "modules", shape=module_shape,
                  fields={"supportedGames": lambda m: m.get("supportedGames", [])},
                  defaults={"builtin": None, "author": None, "supportedGames": ["all"]},
                  unique=(("name",),),
                  events={"create": "module-created", "update": "module-updated",
                          "delete": "module-deleted"})


def installation_shape(installation: dict) -> dict:
    related_data = {"version": related_one("moduleVersions", installation["versionId"]),
                    "module": related_one("modules", installation["moduleId"])}
    return {**installation, **{k: v for k, v in related_data.items() if v is not None}}


INSTALLATION = Resource("Module installation", "installations", shape=installation_shape)


# -- helpers ---------------------------------------------------------------------------------------
def json_string(value: Any, where: str) -> Any:
    """A JSON document sent as a string (schemas, configs)."""
    try:
        return limits.loads(value, int(settings()["max_json_depth"]))
    except (TypeError, ValueError):
        raise validation(where, f"{where.strip('/')} must be a json string", "isJSON")


def version_fields(fields: dict) -> dict:
    found = {k: fields[k] for k in VERSION_FIELDS if fields.get(k) is not None}
    for name in ("configSchema", "uiSchema", "defaultSystemConfig"):
        if name in found:
            json_string(found[name], f"/latestVersion/{name}")
    if "configSchema" in found:
        schema = json.loads(found["configSchema"])
        if not isinstance(schema, dict) or not Draft7Validator(Draft7Validator.META_SCHEMA).is_valid(schema):
            raise validation("/latestVersion/configSchema", "configSchema must be a JSON schema", "isJSONSchema")
    return found


def set_permissions(version_id: str, permissions: list[dict]) -> None:
    for old in mine("permissions", moduleVersionId=version_id):
        store().delete("permissions", old["id"])
    for p in permissions:
        store().insert("permissions", stamp({
            "permission": p["permission"], "friendlyName": p.get("friendlyName") or p["permission"],
            "description": p.get("description") or "", "canHaveCount": bool(p.get("canHaveCount")),
            "moduleVersionId": version_id}))


def unprotected(module_id: str) -> dict:
    module = MODULE.find(module_id)
    if module.get("builtin"):
        raise bad_request("Cannot modify builtin modules")
    return module


# -- modules -----------------------------------------------------------------------------------------
def new_module(fields: dict, latest: dict) -> dict:
    domain = store().get("domains", domain_id())
    if len(MODULE.rows()) >= domain["maxModules"]:
        raise bad_request("Maximum number of modules reached")
    latest_fields = version_fields(latest)
    module = MODULE.create(fields)
    version = VERSION.create({**latest_fields, "tag": "latest", "moduleId": module["id"]})
    set_permissions(version["id"], latest.get("permissions", []))
    return module


async def create(body: dict):
    fields = {k: v for k, v in body.items() if k != "latestVersion"}
    return ok(MODULE.render(new_module(fields, body.get("latestVersion") or {})))


async def update(id: str, body: dict):
    unprotected(id)
    latest = latest_of(id)
    if body.get("latestVersion") and latest is not None:
        VERSION.update(latest["id"], version_fields(body["latestVersion"]))
        if "permissions" in body["latestVersion"]:
            set_permissions(latest["id"], body["latestVersion"]["permissions"])
    fields = {k: v for k, v in body.items() if k != "latestVersion"}
    return ok(MODULE.render(MODULE.update(id, fields)))


def remove_version(version: dict) -> None:
    for coll, res, _ in PARTS:
        for doc in mine(coll, versionId=version["id"]):
            remove_component(res, doc)
    for coll, key in (("functions", "versionId"), ("permissions", "moduleVersionId"),
                      ("installations", "versionId")):
        for doc in mine(coll, **{key: version["id"]}):
            store().delete(coll, doc["id"])
    store().delete("moduleVersions", version["id"])


async def delete(id: str):
    unprotected(id)
    for version in mine("moduleVersions", moduleId=id):
        remove_version(version)
    MODULE.delete(id)
    return done()


# -- versions ----------------------------------------------------------------------------------------
def copy_version(source: dict, tag: str) -> dict:
    """A new version of the same module with copies of every component of `source`."""
    version = VERSION.create({**{k: source.get(k) for k in VERSION_FIELDS}, "tag": tag,
                              "moduleId": source["moduleId"]})
    for coll, res, _ in PARTS:
        for doc in mine(coll, versionId=source["id"]):
            function = store().get("functions", doc.get("functionId")) or {}
            copy = res.create({**{k: v for k, v in public(doc).items()
                                  if k not in ("id", "createdAt", "updatedAt")},
                               "versionId": version["id"],
                               "functionId": FUNCTION.create({"code": function.get("code", "")})["id"]})
            for argument in mine("commandArguments", commandId=doc["id"]):
                ARGUMENT.create({k: argument[k] for k in ("name", "type", "helpText", "defaultValue",
                                                          "position")} | {"commandId": copy["id"]})
    for function in mine("functions", versionId=source["id"]):
        FUNCTION.create({k: function.get(k) for k in ("name", "description", "code")}
                        | {"versionId": version["id"]})
    set_permissions(version["id"], mine("permissions", moduleVersionId=source["id"]))
    return version


async def tag_version(body: dict):
    MODULE.find(body["moduleId"])
    if not SEMVER.match(body["tag"]):
        raise bad_request(f"Tag {body['tag']} is not a valid semver version")
    return ok(VERSION.render(copy_version(latest_of(body["moduleId"]), body["tag"])))


# -- installations --------------------------------------------------------------------------------------
def config(value: str | None, where: str) -> dict:
    parsed = {} if value is None else json_string(value, where)
    if not isinstance(parsed, dict):
        raise validation(where, f"{where.strip('/')} must be a json object", "isObject")
    return parsed


async def install(body: dict):
    version = VERSION.find(body["versionId"])
    GAMESERVER.find(body["gameServerId"])
    user_config = config(body.get("userConfig"), "/userConfig")
    schema = json.loads(version.get("configSchema") or EMPTY_SCHEMA)
    problems = [Violation("body", "/userConfig/" + "/".join(map(str, e.absolute_path)), e.message,
                          "isModuleConfig") for e in Draft7Validator(schema).iter_errors(user_config)]
    if problems:
        raise ApiError("validation", "Validation error", problems)
    fields = {"gameserverId": body["gameServerId"], "versionId": version["id"],
              "moduleId": version["moduleId"], "userConfig": user_config,
              "systemConfig": config(body.get("systemConfig"), "/systemConfig")}
    existing = mine("installations", moduleId=version["moduleId"], gameserverId=body["gameServerId"])
    installation = (INSTALLATION.update(existing[0]["id"], fields) if existing
                    else INSTALLATION.create(fields))
    emit("module-installed", installation, {"version": {"id": version["id"], "tag": version["tag"]}})
    return ok(INSTALLATION.render(installation))


def installed(module_id: str, game_server_id: str) -> dict:
    MODULE.find(module_id)
    GAMESERVER.find(game_server_id)
    found = mine("installations", moduleId=module_id, gameserverId=game_server_id)
    if not found:
        raise ApiError("not_found", "Module is not installed on this game server")
    return found[0]


async def get_installation(moduleId: str, gameServerId: str):
    return ok(INSTALLATION.render(installed(moduleId, gameServerId)))


async def uninstall(moduleId: str, gameServerId: str):
    installation = installed(moduleId, gameServerId)
    out = INSTALLATION.render(installation)
    INSTALLATION.delete(installation["id"])
    emit("module-uninstalled", installation, {})
    return ok(out)


# -- export and import --------------------------------------------------------------------------------------
def exported_version(version: dict) -> dict:
    def code(doc: dict) -> str:
        return (store().get("functions", doc.get("functionId")) or {}).get("code", "")

    return {
        "tag": version["tag"], "description": version.get("description") or "",
        "configSchema": version.get("configSchema") or EMPTY_SCHEMA,
        "uiSchema": version.get("uiSchema") or "{}",
        "commands": [{"name": c["name"], "description": c.get("description"), "trigger": c["trigger"],
                      "helpText": c.get("helpText"), "function": code(c),
                      "requiredPermissions": c.get("requiredPermissions", []),
                      "arguments": [{k: a[k] for k in ("name", "type", "helpText", "defaultValue", "position")}
                                    for a in mine("commandArguments", commandId=c["id"])]}
                     for c in mine("commands", versionId=version["id"])],
        "hooks": [{"name": h["name"], "description": h.get("description"), "regex": h["regex"],
                   "eventType": h["eventType"], "function": code(h)}
                  for h in mine("hooks", versionId=version["id"])],
        "cronJobs": [{"name": c["name"], "description": c.get("description"),
                      "temporalValue": c["temporalValue"], "function": code(c)}
                     for c in mine("cronjobs", versionId=version["id"])],
        "functions": [{"name": f.get("name"), "description": f.get("description"), "function": f["code"]}
                      for f in mine("functions", versionId=version["id"])],
        "permissions": [{k: p[k] for k in ("permission", "friendlyName", "description", "canHaveCount")}
                        for p in mine("permissions", moduleVersionId=version["id"])],
    }


async def export(id: str, body: dict | None = None):
    module = MODULE.find(id)
    wanted = (body or {}).get("versionIds")
    versions = [v for v in mine("moduleVersions", moduleId=id) if not wanted or v["id"] in wanted]
    return ok({"name": module["name"], "takaroVersion": TAKARO_VERSION, "author": module.get("author"),
               "supportedGames": module.get("supportedGames", []),
               "versions": [exported_version(v) for v in versions]})


def fill_version(version: dict, spec: dict) -> None:
    """Create the components an exported version lists in `version`."""
    for coll, res, name in PARTS:
        check = {"hooks": checked_hook, "cronjobs": checked_cron}.get(coll, dict)
        for part in spec.get(name, []):
            fields = check({k: v for k, v in part.items() if k not in ("function", "arguments")})
            doc = res.create({**fields, "versionId": version["id"],
                              "functionId": FUNCTION.create({"code": part.get("function") or ""})["id"]})
            for argument in part.get("arguments", []):
                ARGUMENT.create({**argument, "commandId": doc["id"]})
    for function in spec.get("functions", []):
        FUNCTION.create({"name": function.get("name"), "description": function.get("description"),
                         "code": function.get("function") or "", "versionId": version["id"]})
    set_permissions(version["id"], spec.get("permissions", []))


async def import_module(body: dict):
    if mine("modules", name=body["name"]):
        raise conflict()
    versions = body["versions"]
    latest = next((v for v in versions if v["tag"] == "latest"), versions[-1] if versions else {})
    module = new_module({"name": body["name"], "author": body.get("author"),
                         "supportedGames": body.get("supportedGames", ["all"])},
                        {k: latest.get(k) for k in VERSION_FIELDS})
    fill_version(latest_of(module["id"]), latest)
    for spec in versions:
        if spec["tag"] != "latest":
            version = VERSION.create({**version_fields(spec), "tag": spec["tag"], "moduleId": module["id"]})
            fill_version(version, spec)
    return done()


search = searcher(MODULE)
get = getter(MODULE)
search_versions = searcher(VERSION)
get_version = getter(VERSION)
search_installations = searcher(INSTALLATION)
