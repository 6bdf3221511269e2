"""Attacks, as a client that means harm would try them: each row asserts the status, the API's own
error format, and that nothing stored changed."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import pytest

from conftest import FIXTURES
from platform_helpers import C1, CODE_COMMAND, CRM_COMMAND, GLOBEX_FLOW, USERS, W1, W2, W3, doc, rel
from platform_helpers import auth as platform_auth
from takaro_support import A, SERVER_7D2D, bearer
from tenancy_support import (KIND_TYPES, RULES, SIDES, all_references, cases, collections_of, fill, other_app,
                             put, references, request, state_of, unknown_like, value_for)
from timekit_support import APP, APP_SLUG, DOC, MARTY, MARTY_TENTATIVE, PROJECT_FLUX, booking_body, resource_auth
from understudy.stores import load_fixtures


# -- tenancy: every reference in every request body, walked from the specs ---------------------------
@pytest.mark.once
@pytest.mark.parametrize("api", sorted(RULES))
def test_every_reference_in_the_specs_is_classified(api):
    """A new `...Id` / `..._id` property or relationship in a spec must be given a kind (and so be
    walked below) or a reason why it names nothing another tenant owns."""
    rules = RULES[api]
    unexplained = sorted({f"{r.name} ({r.id})" for r in all_references(api)
                          if r.name not in rules.kinds and r.name not in rules.not_references
                          and r.id not in rules.ignored})
    assert unexplained == []


@pytest.mark.once
@pytest.mark.parametrize("api", sorted(RULES))
def test_every_reference_is_walked(api):
    """Each operation with a reference has a request the walk sends."""
    called = {op for side in SIDES if side.api == api for op in side.calls}
    assert sorted({r.operation for r in references(api)} - called) == []


@pytest.mark.parametrize("side, operation", [(s, op) for s in SIDES for op in s.calls],
                         ids=[f"{s.api}: {op} ({s.name})" for s in SIDES for op in s.calls])
def test_the_walked_requests_are_accepted_with_the_callers_own_ids(client, side, operation):
    """So that each swapped reference below is what a refusal answers."""
    made = side.setup(client) if side.setup else {}
    own, _ = side.ids(made)
    call = side.calls[operation]
    response = request(client, side, call, made, fill(call.body, own))
    assert 200 <= response.status_code < 300, response.text


CASES = cases()


@pytest.mark.parametrize("side, ref", CASES, ids=[f"{s.api}: {r.id} ({s.name})" for s, r in CASES])
def test_another_tenants_id_is_answered_as_an_unknown_id(app, client, side, ref):
    made = side.setup(client) if side.setup else {}
    own, foreign = side.ids(made)
    call = side.calls[ref.operation]
    theirs = foreign[RULES[side.api].kinds[ref.name]]
    nobody = unknown_like(theirs)
    before = state_of(app, side.api, collections_of(side.api))

    def sent_with(ident: str):
        body = copy.deepcopy(fill(call.body, own))
        put(body, ref.pointer, value_for(ref, KIND_TYPES.get(side.api, {}), ident))
        return request(client, side, call, made, body)

    answer = sent_with(theirs)
    after = state_of(app, side.api, collections_of(side.api))
    unknown = sent_with(nobody)
    assert (answer.status_code, answer.text.replace(theirs, nobody)) == (unknown.status_code, unknown.text)
    assert after == before, f"{ref.id} with another tenant's id changed the state ({answer.status_code})"


# -- tenancy: cross-tenant reads and writes, resource credentials, role escalation -------------------
# Each row: who sends what, the status, and what to read before and after (as someone who may): the
# refused request leaves it as it was. Ids in `{}` come from the row's setup.
@dataclass(frozen=True)
class Attack:
    api: str
    who: str
    method: str
    path: str
    body: Any
    status: int
    watch: tuple[str, str, str, Any] | None  # (who, method, path, body) read before and after
    setup: str | None = None


def platform(who, method, path, body, status, watch=None, setup=None):
    return Attack("platform", who, method, P + path, body, status, watch and (watch[0], "GET", P + watch[1], None), setup)


def takaro(who, method, path, body, status, watch=None, setup=None):
    return Attack("takaro", who, method, T + path, body, status,
                  watch and (watch[0], watch[1], T + watch[2], watch[3]), setup)


def timekit(who, method, path, body, status, watch=None, setup=None):
    return Attack("timekit", who, method, K + path, body, status, watch and (watch[0], "GET", K + watch[1], None), setup)


P, T, K = "/platform/v2", "/takaro", "/timekit/v2"
ACME_CREDENTIAL, GLOBEX_CREDENTIAL = "5b0d6d4b2c3f1a0015000001", "5b0d6d4b2c3f1a0015000003"
PETSTORE = "5b0d6d4b2c3f1a0012000002"  # Acme's, team access
TOPIC = "5b0d6d4b2c3f1a0017000001"  # in W1
BOB = USERS["bob"]
ADA, VIC = "2c0a0f61-a4f6-4877-8ce5-53fe3ceb393d", "612c79a8-8efb-46c2-9d09-a9a12688d001"
ROOT_ROLE, ADMIN_ROLE, MODERATOR = ("8e30c535-f835-4e96-88c6-8308971a8b5d", "eef8b929-9d5e-4eac-ad42-775457e069f2",
                                    "77a325a4-4721-4aa0-9104-b2b81abfebe8")
MARTY_CALENDAR = "c91c5d04-2a57-46c0-ab35-e489dadf132e"


def flow_in(workspace: str, node: dict) -> dict:
    return doc("flow", {"name": "Reach", "type": "ordinary", "graph": {"nodes": [node], "edges": []},
                        "default_mapper_type": "jsonata"}, {"workspace": rel("workspace", workspace)})


ATTACKS = {
    # the platform: another tenant's objects, named in a relationship, a step or an attribute
    "dave moves his credential into Acme's workspace": platform(
        "dave", "PATCH", f"/credentials/{GLOBEX_CREDENTIAL}",
        doc("credential", {"name": "moved"}, {"workspace": rel("workspace", W1)}, id=GLOBEX_CREDENTIAL), 404,
        ("alice", f"/credentials?workspace_id={W1}")),
    "dave moves his flow into Acme's workspace": platform(
        "dave", "PATCH", f"/flows/{GLOBEX_FLOW}", doc("flow", {"name": "moved"}, {"workspace": rel("workspace", W1)},
                                                      id=GLOBEX_FLOW), 404, ("dave", f"/flows/{GLOBEX_FLOW}")),
    "alice moves a topic into Globex's workspace": platform(
        "alice", "PATCH", f"/workspaces/{W1}/topics/{TOPIC}",
        doc("topic", {"name": "moved"}, {"workspace": rel("workspace", W3)}, id=TOPIC), 404,
        ("alice", f"/workspaces/{W1}/topics/{TOPIC}")),
    "dave's flow step names Acme's component": platform(
        "dave", "POST", "/flows", flow_in(W3, {"id": "step_1", "component_id": PETSTORE, "command": "x:y@latest"}),
        404, ("dave", f"/flows?workspace_id={W3}")),
    "dave's flow step runs a version of Acme's component": platform(
        "dave", "POST", "/flows", flow_in(W3, {"id": "step_1", "command": CODE_COMMAND}), 404,
        ("dave", f"/flows?workspace_id={W3}")),
    "dave's debug run uses Acme's credential": platform(
        "dave", "POST", "/flows", flow_in(W3, {"id": "step_1", "command": CRM_COMMAND,
                                               "credentials_id": ACME_CREDENTIAL}), 404,
        ("dave", f"/flows?workspace_id={W3}")),
    "dave stores a credential for Acme's component": platform(
        "dave", "POST", "/credentials", doc("credential", {"name": "k"}, {
            "component": rel("component", PETSTORE), "workspace": rel("workspace", W3)}), 404,
        ("dave", f"/credentials?workspace_id={W3}")),
    "dave reads Acme's component": platform("dave", "GET", f"/components/{PETSTORE}", None, 404),
    "dave reads Acme's credential": platform("dave", "GET", f"/credentials/{ACME_CREDENTIAL}", None, 404),
    "dave invites to Acme's contract": platform(
        "dave", "POST", f"/contracts/{C1}/invites", doc("contract-invite", {"email": "x@globex.example",
                                                                           "roles": ["member"]}), 404),
    "alice names Globex's owner as Acme's support user": platform(
        "alice", "PATCH", f"/contracts/{C1}", doc("contract", {"support_user_id": USERS["dave"]}, id=C1), 404,
        ("alice", f"/contracts/{C1}")),
    # the platform: nobody grants a role with rights they lack, themself included
    "bob (contract admin) makes himself owner": platform(
        "bob", "PATCH", f"/contracts/{C1}/members/{BOB}", doc("contract-member", {"roles": ["owner"]}, id=BOB), 403,
        ("alice", f"/contracts/{C1}/members")),
    "bob (workspace admin) makes himself owner": platform(
        "bob", "PATCH", f"/workspaces/{W2}/members/{BOB}", doc("member", {"roles": ["owner"]}, id=BOB), 403,
        ("alice", f"/workspaces/{W2}/members")),
    "bob invites an owner": platform(
        "bob", "POST", f"/contracts/{C1}/invites", doc("contract-invite", {"email": "x@acme.example",
                                                                          "roles": ["owner"]}), 403,
        ("alice", f"/contracts/{C1}/invites")),
    "bob invites into his sandbox as owner": platform(
        "bob", "POST", f"/contracts/{C1}/invites", doc("contract-invite", {
            "email": "x@acme.example", "roles": ["member"], "workspace_id": W2, "workspace_roles": ["owner"]}), 403,
        ("alice", f"/contracts/{C1}/invites")),
    "bob adds carol to his sandbox as owner": platform(
        "bob", "POST", f"/workspaces/{W2}/members", doc("member", {"roles": ["owner"]}, id=USERS["carol"]), 403,
        ("alice", f"/workspaces/{W2}/members")),
    # Takaro: another domain's records
    "quiet-lamps-glow reads a player of brave-otters-sing": takaro("root_b", "GET", f"/player/{ADA}", None, 404),
    "quiet-lamps-glow records an event of a brave-otters-sing player": takaro(
        "root_b", "POST", "/event", {"eventName": "chat-message", "playerId": ADA}, 404,
        ("root_b", "POST", "/event/search", {"limit": 1000})),
    "quiet-lamps-glow bans on a brave-otters-sing server": takaro(
        "root_b", "POST", "/player/ban", {"playerId": "f285bcf9-a3d7-4d05-aa25-0496cb7e6975",
                                          "gameServerId": SERVER_7D2D}, 404,
        ("root_b", "POST", "/player/ban/search", {})),
    # Takaro: a role manager (MANAGE_ROLES and MANAGE_USERS, no ROOT) stays within its rights
    "a role manager gives itself the root role": takaro(
        "vic", "POST", f"/user/{VIC}/role/{ROOT_ROLE}", None, 403, ("root_a", "GET", f"/user/{VIC}", None),
        "role_manager"),
    "a role manager gives itself a role holding ROOT": takaro(
        "vic", "POST", f"/user/{VIC}/role/{ADMIN_ROLE}", None, 403, ("root_a", "GET", f"/user/{VIC}", None),
        "role_manager"),
    "a role manager gives itself a role with a permission it lacks": takaro(
        "vic", "POST", f"/user/{VIC}/role/{MODERATOR}", None, 403, ("root_a", "GET", f"/user/{VIC}", None),
        "role_manager"),
    "a role manager gives a player a role holding ROOT": takaro(
        "vic", "POST", f"/player/{ADA}/role/{ADMIN_ROLE}", {}, 403, ("root_a", "GET", f"/player/{ADA}", None),
        "role_manager"),
    "a role manager creates a role holding ROOT": takaro(
        "vic", "POST", "/role", {"name": "Escape", "permissions": [{"permissionId": "{ROOT}"}]}, 403,
        ("root_a", "POST", "/role/search", {}), "role_manager"),
    "a role manager adds ROOT to its own role": takaro(
        "vic", "PUT", "/role/{role}", {"permissions": [{"permissionId": "{ROOT}"}]}, 403,
        ("root_a", "GET", "/role/{role}", None), "role_manager"),
    # Timekit: a resource's credentials act on their own resource
    "Doc Brown lists the app's keys": timekit("doc", "GET", "/credentials", None, 403),
    "Doc Brown mints a live key": timekit("doc", "POST", "/credentials", {"mode": "live"}, 403, ("app", "/credentials")),
    "Doc Brown renames Marty": timekit("doc", "PUT", f"/resources/{MARTY}", {"name": "Calvin Klein"}, 403,
                                       ("app", f"/resources/{MARTY}")),
    "Doc Brown deletes himself": timekit("doc", "DELETE", f"/resources/{DOC}", None, 403, ("app", f"/resources/{DOC}")),
    "Doc Brown creates a resource": timekit("doc", "POST", "/resources", {"name": "Jennifer", "timezone": "UTC"}, 403,
                                            ("app", "/resources")),
    "Doc Brown edits a project": timekit("doc", "PUT", f"/projects/{PROJECT_FLUX}", {"name": "Mine"}, 403,
                                         ("app", f"/projects/{PROJECT_FLUX}")),
    "Doc Brown edits the app's settings": timekit("doc", "PUT", f"/apps/{APP_SLUG}", {"name": "Doc's app"}, 403,
                                                  ("app", "/app")),
    "Doc Brown confirms Marty's booking": timekit("doc", "PUT", f"/bookings/{MARTY_TENTATIVE}/confirm", {}, 403,
                                                  ("app", f"/bookings/{MARTY_TENTATIVE}")),
    "Doc Brown deletes Marty's calendar": timekit("doc", "DELETE", f"/calendars/{MARTY_CALENDAR}", None, 403,
                                                  ("app", f"/calendars/{MARTY_CALENDAR}")),
    "Doc Brown reads Marty": timekit("doc", "GET", f"/resources/{MARTY}", None, 404),
    "Doc Brown books Marty": timekit("doc", "POST", "/bookings", {**booking_body(), "resource_id": MARTY}, 422,
                                     ("app", "/bookings")),
    # Timekit: another app's resource
    "the app puts another app's resource in a project": timekit(
        "app", "PUT", f"/projects/{PROJECT_FLUX}/resources", ["{resource}"], 422,
        ("app", f"/projects/{PROJECT_FLUX}/resources"), "other_app"),
    "the app books another app's resource": timekit(
        "app", "POST", "/bookings", {**booking_body(), "resource_id": "{resource}"}, 422, ("app", "/bookings"),
        "other_app"),
}


def role_manager(client) -> dict:
    """Vic, a dashboard user of brave-otters-sing, given a role that manages roles and users and
    reads them, but holds no ROOT."""
    codes = {p["permission"]: p["id"] for p in load_fixtures(FIXTURES / "takaro")["permissions"]
             if p.get("domain") is None}
    wanted = ("MANAGE_ROLES", "READ_ROLES", "MANAGE_USERS", "READ_USERS", "MANAGE_PLAYERS")
    role = client.post(f"{T}/role", headers=bearer("root_a"), json={
        "name": "Role managers", "permissions": [{"permissionId": codes[c]} for c in wanted]}).json()["data"]
    assigned = client.post(f"{T}/user/{VIC}/role/{role['id']}", headers=bearer("root_a"))
    assert assigned.status_code == 200, assigned.text
    return {"role": role["id"], "ROOT": codes["ROOT"]}


def other_app_resource(client) -> dict:
    return {"resource": other_app(client)["foreign"]["resource"]}


SETUPS = {"role_manager": role_manager, "other_app": other_app_resource}
CALLERS = {"alice": lambda: platform_auth("alice"), "bob": lambda: platform_auth("bob"),
           "dave": lambda: platform_auth("dave"), "root_a": lambda: bearer("root_a"),
           "root_b": lambda: bearer("root_b"), "vic": lambda: bearer("vic", A), "doc": resource_auth,
           "app": lambda: APP}


def error_format(api: str, status: int, body: Any) -> bool:
    """The API's own error body for this status."""
    if api == "platform":
        return all({"status", "title", "detail", "code", "meta"} <= set(e) and e["status"] == status
                   for e in body["errors"])
    if api == "takaro":
        codes = {400: {"BadRequestError", "ValidationError"}, 403: {"ForbiddenError"}, 404: {"NotFoundError"}}
        return body["data"] == {} and body["meta"]["error"]["code"] in codes[status]
    if status == 422:
        return isinstance(body["errors"], dict) and all(isinstance(v, list) for v in body["errors"].values())
    return isinstance(body["error"], str) and (status != 404 or "model" in body)


