"""/bookings: the paginated envelope, search, includes, creating (flat, `event`-nested, bulk,
from a reservation), meta, group seats, reservations and rescheduling."""

from datetime import datetime, timedelta, timezone

import pytest

from timekit_support import (APP, BASE, CUSTOMER, DOC, DOC_CALENDAR, DOC_LAB_CALENDAR, GROUP_FULL,
                             GROUP_OPEN, INSTANT_CANCELLED, INSTANT_CONFIRMED, MARTY,
                             MARTY_TENTATIVE, PROJECT_FLUX, TENTATIVE, act, booking_body, create,
                             get_booking)

PAGE_KEYS = {"total", "per_page", "current_page", "last_page", "next_page_url", "prev_page_url", "from", "to",
             "data"}
NO_BOOKING = {"error": "Resource does not exist", "model": "Booking"}


def listing(client, **params):
    response = client.get(f"{BASE}/bookings", params=params, headers=APP)
    assert response.status_code == 200, response.text
    return response.json()


# -- the envelope and pagination ------------------------------------------------------------------

def test_list_is_the_paginated_envelope_with_every_booking(client):
    page = listing(client)
    assert set(page) == PAGE_KEYS
    assert (page["total"], page["per_page"], len(page["data"])) == (40, "1000", 40)


@pytest.mark.parametrize("limit, page, current, last, first, last_item, count, more, less", [
    # first, middle and last page
    (10, 1, 1, 4, 1, 10, 10, True, False),
    (10, 2, 2, 4, 11, 20, 10, True, True),
    (15, 3, 3, 3, 31, 40, 10, False, True),
    # past the end
    (10, 5, 5, 4, None, None, 0, False, True),
    # everything on one page
    (50, 1, 1, 1, 1, 40, 40, False, False),
])
def test_pagination(client, limit, page, current, last, first, last_item, count, more, less):
    body = listing(client, limit=limit, page=page)
    assert (body["current_page"], body["last_page"], body["from"], body["to"], len(body["data"]),
            body["next_page_url"] is not None, body["prev_page_url"] is not None, body["per_page"]) == \
        (current, last, first, last_item, count, more, less, str(limit))


def test_page_links_keep_the_query(client):
    body = listing(client, limit=5, page=2, search="graph:confirm_decline")
    assert body["next_page_url"].startswith("http://testserver/timekit/v2/bookings?")
    assert "search=graph%3Aconfirm_decline" in body["next_page_url"] and "page=3" in body["next_page_url"]
    assert "page=1" in body["prev_page_url"] and "limit=5" in body["prev_page_url"]


def test_pages_do_not_overlap(client):
    first, second = listing(client, limit=20, page=1), listing(client, limit=20, page=2)
    ids = [b["id"] for b in first["data"] + second["data"]]
    assert len(set(ids)) == 40


@pytest.mark.parametrize("params", [{"limit": 0}, {"page": 0}, {"limit": "ten"}])
def test_bad_paging_parameters_are_422(client, params):
    response = client.get(f"{BASE}/bookings", params=params, headers=APP)
    assert response.status_code == 422
    assert list(response.json()["errors"]) == list(params)


# -- search ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("search, total", [
    # graph and state
    ("graph:instant", 8),
    ("state:tentative", 8),
    ("state:TENTATIVE", 8),
    ("graph:confirm_decline;state:tentative", 4),
    ("completed:true", 20),
    ("completed:false", 20),
    # customers: wildcards at either end, case-insensitive
    ("customer.name:marty*", 4),
    ("customer.name:MARTY MCFLY", 4),
    ("customer.name:*mcfly", 18),
    ("customer.name:*Parker*", 5),
    ("customer.name:marty", 0),
    ("customer.email:jennifer.parker@timekit.io", 5),
    # ids
    (f"resource.id:{DOC}", 10),
    (f"calendar.id:{DOC_CALENDAR}", 10),
    (f"calendar.id:{DOC_LAB_CALENDAR}", 0),
    (f"project.id:{PROJECT_FLUX}", 3),
    (f"id:{TENTATIVE}", 1),
    # meta
    ("meta.delorean:yes", 1),
    ("meta.instrument:guitar", 2),
    ("meta.instrument:guitar;state:confirmed", 1),
    ("meta.nothing:here", 0),
    # empty criteria are ignored
    ("state:tentative;", 8),
])
def test_search(client, search, total):
    assert listing(client, search=search)["total"] == total


