"""The attack table: what a hostile web page, a rebound host name, a forged credential, a hostile
query or another tenant's caller tries, and what each gets. Every row checks the status, that the
answer is in the API's own error format, and that nothing stored changed.

Sections: origins, hosts, the admin token, secrets in the journal, bad input and limits,
credentials (JWT, Fernet, roles), Timbr SQL; then tenancy (every reference in every request body,
walked from the specs; cross-tenant reads and writes, resource credentials, role escalation)."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
import pytest
import requests
from starlette.testclient import TestClient

from conftest import FIXTURES, TEST_CONFIG, basic, own_state
from platform_helpers import C1, CODE_COMMAND, CRM_COMMAND, GLOBEX_FLOW, USERS, W1, W2, W3, auth, doc, rel
from platform_helpers import auth as platform_auth
from takaro_support import A, SERVER_7D2D, bearer
from tenancy_support import (KIND_TYPES, RULES, SIDES, all_references, cases, collections_of, fill, other_app,
                             put, references, request, state_of, unknown_like, value_for)
from timbr_support import ADMIN as TIMBR_ADMIN
from timbr_support import ANALYST, PRIVATE_KEY, PUBLIC_KEY, SUPPLY, key
from timekit_support import APP, APP_SLUG, DOC, MARTY, MARTY_TENTATIVE, PROJECT_FLUX, booking_body, resource_auth
from understudy.app import create_app
from understudy.builtin.handlers.timbr.auth import make_bearer, make_jwt
from understudy.security import startup_warnings
from understudy.security.masking import MASK, names_secret
from understudy.stores import load_fixtures

EVIL = "http://evil.example"
FRONTEND = "http://localhost:5173"
TIIKR = basic("owner", "owner-password")
TIMEKIT = basic("", "live_api_key_7nzvc7wsBQQISLeFSVhROys9V1bUJ1z7")
ROOT_A = bearer("root_a")
TIMBR_CREATE = "/timbr/timbr/openapi/ontology/timbr_supply_chain/query"


# -- what every row checks ----------------------------------------------------------------------------
def tiikr_error(body) -> bool:
    return body.get("success") is False and isinstance(body.get("message"), str)


def timekit_error(body) -> bool:
    return isinstance(body.get("error"), str) or isinstance(body.get("errors"), dict)


def platform_error(body) -> bool:
    return isinstance(body.get("errors"), list) and all({"status", "title", "detail"} <= e.keys() for e in body["errors"])


def takaro_error(body) -> bool:
    return body.get("data") == {} and isinstance(body["meta"]["error"]["code"], str)


def timbr_error(body) -> bool:
    return body.get("status") == "error" and isinstance(body.get("data"), str)


def admin_error(body) -> bool:
    return isinstance(body.get("error"), str) and isinstance(body.get("errors"), list)


def engine_error(body) -> bool:
    return isinstance(body.get("error"), str) and set(body) == {"error"}


FORMAT = {"tiikr": tiikr_error, "timekit": timekit_error, "platform": platform_error, "takaro": takaro_error,
          "timbr": timbr_error, "admin": admin_error, "engine": engine_error}


def snapshot(app) -> dict[str, int]:
    """How many documents each collection of each API holds, and the journal's length."""
    counts = {}
    for api in app.mounts:
        view = app.store.view(api)
        for coll in ("users", "bookings", "flows", "variables", "credentials", "workspaces", "roleAssignments",
                     "ontologies", "workflows"):
            counts[f"{api}.{coll}"] = view.count(coll)
    return counts


def journal_ids(app) -> list[int]:
    return [e["id"] for e in app.journal.entries()]


@dataclass
class Row:
    method: str
    path: str
    status: int
    format: str  # a key of FORMAT
    headers: dict[str, str] = field(default_factory=dict)
    json: Any = None
    content: bytes | str | None = None

    def send(self, client):
        return client.request(self.method, self.path, headers=self.headers, json=self.json, content=self.content)


def assert_refused(client, app, row: Row, journal_untouched: bool = False):
    before, ids = snapshot(app), journal_ids(app)
    response = row.send(client)
    assert response.status_code == row.status, response.text
    assert FORMAT[row.format](response.json()), response.text
    assert snapshot(app) == before
    if journal_untouched:
        assert journal_ids(app) == ids
    return response


def client_for(config: dict) -> TestClient:
    return TestClient(create_app({**TEST_CONFIG, **config}), raise_server_exceptions=False)


# -- origins --------------------------------------------------------------------------------------------
ORIGIN_REFUSED = [
    # a page on another origin drives the admin API: nothing read, nothing changed, preflight or not
    pytest.param(Row("POST", "/__understudy/reset", 403, "admin", {"Origin": EVIL, "Content-Type": "text/plain"},
                     content="x"), id="text/plain reset from evil"),
    pytest.param(Row("POST", "/__understudy/reset", 403, "admin", {"Origin": EVIL}), id="reset from evil"),
    pytest.param(Row("GET", "/__understudy/requests", 403, "admin", {"Origin": EVIL}), id="journal from evil"),
    pytest.param(Row("GET", "/__understudy/credentials", 403, "admin", {"Origin": EVIL}), id="credentials from evil"),
    pytest.param(Row("DELETE", "/__understudy/requests", 403, "admin", {"Origin": EVIL}), id="journal cleared from evil"),
    pytest.param(Row("POST", "/__understudy/controls", 403, "admin", {"Origin": EVIL},
                     json={"api": "tiikr", "prefer": "code=500"}), id="control added from evil"),
    pytest.param(Row("POST", "/__understudy/reset", 403, "admin", {"Origin": "null"}), id="reset from a sandboxed page"),
    pytest.param(Row("POST", "/__understudy/reset", 403, "admin", {"Origin": FRONTEND}),
                 id="loopback frontend is not the admin API's"),
    pytest.param(Row("POST", "/__understudy/reset", 403, "admin", {"Origin": "http://testserver.evil.example"}),
                 id="origin that starts like the host"),
]


@pytest.mark.once
@pytest.mark.parametrize("row", ORIGIN_REFUSED)
def test_admin_api_refuses_other_origins(client, app, row):
    app.store.view("tiikr").delete("workflows", 1)  # a change a reset would undo
    response = assert_refused(client, app, row)
    assert "access-control-allow-origin" not in response.headers
    assert "--cors-origin" in response.json()["error"]
    assert app.store.view("tiikr").get("workflows", 1) is None  # no reset happened
    assert client.get("/__understudy/controls").json()["controls"] == []


