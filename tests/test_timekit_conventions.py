"""Timekit's conventions: JSON bodies, timestamps in and out (with the time zone and format
headers), the error formats, routing answers, every fixture served within its response schema,
every request example of the spec accepted, and the seed's curl against a running server."""

import json
import re
import shlex
import shutil
import subprocess

import pytest
from connexion.json_schema import Draft4ResponseValidator
from starlette.testclient import TestClient

from conftest import FIXTURES, SEEDS
from timekit_support import APP, BASE, DOC, INSTANT_CONFIRMED, LIVE_KEY, PROJECT_FLUX, booking_body
from understudy.app import create_app


# -- JSON -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("content, content_type, status", [
    (json.dumps(booking_body()), "application/json", 201),
    (json.dumps(booking_body()), "application/json; charset=utf-8", 201),
    (json.dumps(booking_body()), "text/plain", 415),
    ("graph=instant", "application/x-www-form-urlencoded", 415),
    ('{"graph": "instant",', "application/json", 400),
    (b'{"what": "\xff"}', "application/json", 400),
])
def test_bodies_are_json(client, content, content_type, status):
    response = client.post(f"{BASE}/bookings", content=content, headers={**APP, "Content-Type": content_type})
    assert response.status_code == status
    assert ("data" if status == 201 else "error") in response.json()


# -- time -----------------------------------------------------------------------------------------

RAW_APP = create_app({"apis": ["timekit"]})


@pytest.fixture
def raw_client():
    """Timestamps in a custom output format are not RFC3339, so responses asked for in one cannot
    pass the spec's `date-time` checks: this client's app does not validate its responses."""
    with TestClient(RAW_APP, raise_server_exceptions=False) as c:
        yield c


def start_of(response) -> str:
    return response.json()["data"]["attributes"]["event_info"]["start"]


