"""Who may call Takaro: the admin token on admin routes; a login session (Bearer or cookie) or an
agent JWT on domain routes, in the domain the caller picks; role permissions decide 403s."""

from datetime import datetime, timedelta, timezone

import jwt
import pytest

from takaro_support import A, ADMIN, B, BASE, PLAYER_ADA, SESSIONS, bearer, call, data, error_code

JWT_SECRET = "understudy-takaro-demo-jwt-secret"
ROOT_A_USER = "ab291db4-9abf-4c56-b50f-d4dbc6596561"


def agent_token(secret=JWT_SECRET, lifetime=timedelta(days=5), **claims) -> str:
    moment = datetime.now(timezone.utc)
    body = {"sub": ROOT_A_USER, "domainId": A, "iss": "takaro", "aud": "takaro", "iat": moment,
            "exp": moment + lifetime, **claims}
    return jwt.encode(body, secret, algorithm="HS256")


@pytest.mark.parametrize("method, path, headers, status, code", [
    # admin routes: the X-Takaro-Admin-Token header against ADMIN_CLIENT_SECRET
    ("POST", "/domain/search", {}, 401, "UnauthorizedError"),
    ("POST", "/domain/search", {"X-Takaro-Admin-Token": "CHANGE_THIS"}, 403, "ForbiddenError"),
    ("POST", "/domain/search", ADMIN, 200, None),
    ("POST", "/domain/search", bearer("root_a"), 401, "UnauthorizedError"),
    # domain routes: no credentials, unknown ones, and each way of sending good ones
    ("GET", "/me", {}, 401, "UnauthorizedError"),
    ("GET", "/me", {"Authorization": "Bearer ory_st_not_a_session"}, 401, "UnauthorizedError"),
    ("GET", "/me", ADMIN, 401, "UnauthorizedError"),
    ("GET", "/me", bearer("root_a"), 200, None),
    ("GET", "/me", {"Cookie": f"takaro-token={SESSIONS['root_a']}"}, 200, None),
    ("GET", "/me", {"x-takaro-token": agent_token()}, 200, None),
    # agent JWTs: signed with another secret, expired, for a user of another domain
    ("GET", "/me", {"x-takaro-token": agent_token(secret="another-secret-that-is-long-enough-for-hs256")}, 401,
     "UnauthorizedError"),
    ("GET", "/me", {"x-takaro-token": agent_token(lifetime=timedelta(seconds=-5))}, 401, "UnauthorizedError"),
    ("GET", "/me", {"x-takaro-token": agent_token(domainId=B)}, 401, "UnauthorizedError"),
    # permissions: Moderator reads players but not users; a user without roles reads neither
    ("POST", "/player/search", bearer("mo"), 200, None),
    ("POST", "/user/search", bearer("mo"), 403, "ForbiddenError"),
    ("DELETE", f"/player/{PLAYER_ADA}", bearer("mo"), 403, "ForbiddenError"),
    ("POST", "/player/search", bearer("vic"), 403, "ForbiddenError"),
    ("GET", "/permissions", bearer("vic"), 200, None),
    # ROOT (Admin) satisfies every permission
    ("POST", "/user/search", bearer("alice"), 200, None),
    # the domain is picked per request: Alice is Moderator in B
    ("POST", "/user/search", bearer("alice", B), 403, "ForbiddenError"),
    ("POST", "/player/search", {**bearer("alice"), "Cookie": f"takaro-domain={B}"}, 200, None),
    ("GET", "/me", bearer("vic", B), 401, "UnauthorizedError"),
])
def test_who_may_call(client, method, path, headers, status, code):
    response = client.request(method, BASE + path, headers=headers, json={} if method == "POST" else None)
    assert response.status_code == status, response.text
    if code:
        assert error_code(response) == code


def test_a_wrong_credential_is_reported_over_missing_ones(client):
    response = call(client, "GET", "/me", person=None, Authorization="Bearer ory_st_not_a_session")
    assert response.json()["meta"]["error"]["message"] == "Not authorized"


def test_seed_admin_secret_is_configurable(app):
    assert app.config["ADMIN_CLIENT_SECRET"] == "xxx"


