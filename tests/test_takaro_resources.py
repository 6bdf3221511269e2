"""Behaviour of the core resources: users, roles, game servers, players and their currency,
variables, events, settings; then modules, the shop and the envelope every answer shares."""

import json
import re
from unittest.mock import ANY

import pytest

from takaro_support import (A, ADMIN, MODULE_WELCOMER, PLAYER_ADA, ROLE_MODERATOR, SERVER_7D2D, call,
                            data, detail_paths, error_code)

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
RUST = json.dumps({"host": "rust.example", "rconPort": 28016, "rconPassword": "pw", "useTls": False})


def find(client, search: str, person: str = "root_a", **filters) -> dict:
    rows = data(call(client, "POST", search, person=person, json={"filters": {k: [v] for k, v in filters.items()}}))
    assert len(rows) == 1, rows
    return rows[0]


def refusal(response) -> tuple:
    return response.status_code, error_code(response), response.json()["meta"]["error"]["message"]


# -- envelope ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("method, path, body, meta", [
    ("GET", f"/player/{PLAYER_ADA}", None, {}),
    ("POST", "/role", {"name": "Builder", "permissions": []}, {}),
    ("POST", "/role/search", {"limit": 2}, {"page": 0, "limit": 2, "total": 6}),
    ("DELETE", f"/variables/{'2bd192c2-43c4-4fcd-9c29-a4f9f772449d'}", None, {}),
])
def test_every_success_is_200_with_meta_and_data(client, method, path, body, meta):
    response = call(client, method, path, json=body)
    assert (response.status_code, response.json()["meta"]) == (200, meta)


@pytest.mark.parametrize("path, status, code", [
    ("/player/not-a-uuid", 400, "ValidationError"),
    ("/player/2c0a0f61-a4f6-4877-8ce5-000000000000", 404, "NotFoundError"),
])
def test_errors_carry_the_error_class_and_empty_data(client, path, status, code):
    response = call(client, "GET", path)
    assert (response.status_code, error_code(response), response.json()["data"]) == (status, code, {})


@pytest.mark.parametrize("method, path, allow", [
    ("PUT", "/user/search", "POST"),  # not PUT /user/{id}: the word belongs to its own route
    ("DELETE", "/gameserver/types", "GET, HEAD"),
    ("GET", "/variables/search", "POST"),
    ("PATCH", f"/player/{PLAYER_ADA}", "GET, DELETE, HEAD"),
])
def test_a_method_the_route_does_not_take_is_405_with_allow(client, method, path, allow):
    response = call(client, method, path)
    assert (response.status_code, response.headers["Allow"]) == (405, allow)
    assert (error_code(response), response.json()["data"]) == ("MethodNotAllowedError", {})


def test_validation_details_name_every_property(client):
    response = call(client, "POST", "/user", json={"name": "x", "email": "not-an-email"})
    assert detail_paths(response) == {"name", "email", "password"}


# class-validator's ValidationErrors, as Takaro's snapshots record them (target, value, property,
# children, constraints named and worded as class-validator does)
@pytest.mark.parametrize("method, path, body, details", [
    # a path id that is no UUID (snapshot RoleController/Get by ID with invalid ID)
    ("GET", "/role/invalid-id", None, [
        {"target": {"id": "invalid-id"}, "value": "invalid-id", "property": "id", "children": [],
         "constraints": {"isUuid": "id must be a UUID"}}]),
    # a property the DTO does not declare (ModuleController/Does not allow creating modules with builtin ...)
    ("POST", "/module", {"name": "Test module", "builtin": "test"}, [
        {"target": {"name": "Test module", "builtin": "test"}, "value": "test", "property": "builtin",
         "constraints": {"whitelistValidation": "property builtin should not exist"}}]),
    # a value in an array of ids (Shop/ShopCategoryController/Bulk assign with invalid category IDs)
    ("POST", "/shop/category/bulk-assign",
     {"listingIds": ["3b3e1ad1-bd44-4351-af55-b01b98e9173b"], "addCategoryIds": ["invalid-category-id"]}, [
        {"target": {"listingIds": ["3b3e1ad1-bd44-4351-af55-b01b98e9173b"], "addCategoryIds": ["invalid-category-id"]},
         "value": ["invalid-category-id"], "property": "addCategoryIds", "children": [],
         "constraints": {"isUuid": "each value in addCategoryIds must be a UUID"}}]),
    # a number below its minimum (PlayerOnGameserverController/Rejects negative amount for transfer)
    ("POST", f"/gameserver/{SERVER_7D2D}/player/{PLAYER_ADA}/{PLAYER_ADA}/transfer", {"currency": -50}, [
        {"target": {"currency": -50}, "value": -50, "property": "currency", "children": [],
         "constraints": {"min": "currency must not be less than 0"}}]),
    # a nested object's error sits in the children of its property, and of its index
    ("POST", "/role", {"name": "Test role", "permissions": [{"permissionId": "nope"}]}, [
        {"target": {"name": "Test role", "permissions": [{"permissionId": "nope"}]},
         "value": [{"permissionId": "nope"}], "property": "permissions", "children": [
            {"target": [{"permissionId": "nope"}], "value": {"permissionId": "nope"}, "property": "0", "children": [
                {"target": {"permissionId": "nope"}, "value": "nope", "property": "permissionId", "children": [],
                 "constraints": {"isUuid": "permissionId must be a UUID"}}]}]}]),
    # a pattern of our spec's own, named as class-validator's `matches`
    ("POST", "/discord/channels/abc/message", {"message": "hi"}, [
        {"target": {"id": "abc"}, "value": "abc", "property": "id", "children": [],
         "constraints": {"matches": "id must match /^[0-9]{17,20}$/ regular expression"}}]),
    # a required property left out: every check it has fails, and there is no value
    ("POST", "/role", {"name": "Test role"}, [
        {"target": {"name": "Test role"}, "property": "permissions", "children": [],
         "constraints": {"isArray": "permissions must be an array"}}]),
])
def test_validation_errors_are_class_validator_details(client, method, path, body, details):
    response = call(client, method, path, json=body)
    assert (response.status_code, error_code(response)) == (400, "ValidationError")
    assert response.json()["meta"]["error"]["details"] == details


