"""The pytest plugin: this file uses its fixtures (loaded through the `pytest11` entry point, no
conftest), and runs pytest on small example files (`pytester`) in a fresh folder: both fixtures,
sessions isolated under pytest-xdist on one shared server, the external-URL mode (option and ini)
and the one-line errors."""

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from conftest import ROOT
from servers import free_port
from timekit_support import DOC, LIVE_KEY, booking_body

pytestmark = pytest.mark.once  # the plugin starts its own server: the same on every store pass


def timekit(understudy, understudy_session) -> requests.Session:
    client = requests.Session()
    client.auth = ("", understudy.credentials("timekit")[0]["password"])
    client.headers.update(understudy_session.headers)
    return client


# -- the fixtures, used by this suite -----------------------------------------------------------------
def test_url_and_credentials_come_from_the_server(understudy):
    assert understudy.url("timekit") == understudy.base + "/timekit/v2"
    assert understudy.credentials("timekit")[0]["password"] == LIVE_KEY
    assert requests.get(understudy.url("tiikr") + "/test", auth=("owner", "owner-password")).status_code == 200


def test_the_server_speaks_http_as_serve_does(understudy):
    """The plugin's server runs `serve`'s HTTP protocol: an over-long URL is the API's own 414."""
    response = requests.get(understudy.url("timekit") + "/bookings?search=" + "a" * 100_000, auth=("", LIVE_KEY),
                            timeout=10)
    assert response.status_code == 414 and "100" in response.json()["error"]


def test_a_sessions_booking_is_journalled_and_seen_nowhere_else(understudy, understudy_session):
    client = timekit(understudy, understudy_session)
    made = client.post(understudy.url("timekit") + "/bookings", json=booking_body(what="plugin"))
    assert made.status_code == 201
    [entry] = understudy_session.assert_called("bookings.create_booking", times=1, status=201)
    assert (entry["method"], entry["session"]) == ("POST", understudy_session.name)
    shared = requests.get(understudy.url("timekit") + "/bookings", auth=client.auth).json()["data"]
    assert made.json()["data"]["id"] not in {b["id"] for b in shared}


def test_a_control_answers_the_sessions_next_call_then_goes(understudy, understudy_session):
    client = timekit(understudy, understudy_session)
    rule = understudy_session.control("bookings.create_booking", "code=422")
    assert rule["api"] == "timekit"  # found from the operation
    statuses = [client.post(understudy.url("timekit") + "/bookings", json=booking_body()).status_code
                for _ in range(2)]
    assert statuses == [422, 201]
    understudy_session.close()
    controls = requests.get(understudy.base + "/__understudy/controls").json()["controls"]
    assert rule["id"] not in {c["id"] for c in controls}


def test_a_failed_journal_assertion_lists_what_was_called(understudy, understudy_session):
    client = timekit(understudy, understudy_session)
    client.get(understudy.url("timekit") + "/bookings", params={"limit": 2})
    with pytest.raises(AssertionError) as failure:
        understudy_session.assert_called("bookings.create_booking", times=1)
    assert str(failure.value).splitlines() == [
        "expected bookings.create_booking to be called once, but it was called 0 times.",
        f"Calls in session {understudy_session.name} (1):",
        "  GET /timekit/v2/bookings?limit=2 -> 200 (bookings.list_bookings)",
    ]


def test_a_journal_assertion_without_calls_asks_about_the_header(understudy, understudy_session):
    requests.get(understudy.url("tiikr") + "/test", auth=("owner", "owner-password"))  # header forgotten
    with pytest.raises(AssertionError, match="does the client send understudy_session.headers"):
        understudy_session.assert_called("workflows.test")


@pytest.mark.parametrize("call, message", [
    pytest.param(lambda s: s.url("nope"), r"does not serve 'nope' \(it serves: platform, takaro, tiikr, timbr, timekit\)$",
                 id="unknown API"),
    pytest.param(lambda s: s.url(), "serves 5 APIs; name one of", id="API left out"),
    pytest.param(lambda s: s.control("no.such_operation", "code=500"), "no API served at http://127.0.0.1",
                 id="unknown operation"),
    pytest.param(lambda s: s.control("workflows.test", "code=abc"), "answered 400: ", id="control refused"),
])
def test_a_mistake_is_one_line(understudy_session, call, message):
    with pytest.raises(pytest.fail.Exception, match=message) as failure:
        call(understudy_session)
    assert failure.value.pytrace is False and "\n" not in failure.value.msg


