"""Every call timekit-sdk makes reaches an operation of our spec with its method and path.

The tables were generated once from the SDK's source (npm `timekit-sdk` 1.19.8, `src/endpoints.js`
and `src/deprecated_endpoints.js`: each `TK.<name> = function` with the `url`, `method` and `data`
of its `makeRequest`) and are kept here; the SDK prefixes every path with `/v2`. Placeholders are
the SDK's own expressions (`'/bookings/' + id + '/' + action` is `/bookings/{id}/{action}`).
The SDK's trailing slashes are kept: the server answers them as the paths without it, never 307.
"""

from __future__ import annotations

import re
import uuid

import pytest
import yaml

from conftest import OPENAPI
from timekit_support import APP, BASE

pytestmark = pytest.mark.once

NOTHING, OBJECT, ARRAY = None, {}, []  # the body the method sends: none, an object, an array

SDK_ROUTES = [
    # name, HTTP method, path, body
    ("getAccounts", "GET", "/accounts", NOTHING),
    ("accountGoogleSync", "POST", "/accounts/sync", NOTHING),
    ("accountMicrosoftSync", "POST", "/accounts/microsoft/sync", NOTHING),
    ("auth", "POST", "/auth", OBJECT),
    ("getApps", "GET", "/apps", NOTHING),
    ("getApp", "GET", "/app", NOTHING),
    ("createApp", "POST", "/apps", OBJECT),
    ("updateApp", "PUT", "/apps/{slug}", OBJECT),
    ("deleteApp", "DELETE", "/apps/{slug}", NOTHING),
    ("getResources", "GET", "/resources", NOTHING),
    ("getResource", "GET", "/resources/{id}", NOTHING),
    ("createResource", "POST", "/resources", OBJECT),
    ("updateResource", "PUT", "/resources/{id}", OBJECT),
    ("deleteResource", "DELETE", "/resources/{id}", OBJECT),  # the SDK sends `data` with the DELETE
    ("resetResourcePassword", "POST", "/resources/resetpassword", OBJECT),
    ("getResourceTimezone", "GET", "/resources/timezone/{email}", NOTHING),
    ("getCalendars", "GET", "/calendars", NOTHING),
    ("getCalendar", "GET", "/calendars/{id}", NOTHING),
    ("createCalendar", "POST", "/calendars/", OBJECT),
    ("updateCalendar", "PUT", "/calendars/{id}", OBJECT),
    ("deleteCalendar", "DELETE", "/calendars/{id}", NOTHING),
    ("getEvents", "GET", "/events", NOTHING),
    ("getEvent", "GET", "/events/{id}", NOTHING),
    ("createEvent", "POST", "/events", OBJECT),
    ("updateEvent", "PUT", "/events/{id}", OBJECT),
    ("deleteEvent", "DELETE", "/events/{id}", NOTHING),
    ("findTime", "POST", "/findtime", OBJECT),
    ("findTimeBulk", "POST", "/findtime/bulk", OBJECT),
    ("findTimeTeam", "POST", "/findtime/team", OBJECT),
    ("fetchAvailability", "POST", "/availability", OBJECT),
    ("getCredentials", "GET", "/credentials", NOTHING),
    ("createCredential", "POST", "/credentials", OBJECT),
    ("deleteCredential", "DELETE", "/credentials/{id}", NOTHING),
    ("getBookings", "GET", "/bookings", NOTHING),
    ("getBooking", "GET", "/bookings/{id}", NOTHING),
    ("createBooking", "POST", "/bookings", OBJECT),
    ("createBookingsBulk", "POST", "/bookings/bulk", OBJECT),
    ("updateBooking", "PUT", "/bookings/{id}/{action}", OBJECT),
    ("deleteBooking", "DELETE", "/bookings/{id}", NOTHING),
    ("updateBookingsBulk", "PUT", "/bookings/bulk", OBJECT),
    ("getGroupBookings", "GET", "/bookings/groups", NOTHING),
    ("getGroupBooking", "GET", "/bookings/groups/{id}", NOTHING),
    ("getProjects", "GET", "/projects", NOTHING),
    ("getProject", "GET", "/projects/{id}", NOTHING),
    ("getHostedProject", "GET", "/projects/hosted/{slug}", NOTHING),
    ("getEmbedProject", "GET", "/projects/embed/{id}", NOTHING),
    ("createProject", "POST", "/projects", OBJECT),
    ("updateProject", "PUT", "/projects/{id}", OBJECT),
    ("deleteProject", "DELETE", "/projects/{id}", NOTHING),
    ("addProjectResource", "POST", "/projects/{id}/resources", OBJECT),
    ("getProjectResources", "GET", "/projects/{id}/resources", NOTHING),
    ("setProjectResources", "PUT", "/projects/{id}/resources", ARRAY),  # sends `data.resources`
    ("removeProjectResource", "DELETE", "/projects/{id}/resources/{resourceId}", NOTHING),
    ("getServices", "GET", "/location/services", NOTHING),
    ("getService", "GET", "/location/services/{id}", NOTHING),
    ("createService", "POST", "/location/services", OBJECT),
    ("updateService", "PUT", "/location/services/{id}", OBJECT),
    ("deleteService", "DELETE", "/location/services/{id}", NOTHING),
    ("getLocations", "GET", "/locations", NOTHING),
    ("getLocation", "GET", "/locations/{id}", NOTHING),
    ("createLocation", "POST", "/locations", OBJECT),
    ("updateLocation", "PUT", "/locations/{id}", OBJECT),
    ("deleteLocation", "DELETE", "/locations/{id}", NOTHING),
    ("getLocationProjects", "GET", "/projects", NOTHING),  # with ?search=locations.uuid:<id>
    ("getServiceProjects", "GET", "/projects", NOTHING),  # with ?search=services.uuid:<id>
    ("getLocationServiceProjects", "GET", "/projects", NOTHING),
    ("fetchAvailabilityDates", "POST", "/availability/dates", OBJECT),
    ("fetchAvailabilityCounts", "POST", "/availability/count", OBJECT),
    ("fetchUnAvailableSlots", "POST", "/unavailable/slots", OBJECT),
    ("reserveBooking", "POST", "/bookings/reserve", OBJECT),
    ("extendReservedBooking", "PUT", "/bookings/reserve/extend", OBJECT),
    ("getEmailTemplates", "GET", "/templates", NOTHING),
    ("getEmailTemplate", "GET", "/templates/{slug}", NOTHING),
    ("updateEmailTemplate", "PUT", "/templates/{slug}", OBJECT),
    ("rescheduleBooking", "POST", "/bookings/{id}/reschedule/", OBJECT),
    # src/deprecated_endpoints.js, still served
    ("accountSync", "GET", "/accounts/sync", NOTHING),
]

