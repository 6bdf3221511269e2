"""Several worker processes share one state (SQLite): a write through one worker is read by the
next request on any worker, concurrent updates lose nothing, reset resets all of them."""

import multiprocessing
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from conftest import ROOT
from understudy.sqlstore import Database, SqliteStore

OWNER = ("owner", "owner-password")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def workers(tmp_path_factory):
    port = free_port()
    state = tmp_path_factory.mktemp("state") / "state.sqlite"
    process = subprocess.Popen(
        [sys.executable, "-m", "understudy.cli", "serve", "--api", "tiikr", "--workers", "2",
         "--port", str(port), "--state", str(state)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            if requests.get(f"{base}/api/v1/test", auth=OWNER, timeout=1).status_code == 200:
                break
        except requests.ConnectionError:
            time.sleep(0.2)
    yield base
    process.terminate()
    process.wait(timeout=15)


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
