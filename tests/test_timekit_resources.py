"""Resources, the app, and the plain families (calendars, events, projects, locations, services,
templates, accounts): CRUD over the store in Timekit's envelopes and errors."""

import pytest

from conftest import basic
from timekit_support import APP, BASE, DOC, LORRAINE, MARTY, PROJECT_FLUX

NEW_RESOURCE = {"name": "Clara Clayton", "timezone": "America/Los_Angeles", "email": "clara.clayton@timekit.io",
                "first_name": "Clara", "last_name": "Clayton", "password": "Jules&Verne", "tags": ["teacher"]}


def test_resources_are_listed_with_their_calendars(client):
    page = client.get(f"{BASE}/resources", headers=APP).json()
    doc = next(r for r in page["data"] if r["id"] == DOC)
    assert page["total"] == 4
    assert [c["name"] for c in doc["calendars"]] == ["Bookings", "Lab work"]
    assert not {"password", "api_token", "app_id"} & set(doc)


@pytest.mark.parametrize("search, names", [
    ("tags:delorean", ["Doc Brown"]),
    ("timezone:America/*", ["Doc Brown", "Marty McFly", "Lorraine Baines"]),
    ("meta.band:the pinheads", ["Marty McFly"]),
    ("email:*@timekit.io;first_name:b*", ["Biff Tannen"]),
])
def test_resource_search(client, search, names):
    page = client.get(f"{BASE}/resources", params={"search": search}, headers=APP).json()
    assert [r["name"] for r in page["data"]] == names


def test_create_a_resource_with_a_bookings_calendar(client):
    response = client.post(f"{BASE}/resources", json=NEW_RESOURCE, headers=APP)
    data = response.json()["data"]
    assert response.status_code == 201
    assert (data["name"], data["email"], [c["name"] for c in data["calendars"]]) == \
        ("Clara Clayton", "clara.clayton@timekit.io", ["Bookings"])
    assert client.get(f"{BASE}/resources/{data['id']}", headers=APP).json()["data"] == data
    login = client.post(f"{BASE}/auth", json={"email": "clara.clayton@timekit.io", "password": "Jules&Verne"})
    assert login.status_code == 200


@pytest.mark.parametrize("body, errors", [
    ({}, {"name", "timezone"}),
    ({**NEW_RESOURCE, "timezone": "Hill Valley"}, {"timezone"}),
    ({**NEW_RESOURCE, "email": "DOC.BROWN@timekit.io"}, {"email"}),
    ({**NEW_RESOURCE, "email": "not-an-email", "tags": "teacher"}, {"email", "tags"}),
])
def test_resource_validation(client, body, errors):
    response = client.post(f"{BASE}/resources", json=body, headers=APP)
    assert response.status_code == 422 and set(response.json()["errors"]) == errors


def test_duplicate_email_message(client):
    response = client.post(f"{BASE}/resources", json={**NEW_RESOURCE, "email": "doc.brown@timekit.io"}, headers=APP)
    assert response.json() == {"errors": {"email": ["Email already exists"]}}


def test_update_a_resource(client):
    body = {"first_name": "Emmett L.", "timezone": "America/Denver", "meta": {"lab": "Clock tower"}, "id": "ignored"}
    data = client.put(f"{BASE}/resources/{DOC}", json=body, headers=APP).json()["data"]
    assert (data["id"], data["first_name"], data["timezone"], data["meta"]) == \
        (DOC, "Emmett L.", "America/Denver", {"lab": "Clock tower"})


def test_delete_a_resource(client):
    deleted = client.delete(f"{BASE}/resources/{MARTY}", headers=APP)
    after = client.get(f"{BASE}/resources/{MARTY}", headers=APP)
    calendars = client.get(f"{BASE}/calendars", headers=APP).json()["data"]
    assert (deleted.status_code, after.status_code, after.json()["model"]) == (204, 404, "Resource")
    assert MARTY not in {c["resource_id"] for c in calendars}


@pytest.mark.parametrize("email, status, data", [
    ("doc.brown@timekit.io", 200, {"timezone": "America/Los_Angeles", "utc_offset": -8}),
    ("biff.tannen@timekit.io", 200, {"timezone": "Europe/Copenhagen", "utc_offset": 1}),
    ("einstein@timekit.io", 404, None),
])
def test_timezone_by_email(client, email, status, data):
    response = client.get(f"{BASE}/resources/timezone/{email}", headers=APP)
    assert response.status_code == status
    if data:  # November to March: standard time in both zones
        assert response.json()["data"] == data


