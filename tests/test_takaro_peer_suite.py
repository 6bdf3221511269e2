"""Takaro's own integration tests of its Role and Variable controllers, ported to pytest
(`packages/app-api/src/controllers/__tests__/{Role,Variable}Controller.integration.test.ts` of
gettakaro/takaro at d028c86). Each test does what Takaro's `IntegrationTest` does: a fresh domain
(the "standard environment": created with the admin token, its root user logged in), the test's
own setup, the same calls Takaro's client makes, then Takaro's `matchSnapshot`: the body and status
compared with the stored snapshot after leaving out, at every depth, the fields that may differ
(ids, timestamps and each test's own `filteredFields`). The expected bodies are the snapshots of
`packages/test/src/__snapshots__/<group>/<name>.json`, already filtered, written out below; the
domain is hard-deleted afterwards.

The tests speak HTTP to a server, understudy on a socket by default; `TAKARO_URL` (and
`TAKARO_ADMIN_SECRET`) point them at another. One step differs from Takaro's harness: its mock
game servers register themselves over Takaro's websocket with the domain's registration token;
here `register_mock_server` creates them with `POST /gameserver` (type MOCK, the same identity
token), and their players connect with the mock's own `connectAll`, as in Takaro's setup."""

from __future__ import annotations

import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import httpx
import pytest

# snapshots.ts: fields a snapshot never compares
DEFAULT_FILTERED_FIELDS = ("createdAt", "updatedAt", "id", "serverTime", "domainId", "url", "snapshot",
                           "permissionId", "moduleVersionId", "versionId")


def filtered(value: Any, fields: tuple[str, ...]) -> Any:
    """snapshots.ts `filterFields`: the named keys left out at every depth."""
    if isinstance(value, list):
        return [filtered(v, fields) for v in value]
    if isinstance(value, dict):
        return {k: filtered(v, fields) for k, v in value.items() if k not in fields}
    return value