@pytest.mark.once
@pytest.mark.parametrize("origin", [EVIL, FRONTEND])
def test_admin_api_answers_no_preflight_from_an_unlisted_origin(client, origin):
    response = client.options("/__understudy/reset", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
    assert response.status_code == 400 and "access-control-allow-origin" not in response.headers


@pytest.mark.once
@pytest.mark.parametrize("origin", ["http://testserver", None])
def test_admin_api_answers_its_own_origin_and_non_browsers(client, origin):
    response = client.post("/__understudy/reset", headers={"Origin": origin} if origin else {})
    assert response.status_code == 200


@pytest.mark.once
@pytest.mark.parametrize("listed, origin, allowed", [
    (["https://qa.example.com"], "https://qa.example.com", True),
    (["https://*.example.com"], "https://qa.example.com", True),
    (["https://*.example.com"], "https://example.com.evil.test", False),
    (["https://qa.example.com"], "http://qa.example.com", False),
    (["*"], EVIL, True),
])
def test_listed_origins_reach_the_admin_api(listed, origin, allowed):
    with client_for({"apis": ["tiikr"], "cors_origins": listed}) as c:
        response = c.get("/__understudy/requests", headers={"Origin": origin})
        preflight = c.options("/__understudy/reset", headers={"Origin": origin, "Access-Control-Request-Method": "POST"})
    assert response.status_code == (200 if allowed else 403)
    assert (response.headers.get("access-control-allow-origin") == origin) == allowed
    assert preflight.status_code == (200 if allowed else 400)


# A frontend dev server on localhost calls every API with credentials.
FRONTEND_CALLS = [
    pytest.param("GET", "/tiikr/api/v1/test", TIIKR, None, id="tiikr"),
    pytest.param("GET", "/timekit/v2/bookings", TIMEKIT, None, id="timekit"),
    pytest.param("GET", f"/platform/v2/workspaces/{W1}", auth("alice"), None, id="platform"),
    pytest.param("GET", "/takaro/me", ROOT_A, None, id="takaro"),
    pytest.param("POST", "/timbr/timbr/api/query/", key(), {"ontology_name": SUPPLY, "query": "SELECT 1 AS one"},
                 id="timbr"),
]


@pytest.mark.once
@pytest.mark.parametrize("method, path, headers, body", FRONTEND_CALLS)
@pytest.mark.parametrize("origin", [FRONTEND, "https://127.0.0.1:3000", "http://[::1]:4200", "http://app.localhost:8080"])
def test_a_loopback_frontend_calls_every_api_with_credentials(client, origin, method, path, headers, body):
    preflight = client.options(path, headers={"Origin": origin, "Access-Control-Request-Method": method,
                                              "Access-Control-Request-Headers": ", ".join(headers)})
    response = client.request(method, path, headers={**headers, "Origin": origin}, json=body)
    assert preflight.status_code == 200 and preflight.headers["access-control-allow-origin"] == origin
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == origin
    assert response.headers["access-control-allow-credentials"] == "true"


@pytest.mark.once
@pytest.mark.parametrize("method, path, headers, body", FRONTEND_CALLS)
def test_another_origin_cannot_read_an_api(client, method, path, headers, body):
    response = client.request(method, path, headers={**headers, "Origin": EVIL}, json=body)
    preflight = client.options(path, headers={"Origin": EVIL, "Access-Control-Request-Method": method})
    assert "access-control-allow-origin" not in response.headers
    assert preflight.status_code == 400 and "access-control-allow-origin" not in preflight.headers


# -- hosts ------------------------------------------------------------------------------------------------
HOST_REFUSED = [
    pytest.param(Row("GET", "/", 421, "engine", {"Host": "evil.example"}), id="index"),
    pytest.param(Row("GET", "/__understudy/requests", 421, "admin", {"Host": "evil.example:8000"}), id="journal"),
    pytest.param(Row("POST", "/__understudy/reset", 421, "admin", {"Host": "evil.example"}), id="reset"),
    pytest.param(Row("GET", "/__understudy/credentials", 421, "admin", {"Host": "127.0.0.1.evil.example"}),
                 id="credentials, loopback-looking name"),
    pytest.param(Row("GET", "/tiikr/api/v1/test", 421, "tiikr", {**TIIKR, "Host": "evil.example"}), id="tiikr"),
    pytest.param(Row("GET", "/timekit/v2/bookings", 421, "timekit", {**TIMEKIT, "Host": "evil.example"}), id="timekit"),
    pytest.param(Row("GET", f"/platform/v2/workspaces/{W1}", 421, "platform", {**auth("alice"), "Host": "evil.example"}),
                 id="platform"),
    pytest.param(Row("GET", "/takaro/me", 421, "takaro", {**ROOT_A, "Host": "evil.example"}), id="takaro"),
    pytest.param(Row("GET", "/timbr/timbr/api/get_ontologies/", 421, "timbr", {**key(), "Host": "evil.example"}),
                 id="timbr"),
    pytest.param(Row("GET", "/tiikr/openapi.json", 421, "engine", {"Host": "localhost.evil.example"}), id="spec"),
]


@pytest.mark.once
@pytest.mark.parametrize("row", HOST_REFUSED)
def test_a_rebound_host_is_refused(client, app, row):
    response = assert_refused(client, app, row, journal_untouched=True)
    assert "--allowed-host" in response.text and "evil.example" not in response.headers.get("location", "")


@pytest.mark.once
@pytest.mark.parametrize("config, host, status", [
    ({}, "localhost:8000", 200),
    ({}, "LOCALHOST", 200),
    ({}, "127.0.0.1:8000", 200),
    ({}, "127.1.2.3", 200),
    ({}, "[::1]:8000", 200),
    ({}, "app.localhost:8000", 200),
    ({}, "192.168.1.5:8000", 421),
    ({"host": "192.168.1.5"}, "192.168.1.5:8000", 200),
    ({"host": "0.0.0.0"}, "192.168.1.5:8000", 421),  # binding every address adds no name
    ({"host": "0.0.0.0"}, "0.0.0.0:8000", 421),
    ({"allowed_hosts": ["dev.example.com"]}, "dev.example.com", 200),
    ({"allowed_hosts": "dev.example.com,qa.example.com"}, "qa.example.com:443", 200),
    ({"allowed_hosts": ["*.example.com"]}, "a.b.example.com", 200),
    ({"allowed_hosts": ["*.example.com"]}, "example.com.evil.test", 421),
    ({"allowed_hosts": ["*"]}, "anything.test", 200),
])
def test_host_names_the_server_answers_to(config, host, status):
    with TestClient(create_app({"apis": ["tiikr"], **config}), raise_server_exceptions=False) as c:
        response = c.get("/tiikr/api/v1/test", headers={**TIIKR, "Host": host})
    assert response.status_code == status


@pytest.mark.once
def test_the_index_builds_urls_only_from_an_answered_host(client):
    listing = client.get("/", headers={"Accept": "application/json", "Host": "localhost:8000"}).json()
    assert listing["apis"][0]["base_url"].startswith("http://localhost:8000/")
    refused = client.get("/", headers={"Accept": "application/json", "Host": "evil.example"})
    assert refused.status_code == 421 and "apis" not in refused.json()


# -- the admin token -------------------------------------------------------------------------------------
TOKEN = "s3cret-admin-token"


@pytest.fixture(scope="module")
def guarded():
    app = create_app({**TEST_CONFIG, "apis": ["tiikr"], "admin_token": TOKEN})
    with TestClient(app, raise_server_exceptions=False) as c:
        yield app, c


ADMIN_CALLS = [("POST", "/__understudy/reset"), ("GET", "/__understudy/requests"), ("GET", "/__understudy/requests/1"),
               ("DELETE", "/__understudy/requests"), ("GET", "/__understudy/credentials"),
               ("GET", "/__understudy/sessions"), ("POST", "/__understudy/controls"), ("DELETE", "/__understudy/controls")]
WRONG_TOKENS = [
    pytest.param({}, id="none"),
    pytest.param({"Authorization": "Bearer wrong"}, id="wrong"),
    pytest.param({"Authorization": f"Bearer {TOKEN}x"}, id="longer"),
    pytest.param({"Authorization": f"Bearer {TOKEN[:-1]}"}, id="shorter"),
    pytest.param({"Authorization": f"Basic {TOKEN}"}, id="not bearer"),
    pytest.param({"Authorization": TOKEN}, id="no scheme"),
]


@pytest.mark.once
@pytest.mark.parametrize("method, path", ADMIN_CALLS)
@pytest.mark.parametrize("headers", WRONG_TOKENS)
def test_admin_token_is_required(guarded, method, path, headers):
    app, c = guarded
    app.store.view("tiikr").delete("workflows", 2)
    response = c.request(method, path, headers=headers, json={"api": "tiikr", "prefer": "code=500"})
    assert response.status_code == 401 and admin_error(response.json())
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert app.store.view("tiikr").get("workflows", 2) is None
    assert app.rules.all() == []
    app.reset()


@pytest.mark.once
def test_admin_token_opens_the_admin_api_and_leaves_the_apis_alone(guarded):
    app, c = guarded
    assert c.get("/tiikr/api/v1/test", headers=TIIKR).status_code == 200
    assert c.get("/__understudy/requests", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert c.get("/__understudy/ui/").status_code == 200  # the admin API's docs are not secret


@pytest.mark.once
@pytest.mark.parametrize("config, warned", [
    ({"host": "127.0.0.1"}, []),
    ({"host": "0.0.0.0"}, ["--admin-token", "--allowed-host"]),
    ({"host": "0.0.0.0", "admin_token": "t", "allowed_hosts": ["box.lan"]}, []),
    ({"host": "192.168.1.5"}, ["--admin-token"]),
    ({"host": "::1", "cors_origins": ["*"]}, ["--cors-origin '*'"]),
])
def test_startup_warns_of_an_open_configuration(config, warned):
    warnings = startup_warnings(config)
    assert len(warnings) == len(warned) and all(w in text for w, text in zip(warned, warnings))


# -- secrets in the journal ----------------------------------------------------------------------------------
SECRET = "Zq9-s3cr3t-Xv7"
NUMBER = 918273645


def form(body: str) -> dict:
    return {"content": body, "headers": {**TIMEKIT, "Content-Type": "application/x-www-form-urlencoded"}}


def multipart(name: str, value: str) -> dict:
    boundary = "b0undary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n--{boundary}--\r\n")
    return {"content": body, "headers": {**TIMEKIT, "Content-Type": f"multipart/form-data; boundary={boundary}"}}


def booking(**fields) -> dict:
    return {"json": {"graph": "instant", "customer": fields}, "headers": TIMEKIT}


# (method, path, request keywords, the secret's text)
MASKED = [
    # JSON bodies: every shape of value, at any depth, any spelling of the key
    pytest.param("POST", "/timekit/v2/bookings", booking(password=SECRET), SECRET, id="json string"),
    pytest.param("POST", "/timekit/v2/bookings", booking(password=NUMBER), str(NUMBER), id="json integer"),
    pytest.param("POST", "/timekit/v2/bookings", booking(password=918273.645), "918273.645", id="json float"),
    pytest.param("POST", "/timekit/v2/bookings", booking(password=[SECRET, "x"]), SECRET, id="json list"),
    pytest.param("POST", "/timekit/v2/bookings", booking(secret={"inner": SECRET}), SECRET, id="json object"),
    pytest.param("POST", "/timekit/v2/bookings", booking(passwd=SECRET), SECRET, id="passwd"),
    pytest.param("POST", "/timekit/v2/bookings", booking(**{"API-Key": SECRET}), SECRET, id="API-Key"),
    pytest.param("POST", "/timekit/v2/bookings", booking(apikey=SECRET), SECRET, id="apikey"),
    pytest.param("POST", "/timekit/v2/bookings", booking(privateKey=SECRET), SECRET, id="privateKey"),
    pytest.param("POST", "/timekit/v2/bookings", booking(PRIVATE_KEY=SECRET), SECRET, id="PRIVATE_KEY"),
    pytest.param("POST", "/timekit/v2/bookings", booking(client_secret=SECRET), SECRET, id="client_secret"),
    pytest.param("POST", "/timekit/v2/bookings", booking(refreshToken=SECRET), SECRET, id="refreshToken"),
    pytest.param("POST", "/timekit/v2/bookings", booking(credentials=[{"a": SECRET}]), SECRET, id="credentials"),
    pytest.param("POST", "/timekit/v2/bookings", booking(Authorization=SECRET), SECRET, id="authorization key"),
    pytest.param("POST", "/timekit/v2/bookings", booking(deep=[[{"x": [{"token": SECRET}]}]]), SECRET, id="deep"),
    pytest.param("POST", "/timekit/v2/bookings",
                 {"json": json.loads("[" * 150 + json.dumps({"pass": SECRET}) + "]" * 150), "headers": TIMEKIT},
                 SECRET, id="150 levels"),
    pytest.param("POST", "/timekit/v2/bookings",
                 {"content": "[" * 300 + json.dumps({"password": SECRET}) + "]" * 300,
                  "headers": {**TIMEKIT, "Content-Type": "application/json"}}, SECRET, id="too deep to keep"),
    pytest.param("POST", "/timekit/v2/bookings",
                 {"content": '{"customer": {"password": "' + SECRET + '", ',
                  "headers": {**TIMEKIT, "Content-Type": "application/json"}}, SECRET, id="broken json"),
    pytest.param("POST", "/timekit/v2/bookings",
                 {"json": {"password": SECRET, "padding": "x" * 70_000}, "headers": TIMEKIT}, SECRET, id="cut body"),
    pytest.param("POST", "/timekit/v2/bookings",
                 {"json": {"padding": "x" * 65_530, "password": SECRET}, "headers": TIMEKIT}, SECRET[:6],
                 id="secret cut in two"),
    # the platform's credentials keep their secrets under keys
    pytest.param("POST", "/platform/v2/credentials",
                 {"json": doc("credential", {"name": "ftp", "keys": {"host": "h", "user": "u", "pass": SECRET}}),
                  "headers": auth("alice")}, SECRET, id="platform keys.pass"),
    pytest.param("POST", "/platform/v2/credentials",
                 {"json": doc("credential", {"name": "sftp", "keys": {"privateKey": f"-----BEGIN {SECRET}"}}),
                  "headers": auth("alice")}, SECRET, id="platform keys.privateKey"),
    # secrets inside strings: a JSON document sent as a string, SQL in a JSON body
    pytest.param("POST", "/takaro/gameserver",
                 {"json": {"name": "Arena", "type": "RUST", "connectionInfo": json.dumps(
                     {"host": "h", "rconPort": 1, "rconPassword": SECRET})}, "headers": ROOT_A}, SECRET,
                 id="json in a string"),
    pytest.param("POST", "/timbr/timbr/api/query/",
                 {"json": {"ontology_name": SUPPLY, "query": f"CREATE USER eve PASSWORD '{SECRET}'"},
                  "headers": key()}, SECRET, id="sql in json"),
    # forms and multipart
    pytest.param("POST", "/timekit/v2/bookings", form(f"password={SECRET}&graph=instant"), SECRET, id="form"),
    pytest.param("POST", "/timekit/v2/bookings", form(f"graph=instant&customer%5Bapi_key%5D={SECRET}"), SECRET,
                 id="form bracketed key"),
    pytest.param("POST", "/timekit/v2/bookings", multipart("password", SECRET), SECRET, id="multipart field"),
    pytest.param("POST", "/timekit/v2/bookings", multipart("access-token", SECRET), SECRET, id="multipart token"),
    # query strings
    pytest.param("GET", f"/timekit/v2/bookings?api_key={SECRET}", {"headers": TIMEKIT}, SECRET, id="?api_key"),
    pytest.param("GET", f"/timekit/v2/bookings?limit=1&access_token={SECRET}", {"headers": TIMEKIT}, SECRET,
                 id="?access_token"),
    pytest.param("GET", f"/timekit/v2/bookings?password={SECRET}&limit=1", {"headers": TIMEKIT}, SECRET, id="?password"),
    pytest.param("GET", f"/timekit/v2/bookings?keys%5Bpass%5D={SECRET}", {"headers": TIMEKIT}, SECRET, id="?keys[pass]"),
    # headers
    pytest.param("GET", "/tiikr/api/v1/test", {"headers": basic("owner", SECRET)}, SECRET, id="basic password"),
    pytest.param("GET", "/tiikr/api/v1/test", {"headers": basic("owner", SECRET)},
                 base64.b64encode(f"owner:{SECRET}".encode()).decode(), id="basic credentials"),
    pytest.param("GET", "/takaro/me", {"headers": {"Authorization": f"Bearer {SECRET}"}}, SECRET, id="bearer"),
    pytest.param("GET", "/takaro/me", {"headers": {"Cookie": f"takaro-token={SECRET}"}}, SECRET, id="cookie"),
    pytest.param("GET", "/takaro/me", {"headers": {"x-takaro-token": SECRET}}, SECRET, id="x-takaro-token"),
    pytest.param("POST", "/takaro/domain/search", {"headers": {"X-Takaro-Admin-Token": SECRET}, "json": {}}, SECRET,
                 id="admin token header"),
    pytest.param("GET", "/timbr/timbr/api/get_ontologies/", {"headers": {"x-api-key": SECRET}}, SECRET, id="x-api-key"),
    pytest.param("GET", "/timbr/timbr/api/get_ontologies/", {"headers": {"x-jwt-token": SECRET}}, SECRET,
                 id="x-jwt-token"),
    pytest.param("GET", "/tiikr/api/v1/test", {"headers": {**TIIKR, "X-Client-Secret": SECRET}}, SECRET,
                 id="custom secret header"),
    # Timbr's SQL
    pytest.param("POST", TIMBR_CREATE, {"content": f"CREATE USER eve PASSWORD '{SECRET}'",
                                        "headers": {**key(), "Content-Type": "application/text"}}, SECRET,
                 id="sql PASSWORD"),
    pytest.param("POST", TIMBR_CREATE, {"content": f"create user eve options(email='e@x.io', password='{SECRET}')",
                                        "headers": {**key(), "Content-Type": "application/text"}}, SECRET,
                 id="sql options password"),
    pytest.param("POST", TIMBR_CREATE, {"content": f"CREATE USER eve PASSWORD 'it''s {SECRET}'",
                                        "headers": {**key(), "Content-Type": "application/text"}}, SECRET,
                 id="sql doubled quote"),
]


@pytest.mark.parametrize("method, path, sent, secret", MASKED)
def test_no_secret_is_kept_in_the_journal(client, method, path, sent, secret):
    client.delete("/__understudy/requests")
    client.request(method, path, **sent)
    listing = client.get("/__understudy/requests", params={"limit": 1000})
    entries = listing.json()["requests"]
    assert [e["path"] for e in entries] == [path.partition("?")[0]]  # recorded, then searched
    whole = client.get(f"/__understudy/requests/{entries[0]['id']}")
    assert secret not in listing.text and secret not in whole.text
    assert MASK in whole.text


@pytest.mark.once
@pytest.mark.parametrize("name, secret", [
    ("password", True), ("Password", True), ("user_password", True), ("passwd", True), ("pass", True),
    ("userPass", True), ("secret", True), ("clientSecret", True), ("token", True), ("X-Auth-Token", True),
    ("api key", True), ("api_key", True), ("API-KEY", True), ("apiKey", True), ("private_key", True),
    ("privatekey", True), ("credential", True), ("Credentials", True), ("Proxy-Authorization", True),
    ("passenger", False), ("name", False), ("keys", False), ("compass_heading", True), ("monkey", False),
    ("Content-Type", False), ("x-understudy-session", False),
])
def test_names_that_name_a_secret(name, secret):
    assert names_secret(name) is secret


# -- bad input and limits --------------------------------------------------------------------------------------
DEEP = "[" * 10_000 + "]" * 10_000
DEPTH_201 = json.dumps({"a": json.loads("[" * 200 + "]" * 200)})
LIMITED = [
    pytest.param(Row("POST", "/timekit/v2/bookings", 400, "timekit", {**TIMEKIT, "Content-Type": "application/json"},
                     content=DEEP), id="deep json timekit"),
    pytest.param(Row("POST", "/platform/v2/flows", 400, "platform", {**auth("alice"), "Content-Type": "application/json"},
                     content=DEEP), id="deep json platform"),
    pytest.param(Row("POST", "/takaro/variables/search", 400, "takaro", {**ROOT_A, "Content-Type": "application/json"},
                     content=DEEP), id="deep json takaro"),
    pytest.param(Row("POST", "/timbr/timbr/api/query/", 400, "timbr", {**key(), "Content-Type": "application/json"},
                     content=DEEP), id="deep json timbr"),
    pytest.param(Row("POST", "/__understudy/controls", 400, "admin", {"Content-Type": "application/json"},
                     content=DEEP), id="deep json admin"),
    pytest.param(Row("POST", "/timekit/v2/bookings", 400, "timekit", {**TIMEKIT, "Content-Type": "application/json"},
                     content=DEPTH_201), id="201 levels"),
    pytest.param(Row("POST", "/timekit/v2/bookings", 400, "timekit", {**TIMEKIT}, content=DEEP),
                 id="deep json without content type"),
    pytest.param(Row("POST", "/takaro/gameserver", 400, "takaro", ROOT_A,
                     json={"name": "Arena", "type": "MOCK", "connectionInfo": DEEP}), id="deep json in a json string"),
    pytest.param(Row("GET", "/timekit/v2/bookings?search=" + "a" * 20_000, 414, "timekit", TIMEKIT), id="long query timekit"),
    pytest.param(Row("GET", "/tiikr/api/v1/test?x=" + "a" * 20_000, 414, "tiikr", TIIKR), id="long query tiikr"),
    pytest.param(Row("GET", "/takaro/me?x=" + "a" * 20_000, 414, "takaro", ROOT_A), id="long query takaro"),
    pytest.param(Row("GET", "/__understudy/requests?path=" + "a" * 20_000, 414, "admin"), id="long query admin"),
    pytest.param(Row("GET", "/tiikr/api/v1/" + "a" * 20_000, 414, "tiikr", TIIKR), id="long path"),
    pytest.param(Row("GET", "/platform/v2/users/me", 431, "platform", {**auth("alice"), "X-Big": "a" * 40_000}),
                 id="large header platform"),
    pytest.param(Row("GET", "/timbr/timbr/api/get_ontologies/", 431, "timbr",
                     {**key(), **{f"X-Many-{i}": "a" * 1000 for i in range(40)}}), id="many headers timbr"),
]


@pytest.mark.once
@pytest.mark.parametrize("row", LIMITED)
def test_bad_input_gets_the_apis_own_error(client, app, row):
    response = assert_refused(client, app, row)
    assert "Internal" not in response.text


@pytest.mark.once
def test_nesting_up_to_the_bound_reaches_validation(client):
    body = {"graph": "instant", "meta": json.loads("[" * 199 + "]" * 199)}
    response = client.post("/timekit/v2/bookings", json=body, headers=TIMEKIT)
    assert response.status_code == 422  # the body's own problems, not its depth


@pytest.mark.once
@pytest.mark.parametrize("size", [20_000, 100_000, 1_000_000])
def test_an_overlong_url_is_the_apis_own_414_on_the_wire(live_server, size):
    response = requests.get(f"{live_server}/timekit/v2/bookings?search=" + "a" * size, headers=TIMEKIT, timeout=10)
    assert response.status_code == 414 and timekit_error(response.json())
    assert f"{len('/timekit/v2/bookings?search=') + size} bytes" in response.json()["error"]


def test_an_evicted_session_is_announced(caplog, tmp_path):
    with client_for({"apis": ["tiikr"], "max_sessions": 2, "state": own_state(tmp_path, "evicted")}) as c:
        answers = [c.get("/tiikr/api/v1/test", headers={**TIIKR, "X-Understudy-Session": f"s{i}"}) for i in range(3)]
        sessions = c.get("/__understudy/sessions").json()["sessions"]
    assert [a.headers.get("x-understudy-session-evicted") for a in answers] == [None, None, "s0"]
    assert [s["name"] for s in sessions] == ["s1", "s2"]
    assert "session s0 dropped" in caplog.text


def test_the_journal_pages(client):
    client.delete("/__understudy/requests")
    for i in range(5):
        client.get(f"/tiikr/api/v1/workflows/{i + 1}", headers=TIIKR)
    latest = client.get("/__understudy/requests", params={"limit": 2}).json()
    first = client.get("/__understudy/requests", params={"limit": 2, "since": 0}).json()
    after = client.get("/__understudy/requests", params={"limit": 10, "since": first["requests"][-1]["id"]}).json()
    paths = lambda page: [e["path"].rsplit("/", 1)[1] for e in page["requests"]]  # noqa: E731
    assert (paths(latest), latest["more"]) == (["4", "5"], True)
    assert (paths(first), first["more"]) == (["1", "2"], True)
    assert (paths(after), after["more"]) == (["3", "4", "5"], False)


def test_the_journal_list_cuts_bodies(client):
    client.delete("/__understudy/requests")
    client.post("/timekit/v2/bookings", json={"graph": "instant", "note": "y" * 10_000}, headers=TIMEKIT)
    listed = client.get("/__understudy/requests").json()["requests"][0]
    whole = client.get(f"/__understudy/requests/{listed['id']}").json()
    assert listed["request"]["truncated"] is True and len(listed["request"]["body"]) == 2048
    assert whole["request"]["body"]["note"] == "y" * 10_000
    assert client.get("/__understudy/requests/999999").status_code == 404


# -- credentials: forged tokens and role escalation --------------------------------------------------------------
def b64(data: dict | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unsigned(claims: dict) -> str:
    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."


def hs256(claims: dict, secret: bytes) -> str:
    """Signed by hand: PyJWT refuses to use a PEM public key as an HMAC secret, an attacker does not."""
    head = f"{b64({'alg': 'HS256', 'typ': 'JWT'})}.{b64(claims)}"
    return f"{head}.{b64(hmac.new(secret, head.encode(), hashlib.sha256).digest())}"


def timbr_claims(**extra) -> dict:
    now = int(time.time())
    return {"email": TIMBR_ADMIN["email"], "iat": now, "exp": now + 600, **extra}


RS256 = {"ENABLE_TOKEN": "true", "JWT_DEFAULT_KEY": PUBLIC_KEY, "JWT_DEFAULT_ALGORITHM": "RS256",
         "JWT_DEFAULT_AUDIENCE": "timbr-api"}


@pytest.fixture(scope="module")
def timbr_jwt():
    app = create_app({**TEST_CONFIG, "apis": ["timbr"], **RS256})
    with TestClient(app, raise_server_exceptions=False) as c:
        yield app, c


TIMBR_FORGED = [
    pytest.param(lambda: unsigned(timbr_claims(aud="timbr-api")), id="alg none"),
    pytest.param(lambda: hs256(timbr_claims(aud="timbr-api"), PUBLIC_KEY.encode()), id="public key as hs256 secret"),
    pytest.param(lambda: make_jwt(RS256, username="admin", email=TIMBR_ADMIN["email"], key=PRIVATE_KEY,
                                  algorithm="RS256", audience="another-api"), id="wrong audience"),
    pytest.param(lambda: make_jwt(RS256, username="admin", email=TIMBR_ADMIN["email"], key=PRIVATE_KEY,
                                  algorithm="RS256", issued_at=time.time() - 7200), id="expired"),
    pytest.param(lambda: make_jwt(RS256, username="admin", email=TIMBR_ADMIN["email"], key=PRIVATE_KEY,
                                  algorithm="RS256")[:-4] + "AAAA", id="tampered signature"),
]


@pytest.mark.once
@pytest.mark.parametrize("forge", TIMBR_FORGED)
def test_timbr_refuses_a_forged_jwt(timbr_jwt, forge):
    app, c = timbr_jwt
    assert_refused(c, app, Row("GET", "/timbr/timbr/api/get_ontologies/", 401, "timbr", {"x-jwt-token": forge()}))
    good = make_jwt(RS256, username="admin", email=TIMBR_ADMIN["email"], key=PRIVATE_KEY, algorithm="RS256")
    assert c.get("/timbr/timbr/api/get_ontologies/", headers={"x-jwt-token": good}).status_code == 200


def fernet_forged(kind: str, config) -> str:
    good = make_bearer("admin", "admin-password", config)
    if kind == "tampered":
        raw = bytearray(base64.urlsafe_b64decode(good))
        raw[30] ^= 1
        return base64.urlsafe_b64encode(bytes(raw)).decode()
    if kind == "other key":
        return make_bearer("admin", "admin-password", {**config, "API_AUTH_SALT": "another-salt"})
    if kind == "expired":
        return make_bearer("admin", "admin-password", config, issued_at=time.time() - 86_400 * 2)
    return make_bearer("admin", "wrong-password", config)


@pytest.mark.once
@pytest.mark.parametrize("kind", ["tampered", "other key", "expired", "wrong password"])
def test_timbr_get_token_refuses_a_forged_fernet_bearer(client, app, kind):
    assert_refused(client, app, Row("POST", "/timbr/timbr/api/get_token", 401, "timbr",
                                    {"Authorization": f"Bearer {fernet_forged(kind, app.config)}"}))
    good = make_bearer("admin", "admin-password", app.config)
    assert client.post("/timbr/timbr/api/get_token", headers={"Authorization": f"Bearer {good}"}).status_code == 200


TAKARO_USER = "ab291db4-9abf-4c56-b50f-d4dbc6596561"  # root of domain A
TAKARO_SECRET = "understudy-takaro-demo-jwt-secret"


def takaro_claims(**extra) -> dict:
    now = int(time.time())
    return {"sub": TAKARO_USER, "domainId": A, "iss": "takaro", "aud": "takaro", "iat": now, "exp": now + 600, **extra}


TAKARO_FORGED = [
    pytest.param(lambda: unsigned(takaro_claims()), id="alg none"),
    pytest.param(lambda: hs256(takaro_claims(), b"guessed-secret"), id="wrong secret"),
    pytest.param(lambda: jwt.encode(takaro_claims(aud="someone-else"), TAKARO_SECRET, algorithm="HS256"),
                 id="wrong audience"),
    pytest.param(lambda: jwt.encode(takaro_claims(exp=int(time.time()) - 60), TAKARO_SECRET, algorithm="HS256"),
                 id="expired"),
    pytest.param(lambda: jwt.encode(takaro_claims(), TAKARO_SECRET, algorithm="HS256").rpartition(".")[0] + ".",
                 id="signature stripped"),
]


@pytest.mark.once
@pytest.mark.parametrize("forge", TAKARO_FORGED)
def test_takaro_refuses_a_forged_agent_jwt(client, app, forge):
    assert_refused(client, app, Row("POST", "/takaro/variables", 401, "takaro", {"x-takaro-token": forge()},
                                    json={"key": "k", "value": "v"}))
    good = jwt.encode(takaro_claims(), TAKARO_SECRET, algorithm="HS256")
    assert client.get("/takaro/me", headers={"x-takaro-token": good}).status_code == 200


MO = "160cec7c-6a2c-4be6-8ff5-de714abff70c"  # Moderator in domain A
TAKARO_ADMIN_ROLE = "eef8b929-9d5e-4eac-ad42-775457e069f2"
ESCALATION = [
    pytest.param(Row("GET", "/tiikr/api/v1/test", 403, "tiikr", basic("employee", "employee-password")),
                 id="tiikr employee"),
    pytest.param(Row("PATCH", f"/platform/v2/workspaces/{W1}/members/{USERS['carol']}", 403, "platform", auth("carol"),
                     json=doc("member", {"roles": ["admin"]}, id=USERS["carol"])), id="platform guest makes herself admin"),
    pytest.param(Row("PATCH", f"/platform/v2/workspaces/{W1}/members/{USERS['bob']}", 403, "platform", auth("bob"),
                     json=doc("member", {"roles": ["owner"]}, id=USERS["bob"])), id="platform integrator makes himself owner"),
    pytest.param(Row("POST", f"/takaro/user/{MO}/role/{TAKARO_ADMIN_ROLE}", 403, "takaro", bearer("mo")),
                 id="takaro moderator makes himself admin"),
    pytest.param(Row("POST", TIMBR_CREATE, 403, "timbr", {**key(ANALYST), "Content-Type": "application/text"},
                     content="GRANT AUTH ON user.admin TO USER analyst"), id="timbr analyst grants himself admin"),
    pytest.param(Row("GET", "/timbr/timbr/api/get_ontologies/", 403, "timbr",
                     {**key(ANALYST), "x-api-impersonate-user": "admin"}), id="timbr analyst impersonates admin"),
]


@pytest.mark.once
@pytest.mark.parametrize("row", ESCALATION)
def test_no_role_escalation(client, app, row):
    watched = [("platform", "workspaces"), ("takaro", "roleAssignments"), ("timbr", "users")]
    before = [app.store.view(api).all(coll) for api, coll in watched]
    assert_refused(client, app, row)
    assert before == [app.store.view(api).all(coll) for api, coll in watched]


# -- Timbr SQL ---------------------------------------------------------------------------------------------------
TIMBR_SQL = [
    pytest.param("ATTACH DATABASE '{file}' AS x", "starts with 'ATTACH'", id="attach"),
    pytest.param("SELECT 1; ATTACH DATABASE '{file}' AS x", "more than one statement", id="attach after select"),
    pytest.param("VACUUM INTO '{file}'", "starts with 'VACUUM'", id="vacuum into a file"),
    pytest.param("PRAGMA query_only = OFF", "starts with 'PRAGMA'", id="pragma"),
    pytest.param("SELECT * FROM pragma_database_list", "only reading", id="pragma function"),
    pytest.param("SELECT load_extension('{file}')", "only reading", id="load_extension"),
    pytest.param("INSERT INTO customer (name) VALUES ('x')", "starts with 'INSERT'", id="insert"),
    pytest.param("WITH x AS (SELECT 1) DELETE FROM customer", "only reading", id="delete behind a CTE"),
    pytest.param("WITH x AS (SELECT 1) UPDATE customer SET name = 'x'", "only reading", id="update behind a CTE"),
    pytest.param("SELECT 1; DROP TABLE customer", "more than one statement", id="second statement"),
    pytest.param("SELECT 1 /* ; */; DELETE FROM customer --", "more than one statement", id="statement after a comment"),
    pytest.param("SELECT length(randomblob(1000000000))", "larger than 4000000 bytes", id="randomblob 1 GB"),
    pytest.param("SELECT length(zeroblob(1000000000))", "larger than 4000000 bytes", id="zeroblob 1 GB"),
    pytest.param("SELECT replace(hex(zeroblob(1000000)), '0', 'xxxxxxxx')", "larger than 4000000 bytes",
                 id="growing replace"),
    pytest.param("SELECT randomblob(3000000) FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                 "LIMIT 20) SELECT i FROM n)", "result is too large", id="many big rows"),
    pytest.param("SELECT " + ", ".join(["1"] * 1001), "too many columns", id="too many columns"),
    pytest.param("SELECT " + "(" * 600 + "1" + ")" * 600, "Error running query", id="deep expression"),
    pytest.param("SELECT '" + "a" * 100_001 + "'", "longer than 100000 bytes", id="long sql"),
]


@pytest.mark.once
@pytest.mark.parametrize("sql, problem", TIMBR_SQL)
def test_timbr_sql_cannot_escape_or_exhaust(client, app, tmp_path, sql, problem):
    file = tmp_path / "attacker.db"
    before = client.post("/timbr/timbr/api/query/", headers=key(), json={
        "ontology_name": SUPPLY, "query": "SELECT count(*) AS n FROM customer"}).json()
    row = Row("POST", "/timbr/timbr/api/query/", 400, "timbr", key(),
              json={"ontology_name": SUPPLY, "query": sql.format(file=file)})
    response = assert_refused(client, app, row)
    assert problem in response.json()["data"]
    assert not file.exists()
    after = client.post("/timbr/timbr/api/query/", headers=key(), json={
        "ontology_name": SUPPLY, "query": "SELECT count(*) AS n FROM customer"}).json()
    assert before == after


@pytest.mark.once
def test_a_huge_value_does_not_hold_up_other_requests(live_server):
    """While a value too big for the limits is refused, and while a query whose one step is long
    (printf with a vast width) runs, another request is answered."""
    done = {}

    def slow():
        done["slow"] = requests.post(f"{live_server}/timbr/timbr/api/query/", headers=key(), timeout=120, json={
            "ontology_name": SUPPLY, "query": "SELECT length(printf('%.*c', 100000000, 'x'))"}).status_code

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.2)
    try:
        quick = requests.get(f"{live_server}/timbr/timbr/api/get_ontologies/", headers=key(), timeout=1.5)
        blob = requests.post(f"{live_server}/timbr/timbr/api/query/", headers=key(), timeout=1.5, json={
            "ontology_name": "timbr_user_segmentation", "query": "SELECT length(randomblob(1000000000))"})
    finally:
        thread.join()
    assert quick.status_code == 200
    assert blob.status_code == 400 and "larger than" in blob.json()["data"]
    assert done["slow"] in (200, 400)


