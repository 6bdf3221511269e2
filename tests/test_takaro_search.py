"""The search language every Takaro `POST .../search` speaks, rule by rule and combined, shown on
the players of demo domain A (22 players: AdaRaven, BjornGhost ... VeraGhost) and on a few other
resources to show the language is the same everywhere."""

import pytest

from takaro_support import ADMIN, call, data, detail_paths, error_code


def names(response) -> list[str]:
    return [row["name"] for row in data(response)]


@pytest.mark.parametrize("body, expected", [
    # filters: exact, OR within a field, AND across fields
    ({"filters": {"name": ["AdaRaven"]}}, ["AdaRaven"]),
    ({"filters": {"name": ["JonasWolf", "AdaRaven"]}}, ["AdaRaven", "JonasWolf"]),
    ({"filters": {"name": ["AdaRaven", "FinnHawk"], "steamVacBanned": [True]}}, ["FinnHawk"]),
    ({"filters": {"name": ["Ada"]}}, []),
    ({"filters": {"steamVacBanned": True}}, ["FinnHawk", "QuinnStorm"]),
    ({"filters": {"name": ["AdaRaven"], "steamId": ["null"]}}, []),
    ({"filters": {"name": ["AdaRaven"], "xboxLiveId": ["null"]}}, ["AdaRaven"]),
    ({"filters": {"name": ["AdaRaven"], "steamId": []}}, ["AdaRaven"]),
    # search: substring, case-insensitive, every term OR'ed, across fields too
    ({"search": {"name": ["RAVEN"]}}, ["AdaRaven", "KiraRaven", "UllaRaven"]),
    ({"search": {"name": ["raven", "wolf"]}}, ["AdaRaven", "JonasWolf", "KiraRaven", "ToveWolf", "UllaRaven"]),
    ({"search": {"name": ["ada"], "steamId": ["0505894"]}}, ["AdaRaven", "JonasWolf"]),
    ({"search": {"name": ["raven"]}, "filters": {"name": ["KiraRaven", "JonasWolf"]}}, ["KiraRaven"]),
    # greaterThan / lessThan: inclusive, numbers and dates
    ({"greaterThan": {"steamLevel": 62}}, ["ToveWolf", "UllaRaven", "VeraGhost"]),
    ({"lessThan": {"steamLevel": 8}}, ["AdaRaven", "BjornGhost"]),
    ({"greaterThan": {"playtimeSeconds": 7325}, "lessThan": {"playtimeSeconds": 14775}},
     ["BjornGhost", "CleoBlaze", "DaxFrost"]),
    ({"greaterThan": {"createdAt": "2025-05-21T08:00:00.000Z"}}, ["UllaRaven", "VeraGhost"]),
    # page (0-based) and limit
    ({"limit": 3}, ["AdaRaven", "BjornGhost", "CleoBlaze"]),
    ({"page": 4, "limit": 5}, ["UllaRaven", "VeraGhost"]),
    ({"page": 5, "limit": 5}, []),
    # every rule at once
    ({"filters": {"steamVacBanned": [False]}, "search": {"name": ["raven", "ghost"]},
      "greaterThan": {"steamLevel": 30}, "sortBy": "steamLevel", "sortDirection": "desc", "limit": 2},
     ["VeraGhost", "UllaRaven"]),
])
def test_search_finds(client, body, expected):
    response = call(client, "POST", "/player/search", json={"sortBy": "name", **body})
    assert names(response) == expected


@pytest.mark.parametrize("body, total", [
    ({}, 22),
    ({"filters": {"xboxLiveId": ["null"]}}, 22),
    ({"limit": 1}, 22),
    ({"search": {"name": ["raven", "ghost"]}, "greaterThan": {"steamLevel": 30}, "limit": 1}, 4),
])
def test_meta_total_counts_every_page(client, body, total):
    assert call(client, "POST", "/player/search", json=body).json()["meta"]["total"] == total


