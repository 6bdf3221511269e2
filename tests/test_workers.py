"""Several worker processes share one state (SQLite): a write through one worker is read by the
next request on any worker, concurrent updates lose nothing, reset resets all of them."""

import multiprocessing
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from servers import at_once, serving
from understudy.stores.sqlite import Database, SqliteStore

pytestmark = pytest.mark.once  # these tests start their own workers on SQLite, whatever the pass

OWNER = ("owner", "owner-password")


@pytest.fixture(scope="module")
def workers(tmp_path_factory):
    state = tmp_path_factory.mktemp("state") / "state.sqlite"
    with serving("--api", "tiikr", "--workers", "2", "--state", str(state), ready="/api/v1/test", auth=OWNER) as base:
        yield base


def fresh_get(url, headers=None, **kwargs):
    """A request on a new connection, so the kernel may hand it to either worker."""
    return requests.get(url, headers={"Connection": "close", **(headers or {})}, **kwargs)


def test_requests_are_served_by_several_workers(workers):
    requests.delete(f"{workers}/__understudy/requests")
    seen: set[int] = set()
    with ThreadPoolExecutor(24) as pool:
        for _ in range(20):  # the kernel spreads connections unevenly when load is light
            list(pool.map(lambda _: fresh_get(f"{workers}/api/v1/test", auth=OWNER), range(48)))
            entries = fresh_get(f"{workers}/__understudy/requests", params={"api": "tiikr"}).json()["requests"]
            seen = {e["worker"] for e in entries}
            if len(seen) == 2:
                break
    assert len(seen) == 2


def test_a_write_is_read_by_the_next_request_on_any_worker(workers):
    requests.delete(f"{workers}/__understudy/controls")
    for n in range(20):
        created = requests.post(f"{workers}/__understudy/controls", headers={"Connection": "close"}, json={
            "api": "tiikr", "path": f"/api/v1/workflows/{n}", "prefer": "code=404"}).json()
        listed = fresh_get(f"{workers}/__understudy/controls").json()["controls"]
        assert created in listed


def test_concurrent_updates_across_workers_lose_nothing(workers):
    requests.delete(f"{workers}/__understudy/controls")
    rule = requests.post(f"{workers}/__understudy/controls", json={
        "api": "tiikr", "operation": "workflows.test", "prefer": "delay=0"}).json()
    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(lambda _: fresh_get(f"{workers}/api/v1/test", auth=OWNER).status_code,
                                 range(200)))
    assert statuses == [200] * 200
    used = fresh_get(f"{workers}/__understudy/controls").json()["controls"][0]
    assert (used["id"], used["used"]) == (rule["id"], 200)


def test_sessions_and_reset_are_shared_by_every_worker(workers):
    fresh_get(f"{workers}/api/v1/test", auth=OWNER, headers={"X-Understudy-Session": "shared-qa"})
    names = [fresh_get(f"{workers}/__understudy/sessions").json()["sessions"] for _ in range(6)]
    assert all("shared-qa" in [s["name"] for s in listed] for listed in names)
    resets = [requests.post(f"{workers}/__understudy/reset", params={"session": "shared-qa"},
                            headers={"Connection": "close"}).status_code for _ in range(6)]
    assert resets == [200] * 6


def bump_many(path: str, times: int) -> None:
    view = SqliteStore(Database(path), {"demo": {"things": [{"id": 1, "n": 0}]}}).view("demo")
    for _ in range(times):
        view.update("things", 1, lambda doc: doc.update(n=doc["n"] + 1))


def test_sqlite_updates_from_several_processes_lose_nothing(tmp_path):
    path = str(tmp_path / "state.sqlite")
    SqliteStore(Database(path), {"demo": {"things": [{"id": 1, "n": 0}]}}).view("demo")  # load fixtures
    processes = [multiprocessing.get_context("spawn").Process(target=bump_many, args=(path, 150))
                 for _ in range(3)]
    for p in processes:
        p.start()
    for p in processes:
        p.join(60)
    view = SqliteStore(Database(path), {}).view("demo")
    assert view.get("things", 1)["n"] == 450


TIMEKIT_APP = ("", "live_api_key_7nzvc7wsBQQISLeFSVhROys9V1bUJ1z7")