def send(client, who: str, method: str, path: str, body: Any):
    client.cookies.clear()
    return client.request(method, path, json=body, headers=CALLERS[who]())


@pytest.mark.parametrize("name", list(ATTACKS))
def test_attack_is_refused_and_changes_nothing(client, name):
    attack = ATTACKS[name]
    made = SETUPS[attack.setup](client) if attack.setup else {}
    watch = fill(attack.watch, made) if attack.watch else None
    before = send(client, *watch).json() if watch else None
    response = send(client, attack.who, attack.method, fill(attack.path, made), fill(attack.body, made))
    assert response.status_code == attack.status, response.text
    assert error_format(attack.api, attack.status, response.json()), response.text
    if watch:
        assert send(client, *watch).json() == before


CODE, CODE_REVISION = "5b0d6d4b2c3f1a0012000003", "17fe90a939d9ba0a3823a1051863f6e41c0213fe"  # Acme's code component
CRM_REVISION = "81cdb3779d0de3ad8d37f87fb92beab1ba35dddc"  # Globex's crm component


def test_include_never_returns_what_the_caller_could_not_get(app, client):
    """A flow of dave's whose steps run Acme's code component and Globex's crm (stored before steps
    were checked): `include=descriptor` has crm's descriptor, not the one a direct GET refuses."""
    nodes = [{"id": "step_1", "command": CODE_COMMAND}, {"id": "step_2", "command": CRM_COMMAND}]
    app.store.view("platform").update("flows", GLOBEX_FLOW, lambda d: d["attributes"].update(
        graph={"nodes": nodes, "edges": []}))
    direct = client.get(f"{P}/components/{CODE}/versions/{CODE_REVISION}/descriptor", headers=platform_auth("dave"))
    flow = client.get(f"{P}/flows/{GLOBEX_FLOW}", params={"include": "descriptor"}, headers=platform_auth("dave"))
    included = {(i["type"], i["id"]) for i in flow.json()["included"]}
    assert (direct.status_code, flow.status_code) == (404, 200)
    assert ("descriptor", CRM_REVISION) in included and ("descriptor", CODE_REVISION) not in included