@pytest.mark.parametrize("headers, params, start, created_pattern", [
    # RFC3339 by default
    ({}, {}, "2026-12-14T10:00:00-08:00", r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$"),
    # converted to the requested time zone
    ({"Timekit-Timezone": "Europe/Copenhagen"}, {}, "2026-12-14T19:00:00+01:00", r"\+01:00$"),
    ({"Timekit-Timezone": "UTC"}, {}, "2026-12-14T18:00:00+00:00", r"\+00:00$"),
    # in the requested PHP date() format, by header (both spellings) or query parameter
    ({"Timekit-OutputTimestampFormat": "Y-m-d h:ia"}, {}, "2026-12-14 10:00am", r"^\d{4}-\d\d-\d\d \d\d:\d\d[ap]m$"),
    ({"OutputTimestampFormat": "D, d M Y H:i O"}, {}, "Mon, 14 Dec 2026 10:00 -0800", r"^\w{3}, "),
    ({}, {"OutputTimestampFormat": "U"}, "1797271200", r"^\d+$"),
    ({"Timekit-Timezone": "America/New_York", "Timekit-OutputTimestampFormat": "g:i A T"}, {}, "1:00 PM EST", r"(AM|PM) EST$"),
    # an unknown zone leaves the timestamps as they are
    ({"Timekit-Timezone": "Hill_Valley/Clock_Tower"}, {}, "2026-12-14T10:00:00-08:00", r"\+00:00$"),
])
def test_output_timestamps(raw_client, headers, params, start, created_pattern):
    response = raw_client.get(f"{BASE}/bookings/{INSTANT_CONFIRMED}", params={"include": "attributes", **params},
                              headers={**APP, **headers})
    assert response.status_code == 200
    assert start_of(response) == start
    assert re.search(created_pattern, response.json()["data"]["created_at"])


@pytest.mark.parametrize("headers, start, end, stored", [
    ({"Timekit-InputTimestampFormat": "Y-m-d h:ia"}, "2026-12-14 03:00pm", "2026-12-14 04:00pm", "2026-12-14T15:00:00+00:00"),
    ({"InputTimestampFormat": "d/m/Y H:i O"}, "14/12/2026 15:00 -0800", "14/12/2026 16:00 -0800", "2026-12-14T15:00:00-08:00"),
    # the request's time zone for timestamps without an offset (and for the response)
    ({"Timekit-Timezone": "America/Los_Angeles"}, "2026-12-14T15:00:00", "2026-12-14T16:00:00", "2026-12-14T15:00:00-08:00"),
    ({"Timekit-Timezone": "America/Los_Angeles", "Timekit-InputTimestampFormat": "Y-m-d H:i"}, "2026-12-14 15:00",
     "2026-12-14 16:00", "2026-12-14T15:00:00-08:00"),
    # RFC3339 is still accepted with a custom input format
    ({"Timekit-InputTimestampFormat": "Y-m-d h:ia"}, "2026-12-14T15:00:00-08:00", "2026-12-14T16:00:00-08:00",
     "2026-12-14T15:00:00-08:00"),
])
def test_input_timestamps(client, headers, start, end, stored):
    response = client.post(f"{BASE}/bookings", params={"include": "attributes"},
                           json=booking_body(start=start, end=end), headers={**APP, **headers})
    assert response.status_code == 201, response.text
    assert start_of(response) == stored


@pytest.mark.parametrize("start", ["2026-12-14 3pm", "14/12/2026", "2026-13-14T15:00:00Z", "2026-12-14T25:00:00Z",
                                   "1776-07-04T12:00:00Z"])
def test_invalid_timestamps_are_422(client, start):
    response = client.post(f"{BASE}/bookings", json=booking_body(start=start), headers=APP)
    assert response.status_code == 422 and list(response.json()["errors"]) == ["start"]


# -- errors and routing ---------------------------------------------------------------------------

def test_validation_lists_every_field_with_messages(client):
    body = {"graph": "nope", "resource_id": 42, "customer": {"email": 7}, "settings": {"max_seats": 0}}
    errors = client.post(f"{BASE}/bookings", json=body, headers=APP).json()["errors"]
    assert sorted(errors) == ["customer.email", "customer.name", "graph", "resource_id", "settings.max_seats"]
    assert all(isinstance(m, list) and m and all(isinstance(t, str) for t in m) for m in errors.values())


@pytest.mark.parametrize("method, path, status, allow", [
    ("get", "/bookings/bulk", 405, "PUT, POST"),
    ("delete", "/bookings/groups", 405, "GET, HEAD"),
    ("get", f"/bookings/{INSTANT_CONFIRMED}/confirm", 405, "PUT"),
    ("patch", f"/bookings/{INSTANT_CONFIRMED}", 405, "GET, PUT, DELETE, HEAD"),
    ("get", "/bookings/reserve/extend", 405, "PUT"),
    ("get", "/accounts/microsoft/sync", 405, "POST"),
    ("get", "/teleport", 404, None),
    ("get", "/teleport/", 404, None),
])
def test_routing_answers(client, method, path, status, allow):
    response = client.request(method, f"{BASE}{path}", headers=APP)
    assert (response.status_code, response.headers.get("Allow")) == (status, allow)
    assert set(response.json()) == {"error"}


@pytest.mark.parametrize("method, path, body, status", [
    # what timekit-sdk 1.19.8 sends: createCalendar(), rescheduleBooking()
    ("post", "/calendars/", {"name": "Time travel", "resource_id": DOC}, 201),
    ("post", f"/bookings/{INSTANT_CONFIRMED}/reschedule/",
     {"start": "2026-12-14T16:00:00-08:00", "end": "2026-12-14T17:00:00-08:00"}, 201),
    # any path, either way
    ("get", "/bookings/", None, 200),
    ("get", f"/bookings/{INSTANT_CONFIRMED}/", None, 200),
])
def test_a_trailing_slash_is_served_not_redirected(client, method, path, body, status):
    response = client.request(method, f"{BASE}{path}", json=body, headers=APP, follow_redirects=False)
    assert response.status_code == status, response.text
    assert response.json()["data"]


# -- fixtures and examples against the spec ---------------------------------------------------------

def fixture_ids(collection: str, key: str = "id") -> list[str]:
    return [d[key] for d in json.loads((FIXTURES / "timekit" / f"{collection}.json").read_text())]


SERVED = [
    # collection, path of one document, include
    ("bookings", "/bookings/{}", "attributes,customers,calendar,event,logs,available_actions,user,resource,provider_event"),
    ("resources", "/resources/{}", None),
    ("calendars", "/calendars/{}", None),
    ("events", "/events/{}", None),
    ("projects", "/projects/{}", None),
    ("locations", "/locations/{}", None),
    ("services", "/location/services/{}", None),
    ("templates", "/templates/{}", None),
]


@pytest.mark.parametrize("collection, path, include, ident", [
    (collection, path, include, ident)
    for collection, path, include in SERVED
    for ident in fixture_ids(collection, "slug" if collection == "templates" else "id")
])
def test_every_fixture_is_served_within_its_schema(app, client, collection, path, include, ident):
    spec = app.mounts["timekit"].spec
    params = {"include": include} if include else {}
    response = client.get(f"{BASE}{path.format(ident)}", params=params, headers=APP)
    schema = spec["paths"][path.replace("{}", "{slug}" if collection == "templates" else "{id}")]["get"]
    validator = Draft4ResponseValidator(schema["responses"]["200"]["content"]["application/json"]["schema"])
    assert response.status_code == 200
    assert list(validator.iter_errors(response.json())) == []


@pytest.mark.parametrize("collection, path", [
    ("apps", "/apps"), ("credentials", "/credentials"), ("accounts", "/accounts"),
])
def test_listed_fixtures_are_within_their_schema(app, client, collection, path):
    spec = app.mounts["timekit"].spec
    response = client.get(f"{BASE}{path}", headers=APP)
    ok = spec["paths"][path]["get"]["responses"]["200"]
    validator = Draft4ResponseValidator(ok["content"]["application/json"]["schema"])
    assert response.json()["total"] == len(fixture_ids(collection))
    assert list(validator.iter_errors(response.json())) == []


def request_examples(spec: dict):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}) \
                if isinstance(operation, dict) else {}
            example = body.get("schema", {}).get("example")
            if example is not None:
                yield pytest.param(method, path, example, id=f"{method.upper()} {path}")