def test_the_admin_token_goes_to_every_admin_call():
    """Sent as `Authorization: Bearer` to the index and `/__understudy/*` (a stand-in server
    records what arrives: the admin token itself is another change)."""
    from understudy.pytest import UnderstudyServer

    seen = []

    class Recorder(BaseHTTPRequestHandler):
        def answer(self):
            seen.append((self.command, self.path.split("?")[0], self.headers.get("Authorization")))
            body = {"/__understudy/": {"apis": [{"name": "tiikr", "base_url": "http://x/tiikr/api/v1",
                                                 "credentials": []}]},
                    "/__understudy/requests": {"requests": [], "count": 0},
                    "/__understudy/controls": {"id": "1"}}.get(self.path.split("?")[0], {})
            payload = json.dumps(body).encode()
            self.send_response(201 if self.command == "POST" else 200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_DELETE = answer

        def log_message(self, *args):
            pass

    stand_in = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=stand_in.serve_forever, daemon=True).start()
    try:
        server = UnderstudyServer(f"http://127.0.0.1:{stand_in.server_port}", admin_token="s3cret")
        session = server.session("pytest-token")
        server.reset()
        session.requests()
        session.control(None, "code=500")
        session.close()
    finally:
        stand_in.shutdown()
        stand_in.server_close()
    assert [(method, path) for method, path, _ in seen] == [
        ("POST", "/__understudy/reset"), ("GET", "/__understudy/requests"),
        ("GET", "/__understudy/"), ("POST", "/__understudy/controls"), ("DELETE", "/__understudy/controls/1"),
        ("DELETE", "/__understudy/sessions/pytest-token")]
    assert {token for _, _, token in seen} == {"Bearer s3cret"}


# -- pytest on an example file, in a fresh folder ---------------------------------------------------------
def readme_example() -> str:
    """The README's complete test file ("Testing with pytest"), run as a user would."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.search(r"```python\n(# test_bookings.py\n.*?)```", text, re.S).group(1)


# Every test books the same slot of Doc Brown: only isolated sessions let each one have it, and
# each sees its own booking beside the fixtures' and no other test's.
ISOLATION = f'''
import pytest
import requests

BOOKING = {json.dumps(booking_body())}
DOCS = {{"search": "resource.id:{DOC}", "limit": 1000}}


@pytest.mark.parametrize("n", range(8))
def test_each_session_books_the_one_slot(understudy, understudy_session, n):
    bookings = understudy.url("timekit") + "/bookings"
    auth = ("", understudy.credentials("timekit")[0]["password"])
    made = requests.post(bookings, json=BOOKING, auth=auth, headers=understudy_session.headers)
    assert made.status_code == 201, made.text
    mine = requests.get(bookings, params=DOCS, auth=auth, headers=understudy_session.headers).json()["data"]
    shared = requests.get(bookings, params=DOCS, auth=auth).json()["data"]
    assert [b["id"] for b in mine] == [b["id"] for b in shared] + [made.json()["data"]["id"]]
    understudy_session.assert_called("bookings.create_booking", times=1)
'''


# Plugins this environment installs that the examples do not need (each would add seconds to every run).
UNNEEDED = ("-p", "no:schemathesis", "-p", "no:hypothesispytest", "-p", "no:anyio")


def test_the_readmes_example_runs_in_a_fresh_folder_with_no_conftest(pytester):
    pytester.makepyfile(test_bookings=readme_example())
    result = pytester.runpytest_subprocess(*UNNEEDED, "-p", "no:xdist", "--understudy-api", "timekit", "-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*test_create_a_booking PASSED*", "*test_the_next_test_starts_from_the_fixtures PASSED*"])


def test_sessions_stay_isolated_under_xdist_on_one_shared_server(pytester, understudy):
    pytester.makepyfile(test_isolation=ISOLATION)
    result = pytester.runpytest_subprocess(*UNNEEDED, "-n", "2", "--understudy-url", understudy.base)
    result.assert_outcomes(passed=8)
    used = {e["session"] for e in understudy.call("GET", "/__understudy/requests", {"api": "timekit"})["requests"]
            if "test_each_session_books_the_one_slot" in (e["session"] or "")}
    assert {name.split("-")[1] for name in used} == {"gw0", "gw1"}  # both workers, on this server
    assert len(used) == 8
    live = {s["name"] for s in understudy.call("GET", "/__understudy/sessions")["sessions"]}
    assert not used & live  # each session was forgotten after its test


PETS_SPEC = """openapi: 3.0.3
info: {title: Pets, version: '1'}
servers: [{url: 'https://pets.example/v1'}]
paths:
  /pets:
    post:
      operationId: createPet
      requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/Pet'}}}}
      responses: {'201': {description: created, content: {application/json: {schema: {$ref: '#/components/schemas/Pet'}}}}}
  /pets/{petId}:
    parameters: [{name: petId, in: path, required: true, schema: {type: integer}}]
    get:
      operationId: getPet
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Pet'}}}}
        '404': {description: no such pet}