def test_reset_password_is_recorded_not_sent(app, client):
    response = client.post(f"{BASE}/resources/resetpassword", json={"email": "lorraine.baines@timekit.io"}, headers=APP)
    recorded = app.store.view("timekit").all("password_resets")
    unknown = client.post(f"{BASE}/resources/resetpassword", json={"email": "einstein@timekit.io"}, headers=APP)
    assert response.status_code == 204
    assert [(r["resource_id"], r["email"]) for r in recorded] == [(LORRAINE, "lorraine.baines@timekit.io")]
    assert (unknown.status_code, unknown.json()["model"]) == (404, "Resource")


# -- the app and its keys -------------------------------------------------------------------------

@pytest.mark.parametrize("params, has_token", [({}, False), ({"include": "app_token"}, True)])
def test_current_app(client, params, has_token):
    data = client.get(f"{BASE}/app", params=params, headers=APP).json()["data"]
    assert (data["slug"], data["settings"]["contact_email"], "app_token" in data) == \
        ("back-to-the-future", "doc.brown@timekit.io", has_token)
    if has_token:
        assert data["app_token"] == "live_api_key_7nzvc7wsBQQISLeFSVhROys9V1bUJ1z7"


def test_apps_lifecycle(client):
    created = client.post(f"{BASE}/apps", json={"name": "Enchantment Under the Sea"}, headers=APP)
    app = created.json()["data"]
    own = client.get(f"{BASE}/resources", headers=basic("", app["app_token"]))
    updated = client.put(f"{BASE}/apps/{app['slug']}", json={"settings": {"from_name": "Marvin Berry"}}, headers=APP)
    listed = client.get(f"{BASE}/apps", headers=APP).json()
    deleted = client.delete(f"{BASE}/apps/{app['slug']}", headers=APP)
    after = client.get(f"{BASE}/resources", headers=basic("", app["app_token"]))
    assert (created.status_code, app["slug"], own.status_code, own.json()["total"]) == \
        (201, "enchantment-under-the-sea", 200, 0)
    assert updated.json()["data"]["settings"]["from_name"] == "Marvin Berry"
    assert listed["total"] == 2
    assert (deleted.status_code, after.status_code) == (204, 401)


@pytest.mark.parametrize("request_args, status", [
    (("post", "/apps", {"name": "Back to the future"}), 422),  # the slug is taken
    (("delete", "/apps/back-to-the-future", None), 422),  # an app cannot delete itself
    (("put", "/apps/outatime", {"name": "Outatime"}), 404),
])
def test_apps_refusals(client, request_args, status):
    method, path, body = request_args
    assert client.request(method, f"{BASE}{path}", json=body, headers=APP).status_code == status


# -- the plain families ---------------------------------------------------------------------------

FAMILIES = [
    # path, create body, update body, model
    ("/calendars", {"name": "Time travel", "resource_id": DOC}, {"description": "Trips"}, "Calendar"),
    ("/events", {"calendar_id": "22f86f0c-ee80-470c-95e8-dadd9d05edd2", "start": "2026-12-20T08:00:00-08:00",
                 "end": "2026-12-20T09:00:00-0800", "what": "Fix the time circuits", "where": "Garage"},
     {"what": "Replace the flux capacitor"}, "Event"),
    ("/projects", {"name": "Hoverboard repairs", "resources": [MARTY]}, {"description": "Mattel only"}, "Project"),
    ("/locations", {"name": "Clock tower", "address": "Courthouse Square"}, {"latitude": "34.14"}, "Location"),
    ("/location/services", {"name": "Time circuit repair", "duration": "2 hours", "price": "121.00"},
     {"currency": "USD"}, "Service"),
    ("/templates", {"slug": "booking-reminder", "name": "Booking reminder"}, {"subject": "Soon"}, "Template"),
]


@pytest.mark.parametrize("path, create_body, update_body, model", FAMILIES)
def test_family_crud(client, path, create_body, update_body, model):
    created = client.post(f"{BASE}{path}", json=create_body, headers=APP)
    doc = created.json()["data"]
    key = doc.get("slug") if path == "/templates" else doc["id"]
    updated = client.put(f"{BASE}{path}/{key}", json=update_body, headers=APP)
    listed = client.get(f"{BASE}{path}", params={"limit": 100}, headers=APP).json()
    deleted = client.delete(f"{BASE}{path}/{key}", headers=APP)
    gone = client.get(f"{BASE}{path}/{key}", headers=APP)
    assert created.status_code == 201
    assert updated.status_code == 200 and updated.json()["data"] == {**doc, **update_body,
                                                                        "updated_at": updated.json()["data"]["updated_at"]}
    assert doc["id"] in {d["id"] for d in listed["data"]}
    assert (deleted.status_code, gone.status_code, gone.json()) == \
        (204, 404, {"error": "Resource does not exist", "model": model})