# -- tenancy: every reference in every request body, walked from the specs ---------------------------
@pytest.mark.once
@pytest.mark.parametrize("api", sorted(RULES))
def test_every_reference_in_the_specs_is_classified(api):
    """A new `...Id` / `..._id` property or relationship in a spec must be given a kind (and so be
    walked below) or a reason why it names nothing another tenant owns."""
    rules = RULES[api]
    unexplained = sorted({f"{r.name} ({r.id})" for r in all_references(api)
                          if r.name not in rules.kinds and r.name not in rules.not_references
                          and r.id not in rules.ignored})
    assert unexplained == []


@pytest.mark.once
@pytest.mark.parametrize("api", sorted(RULES))
def test_every_reference_is_walked(api):
    """Each operation with a reference has a request the walk sends."""
    called = {op for side in SIDES if side.api == api for op in side.calls}
    assert sorted({r.operation for r in references(api)} - called) == []


@pytest.mark.parametrize("side, operation", [(s, op) for s in SIDES for op in s.calls],
                         ids=[f"{s.api}: {op} ({s.name})" for s in SIDES for op in s.calls])
def test_the_walked_requests_are_accepted_with_the_callers_own_ids(client, side, operation):
    """So that each swapped reference below is what a refusal answers."""
    made = side.setup(client) if side.setup else {}
    own, _ = side.ids(made)
    call = side.calls[operation]
    response = request(client, side, call, made, fill(call.body, own))
    assert 200 <= response.status_code < 300, response.text