@pytest.mark.parametrize("search, errors", [
    ("colour:red", 1),
    ("STATE:tentative", 1),  # keys are exact; values are case-insensitive
    ("state", 1),
    ("colour:red;flavour:sweet;state:confirmed", 2),
])
def test_bad_search_lists_every_bad_criterion(client, search, errors):
    response = client.get(f"{BASE}/bookings", params={"search": search}, headers=APP)
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["search"] and len(response.json()["errors"]["search"]) == errors


def test_search_finds_a_new_booking(client):
    create(client, booking_body(customer={**CUSTOMER, "name": "Emmett Lathrop Brown"}))
    assert listing(client, search="customer.name:emmett*")["total"] == 1


# -- includes -------------------------------------------------------------------------------------

BASE_KEYS = {"id", "graph", "state", "completed", "possible_actions", "created_at", "updated_at", "meta"}


@pytest.mark.parametrize("include, key, pick, expected", [
    ("attributes", "attributes", lambda v: v["event_info"]["start"], "2026-12-14T10:00:00-08:00"),
    ("customers", "customers", lambda v: v[0]["email"], "marty.mcfly@timekit.io"),
    ("calendar", "calendar", lambda v: v["id"], DOC_CALENDAR),
    ("event", "event", lambda v: (v["what"], v["calendar_id"]), ("Flux capacitor consultation", DOC_CALENDAR)),
    ("logs", "logs", lambda v: [entry["action"] for entry in v], ["confirm"]),
    ("available_actions", "available_actions", len, 4),
    ("user", "user", lambda v: v["email"], "doc.brown@timekit.io"),
    ("resource", "resource", lambda v: v["name"], "Doc Brown"),
    ("provider_event", "provider_event", lambda v: v, None),
])
def test_include(client, include, key, pick, expected):
    booking = get_booking(client, INSTANT_CONFIRMED, include)
    assert set(booking) == BASE_KEYS | {key}
    assert pick(booking[key]) == expected


def test_several_includes_and_unknown_ones(client):
    booking = get_booking(client, INSTANT_CONFIRMED, "attributes,customers,nonsense")
    assert set(booking) == BASE_KEYS | {"attributes", "customers"}


def test_no_include_gives_the_base_fields(client):
    assert set(get_booking(client, INSTANT_CONFIRMED)) == BASE_KEYS


def test_includes_apply_to_lists_and_creates(client):
    page = listing(client, include="customers", limit=3)
    created = client.post(f"{BASE}/bookings", params={"include": "attributes,event,user"},
                          json=booking_body(), headers=APP).json()["data"]
    assert all("customers" in b for b in page["data"])
    assert {"attributes", "event", "user"} <= set(created)


# -- creating ---------------------------------------------------------------------------------------

def test_created_booking_is_listed_and_readable(client):
    booking = create(client, booking_body(meta={"latitude": "34.1381168"}))
    read = get_booking(client, booking["id"], "attributes,customers")
    assert listing(client)["total"] == 41
    assert (read["state"], read["meta"], read["customers"][0]["name"], read["attributes"]["event_info"]["where"]) == \
        ("tentative", {"latitude": "34.1381168"}, "Marty McFly", "Courthouse, Hill Valley")