class Takaro:
    """The part of Takaro's `Client` and `AdminClient` these tests use: JSON over HTTP, the admin
    token on admin routes, the login session as a Bearer token on the others."""

    def __init__(self, url: str, admin_secret: str):
        self.http = httpx.Client(base_url=url, timeout=30)
        self.admin_secret = admin_secret
        self.token: str | None = None

    def admin(self, method: str, path: str, json: Any = None, **params: Any) -> httpx.Response:
        return self.http.request(method, path, json=json, params=params or None,
                                 headers={"X-Takaro-Admin-Token": self.admin_secret})

    def __call__(self, method: str, path: str, json: Any = None, **params: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return self.http.request(method, path, json=json, params=params or None, headers=headers)

    def login(self, username: str, password: str) -> None:
        self.token = ok(self("POST", "/login", {"username": username, "password": password}))["token"]

    def permission_inputs(self, codes: list[str]) -> list[dict]:
        """Client.permissionCodesToInputs."""
        found = [{"permissionId": p["id"]} for p in ok(self("GET", "/permissions")) if p["permission"] in codes]
        assert len(found) == len(codes), f"Not all permissions were found: {', '.join(codes)}"
        return found


def ok(response: httpx.Response) -> Any:
    """What an axios call resolves to: the data of a 2xx answer (anything else throws)."""
    assert response.is_success, f"{response.request.method} {response.request.url}: {response.status_code} {response.text}"
    return response.json()["data"]


@dataclass
class Environment:
    """IntegrationTest's standard environment: a new domain, its root user logged in."""

    client: Takaro
    domain_id: str
    registration_token: str
    setup_data: Any = None
    extra: dict = field(default_factory=dict)


@pytest.fixture
def takaro(request) -> Takaro:
    url = os.environ.get("TAKARO_URL")
    if not url:
        url = request.getfixturevalue("live_server") + "/takaro"
    client = Takaro(url, os.environ.get("TAKARO_ADMIN_SECRET", "xxx"))
    yield client
    client.http.close()


@pytest.fixture
def environment(takaro) -> Environment:
    created = ok(takaro.admin("POST", "/domain", {"name": f"integration--{uuid.uuid4()}"[:49],
                                                  "maxGameservers": 100, "maxUsers": 5}))
    takaro.login(created["rootUser"]["email"], created["password"])
    yield Environment(takaro, created["createdDomain"]["id"], created["createdDomain"]["serverRegistrationToken"])
    takaro.admin("DELETE", f"/domain/{created['createdDomain']['id']}", hardDelete="true")


# -- setups ---------------------------------------------------------------------------------------------------
def setup_role(env: Environment) -> dict:
    permissions = env.client.permission_inputs(["MANAGE_ROLES"])
    return ok(env.client("POST", "/role", {"name": "Test role", "permissions": permissions}))


def setup_variable(env: Environment) -> dict:
    return ok(env.client("POST", "/variables", {"key": "Test variable", "value": "Test value"}))


def register_mock_server(env: Environment, identity_token: str) -> None:
    """Where Takaro's mock game server registers itself over the websocket with the domain's
    registration token, understudy (which has no websocket) creates it with the same identity."""
    ok(env.client("POST", "/gameserver", {"name": f"mock-{identity_token[:8]}", "type": "MOCK",
                                          "connectionInfo": "{}", "identityToken": identity_token}))


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"Setup fail: {what}"
        time.sleep(0.1)


def run_job(env: Environment, kind: str, server_id: str) -> None:
    job = ok(env.client("POST", f"/gameserver/job/{kind}/{server_id}"))
    wait_for(lambda: ok(env.client("GET", f"/gameserver/job/{kind}/{job['id']}"))["status"] == "completed",
             f"job {kind} did not complete")


def setup_game_server_players(env: Environment) -> dict:
    """SetupGameServerPlayers.setup: two mock game servers, their 20 players connected, a module."""
    tokens = [str(uuid.uuid4()), str(uuid.uuid4())]
    for token in tokens:
        register_mock_server(env, token)
    servers = ok(env.client("POST", "/gameserver/search", {"filters": {"identityToken": tokens}}))
    server1, server2 = (next(s for s in servers if s["identityToken"] == t) for t in tokens)
    mod = ok(env.client("POST", "/module", {"name": "Test module"}))
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda s: ok(env.client("POST", f"/gameserver/{s['id']}/command", {"command": "connectAll"})),
                      (server1, server2)))

    def created() -> int:
        return len(ok(env.client("POST", "/event/search", {"filters": {"eventName": ["player-created"]}})))
    wait_for(lambda: created() >= 40, "should have 20 players-created events")
    for server in (server1, server2):
        for kind in ("syncItems", "syncEntities"):
            run_job(env, kind, server["id"])
    players = ok(env.client("POST", "/player/search", {}))
    pogs = [ok(env.client("POST", "/gameserver/player/search", {"filters": {"gameServerId": [s["id"]]}}))
            for s in (server1, server2)]
    assert ([len(p) for p in pogs], len(players)) == ([10, 10], 20), "Setup fail"
    return {"gameServer1": server1, "gameServer2": server2, "players": players, "pogs1": pogs[0],
            "pogs2": pogs[1], "mod": mod}


