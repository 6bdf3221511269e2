"""Availability is computed from the store: busy bookings, calendar events and reservations block
their resource; a new booking removes its slot, a cancelled one frees it; every mode; the related
endpoints (dates, count, unavailable slots); validation of the query.

On 2026-12-14 (Los Angeles time) Doc Brown is booked 10-11 and 13-14 and Marty 15-16."""

from datetime import datetime, timedelta, timezone

import pytest

from timekit_support import (APP, BASE, BIFF, DOC, INSTANT_CONFIRMED, LORRAINE, MARTY, PROJECT_FLUX, act,
                             booking_body, create)

DAY = {"from": "2026-12-14T08:00:00-08:00", "to": "2026-12-14T18:00:00-08:00", "timezone": "America/Los_Angeles"}
DOC_FREE = [8, 9, 11, 12, 14, 15, 16, 17]


def query(client, path="/availability", **body):
    response = client.post(f"{BASE}{path}", json=body, headers=APP)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def hours(slots) -> list:
    """Start hours (local) of the slots, or (hour, minute) when not on the hour."""
    starts = [datetime.fromisoformat(s["start"]) for s in slots]
    return [t.hour if t.minute == 0 else (t.hour, t.minute) for t in starts]


def test_free_hours_of_one_resource(client):
    slots = query(client, resources=[DOC], **DAY)
    assert hours(slots) == DOC_FREE
    assert slots[0] == {"start": "2026-12-14T08:00:00-08:00", "end": "2026-12-14T09:00:00-08:00", "resources": [DOC]}


def test_a_new_booking_removes_its_slot(client):
    create(client, booking_body(start="2026-12-14T15:00:00-08:00", end="2026-12-14T16:00:00-08:00"))
    assert 15 not in hours(query(client, resources=[DOC], **DAY))


def test_a_cancelled_booking_frees_its_slot(client):
    act(client, INSTANT_CONFIRMED, "cancel", {"cancel": {"message": "Sorry, gotta fix the DeLorean"}})
    assert hours(query(client, resources=[DOC], **DAY)) == sorted(DOC_FREE + [10])


def test_a_reservation_removes_its_slot(client):
    client.post(f"{BASE}/bookings/reserve", json={"resource_id": DOC, "start": "2026-12-14T16:00:00-08:00",
                                                   "end": "2026-12-14T17:00:00-08:00"}, headers=APP)
    assert 16 not in hours(query(client, resources=[DOC], **DAY))


def test_an_event_blocks_its_calendars_resource(client):
    # Lorraine dines with George on 2026-12-15, 18:00-20:00 New York time
    slots = query(client, resources=[LORRAINE], **{"from": "2026-12-15T17:00:00-05:00",
                                                   "to": "2026-12-15T22:00:00-05:00", "timezone": "America/New_York"})
    assert hours(slots) == [17, 20, 21]


def test_a_new_event_blocks_too(client):
    client.post(f"{BASE}/events", json={"calendar_id": "22f86f0c-ee80-470c-95e8-dadd9d05edd2",
                                        "start": "2026-12-14T08:30:00-08:00", "end": "2026-12-14T08:45:00-08:00",
                                        "what": "Feed Einstein", "where": "Garage"}, headers=APP)
    assert hours(query(client, resources=[DOC], **DAY)) == DOC_FREE[1:]


@pytest.mark.parametrize("options, expected", [
    # buffer pads what blocks the resource
    ({"buffer": "30 minutes"}, [8, 15, 16, 17]),
    # longer slots
    ({"length": "2 hours"}, [8, 14, 16]),
    # slots starting every half hour
    ({"start_increments": "30 minutes"}, [8, (8, 30), 9, 11, (11, 30), 12, 14, (14, 30), 15, (15, 30), 16, (16, 30), 17]),
    ({"length": "30 minutes"}, [8, (8, 30), 9, (9, 30), 11, (11, 30), 12, (12, 30), 14, (14, 30), 15, (15, 30),
                                16, (16, 30), 17, (17, 30)]),
])
def test_length_buffer_and_increments(client, options, expected):
    assert hours(query(client, resources=[DOC], **DAY, **options)) == expected


@pytest.mark.parametrize("mode, expected", [
    # every resource free, offered with all of them
    ("mutual", [(h, [DOC, MARTY]) for h in (8, 9, 11, 12, 14, 16, 17)]),
    # any resource free, offered with those that are
    ("exclusive", [(h, [DOC, MARTY]) for h in (8, 9)] + [(10, [MARTY])] + [(h, [DOC, MARTY]) for h in (11, 12)]
     + [(13, [MARTY]), (14, [DOC, MARTY]), (15, [DOC])] + [(h, [DOC, MARTY]) for h in (16, 17)]),
    # the first free resource in the given order
    ("roundrobin_prioritized", [(8, [DOC]), (9, [DOC]), (10, [MARTY]), (11, [DOC]), (12, [DOC]), (13, [MARTY]),
                                (14, [DOC]), (15, [DOC]), (16, [DOC]), (17, [DOC])]),
])
def test_modes(client, mode, expected):
    slots = query(client, mode=mode, resources=[DOC, MARTY], **DAY)
    assert [(h, s["resources"]) for h, s in zip(hours(slots), slots)] == expected


