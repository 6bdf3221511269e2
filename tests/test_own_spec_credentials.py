"""Credentials of a user's spec, as a client sees them: each security scheme's demo credential
(listed by `GET /__understudy/credentials` with what to send), accepted; a missing or wrong one
401, a missing scope 403; several schemes in one requirement; `--credentials FILE`;
`--any-credential`; and what the journal keeps of them."""

from __future__ import annotations

import base64
from urllib.parse import unquote

import pytest
from starlette.testclient import TestClient

from conftest import TEST_CONFIG
from understudy.app import create_app

pytestmark = pytest.mark.once

LOCKS = """openapi: 3.0.3
info: {title: Locks, version: '1'}
components:
  securitySchemes:
    basic: {type: http, scheme: basic}
    bearer: {type: http, scheme: bearer}
    digest: {type: http, scheme: digest}
    key: {type: apiKey, in: header, name: Ocp-Apim-Subscription-Key}
    query: {type: apiKey, in: query, name: key}
    cookie: {type: apiKey, in: cookie, name: session}
    oauth: {type: oauth2, flows: {clientCredentials: {tokenUrl: 'https://a.example/t', scopes: {read: r, write: w}}}}
    oidc: {type: openIdConnect, openIdConnectUrl: 'https://a.example/.well-known/openid-configuration'}
  responses:
    Ok:
      description: ok
      content: {application/json: {schema: {type: object, properties: {ok: {type: boolean}}}, example: {ok: true}}}
    Denied: {description: denied, content: {application/problem+json: {schema: {type: object}}}}
paths:
""" + "".join(
    f"  {path}: {{get: {{security: {security}, responses: {{'200': {{$ref: '#/components/responses/Ok'}}, "
    f"'401': {{$ref: '#/components/responses/Denied'}}, '403': {{$ref: '#/components/responses/Denied'}}}}}}}}\n"
    for path, security in [
        ("/basic", "[{basic: []}]"), ("/bearer", "[{bearer: []}]"), ("/digest", "[{digest: []}]"),
        ("/key", "[{key: []}]"), ("/query", "[{query: []}]"), ("/cookie", "[{cookie: []}]"),
        ("/read", "[{oauth: [read]}]"), ("/write", "[{oauth: [write]}]"), ("/oidc", "[{oidc: [profile]}]"),
        ("/together", "[{key: [], query: []}]"), ("/either", "[{basic: []}, {bearer: []}]"),
        ("/optional", "[{}, {bearer: []}]"), ("/open", "[]"),
    ])


@pytest.fixture(scope="module")
def spec_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("locks") / "locks.yaml"
    path.write_text(LOCKS, encoding="utf-8")
    return path


def serve(spec_file, **config) -> TestClient:
    return TestClient(create_app({**TEST_CONFIG, "specs": [str(spec_file)], **config}),
                      raise_server_exceptions=False)


@pytest.fixture(scope="module")
def locks(spec_file):
    with serve(spec_file) as client:
        yield client


@pytest.fixture(scope="module")
def listed(locks):
    """What `GET /__understudy/credentials` says to send, per scheme."""
    return {entry["scheme"]: entry for entry in locks.get("/__understudy/credentials").json()["locks"]}


def send(client, path, *entries):
    headers, params, cookies = {}, {}, {}
    for entry in entries:
        headers.update(entry.get("headers", {}))
        params.update(entry.get("query", {}))
        cookies.update(entry.get("cookies", {}))
    client.cookies.clear()
    for name, value in cookies.items():
        client.cookies.set(name, value)
    return client.get(path, headers=headers, params=params)


@pytest.mark.parametrize("scheme, part, name", [
    ("basic", "headers", "Authorization"),
    ("bearer", "headers", "Authorization"),
    ("digest", "headers", "Authorization"),
    ("key", "headers", "Ocp-Apim-Subscription-Key"),
    ("query", "query", "key"),
    ("cookie", "cookies", "session"),
    ("oauth", "headers", "Authorization"),
    ("oidc", "headers", "Authorization"),
])
def test_every_scheme_is_listed_with_what_to_send(listed, scheme, part, name):
    entry = listed[scheme]
    assert set(entry) >= {"scheme", "headers", "query", "cookies"} and name in entry[part]