CASES = cases()


@pytest.mark.parametrize("side, ref", CASES, ids=[f"{s.api}: {r.id} ({s.name})" for s, r in CASES])
def test_another_tenants_id_is_answered_as_an_unknown_id(app, client, side, ref):
    made = side.setup(client) if side.setup else {}
    own, foreign = side.ids(made)
    call = side.calls[ref.operation]
    theirs = foreign[RULES[side.api].kinds[ref.name]]
    nobody = unknown_like(theirs)
    before = state_of(app, side.api, collections_of(side.api))

    def sent_with(ident: str):
        body = copy.deepcopy(fill(call.body, own))
        put(body, ref.pointer, value_for(ref, KIND_TYPES.get(side.api, {}), ident))
        return request(client, side, call, made, body)

    answer = sent_with(theirs)
    after = state_of(app, side.api, collections_of(side.api))
    unknown = sent_with(nobody)
    assert (answer.status_code, answer.text.replace(theirs, nobody)) == (unknown.status_code, unknown.text)
    assert after == before, f"{ref.id} with another tenant's id changed the state ({answer.status_code})"


# -- tenancy: cross-tenant reads and writes, resource credentials, role escalation -------------------
# Each row: who sends what, the status, and what to read before and after (as someone who may): the
# refused request leaves it as it was. Ids in `{}` come from the row's setup.
@dataclass(frozen=True)
class Attack:
    api: str
    who: str
    method: str
    path: str
    body: Any
    status: int
    watch: tuple[str, str, str, Any] | None  # (who, method, path, body) read before and after
    setup: str | None = None