def test_older_event_nested_body(client):
    body = {"graph": "confirm_decline", "action": "create", "customer": CUSTOMER,
            "event": {"start": "2026-12-14T15:00:00-08:00", "end": "2026-12-14T16:00:00-08:00",
                      "what": "Mens haircut", "where": "Sesame St", "calendar_id": DOC_CALENDAR,
                      "description": "Please arrive 10 minutes early"}}
    booking = client.post(f"{BASE}/bookings", params={"include": "attributes,user"}, json=body, headers=APP)
    data = booking.json()["data"]
    assert booking.status_code == 201
    assert (data["user"]["id"], data["attributes"]["event_info"]["what"], data["attributes"]["event_info"]["calendar_id"]) == \
        (DOC, "Mens haircut", DOC_CALENDAR)


@pytest.mark.parametrize("start, end, stored_start", [
    ("2026-12-14T15:00:00-08:00", "2026-12-14T16:00:00-08:00", "2026-12-14T15:00:00-08:00"),
    ("2026-12-15T02:00:00+0300", "2026-12-15T03:00:00+0300", "2026-12-15T02:00:00+03:00"),
    ("2026-12-14T23:00:00Z", "2026-12-15T00:00:00Z", "2026-12-14T23:00:00+00:00"),
    ("2026-12-14T23:00:00.250+00:00", "2026-12-15T00:00:00+00:00", "2026-12-14T23:00:00+00:00"),
])
def test_timestamps_in_rfc3339_or_offset_form(client, start, end, stored_start):
    booking = create(client, booking_body(start=start, end=end))
    assert get_booking(client, booking["id"], "attributes")["attributes"]["event_info"]["start"] == stored_start


@pytest.mark.parametrize("body, fields", [
    # every missing field at once
    ({"resource_id": DOC}, ["graph"]),
    ({"graph": "confirm_decline"}, ["resource_id", "start", "end", "customer"]),
    # invalid values
    (booking_body(start="tomorrow at noon"), ["start"]),
    (booking_body(start="2026-12-14T16:00:00-08:00", end="2026-12-14T15:00:00-08:00"), ["end"]),
    (booking_body(resource="00000000-0000-4000-8000-000000000000"), ["resource_id"]),
    (booking_body(calendar_id=DOC_CALENDAR.replace("22f8", "ffff")), ["calendar_id"]),
    (booking_body(project_id="00000000-0000-4000-8000-000000000000"), ["project_id"]),
    (booking_body(reservation_id="00000000-0000-4000-8000-000000000000"), ["reservation_id"]),
    # schema violations, every one listed
    ({"graph": "teleport", "customer": {"name": "Biff"}}, ["graph", "customer.email"]),
    ({"graph": "instant", "invite": "yes", "participants": "marty"}, ["invite", "participants"]),
])
def test_create_validation_lists_every_field(client, body, fields):
    response = client.post(f"{BASE}/bookings", json=body, headers=APP)
    assert response.status_code == 422
    assert sorted(response.json()["errors"]) == sorted(fields)


def test_only_known_customer_fields_are_kept(client):
    booking = create(client, booking_body(customer={**CUSTOMER, "shoe_size": "11"}))
    assert get_booking(client, booking["id"], "customers")["customers"][0].keys() == {"id", *CUSTOMER}


def test_a_taken_slot_is_refused(client):
    body = booking_body(start="2026-12-14T10:30:00-08:00", end="2026-12-14T11:30:00-08:00")
    response = client.post(f"{BASE}/bookings", json=body, headers=APP)
    assert response.status_code == 422 and "not available" in response.json()["error"]


def test_double_bookings_when_allowed(client):
    body = booking_body(start="2026-12-14T10:30:00-08:00", end="2026-12-14T11:30:00-08:00",
                        settings={"allow_double_bookings": True})
    assert create(client, body)["state"] == "tentative"


def test_a_cancelled_bookings_slot_can_be_booked_again(client):
    body = booking_body(start="2026-12-15T10:00:00-08:00", end="2026-12-15T11:00:00-08:00")
    assert get_booking(client, INSTANT_CANCELLED)["state"] == "cancelled"
    assert create(client, body)["state"] == "tentative"