def in_an_hour() -> str:
    return (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# -- the tests: what each does, and what its snapshot holds ----------------------------------------------------
@dataclass(frozen=True)
class Case:
    group: str
    name: str
    act: Callable[[Environment], httpx.Response]
    status: int = 200
    body: Any = None  # the snapshot's body, filtered
    setup: Callable[[Environment], Any] | None = None
    filtered_fields: tuple[str, ...] = ()


def invalid_id_error() -> dict:
    return {"meta": {"error": {"code": "ValidationError", "message": "Validation error", "details": [
        {"target": {}, "value": "invalid-id", "property": "id", "children": [],
         "constraints": {"isUuid": "id must be a UUID"}}]}}, "data": {}}


def error(code: str, message: str) -> dict:
    return {"meta": {"error": {"code": code, "message": message}}, "data": {}}


TEST_ROLE = {"name": "Test role", "permissions": [{"permission": {
    "permission": "MANAGE_ROLES", "friendlyName": "Manage Roles", "description": "Can create, update, and delete roles",
    "canHaveCount": False}, "count": 0}], "system": False, "linkedDiscordRoleId": None}


def root_role(env: Environment) -> dict:
    return ok(env.client("POST", "/role/search", {"filters": {"name": ["root"]}}))[0]


def update_keeping_permissions(env: Environment) -> httpx.Response:
    codes = [p["permission"]["permission"] for p in env.setup_data["permissions"]]
    return env.client("PUT", f"/role/{env.setup_data['id']}",
                      {"name": "New name", "permissions": env.client.permission_inputs(codes)})


def emptied_permissions(env: Environment) -> httpx.Response:
    ok(env.client("PUT", f"/role/{env.setup_data['id']}", {"name": "New name", "permissions": []}))
    response = env.client("GET", f"/role/{env.setup_data['id']}")
    assert ok(response)["permissions"] == []
    return response


ROLE_CASES = [
    Case("RoleController", "Get by ID", lambda env: env.client("GET", f"/role/{env.setup_data['id']}"),
         body={"meta": {}, "data": TEST_ROLE}, setup=setup_role, filtered_fields=("roleId", "permissionId")),
    Case("RoleController", "Get by ID with invalid ID", lambda env: env.client("GET", "/role/invalid-id"),
         400, invalid_id_error()),
    Case("RoleController", "Update by ID", update_keeping_permissions,
         body={"meta": {}, "data": {**TEST_ROLE, "name": "New name"}}, setup=setup_role,
         filtered_fields=("roleId", "permissionId")),
    Case("RoleController", "Update by ID with invalid ID",
         lambda env: env.client("PUT", "/role/invalid-id", {"name": "New name", "permissions": []}),
         400, invalid_id_error()),
    Case("RoleController", "Delete", lambda env: env.client("DELETE", f"/role/{env.setup_data['id']}"),
         body={"meta": {}, "data": {}}, setup=setup_role),
    Case("RoleController", "Delete with invalid ID", lambda env: env.client("DELETE", "/role/invalid-id"),
         400, invalid_id_error()),
    Case("RoleController", "Filter by name",
         lambda env: env.client("POST", "/role/search", {"filters": {"name": ["Test role"]}}),
         body={"meta": {"page": 0, "limit": 100, "total": 1}, "data": [TEST_ROLE]}, setup=setup_role,
         filtered_fields=("roleId", "permissionId")),
    Case("RoleController", "Update permissions with empty array", emptied_permissions,
         body={"meta": {}, "data": {**TEST_ROLE, "name": "New name", "permissions": []}}, setup=setup_role),
    Case("RoleController", "Does not allow deleting the root role",
         lambda env: env.client("DELETE", f"/role/{root_role(env)['id']}"),
         400, error("BadRequestError", "Cannot delete system roles")),
    Case("RoleController", "Cannot create root role if it already exists",
         lambda env: env.client("POST", "/role", {"name": "root", "permissions": []}),
         409, error("ConflictError", "Unique constraint violation")),
    Case("RoleController", "Cannot update root role",
         lambda env: env.client("PUT", f"/role/{root_role(env)['id']}", {"name": "New name", "permissions": []}),
         400, error("BadRequestError", "Cannot update root role")),
]


def variable(**fields) -> dict:
    return {"meta": {}, "data": {"key": "Test variable", "value": "Test value", **fields}}


UNSCOPED = {"gameServerId": None, "playerId": None, "moduleId": None}


def create(env: Environment, **fields) -> httpx.Response:
    return env.client("POST", "/variables", {"key": "Variable", "value": "Test value", **fields})


def twice(first: dict, second: dict) -> Callable[[Environment], httpx.Response]:
    """Create a variable with `first`'s scope, then answer the creation of one with `second`'s;
    each names setup data by a path (gameServer1, players.0 ...)."""
    def scope(env: Environment, names: dict) -> dict:
        def pick(path: str) -> str:
            value: Any = env.setup_data
            for part in path.split("."):
                value = value[int(part)] if part.isdigit() else value[part]
            return value["id"]
        return {key: pick(path) for key, path in names.items()}

    def act(env: Environment) -> httpx.Response:
        ok(create(env, **scope(env, first)))
        return create(env, **scope(env, second))
    return act


def deleted(env: Environment) -> httpx.Response:
    response = env.client("DELETE", f"/variables/{env.setup_data['id']}")
    assert env.client("GET", f"/variables/{env.setup_data['id']}").status_code == 404
    return response


def query_by(key: str, path: str) -> Callable[[Environment], httpx.Response]:
    """Two variables, one per player (or game server); a search by the first finds only it."""
    def act(env: Environment) -> httpx.Response:
        first, second = (env.setup_data["players"][:2] if key == "playerId"
                         else [env.setup_data["gameServer1"], env.setup_data["gameServer2"]])
        ok(create(env, **{key: first["id"]}))
        ok(create(env, **{key: second["id"]}))
        response = env.client("POST", "/variables/search", {"filters": {key: [first["id"]]}})
        assert [v[key] for v in ok(response)] == [first["id"]]
        return response
    return act


def max_variables(env: Environment) -> None:
    ok(env.client.admin("PUT", f"/domain/{env.domain_id}", {"maxVariables": 10}))
    with ThreadPoolExecutor(10) as pool:
        list(pool.map(lambda _: ok(env.client("POST", "/variables", {"key": str(uuid.uuid4()), "value": "Test value"})),
                      range(10)))


def expiring(env: Environment) -> httpx.Response:
    response = env.client("POST", "/variables", {"key": "Test variable", "value": "Test value", "expiresAt": in_an_hour()})
    assert ok(response)["expiresAt"] is not None
    return response


def expiry_added(env: Environment) -> httpx.Response:
    created = ok(env.client("POST", "/variables", {"key": "Test variable", "value": "Test value"}))
    assert created["expiresAt"] is None
    response = env.client("PUT", f"/variables/{created['id']}", {"expiresAt": in_an_hour(), "value": "Updated value"})
    assert ok(response)["expiresAt"] is not None
    return response


def with_module(env: Environment) -> httpx.Response:
    return env.client("POST", "/variables", {"key": "Test variable", "value": "Test value",
                                             "moduleId": env.setup_data["mod"]["id"]})


def module_twice(env: Environment) -> httpx.Response:
    ok(with_module(env))
    return with_module(env)


VARIABLE_CASES = [
    Case("VariableController", "Get by ID", lambda env: env.client("GET", f"/variables/{env.setup_data['id']}"),
         body=variable(**UNSCOPED, expiresAt=None), setup=setup_variable),
    Case("VariableController", "Create",
         lambda env: env.client("POST", "/variables", {"key": "Test variable", "value": "Test value"}),
         body=variable(**UNSCOPED, expiresAt=None)),
    Case("VariableController", "Update",
         lambda env: env.client("PUT", f"/variables/{env.setup_data['id']}",
                                {"key": "Updated variable", "value": "Updated value"}),
         body={"meta": {}, "data": {"key": "Updated variable", "value": "Updated value", **UNSCOPED, "expiresAt": None}},
         setup=setup_variable),
    Case("VariableController", "Delete", deleted, body={"meta": {}, "data": {}}, setup=setup_variable),
    Case("VariableController", "Prevents creating duplicate variables",
         lambda env: env.client("POST", "/variables", {"key": env.setup_data["key"], "value": "Test value"}),
         409, error("ConflictError", "Unique constraint violation"), setup=setup_variable),
    Case("VariableController", "Same key but different gameServerId is allowed",
         twice({"gameServerId": "gameServer1"}, {"gameServerId": "gameServer2"}),
         body={"meta": {}, "data": {"key": "Variable", "value": "Test value", "playerId": None, "expiresAt": None,
                                    "moduleId": None}},
         setup=setup_game_server_players, filtered_fields=("gameServerId",)),
    Case("VariableController", "Same key but different playerId is allowed",
         twice({"playerId": "players.0"}, {"playerId": "players.1"}),
         body={"meta": {}, "data": {"key": "Variable", "value": "Test value", "gameServerId": None, "expiresAt": None,
                                    "moduleId": None}},
         setup=setup_game_server_players, filtered_fields=("playerId",)),
    Case("VariableController", "Same key, same playerId and different gameServerId is allowed",
         twice({"playerId": "players.0", "gameServerId": "gameServer1"},
               {"playerId": "players.0", "gameServerId": "gameServer2"}),
         body={"meta": {}, "data": {"key": "Variable", "value": "Test value", "expiresAt": None, "moduleId": None}},
         setup=setup_game_server_players, filtered_fields=("gameServerId", "playerId")),
    Case("VariableController", "Same key, same gameServerId and different playerId is allowed",
         twice({"playerId": "players.0", "gameServerId": "gameServer1"},
               {"playerId": "players.1", "gameServerId": "gameServer1"}),
         body={"meta": {}, "data": {"key": "Variable", "value": "Test value", "expiresAt": None, "moduleId": None}},
         setup=setup_game_server_players, filtered_fields=("gameServerId", "playerId")),
    Case("VariableController", "Same key, same playerId and same gameServerId is not allowed",
         twice({"playerId": "players.0", "gameServerId": "gameServer1"},
               {"playerId": "players.0", "gameServerId": "gameServer1"}),
         409, error("ConflictError", "Unique constraint violation"),
         setup=setup_game_server_players, filtered_fields=("gameServerId", "playerId")),
    Case("VariableController", "Can query API with playerId", query_by("playerId", "players"),
         body={"meta": {"page": 0, "limit": 100, "total": 1},
               "data": [{"key": "Variable", "value": "Test value", "expiresAt": None, "moduleId": None}]},
         setup=setup_game_server_players, filtered_fields=("gameServerId", "playerId")),
    Case("VariableController", "Can query API with gameServerId", query_by("gameServerId", "gameServer"),
         body={"meta": {"page": 0, "limit": 100, "total": 1},
               "data": [{"key": "Variable", "value": "Test value", "expiresAt": None, "moduleId": None}]},
         setup=setup_game_server_players, filtered_fields=("gameServerId", "playerId")),
    Case("VariableController", "Prevents creating more than domain-allowed variables",
         lambda env: env.client("POST", "/variables", {"key": "umpeenth variable", "value": "Test value"}),
         400, error("BadRequestError", "Too many variables"), setup=max_variables),
    Case("VariableController", "Create with moduleId", with_module,
         body=variable(gameServerId=None, playerId=None, expiresAt=None),
         setup=setup_game_server_players, filtered_fields=("moduleId",)),
    Case("VariableController", "Prevents creating duplicate variables with same moduleId", module_twice,
         409, error("ConflictError", "Unique constraint violation"), setup=setup_game_server_players),
    Case("VariableController", "Can create expiring variables", expiring,
         body=variable(**UNSCOPED), setup=setup_game_server_players, filtered_fields=("expiresAt",)),
    Case("VariableController", "Create var without expiry and update with expiry", expiry_added,
         body={"meta": {}, "data": {"value": "Updated value", "key": "Test variable", **UNSCOPED}},
         setup=setup_game_server_players, filtered_fields=("expiresAt",)),
    Case("VariableController", "Gracefully errors when providing large variable values",
         lambda env: env.client("POST", "/variables", {"key": "Test variable", "value": "a" * (128 * 1024 + 1)}),
         400, error("BadRequestError", "Invalid data provided"), setup=setup_game_server_players),
]


@pytest.mark.parametrize("case", ROLE_CASES + VARIABLE_CASES, ids=lambda c: f"{c.group}/{c.name}")
def test_snapshot(environment, case):
    if case.setup is not None:
        environment.setup_data = case.setup(environment)
    response = case.act(environment)
    fields = DEFAULT_FILTERED_FIELDS + case.filtered_fields
    assert (response.status_code, filtered(response.json(), fields)) == (case.status, case.body)


# -- the two tests without a snapshot ------------------------------------------------------------------------------
def test_create_var_with_expiry_in_the_past_fetching_it_should_return_404(environment):
    setup_game_server_players(environment)
    past = (datetime.now(timezone.utc) - timedelta(milliseconds=100)).isoformat(timespec="milliseconds")
    created = ok(environment.client("POST", "/variables", {"key": "Test variable", "value": "Test value",
                                                           "expiresAt": past.replace("+00:00", "Z")}))
    assert environment.client("GET", f"/variables/{created['id']}").status_code == 404


def test_can_remove_expiration_date_of_existing_var(environment):
    setup_game_server_players(environment)
    soon = (datetime.now(timezone.utc) + timedelta(seconds=5)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    created = ok(environment.client("POST", "/variables", {"key": "Test variable", "value": "Test value",
                                                           "expiresAt": soon}))
    updated = ok(environment.client("PUT", f"/variables/{created['id']}", {"value": "Updated value"}))
    assert updated["expiresAt"] is None