# -- users ---------------------------------------------------------------------------------------------------
NEW_USER = {"name": "Nina Newhire", "email": "nina@example.com", "password": "nina-password"}


def test_a_user_has_the_implicit_user_role(client):
    user = data(call(client, "POST", "/user", json=NEW_USER))
    assert [r["role"]["name"] for r in user["roles"]] == ["User"]


def test_the_same_email_twice_in_a_domain_conflicts(client):
    call(client, "POST", "/user", json=NEW_USER)
    assert refusal(call(client, "POST", "/user", json=NEW_USER))[:2] == (409, "ConflictError")


def test_the_same_email_in_another_domain_shares_the_identity(client):
    in_a = data(call(client, "POST", "/user", json=NEW_USER))
    in_b = data(call(client, "POST", "/user", person="root_b", json=NEW_USER))
    assert in_a["idpId"] == in_b["idpId"]


def test_dashboard_users_are_limited_by_max_users(client):
    call(client, "PUT", f"/domain/{A}", person=None, json={"maxUsers": 3}, **ADMIN)
    response = call(client, "POST", "/user", json={**NEW_USER, "isDashboardUser": True})
    assert refusal(response) == (400, "BadRequestError", "Max users (3) limit reached")


def test_inviting_an_existing_user_returns_that_user(client):
    invited = data(call(client, "POST", "/user/invite", json={"email": "vic@example.com"}))
    assert invited["name"] == "Vic Viewer"


@pytest.mark.parametrize("role_name, status", [
    ("Moderator", 200),
    ("Player", 400),
    ("User", 400),
])
def test_role_assignment_rules(client, role_name, status):
    vic = find_user(client, "Vic Viewer")
    role = find(client, "/role/search", name=role_name)
    assert call(client, "POST", f"/user/{vic['id']}/role/{role['id']}").status_code == status


def find_user(client, name: str) -> dict:
    return find(client, "/user/search", name=name)


def test_a_role_gives_its_permissions(client):
    vic = find_user(client, "Vic Viewer")
    before = call(client, "POST", "/player/search", person="vic", json={}).status_code
    call(client, "POST", f"/user/{vic['id']}/role/{ROLE_MODERATOR}")
    after = call(client, "POST", "/player/search", person="vic", json={}).status_code
    call(client, "DELETE", f"/user/{vic['id']}/role/{ROLE_MODERATOR}")
    removed = call(client, "POST", "/player/search", person="vic", json={}).status_code
    assert (before, after, removed) == (403, 200, 403)


def test_an_expired_role_gives_nothing(client):
    vic = find_user(client, "Vic Viewer")
    call(client, "POST", f"/user/{vic['id']}/role/{ROLE_MODERATOR}", json={"expiresAt": "2020-01-01T00:00:00Z"})
    assert call(client, "POST", "/player/search", person="vic", json={}).status_code == 403


# -- roles ------------------------------------------------------------------------------------------------------
def system_role(client, name: str) -> dict:
    return find(client, "/role/search", name=name)


@pytest.mark.parametrize("method, role_name, body, expected", [
    ("PUT", "root", {"name": "boss"}, (400, "BadRequestError", "Cannot update root role")),
    ("DELETE", "Player", None, (400, "BadRequestError", "Cannot delete system roles")),
    ("POST", None, {"name": "Moderator", "permissions": []}, (409, "ConflictError", "Unique constraint violation")),
])
def test_role_rules(client, method, role_name, body, expected):
    path = f"/role/{system_role(client, role_name)['id']}" if role_name else "/role"
    assert refusal(call(client, method, path, json=body)) == expected


def test_system_roles_change_only_their_permissions(client):
    player = system_role(client, "Player")
    read_players = next(p["id"] for p in data(call(client, "GET", "/permissions"))
                        if p["permission"] == "READ_PLAYERS")
    updated = data(call(client, "PUT", f"/role/{player['id']}",
                        json={"name": "Gamer", "permissions": [{"permissionId": read_players}]}))
    assert (updated["name"], [p["permission"]["permission"] for p in updated["permissions"]]) == (
        "Player", ["READ_PLAYERS"])


