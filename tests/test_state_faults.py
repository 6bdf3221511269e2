"""When the state cannot be reached: at start, one line and exit code 2; while serving, 503 in
each API's own error format until the database is back, then on as before, nothing acknowledged
lost. The lost-database test stops and starts a PostgreSQL server of its own (the `pgserver`
wheel's binaries, or Debian's)."""

from __future__ import annotations

import importlib.util
import subprocess
import time

import pytest
from starlette.testclient import TestClient

from conftest import ROOT, TEST_CONFIG, basic
from servers import free_port, serve_command
from timekit_support import booking_body
from understudy.app import create_app

pytestmark = pytest.mark.once  # each test picks its own state


@pytest.mark.parametrize("state, message", [
    ("{tmp}/no-such-folder/state.sqlite", "understudy: cannot use {tmp}/no-such-folder/state.sqlite as the state: "
                                          "its folder {tmp}/no-such-folder does not exist"),
    ("{tmp}", "understudy: cannot use {tmp} as the state: it is a folder"),
    ("postgresql://qa:s3cret@127.0.0.1:{port}/understudy",
     "understudy: cannot use the state database postgresql://qa:****@127.0.0.1:{port}/understudy: "
     if importlib.util.find_spec("psycopg") else
     "understudy: --state postgresql://... needs psycopg: pip install 'understudy[postgres]'"),
])
def test_a_state_that_cannot_be_opened_stops_serve_with_one_line(tmp_path, state, message):
    port = free_port()
    filled = {"tmp": tmp_path, "port": port}
    done = subprocess.run(serve_command("--api", "tiikr", "--state", state.format(**filled), port=free_port()),
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    lines = done.stderr.strip().splitlines()
    assert (done.returncode, len(lines), done.stdout) == (2, 1, "")
    assert lines[0].startswith(message.format(**filled)), lines[0]
    assert "s3cret" not in done.stderr


OWNER = basic("owner", "owner-password")
TIMEKIT = {"Authorization": basic("", "live_api_key_7nzvc7wsBQQISLeFSVhROys9V1bUJ1z7")["Authorization"]}
TAKARO = {"Authorization": "Bearer ory_st_DemoRootBraveOttersSing000000001"}
TIMBR = {"x-api-key": "tk_ab3f0c7e41d24a9b8c1e5d2f6a7b6af3"}
# One read per API, and where its error format puts the message.
READS = [
    ("tiikr", "/tiikr/api/v1/workflows/1", OWNER, lambda body: (body["success"], body["message"])),
    ("timekit", "/timekit/v2/bookings", TIMEKIT, lambda body: (False, body["error"])),
    ("takaro", "/takaro/gameserver/1fea83ba-448e-4c6d-95f3-066e8757104a", TAKARO,
     lambda body: (False, body["meta"]["error"]["message"])),
    ("platform", "/platform/v2/users/me", basic("alice@acme.example", "alice-api-key"),
     lambda body: (body["errors"][0]["status"] != 503, body["errors"][0]["detail"])),
    ("timbr", "/timbr/timbr/api/get_ontologies/", TIMBR, lambda body: (body["status"] != "error", body["data"])),
    ("__understudy", "/__understudy/sessions", {}, lambda body: (False, body["error"])),
]


@pytest.fixture(scope="module")
def lost():
    """A server whose PostgreSQL database can be stopped and started again."""
    pytest.importorskip("psycopg", reason="pip install -e '.[test,postgres]'")
    from understudy.stores.throwaway import Throwaway, binaries

    if binaries() is None:
        pytest.skip("no PostgreSQL binaries: pip install pgserver (or apt-get install postgresql)")
    with Throwaway() as database:
        app = TestClient(create_app({**TEST_CONFIG, "state": database.uri}), raise_server_exceptions=False)
        yield app, database
        app.app.sessions.close()


def test_a_lost_database_is_503_in_each_apis_format_and_then_back_with_everything(lost):
    client, database = lost
    made = client.post("/timekit/v2/bookings", headers=TIMEKIT, json=booking_body())
    assert made.status_code == 201, made.text
    database.stop("immediate")  # as if PostgreSQL crashed
    try:
        answers = {api: client.get(path, headers=headers) for api, path, headers, _ in READS}
        assert {api: (r.status_code, r.headers.get("retry-after")) for api, r in answers.items()} == \
            {api: (503, "1") for api, *_ in READS}
        for api, _, _, message in READS:
            assert message(answers[api].json()) == (False, "The state database is unavailable; try again shortly")
    finally:
        database.start()
    deadline = time.monotonic() + 30
    while client.get(READS[0][1], headers=OWNER).status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    booking = client.get(f"/timekit/v2/bookings/{made.json()['data']['id']}", headers=TIMEKIT)
    assert [client.get(path, headers=headers).status_code for _, path, headers, _ in READS] == [200] * len(READS)
    assert booking.status_code == 200
