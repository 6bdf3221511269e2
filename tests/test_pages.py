"""The engine's pages as a browser gets them: each Swagger UI carries its API's demo credentials,
a page's script gets no login challenge with a 401, every page has a favicon, and the index
links every API and the admin API's own UI."""

import json
import re

import pytest
from starlette.testclient import TestClient

from conftest import TEST_CONFIG
from understudy.app import create_app

pytestmark = pytest.mark.once

PAGE = {"X-Requested-With": "XMLHttpRequest"}


def page_auth(client, prefix: str) -> dict:
    found = re.search(r"const AUTH = (.*);", client.get(f"{prefix}/ui/").text)
    return json.loads(found.group(1))


@pytest.mark.parametrize("api, expected", [
    ("tiikr", {"basicAuth": {"username": "owner", "password": "owner-password"}}),
    # the form's placeholder for the empty user, which the page sends as empty
    ("timekit", {"basicAuth": {"username": "-", "password": "live_api_key_7nzvc7wsBQQISLeFSVhROys9V1bUJ1z7"}}),
    ("platform", {"basicAuth": {"username": "alice@acme.example", "password": "alice-api-key"}}),
    ("timbr", {"apiKeyAuth": {"value": "tk_ab3f0c7e41d24a9b8c1e5d2f6a7b6af3"}}),
    ("takaro", {"adminAuth": {"value": "xxx"}, "bearerAuth": {"value": "ory_st_DemoRootBraveOttersSing000000001"}}),
])
def test_swagger_ui_opens_authorized_with_the_demo_credentials(client, api, expected):
    auth = page_auth(client, f"/{api}")
    assert {k: v for k, v in auth.items() if k in expected} == expected


def test_the_admin_ui_needs_no_credentials(client):
    assert page_auth(client, "/__understudy") == {}


@pytest.mark.parametrize("headers, challenge", [
    ({}, 'Basic realm="Tiikr API"'),  # curl, SDKs
    (PAGE, None),  # a page's script: no browser login dialog
])
def test_a_pages_script_gets_no_login_challenge(client, headers, challenge):
    response = client.get("/tiikr/api/v1/test", headers=headers)
    assert (response.status_code, response.headers.get("www-authenticate")) == (401, challenge)


@pytest.mark.parametrize("config", [{}, {"single_api": "tiikr"}], ids=["every API", "one API at the root"])
def test_every_page_has_a_favicon(config):
    with TestClient(create_app({**TEST_CONFIG, **config})) as c:
        response = c.get("/favicon.ico")
    assert (response.status_code, response.headers["content-type"], response.content[:8]) == \
        (200, "image/png", b"\x89PNG\r\n\x1a\n")


def test_the_index_links_the_admin_ui_and_journal(client):
    html = client.get("/", headers={"Accept": "text/html"}).text
    assert 'href="/__understudy/ui/"' in html and 'href="/__understudy/requests"' in html
    body = client.get("/", headers={"Accept": "application/json"}).json()
    assert body["admin"]["ui"] == "/__understudy/ui/"


@pytest.mark.parametrize("snippet", [
    "-u owner:owner-password",
    "-u :live_api_key_7nzvc7wsBQQISLeFSVhROys9V1bUJ1z7",
    "-H &#39;x-api-key: tk_ab3f0c7e41d24a9b8c1e5d2f6a7b6af3&#39;",
    "-H &#39;Authorization: Bearer ory_st_DemoRootBraveOttersSing000000001&#39;",
    "-H &#39;X-Takaro-Admin-Token: xxx&#39;",
])
def test_the_index_gives_each_credential_as_a_snippet_to_copy(client, snippet):
    assert f'<code class="copyable">{snippet}</code>' in client.get("/", headers={"Accept": "text/html"}).text