def test_permissions_include_module_permissions(client):
    codes = {p["permission"]: p for p in data(call(client, "GET", "/permissions"))}
    assert codes["TELEPORTS_USE"]["module"]["name"] == "teleports"


@pytest.mark.parametrize("code, friendly, description", [
    # Takaro's own words (lib-auth PERMISSION_DETAILS), which its integration tests compare
    ("ROOT", "Root Access", "Full access to all systems and resources"),
    ("MANAGE_ROLES", "Manage Roles", "Can create, update, and delete roles"),
    ("READ_PLAYERS", "Read Players", "Can view player details"),
    ("MANAGE_SHOP_ORDERS", "Manage Shop Orders",
     "Can view orders not belonging to the themself and perform administrative actions on them"),
    ("SEND_DISCORD_MESSAGE", "Send Discord Messages", "Can send messages to Discord channels"),
])
def test_permissions_speak_takaros_words(client, code, friendly, description):
    found = {p["permission"]: p for p in data(call(client, "GET", "/permissions"))}
    assert (found[code]["friendlyName"], found[code]["description"]) == (friendly, description)


def read_role(client, how: str, role: dict) -> dict:
    if how == "get":
        return data(call(client, "GET", f"/role/{role['id']}"))
    return find(client, "/role/search", name=role["name"])


@pytest.mark.parametrize("how", ["create", "get", "search", "a new domain's root role"])
def test_a_roles_permissions_are_records_of_their_own(client, how):
    manage_roles = next(p["id"] for p in data(call(client, "GET", "/permissions")) if p["permission"] == "MANAGE_ROLES")
    if how == "a new domain's root role":
        role = data(call(client, "POST", "/domain", person=None, json={"name": "fresh-domain"}, **ADMIN))["rootRole"]
    else:
        role = data(call(client, "POST", "/role", json={"name": "Test role",
                                                        "permissions": [{"permissionId": manage_roles}]}))
        role = role if how == "create" else read_role(client, how, role)
    grant = role["permissions"][0]
    assert (UUID.match(grant["id"]), grant["roleId"], TIMESTAMP.match(grant["createdAt"]),
            TIMESTAMP.match(grant["updatedAt"]), grant["count"]) == (ANY, role["id"], ANY, ANY, 0)


def test_role_changes_are_events(client):
    role = data(call(client, "POST", "/role", json={"name": "Builder", "permissions": []}))
    events = data(call(client, "POST", "/event/search", json={"filters": {"eventName": ["role-created"]}}))
    assert [e["meta"]["role"]["id"] for e in events] == [role["id"]]


# -- game servers -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("body, code, message", [
    ({"name": "Broken", "type": "MOCK", "connectionInfo": "{not json"}, "ValidationError", "Validation error"),
    ({"name": "Rusty", "type": "RUST", "connectionInfo": json.dumps({"host": "h"})}, "ValidationError",
     "Validation error"),
    ({"name": "Generic", "type": "GENERIC", "connectionInfo": "{}"}, "BadRequestError",
     "Generic game servers need an identityToken"),
])
def test_game_server_creation_rules(client, body, code, message):
    assert refusal(call(client, "POST", "/gameserver", json=body)) == (400, code, message)


def test_connection_info_violations_are_all_listed(client):
    body = {"name": "Rusty", "type": "RUST", "connectionInfo": json.dumps({"host": "h"})}
    details = call(client, "POST", "/gameserver", json=body).json()["meta"]["error"]["details"]
    assert len(details) == 3


def test_game_servers_are_limited_by_max_gameservers(client):
    body = {"name": "Arena", "type": "MOCK", "connectionInfo": "{}"}
    statuses = [call(client, "POST", "/gameserver", json=body).status_code for _ in range(3)]
    assert statuses == [200, 200, 400]


def test_created_game_server_decodes_connection_info(client):
    server = data(call(client, "POST", "/gameserver", json={"name": "Island", "type": "RUST", "connectionInfo": RUST}))
    assert (server["connectionInfo"]["rconPort"], server["reachable"]) == (28016, False)


@pytest.mark.parametrize("person, shown", [("root_a", True), ("mo", False)])
def test_connection_info_is_shown_to_managers_only(client, person, shown):
    server = data(call(client, "GET", f"/gameserver/{SERVER_7D2D}", person=person))
    assert ("adminToken" in server["connectionInfo"]) is shown


def test_a_deleted_game_server_is_gone(client):
    call(client, "DELETE", f"/gameserver/{SERVER_7D2D}")
    searched = [s["id"] for s in data(call(client, "POST", "/gameserver/search", json={}))]
    assert (call(client, "GET", f"/gameserver/{SERVER_7D2D}").status_code, SERVER_7D2D in searched) == (404, False)


def test_unreachable_server_answers_commands_with_failure(client):
    server = data(call(client, "POST", "/gameserver", json={"name": "Island", "type": "RUST", "connectionInfo": RUST}))
    result = data(call(client, "POST", f"/gameserver/{server['id']}/command", json={"command": "version"}))
    assert result["success"] is False


