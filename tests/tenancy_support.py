"""The tenancy walk: every reference a request body can carry, found in the specs (an `...Id` or
`..._id` property, a JSON:API relationship), tried with an id the caller may not see.

For each API the tables below say, per property name, what kind of object it names (or why it
names none), which ids the caller owns and which belong to another tenant, and one request per
operation that the API accepts with the caller's own ids. The tests in `test_security.py` send
each request once with one reference swapped for another tenant's id, and once for an id that does
not exist: the two answers must be the same (nothing tells the caller the other tenant's object
exists), and nothing stored may change."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Callable

import yaml

from conftest import FIXTURES, OPENAPI, basic
from platform_helpers import auth as platform_auth
from takaro_support import BASE as TAKARO_BASE
from takaro_support import bearer
from timekit_support import APP, BASE as TIMEKIT_BASE, DOC, DOC_CALENDAR, MARTY, PROJECT_FLUX, resource_auth


@dataclass(frozen=True)
class Reference:
    """One place in one operation's request body that names another object."""

    api: str
    operation: str  # operationId
    method: str
    path: str  # the spec's path template
    pointer: str  # where in the body: `/data/relationships/workspace`, `/items/0/itemId`
    name: str  # the property (or relationship) name
    many: bool  # an array of ids

    @property
    def id(self) -> str:
        return f"{self.method} {self.path} {self.pointer}"


@dataclass(frozen=True)
class Rules:
    """How an API's specs name references."""

    looks_like_id: re.Pattern  # property names that may name an object
    kinds: dict[str, str]  # property name -> the kind of object it names
    not_references: dict[str, str]  # property name -> why it names nothing the caller could not see
    ignored: dict[str, str] = field(default_factory=dict)  # "METHOD path pointer" -> why the API ignores it
    queries: re.Pattern = re.compile(r"^/(filters|search)/")  # search bodies: they select, never store
    relationships: bool = False  # JSON:API `relationships` members are references too


@cache
def spec(api: str) -> dict:
    return yaml.safe_load((OPENAPI / f"{api}.yaml").read_text())


def resolve(api: str, schema: Any) -> Any:
    while isinstance(schema, dict) and "$ref" in schema:
        node: Any = spec(api)
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def body_schema(api: str, operation: dict) -> dict | None:
    body = resolve(api, operation.get("requestBody") or {})
    return (body.get("content") or {}).get("application/json", {}).get("schema")


def walk(api: str, schema: Any, pointer: str, rules: Rules, depth: int = 0):
    """(pointer, name, many) of every reference-like property under `schema`."""
    schema = resolve(api, schema)
    if not isinstance(schema, dict) or depth > 12:
        return
    for key in ("allOf", "anyOf", "oneOf"):
        for part in schema.get(key, []):
            yield from walk(api, part, pointer, rules, depth + 1)
    if "items" in schema:
        yield from walk(api, schema["items"], pointer + "/0", rules, depth + 1)
    for name, prop in (schema.get("properties") or {}).items():
        prop = resolve(api, prop)
        here = f"{pointer}/{name}"
        if rules.relationships and name == "relationships":
            for rel, rel_schema in (prop.get("properties") or {}).items():
                data = resolve(api, resolve(api, rel_schema).get("properties", {}).get("data", {}))
                yield f"{here}/{rel}", rel, data.get("type") == "array"
            continue
        if name in rules.kinds or rules.looks_like_id.search(name):
            yield here, name, prop.get("type") == "array"
        else:
            yield from walk(api, prop, here, rules, depth + 1)


def parent_path(path: str) -> str | None:
    """`/credentials/{credential_id}` -> `/credentials`: where documents of that type are created."""
    head, _, last = path.rstrip("/").rpartition("/")
    return head if last.startswith("{") and head else None


@cache
def all_references(api: str) -> list[Reference]:
    """Every reference-like place in every request body of the API's spec. An update also carries
    the relationships its create takes: a client may send any relationship a document has."""
    rules = RULES[api]
    paths = spec(api)["paths"]
    found: dict[str, Reference] = {}
    for path, item in paths.items():
        for method, operation in item.items():
            if method not in ("post", "put", "patch", "delete") or not isinstance(operation, dict):
                continue
            places = list(walk(api, body_schema(api, operation) or {}, "", rules))
            parent = parent_path(path)
            if rules.relationships and method == "patch" and parent and "post" in paths.get(parent, {}):
                places += [p for p in walk(api, body_schema(api, paths[parent]["post"]) or {}, "", rules)
                           if "/relationships/" in p[0]]
            for pointer, name, many in places:
                if rules.queries.search(pointer):
                    continue
                ref = Reference(api, operation["operationId"], method.upper(), path, pointer, name, many)
                found.setdefault(ref.id, ref)
    return list(found.values())