@pytest.mark.parametrize("headers, domain", [
    ({}, A),  # no choice: the first ACTIVE domain (and a cookie to remember it)
    ({"X-Takaro-Domain": B}, B),
    ({"Cookie": f"takaro-domain={B}"}, B),
])
def test_domain_is_chosen_per_request(client, headers, domain):
    me = data(call(client, "GET", "/me", person="alice", **headers))
    assert (me["domain"], sorted(d["id"] for d in me["domains"])) == (domain, [A, B])


def test_an_unchosen_domain_is_remembered_in_a_cookie(client):
    response = call(client, "GET", "/me", person="alice")
    assert f"takaro-domain={A}" in response.headers["set-cookie"]


def test_selected_domain_sets_and_clears_the_cookie(client):
    chosen = call(client, "POST", f"/selected-domain/{B}", person="alice")
    cleared = call(client, "DELETE", "/selected-domain", person=None)
    assert (f"takaro-domain={B}" in chosen.headers["set-cookie"],
            "Max-Age=0" in cleared.headers["set-cookie"]) == (True, True)


def test_selecting_a_domain_one_is_not_in_is_404(client):
    assert call(client, "POST", f"/selected-domain/{B}", person="mo").status_code == 404


# -- login and logout --------------------------------------------------------------------------------
@pytest.mark.parametrize("username, password, status", [
    ("alice@example.com", "alice-password", 200),
    ("alice@example.com", "bob-password", 401),
    ("nobody@example.com", "alice-password", 401),
    ("ALICE@example.com", "alice-password", 401),
])
def test_login(client, username, password, status):
    response = call(client, "POST", "/login", person=None, json={"username": username, "password": password})
    assert response.status_code == status


def test_login_token_is_a_bearer_token(client):
    token = data(call(client, "POST", "/login", person=None,
                      json={"username": "mo@example.com", "password": "mo-password"}))["token"]
    me = data(call(client, "GET", "/me", person=None, Authorization=f"Bearer {token}"))
    assert me["user"]["email"] == "mo@example.com"


def test_logout_ends_the_session(client):
    call(client, "POST", "/logout", person="vic")
    assert call(client, "GET", "/me", person="vic").status_code == 401


def test_agent_token_from_the_admin_route_works(client):
    token = data(call(client, "POST", "/token", person=None, json={"domainId": B}, **ADMIN))["token"]
    me = data(call(client, "GET", "/me", person=None, x_takaro_token=token))
    assert (me["domain"], me["user"]["name"]) == (B, "root")


# -- domain state and dashboard users ------------------------------------------------------------------
@pytest.mark.parametrize("state, path, status, message", [
    ("MAINTENANCE", "/player/search", 400, "Domain is in maintenance mode. Please try again later."),
    ("DISABLED", "/player/search", 400, "Domain is disabled. Please contact support."),
    ("MAINTENANCE", "/user/search", 200, None),  # user routes skip the state check
    ("DISABLED", "/me", 200, None),
    ("ACTIVE", "/player/search", 200, None),
])
def test_domain_state_gates_domain_routes(client, state, path, status, message):
    call(client, "PUT", f"/domain/{A}", person=None, json={"state": state}, **ADMIN)
    response = call(client, "POST" if path.endswith("search") else "GET", path, person="root_a",
                    X_Takaro_Domain=A, json={} if path.endswith("search") else None)
    assert response.status_code == status
    if message:
        assert response.json()["meta"]["error"] == {"code": "BadRequestError", "message": message}


def test_manage_permissions_need_a_dashboard_user(client):
    manager = data(call(client, "POST", "/role", json={"name": "Variable keeper", "permissions": [
        {"permissionId": permission_id(client, "MANAGE_VARIABLES")}]}))
    user = data(call(client, "POST", "/user", json={"name": "Gus Game", "email": "gus@example.com",
                                                   "password": "gus-password", "isDashboardUser": False}))
    call(client, "POST", f"/user/{user['id']}/role/{manager['id']}")
    token = data(call(client, "POST", "/login", person=None,
                      json={"username": "gus@example.com", "password": "gus-password"}))["token"]
    response = call(client, "POST", "/variables", person=None, Authorization=f"Bearer {token}",
                    json={"key": "k", "value": "v"})
    assert (response.status_code, response.json()["meta"]["error"]["message"]) == (
        400, "You must be a dashboard user to perform this action")


def permission_id(client, code: str) -> str:
    return next(p["id"] for p in data(call(client, "GET", "/permissions")) if p["permission"] == code)
