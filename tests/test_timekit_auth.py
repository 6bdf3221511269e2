"""Timekit's auth: the app key as the Basic password with an empty user (test keys mark responses
`Timekit-TestMode: true`), resource `email:api_token` with `Timekit-App`, `POST /auth`, API keys
created and revoked through `/credentials`."""

import pytest

from conftest import basic
from timekit_support import (APP, APP_SLUG, BASE, DOC, DOC_TOKEN, INSTANT_CONFIRMED, LIVE_KEY, MARTY,
                             MARTY_TENTATIVE, MARTY_TOKEN, TEST_KEY, resource_auth)


@pytest.mark.parametrize("headers, params, status, test_mode", [
    # the app key, as the seed's curl sends it
    (basic("", LIVE_KEY), {}, 200, None),
    (basic("", TEST_KEY), {}, 200, "true"),
    # resource credentials with the app's slug in the header or the query
    (resource_auth(), {}, 200, None),
    (basic("doc.brown@timekit.io", DOC_TOKEN), {"Timekit-App": APP_SLUG}, 200, None),
    # wrong or missing credentials
    ({}, {}, 401, None),
    (basic("", LIVE_KEY[:-1]), {}, 401, None),
    (basic("", ""), {}, 401, None),
    (basic("anyone", LIVE_KEY), {}, 401, None),  # an app key is sent with an empty user
    ({"Authorization": f"Bearer {LIVE_KEY}"}, {}, 401, None),
    ({"Authorization": "Basic not-base64!"}, {}, 401, None),
    (basic("doc.brown@timekit.io", DOC_TOKEN), {}, 401, None),  # no Timekit-App
    (resource_auth(app="another-app"), {}, 401, None),
    (resource_auth(token=MARTY_TOKEN), {}, 401, None),  # Marty's token is not Doc's
    (resource_auth(token="FluxCapacitor"), {}, 401, None),  # the password is not the token
])
def test_credentials(client, headers, params, status, test_mode):
    response = client.get(f"{BASE}/bookings", headers=headers, params=params)
    assert (response.status_code, response.headers.get("Timekit-TestMode")) == (status, test_mode)


def test_refusal_is_401_in_timekits_format(client):
    response = client.get(f"{BASE}/bookings", headers=basic("", "live_api_key_wrong"))
    assert response.status_code == 401
    assert set(response.json()) == {"error"}
    assert response.headers["WWW-Authenticate"].startswith("Basic")


@pytest.mark.parametrize("method, path, body", [
    ("get", "/bookings", None),
    ("get", "/bookings/00000000-0000-4000-8000-000000000000", None),
    ("post", "/availability", {"resources": []}),
    ("get", "/nowhere", None),
    ("delete", "/bookings/bulk", None),
])
def test_every_response_carries_a_request_id(client, method, path, body):
    first = client.request(method, f"{BASE}{path}", json=body, headers=APP)
    second = client.request(method, f"{BASE}{path}", json=body, headers={})
    ids = [first.headers.get("Timekit-Request-Id"), second.headers.get("Timekit-Request-Id")]
    assert all(len(i or "") == 36 for i in ids) and ids[0] != ids[1]


def test_resource_credentials_see_only_their_resources_bookings(client):
    marty = resource_auth("marty.mcfly@timekit.io", MARTY_TOKEN)
    mine = client.get(f"{BASE}/bookings", headers=marty)
    others = client.get(f"{BASE}/bookings/{INSTANT_CONFIRMED}", headers=marty)
    own = client.get(f"{BASE}/bookings/{MARTY_TENTATIVE}", headers=marty)
    assert mine.json()["total"] == 6
    assert {b["id"] for b in mine.json()["data"]} >= {MARTY_TENTATIVE}
    assert (others.status_code, own.status_code) == (404, 200)


@pytest.mark.parametrize("body, headers, status", [
    ({"email": "doc.brown@timekit.io", "password": "FluxCapacitor"}, {}, 200),
    ({"email": "doc.brown@timekit.io", "password": "FluxCapacitor"}, {"Timekit-App": APP_SLUG}, 200),
    ({"email": "doc.brown@timekit.io", "password": "FluxCapacitor"}, {"Timekit-App": "another-app"}, 401),
    ({"email": "doc.brown@timekit.io", "password": "fluxcapacitor"}, {}, 401),
    ({"email": "emmett@timekit.io", "password": "FluxCapacitor"}, {}, 401),
])
def test_auth_trades_a_password_for_the_api_token(client, body, headers, status):
    response = client.post(f"{BASE}/auth", json=body, headers=headers)
    assert response.status_code == status
    if status == 200:
        data = response.json()["data"]
        assert (data["id"], data["email"], data["api_token"]) == (DOC, "doc.brown@timekit.io", DOC_TOKEN)


def test_the_token_from_auth_authenticates(client):
    login = {"email": "marty.mcfly@timekit.io", "password": "Hoverboard2015"}
    data = client.post(f"{BASE}/auth", json=login).json()["data"]
    response = client.get(f"{BASE}/resources/{MARTY}", headers=resource_auth(data["email"], data["api_token"]))
    assert response.status_code == 200


def test_a_new_key_authenticates_and_a_revoked_one_does_not(client):
    created = client.post(f"{BASE}/credentials", json={"mode": "test", "description": "widget"}, headers=APP)
    key = created.json()["data"]
    with_new = client.get(f"{BASE}/app", headers=basic("", key["token"]))
    revoked = client.delete(f"{BASE}/credentials/{key['id']}", headers=APP)
    after = client.get(f"{BASE}/app", headers=basic("", key["token"]))
    assert key["token"].startswith("test_api_key_")
    assert (with_new.status_code, with_new.headers.get("Timekit-TestMode")) == (200, "true")
    assert (revoked.status_code, after.status_code) == (204, 401)


def test_post_auth_needs_no_credentials_but_everything_else_does(app, client):
    spec = app.mounts["timekit"].spec
    open_operations = [(path, method) for path, item in spec["paths"].items() for method, op in item.items()
                       if isinstance(op, dict) and op.get("security") == []]
    assert open_operations == [("/auth", "post")]


def test_a_key_cannot_revoke_itself(client):
    live = "05462007-79c2-50e8-b165-5e6cf4a4c695"  # the credential of the key APP authenticates with
    refused = client.delete(f"{BASE}/credentials/{live}", headers=APP)
    assert (refused.status_code, refused.json()) == (422, {"error": "A key cannot revoke itself; call with another key"})
    assert client.get(f"{BASE}/app", headers=APP).status_code == 200