@pytest.mark.parametrize("commands, online, events", [
    (["connectAll"], 10, 20),  # ten players connect: a player and a POG each, each announced
    (["connectAll", "connectAll"], 10, 20),  # the second time they are known
    (["connectAll", "disconnectAll"], 0, 20),
])
def test_a_mock_server_connects_its_players(client, commands, online, events):
    server = data(call(client, "POST", "/gameserver", json={"name": "Mock arena", "type": "MOCK", "connectionInfo": "{}"}))
    before = len(data(call(client, "POST", "/event/search", json={"filters": {"eventName": ["player-created"]}})))
    for command in commands:
        call(client, "POST", f"/gameserver/{server['id']}/command", json={"command": command})
    pogs = data(call(client, "POST", "/gameserver/player/search", json={"filters": {"gameServerId": [server["id"]]}}))
    created = data(call(client, "POST", "/event/search", json={"filters": {"eventName": ["player-created"]}}))
    assert (len(pogs), sum(p["online"] for p in pogs), len(created) - before) == (10, online, events)


# -- players, their records on game servers, currency ----------------------------------------------------------------
POG = f"/gameserver/{SERVER_7D2D}/player/{PLAYER_ADA}"


def currency(client) -> float:
    return data(call(client, "GET", POG))["currency"]


def test_adding_currency(client):
    before = currency(client)
    after = data(call(client, "POST", f"{POG}/add-currency", json={"currency": 100}))["currency"]
    assert after == before + 100


@pytest.mark.parametrize("path, body, expected", [
    (f"{POG}/deduct-currency", {"currency": 10 ** 9}, (400, "BadRequestError", "Not enough currency")),
    (f"{POG}/add-currency", {"currency": -5}, (400, "ValidationError", "Validation error")),
])
def test_currency_rules(client, path, body, expected):
    assert refusal(call(client, "POST", path, json=body)) == expected


def test_currency_needs_the_economy(client):
    player = find(client, "/player/search", person="root_b", name="AdaRaven")
    server = data(call(client, "POST", "/gameserver/player/search", person="root_b",
                       json={"filters": {"playerId": [player["id"]]}}))[0]["gameServerId"]
    response = call(client, "POST", f"/gameserver/{server}/player/{player['id']}/add-currency", person="root_b",
                    json={"currency": 5})
    assert refusal(response) == (400, "BadRequestError", "Economy is not enabled")


def test_transfer_moves_currency(client):
    other = data(call(client, "POST", "/gameserver/player/search",
                      json={"filters": {"gameServerId": [SERVER_7D2D]}, "sortBy": "currency",
                            "sortDirection": "desc"}))[0]
    call(client, "POST", f"{POG}/currency", json={"currency": 50})
    call(client, "POST", f"/gameserver/{SERVER_7D2D}/player/{PLAYER_ADA}/{other['playerId']}/transfer",
         json={"currency": 20})
    receiver = data(call(client, "GET", f"/gameserver/{SERVER_7D2D}/player/{other['playerId']}"))["currency"]
    assert (currency(client), receiver) == (30, other["currency"] + 20)


def test_transfer_names_pogs_and_answers_nothing(client):
    # Takaro's sender and receiver are POG ids, and PlayerOnGameServerService.transact returns nothing
    sender, receiver = data(call(client, "POST", "/gameserver/player/search",
                                 json={"filters": {"gameServerId": [SERVER_7D2D]}}))[:2]
    call(client, "POST", f"/gameserver/{SERVER_7D2D}/player/{sender['playerId']}/currency", json={"currency": 50})
    response = call(client, "POST", f"/gameserver/{SERVER_7D2D}/player/{sender['id']}/{receiver['id']}/transfer",
                    json={"currency": 20})
    after = data(call(client, "GET", f"/gameserver/{SERVER_7D2D}/player/{receiver['playerId']}"))["currency"]
    assert (data(response), after) == ({}, receiver["currency"] + 20)


@pytest.mark.parametrize("amount, receiver, expected", [
    (0, "other", (400, "BadRequestError", "Amount must be greater than 0")),
    (10 ** 9, "other", (400, "BadRequestError", "Insufficient funds")),
    (5, "unknown", (404, "NotFoundError", "Not found")),
])
def test_transfer_rules(client, amount, receiver, expected):
    sender, other = data(call(client, "POST", "/gameserver/player/search",
                              json={"filters": {"gameServerId": [SERVER_7D2D]}}))[:2]
    call(client, "POST", f"/gameserver/{SERVER_7D2D}/player/{sender['playerId']}/currency", json={"currency": 50})
    to = other["id"] if receiver == "other" else ROLE_MODERATOR  # a UUID that is no POG
    response = call(client, "POST", f"/gameserver/{SERVER_7D2D}/player/{sender['id']}/{to}/transfer",
                    json={"currency": amount})
    assert refusal(response) == expected