def test_roundrobin_random_offers_one_free_resource_and_keeps_it_while_free(client):
    slots = query(client, mode="roundrobin_random", resources=[DOC, MARTY], **DAY)
    chosen = [s["resources"] for s in slots]
    busy = {10: DOC, 13: DOC, 15: MARTY}
    switches = sum(1 for a, b in zip(chosen, chosen[1:]) if a != b)
    assert hours(slots) == list(range(8, 18))
    assert all(len(c) == 1 and busy.get(h) != c[0] for h, c in zip(range(8, 18), chosen))
    assert switches <= 4  # at most a switch away and back around each blocked hour of the sticky one


def test_the_same_random_query_gives_the_same_answer(client):
    body = {"mode": "roundrobin_random", "resources": [DOC, MARTY], **DAY}
    assert query(client, **body) == query(client, **body)


@pytest.mark.parametrize("zone, first", [
    ("America/Los_Angeles", "2026-12-14T08:00:00-08:00"),
    ("Europe/Copenhagen", "2026-12-14T17:00:00+01:00"),
    (None, "2026-12-14T16:00:00+00:00"),  # UTC by default
])
def test_output_time_zone(client, zone, first):
    body = {**DAY, "timezone": zone} if zone else {k: v for k, v in DAY.items() if k != "timezone"}
    assert query(client, resources=[DOC], **body)[0]["start"] == first


def test_relative_from_and_to(client):
    slots = query(client, resources=[MARTY], **{"from": "1 day", "to": "2 days"})
    now = datetime.now(timezone.utc)
    starts = [datetime.fromisoformat(s["start"]) for s in slots]
    assert now + timedelta(days=1) <= starts[0] <= now + timedelta(days=1, hours=1)
    assert datetime.fromisoformat(slots[-1]["end"]) <= now + timedelta(days=2, minutes=1)


def test_defaults_are_now_for_four_weeks_of_one_hour_slots(client):
    slots = query(client, resources=[MARTY])
    now = datetime.now(timezone.utc)
    first, last = datetime.fromisoformat(slots[0]["start"]), datetime.fromisoformat(slots[-1]["end"])
    assert now <= first <= now + timedelta(hours=1)
    assert now + timedelta(weeks=4) - timedelta(hours=1) <= last <= now + timedelta(weeks=4)
    assert all(datetime.fromisoformat(s["end"]) - datetime.fromisoformat(s["start"]) == timedelta(hours=1)
               for s in slots)


def test_project_settings_are_the_defaults(client):
    # the project books Doc, else Biff, 1 hour with a 15 minute buffer (Doc is booked 10-11, 13-14)
    slots = query(client, project_id=PROJECT_FLUX, **DAY)
    assert [(h, s["resources"]) for h, s in zip(hours(slots), slots)] == \
        [(8, [DOC])] + [(h, [BIFF]) for h in range(9, 15)] + [(h, [DOC]) for h in (15, 16, 17)]


def test_dates(client):
    body = {"resources": [DOC, MARTY], "mode": "exclusive", "from": "2026-12-14T00:00:00-08:00",
            "to": "2026-12-16T00:00:00-08:00", "timezone": "America/Los_Angeles"}
    assert query(client, "/availability/dates", **body) == [
        {"date": "2026-12-14", "resources": [DOC, MARTY]}, {"date": "2026-12-15", "resources": [DOC, MARTY]}]


def test_count_is_the_number_of_slots(client):
    body = {"resources": [DOC], **DAY}
    assert query(client, "/availability/count", **body) == {"count": len(DOC_FREE)}


def test_unavailable_slots(client):
    slots = query(client, "/unavailable/slots", resources=[DOC, MARTY], **DAY)
    assert [(h, s["resources"]) for h, s in zip(hours(slots), slots)] == [(10, [DOC]), (13, [DOC]), (15, [MARTY])]


@pytest.mark.parametrize("body, fields", [
    # what is queried
    ({}, ["resources"]),
    ({"resources": ["00000000-0000-4000-8000-000000000000"]}, ["resources"]),
    ({"resources": [DOC], "project_id": "00000000-0000-4000-8000-000000000000"}, ["project_id"]),
    # the search space
    ({"resources": [DOC], "from": "2026-12-14T10:00:00Z", "to": "2026-12-14T09:00:00Z"}, ["to"]),
    ({"resources": [DOC], "from": "2026-12-14T10:00:00Z", "to": "2027-12-14T10:00:00Z"}, ["to"]),
    ({"resources": [DOC], "from": "next blue moon"}, ["from"]),
    ({"resources": [DOC], "timezone": "Hill_Valley/Clock_Tower"}, ["timezone"]),
    # lengths: the schema's duration pattern, then the minimum
    ({"resources": [DOC], "length": "forever"}, ["length"]),
    ({"resources": [DOC], "length": "0 minutes"}, ["length"]),
    ({"resources": [DOC], "length": "30 seconds", "start_increments": "5 seconds"}, ["length", "start_increments"]),
    # every problem at once
    ({"from": "soon", "timezone": "Nowhere"}, ["from", "resources", "timezone"]),
])
def test_query_validation_lists_every_field(client, body, fields):
    response = client.post(f"{BASE}/availability", json=body, headers=APP)
    assert response.status_code == 422
    assert sorted(response.json()["errors"]) == fields


