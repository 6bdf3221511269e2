"""The platform's status table (the seed's contract): each status a client can meet, in the
JSON:API error body `{"errors": [{status, title, detail, source, ...}]}`."""

import pytest
from starlette.testclient import TestClient

from conftest import TEST_CONFIG
from platform_helpers import (BASE, FLOW, GLOBEX_FLOW, PETSTORE, TOPIC, W1, W3, USERS, auth, basic, debug_body,
                              doc, rel)
from understudy.app import create_app

SSH_KEY = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7alice alice@laptop"  # alice's fixture key

STATUS_CASES = [
    # 400: parameters and bodies that break the contract
    ("GET", "/flows", {}, None, 400, {"parameter": "workspace_id"}),
    ("GET", f"/flows?workspace_id={W1}&page[size]=0", {}, None, 400, {"parameter": "page[size]"}),
    ("POST", "/sshkeys", {}, doc("sshkey", {}), 400, {"pointer": "/data/attributes"}),
    ("GET", f"/flows/{FLOW}?include=members", {}, None, 400, {"parameter": "include"}),
    ("GET", f"/flows?workspace_id={W1}&include=flow-containers,versions", {}, None, 400, {"parameter": "include"}),
    ("POST", "/flows/start-debug", {}, debug_body(W1, run="ordinary"), 400, {"pointer": "/data/attributes/type"}),
    # 401: no or bad credentials
    ("GET", "/users/me", {"Authorization": ""}, None, 401, None),
    ("GET", "/users/me", basic("alice@acme.example", "wrong-key"), None, 401, None),
    ("GET", "/users/me", basic("nobody@acme.example", "alice-api-key"), None, 401, None),
    # 403: a member without the permission
    ("POST", f"/workspaces/{W1}/topics", auth("carol"), doc("topic", {"name": "T", "schema": {}}), 403, None),
    ("POST", "/flows/start-debug", auth("carol"), debug_body(W1), 403, None),
    # 404: unknown ids, and another contract's data
    ("GET", "/flows/5b0d6d4b2c3f1a0013ffffff", {}, None, 404, {"parameter": {"id": "5b0d6d4b2c3f1a0013ffffff"}}),
    ("GET", f"/flows/{GLOBEX_FLOW}", {}, None, 404, {"parameter": {"id": GLOBEX_FLOW}}),
    ("GET", f"/workspaces/{W3}", {}, None, 404, {"parameter": {"id": W3}}),  # not its contract's id
    ("POST", "/flows/start-debug", {}, debug_body(W3), 404, {"parameter": {"id": W3}}),
    ("GET", "/no/such/route", {}, None, 404, None),
    # 405: a method the path does not have
    ("PUT", f"/flows/{FLOW}", {}, None, 405, None),
    ("PATCH", "/components/all", {}, doc("component", {}), 405, None),  # "all" is its own route, GET only
    ("DELETE", "/users/me", {}, None, 405, None),
    # 406: a body that is not JSON, an Accept that excludes JSON
    ("GET", "/users/me", {"Accept": "text/html"}, None, 406, {"header": "Accept"}),
    ("POST", "/sshkeys", {"Content-Type": "text/plain"}, "ssh-rsa AAAA", 406, {"header": "Content-Type"}),
    ("POST", "/sshkeys", {"Content-Type": "application/json"}, "{not json", 406, {"pointer": ""}),
    # 409: a type or id that does not match, a duplicate, a member already present
    ("POST", "/sshkeys", {}, doc("flow", {"key": SSH_KEY}), 409, {"pointer": "/data/type"}),
    ("POST", "/flows/start-debug", {}, debug_body(W1, kind="flow-draft"), 409, {"pointer": "/data/type"}),
    ("PATCH", f"/workspaces/{W1}/topics/{TOPIC}", {}, doc("topic", {"name": "X"}, id="other"), 409,
     {"pointer": "/data/id"}),
    ("POST", "/sshkeys", {}, doc("sshkey", {"key": SSH_KEY}), 409, {"pointer": "/data/attributes/key"}),
    ("POST", f"/workspaces/{W1}/members", {}, doc("member", {"roles": ["guest"]}, id=USERS["bob"]), 409,
     {"parameter": {"id": USERS["bob"]}}),
    ("POST", "/credentials", {}, doc("credential", {}, {"component": rel("workspace", PETSTORE),
                                                          "workspace": rel("workspace", W1)}), 409,
     {"pointer": "/data/relationships/component/data/type"}),
    # 413: a payload over the limit
    ("POST", "/sshkeys", {}, doc("sshkey", {"key": "ssh-rsa " + "A" * 1_100_000}), 413, None),
]


def send(client, method, path, headers, body):
    headers = {**auth("alice"), **headers}
    if not headers.get("Authorization"):
        headers.pop("Authorization")
    if isinstance(body, str):
        return client.request(method, BASE + path, headers=headers, content=body)
    return client.request(method, BASE + path, headers=headers, json=body)


@pytest.mark.parametrize("method, path, headers, body, status, source", STATUS_CASES)
def test_status_and_error_body(client, method, path, headers, body, status, source):
    response = send(client, method, path, headers, body)
    assert response.status_code == status
    error = response.json()["errors"][0]
    assert (error["status"], error["code"]) == (status, status)
    assert error["title"] and error["detail"]
    assert error.get("source") == source


def test_method_not_allowed_names_the_allowed_methods(client):
    response = send(client, "PUT", f"/flows/{FLOW}", {}, None)
    assert response.headers["Allow"] == "GET, DELETE, PATCH, HEAD"


def test_unauthorized_challenges_basic(client):
    response = send(client, "GET", "/users/me", {"Authorization": ""}, None)
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_one_error_per_violation(client):
    body = doc("flow", {"name": 5, "type": "weekly", "graph": {}, "default_mapper_type": "jsonata"},
               {"workspace": rel("workspace", W1)})
    response = send(client, "POST", "/flows", {}, body)
    pointers = sorted(e["source"]["pointer"] for e in response.json()["errors"])
    assert pointers == ["/data/attributes/name", "/data/attributes/type"]


@pytest.fixture(scope="module")
def limited_app():
    return create_app({**TEST_CONFIG, "apis": ["platform"], "PLATFORM_RATE_LIMIT": 3})


@pytest.fixture
def limited(limited_app):
    limited_app.reset()  # the request counts live in the store
    with TestClient(limited_app) as c:
        yield c


@pytest.mark.parametrize("requests, status", [(3, 200), (4, 429)])
def test_rate_limit_per_user(limited, requests, status):
    for _ in range(requests):
        response = send(limited, "GET", "/users/me", {}, None)
    assert response.status_code == status


def test_rate_limit_says_when_to_retry(limited):
    for _ in range(4):
        response = send(limited, "GET", "/users/me", {}, None)
    assert 1 <= int(response.headers["Retry-After"]) <= 60


def test_rate_limit_counts_each_user_apart(limited):
    for _ in range(4):
        send(limited, "GET", "/users/me", {}, None)
    assert send(limited, "GET", "/users/me", auth("bob"), None).status_code == 200


def test_form_upload_without_its_field_is_400(client):
    response = client.post(f"{BASE}/tenants/5b0d6d4b2c3f1a0011a0c001/certificates", headers=auth("alice"),
                           files={"other": ("x.pem", "x")})
    assert (response.status_code, response.json()["errors"][0]["source"]) == (400, {"pointer": ""})