@pytest.fixture(scope="module")
def timekit_workers():
    with serving("--api", "timekit", "--workers", "2", ready="/v2/app", auth=TIMEKIT_APP) as base:
        yield base


def test_two_workers_never_book_one_slot_twice(timekit_workers):
    """The availability check and the insert are one step across processes: of many requests for
    the same free slot at once, exactly one is booked."""
    from timekit_support import booking_body

    slot = booking_body(start="2027-03-01T10:00:00+00:00", end="2027-03-01T11:00:00+00:00")

    def total():
        return fresh_get(f"{timekit_workers}/v2/bookings", auth=TIMEKIT_APP).json()["total"]

    before = total()
    try:
        with ThreadPoolExecutor(12) as pool:
            statuses = list(pool.map(lambda _: requests.post(
                f"{timekit_workers}/v2/bookings", auth=TIMEKIT_APP, headers={"Connection": "close"},
                json=slot).status_code, range(24)))
        assert sorted(statuses) == [201] + [422] * 23
        assert total() == before + 1
    finally:
        requests.post(f"{timekit_workers}/__understudy/reset", headers={"Connection": "close"})


def test_a_booking_made_on_one_worker_is_read_and_reset_on_every_worker(timekit_workers):
    from timekit_support import booking_body

    def book_and_read(n):
        response = requests.post(f"{timekit_workers}/v2/bookings", auth=TIMEKIT_APP, headers={"Connection": "close"},
                                 json=booking_body(start=f"2027-02-{n + 1:02d}T10:00:00+00:00",
                                                   end=f"2027-02-{n + 1:02d}T11:00:00+00:00"))
        assert response.status_code == 201, response.text
        booking_id = response.json()["data"]["id"]
        reads = [fresh_get(f"{timekit_workers}/v2/bookings/{booking_id}", auth=TIMEKIT_APP).status_code
                 for _ in range(4)]  # at once, each on a new connection: either worker
        return booking_id, reads

    def read(booking_id):
        return fresh_get(f"{timekit_workers}/v2/bookings/{booking_id}", auth=TIMEKIT_APP).status_code

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(book_and_read, range(20)))
        made = [booking_id for booking_id, _ in results]
        assert [reads for _, reads in results] == [[200] * 4] * 20
        for _ in range(20):  # a busy machine may hand every connection to one worker for a while
            journal = fresh_get(f"{timekit_workers}/__understudy/requests", params={"method": "GET"}).json()["requests"]
            readers = {b: {e["worker"] for e in journal if e["path"].endswith(b)} for b in made}
            if any(len(workers) == 2 for workers in readers.values()):
                break
            assert list(pool.map(read, made * 4)) == [200] * 80
    # a booking read by both workers was read by one that did not store it
    assert any(len(workers) == 2 for workers in readers.values())
    requests.post(f"{timekit_workers}/__understudy/reset", headers={"Connection": "close"})
    assert [fresh_get(f"{timekit_workers}/v2/bookings/{b}", auth=TIMEKIT_APP).status_code for b in made] == [404] * 20


TAKARO_ROOT = {"Authorization": "Bearer ory_st_DemoRootBraveOttersSing000000001"}


@pytest.fixture(scope="module")
def takaro_workers(tmp_path_factory):
    state = tmp_path_factory.mktemp("takaro") / "state.sqlite"
    with serving("--api", "takaro", "--workers", "2", "--state", str(state), ready="/", auth=None) as base:
        yield base


@pytest.mark.parametrize("key", [f"dup-{n}" for n in range(6)])  # a race: several tries to catch it
def test_a_uniqueness_rule_holds_across_workers(takaro_workers, key):
    """A variable's key is checked in the same step as the insert: of 16 creates of one key at
    once, on two workers, one is stored and 15 are refused."""
    statuses = at_once([takaro_workers] * 16, lambda session, origin: session.post(
        f"{origin}/variables", json={"key": key, "value": "v"}, headers=TAKARO_ROOT).status_code)
    found = requests.post(f"{takaro_workers}/variables/search", json={"filters": {"key": [key]}},
                          headers=TAKARO_ROOT).json()["data"]
    assert (sorted(statuses), len(found)) == ([200] + [409] * 15, 1)