@pytest.mark.parametrize("body, meta", [
    ({}, {"page": 0, "limit": 100, "total": 22}),
    ({"page": 2, "limit": 7}, {"page": 2, "limit": 7, "total": 22}),
])
def test_meta_echoes_the_page_used(client, body, meta):
    assert call(client, "POST", "/player/search", json=body).json()["meta"] == meta


@pytest.mark.parametrize("body, first", [
    ({"sortBy": "steamLevel", "sortDirection": "desc"}, "VeraGhost"),
    ({"sortBy": "steamLevel", "sortDirection": "asc"}, "AdaRaven"),
    ({"sortBy": "name", "sortDirection": "desc"}, "VeraGhost"),
])
def test_sorting(client, body, first):
    assert names(call(client, "POST", "/player/search", json=body))[0] == first


def test_filter_on_a_computed_field_role(client):
    vip = data(call(client, "POST", "/role/search", json={"filters": {"name": ["VIP"]}}))[0]["id"]
    body = {"filters": {"roleId": [vip]}, "sortBy": "name"}
    assert names(call(client, "POST", "/player/search", json=body)) == ["BjornGhost", "ElinViper"]


@pytest.mark.parametrize("extend, present", [
    ([], False),
    (["playerOnGameServers"], True),
])
def test_extend_embeds_related_records(client, extend, present):
    body = {"filters": {"name": ["AdaRaven"]}, "extend": extend}
    row = data(call(client, "POST", "/player/search", json=body))[0]
    assert ("playerOnGameServers" in row) is present
    if present:
        assert {p["playerId"] for p in row["playerOnGameServers"]} == {row["id"]}


@pytest.mark.parametrize("body, code, property", [
    # a scalar where an array belongs: the query builder refuses it
    ({"filters": {"name": "AdaRaven"}}, "BadRequestError", "filters.name"),
    ({"search": {"name": "raven"}}, "BadRequestError", "search.name"),
    # unknown properties, anywhere
    ({"orderBy": "name"}, "ValidationError", "orderBy"),
    ({"filters": {"password": ["x"]}}, "ValidationError", "filters.password"),
    ({"search": {"steamLevel": ["1"]}}, "ValidationError", "search.steamLevel"),
    # page and limit bounds, sort direction, extend enum
    ({"page": -1}, "ValidationError", "page"),
    ({"limit": 0}, "ValidationError", "limit"),
    ({"limit": 1001}, "ValidationError", "limit"),
    ({"sortDirection": "up"}, "ValidationError", "sortDirection"),
    ({"extend": ["password"]}, "ValidationError", "extend"),
])
def test_search_refuses(client, body, code, property):
    response = call(client, "POST", "/player/search", json=body)
    assert (response.status_code, error_code(response)) == (400, code)
    assert property in detail_paths(response)


def test_every_violation_is_listed(client):
    response = call(client, "POST", "/player/search", json={"page": -1, "limit": 0, "sortDirection": "up"})
    assert {d["property"] for d in response.json()["meta"]["error"]["details"]} == {"page", "limit", "sortDirection"}


@pytest.mark.parametrize("path, body, headers, expected", [
    # variables: "null" finds the domain-wide ones; the expired one stays hidden
    ("/variables/search", {"filters": {"gameServerId": ["null"], "playerId": ["null"]}, "sortBy": "key"},
     {}, ["eventCountdown", "motd"]),
    # events: an enum filter and a date range
    ("/event/search", {"filters": {"eventName": ["command-executed"]}, "sortBy": "createdAt"}, {}, 3),
    # domains (admin): the same language behind the admin token
    ("/domain/search", {"filters": {"state": ["ACTIVE"]}, "search": {"name": ["otters"]}}, ADMIN, ["Brave Otters"]),
    # game servers: search plus a filter
    ("/gameserver/search", {"search": {"name": ["rust", "mock"]}, "filters": {"type": ["MOCK"]}}, {},
     ["Brave Mock Arena"]),
])
def test_same_language_on_other_resources(client, path, body, headers, expected):
    response = call(client, "POST", path, person=None if headers else "root_a", json=body, **headers)
    rows = data(response)
    found = len(rows) if isinstance(expected, int) else [r.get("key") or r.get("name") for r in rows]
    assert found == expected