def test_resource_from_calendar_id(client):
    body = {k: v for k, v in booking_body(calendar_id=DOC_LAB_CALENDAR).items() if k != "resource_id"}
    booking = create(client, {**body, "action": "create"})
    assert get_booking(client, booking["id"], "user,calendar")["calendar"]["name"] == "Lab work"


# -- meta -----------------------------------------------------------------------------------------

def test_update_replaces_meta(client):
    response = client.put(f"{BASE}/bookings/{INSTANT_CONFIRMED}", json={"meta": {"flux": "capacitor"}}, headers=APP)
    assert response.status_code == 200 and response.json()["data"]["meta"] == {"flux": "capacitor"}
    assert listing(client, search="meta.flux:capacitor")["total"] == 1
    assert listing(client, search="meta.delorean:yes")["total"] == 0


# -- group bookings -------------------------------------------------------------------------------

def seats(client, owner):
    response = client.get(f"{BASE}/bookings/groups/{owner}", headers=APP)
    assert response.status_code == 200
    return response.json()["data"]["attributes"]["group_booking"]


def test_groups_lists_the_open_group_slots(client):
    response = client.get(f"{BASE}/bookings/groups", headers=APP)
    slots = response.json()["data"]
    assert sorted(s["id"] for s in slots) == sorted([GROUP_OPEN, GROUP_FULL])
    assert all(s["available_actions"] == ["complete", "cancel"] and "group_booking" in s["attributes"]
               for s in slots)


def test_a_seat_booking_takes_a_seat(client):
    before = seats(client, GROUP_OPEN)
    seat = create(client, booking_body("group_customer"))
    assert (before, seats(client, GROUP_OPEN)) == ({"max_seats": 3, "current_seats": 2},
                                                   {"max_seats": 3, "current_seats": 3})
    assert get_booking(client, seat["id"], "attributes")["attributes"]["event_info"]["start"] == "2026-12-19T10:00:00-05:00"


def test_a_paid_seat_counts_only_once_paid(client):
    seat = create(client, booking_body("group_customer_payment"))
    unpaid = seats(client, GROUP_OPEN)["current_seats"]
    act(client, seat["id"], "pay", {"pay": {"payment_id": "pi_88mph"}})
    assert (unpaid, seats(client, GROUP_OPEN)["current_seats"]) == (2, 3)


@pytest.mark.parametrize("related", [{"owner_booking_id": GROUP_FULL}, {"owner_booking_id": TENTATIVE}, {}])
def test_seat_booking_needs_an_open_group_with_seats(client, related):
    body = {"graph": "group_customer", "customer": CUSTOMER, "related": related}
    response = client.post(f"{BASE}/bookings", json=body, headers=APP)
    assert response.status_code == 422
    assert "related.owner_booking_id" in response.json()["errors"]


def test_sdk_group_path(client):
    response = client.get(f"{BASE}/bookings/{GROUP_OPEN}/groups", headers=APP)
    not_a_group = client.get(f"{BASE}/bookings/{TENTATIVE}/groups", headers=APP)
    assert (response.status_code, response.json()["data"]["id"]) == (200, GROUP_OPEN)
    assert (not_a_group.status_code, not_a_group.json()) == (404, NO_BOOKING)


# -- bulk -----------------------------------------------------------------------------------------

def test_bulk_create(client):
    bodies = [booking_body(), booking_body(start="2026-12-14T16:00:00-08:00", end="2026-12-14T17:00:00-08:00")]
    response = client.post(f"{BASE}/bookings/bulk", json=bodies, headers=APP)
    assert response.status_code == 201 and len(response.json()["data"]) == 2
    assert listing(client)["total"] == 42