@pytest.mark.parametrize("method, path, body, roles", [
    # a search adds the Player role everyone holds, as {roleId, role}
    ("POST", "/gameserver/player/search", {"filters": {"playerId": [PLAYER_ADA], "gameServerId": [SERVER_7D2D]}},
     ["Moderator", "Player"]),
    # one POG, and the currency changes, answer with the player's assigned roles there
    ("GET", POG, None, ["Moderator"]),
    ("POST", f"{POG}/currency", {"currency": 50}, ["Moderator"]),
    ("POST", f"{POG}/add-currency", {"currency": 5}, ["Moderator"]),
    ("POST", f"{POG}/deduct-currency", {"currency": 1}, ["Moderator"]),
])
def test_pog_answers_carry_their_roles(client, method, path, body, roles):
    call(client, "POST", f"/player/{PLAYER_ADA}/role/{ROLE_MODERATOR}", json={})
    call(client, "POST", f"{POG}/currency", json={"currency": 50})
    answer = data(call(client, method, path, json=body))
    pog = answer[0] if isinstance(answer, list) else answer
    assert [r["role"]["name"] for r in pog["roles"]] == roles


def test_resetting_currency_counts_the_players(client):
    holders = [p for p in data(call(client, "POST", "/gameserver/player/search",
                                    json={"filters": {"gameServerId": [SERVER_7D2D]}})) if p["currency"]]
    answer = data(call(client, "POST", f"/gameserver/{SERVER_7D2D}/reset-currency"))
    assert (answer, currency(client)) == ({"affectedPlayerCount": len(holders)}, 0)


def test_online_players_are_the_games_players(client):
    online = data(call(client, "GET", f"/gameserver/{SERVER_7D2D}/players"))
    ada = next(p for p in online if p["name"] == "AdaRaven")
    pog = data(call(client, "GET", POG))
    assert (ada["gameId"], "id" not in ada, "currency" not in ada) == (pog["gameId"], True, True)


@pytest.mark.parametrize("path, body", [
    ("/tracking/location", {"playerId": [PLAYER_ADA]}),
    ("/tracking/location/box", {"minX": -10000, "maxX": 10000, "minY": -10000, "maxY": 10000, "minZ": -10000,
                                "maxZ": 10000, "gameserverId": SERVER_7D2D}),
    ("/tracking/location/radius", {"x": 0, "y": 0, "z": 0, "radius": 100000, "gameserverId": SERVER_7D2D}),
    ("/tracking/inventory/player", {"playerId": PLAYER_ADA, "startDate": "2020-01-01T00:00:00.000Z",
                                    "endDate": "2030-01-01T00:00:00.000Z"}),
])
def test_tracking_rows_name_their_pog(client, path, body):
    pogs = {(p["playerId"], p["gameServerId"]): p["id"] for p in data(call(
        client, "POST", "/gameserver/player/search", json={"limit": 1000}))}
    rows = data(call(client, "POST", path, json=body))
    assert rows and all(row["pogId"] in pogs.values() for row in rows)
    assert all(row["pogId"] == pogs[(row["playerId"], SERVER_7D2D)] for row in rows if path != "/tracking/inventory/player")


def test_ban_and_unban_on_a_game_server(client):
    call(client, "POST", f"{POG}/ban", json={"reason": "griefing"})
    banned = data(call(client, "POST", "/player/ban/search", json={"filters": {"playerId": [PLAYER_ADA]}}))
    call(client, "POST", f"{POG}/unban")
    lifted = data(call(client, "POST", "/player/ban/search", json={"filters": {"playerId": [PLAYER_ADA]}}))
    assert ([b["reason"] for b in banned], lifted) == (["griefing"], [])


@pytest.mark.parametrize("body, message", [
    ({"playerId": PLAYER_ADA, "isGlobal": True, "gameServerId": SERVER_7D2D}, "A global ban cannot have a game server"),
    ({"playerId": PLAYER_ADA, "isGlobal": False}, "A ban that is not global needs a game server"),
])
def test_ban_scope_rules(client, body, message):
    assert refusal(call(client, "POST", "/player/ban", json=body)) == (400, "BadRequestError", message)


def test_player_role_on_one_game_server(client):
    call(client, "POST", f"/player/{PLAYER_ADA}/role/{ROLE_MODERATOR}", json={"gameServerId": SERVER_7D2D})
    roles = data(call(client, "GET", POG))["roles"]
    assert [(r["role"]["name"], r["gameServerId"]) for r in roles] == [("Moderator", SERVER_7D2D)]


def test_bulk_delete_reports_each_player(client):
    missing = "2c0a0f61-a4f6-4877-8ce5-000000000000"
    result = data(call(client, "DELETE", "/player", json={"playerIds": [PLAYER_ADA, missing]}))
    assert (result["deleted"], result["failed"], [e["playerId"] for e in result["errors"]]) == (1, 1, [missing])


def test_player_me_needs_a_linked_player(client):
    assert (call(client, "GET", "/player/me", person="mo").status_code,
            call(client, "GET", "/player/me", person="vic").status_code) == (200, 404)


def test_linking_a_player_with_a_code(client):
    call(client, "POST", "/user/player", person=None, json={"email": "vic@example.com", "code": "LINKA7"})
    assert data(call(client, "GET", "/player/me", person="vic"))["player"]["name"] == "HugoShadow"


# -- variables ---------------------------------------------------------------------------------------------------
def test_variable_key_is_unique_per_scope(client):
    body = {"key": "motd", "value": "again"}
    assert refusal(call(client, "POST", "/variables", json=body))[:2] == (409, "ConflictError")