def platform(who, method, path, body, status, watch=None, setup=None):
    return Attack("platform", who, method, P + path, body, status, watch and (watch[0], "GET", P + watch[1], None), setup)


def takaro(who, method, path, body, status, watch=None, setup=None):
    return Attack("takaro", who, method, T + path, body, status,
                  watch and (watch[0], watch[1], T + watch[2], watch[3]), setup)


def timekit(who, method, path, body, status, watch=None, setup=None):
    return Attack("timekit", who, method, K + path, body, status, watch and (watch[0], "GET", K + watch[1], None), setup)


P, T, K = "/platform/v2", "/takaro", "/timekit/v2"
ACME_CREDENTIAL, GLOBEX_CREDENTIAL = "5b0d6d4b2c3f1a0015000001", "5b0d6d4b2c3f1a0015000003"
PETSTORE = "5b0d6d4b2c3f1a0012000002"  # Acme's, team access
TOPIC = "5b0d6d4b2c3f1a0017000001"  # in W1
BOB = USERS["bob"]
ADA, VIC = "2c0a0f61-a4f6-4877-8ce5-53fe3ceb393d", "612c79a8-8efb-46c2-9d09-a9a12688d001"
ROOT_ROLE, ADMIN_ROLE, MODERATOR = ("8e30c535-f835-4e96-88c6-8308971a8b5d", "eef8b929-9d5e-4eac-ad42-775457e069f2",
                                    "77a325a4-4721-4aa0-9104-b2b81abfebe8")