def references(api: str) -> list[Reference]:
    """The references that name objects (the rest are explained in `Rules.not_references` and
    `Rules.ignored`)."""
    rules = RULES[api]
    return [r for r in all_references(api) if r.name in rules.kinds and r.id not in rules.ignored]


# -- changing a body -------------------------------------------------------------------------------
def put(body: Any, pointer: str, value: Any) -> None:
    """Set `value` at a JSON pointer, making the objects and one-item arrays on the way."""
    parts = pointer.strip("/").split("/")
    node = body
    for part, after in zip(parts, parts[1:]):
        key: Any = int(part) if isinstance(node, list) else part
        if isinstance(node, list):
            while len(node) <= key:
                node.append([] if after.isdigit() else {})
        elif key not in node or not isinstance(node[key], (dict, list)):
            node[key] = [] if after.isdigit() else {}
        node = node[key]
    last = parts[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


def fill(template: Any, ids: dict[str, str]) -> Any:
    """A request template with `{kind}` placeholders filled with the caller's own ids."""
    if isinstance(template, str):
        return template.format_map(ids) if "{" in template else template
    if isinstance(template, list):
        return [fill(t, ids) for t in template]
    if isinstance(template, dict):
        return {k: fill(v, ids) for k, v in template.items()}
    return template


def unknown_like(ident: str) -> str:
    """An id of the same shape as `ident` that names nothing (a UUID stays a valid version 4 one)."""
    if re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", ident):
        return "eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee"
    return re.sub(r"[0-9a-fA-F]", "e", ident)


# -- what a request changed ------------------------------------------------------------------------
def state_of(app, api: str, collections: tuple[str, ...]) -> dict:
    view = app.store.view(api)
    return {coll: sorted(view.all(coll), key=lambda d: str(d["id"])) for coll in collections}


@cache
def collections_of(api: str) -> tuple[str, ...]:
    """The API's stored collections: its fixtures' and those only requests create."""
    names = {p.stem for p in (FIXTURES / api).glob("*.json")}
    return tuple(sorted((names | set(EXTRA_COLLECTIONS.get(api, ()))) - set(BOOKKEEPING.get(api, ()))))


EXTRA_COLLECTIONS = {"platform": ("executions",), "takaro": ("jobs",), "timekit": ()}
BOOKKEEPING = {"platform": ("rate_windows",)}  # counted per request, whatever it asks


# -- one API's side of the walk ---------------------------------------------------------------------
@dataclass(frozen=True)
class Call:
    """A request the API accepts, as a template over the caller's own ids (`{kind}`)."""

    method: str
    path: str
    body: Any


@dataclass(frozen=True)
class Side:
    """A caller, the ids it owns and another tenant's, per kind, and the requests it makes."""

    name: str
    api: str
    base: str  # where the API is mounted
    own: dict[str, str]
    foreign: dict[str, str]
    calls: dict[str, Call]  # operationId -> a request the API accepts
    headers: Callable[[dict], dict]  # (setup's result) -> the caller's headers
    setup: Callable[[Any], dict] | None = None  # (client) -> {"own": ids, "foreign": ids} made for the test
    made: tuple[str, ...] = ()  # the kinds of the other tenant's ids `setup` makes

    def ids(self, made: dict) -> tuple[dict, dict]:
        """(own, foreign) ids, with those `setup` made filled in."""
        return ({**self.own, **made.get("own", {})}, {**self.foreign, **made.get("foreign", {})})


def value_for(ref: Reference, kind_type: dict[str, str], ident: str) -> Any:
    """What to put at a reference: a JSON:API linkage for a relationship, else the id (or a list)."""
    if "/relationships/" in ref.pointer:
        linkage = {"type": kind_type[ref.name], "id": ident}
        return {"data": [linkage] if ref.many else linkage}
    return [ident] if ref.many else ident


# == the integration platform ========================================================================
PLATFORM_RULES = Rules(
    looks_like_id=re.compile(r"_ids?$"),
    relationships=True,
    kinds={"workspace": "workspace", "dest_workspace": "workspace", "contract": "contract", "team": "team",
           "component": "component", "components": "component", "credential": "credential",
           "auth_client": "auth-client", "component_version": "version", "tenant": "tenant",
           "workspace_id": "workspace", "support_user_id": "user", "whitelisted_contract_ids": "contract",
           "dest_flow_id": "flow", "topic_id": "topic", "component_id": "component",
           "credentials_id": "credential", "secret_id": "secret"},
    not_references={
        "vpn_agent": "the mock stores no VPN agents: every id is as unknown as another tenant's",
        "vpn_agent_id": "the mock stores no VPN agents",
        "client_id": "an OAuth client id at a provider, not an object of the platform",
        "entity_id": "a SAML entity id, not an object of the platform",
    },
)
PLATFORM_TYPES = {"workspace": "workspace", "dest_workspace": "workspace", "contract": "contract", "team": "team",
                  "component": "component", "components": "component", "credential": "credential",
                  "auth_client": "auth-client", "component_version": "version", "tenant": "tenant"}  # JSON:API types
ACME = {"workspace": "5b0d6d4b2c3f1a0011c0c001", "contract": "5b0d6d4b2c3f1a0011b0c001",
        "tenant": "5b0d6d4b2c3f1a0011a0c001", "team": "5b0d6d4b2c3f1a0011f0c001",
        "component": "5b0d6d4b2c3f1a0012000002", "version": "430d5ab92e88ed3d1bf363ad67886d9dd73c20ec",
        "credential": "5b0d6d4b2c3f1a0015000001", "auth-client": "5b0d6d4b2c3f1a0019000002",
        "secret": "5b0d6d4b2c3f1a001a000001", "user": "59d22e7eeb865b0018adc249",
        "flow": "5b0d6d4b2c3f1a0013000002", "topic": "5b0d6d4b2c3f1a0017000001",
        "recipe": "5b0d6d4b2c3f1a0016000001", "invite": "5b0d6d4b2c3f1a0011d0c001",
        "oauth-client": "5b0d6d4b2c3f1a001c000001", "timer": "5b0d6d4b2c3f1a0012000001"}
GLOBEX = {"workspace": "5b0d6d4b2c3f1a0011c0c003", "contract": "5b0d6d4b2c3f1a0011b0c002",
          "tenant": "5b0d6d4b2c3f1a0011a0c002", "team": "5b0d6d4b2c3f1a0011f0c003",
          "component": "5b0d6d4b2c3f1a0012000004", "version": "81cdb3779d0de3ad8d37f87fb92beab1ba35dddc",
          "credential": "5b0d6d4b2c3f1a0015000003", "auth-client": "5b0d6d4b2c3f1a0019000004",
          "secret": "5b0d6d4b2c3f1a001a000002", "user": "59d22e7eeb865b0018adc24b",
          "flow": "5b0d6d4b2c3f1a001300000a", "topic": "5b0d6d4b2c3f1a0017000002"}


def jsonapi(kind: str, attributes: dict | None = None, relationships: dict | None = None, **extra) -> dict:
    data: dict[str, Any] = {"type": kind, **extra}
    if attributes is not None:
        data["attributes"] = attributes
    if relationships is not None:
        data["relationships"] = {name: {"data": {"type": t, "id": i}} for name, (t, i) in relationships.items()}
    return {"data": data}


STEP = {"id": "step_1", "command": "acme-devs/petstore:getPets@{version}", "component_id": "{component}",
        "credentials_id": "{credential}", "secret_id": "{secret}", "fields": {}}
GRAPH = {"nodes": [STEP], "edges": []}
TEMPLATE = {"title": "Sync", "graph": GRAPH}
RECIPE_INFO = {"title": "Sync", "description": "Sync pets", "short_description": "Sync"}
EXEC = {"fields": {"apiKey": "secret"}}

PLATFORM_CALLS = {
    "workspaces.create_workspace": Call("POST", "/workspaces", jsonapi(
        "workspace", {"name": "QA"}, {"contract": ("contract", "{contract}")})),
    "teams.create_team": Call("POST", "/teams", jsonapi("team", {"name": "qa-team"}, {"contract": ("contract", "{contract}")})),
    "flows.create_flow": Call("POST", "/flows", jsonapi(
        "flow", {"name": "New", "type": "ordinary", "graph": GRAPH, "default_mapper_type": "jsonata"},
        {"workspace": ("workspace", "{workspace}")})),
    "flows.update_flow": Call("PATCH", "/flows/{flow}", jsonapi("flow", {"graph": GRAPH}, id="{flow}")),
    "flows.copy_flow": Call("POST", "/flows/{flow}/copy", jsonapi(
        "flow-copy", {"name": "Copy", "topic_id": "{topic}"}, {"dest_workspace": ("workspace", "{workspace}")})),
    "flows.put_draft": Call("PUT", "/flows/{flow}/draft", jsonapi("flow-draft", {"graph": GRAPH})),
    "components.create_component": Call("POST", "/components", jsonapi(
        "component", {"name": "new-repo"}, {"team": ("team", "{team}"), "contract": ("contract", "{contract}")})),
    "components.update_component": Call("PATCH", "/components/{component}", jsonapi(
        "component", {"whitelisted_contract_ids": ["{contract}"]}, id="{component}")),
    "components.verify_credential": Call("POST", "/components/{component}/versions/{version}/verify-credential",
                                         jsonapi("verify-credential", EXEC, {
                                             "workspace": ("workspace", "{workspace}"),
                                             "credential": ("credential", "{credential}")})),
    "components.dynamic_metadata": Call("POST", "/components/{component}/versions/{version}/dynamic-metadata",
                                        jsonapi("dynamic-metadata", {**EXEC, "module": "getPets"}, {
                                            "workspace": ("workspace", "{workspace}"),
                                            "credential": ("credential", "{credential}")})),
    "components.select_model": Call("POST", "/components/{component}/versions/{version}/select-model",
                                    jsonapi("select-model", {**EXEC, "module": "getPets", "method": "pets"}, {
                                        "workspace": ("workspace", "{workspace}"),
                                        "credential": ("credential", "{credential}")})),
    "plain.credentials.create": Call("POST", "/credentials", jsonapi(
        "credential", {"name": "key"}, {"component": ("component", "{component}"),
                                        "workspace": ("workspace", "{workspace}")})),
    "plain.credentials.update": Call("PATCH", "/credentials/{credential}", jsonapi(
        "credential", {"name": "renamed"}, id="{credential}")),
    "contracts.create_contract": Call("POST", "/contracts", jsonapi(
        "contract", {"name": "New contract", "support_user_id": "{user}"})),
    "contracts.update_contract": Call("PATCH", "/contracts/{contract}", jsonapi(
        "contract", {"support_user_id": "{user}"}, id="{contract}")),
    "contracts.create_invite": Call("POST", "/contracts/{contract}/invites", jsonapi(
        "contract-invite", {"email": "new@acme.example", "roles": ["member"], "workspace_id": "{workspace}",
                            "workspace_roles": ["guest"]})),
    "contracts.update_invite": Call("PATCH", "/contracts/{contract}/invites/{invite}", jsonapi(
        "contract-invite", {"workspace_id": "{workspace}"}, id="{invite}")),
    "recipes.create_recipe": Call("POST", "/recipes", jsonapi(
        "recipe", {"info": RECIPE_INFO, "flow_templates": [TEMPLATE]}, {"workspace": ("workspace", "{workspace}")})),
    "recipes.update_recipe": Call("PATCH", "/recipes/{recipe}", jsonapi(
        "recipe", {"flow_templates": [TEMPLATE]}, id="{recipe}")),
    "recipes.activate": Call("POST", "/recipes/{recipe}/activate", jsonapi(
        "recipe-activation-config", {"credentials": {}, "variables": {}}, {"workspace": ("workspace", "{workspace}")})),
    "recipes.export_flow": Call("POST", "/flows/{flow}/export-to-recipe", jsonapi(
        "flow-export-to-recipe-config", None, {"workspace": ("workspace", "{workspace}")})),
    "tenants.update_tenant": Call("PATCH", "/tenants/{tenant}", jsonapi("tenant", {"support_user_id": "{user}"})),
    "plain.oauth_clients.create": Call("POST", "/tenants/{tenant}/oauth-clients", jsonapi(  # one per component
        "oauth-client", {"client_id": "id", "client_secret": "secret"}, {"component": ("component", "{timer}")})),
    "plain.oauth_clients.update": Call("PATCH", "/tenants/{tenant}/oauth-clients/{oauth-client}", jsonapi(
        "oauth-client", {"client_id": "id", "client_secret": "secret"}, {"component": ("component", "{component}")})),
    "auth_clients.create_client": Call("POST", "/auth-clients", {"data": {
        "type": "auth-client", "attributes": {"name": "Basic", "type": "basic", "credentials": {}},
        "relationships": {"components": {"data": [{"type": "component", "id": "{component}"}]},
                          "workspace": {"data": {"type": "workspace", "id": "{workspace}"}}}}}),
    "auth_clients.update_client": Call("PATCH", "/auth-clients/{auth-client}", {"data": {
        "type": "auth-client", "relationships": {"components": {"data": [{"type": "component", "id": "{component}"}]}}}}),
    "plain.secrets.create": Call("POST", "/workspaces/{workspace}/secrets", jsonapi(
        "auth-secret", {"name": "token", "state": "ready", "credentials": {"access_token": "t"}},
        {"auth_client": ("auth-client", "{auth-client}")})),
    "workspace_data.samples.create": Call("POST", "/data-samples", jsonapi(
        "data-sample", {"method": "getPets", "result": {}},
        {"component": ("component", "{component}"), "component_version": ("version", "{version}"),
         "workspace": ("workspace", "{workspace}")})),
}
# Operations whose references are covered by a caller other than alice.
PLATFORM_SVC_CALLS = {
    "tenants.create_tenant": Call("POST", "/tenants", jsonapi("tenant", {
        "name": "Initech", "app_domain": "app.initech.example", "code": "", "support_user_id": "{user}",
        "mandrill_email_from": "noreply@initech.example"})),
}
PLATFORM_CALLS["flows.start_debug"] = Call("POST", "/flows/start-debug", {"data": {
    "type": "flow", "attributes": {"name": "Debug", "type": "debug", "graph": {
        "nodes": [{"id": "step_1", "command": "acme-devs/petstore:getPets@{version}", "fields": {}, "error": False}],
        "edges": []}},
    "meta": {"sampleData": {"body": {}, "passthrough": {}}},
    "relationships": {"workspace": {"data": {"type": "workspace", "id": "{workspace}"}}}}})

# == Takaro ============================================================================================
TAKARO_RULES = Rules(
    looks_like_id=re.compile(r"Ids?$"),
    kinds={"gameServerId": "gameserver", "gameserverId": "gameserver", "playerId": "player", "playerIds": "player",
           "moduleId": "module", "actingModuleId": "module", "userId": "user", "actingUserId": "user",
           "versionId": "version", "versionIds": "version", "commandId": "command", "cronjobId": "cronjob",
           "itemId": "item", "listingId": "listing", "listingIds": "listing", "categoryIds": "category",
           "addCategoryIds": "category", "removeCategoryIds": "category", "parentId": "category",
           "permissionId": "permission", "roleId": "role"},
    not_references={
        "gameId": "the game's own id of a player on a server",
        "steamId": "a Steam id", "epicOnlineServicesId": "an Epic id", "xboxLiveId": "an Xbox id",
        "platformId": "a platform id", "discordId": "a Discord id", "linkedDiscordRoleId": "a role in Discord",
        "idpId": "set by the server from the identity; a client's value is ignored",
        "domainId": "the admin route names a domain by design (admin token only)",
    },
    ignored={f"{op} /arguments/0/commandId": "an argument sent with its command belongs to that command: "
             "Takaro overwrites its commandId" for op in ("POST /command", "PUT /command/{id}")},
)
DOMAIN_A = {"gameserver": "1fea83ba-448e-4c6d-95f3-066e8757104a", "player": "c232741b-c7d4-4799-b79d-0dca04e0bef5",
            "module": "fdc47b92-27ea-40f1-bc79-5e67c8a3f102", "version": "38eddad5-a5d6-4577-a6ff-91ab3c50156b",
            "user": "5734bb37-eda8-4446-8bb8-f6a2c190b5a7", "command": "c4d84f04-8c76-4ef9-82d0-dbc265b70dcd",
            "cronjob": "a6496ff3-a640-42e4-86b5-b9f3c7fee913", "item": "580c7415-d8e9-4e70-acf6-c55ac676cb00",
            "listing": "bfc4e3a7-03a0-4273-b556-53a57d134407", "category": "b49fcc3b-8f44-4f6d-8279-29c2268a36e9",
            "permission": "98211575-a6f9-4f3b-9cbc-a2bfa61587d4", "role": "77a325a4-4721-4aa0-9104-b2b81abfebe8",
            "other_category": "d855838e-cf80-446f-b2c6-5467f80a50ce",
            "variable": "2bd192c2-43c4-4fcd-9c29-a4f9f772449d", "ban": "cb936cf0-8c03-4ce9-bd19-c9082e6d136f"}
DOMAIN_B = {"gameserver": "ce5dfd14-d012-4f52-a1b7-04d3791c6407", "player": "f285bcf9-a3d7-4d05-aa25-0496cb7e6975",
            "module": "63f5ae5d-01a9-43f9-8b92-1ccc130c095c", "version": "9bf22c64-d901-4f9e-a760-c86b25f2516b",
            "user": "979ea1e6-3118-44ce-8dc8-faf3e2452b5e", "command": "b5d608a5-afa5-470c-91b3-b8d9c5804718",
            "cronjob": "09fdc964-94fc-4eb5-a3da-a284a40435d6", "item": "c0a77659-0d4a-4c84-8018-2c1ee09dac71",
            "listing": "9641a2b4-53b1-47e0-8fa4-e269aeb53742", "category": "592ff9cf-5599-4634-bb8f-731ff677975c",
            "permission": "c3211e3e-eb55-4925-9941-b00e437b5881", "role": "5fff1661-e281-47b6-9221-19d65bf6673f"}
EVERYWHERE = {"minX": -100000, "maxX": 100000, "minY": -100000, "maxY": 100000, "minZ": -100000, "maxZ": 100000}
TAKARO_CALLS = {
    "roles.create": Call("POST", "/role", {"name": "Club", "permissions": [{"permissionId": "{permission}"}]}),
    "roles.update": Call("PUT", "/role/{role}", {"permissions": [{"permissionId": "{permission}"}]}),
    "pogs.bulk": Call("DELETE", "/gameserver/{gameserver}/player", {"playerIds": ["{player}"]}),
    "players.bulk": Call("DELETE", "/player", {"playerIds": ["{player}"]}),
    "bans.create": Call("POST", "/player/ban", {"gameServerId": "{gameserver}", "playerId": "{player}"}),
    "bans.update": Call("PUT", "/player/ban/{ban}", {"gameServerId": "{gameserver}", "playerId": "{player}"}),
    "players.assign_role": Call("POST", "/player/{player}/role/{role}", {"gameServerId": "{gameserver}"}),
    "players.remove_role": Call("DELETE", "/player/{player}/role/{role}", {"gameServerId": "{gameserver}"}),
    "variables.create": Call("POST", "/variables", {"key": "k", "value": "v", "gameServerId": "{gameserver}",
                                                    "playerId": "{player}", "moduleId": "{module}"}),
    "variables.update": Call("PUT", "/variables/{variable}", {"value": "v", "gameServerId": "{gameserver}",
                                                              "playerId": "{player}", "moduleId": "{module}"}),
    "events.create": Call("POST", "/event", {
        "eventName": "chat-message", "moduleId": "{module}", "playerId": "{player}", "userId": "{user}",
        "gameserverId": "{gameserver}", "actingUserId": "{user}", "actingModuleId": "{module}", "meta": {}}),
    "settings.set_setting": Call("POST", "/settings/commandPrefix", {"value": "?", "gameServerId": "{gameserver}"}),
    "modules.install": Call("POST", "/module/installation/", {"versionId": "{version}", "gameServerId": "{gameserver}"}),
    "modules.tag_version": Call("POST", "/module/version/", {"tag": "1.0.0", "moduleId": "{module}"}),
    "modules.export": Call("POST", "/module/{module}/export", {"versionIds": ["{version}"]}),
    "components.create_argument": Call("POST", "/command/argument", {
        "name": "who", "type": "string", "position": 1, "commandId": "{command}"}),
    "components.trigger_command": Call("POST", "/command/{gameserver}/trigger", {"playerId": "{player}", "msg": "/visits"}),
    "components.create_command": Call("POST", "/command", {"name": "hello", "trigger": "hello", "versionId": "{version}"}),
    "components.create_hook": Call("POST", "/hook", {"name": "h", "regex": ".*", "versionId": "{version}",
                                                     "eventType": "chat-message"}),
    "components.trigger_hook": Call("POST", "/hook/trigger", {
        "gameServerId": "{gameserver}", "playerId": "{player}", "moduleId": "{module}",
        "eventType": "player-connected", "eventMeta": {}}),
    "components.create_cronjob": Call("POST", "/cronjob", {"name": "c", "temporalValue": "* * * * *",
                                                           "versionId": "{version}"}),
    "components.trigger_cronjob": Call("POST", "/cronjob/trigger", {
        "gameServerId": "{gameserver}", "cronjobId": "{cronjob}", "moduleId": "{module}"}),
    "components.create_function": Call("POST", "/function", {"code": "", "name": "f", "versionId": "{version}"}),
    "shop.create_category": Call("POST", "/shop/category/", {"name": "Secret", "emoji": "🤫", "parentId": "{category}"}),
    "shop.bulk_assign": Call("POST", "/shop/category/bulk-assign", {
        "listingIds": ["{listing}"], "addCategoryIds": ["{category}"], "removeCategoryIds": ["{other_category}"]}),
    "shop.update_category": Call("PUT", "/shop/category/{other_category}", {"parentId": "{category}"}),
    "shop.move_category": Call("POST", "/shop/category/{other_category}/move", {"parentId": "{category}"}),
    "shop.create_listing": Call("POST", "/shop/listing/", {
        "gameServerId": "{gameserver}", "items": [{"amount": 1, "itemId": "{item}"}], "price": 10, "name": "Deal",
        "categoryIds": ["{category}"]}),
    "shop.update_listing": Call("PUT", "/shop/listing/{listing}", {
        "gameServerId": "{gameserver}", "items": [{"amount": 1, "itemId": "{item}"}], "categoryIds": ["{category}"]}),
    "shop.create_order": Call("POST", "/shop/order/", {"listingId": "{listing}", "playerId": "{player}", "amount": 1}),
    "tracking.item_holders": Call("POST", "/tracking/inventory/item", {"itemId": "{item}"}),
    "tracking.player_inventory": Call("POST", "/tracking/inventory/player", {
        "playerId": "{player}", "startDate": "2020-01-01T00:00:00.000Z", "endDate": "2030-01-01T00:00:00.000Z"}),
    "tracking.movement": Call("POST", "/tracking/location", {"playerId": ["{player}"]}),
    "tracking.box": Call("POST", "/tracking/location/box", {**EVERYWHERE, "gameserverId": "{gameserver}"}),
    "tracking.radius": Call("POST", "/tracking/location/radius", {
        "x": 0, "y": 0, "z": 0, "radius": 100000, "gameserverId": "{gameserver}"}),
}

# == Timekit ===========================================================================================
TIMEKIT_RULES = Rules(
    looks_like_id=re.compile(r"_ids?$"),
    kinds={"resource_id": "resource", "resource_ids": "resource", "resources": "resource",
           "calendar_id": "calendar", "project_id": "project", "reservation_id": "reservation",
           "owner_booking_id": "booking", "location_id": "location"},
    not_references={},
)
SLOT = {"start": "2026-12-14T15:00:00-08:00", "end": "2026-12-14T16:00:00-08:00"}
LATER = {"start": "2026-12-18T15:00:00-08:00", "end": "2026-12-18T16:00:00-08:00"}
CUSTOMER = {"name": "Marty McFly", "email": "marty.mcfly@timekit.io"}
BOOKING = {"resource_id": "{resource}", "calendar_id": "{calendar}", "project_id": "{project}",
           "graph": "confirm_decline", **SLOT, "what": "Catch the lightning", "where": "Courthouse",
           "description": "10:04 PM", "customer": CUSTOMER}
WINDOW = {"from": "2026-12-14T00:00:00-08:00", "to": "2026-12-16T00:00:00-08:00", "length": "1 hour"}
FINDTIME = {"resource_ids": ["{resource}"], "future": "3 days", "length": "1 hour"}
TIMEKIT_CALLS = {
    "bookings.create_booking": Call("POST", "/bookings", BOOKING),
    "bookings.create_bookings_bulk": Call("POST", "/bookings/bulk", [BOOKING]),
    "bookings.reserve": Call("POST", "/bookings/reserve", {"resource_id": "{resource}", "project_id": "{project}",
                                                          **SLOT, "graph": "instant"}),
    "bookings.extend_reservation": Call("PUT", "/bookings/reserve/extend", {"reservation_id": "{reservation}"}),
    "bookings.reschedule_booking": Call("POST", "/bookings/{instant_booking}/reschedule", {
        "resource_id": "{resource}", **SLOT}),
    "availability.query_availability": Call("POST", "/availability", {
        "mode": "roundrobin_random", "resources": ["{resource}"], "project_id": "{project}", **WINDOW}),
    "availability.available_dates": Call("POST", "/availability/dates", {
        "mode": "roundrobin_random", "resources": ["{resource}"], "project_id": "{project}", **WINDOW}),
    "availability.count_availability": Call("POST", "/availability/count", {
        "mode": "roundrobin_random", "resources": ["{resource}"], "project_id": "{project}", **WINDOW}),
    "availability.unavailable_slots": Call("POST", "/unavailable/slots", {
        "resources": ["{resource}"], "project_id": "{project}", **WINDOW}),
    "findtime.findtime": Call("POST", "/findtime", FINDTIME),
    "findtime.findtime_bulk": Call("POST", "/findtime/bulk", [FINDTIME]),
    "findtime.findtime_team": Call("POST", "/findtime/team", FINDTIME),
    "families.create_calendar": Call("POST", "/calendars", {"name": "Side", "resource_id": "{resource}"}),
    "families.create_event": Call("POST", "/events", {"calendar_id": "{calendar}", **LATER, "what": "Lab", "where": "Garage"}),
    "families.update_event": Call("PUT", "/events/{event}", {"calendar_id": "{calendar}"}),
}
# Only the app key changes the app's shared configuration: projects, locations and their services.
TIMEKIT_APP_CALLS = {
    **TIMEKIT_CALLS,
    "families.create_project": Call("POST", "/projects", {"name": "Lessons", "resources": ["{resource}"]}),
    "families.update_project": Call("PUT", "/projects/{project}", {"resources": ["{resource}"]}),
    "families.add_project_resource": Call("POST", "/projects/{project}/resources", {"resource_id": "{resource}"}),
    "families.create_service": Call("POST", "/location/services", {"location_id": "{location}", "name": "Check",
                                                                   "duration": "30 minutes"}),
    "families.update_service": Call("PUT", "/location/services/{service}", {"location_id": "{location}"}),
}
APP_A = {"resource": DOC, "calendar": DOC_CALENDAR, "project": PROJECT_FLUX,
         "location": "97586d17-5bd6-5f5c-bb77-a73e64507e97", "service": "4eebaba3-1c3e-5999-b045-9f51f882ca1f",
         "booking": "c33d52ae-68c3-5350-8460-4d9d48e5c226", "instant_booking": "f4a5bd27-ae50-5f29-8b49-e33ec6745fae",
         "event": "109b6dec-3c2e-5c0f-8525-af539bf76d40"}
# Marty's share of the app, which Doc Brown's own credentials do not reach.
MARTY_PART = {"resource": MARTY, "calendar": "c91c5d04-2a57-46c0-ab35-e489dadf132e",
              "booking": "9d6c7299-05b7-5f59-8ad0-ad828b3dfc4d"}


def other_app(client) -> dict:
    """A second app, made with the first app's key, and one of each of its documents."""
    made = client.post(f"{TIMEKIT_BASE}/apps", json={"name": "Hill Valley Times"}, headers=APP).json()["data"]
    key = basic("", made["app_token"])

    def create(path: str, body: Any) -> dict:
        response = client.post(TIMEKIT_BASE + path, json=body, headers=key)
        assert response.status_code == 201, response.text
        return response.json()["data"]

    resource = create("/resources", {"name": "Needles", "timezone": "America/Los_Angeles"})
    project = create("/projects", {"name": "Interviews", "resources": [resource["id"]]})
    location = create("/locations", {"name": "Newsroom"})
    owner = create("/bookings", {"resource_id": resource["id"], "graph": "group_owner", **SLOT, "what": "Class",
                                 "where": "Room", "description": "", "settings": {"max_seats": 3}})
    reservation = create("/bookings/reserve", {"resource_id": resource["id"], "start": "2026-12-15T15:00:00-08:00",
                                               "end": "2026-12-15T16:00:00-08:00", "graph": "instant"})
    event = create("/events", {"calendar_id": resource["calendars"][0]["id"], **LATER, "what": "Press", "where": "Desk"})
    return {"foreign": {"resource": resource["id"], "calendar": resource["calendars"][0]["id"],
                        "project": project["id"], "location": location["id"], "booking": owner["id"],
                        "reservation": reservation["id"], "event": event["id"]}}


def doc_reservation(client) -> dict:
    """Doc Brown's own reservation (the fixtures have none) and one of Marty's."""
    made = {}
    for who, resource, headers in (("own", DOC, APP), ("foreign", MARTY, APP)):
        response = client.post(f"{TIMEKIT_BASE}/bookings/reserve", headers=headers, json={
            "resource_id": resource, "start": "2026-12-15T08:00:00-08:00", "end": "2026-12-15T09:00:00-08:00",
            "graph": "instant"})
        assert response.status_code == 201, response.text
        made[who] = {"reservation": response.json()["data"]["id"]}
    return made


def app_side_setup(client) -> dict:
    made = other_app(client)
    made["own"] = doc_reservation(client)["own"]
    return made


# == every side of the walk ============================================================================
RULES = {"platform": PLATFORM_RULES, "takaro": TAKARO_RULES, "timekit": TIMEKIT_RULES}
KIND_TYPES = {"platform": PLATFORM_TYPES}
DOC_PART = {**APP_A, "booking": "f3ba0eb9-22a5-5e6b-8bc5-d0ba2501dac0"}  # Doc Brown's own documents

SIDES = [
    Side("alice of Acme, Globex ids", "platform", "/platform/v2", ACME, GLOBEX, PLATFORM_CALLS,
         lambda made: platform_auth("alice")),
    Side("svc of Acme, Globex ids", "platform", "/platform/v2", ACME, GLOBEX, PLATFORM_SVC_CALLS,
         lambda made: platform_auth("svc")),
    Side("root of brave-otters-sing, quiet-lamps-glow ids", "takaro", TAKARO_BASE, DOMAIN_A, DOMAIN_B, TAKARO_CALLS,
         lambda made: bearer("root_a")),
    Side("the app key, another app's ids", "timekit", TIMEKIT_BASE, APP_A, {}, TIMEKIT_APP_CALLS,
         lambda made: APP, setup=app_side_setup,
         made=("resource", "calendar", "project", "location", "booking", "reservation", "event")),
    Side("Doc Brown's credentials, Marty's ids", "timekit", TIMEKIT_BASE, DOC_PART, MARTY_PART, TIMEKIT_CALLS,
         lambda made: resource_auth(), setup=doc_reservation, made=("reservation",)),
]


def cases() -> list[tuple[Side, Reference]]:
    """Each reference of each side's operations whose kind the other tenant has."""
    return [(side, ref) for side in SIDES for ref in references(side.api)
            if ref.operation in side.calls and RULES[side.api].kinds[ref.name] in (*side.foreign, *side.made)]


def request(client, side: Side, call: Call, made: dict, body: Any):
    own, _ = side.ids(made)
    client.cookies.clear()  # each call as a separate client (a Takaro domain cookie must not ride along)
    return client.request(call.method, side.base + fill(call.path, own), json=body, headers=side.headers(made))

PLATFORM_CALLS.update({
    "workspaces.update_workspace": Call("PATCH", "/workspaces/{workspace}", jsonapi(
        "workspace", {"name": "Prod"}, id="{workspace}")),
    "teams.update_team": Call("PATCH", "/teams/{team}", jsonapi("team", {"name": "acme-devs"}, id="{team}")),
    "plain.secrets.update": Call("PATCH", "/workspaces/{workspace}/secrets/{secret}", jsonapi(
        "auth-secret", {"name": "token"}, id="{secret}")),
    "workspace_data.samples.update": Call("PATCH", "/data-samples/{data-sample}", jsonapi(
        "data-sample", {"method": "getPets"}, id="{data-sample}")),
})
ACME["data-sample"] = "5b0d6d4b2c3f1a001b000001"