def test_the_same_key_in_another_scope_is_fine(client):
    body = {"key": "motd", "value": "server motd", "gameServerId": SERVER_7D2D}
    assert call(client, "POST", "/variables", json=body).status_code == 200


def test_expired_variables_are_invisible(client):
    rows = data(call(client, "POST", "/variables/search", json={"filters": {"key": ["flashSale"]}}))
    assert rows == []


def test_an_update_without_expiry_clears_it(client):
    variable = data(call(client, "POST", "/variables", json={"key": "sale", "value": "on",
                                                            "expiresAt": "2099-01-01T00:00:00Z"}))
    updated = data(call(client, "PUT", f"/variables/{variable['id']}", json={"value": "off"}))
    assert (updated["value"], updated["expiresAt"]) == ("off", None)


def test_variables_are_limited_by_max_variables(client):
    call(client, "PUT", f"/domain/{A}", person=None, json={"maxVariables": 7}, **ADMIN)
    assert refusal(call(client, "POST", "/variables", json={"key": "one-more", "value": "x"})) == (
        400, "BadRequestError", "Too many variables")


# -- events ----------------------------------------------------------------------------------------------------------
def test_posted_events_can_be_read_back(client):
    event = data(call(client, "POST", "/event", json={"eventName": "chat-message", "playerId": PLAYER_ADA,
                                                      "meta": {"msg": "hello"}}))
    assert data(call(client, "GET", f"/event/{event['id']}"))["meta"] == {"msg": "hello"}


def test_export_is_csv(client):
    response = call(client, "POST", "/event/export", json={"filters": {"eventName": ["command-executed"]}})
    lines = response.text.strip().splitlines()
    assert (response.headers["content-type"].split(";")[0], lines[0].split(",")[:3], len(lines)) == (
        "text/csv", ["id", "createdAt", "eventName"], 4)


def test_export_spans_at_most_90_days(client):
    body = {"greaterThan": {"createdAt": "2025-01-01T00:00:00Z"}, "lessThan": {"createdAt": "2025-06-01T00:00:00Z"}}
    assert refusal(call(client, "POST", "/event/export", json=body))[:2] == (400, "BadRequestError")


def test_failed_functions(client):
    failed = data(call(client, "POST", "/event/filter/failed-functions", json={}))
    assert [(e["eventName"], e["meta"]["result"]["success"]) for e in failed] == [("command-executed", False)]


@pytest.mark.parametrize("query, count", [("", 3), ("?success=true", 2), ("?success=false", 1)])
def test_command_executions(client, query, count):
    ping = find(client, "/command/search", name="ping")
    assert len(data(call(client, "POST", f"/command/{ping['id']}/executions{query}", json={}))) == count


def executions(client, name: str) -> list[dict]:
    found = data(call(client, "POST", "/event/search", json={"filters": {"eventName": ["command-executed"]}}))
    return [e for e in found if e["meta"]["command"]["name"] == name]


@pytest.mark.parametrize("msg, ran", [
    ("/ping", True),  # the prefix, then the trigger
    ("/PING extra words", True),  # triggers match whatever the case, arguments follow
    ("ping", False),  # no prefix: a chat line, no command
    ("/visits", False),  # a command of a module not installed on this server
])
def test_triggering_runs_the_command_the_message_names(client, msg, ran):
    before = len(executions(client, "ping")) + len(executions(client, "visits"))
    # Takaro's path id is the game server; the command comes from the message
    response = call(client, "POST", f"/command/{SERVER_7D2D}/trigger", json={"playerId": PLAYER_ADA, "msg": msg})
    assert (data(response), len(executions(client, "ping")) + len(executions(client, "visits")) - before) == (
        {}, 1 if ran else 0)


def test_a_triggered_command_is_recorded_with_its_player_and_server(client):
    call(client, "POST", f"/command/{SERVER_7D2D}/trigger", json={"playerId": PLAYER_ADA, "msg": "/ping"})
    newest = max(executions(client, "ping"), key=lambda e: e["createdAt"])
    assert (newest["playerId"], newest["gameserverId"], newest["meta"]["command"]["name"]) == (
        PLAYER_ADA, SERVER_7D2D, "ping")


@pytest.mark.parametrize("path_id, code", [(PLAYER_ADA, "NotFoundError"), ("not-a-uuid", "ValidationError")])
def test_triggering_needs_a_game_server(client, path_id, code):
    response = call(client, "POST", f"/command/{path_id}/trigger", json={"playerId": PLAYER_ADA, "msg": "/ping"})
    assert error_code(response) == code


# -- settings ----------------------------------------------------------------------------------------------------------
def setting(client, key: str, server: str | None = None) -> tuple:
    query = f"?gameServerId={server}" if server else ""
    found = data(call(client, "GET", f"/settings/{key}{query}"))
    return found["value"], found["type"]


@pytest.mark.parametrize("key, server, expected", [
    ("serverChatName", None, ("Takaro", "default")),
    ("currencyName", None, ("Brave Bucks", "global")),
    ("currencyName", SERVER_7D2D, ("Brave Bucks", "inherit")),
])
def test_settings_resolve(client, key, server, expected):
    assert setting(client, key, server) == expected