# -- constraints: the request's (or project's) and each resource's own, in the resource's time zone --
@pytest.mark.parametrize("constraints, expected", [
    ([], DOC_FREE),
    ([{"allow_hours": {"start": 9, "end": 17}}], [9, 11, 12, 14, 15, 16]),
    ([{"allow_hours": {"start": 9, "end": 17}}, {"block_hours": {"start": 12, "end": 13}}], [9, 11, 14, 15, 16]),
    ([{"block_weekends": {}}, {"allow_hours": {"start": 9, "end": 17}}], [9, 11, 12, 14, 15, 16]),
    ([{"allow_weekdays": {}}, {"allow_hours": {"start": 9, "end": 17}}], [9, 11, 12, 14, 15, 16]),
    ([{"allow_weekends": {}}], []),
    ([{"allow_day": {"day": "Monday"}}], DOC_FREE),
    ([{"allow_day": {"day": "tuesday"}}], []),
    ([{"block_day": {"day": "Monday"}}], []),
    ([{"allow_day_and_time": {"day": "Monday", "start": 8, "end": 10}},
      {"allow_day_and_time": {"day": "Monday", "start": 14, "end": 16}}], [8, 9, 14, 15]),
    ([{"block_day_and_time": {"day": "Monday", "start": 8, "end": 12}}], [12, 14, 15, 16, 17]),
    ([{"allow_hours": {"start": 9.5, "end": 13}}], [11, 12]),
    ([{"block_period": {"start": "2026-12-14T14:00:00-08:00", "end": "2026-12-14T16:00:00-08:00"}}],
     [8, 9, 11, 12, 16, 17]),
    ([{"allow_period": {"start": "2026-12-14T20:00:00+0000", "end": "2026-12-15T00:00:00+0000"}}], [12, 14, 15]),
], ids=["none", "opening hours", "lunch blocked", "weekends blocked", "weekdays and hours", "weekends only",
        "monday", "tuesday (lower case)", "monday blocked", "two windows of one day", "morning blocked",
        "half hours", "period blocked", "period allowed (+0000 form)"])
def test_constraints_on_the_query(client, constraints, expected):
    assert hours(query(client, resources=[DOC], constraints=constraints, **DAY)) == expected


def test_a_resources_own_constraints_apply_with_the_querys(client):
    response = client.put(f"{BASE}/resources/{DOC}", headers=APP,
                          json={"availability_constraints": [{"allow_hours": {"start": 11, "end": 15}}]})
    assert response.status_code == 200, response.text
    assert hours(query(client, resources=[DOC], **DAY)) == [11, 12, 14]
    both = [{"allow_hours": {"start": 12, "end": 18}}]
    assert hours(query(client, resources=[DOC], constraints=both, **DAY)) == [12, 14]
    # and the resource is unavailable where its own rules say so
    blocked = query(client, "/unavailable/slots", resources=[DOC], **DAY)
    assert hours(blocked) == [8, 9, 10, 13, 15, 16, 17]


def test_constraints_are_read_in_each_resources_time_zone(client):
    """9 to 5 in New York (Lorraine) is 6 to 2 in Los Angeles."""
    opening = [{"allow_hours": {"start": 9, "end": 17}}]
    free = hours(query(client, resources=[LORRAINE], **DAY))
    assert hours(query(client, resources=[LORRAINE], constraints=opening, **DAY)) == [h for h in free if h < 14]


@pytest.mark.parametrize("constraints, field", [
    ([{"allow_hours": {"start": 17, "end": 9}}], "constraints.0.allow_hours.end"),
    ([{"allow_moon": {}}], "constraints.0"),
    ([{"allow_hours": {"start": 9, "end": 25}}], "constraints.0.allow_hours.end"),
    ([{"allow_day": {"day": "Caturday"}}], "constraints.0.allow_day.day"),
    ([{"block_period": {"start": "2026-12-14T16:00:00Z", "end": "2026-12-14T14:00:00Z"}}],
     "constraints.0.block_period.end"),
    ([{"allow_hours": {"start": 9, "end": 17}, "block_weekends": {}}], "constraints.0"),
])
def test_a_wrong_constraint_is_refused_where_it_is(client, constraints, field):
    response = client.post(f"{BASE}/availability", json={"resources": [DOC], "constraints": constraints, **DAY},
                           headers=APP)
    assert response.status_code == 422, response.text
    assert field in response.json()["errors"]


def test_a_resource_with_a_wrong_constraint_is_refused_and_unchanged(client):
    response = client.put(f"{BASE}/resources/{DOC}", headers=APP, json={
        "availability_constraints": [{"block_weekends": {}}, {"block_hours": {"start": 13, "end": 12}}]})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["availability_constraints.1.block_hours.end"]
    assert client.get(f"{BASE}/resources/{DOC}", headers=APP).json()["data"]["availability_constraints"] == []