MARTY_CALENDAR = "c91c5d04-2a57-46c0-ab35-e489dadf132e"


def flow_in(workspace: str, node: dict) -> dict:
    return doc("flow", {"name": "Reach", "type": "ordinary", "graph": {"nodes": [node], "edges": []},
                        "default_mapper_type": "jsonata"}, {"workspace": rel("workspace", workspace)})


ATTACKS = {
    # the platform: another tenant's objects, named in a relationship, a step or an attribute
    "dave moves his credential into Acme's workspace": platform(
        "dave", "PATCH", f"/credentials/{GLOBEX_CREDENTIAL}",
        doc("credential", {"name": "moved"}, {"workspace": rel("workspace", W1)}, id=GLOBEX_CREDENTIAL), 404,
        ("alice", f"/credentials?workspace_id={W1}")),
    "dave moves his flow into Acme's workspace": platform(
        "dave", "PATCH", f"/flows/{GLOBEX_FLOW}", doc("flow", {"name": "moved"}, {"workspace": rel("workspace", W1)},
                                                      id=GLOBEX_FLOW), 404, ("dave", f"/flows/{GLOBEX_FLOW}")),
    "alice moves a topic into Globex's workspace": platform(
        "alice", "PATCH", f"/workspaces/{W1}/topics/{TOPIC}",
        doc("topic", {"name": "moved"}, {"workspace": rel("workspace", W3)}, id=TOPIC), 404,
        ("alice", f"/workspaces/{W1}/topics/{TOPIC}")),
    "dave's flow step names Acme's component": platform(
        "dave", "POST", "/flows", flow_in(W3, {"id": "step_1", "component_id": PETSTORE, "command": "x:y@latest"}),
        404, ("dave", f"/flows?workspace_id={W3}")),
    "dave's flow step runs a version of Acme's component": platform(
        "dave", "POST", "/flows", flow_in(W3, {"id": "step_1", "command": CODE_COMMAND}), 404,
        ("dave", f"/flows?workspace_id={W3}")),
    "dave's debug run uses Acme's credential": platform(
        "dave", "POST", "/flows", flow_in(W3, {"id": "step_1", "command": CRM_COMMAND,
                                               "credentials_id": ACME_CREDENTIAL}), 404,
        ("dave", f"/flows?workspace_id={W3}")),
    "dave stores a credential for Acme's component": platform(
        "dave", "POST", "/credentials", doc("credential", {"name": "k"}, {
            "component": rel("component", PETSTORE), "workspace": rel("workspace", W3)}), 404,
        ("dave", f"/credentials?workspace_id={W3}")),
    "dave reads Acme's component": platform("dave", "GET", f"/components/{PETSTORE}", None, 404),
    "dave reads Acme's credential": platform("dave", "GET", f"/credentials/{ACME_CREDENTIAL}", None, 404),
    "dave invites to Acme's contract": platform(
        "dave", "POST", f"/contracts/{C1}/invites", doc("contract-invite", {"email": "x@globex.example",
                                                                           "roles": ["member"]}), 404),
    "alice names Globex's owner as Acme's support user": platform(
        "alice", "PATCH", f"/contracts/{C1}", doc("contract", {"support_user_id": USERS["dave"]}, id=C1), 404,
        ("alice", f"/contracts/{C1}")),
    # the platform: nobody grants a role with rights they lack, themself included
    "bob (contract admin) makes himself owner": platform(
        "bob", "PATCH", f"/contracts/{C1}/members/{BOB}", doc("contract-member", {"roles": ["owner"]}, id=BOB), 403,
        ("alice", f"/contracts/{C1}/members")),
    "bob (workspace admin) makes himself owner": platform(
        "bob", "PATCH", f"/workspaces/{W2}/members/{BOB}", doc("member", {"roles": ["owner"]}, id=BOB), 403,
        ("alice", f"/workspaces/{W2}/members")),
    "bob invites an owner": platform(
        "bob", "POST", f"/contracts/{C1}/invites", doc("contract-invite", {"email": "x@acme.example",
                                                                          "roles": ["owner"]}), 403,
        ("alice", f"/contracts/{C1}/invites")),
    "bob invites into his sandbox as owner": platform(
        "bob", "POST", f"/contracts/{C1}/invites", doc("contract-invite", {
            "email": "x@acme.example", "roles": ["member"], "workspace_id": W2, "workspace_roles": ["owner"]}), 403,
        ("alice", f"/contracts/{C1}/invites")),
    "bob adds carol to his sandbox as owner": platform(
        "bob", "POST", f"/workspaces/{W2}/members", doc("member", {"roles": ["owner"]}, id=USERS["carol"]), 403,
        ("alice", f"/workspaces/{W2}/members")),
    # Takaro: another domain's records
    "quiet-lamps-glow reads a player of brave-otters-sing": takaro("root_b", "GET", f"/player/{ADA}", None, 404),
    "quiet-lamps-glow records an event of a brave-otters-sing player": takaro(
        "root_b", "POST", "/event", {"eventName": "chat-message", "playerId": ADA}, 404,
        ("root_b", "POST", "/event/search", {"limit": 1000})),
    "quiet-lamps-glow bans on a brave-otters-sing server": takaro(
        "root_b", "POST", "/player/ban", {"playerId": "f285bcf9-a3d7-4d05-aa25-0496cb7e6975",
                                          "gameServerId": SERVER_7D2D}, 404,
        ("root_b", "POST", "/player/ban/search", {})),
    # Takaro: a role manager (MANAGE_ROLES and MANAGE_USERS, no ROOT) stays within its rights
    "a role manager gives itself the root role": takaro(
        "vic", "POST", f"/user/{VIC}/role/{ROOT_ROLE}", None, 403, ("root_a", "GET", f"/user/{VIC}", None),
        "role_manager"),
    "a role manager gives itself a role holding ROOT": takaro(
        "vic", "POST", f"/user/{VIC}/role/{ADMIN_ROLE}", None, 403, ("root_a", "GET", f"/user/{VIC}", None),
        "role_manager"),
    "a role manager gives itself a role with a permission it lacks": takaro(
        "vic", "POST", f"/user/{VIC}/role/{MODERATOR}", None, 403, ("root_a", "GET", f"/user/{VIC}", None),
        "role_manager"),
    "a role manager gives a player a role holding ROOT": takaro(
        "vic", "POST", f"/player/{ADA}/role/{ADMIN_ROLE}", {}, 403, ("root_a", "GET", f"/player/{ADA}", None),
        "role_manager"),
    "a role manager creates a role holding ROOT": takaro(
        "vic", "POST", "/role", {"name": "Escape", "permissions": [{"permissionId": "{ROOT}"}]}, 403,
        ("root_a", "POST", "/role/search", {}), "role_manager"),
    "a role manager adds ROOT to its own role": takaro(
        "vic", "PUT", "/role/{role}", {"permissions": [{"permissionId": "{ROOT}"}]}, 403,
        ("root_a", "GET", "/role/{role}", None), "role_manager"),
    # Timekit: a resource's credentials act on their own resource
    "Doc Brown lists the app's keys": timekit("doc", "GET", "/credentials", None, 403),
    "Doc Brown mints a live key": timekit("doc", "POST", "/credentials", {"mode": "live"}, 403, ("app", "/credentials")),
    "Doc Brown renames Marty": timekit("doc", "PUT", f"/resources/{MARTY}", {"name": "Calvin Klein"}, 403,
                                       ("app", f"/resources/{MARTY}")),
    "Doc Brown deletes himself": timekit("doc", "DELETE", f"/resources/{DOC}", None, 403, ("app", f"/resources/{DOC}")),
    "Doc Brown creates a resource": timekit("doc", "POST", "/resources", {"name": "Jennifer", "timezone": "UTC"}, 403,
                                            ("app", "/resources")),
    "Doc Brown edits a project": timekit("doc", "PUT", f"/projects/{PROJECT_FLUX}", {"name": "Mine"}, 403,
                                         ("app", f"/projects/{PROJECT_FLUX}")),
    "Doc Brown edits the app's settings": timekit("doc", "PUT", f"/apps/{APP_SLUG}", {"name": "Doc's app"}, 403,
                                                  ("app", "/app")),
    "Doc Brown confirms Marty's booking": timekit("doc", "PUT", f"/bookings/{MARTY_TENTATIVE}/confirm", {}, 403,
                                                  ("app", f"/bookings/{MARTY_TENTATIVE}")),
    "Doc Brown deletes Marty's calendar": timekit("doc", "DELETE", f"/calendars/{MARTY_CALENDAR}", None, 403,
                                                  ("app", f"/calendars/{MARTY_CALENDAR}")),
    "Doc Brown reads Marty": timekit("doc", "GET", f"/resources/{MARTY}", None, 404),
    "Doc Brown books Marty": timekit("doc", "POST", "/bookings", {**booking_body(), "resource_id": MARTY}, 422,
                                     ("app", "/bookings")),
    # Timekit: another app's resource
    "the app puts another app's resource in a project": timekit(
        "app", "PUT", f"/projects/{PROJECT_FLUX}/resources", ["{resource}"], 422,
        ("app", f"/projects/{PROJECT_FLUX}/resources"), "other_app"),
    "the app books another app's resource": timekit(
        "app", "POST", "/bookings", {**booking_body(), "resource_id": "{resource}"}, 422, ("app", "/bookings"),
        "other_app"),
}