@pytest.mark.parametrize("path, body, errors", [
    ("/calendars", {"name": "Nobody's"}, {"resource_id"}),
    ("/calendars", {"name": "Ghost", "resource_id": "00000000-0000-4000-8000-000000000000"}, {"resource_id"}),
    ("/events", {"calendar_id": "00000000-0000-4000-8000-000000000000", "start": "yesterday-ish",
                 "end": "2026-12-20T09:00:00Z", "what": "x", "where": "y"}, {"calendar_id", "start"}),
    ("/events", {"calendar_id": "22f86f0c-ee80-470c-95e8-dadd9d05edd2", "start": "2026-12-20T09:00:00Z",
                 "end": "2026-12-20T08:00:00Z", "what": "x", "where": "y"}, {"end"}),
    ("/projects", {"name": "Flux", "slug": "flux-consultations"}, {"slug"}),
    ("/projects", {"name": "Flux", "resources": ["00000000-0000-4000-8000-000000000000"]}, {"resources"}),
    ("/location/services", {"name": "Repair", "location_id": "00000000-0000-4000-8000-000000000000"}, {"location_id"}),
    ("/templates", {"slug": "booking-confirmed", "name": "Again"}, {"slug"}),
    ("/templates", {}, {"slug", "name"}),
])
def test_family_validation(client, path, body, errors):
    response = client.post(f"{BASE}{path}", json=body, headers=APP)
    assert response.status_code == 422 and set(response.json()["errors"]) == errors


def test_project_views_and_resources(client):
    hosted = client.get(f"{BASE}/projects/hosted/flux-consultations", headers=APP).json()["data"]
    embedded = client.get(f"{BASE}/projects/embed/{PROJECT_FLUX}", headers=APP).json()["data"]
    added = client.post(f"{BASE}/projects/{PROJECT_FLUX}/resources", json={"resource_id": MARTY}, headers=APP)
    removed = client.delete(f"{BASE}/projects/{PROJECT_FLUX}/resources/{DOC}", headers=APP)
    listed = client.get(f"{BASE}/projects/{PROJECT_FLUX}/resources", headers=APP).json()
    replaced = client.put(f"{BASE}/projects/{PROJECT_FLUX}/resources", json=[LORRAINE], headers=APP)
    assert hosted == embedded and hosted["id"] == PROJECT_FLUX
    assert [r["id"] for r in added.json()["data"]][-1] == MARTY
    assert removed.status_code == 204
    assert [r["name"] for r in listed["data"]] == ["Biff Tannen", "Marty McFly"]
    assert [r["id"] for r in replaced.json()["data"]] == [LORRAINE]


GARAGE, GYM = "97586d17-5bd6-5f5c-bb77-a73e64507e97", "59a9e071-773e-53b9-b56a-ca8acd53e9ba"
FLUX_CHECK, DANCE_LESSON = "4eebaba3-1c3e-5999-b045-9f51f882ca1f", "e28d5bd7-f803-58d8-976f-966c60475dc4"


@pytest.mark.parametrize("search, names", [
    # what timekit-sdk sends: getLocationProjects(id), getServiceProjects(id), getLocationServiceProjects(l, s)
    (f"locations.uuid:{GARAGE}", ["Flux capacitor consultations"]),
    (f"services.uuid:{DANCE_LESSON}", ["Enchantment Under the Sea dance lessons"]),
    (f"locations.uuid:{GYM};services.uuid:{DANCE_LESSON}", ["Enchantment Under the Sea dance lessons"]),
    (f"locations.uuid:{GYM};services.uuid:{FLUX_CHECK}", []),
    ("slug:flux-*", ["Flux capacitor consultations"]),
])
def test_project_search(client, search, names):
    page = client.get(f"{BASE}/projects", params={"search": search}, headers=APP).json()
    assert [p["name"] for p in page["data"]] == names


def test_project_search_names_a_bad_key(client):
    response = client.get(f"{BASE}/projects", params={"search": "colour:red"}, headers=APP)
    assert response.status_code == 422 and list(response.json()["errors"]) == ["search"]


def test_accounts_are_listed_unsynced(client):
    listed = client.get(f"{BASE}/accounts", headers=APP).json()["data"]
    assert [(a["provider"], a["last_synced_at"]) for a in listed] == [("google", None), ("microsoft", None)]


@pytest.mark.parametrize("method, path, synced", [
    # what timekit-sdk 1.19.8 sends: accountGoogleSync(), accountMicrosoftSync()
    ("POST", "/accounts/sync", ["google"]),
    ("POST", "/accounts/microsoft/sync", ["microsoft"]),
    # the SDK's deprecated accountSync()
    ("GET", "/accounts/sync", ["google", "microsoft"]),
])
def test_account_sync(client, method, path, synced):
    response = client.request(method, f"{BASE}{path}", headers=APP)
    assert response.status_code == 200
    assert [a["provider"] for a in response.json()["data"]] == synced
    listed = client.get(f"{BASE}/accounts", headers=APP).json()["data"]
    assert sorted(a["provider"] for a in listed if a["last_synced_at"] is not None) == synced
