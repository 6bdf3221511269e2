"""What a module version is made of: commands (with arguments), hooks, cron jobs and functions.
Each belongs to a version; only the `latest` version of a non-builtin module can change. Commands,
hooks and cron jobs run a function of their own; `trigger` records an execution event."""

from __future__ import annotations

import re
from typing import Any, Callable

from understudy.context import store

from .core import (Resource, bad_request, conflict, domain_id, done, emit, getter, mine, ok, referenced,
                   related, related_one, searcher, validation)
from .events import executions_of
from .gameservers import GAMESERVER
from .pogs import find as pog_of, permissions as player_permissions
from .settings import value_of

# A nested quantifier such as (a+)+ backtracks catastrophically: Takaro refuses such hook regexes.
NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*[+*](?:[^()\\]|\\.)*\)\s*(?:[+*]|\{\d)")
CRON_FIELD = re.compile(r"^(\*|\?|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(/\d+)?(,(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(/\d+)?)*$")


def function_of(doc: dict) -> dict | None:
    return related_one("functions", doc.get("functionId"))


def module_id(doc: dict) -> str | None:
    return (store().get("moduleVersions", doc.get("versionId")) or {}).get("moduleId")


def module_of(doc: dict) -> dict | None:
    return related_one("modules", module_id(doc))


def first(coll: str, **equals: Any) -> dict | None:
    return next(iter(related(coll, **equals)), None)


FUNCTION = Resource(
    "Function", "functions",
    extend={"version": lambda f: related_one("moduleVersions", f.get("versionId")),
            "cronJob": lambda f: first("cronjobs", functionId=f["id"]),
            "hook": lambda f: first("hooks", functionId=f["id"]),
            "command": lambda f: first("commands", functionId=f["id"])},
    defaults={"name": None, "description": None, "versionId": None, "code": ""})
ARGUMENT = Resource("Command argument", "commandArguments",
                    defaults={"helpText": "", "defaultValue": None})


def command_shape(command: dict) -> dict:
    arguments = sorted(mine("commandArguments", commandId=command["id"]), key=lambda a: a["position"])
    return {**command, "function": function_of(command),
            "arguments": [ARGUMENT.render(a) for a in arguments]}


def with_function(doc: dict) -> dict:
    return {**doc, "function": function_of(doc)}


# What commands, hooks and cron jobs share: their module, found through their version.
COMPONENT_EXTEND = {"module": module_of, "gameServer": lambda doc: None}
COMPONENT_FIELDS = {"moduleId": module_id}

COMMAND = Resource("Command", "commands", shape=command_shape,
                   extend={**COMPONENT_EXTEND, "permissions": lambda c: c.get("requiredPermissions", [])},
                   fields=COMPONENT_FIELDS, unique=(("versionId", "name"),),
                   defaults={"description": None, "helpText": "No help text available",
                             "requiredPermissions": []})
HOOK = Resource("Hook", "hooks", shape=with_function, extend=COMPONENT_EXTEND, fields=COMPONENT_FIELDS,
                defaults={"description": None}, unique=(("versionId", "name"),))
CRONJOB = Resource("CronJob", "cronjobs", shape=with_function, extend=COMPONENT_EXTEND,
                   fields=COMPONENT_FIELDS, defaults={"description": None},
                   unique=(("versionId", "name"),))


# -- the version rule ------------------------------------------------------------------------------
def editable_version(version_id: str) -> dict:
    """The version, if its components may change: `latest`, of a module that is not builtin."""
    version = related_one("moduleVersions", version_id)
    if version is None:
        raise bad_request(f"Module version {version_id} does not exist")
    module = store().get("modules", version["moduleId"])
    if module and module.get("builtin"):
        raise bad_request("Cannot modify builtin modules")
    if version["tag"] != "latest":
        raise bad_request("Cannot modify a tagged version of a module, only the latest version")
    return version


def check_function_limit(version: dict) -> None:
    domain = store().get("domains", domain_id())
    used = sum(len(mine(coll, versionId=version["id"])) for coll in ("commands", "hooks", "cronjobs", "functions"))
    if used >= domain["maxFunctionsInModule"]:
        raise bad_request("Maximum number of functions in this module reached")


def new_function(code: str | None) -> str:
    return FUNCTION.create({"code": code or ""})["id"]


def component_creator(res: Resource, prepare: Callable[[dict], dict] = dict):
    """Create a command, hook or cron job with its own function."""
    async def handler(body: dict, **_):
        version = editable_version(body["versionId"])
        check_function_limit(version)
        fields = prepare({k: v for k, v in body.items() if k not in ("function", "arguments")})
        with store().atomic():
            res.check_unique({"id": None, **fields})  # before its function exists
            doc = res.create({**fields, "functionId": new_function(body.get("function"))})
        for argument in body.get("arguments", []):
            ARGUMENT.create({**argument, "commandId": doc["id"]})
        return ok(res.render(doc))
    return handler


def component_updater(res: Resource, prepare: Callable[[dict], dict] = dict):
    async def handler(id: str, body: dict, **_):
        doc = res.find(id)
        editable_version(doc["versionId"])
        fields = prepare({k: v for k, v in body.items() if k not in ("function", "arguments")})
        if "function" in body:
            FUNCTION.update(doc["functionId"], {"code": body["function"]})
        if "arguments" in body:
            for argument in mine("commandArguments", commandId=id):
                store().delete("commandArguments", argument["id"])
            for argument in body["arguments"]:
                ARGUMENT.create({**argument, "commandId": id})
        return ok(res.render(res.update(id, fields)))
    return handler


def component_deleter(res: Resource):
    async def handler(id: str, **_):
        doc = res.find(id)
        editable_version(doc["versionId"])
        remove_component(res, doc)
        return done()
    return handler


def remove_component(res: Resource, doc: dict) -> None:
    store().delete(res.coll, doc["id"])
    if doc.get("functionId"):
        store().delete("functions", doc["functionId"])
    for argument in store().find("commandArguments", commandId=doc["id"]):
        store().delete("commandArguments", argument["id"])


# -- checks particular to hooks and cron jobs ---------------------------------------------------------
def checked_hook(fields: dict) -> dict:
    if "regex" in fields:
        try:
            re.compile(fields["regex"])
        except re.error as error:
            raise validation("/regex", f"regex is not a valid regular expression: {error}", "isRegex")
        if NESTED_QUANTIFIER.search(fields["regex"]):
            raise validation("/regex", "regex is unsafe: it can backtrack catastrophically", "isSafeRegex")
    return fields


def checked_cron(fields: dict) -> dict:
    if "temporalValue" in fields:
        parts = fields["temporalValue"].split()
        if len(parts) not in (5, 6) or not all(CRON_FIELD.match(p) for p in parts):
            raise bad_request(f"Invalid cron expression: {fields['temporalValue']}")
    return fields


# -- arguments ------------------------------------------------------------------------------------------
async def create_argument(body: dict):
    command = COMMAND.find(body["commandId"]) if body.get("commandId") else None
    if command is None:
        raise bad_request("A command argument needs a commandId")
    editable_version(command["versionId"])
    with store().atomic():  # one argument per name in a command, on every worker and host
        if mine("commandArguments", commandId=command["id"], name=body["name"]):
            raise conflict()
        argument = ARGUMENT.create(body)
    return ok(ARGUMENT.render(argument))


async def update_argument(id: str, body: dict):
    argument = ARGUMENT.find(id)
    editable_version(COMMAND.find(argument["commandId"])["versionId"])
    with store().atomic():
        if "name" in body and any(a["id"] != id for a in mine("commandArguments", commandId=argument["commandId"],
                                                              name=body["name"])):
            raise conflict()
        argument = ARGUMENT.update(id, body)
    return ok(ARGUMENT.render(argument))


async def delete_argument(id: str):
    argument = ARGUMENT.find(id)
    editable_version(COMMAND.find(argument["commandId"])["versionId"])
    ARGUMENT.delete(id)
    return done()


# -- functions (a version's own library functions) -------------------------------------------------------
async def create_function(body: dict):
    if body.get("versionId"):
        check_function_limit(editable_version(body["versionId"]))
    return ok(FUNCTION.render(FUNCTION.create(body)))


async def update_function(id: str, body: dict):
    function = FUNCTION.find(id)
    if function.get("versionId"):
        editable_version(function["versionId"])
    return ok(FUNCTION.render(FUNCTION.update(id, body)))


async def delete_function(id: str):
    function = FUNCTION.find(id)
    if function.get("versionId"):
        editable_version(function["versionId"])
    FUNCTION.delete(id)
    return done()


# -- triggers: record an execution ------------------------------------------------------------------------
def executed(kind: str, doc: dict, subject: dict, meta: dict[str, Any]) -> None:
    version = store().get("moduleVersions", doc["versionId"]) or {}
    emit(f"{kind}-executed", {**subject, "moduleId": version.get("moduleId")},
         {kind: {"id": doc["id"], "name": doc["name"]},
          "result": {"success": True, "logs": [], "tookMs": 3}, **meta})


def triggered_commands(name: str, game_server_id: str) -> list[tuple[dict, dict]]:
    """The commands of the versions installed on a game server whose trigger (or an alias in the
    installation's system config) is `name`, case-insensitively, each with its installation."""
    found = []
    for installation in mine("installations", gameserverId=game_server_id):
        aliases = (installation.get("systemConfig") or {}).get("commands") or {}
        for command in mine("commands", versionId=installation["versionId"]):
            names = [command["trigger"], *((aliases.get(command["name"]) or {}).get("aliases") or [])]
            if name.lower() in (str(n).lower() for n in names):
                found.append((command, installation))
    return found


def parsed_arguments(command: dict, words: list[str]) -> dict:
    """The words after the command, by argument position; a missing one takes its default."""
    values = {}
    arguments = sorted(mine("commandArguments", commandId=command["id"]), key=lambda a: a["position"])
    for index, argument in enumerate(arguments):
        text = words[index] if index < len(words) else argument.get("defaultValue")
        if argument["type"] == "number" and text is not None:
            try:
                text = float(text)
            except ValueError:
                pass
        values[argument["name"]] = text
    return values


async def trigger_command(id: str, body: dict):
    """Takaro's `POST /command/{id}/trigger`: `id` is the game server, and `msg` is a chat line as
    the player typed it; every installed command its prefix and name select runs (or is denied)."""
    GAMESERVER.find(id)
    pog = pog_of(id, body["playerId"])
    prefix = value_of("commandPrefix", id)
    if not body["msg"].startswith(prefix):
        return done()
    name, *words = body["msg"][len(prefix):].split(" ")
    granted = player_permissions(pog)
    for command, _ in triggered_commands(name, id):
        missing_permissions = [p for p in command.get("requiredPermissions") or []
                               if "ROOT" not in granted and p not in granted]
        subject = {"playerId": pog["playerId"], "gameServerId": id}
        details = {"id": command["id"], "name": command["name"], "arguments": parsed_arguments(command, words)}
        if missing_permissions:
            emit("command-execution-denied", {**subject, "moduleId": module_id(command)},
                 {"command": {**details, "arguments": {}}, "missingPermissions": missing_permissions})
        else:
            executed("command", command, subject, {"command": details})
    return done()


async def trigger_hook(body: dict):
    referenced(body, "gameServerId", "playerId", "moduleId")
    hooks = [h for h in HOOK.rows() if h["eventType"] == body["eventType"]
             and (body.get("moduleId") is None or module_of(h) and module_of(h)["id"] == body["moduleId"])]
    for hook in hooks:
        executed("hook", hook, {"gameServerId": body["gameServerId"], "playerId": body.get("playerId")},
                 {"eventMeta": body["eventMeta"]})
    return done()


async def trigger_cronjob(body: dict):
    referenced(body, "gameServerId", "moduleId")
    cronjob = CRONJOB.find(body["cronjobId"])
    executed("cronjob", cronjob, {"gameServerId": body["gameServerId"]}, {})
    return done()


create_command = component_creator(COMMAND)
update_command = component_updater(COMMAND)
delete_command = component_deleter(COMMAND)
search_commands = searcher(COMMAND)
get_command = getter(COMMAND)
command_executions = executions_of("command", COMMAND)

create_hook = component_creator(HOOK, checked_hook)
update_hook = component_updater(HOOK, checked_hook)
delete_hook = component_deleter(HOOK)
search_hooks = searcher(HOOK)
get_hook = getter(HOOK)
hook_executions = executions_of("hook", HOOK)

create_cronjob = component_creator(CRONJOB, checked_cron)
update_cronjob = component_updater(CRONJOB, checked_cron)
delete_cronjob = component_deleter(CRONJOB)
search_cronjobs = searcher(CRONJOB)
get_cronjob = getter(CRONJOB)
cronjob_executions = executions_of("cronjob", CRONJOB)

search_functions = searcher(FUNCTION)
get_function = getter(FUNCTION)
