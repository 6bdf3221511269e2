"""Timbr's x-api-impersonate-user: a call runs as another user when the caller holds
GRANT AUTH ON user.<that user> (in the fixtures, analyst holds it over marketer)."""

from __future__ import annotations

import pytest

from understudy.builtin.handlers.timbr.auth import make_bearer, make_jwt
from timbr_support import ADMIN, ANALYST, API, BASE, MARKETER, SEGMENTS, SUPPLY, key

AS = "x-api-impersonate-user"
RAW = {"Content-Type": "application/text"}

# -- who may run as whom --------------------------------------------------------------------------
ACCEPTED = [
    pytest.param(ANALYST, "marketer", [SEGMENTS], id="analyst as marketer: the grant"),
    pytest.param(ANALYST, "analyst", [SUPPLY], id="oneself: no grant needed"),
    pytest.param(MARKETER, None, [SEGMENTS], id="no header: the caller"),
]


@pytest.mark.parametrize("caller, target, ontologies", ACCEPTED)
def test_impersonation_accepted(client, caller, target, ontologies):
    headers = {**key(caller), **({AS: target} if target else {})}
    response = client.get(f"{API}/get_ontologies/", headers=headers)
    assert (response.status_code, response.json()) == (200, {"data": ontologies, "status": "success"})


REFUSED = [
    # no grant: it goes one way, and admins need it too
    pytest.param(ANALYST, "admin", 403, "analyst may not impersonate admin: it needs GRANT AUTH ON user.admin "
                 "TO USER analyst", id="analyst as admin"),
    pytest.param(MARKETER, "analyst", 403, "it needs GRANT AUTH ON user.analyst TO USER marketer",
                 id="the grant is one way"),
    pytest.param(ADMIN, "marketer", 403, "it needs GRANT AUTH ON user.marketer TO USER admin", id="admin"),
    # no such user
    pytest.param(ANALYST, "nobody", 403, "analyst may not impersonate nobody: there is no such user",
                 id="unknown user"),
    pytest.param(ANALYST, "Marketer", 403, "there is no such user", id="names are case-sensitive"),
    # not a name
    pytest.param(ANALYST, "", 400, "header x-api-impersonate-user", id="empty"),
]


@pytest.mark.parametrize("caller, target, status, message", REFUSED)
def test_impersonation_refused(client, caller, target, status, message):
    response = client.get(f"{API}/get_ontologies/", headers={**key(caller), AS: target})
    assert response.status_code == status
    assert response.json()["status"] == "error"
    assert message in response.json()["data"]


def test_bad_credentials_are_refused_before_impersonation(client):
    response = client.get(f"{API}/get_ontologies/", headers={"x-api-key": "tk_wrong", AS: "marketer"})
    assert response.status_code == 401


# -- everything after authentication sees the impersonated user ------------------------------------
def test_impersonated_user_permissions_apply(client):
    """marketer may not query the supply chain, though analyst (the caller) may."""
    body = {"ontology_name": SUPPLY, "query": "SELECT 1 AS one"}
    assert client.post(f"{API}/query/", json=body, headers=key(ANALYST)).status_code == 200
    response = client.post(f"{API}/query/", json=body, headers={**key(ANALYST), AS: "marketer"})
    assert (response.status_code, response.json()) == (
        403, {"data": f"User marketer has no permission on ontology {SUPPLY}", "status": "error"})


@pytest.mark.parametrize("headers, user", [
    pytest.param({}, "analyst", id="the caller"),
    pytest.param({AS: "marketer"}, "marketer", id="impersonated"),
])
def test_connector_route_runs_as_the_effective_user(client, headers, user):
    response = client.post(f"{BASE}/openapi/ontology/{SEGMENTS if user == 'marketer' else SUPPLY}/query",
                           content=b"select timbr_username()", headers={**RAW, **key(ANALYST), **headers})
    assert (response.status_code, response.json()) == (200, [{user: user}])


@pytest.mark.parametrize("sql, token", [
    pytest.param("SHOW TOKEN", MARKETER["token"], id="show token"),
    pytest.param("show token for marketer", MARKETER["token"], id="show token for oneself"),
])
def test_show_token_answers_the_impersonated_users(client, sql, token):
    response = client.post(f"{BASE}/openapi/ontology/{SEGMENTS}/query", content=sql.encode(),
                           headers={**RAW, **key(ANALYST), AS: "marketer"})
    assert (response.status_code, response.json()) == (200, [{"token": token}])


def test_get_token_answers_the_impersonated_users_token(app, client):
    bearer = make_bearer(ANALYST["username"], ANALYST["password"], app.config)
    response = client.post(f"{API}/get_token", headers={"Authorization": f"Bearer {bearer}", AS: "marketer"})
    assert (response.status_code, response.json()) == (200, {"data": [MARKETER["token"]], "status": "success"})


def test_jwt_caller_may_impersonate(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "ENABLE_TOKEN", "true")
    token = make_jwt(app.config, username="analyst", email=ANALYST["email"])
    response = client.get(f"{API}/get_ontologies/", headers={"x-jwt-token": token, AS: "marketer"})
    assert response.json() == {"data": [SEGMENTS], "status": "success"}


def test_async_result_belongs_to_the_impersonated_user(client):
    accepted = client.post(f"{BASE}/openapi/ontology/{SEGMENTS}/query", content=b"SELECT 1 AS one",
                           headers={**RAW, **key(ANALYST), AS: "marketer", "x-async": "true"})
    poll = accepted.json()["poll_url"]
    assert client.get(poll, headers=key(MARKETER)).json()["response"] == [{"one": 1}]
    assert client.get(poll, headers=key(ANALYST)).status_code == 404
