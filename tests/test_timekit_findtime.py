"""The deprecated findtime family answers from the same engine as /availability: mutual slots of
`resource_ids` (or `emails`) from now until `future`, the older `filters`, team availability,
bulk queries. "Now" is fixed at 2026-12-14 08:00 in Los Angeles (a Monday), when Doc Brown is
booked 10-11 and 13-14 and Marty 15-16."""

from datetime import datetime

import pytest

from understudy.builtin.handlers.timekit import times
from timekit_support import APP, BASE, DOC, MARTY, booking_body, create

LA = "America/Los_Angeles"
DOC_FREE = [8, 9, 11, 12, 14, 15, 16, 17]
DAY = {"future": "10 hours", "timezone": LA}


@pytest.fixture(autouse=True)
def monday_morning(monkeypatch):
    monkeypatch.setattr(times, "now", lambda: datetime.fromisoformat("2026-12-14T08:00:00-08:00"))


def find(client, path="/findtime", **body):
    response = client.post(f"{BASE}{path}", json=body, headers=APP)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def hours(slots) -> list:
    return [datetime.fromisoformat(s["start"]).hour for s in slots]


@pytest.mark.parametrize("body, expected", [
    ({"resource_ids": [DOC]}, DOC_FREE),
    ({"emails": ["Doc.Brown@timekit.io"]}, DOC_FREE),
    ({"resource_ids": [DOC, MARTY]}, [h for h in DOC_FREE if h != 15]),
    ({"resource_ids": [DOC], "sort": "desc"}, DOC_FREE[::-1]),
    ({"resource_ids": [DOC], "filters": {"or": [
        {"specific_day_and_time": {"day": "Monday", "start": 9, "end": 13, "timezone": LA}},
        {"specific_day_and_time": {"day": "Wednesday", "start": 10, "end": 16}}]}}, [9, 11, 12]),
    ({"resource_ids": [DOC], "filters": {"or": [
        {"specific_day_and_time": {"day": "Monday", "start": 12, "end": 14, "timezone": "Europe/Copenhagen"}}]}}, []),
    ({"resource_ids": [DOC], "filters": {"and": [{"allow_hours": {"start": 9, "end": 17}},
                                                 {"block_hours": {"start": 12, "end": 13}}]}}, [9, 11, 14, 15, 16]),
], ids=["resource_ids", "emails", "mutual", "sorted descending", "or filters", "filter in its own time zone",
        "and filters"])
def test_findtime(client, body, expected):
    assert hours(find(client, **DAY, **body)) == expected


def test_a_new_booking_removes_its_slot(client):
    create(client, booking_body(start="2026-12-14T16:00:00-08:00", end="2026-12-14T17:00:00-08:00"))
    assert 16 not in hours(find(client, resource_ids=[DOC], **DAY))


AFTERNOON = {"allow_hours": {"start": 14, "end": 17}}


@pytest.mark.parametrize("team, expected", [
    # each resource a member by itself
    ({"resource_ids": [DOC, MARTY]}, {8: [DOC, MARTY], 10: [MARTY], 14: [DOC, MARTY], 15: [DOC]}),
    # the documented `resources`: groups of resources
    ({"resources": [{"resource_ids": [DOC]}, {"resource_ids": [MARTY]}]},
     {8: [DOC, MARTY], 10: [MARTY], 14: [DOC, MARTY], 15: [DOC]}),
    ({"resources": [{"resource_ids": [DOC, MARTY]}]}, {8: [DOC, MARTY], 10: None, 14: [DOC, MARTY], 15: None}),
    # a group's own filters (and e-mails) apply to it alone
    ({"resources": [{"resource_ids": [DOC], "filters": {"and": [AFTERNOON]}},
                    {"emails": ["marty.mcfly@timekit.io"]}]}, {8: [MARTY], 10: [MARTY], 14: [DOC, MARTY], 15: [DOC]}),
    # groups and single resources together
    ({"resources": [{"resource_ids": [DOC, MARTY]}], "resource_ids": [MARTY]},
     {8: [DOC, MARTY], 10: [MARTY], 14: [DOC, MARTY], 15: None}),
], ids=["resource_ids", "groups of one", "one group of two", "a group's own filters", "groups and resource_ids"])
def test_team_offers_a_slot_when_any_member_is_free(client, team, expected):
    slots = find(client, "/findtime/team", **team, **DAY)
    by_hour = {datetime.fromisoformat(s["start"]).hour: s["resources"] for s in slots}
    assert {hour: by_hour.get(hour) for hour in expected} == expected
    assert [s["start"] for s in slots] == sorted(s["start"] for s in slots)