# The rest of src/deprecated_endpoints.js: Timekit's v1 models (widgets became projects, users became
# resources) and findtime filter collections. The v2 reference documents none of them, so they are
# not served: they answer 404 in Timekit's format, like any path Timekit does not have.
# `accountGoogleSignup` / `accountMicrosoftSignup` (src/timekit.js) only build a URL for a browser
# to open (`/accounts/{google,microsoft}/signup?Timekit-App=...`): the provider's OAuth consent,
# which understudy cannot stand in for.
NOT_SERVED = [
    ("getWidgets", "GET", "/widgets"),
    ("getWidget", "GET", "/widgets/{id}"),
    ("getHostedWidget", "GET", "/widgets/hosted/{slug}"),
    ("getEmbedWidget", "GET", "/widgets/embed/{id}"),
    ("createWidget", "POST", "/widgets"),
    ("updateWidget", "PUT", "/widgets/{id}"),
    ("deleteWidget", "DELETE", "/widgets/{id}"),
    ("createUser", "POST", "/users"),
    ("getUserInfo", "GET", "/users/me"),
    ("updateUser", "PUT", "/users/me"),
    ("resetUserPassword", "POST", "/users/resetpassword"),
    ("getUserTimezone", "GET", "/users/timezone/{email}"),
    ("createFindTimeFilterCollection", "POST", "/findtime/filtercollections"),
    ("getFindTimeFilterCollections", "GET", "/findtime/filtercollections"),
    ("updateFindTimeFilterCollection", "GET", "/findtime/filtercollections/{id}"),
    ("accountGoogleSignup", "GET", "/accounts/google/signup"),
    ("accountMicrosoftSignup", "GET", "/accounts/microsoft/signup"),
]

PLACEHOLDER = re.compile(r"\{[^}]+\}")
SPEC = yaml.safe_load((OPENAPI / "timekit.yaml").read_text())


def shape(path: str) -> str:
    """A path template with its placeholders unnamed and no trailing slash: `/bookings/{}/{}`."""
    return PLACEHOLDER.sub("{}", path.rstrip("/") or "/")


OPERATIONS = {(method.upper(), shape(path)): operation["operationId"]
              for path, item in SPEC["paths"].items()
              for method, operation in item.items() if isinstance(operation, dict) and "operationId" in operation}


def concrete(path: str) -> str:
    """The path as the SDK sends it for a document understudy does not hold."""
    values = {"{email}": "nobody@hill-valley.example", "{slug}": "no-such-slug", "{action}": "confirm"}
    return PLACEHOLDER.sub(lambda m: values.get(m.group(0), str(uuid.uuid4())), path)


def last_call(client, path: str) -> dict:
    return client.get("/__understudy/requests", params={"path": f"{BASE}{path}"}).json()["requests"][-1]


@pytest.mark.parametrize("name, method, path, body", SDK_ROUTES, ids=[row[0] for row in SDK_ROUTES])
def test_every_sdk_call_has_an_operation(name, method, path, body):
    assert (method, shape(path)) in OPERATIONS, f"{name}: no {method} {path} in timekit.yaml"


@pytest.mark.parametrize("name, method, path, body", SDK_ROUTES, ids=[row[0] for row in SDK_ROUTES])
def test_every_sdk_call_reaches_its_operation(client, name, method, path, body):
    sent = concrete(path)
    response = client.request(method, f"{BASE}{sent}", json=body, headers=APP, follow_redirects=False)
    assert response.status_code not in (307, 404, 405) or "model" in response.json(), response.text
    assert last_call(client, sent)["operationId"] == OPERATIONS[(method, shape(path))]


@pytest.mark.parametrize("name, method, path", NOT_SERVED, ids=[row[0] for row in NOT_SERVED])
def test_retired_sdk_calls_are_not_served(client, name, method, path):
    assert (method, shape(path)) not in OPERATIONS
    sent = concrete(path)
    response = client.request(method, f"{BASE}{sent}", headers=APP, follow_redirects=False)
    assert (response.status_code, set(response.json())) == (404, {"error"})
    assert last_call(client, sent)["operationId"] is None
