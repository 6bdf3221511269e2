"""Every fixture document is served, and what serves it matches the spec's response schema."""

import json
from collections import Counter

import pytest
from connexion.json_schema import Draft4ResponseValidator

from conftest import FIXTURES
from takaro_support import A, ADMIN, B, call
from understudy.api import load_api
from understudy.apiapp import load_spec
from understudy.config import DEFAULTS

SPEC = load_spec(load_api("takaro"), DEFAULTS)
STORED = {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in (FIXTURES / "takaro").glob("*.json")}
# Documents of a collection the API hides on purpose (an expired variable per demo domain).
HIDDEN = {"variables": 1}
# (search path, collection): every search and what it serves.
SEARCHES = [
    ("/user/search", "users"), ("/role/search", "roles"), ("/gameserver/search", "gameservers"),
    ("/player/search", "players"), ("/gameserver/player/search", "pogs"), ("/player/ban/search", "bans"),
    ("/variables/search", "variables"), ("/event/search", "events"), ("/module/search", "modules"),
    ("/module/version/search", "moduleVersions"), ("/module/installation/search", "installations"),
    ("/command/search", "commands"), ("/hook/search", "hooks"), ("/cronjob/search", "cronjobs"),
    ("/function/search", "functions"), ("/items/search", "items"), ("/entities/search", "entities"),
    ("/shop/category/search", "shopCategories"), ("/shop/listing/search", "shopListings"),
    ("/shop/order/search", "shopOrders"), ("/discord/guilds/search", "guilds"),
]


def conforms(method: str, path: str, response) -> list[str]:
    """Every way the response body breaks the spec's schema for its 200."""
    schema = SPEC["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]
    return [e.message for e in Draft4ResponseValidator(schema).iter_errors(response.json())]


def in_domain(coll: str, domain: str) -> int:
    return sum(1 for d in STORED[coll] if d.get("domain") == domain) - HIDDEN.get(coll, 0)


@pytest.mark.parametrize("domain, person", [(A, "root_a"), (B, "root_b")])
@pytest.mark.parametrize("path, coll", SEARCHES)
def test_every_document_is_served(client, path, coll, domain, person):
    response = call(client, "POST", path, person=person, json={"limit": 1000})
    assert response.json()["meta"]["total"] == in_domain(coll, domain)


@pytest.mark.parametrize("person", ["root_a", "root_b"])
@pytest.mark.parametrize("path, coll", SEARCHES)
def test_served_documents_match_the_spec(client, path, coll, person):
    assert conforms("post", path, call(client, "POST", path, person=person, json={"limit": 1000})) == []


def test_domains_match_the_spec(client):
    response = call(client, "POST", "/domain/search", person=None, json={}, **ADMIN)
    assert (conforms("post", "/domain/search", response), response.json()["meta"]["total"]) == (
        [], len(STORED["domains"]))


@pytest.mark.parametrize("person, domain", [("root_a", A), ("root_b", B)])
def test_permissions_match_the_spec(client, person, domain):
    response = call(client, "GET", "/permissions", person=person)
    served = Counter(p["moduleVersionId"] is None for p in response.json()["data"])
    stored = Counter(p["moduleVersionId"] is None for p in STORED["permissions"] if p.get("domain") in (None, domain))
    assert (conforms("get", "/permissions", response), served) == ([], stored)


@pytest.mark.parametrize("person, domain", [("root_a", A), ("root_b", B)])
def test_locations_match_the_spec(client, person, domain):
    response = call(client, "POST", "/tracking/location", person=person, json={"limit": 1000})
    assert (conforms("post", "/tracking/location", response), len(response.json()["data"])) == (
        [], in_domain("playerLocations", domain))


INVENTORY = sorted({(d["domain"], d["playerId"]) for d in STORED["inventoryHistory"]})


@pytest.mark.parametrize("domain, player", INVENTORY)
def test_inventory_history_matches_the_spec(client, domain, player):
    body = {"playerId": player, "startDate": "2000-01-01T00:00:00Z", "endDate": "2100-01-01T00:00:00Z"}
    response = call(client, "POST", "/tracking/inventory/player", person="root_a" if domain == A else "root_b",
                    json=body)
    expected = sum(1 for d in STORED["inventoryHistory"] if d["playerId"] == player)
    assert (conforms("post", "/tracking/inventory/player", response), len(response.json()["data"])) == ([], expected)


def test_the_domain_template_matches_the_spec(client):
    response = call(client, "POST", "/domain", person=None, json={"name": "from-the-template"}, **ADMIN)
    assert conforms("post", "/domain", response) == []


@pytest.mark.parametrize("code", [c["id"] for c in STORED["linkCodes"]])
def test_link_codes_link(client, code):
    body = {"email": f"linked-{code.lower()}@example.com", "code": code}
    assert call(client, "POST", "/user/player", person=None, json=body).status_code == 200