components:
  schemas:
    Pet:
      type: object
      required: [id, name]
      properties: {id: {type: integer, readOnly: true}, name: {type: string}}
"""

PETS_TESTS = '''
import requests

made = []


def test_create_a_pet(understudy, understudy_session):
    answer = requests.post(understudy.url() + "/pets", json={"name": "Rex"}, headers=understudy_session.headers)
    assert answer.status_code == 201, answer.text
    made.append(answer.json()["id"])
    understudy_session.assert_called("createPet", times=1)


def test_the_next_test_has_no_pet(understudy, understudy_session):
    assert understudy_session.requests() == []
    assert requests.get(understudy.url() + f"/pets/{made[0]}", headers=understudy_session.headers).status_code == 404
'''


def test_your_own_spec_is_served_from_the_ini_file(pytester, monkeypatch):
    """The spec's path is relative to the ini file, wherever pytest is started."""
    pytester.mkdir("specs")
    (pytester.path / "specs" / "pets.yaml").write_text(PETS_SPEC)
    pytester.makepyfile(test_pets=PETS_TESTS)
    pytester.makeini("[pytest]\nunderstudy_spec = specs/pets.yaml\n")
    monkeypatch.chdir(pytester.mkdir("elsewhere"))
    result = pytester.runpytest_subprocess(*UNNEEDED, "-p", "no:xdist", "..")
    result.assert_outcomes(passed=2)


def test_the_url_can_come_from_the_ini_file(pytester, understudy):
    pytester.makepyfile(test_bookings=readme_example())
    pytester.makeini(f"[pytest]\nunderstudy_url = {understudy.base}\n")
    result = pytester.runpytest_subprocess(*UNNEEDED, "-p", "no:xdist")
    result.assert_outcomes(passed=2)
    journal = understudy.call("GET", "/__understudy/requests", {"api": "timekit", "method": "POST"})["requests"]
    assert any((e["session"] or "").endswith("test_create_a_booking") for e in journal)


@pytest.mark.parametrize("args, line", [
    pytest.param(["--understudy-url", "http://127.0.0.1:{port}"],
                 "understudy: http://127.0.0.1:{port} does not answer (*refused*)", id="url not answering"),
    pytest.param(["--understudy-url", "127.0.0.1:{port}"],
                 "understudy: --understudy-url needs an http(s) URL such as http://127.0.0.1:8000, not '127.0.0.1:{port}'",
                 id="not a url"),
    pytest.param(["--understudy-api", "timekit", "--understudy-spec", "pets.yaml"],
                 "understudy: --understudy-api picks built-in APIs and --understudy-spec serves your own: use one",
                 id="api and spec"),
    pytest.param(["--understudy-spec", "missing.yaml"],
                 "understudy: the server did not start: missing.yaml:1:1: no such file", id="spec missing"),
    pytest.param(["--understudy-api", "nope"],
                 "understudy: the server did not start: unknown API nope in --understudy-api (known: *)",
                 id="server not starting"),
])
def test_a_server_that_is_not_there_fails_the_tests_in_one_line(pytester, args, line):
    port = free_port()
    pytester.makepyfile(test_bookings=readme_example())
    result = pytester.runpytest_subprocess(*UNNEEDED, "-p", "no:xdist", *[a.format(port=port) for a in args])
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*ERROR at setup of test_create_a_booking*", line.format(port=port),
                                 "*ERROR at setup of test_the_next_test_starts_from_the_fixtures*"])
    assert "Traceback" not in result.stdout.str() and "understudy/pytest/" not in result.stdout.str()
