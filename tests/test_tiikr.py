"""Tiikr: Basic auth by role, the instance shapes, errors in Tiikr's format."""

import re

import pytest
import requests

from conftest import SEEDS, basic

BASE = "/tiikr/api/v1"
OWNER = basic("owner", "owner-password")
ADMIN = basic("admin", "admin-password")


@pytest.mark.parametrize("headers, status", [
    # who may call: Owner and Administrator of a company
    (OWNER, 200),
    (ADMIN, 200),
    (basic("globex-owner", "globex-password"), 200),
    # valid users whose role may not use the API
    (basic("manager", "manager-password"), 403),
    (basic("employee", "employee-password"), 403),
    # wrong or missing credentials
    (basic("owner", "wrong"), 401),
    (basic("nobody", "owner-password"), 401),
    (basic("owner", ""), 401),
    ({"Authorization": "Basic !!!notbase64"}, 401),
    ({"Authorization": "Bearer owner-password"}, 401),
    ({}, 401),
])
def test_auth_on_test_endpoint(client, headers, status):
    response = client.get(f"{BASE}/test", headers=headers)
    assert response.status_code == status
    assert response.json()["success"] is (status == 200)


@pytest.mark.parametrize("headers", [{}, basic("owner", "wrong")])
def test_unauthenticated_gets_basic_challenge(client, headers):
    response = client.get(f"{BASE}/workflows", headers=headers)
    assert response.headers["WWW-Authenticate"] == 'Basic realm="Tiikr API"'


def test_forbidden_role_gets_no_challenge(client):
    response = client.get(f"{BASE}/test", headers=basic("employee", "employee-password"))
    assert "WWW-Authenticate" not in response.headers
    assert "Owner or Administrator" in response.json()["message"]


def test_test_endpoint_names_the_user(client):
    user = client.get(f"{BASE}/test", headers=ADMIN).json()["data"]["user"]
    assert (user["username"], user["role"], user["company"]["name"]) == (
        "admin", "Administrator", "Acme Field Services")
    assert "password" not in user


def test_workflows_are_the_callers_company(client):
    acme = client.get(f"{BASE}/workflows", headers=OWNER).json()["data"]
    globex = client.get(f"{BASE}/workflows", headers=basic("globex-owner", "globex-password")).json()["data"]
    assert [w["id"] for w in acme] == [1, 2, 3]
    assert [w["id"] for w in globex] == [4]


def test_workflow_lists_its_instances(client):
    workflow = client.get(f"{BASE}/workflows/1", headers=OWNER).json()["data"]
    assert workflow["instances"] == [101, 102]
    assert "company_id" not in workflow


def test_instance_has_documented_shape(client):
    instance = client.get(f"{BASE}/workflows/1/instances/101", headers=OWNER).json()["data"]
    assert (instance["id"], instance["workflow_id"]) == (101, 1)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", instance["created"])
    step = instance["instance_steps"][0]
    assert (step["step"], step["status"], step["progress"]) == (1, "current", "50")
    assert {c["type"] for c in step["content"]} == {
        "identifier", "heading", "information", "time_date", "checkbox", "radio_button", "media", "signature"}
    assert all(isinstance(c["id"], str) for c in step["content"])


@pytest.mark.parametrize("content_type, fields", [
    ("identifier", {"id", "type", "label", "value"}),
    ("heading", {"id", "type", "label"}),
    ("information", {"id", "type", "label"}),
    ("time_date", {"id", "type", "label", "value"}),
    ("checkbox", {"id", "type", "label", "options", "value", "dependencyCondition"}),
    ("radio_button", {"id", "type", "label", "options", "value", "dependencyCondition"}),
    ("media", {"id", "type", "label", "attachmentText", "photo", "subtype", "value", "url"}),
    ("signature", {"id", "type", "label", "value", "textEntryValue", "url"}),
])
def test_content_item_fields_by_type(client, content_type, fields):
    step = client.get(f"{BASE}/workflows/1/instances/101", headers=OWNER).json()["data"]["instance_steps"][0]
    item = next(c for c in step["content"] if c["type"] == content_type)
    assert set(item) == fields


@pytest.mark.parametrize("method, path, headers, status, where", [
    # unknown ids, and ids of another company, are 404
    ("GET", "/workflows/99", OWNER, 404, None),
    ("GET", "/workflows/4", OWNER, 404, None),
    ("GET", "/workflows/4/instances/401", OWNER, 404, None),
    ("GET", "/workflows/1/instances/201", OWNER, 404, None),
    ("GET", "/workflows/1/instances/999", OWNER, 404, None),
    # invalid path parameters: every violation listed with its parameter
    ("GET", "/workflows/abc", OWNER, 400, ["workflow_id"]),
    ("GET", "/workflows/abc/instances/x", OWNER, 400, ["workflow_id", "instance_id"]),
    ("GET", "/workflows/0/instances/101", OWNER, 400, ["workflow_id"]),
    # unknown route
    ("GET", "/instances", OWNER, 404, ["/tiikr/api/v1/instances"]),
])
def test_errors_in_tiikr_format(client, method, path, headers, status, where):
    response = client.request(method, BASE + path, headers=headers)
    assert response.status_code == status
    body = response.json()
    assert body["success"] is False and body["message"]
    if where is not None:
        assert [e["field"] for e in body["errors"]] == where


@pytest.mark.parametrize("method, path, allow", [
    ("POST", "/workflows", "GET, HEAD"),
    ("DELETE", "/workflows/1", "GET, HEAD"),
    ("PUT", "/test", "GET, HEAD"),
])
def test_wrong_method_is_405_with_allow(client, method, path, allow):
    response = client.request(method, BASE + path, headers=OWNER)
    assert response.status_code == 405
    assert response.headers["Allow"] == allow
    assert response.json()["success"] is False


def test_oversized_body_is_413_in_tiikr_format(client):
    response = client.request("GET", f"{BASE}/test", headers=OWNER, content=b"x" * 2_000_000)
    assert response.status_code == 413
    assert response.json()["success"] is False


def seed_python_example() -> str:
    text = (SEEDS / "000_74da638aabd0aeb4.txt").read_text()
    return re.search(r"```python\n(.*?)```", text, re.S).group(1)


@pytest.mark.once  # the plugin's server (the `understudy` fixture) is the same on every store pass
def test_seed_python_example_runs_with_only_the_base_url_changed(understudy):
    code = seed_python_example().replace("https://manage.tiikr.com/api/v1", understudy.url("tiikr"))
    scope = {"username": "owner", "password": "owner-password"}
    exec(code, scope)
    assert scope["request"].status_code == 200
    assert scope["response"]["success"] is True


@pytest.mark.once
def test_seed_example_with_a_refused_role_gets_403(understudy):
    response = requests.get(understudy.url("tiikr") + "/test", auth=("employee", "employee-password"))
    assert response.status_code == 403


@pytest.mark.parametrize("collection, component", [
    ("instances", "Instance"),
    ("workflows", "Workflow"),
    ("companies", "Company"),
])
def test_fixtures_match_the_schema_that_serves_them(collection, component):
    import json

    from conftest import FIXTURES
    from schemas import schema_errors

    documents = json.loads((FIXTURES / "tiikr" / f"{collection}.json").read_text())
    assert documents
    assert [schema_errors("tiikr", component, d) for d in documents] == [[]] * len(documents)