def role_manager(client) -> dict:
    """Vic, a dashboard user of brave-otters-sing, given a role that manages roles and users and
    reads them, but holds no ROOT."""
    codes = {p["permission"]: p["id"] for p in load_fixtures(FIXTURES / "takaro")["permissions"]
             if p.get("domain") is None}
    wanted = ("MANAGE_ROLES", "READ_ROLES", "MANAGE_USERS", "READ_USERS", "MANAGE_PLAYERS")
    role = client.post(f"{T}/role", headers=bearer("root_a"), json={
        "name": "Role managers", "permissions": [{"permissionId": codes[c]} for c in wanted]}).json()["data"]
    assigned = client.post(f"{T}/user/{VIC}/role/{role['id']}", headers=bearer("root_a"))
    assert assigned.status_code == 200, assigned.text
    return {"role": role["id"], "ROOT": codes["ROOT"]}


def other_app_resource(client) -> dict:
    return {"resource": other_app(client)["foreign"]["resource"]}


SETUPS = {"role_manager": role_manager, "other_app": other_app_resource}
CALLERS = {"alice": lambda: platform_auth("alice"), "bob": lambda: platform_auth("bob"),
           "dave": lambda: platform_auth("dave"), "root_a": lambda: bearer("root_a"),
           "root_b": lambda: bearer("root_b"), "vic": lambda: bearer("vic", A), "doc": resource_auth,
           "app": lambda: APP}