@pytest.mark.parametrize("second, errors", [
    (booking_body(start="not a time"), {"1.start"}),
    ({"graph": "instant"}, {"1.resource_id", "1.start", "1.end", "1.customer"}),
])
def test_bulk_create_is_all_or_nothing(client, second, errors):
    response = client.post(f"{BASE}/bookings/bulk", json=[booking_body(), second], headers=APP)
    assert response.status_code == 422 and set(response.json()["errors"]) == errors
    assert listing(client)["total"] == 40


def test_bulk_create_refuses_bookings_overlapping_each_other(client):
    response = client.post(f"{BASE}/bookings/bulk", json=[booking_body(), booking_body()], headers=APP)
    assert response.status_code == 422 and listing(client)["total"] == 40


def test_bulk_update(client):
    body = [{"id": TENTATIVE, "action": "confirm"}, {"id": MARTY_TENTATIVE, "action": "decline",
                                                     "decline": {"message": "No guitar today"}}]
    response = client.put(f"{BASE}/bookings/bulk", json=body, headers=APP)
    assert response.status_code == 200
    assert [b["state"] for b in response.json()["data"]] == ["confirmed", "declined"]


@pytest.mark.parametrize("body, errors", [
    # the second action is not allowed after the first
    ([{"id": TENTATIVE, "action": "decline"}, {"id": TENTATIVE, "action": "confirm"}], {"1.action"}),
    # not allowed in the current state; unknown booking
    ([{"id": TENTATIVE, "action": "confirm"}, {"id": INSTANT_CONFIRMED, "action": "confirm"}], {"1.action"}),
    ([{"id": "00000000-0000-4000-8000-000000000000", "action": "confirm"}], {"0.id"}),
])
def test_bulk_update_is_all_or_nothing(client, body, errors):
    response = client.put(f"{BASE}/bookings/bulk", json=body, headers=APP)
    assert response.status_code == 422 and set(response.json()["errors"]) == errors
    assert get_booking(client, TENTATIVE)["state"] == "tentative"


# -- reservations -----------------------------------------------------------------------------------

RESERVATION = {"resource_id": DOC, "start": "2026-12-14T15:00:00-08:00", "end": "2026-12-14T16:00:00-08:00",
               "what": "Flux capacitor consultation", "where": "1640 Riverside Drive", "graph": "instant",
               "customer": CUSTOMER, "reservation_time": 300}


def reserve(client, **extra):
    response = client.post(f"{BASE}/bookings/reserve", json={**RESERVATION, **extra}, headers=APP)
    assert response.status_code == 201, response.text
    return response.json()["data"]


def test_reserved_slot_cannot_be_booked_by_others(client):
    reserve(client)
    response = client.post(f"{BASE}/bookings", json=booking_body(), headers=APP)
    assert response.status_code == 422


def test_book_a_reserved_slot(client):
    reservation = reserve(client)
    booking = create(client, {"reservation_id": reservation["reservation_id"]})
    read = get_booking(client, booking["id"], "attributes,customers")
    extend = client.put(f"{BASE}/bookings/reserve/extend", json={"reservation_id": reservation["id"]}, headers=APP)
    assert (read["graph"], read["state"], read["attributes"]["event_info"]["start"], read["customers"][0]["name"]) == \
        ("instant", "confirmed", "2026-12-14T15:00:00-08:00", "Marty McFly")
    assert extend.status_code == 404 and extend.json()["model"] == "Reservation"


def test_extend_a_reservation(client):
    reservation = reserve(client, reservation_time=30)
    response = client.put(f"{BASE}/bookings/reserve/extend",
                          json={"reservation_id": reservation["id"], "reservation_time": 3600}, headers=APP)
    expires = datetime.fromisoformat(response.json()["data"]["expires_at"])
    assert response.status_code == 200
    assert timedelta(minutes=59) < expires - datetime.now(timezone.utc) <= timedelta(hours=1)


