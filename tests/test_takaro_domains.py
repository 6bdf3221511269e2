"""Domain administration behind the admin token, starting with the seed's own curl."""

import re
import shlex

import pytest

from conftest import SEEDS
from takaro_support import A, ADMIN, B, call, data, error_code

SEED = SEEDS / "003_068f36febce1c9d1.txt"


def seed_curl() -> list[str]:
    line = next(line for line in SEED.read_text(encoding="utf-8").splitlines() if line.startswith("curl "))
    return shlex.split(line.split("|")[0])


def replay(client, words: list[str], base: str):
    """Send what a curl command line sends, with only its base URL changed."""
    method, headers, body, url = "GET", {}, None, None
    items = iter(words[1:])
    for word in items:
        if word == "-X":
            method = next(items)
        elif word == "-H":
            name, _, value = next(items).partition(":")
            headers[name.strip()] = value.strip()
        elif word in ("--data", "-d"):
            body = next(items)
        else:
            url = word
    path = "/" + url.split("/", 1)[1] if "/" in url else "/"
    return client.request(method, base + path, headers=headers, content=body)


def test_the_seed_curl_creates_a_domain(client):
    response = replay(client, seed_curl(), "/takaro")
    assert (response.status_code, data(response)["createdDomain"]["name"]) == (200, "test-domain")


@pytest.fixture
def created(client):
    return data(call(client, "POST", "/domain", person=None, json={"name": "test-domain", "id": "my-own-id"},
                     **ADMIN))


def test_domain_ids_are_readable_words(created):
    assert re.fullmatch(r"[a-z]+-[a-z]+-[a-z]+", created["createdDomain"]["id"])


def test_a_requested_id_is_ignored(created):
    assert created["createdDomain"]["id"] != "my-own-id"


@pytest.mark.parametrize("field, value", [
    ("state", "ACTIVE"), ("maxGameservers", 1), ("maxUsers", 1), ("rateLimitPoints", 2500),
    ("rateLimitDuration", 900000), ("eventRetentionDays", 7), ("maxVariables", 10000), ("maxModules", 1000),
    ("maxFunctionsInModule", 50), ("externalReference", None),
])
def test_a_new_domain_has_the_database_defaults(created, field, value):
    assert created["createdDomain"][field] == value


def test_creation_returns_the_root_user_and_role(created):
    domain = created["createdDomain"]["id"]
    assert ((created["rootUser"]["name"], created["rootUser"]["email"], created["rootUser"]["isDashboardUser"]),
            (created["rootRole"]["name"], created["rootRole"]["system"],
             [p["permission"]["permission"] for p in created["rootRole"]["permissions"]])) == (
        ("root", f"root@{domain}.com", False), ("root", True, ["ROOT"]))


def test_the_root_password_is_40_hex_characters_and_logs_in(client, created):
    login = call(client, "POST", "/login", person=None, json={
        "username": created["rootUser"]["email"], "password": created["password"]})
    assert (bool(re.fullmatch(r"[0-9a-f]{40}", created["password"])), login.status_code) == (True, 200)


@pytest.mark.parametrize("body", [{}, {"name": "ab"}, {"name": "ok-name", "maxUsers": -1}, {"name": "x" * 201}])
def test_domain_creation_validates(client, body):
    response = call(client, "POST", "/domain", person=None, json=body, **ADMIN)
    assert (response.status_code, error_code(response)) == (400, "ValidationError")


def test_get_unknown_domain_is_404(client):
    assert call(client, "GET", "/domain/no-such-domain", person=None, **ADMIN).status_code == 404


def test_update_changes_a_domain(client):
    updated = data(call(client, "PUT", f"/domain/{A}", person=None, json={"maxUsers": 3, "name": "Brave"}, **ADMIN))
    assert (updated["maxUsers"], updated["name"]) == (3, "Brave")


def test_soft_delete_disables_the_domain(client):
    call(client, "DELETE", f"/domain/{B}", person=None, **ADMIN)
    assert data(call(client, "GET", f"/domain/{B}", person=None, **ADMIN))["state"] == "DISABLED"


def test_soft_delete_deletes_the_game_servers(client):
    call(client, "DELETE", f"/domain/{B}", person=None, **ADMIN)
    call(client, "PUT", f"/domain/{B}", person=None, json={"state": "ACTIVE"}, **ADMIN)
    assert data(call(client, "POST", "/gameserver/search", person="root_b", json={})) == []


def test_hard_delete_removes_the_domain(client):
    call(client, "DELETE", f"/domain/{B}?hardDelete=true", person=None, **ADMIN)
    remaining = [d["id"] for d in data(call(client, "POST", "/domain/search", person=None, json={}, **ADMIN))]
    assert (call(client, "GET", f"/domain/{B}", person=None, **ADMIN).status_code, remaining) == (404, [A])


def test_hard_delete_takes_the_domain_data_along(client):
    call(client, "DELETE", f"/domain/{B}?hardDelete=true", person=None, **ADMIN)
    assert call(client, "GET", "/me", person="root_b").status_code == 401


@pytest.mark.parametrize("body, status", [
    ({"domainId": A}, 200),
    ({"domainId": "no-such-domain"}, 404),
])
def test_token_for_a_domain(client, body, status):
    assert call(client, "POST", "/token", person=None, json=body, **ADMIN).status_code == status


def registration_token(client, domain: str) -> str:
    return data(call(client, "GET", f"/domain/{domain}", person=None, **ADMIN))["serverRegistrationToken"]


def test_resolve_registration_token(client):
    body = {"registrationToken": registration_token(client, B)}
    assert data(call(client, "POST", "/resolve-registration-token", person=None, json=body, **ADMIN))["id"] == B


@pytest.mark.parametrize("state_change, token", [
    (None, "no-such-token"),
    (None, ""),
    ({"state": "DISABLED"}, None),
])
def test_unresolvable_registration_token_is_404(client, state_change, token):
    if state_change:
        call(client, "PUT", f"/domain/{B}", person=None, json=state_change, **ADMIN)
    body = {"registrationToken": token if token is not None else registration_token(client, B)}
    assert call(client, "POST", "/resolve-registration-token", person=None, json=body, **ADMIN).status_code == 404


def test_regenerating_the_registration_token_changes_it(client):
    before = registration_token(client, A)
    call(client, "DELETE", "/gameserver/registrationToken")
    assert registration_token(client, A) != before