def test_settings_of_an_unknown_game_server_are_404(client):
    unknown = "87b98f5e-bd0a-4fcb-a1b7-84f1f6b9ccbc"
    assert call(client, "GET", f"/settings/commandPrefix?gameServerId={unknown}").status_code == 404


def test_a_game_server_override(client):
    call(client, "POST", "/settings/serverChatName", json={"value": "Brave", "gameServerId": SERVER_7D2D})
    assert (setting(client, "serverChatName", SERVER_7D2D), setting(client, "serverChatName")) == (
        ("Brave", "override"), ("Takaro", "default"))


def test_some_settings_have_no_override(client):
    response = call(client, "POST", "/settings/developerMode", json={"value": True, "gameServerId": SERVER_7D2D})
    assert refusal(response)[:2] == (400, "BadRequestError")


def test_deleting_a_setting_resets_it(client):
    call(client, "DELETE", "/settings/currencyName")
    assert setting(client, "currencyName") == ("Takaro coins", "default")


def test_settings_list_can_be_narrowed_to_keys(client):
    found = data(call(client, "GET", "/settings?keys=economyEnabled&keys=currencyName"))
    assert [s["key"] for s in found] == ["economyEnabled", "currencyName"]


# -- modules ------------------------------------------------------------------------------------------------------------
def test_builtin_modules_cannot_change(client):
    utils = find(client, "/module/search", name="utils")
    assert refusal(call(client, "PUT", f"/module/{utils['id']}", json={"author": "me"})) == (
        400, "BadRequestError", "Cannot modify builtin modules")


def test_a_builtin_flag_cannot_be_sent(client):
    response = call(client, "POST", "/module", json={"name": "mine", "builtin": "mine"})
    assert response.json()["meta"]["error"]["details"][0]["constraints"] == {
        "whitelistValidation": "property builtin should not exist"}


@pytest.mark.parametrize("tag, status", [("1.0.0", 200), ("v1", 400), ("0.1.0", 409)])
def test_tagging_versions(client, tag, status):
    response = call(client, "POST", "/module/version/", json={"tag": tag, "moduleId": MODULE_WELCOMER})
    assert response.status_code == status


def test_a_tag_copies_the_latest_version(client):
    version = data(call(client, "POST", "/module/version/", json={"tag": "1.0.0", "moduleId": MODULE_WELCOMER}))
    assert ([c["name"] for c in version["commands"]], [h["name"] for h in version["hooks"]]) == (["visits"], ["greet"])


def test_tagged_versions_are_immutable(client):
    tagged = next(v for v in data(call(client, "GET", f"/module/{MODULE_WELCOMER}"))["versions"] if v["tag"] == "0.1.0")
    body = {"name": "new", "trigger": "new", "versionId": tagged["id"]}
    assert refusal(call(client, "POST", "/command", json=body))[:2] == (400, "BadRequestError")


@pytest.mark.parametrize("regex, status", [(r"^hello \w+$", 200), ("(a+)+$", 400), ("([unclosed", 400)])
def test_hook_regexes(client, regex, status):
    latest = data(call(client, "GET", f"/module/{MODULE_WELCOMER}"))["latestVersion"]["id"]
    body = {"name": "h", "regex": regex, "versionId": latest, "eventType": "chat-message"}
    assert call(client, "POST", "/hook", json=body).status_code == status


def test_hook_names_are_unique_in_a_version(client):
    latest = data(call(client, "GET", f"/module/{MODULE_WELCOMER}"))["latestVersion"]["id"]
    body = {"name": "greet", "regex": ".*", "versionId": latest, "eventType": "chat-message"}
    assert call(client, "POST", "/hook", json=body).status_code == 409


@pytest.mark.parametrize("config, status", [("{}", 200), ('{"timeout": 500}', 200), ('{"timeout": "x"}', 400),
                                            ("not json", 400)])
def test_installing_checks_the_config(client, config, status):
    teleports = find(client, "/module/search", name="teleports")
    body = {"versionId": teleports["latestVersion"]["id"], "gameServerId": SERVER_7D2D, "userConfig": config}
    assert call(client, "POST", "/module/installation/", json=body).status_code == status


def test_uninstalling(client):
    utils = find(client, "/module/search", name="utils")
    path = f"/module/{utils['id']}/gameserver/{SERVER_7D2D}/installation"
    removed = call(client, "DELETE", path).status_code
    assert (removed, call(client, "GET", path).status_code) == (200, 404)


def test_export_then_import_makes_a_copy(client):
    exported = data(call(client, "POST", f"/module/{MODULE_WELCOMER}/export", json={}))
    call(client, "POST", "/module/import", person="root_b", json=exported)
    copy = find(client, "/module/search", person="root_b", name="welcomer")
    assert ([c["name"] for c in copy["latestVersion"]["commands"]], sorted(v["tag"] for v in copy["versions"])) == (
        ["visits"], ["0.1.0", "latest"])


# -- the shop ---------------------------------------------------------------------------------------------------------
def listing(client, name: str) -> dict:
    return find(client, "/shop/listing/search", name=name)