def test_slots_of_length_all_solutions_and_no_day_span(client):
    assert [s["end"] for s in find(client, resource_ids=[MARTY], length="30 minutes", **DAY)][:2] == [
        "2026-12-14T08:30:00-08:00", "2026-12-14T09:00:00-08:00"]
    every = find(client, resource_ids=[MARTY], all_solutions=True, **DAY)
    assert [s["start"][11:16] for s in every][:3] == ["08:00", "08:15", "08:30"]
    spanning = find(client, resource_ids=[MARTY], length="5 hours", future="1 day", timezone=LA)
    kept = find(client, resource_ids=[MARTY], length="5 hours", future="1 day", timezone=LA, no_day_span=True)
    assert len(kept) < len(spanning)
    assert all(s["start"][:10] == s["end"][:10] or s["end"][11:19] == "00:00:00" for s in kept)


def test_bulk_answers_each_query_in_order(client):
    response = client.post(f"{BASE}/findtime/bulk", headers=APP,
                           json=[{"resource_ids": [DOC], **DAY}, {"resource_ids": [MARTY], **DAY}])
    assert response.status_code == 200
    doc, marty = response.json()["data"]
    assert hours(doc) == DOC_FREE and 15 not in hours(marty) and 10 in hours(marty)


@pytest.mark.parametrize("path, body, fields", [
    ("/findtime", {}, ["resource_ids"]),
    ("/findtime", {"emails": ["nobody@hill-valley.example"]}, ["emails.0", "resource_ids"]),
    ("/findtime", {"resource_ids": [DOC], "future": "1 year"}, ["future"]),
    ("/findtime", {"resource_ids": [DOC], "filters": {"and": [{"allow_hours": {"start": 17, "end": 9}}]}},
     ["filters.and.0.allow_hours.end"]),
    ("/findtime", {"resource_ids": [DOC], "filters": {"or": [
        {"specific_day_and_time": {"day": "Monday", "start": 9, "end": 13, "timezone": "Hill_Valley/Clock"}}]}},
     ["filters.or.0.specific_day_and_time.timezone"]),
    ("/findtime", {"resource_ids": [DOC], "filters": {"or": [{"sometimes": {}}]}}, ["filters.or.0"]),
    ("/findtime/team", {"resource_ids": ["00000000-0000-4000-8000-000000000000"]}, ["resource_ids"]),
    ("/findtime/team", {"resources": [{"resource_ids": [DOC]}, {"resource_ids": [DOC], "future": "7 months"},
                                      {}]}, ["resources.1.future", "resources.2.resource_ids"]),
    ("/findtime/team", {"resources": [{"resource_ids": [DOC]}], "resource_ids": ["00000000-0000-4000-8000-000000000000"]},
     ["resource_ids"]),
    ("/findtime/bulk", [{"resource_ids": [DOC]}, {"resource_ids": [DOC], "length": "0 minutes"}], ["1.length"]),
])
def test_findtime_validation_lists_every_field(client, path, body, fields):
    response = client.post(f"{BASE}{path}", json=body, headers=APP)
    assert response.status_code == 422, response.text
    assert sorted(response.json()["errors"]) == fields