def error_format(api: str, status: int, body: Any) -> bool:
    """The API's own error body for this status."""
    if api == "platform":
        return all({"status", "title", "detail", "code", "meta"} <= set(e) and e["status"] == status
                   for e in body["errors"])
    if api == "takaro":
        codes = {400: {"BadRequestError", "ValidationError"}, 403: {"ForbiddenError"}, 404: {"NotFoundError"}}
        return body["data"] == {} and body["meta"]["error"]["code"] in codes[status]
    if status == 422:
        return isinstance(body["errors"], dict) and all(isinstance(v, list) for v in body["errors"].values())
    return isinstance(body["error"], str) and (status != 404 or "model" in body)


def send(client, who: str, method: str, path: str, body: Any):
    client.cookies.clear()
    return client.request(method, path, json=body, headers=CALLERS[who]())


@pytest.mark.parametrize("name", list(ATTACKS))
def test_attack_is_refused_and_changes_nothing(client, name):
    attack = ATTACKS[name]
    made = SETUPS[attack.setup](client) if attack.setup else {}
    watch = fill(attack.watch, made) if attack.watch else None
    before = send(client, *watch).json() if watch else None
    response = send(client, attack.who, attack.method, fill(attack.path, made), fill(attack.body, made))
    assert response.status_code == attack.status, response.text
    assert error_format(attack.api, attack.status, response.json()), response.text
    if watch:
        assert send(client, *watch).json() == before


CODE, CODE_REVISION = "5b0d6d4b2c3f1a0012000003", "17fe90a939d9ba0a3823a1051863f6e41c0213fe"  # Acme's code component
CRM_REVISION = "81cdb3779d0de3ad8d37f87fb92beab1ba35dddc"  # Globex's crm component


def test_include_never_returns_what_the_caller_could_not_get(app, client):
    """A flow of dave's whose steps run Acme's code component and Globex's crm (stored before steps
    were checked): `include=descriptor` has crm's descriptor, not the one a direct GET refuses."""
    nodes = [{"id": "step_1", "command": CODE_COMMAND}, {"id": "step_2", "command": CRM_COMMAND}]
    app.store.view("platform").update("flows", GLOBEX_FLOW, lambda d: d["attributes"].update(
        graph={"nodes": nodes, "edges": []}))
    direct = client.get(f"{P}/components/{CODE}/versions/{CODE_REVISION}/descriptor", headers=platform_auth("dave"))
    flow = client.get(f"{P}/flows/{GLOBEX_FLOW}", params={"include": "descriptor"}, headers=platform_auth("dave"))
    included = {(i["type"], i["id"]) for i in flow.json()["included"]}
    assert (direct.status_code, flow.status_code) == (404, 200)
    assert ("descriptor", CRM_REVISION) in included and ("descriptor", CODE_REVISION) not in included


# What the rules above still let through: a caller acting within its own rights.
ALLOWED = {
    "Doc Brown reads the app and its token (documented)": ("doc", "GET", f"{K}/app?include=app_token", None,
                                                           lambda data: data["app_token"].startswith("live_")),
    "Doc Brown renames himself": ("doc", "PUT", f"{K}/resources/{DOC}", {"first_name": "Emmett"},
                                  lambda data: data["first_name"] == "Emmett"),
    "Doc Brown's resources are himself": ("doc", "GET", f"{K}/resources", None,
                                          lambda data: [r["id"] for r in data] == [DOC]),
    "Doc Brown adds a calendar to himself": ("doc", "POST", f"{K}/calendars", {"name": "Side", "resource_id": DOC},
                                             lambda data: data["resource_id"] == DOC),
    "bob (contract admin) makes carol an admin": (
        "bob", "PATCH", f"{P}/contracts/{C1}/members/{USERS['carol']}",
        doc("contract-member", {"roles": ["admin"]}, id=USERS["carol"]), lambda data: data["attributes"]["roles"] == ["admin"]),
    "alice (owner) makes bob an owner": (
        "alice", "PATCH", f"{P}/contracts/{C1}/members/{BOB}", doc("contract-member", {"roles": ["owner"]}, id=BOB),
        lambda data: data["attributes"]["roles"] == ["owner"]),
    "a role manager gives Mo its own role": ("vic", "POST", f"{T}/user/160cec7c-6a2c-4be6-8ff5-de714abff70c/role/{{role}}",
                                             None, lambda data: data == {}),
}


@pytest.mark.parametrize("name", list(ALLOWED))
def test_within_their_rights_callers_still_act(client, name):
    who, method, path, body, holds = ALLOWED[name]
    made = role_manager(client) if "{role}" in path else {}
    response = send(client, who, method, fill(path, made), body)
    assert 200 <= response.status_code < 300, response.text
    data = response.json()["data"]
    assert holds(data), data