def test_an_expired_reservation_frees_the_slot_and_cannot_be_booked(app, client):
    reservation = reserve(client)
    expired = {"expires_at": "2026-01-01T00:00:00+00:00"}
    app.store.view("timekit").update("reservations", reservation["id"], expired)
    booking = client.post(f"{BASE}/bookings", json={"reservation_id": reservation["id"]}, headers=APP)
    extend = client.put(f"{BASE}/bookings/reserve/extend", json={"reservation_id": reservation["id"]}, headers=APP)
    assert (booking.status_code, list(booking.json()["errors"])) == (422, ["reservation_id", "graph"])
    assert extend.status_code == 422
    assert create(client, booking_body())["state"] == "tentative"


def test_reserving_a_taken_slot_is_refused(client):
    response = client.post(f"{BASE}/bookings/reserve", json={**RESERVATION, "start": "2026-12-14T10:00:00-08:00",
                                                              "end": "2026-12-14T11:00:00-08:00"}, headers=APP)
    assert response.status_code == 422


def test_reservation_takes_the_projects_defaults(client):
    body = {"resource_id": DOC, "start": RESERVATION["start"], "end": RESERVATION["end"], "project_id": PROJECT_FLUX}
    response = client.post(f"{BASE}/bookings/reserve", json=body, headers=APP)
    data = response.json()["data"]
    assert (data["reservation_time"], data["graph"], data["what"]) == (300, "confirm_decline", "Flux capacitor consultation")


# -- rescheduling ---------------------------------------------------------------------------------

def test_reschedule_an_instant_booking(client):
    body = {"start": "2026-12-14T16:00:00-08:00", "end": "2026-12-14T17:00:00-08:00", "resource_id": MARTY}
    response = client.post(f"{BASE}/bookings/{INSTANT_CONFIRMED}/reschedule", params={"include": "attributes,user"},
                           json=body, headers=APP)
    new = response.json()["data"]
    assert response.status_code == 201 and new["id"] != INSTANT_CONFIRMED
    assert (new["state"], new["user"]["id"], new["attributes"]["event_info"]["start"]) == \
        ("confirmed", MARTY, "2026-12-14T16:00:00-08:00")
    assert get_booking(client, INSTANT_CONFIRMED)["state"] == "rescheduled_by_customer"
    # the old slot is free again, the new one is taken
    assert create(client, booking_body(start="2026-12-14T10:00:00-08:00", end="2026-12-14T11:00:00-08:00"))
    assert client.post(f"{BASE}/bookings", json=booking_body(resource=MARTY, start=body["start"], end=body["end"]),
                       headers=APP).status_code == 422


def test_reschedule_keeps_the_resource_by_default(client):
    # timekit-sdk's rescheduleBooking({id, start, end})
    body = {"start": "2026-12-14T16:00:00-08:00", "end": "2026-12-14T17:00:00-08:00"}
    old = get_booking(client, INSTANT_CONFIRMED, include="attributes")
    response = client.post(f"{BASE}/bookings/{INSTANT_CONFIRMED}/reschedule/", params={"include": "attributes,user"},
                           json=body, headers=APP)
    new = response.json()["data"]
    assert response.status_code == 201, response.text
    assert (new["user"]["id"], new["attributes"]["event_info"]["calendar_id"]) == (
        DOC, old["attributes"]["event_info"]["calendar_id"])
    assert new["attributes"]["event_info"]["start"] == body["start"]


@pytest.mark.parametrize("booking_id", [
    TENTATIVE,  # confirm_decline bookings cannot be rescheduled
    INSTANT_CANCELLED,  # a cancelled one neither
])
def test_reschedule_is_refused(client, booking_id):
    body = {"start": "2026-12-14T16:00:00-08:00", "end": "2026-12-14T17:00:00-08:00", "resource_id": DOC}
    response = client.post(f"{BASE}/bookings/{booking_id}/reschedule", json=body, headers=APP)
    assert response.status_code == 422 and "error" in response.json()


def test_unknown_booking_is_404_with_model(client):
    response = client.get(f"{BASE}/bookings/00000000-0000-4000-8000-000000000000", headers=APP)
    assert (response.status_code, response.json()) == (404, NO_BOOKING)