# What the rules above still let through: a caller acting within its own rights.
ALLOWED = {
    "Doc Brown reads the app and its token (documented)": ("doc", "GET", f"{K}/app?include=app_token", None,
                                                           lambda data: data["app_token"].startswith("live_")),
    "Doc Brown renames himself": ("doc", "PUT", f"{K}/resources/{DOC}", {"first_name": "Emmett"},
                                  lambda data: data["first_name"] == "Emmett"),
    "Doc Brown's resources are himself": ("doc", "GET", f"{K}/resources", None,
                                          lambda data: [r["id"] for r in data] == [DOC]),
    "Doc Brown adds a calendar to himself": ("doc", "POST", f"{K}/calendars", {"name": "Side", "resource_id": DOC},
                                             lambda data: data["resource_id"] == DOC),
    "bob (contract admin) makes carol an admin": (
        "bob", "PATCH", f"{P}/contracts/{C1}/members/{USERS['carol']}",
        doc("contract-member", {"roles": ["admin"]}, id=USERS["carol"]), lambda data: data["attributes"]["roles"] == ["admin"]),
    "alice (owner) makes bob an owner": (
        "alice", "PATCH", f"{P}/contracts/{C1}/members/{BOB}", doc("contract-member", {"roles": ["owner"]}, id=BOB),
        lambda data: data["attributes"]["roles"] == ["owner"]),
    "a role manager gives Mo its own role": ("vic", "POST", f"{T}/user/160cec7c-6a2c-4be6-8ff5-de714abff70c/role/{{role}}",
                                             None, lambda data: data == {}),
}


@pytest.mark.parametrize("name", list(ALLOWED))
def test_within_their_rights_callers_still_act(client, name):
    who, method, path, body, holds = ALLOWED[name]
    made = role_manager(client) if "{role}" in path else {}
    response = send(client, who, method, fill(path, made), body)
    assert 200 <= response.status_code < 300, response.text
    data = response.json()["data"]
    assert holds(data), data