@pytest.mark.parametrize("path, schemes, status", [
    # -- each scheme kind, with its listed demo credential
    ("/basic", ["basic"], 200),
    ("/bearer", ["bearer"], 200),
    ("/digest", ["digest"], 200),
    ("/key", ["key"], 200),
    ("/query", ["query"], 200),
    ("/cookie", ["cookie"], 200),
    ("/read", ["oauth"], 200),  # the demo token holds every scope of its scheme
    ("/write", ["oauth"], 200),
    ("/oidc", ["oidc"], 200),
    # -- several schemes together in one requirement: both needed
    ("/together", ["key", "query"], 200),
    ("/together", ["key"], 401),
    ("/together", ["query"], 401),
    # -- alternatives: either one
    ("/either", ["basic"], 200),
    ("/either", ["bearer"], 200),
    ("/optional", [], 200),
    ("/open", [], 200),
    # -- missing
    ("/basic", [], 401),
    ("/key", [], 401),
    ("/query", [], 401),
    ("/cookie", [], 401),
    ("/read", [], 401),
    ("/either", [], 401),
    # -- another scheme's credential is not this one's
    ("/basic", ["bearer"], 401),
    ("/key", ["cookie"], 401),
])
def test_demo_credentials(locks, listed, path, schemes, status):
    response = send(locks, path, *(listed[s] for s in schemes))
    assert response.status_code == status
    if status == 401:
        assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("path, headers, cookies, status", [
    ("/basic", {"Authorization": "Basic " + base64.b64encode(b"demo:wrong").decode()}, {}, 401),
    ("/basic", {"Authorization": "Basic !!!"}, {}, 401),
    ("/bearer", {"Authorization": "Bearer wrong"}, {}, 401),
    ("/bearer", {"Authorization": "Bearer "}, {}, 401),
    ("/key", {"Ocp-Apim-Subscription-Key": "wrong"}, {}, 401),
    ("/cookie", {}, {"session": "wrong"}, 401),
    ("/read", {"Authorization": "Bearer wrong"}, {}, 401),
])
def test_wrong_credentials(locks, path, headers, cookies, status):
    assert send(locks, path, {"headers": headers, "cookies": cookies}).status_code == status


def test_a_basic_challenge_comes_with_a_401(locks):
    assert locks.get("/basic").headers["www-authenticate"].startswith("Basic")


# -- your own credentials, and any credential --------------------------------------------------
CREDENTIALS = """oauth: {token: reader-token, scopes: [read]}
basic: [{username: ada, password: lovelace}]
key: {value: my-own-key}
"""


@pytest.mark.parametrize("path, headers, status", [
    ("/read", {"Authorization": "Bearer reader-token"}, 200),
    ("/write", {"Authorization": "Bearer reader-token"}, 403),  # the scope it lacks
    ("/basic", {"Authorization": "Basic " + base64.b64encode(b"ada:lovelace").decode()}, 200),
    ("/key", {"Ocp-Apim-Subscription-Key": "my-own-key"}, 200),
    ("/bearer", {"Authorization": "Bearer anything"}, 401),  # a scheme the file gives no credential
])
def test_credentials_file(spec_file, tmp_path, path, headers, status):
    (tmp_path / "creds.yaml").write_text(CREDENTIALS)
    with serve(spec_file, credentials=str(tmp_path / "creds.yaml")) as client:
        listed = {e["scheme"] for e in client.get("/__understudy/credentials").json()["locks"]}
        assert listed == {"oauth", "basic", "key"}
        assert client.get(path, headers=headers).status_code == status


def test_the_demo_credentials_are_refused_with_a_credentials_file(spec_file, tmp_path, listed):
    (tmp_path / "creds.yaml").write_text(CREDENTIALS)
    with serve(spec_file, credentials=str(tmp_path / "creds.yaml")) as client:
        assert send(client, "/key", listed["key"]).status_code == 401


@pytest.mark.parametrize("path, headers, params, status", [
    ("/basic", {"Authorization": "Basic " + base64.b64encode(b"who:ever").decode()}, {}, 200),
    ("/bearer", {"Authorization": "Bearer whatever"}, {}, 200),
    ("/write", {"Authorization": "Bearer whatever"}, {}, 200),  # every scope
    ("/query", {}, {"key": "anything"}, 200),
    ("/together", {"Ocp-Apim-Subscription-Key": "x"}, {"key": "y"}, 200),
    ("/bearer", {}, {}, 401),  # still missing
    ("/basic", {"Authorization": "Basic !!!"}, {}, 401),  # not well formed
])
def test_any_credential(spec_file, path, headers, params, status):
    with serve(spec_file, any_credential=True) as client:
        assert client.get(path, headers=headers, params=params).status_code == status


# -- the journal keeps no secret ----------------------------------------------------------------
@pytest.mark.parametrize("path, schemes, where, name", [
    ("/key", ["key"], "headers", "ocp-apim-subscription-key"),  # a name no rule would guess
    ("/bearer", ["bearer"], "headers", "authorization"),
    ("/cookie", ["cookie"], "headers", "cookie"),
    ("/query", ["query"], "query", "key"),
])
def test_the_journal_masks_what_the_schemes_name(locks, listed, path, schemes, where, name):
    entries = [listed[s] for s in schemes]
    secret = next(v for e in entries for part in ("headers", "query", "cookies") for v in e[part].values())
    send(locks, path, *entries)
    entry = locks.get("/__understudy/requests", params={"path": path}).json()["requests"][-1]
    kept = entry["request"]["headers"] if where == "headers" else entry["query"]
    shown = {k.lower(): v for k, v in kept.items()}.get(name) if where == "headers" else kept
    secret_part = secret.split(" ", 1)[-1]
    assert secret_part not in str(entry) and "****" in unquote(str(shown))