def test_an_order_is_paid_from_the_players_currency(client):
    call(client, "POST", f"{POG}/currency", json={"currency": 1000})
    order = data(call(client, "POST", "/shop/order/", json={"listingId": listing(client, "Food pack")["id"],
                                                            "playerId": PLAYER_ADA, "amount": 2}))
    assert (order["status"], currency(client)) == ("PAID", 900)


@pytest.mark.parametrize("action, status, final", [("claim", 200, "COMPLETED"), ("cancel", 200, "CANCELED")])
def test_paid_orders_can_be_claimed_or_cancelled_once(client, action, status, final):
    order = find(client, "/shop/order/search", status="PAID")
    first = call(client, "POST", f"/shop/order/{order['id']}/{action}")
    again = call(client, "POST", f"/shop/order/{order['id']}/{action}")
    assert (first.status_code, data(first)["status"], again.status_code) == (status, final, 400)


def test_cancelling_refunds(client):
    order = find(client, "/shop/order/search", status="PAID")
    path = f"/gameserver/{order['gameServerId']}/player/{order['playerId']}"
    before = data(call(client, "GET", path))["currency"]
    call(client, "POST", f"/shop/order/{order['id']}/cancel")
    assert data(call(client, "GET", path))["currency"] == before + 250


def test_orders_without_the_economy_are_refused(client):
    call(client, "POST", "/settings/economyEnabled", json={"value": "false"})
    body = {"listingId": listing(client, "Food pack")["id"], "playerId": PLAYER_ADA, "amount": 1}
    assert refusal(call(client, "POST", "/shop/order/", json=body)) == (400, "BadRequestError", "Economy is not enabled")


def test_players_see_only_their_own_orders(client):
    mine = data(call(client, "POST", "/shop/order/search", person="mo", json={}))
    everyone = data(call(client, "POST", "/shop/order/search", json={}))
    assert (len(mine), len(everyone)) == (0, 2)


def test_categories_cannot_form_a_cycle(client):
    weapons = find(client, "/shop/category/search", name="Weapons")
    child = data(call(client, "POST", "/shop/category/", json={"name": "Pistols", "emoji": "🔫",
                                                                 "parentId": weapons["id"]}))
    response = call(client, "POST", f"/shop/category/{weapons['id']}/move", json={"parentId": child["id"]})
    assert refusal(response)[:2] == (400, "BadRequestError")


def test_bulk_assign_moves_listings_between_categories(client):
    food = listing(client, "Food pack")
    tools = find(client, "/shop/category/search", name="Tools")
    call(client, "POST", "/shop/category/bulk-assign", json={"listingIds": [food["id"]], "addCategoryIds": [tools["id"]],
                                                            "removeCategoryIds": [food["categories"][0]["id"]]})
    assert [c["name"] for c in listing(client, "Food pack")["categories"]] == ["Tools"]


def test_shop_analytics_has_every_section(client):
    report = data(call(client, "GET", "/analytics/shop?period=last90Days"))
    assert (sorted(report), sorted(report["kpis"])) == (
        ["customers", "dateRange", "insights", "kpis", "lastUpdated", "orders", "products", "revenue"],
        ["activeCustomers", "aovChange", "averageOrderValue", "customersChange", "ordersChange", "ordersToday",
         "revenueChange", "revenueSparkline", "totalRevenue"])


def test_shop_analytics_counts_a_new_order(client):
    call(client, "POST", "/settings/economyEnabled", json={"value": "true"})
    before = data(call(client, "GET", "/analytics/shop?period=last24Hours"))
    starter = listing(client, "Starter pistol")
    call(client, "POST", f"{POG}/currency", json={"currency": 10_000})
    data(call(client, "POST", "/shop/order/", json={"listingId": starter["id"], "playerId": PLAYER_ADA, "amount": 2}))
    after = data(call(client, "GET", "/analytics/shop?period=last24Hours"))
    assert (after["kpis"]["totalRevenue"] - before["kpis"]["totalRevenue"], after["kpis"]["ordersToday"],
            after["orders"]["recentOrders"][0]["itemName"], after["products"]["topItems"][0]["name"]) == (
        2 * starter["price"], before["kpis"]["ordersToday"] + 1, "Starter pistol", "Starter pistol")


# -- discord -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("guild, status", [
    ("1130000000000000001", 200),  # Takaro's `id` here is the guild's Discord id
    ("1140000000000000001", 404),  # another domain's guild
    ("54ce6528-7e42-4f5b-b188-40fec31e16bb", 400),  # a Takaro id is not a Discord id
])
def test_guild_channels_and_roles_take_the_discord_id(client, guild, status):
    assert [call(client, "GET", f"/discord/guilds/{guild}/{what}").status_code for what in ("channels", "roles")] == [
        status, status]


def test_unknown_domain_header_is_unauthorised_everywhere(client):
    assert call(client, "POST", "/shop/listing/search", json={}, X_Takaro_Domain="no-such-domain").status_code == 401


@pytest.mark.parametrize("method, path", [("GET", "/healthz"), ("POST", "/player/search"), ("GET", "/nowhere")])
def test_every_answer_has_a_trace_id(client, method, path):
    assert len(call(client, method, path, json={} if method == "POST" else None).headers["x-trace-id"]) == 32