SPEC = create_app({"apis": ["timekit"]}).mounts["timekit"].spec
# the documents the path parameters of the examples name, by the path's first segment
EXAMPLE_IDS = {"bookings": INSTANT_CONFIRMED, "resources": DOC, "projects": PROJECT_FLUX,
               "calendars": "22f86f0c-ee80-470c-95e8-dadd9d05edd2"}


@pytest.mark.parametrize("method, path, example", list(request_examples(SPEC)))
def test_every_request_example_is_accepted(client, method, path, example):
    concrete = path.replace("{id}", EXAMPLE_IDS.get(path.split("/")[1], "")).replace("{action}", "complete")
    response = client.request(method, f"{BASE}{concrete}", json=example, headers=APP)
    assert response.status_code in (200, 201), response.text


# -- the seed's curl --------------------------------------------------------------------------------

def seed_curl(base_url: str) -> list[str]:
    """The seed's curl command with only the URL filled in (its `--url` is empty in the seed).
    The seed's lines are indented with non-breaking spaces and continued with `\\`."""
    text = (SEEDS / "001_6a2a4eff61dcccd7.txt").read_text(encoding="utf-8").replace("\u00a0", " ")
    lines = text[text.index("curl --request GET"):].splitlines()
    command = []
    for line in lines:
        line = line.rstrip()
        command.append(line.rstrip("\\").strip())
        if not line.endswith("\\"):
            break
    joined = " ".join(command).replace("--url ", f"--url {base_url}/bookings ", 1)
    return shlex.split(joined)


@pytest.mark.once  # the plugin's server (the `understudy` fixture) is the same on every store pass
@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_seeds_curl_lists_every_booking(understudy):
    command = seed_curl(understudy.url("timekit"))
    assert command[:3] == ["curl", "--request", "GET"] and f":{LIVE_KEY}" in command
    result = subprocess.run(command, capture_output=True, text=True, timeout=30)
    body = json.loads(result.stdout)
    assert (body["total"], len(body["data"]), body["current_page"]) == (40, 40, 1)
