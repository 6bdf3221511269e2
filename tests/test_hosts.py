"""Several hosts, one state: two `understudy serve --state postgresql://...` processes on two
ports against one PostgreSQL database, as two hosts behind a load balancer would run. A write
through one is read by the next request on the other, one slot is booked once whichever host
takes the requests, a control counts its uses across both, and a reset through one resets both.

Needs a PostgreSQL server (UNDERSTUDY_TEST_POSTGRES; `.ci/run` starts one)."""

from __future__ import annotations

import itertools

import pytest
import requests

from conftest import NO_POSTGRES, POSTGRES, WORKER, postgres_database
from servers import at_once, serving, wait_for

pytestmark = [pytest.mark.once, pytest.mark.skipif(not POSTGRES, reason=NO_POSTGRES)]

OWNER = ("owner", "owner-password")
TIMEKIT = ("", "live_api_key_7nzvc7wsBQQISLeFSVhROys9V1bUJ1z7")
TAKARO_ROOT = {"Authorization": "Bearer ory_st_DemoRootBraveOttersSing000000001"}


@pytest.fixture(scope="module")
def hosts():
    location = postgres_database(f"understudy_hosts_{WORKER}")
    with serving("--state", location, "--workers", "1", ready="/tiikr/api/v1/test", auth=OWNER) as one, \
            serving("--state", location, "--workers", "1", ready="/tiikr/api/v1/test", auth=OWNER) as two:
        yield one, two


@pytest.fixture(autouse=True)
def fresh(hosts):
    requests.post(f"{hosts[0]}/__understudy/reset")
    requests.delete(f"{hosts[1]}/__understudy/controls")


def booking(day: int, hour: int = 10) -> dict:
    from timekit_support import booking_body

    return booking_body(start=f"2027-03-{day:02d}T{hour:02d}:00:00+00:00", end=f"2027-03-{day:02d}T{hour + 1:02d}:00:00+00:00")


def test_a_write_through_one_host_is_read_by_the_next_request_on_the_other(hosts):
    for n, (writer, reader) in zip(range(1, 9), itertools.cycle([hosts, hosts[::-1]])):
        made = requests.post(f"{writer}/timekit/v2/bookings", auth=TIMEKIT, json=booking(n))
        assert made.status_code == 201, made.text
        read = requests.get(f"{reader}/timekit/v2/bookings/{made.json()['data']['id']}", auth=TIMEKIT)
        assert read.status_code == 200


def test_one_slot_is_booked_once_across_hosts(hosts):
    """24 requests for one free slot at once, half on each host: one booking, 23 refusals."""
    def total():
        return requests.get(f"{hosts[1]}/timekit/v2/bookings", auth=TIMEKIT).json()["total"]

    before = total()
    statuses = at_once(list(hosts) * 12, lambda session, origin: session.post(
        f"{origin}/timekit/v2/bookings", auth=TIMEKIT, json=booking(20)).status_code)
    assert (sorted(statuses), total()) == ([201] + [422] * 23, before + 1)


@pytest.mark.parametrize("key", ["dup-1", "dup-2", "dup-3"])  # a race: several tries to catch it
def test_a_uniqueness_rule_holds_across_hosts(hosts, key):
    statuses = at_once(list(hosts) * 8, lambda session, origin: session.post(
        f"{origin}/takaro/variables", json={"key": key, "value": "v"}, headers=TAKARO_ROOT).status_code)
    found = requests.post(f"{hosts[0]}/takaro/variables/search", json={"filters": {"key": [key]}},
                          headers=TAKARO_ROOT).json()["data"]
    assert (sorted(statuses), len(found)) == ([200] + [409] * 15, 1)


def test_a_control_with_times_3_fires_three_times_across_hosts(hosts):
    requests.post(f"{hosts[0]}/__understudy/controls", json={
        "api": "tiikr", "operation": "workflows.test", "prefer": "code=403", "times": 3})
    statuses = at_once(list(hosts) * 6, lambda session, origin: session.get(
        f"{origin}/tiikr/api/v1/test", auth=OWNER).status_code)
    assert sorted(statuses) == [200] * 9 + [403] * 3
    assert requests.get(f"{hosts[1]}/__understudy/controls").json()["controls"][0]["used"] == 3


def test_a_reset_through_one_host_resets_both(hosts):
    made = [requests.post(f"{host}/timekit/v2/bookings", auth=TIMEKIT, json=booking(n)).json()["data"]["id"]
            for n, host in zip((11, 12), hosts)]
    assert requests.post(f"{hosts[1]}/__understudy/reset").status_code == 200
    assert [requests.get(f"{host}/timekit/v2/bookings/{b}", auth=TIMEKIT).status_code
            for host in hosts for b in made] == [404] * 4


def test_sessions_are_shared_by_both_hosts(hosts):
    session = {"X-Understudy-Session": "qa-shared"}
    made = requests.post(f"{hosts[0]}/timekit/v2/bookings", auth=TIMEKIT, json=booking(14), headers=session)
    booking_id = made.json()["data"]["id"]
    assert [requests.get(f"{hosts[1]}/timekit/v2/bookings/{booking_id}", auth=TIMEKIT, headers=h).status_code
            for h in (session, {})] == [200, 404]
    assert "qa-shared" in [s["name"] for s in requests.get(f"{hosts[1]}/__understudy/sessions").json()["sessions"]]


def test_the_journal_shows_every_hosts_requests(hosts):
    requests.delete(f"{hosts[0]}/__understudy/requests")
    for host in hosts:
        requests.get(f"{host}/tiikr/api/v1/test", auth=OWNER)

    def answered_by() -> set:  # another host writes its entry just after its answer: polled
        entries = requests.get(f"{hosts[0]}/__understudy/requests", params={"api": "tiikr"}).json()["requests"]
        return {(e["host"], e["worker"]) for e in entries}

    assert wait_for(lambda: len(answered_by()) == 2, 5), answered_by()
