"""Tenancy: what one domain creates, another never sees; a new domain starts from the template."""

import json

import pytest

from takaro_support import A, ADMIN, B, PLAYER_ADA, SERVER_7D2D, call, data

# (create path, body, search path, get path template): one row per kind of record a domain owns.
RECORDS = [
    ("/role", {"name": "Secret club", "permissions": []}, "/role/search", "/role/{id}"),
    ("/variables", {"key": "secret", "value": "42"}, "/variables/search", "/variables/{id}"),
    ("/gameserver", {"name": "Hidden arena", "type": "MOCK", "connectionInfo": json.dumps({"host": "h"})},
     "/gameserver/search", "/gameserver/{id}"),
    ("/module", {"name": "secret-module"}, "/module/search", "/module/{id}"),
    ("/event", {"eventName": "chat-message", "meta": {"msg": "psst"}}, "/event/search", "/event/{id}"),
    ("/shop/category/", {"name": "Secrets", "emoji": "🤫"}, "/shop/category/search", "/shop/category/{id}"),
    ("/user", {"name": "Hidden Hank", "email": "hank@example.com", "password": "hank-password"},
     "/user/search", "/user/{id}"),
]


@pytest.fixture
def created_in_b(client, request):
    path, body, search, get = request.param
    record = data(call(client, "POST", path, person="root_b", json=body))
    return record, search, get


@pytest.mark.parametrize("created_in_b", RECORDS, indirect=True, ids=[r[0] for r in RECORDS])
def test_a_never_finds_what_b_created(client, created_in_b):
    record, search, _ = created_in_b
    found = data(call(client, "POST", search, person="root_a", json={"filters": {"id": [record["id"]]}}))
    assert found == []


@pytest.mark.parametrize("created_in_b", RECORDS, indirect=True, ids=[r[0] for r in RECORDS])
def test_a_cannot_read_what_b_created(client, created_in_b):
    record, _, get = created_in_b
    assert call(client, "GET", get.format(id=record["id"]), person="root_a").status_code == 404


@pytest.mark.parametrize("created_in_b", RECORDS, indirect=True, ids=[r[0] for r in RECORDS])
def test_b_reads_what_it_created(client, created_in_b):
    record, _, get = created_in_b
    assert data(call(client, "GET", get.format(id=record["id"]), person="root_b"))["id"] == record["id"]


@pytest.mark.parametrize("method, path", [
    ("GET", f"/player/{PLAYER_ADA}"),
    ("GET", f"/gameserver/{SERVER_7D2D}"),
    ("DELETE", f"/player/{PLAYER_ADA}"),
    ("POST", f"/gameserver/{SERVER_7D2D}/player/{PLAYER_ADA}/add-currency"),
])
def test_b_cannot_touch_a_records(client, method, path):
    response = call(client, method, path, person="root_b", json={"currency": 5} if method == "POST" else None)
    assert response.status_code == 404


@pytest.mark.parametrize("search, total_a, total_b", [
    ("/player/search", 22, 22),
    ("/gameserver/search", 3, 3),
    ("/user/search", 4, 3),
    ("/role/search", 6, 6),
])
def test_each_domain_counts_only_its_own(client, search, total_a, total_b):
    totals = [call(client, "POST", search, person=p, json={}).json()["meta"]["total"] for p in ("root_a", "root_b")]
    assert totals == [total_a, total_b]


def test_the_same_person_sees_different_data_per_domain(client):
    in_a = data(call(client, "POST", "/gameserver/search", person="alice", json={}, X_Takaro_Domain=A))
    in_b = data(call(client, "POST", "/gameserver/search", person="alice", json={}, X_Takaro_Domain=B))
    assert {s["id"] for s in in_a}.isdisjoint({s["id"] for s in in_b})


def test_no_output_shows_the_tenant_column(client):
    bodies = [call(client, "POST", p, json={"limit": 5}).text for p in (
        "/user/search", "/role/search", "/gameserver/search", "/player/search", "/event/search",
        "/variables/search", "/module/search", "/shop/listing/search")]
    assert not any('"domain":"' in body for body in bodies)


# -- a new domain --------------------------------------------------------------------------------------
@pytest.fixture
def new_domain(client):
    created = data(call(client, "POST", "/domain", person=None, json={"name": "fresh-domain"}, **ADMIN))
    token = data(call(client, "POST", "/login", person=None, json={
        "username": created["rootUser"]["email"], "password": created["password"]}))["token"]
    return created, {"Authorization": f"Bearer {token}"}


def search_names(client, headers, path):
    return sorted(r["name"] for r in data(call(client, "POST", path, person=None, json={}, **headers)))


@pytest.mark.parametrize("path, names", [
    ("/role/search", ["Admin", "Moderator", "Player", "User", "root"]),
    ("/shop/category/search", ["Armor", "Base", "Building", "Consumables", "Resources", "Tools",
                               "Vehicles", "Weapons"]),
    ("/module/search", ["playerOnboarding", "serverMessages", "teleports", "utils"]),
    ("/gameserver/search", []),
    ("/player/search", []),
    ("/variables/search", []),
    ("/user/search", ["root"]),
])
def test_a_new_domain_starts_from_the_template(client, new_domain, path, names):
    _, headers = new_domain
    assert search_names(client, headers, path) == names


def test_a_new_domain_has_its_own_copies(client, new_domain):
    _, headers = new_domain
    fresh = {r["id"] for r in data(call(client, "POST", "/role/search", person=None, json={}, **headers))}
    demo = {r["id"] for r in data(call(client, "POST", "/role/search", person="root_a", json={}))}
    assert fresh.isdisjoint(demo)
