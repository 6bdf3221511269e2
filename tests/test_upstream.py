"""In front of the real API (understudy/upstream/): forwarding to a small real API on 127.0.0.1
(tests/upstream_support.py), drift in the journal, HAR recording and masking, `understudy drift`
offline, replay, and an upstream that is down or slow. The drift summary, kept in the state, is
tested per store in test_upstream_drift.py."""

from __future__ import annotations

import copy
from collections import Counter
import gzip
import json
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from starlette.testclient import TestClient

from conftest import ROOT, TEST_CONFIG, basic
from servers import free_port, serving
from understudy.app import create_app
from understudy.cli import main as cli
from understudy.upstream.har import Recorder, read_entries
from upstream_support import ANSWERS, PETS, start_real_api

pytestmark = pytest.mark.once

OWNER = basic("owner", "owner-password")
SECRETS = ["owner-password", "b3duZXI6b3duZXItcGFzc3dvcmQ=", "pet-key-secret", "query-key-secret",
           "hunter2-secret", "login-token-secret", "cookie-secret", "upstream-cookie-secret",
           "upstream-token-secret"]


@pytest.fixture
def pets_spec(tmp_path):
    path = tmp_path / "pets.yaml"
    path.write_text(PETS)
    return str(path)


@pytest.fixture
def serve(real_api, tmp_path):
    """serve(**config) -> a client of a new server (tiikr at the root, forwarding to the real API)."""
    clients = []

    def start(**config):
        config = {"single_api": "tiikr", "upstreams": [real_api.url + "/api/v1"], **config}
        client = TestClient(create_app({**TEST_CONFIG, "state": None, **config}), raise_server_exceptions=False)
        clients.append(client.__enter__())
        return client

    yield start
    for client in clients:
        client.__exit__(None, None, None)


def upstream_body(method: str, path: str) -> bytes:
    _, _, payload = ANSWERS[(method, path)]
    return payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()


def last_entry(client) -> dict:
    return client.get("/__understudy/requests").json()["requests"][-1]


# -- forwarding ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("path, status, content_type", [
    ("/api/v1/test", 200, "application/json"),  # conforms
    ("/api/v1/workflows", 200, "application/json"),  # drifts in the body
    ("/api/v1/workflows/7", 418, "application/json"),  # drifts in the status
    ("/api/v1/workflows/8", 200, "text/plain"),  # drifts in a header
    ("/api/v1/workflows/1", 200, "application/json"),  # gzip-encoded
])
def test_the_answer_is_the_upstreams_unchanged(serve, path, status, content_type):
    answer = serve().get(path, headers=OWNER)
    assert answer.status_code == status
    assert answer.headers["content-type"] == content_type
    assert answer.headers["x-upstream"] == "yes"
    assert answer.content == upstream_body("GET", path)


def test_an_encoded_answer_goes_back_encoded(serve):
    answer = serve().get("/api/v1/workflows/1", headers=OWNER, extensions={})
    assert answer.headers["content-encoding"] == "gzip"
    assert int(answer.headers["content-length"]) == len(gzip.compress(upstream_body("GET", "/api/v1/workflows/1")))


def test_the_request_goes_with_its_credentials_and_without_hop_by_hop_headers(serve, real_api, pets_spec):
    client = serve(single_api=None, specs=[pets_spec], upstreams=[real_api.url + "/v1"])
    body = b'{"name": "Rex",  "tag": "dog"}'
    answer = client.post("/v1/pets?limit=5&tag=a%20b&tag=c", content=body, headers={
        "Content-Type": "application/json", "X-Api-Key": "pet-key-secret", "Authorization": "Bearer abc",
        "Connection": "keep-alive, X-Hop", "X-Hop": "1", "Keep-Alive": "timeout=5", "TE": "trailers",
        "X-Understudy-Session": "suite-a", "Prefer": "code=400"})
    assert answer.status_code == 201 and answer.json() == {"id": 41, "name": "Upstream Pet"}
    sent = real_api.received[-1]
    assert (sent.method, sent.path, sent.query, sent.body) == ("POST", "/v1/pets", "limit=5&tag=a%20b&tag=c", body)
    assert sent.header("X-Api-Key") == "pet-key-secret" and sent.header("Authorization") == "Bearer abc"
    assert sent.header("Prefer") == "code=400"  # a header of the real protocol, not understudy's control
    assert sent.header("Host") == real_api.url.removeprefix("http://")
    for gone in ("X-Hop", "Keep-Alive", "TE", "X-Understudy-Session"):
        assert sent.header(gone) is None, gone


def test_an_api_named_in_front_of_its_url_when_several_are_served(serve, real_api):
    client = serve(single_api=None, apis=["tiikr", "timekit"], upstreams=[f"tiikr={real_api.url}/api/v1"])
    assert client.get("/tiikr/api/v1/workflows/7", headers=OWNER).status_code == 418
    assert real_api.received[-1].path == "/api/v1/workflows/7"
    mocked = client.get("/timekit/v2/bookings", auth=("", "live_api_key_7nzvc7wsBQQISLeFSVhROys9V1bUJ1z7"))
    assert mocked.status_code == 200 and "x-upstream" not in mocked.headers


def test_a_forwarded_answer_gets_none_of_the_mocks_own_headers(serve, real_api):
    """Timekit adds Timekit-Request-Id to each of its answers; the real one's come as they are."""
    client = serve(single_api="timekit", upstreams=[real_api.url + "/v2"])
    answer = client.get("/v2/bookings", auth=("", "live_api_key_7nzvc7wsBQQISLeFSVhROys9V1bUJ1z7"))
    assert answer.status_code == 404 and answer.headers["x-upstream"] == "yes"
    assert "timekit-request-id" not in answer.headers


# -- drift in the journal --------------------------------------------------------------------------
@pytest.mark.parametrize("path, operation, drift", [
    ("/api/v1/test", "workflows.test", []),
    ("/api/v1/workflows/1", "workflows.get_workflow", []),  # checked once decoded
    ("/api/v1/workflows", "workflows.list_workflows", [("response.body", "/data/0/id")]),
    ("/api/v1/workflows/7", "workflows.get_workflow", [("response.status", "418")]),
    ("/api/v1/workflows/8", "workflows.get_workflow", [("response.header", "Content-Type")]),
    ("/api/v1/workflows/x", "workflows.get_workflow", [("request.path", "workflow_id")]),
    ("/api/v1/nope", None, [("request.path", "/nope")]),
])
def test_the_journal_lists_the_drift_of_each_exchange(serve, real_api, path, operation, drift):
    client = serve()
    client.get(path, headers=OWNER)
    entry = last_entry(client)
    assert (entry["operationId"], entry["upstream"], entry["fallback"], entry["replayed"]) == \
        (operation, real_api.url + "/api/v1", False, None)
    assert [(d["in"], d["where"]) for d in entry["drift"]] == drift
    assert all(d["message"] for d in entry["drift"])


def test_request_drift_is_listed_and_the_request_still_forwarded(serve, real_api, pets_spec):
    client = serve(single_api=None, specs=[pets_spec], upstreams=[real_api.url + "/v1"])
    answer = client.post("/v1/pets?limit=500", json={"name": ""}, headers={"X-Api-Key": "k"})
    assert answer.status_code == 201  # the mock would have said 400: the real API's answer stands
    assert real_api.received[-1].body == b'{"name":""}'
    assert [(d["in"], d["where"]) for d in last_entry(client)["drift"]] == [("request.body", "/name")]
    client.get("/v1/pets?limit=500", headers={"X-Api-Key": "k"})
    assert [(d["in"], d["where"]) for d in last_entry(client)["drift"]] == [("request.query", "limit")]


def test_requests_outside_the_apis_base_path_are_not_forwarded(serve, real_api):
    received = len(real_api.received)
    client = serve()
    assert client.get("/elsewhere", headers=OWNER).status_code == 404
    assert len(real_api.received) == received


# -- recording --------------------------------------------------------------------------------------
def test_each_forwarded_exchange_is_recorded_as_har(serve, real_api, tmp_path):
    har = tmp_path / "f.har"
    client = serve(record=str(har))
    paths = ["/api/v1/test", "/api/v1/workflows", "/api/v1/workflows/7", "/api/v1/workflows/1"]
    for path in paths:
        client.get(path + "?page=2", headers=OWNER)
        document = json.loads(har.read_text())  # a whole HAR after each exchange
    log = document["log"]
    assert (log["version"], log["creator"]["name"]) == ("1.2", "understudy")
    assert [e["request"]["url"] for e in log["entries"]] == [f"{real_api.url}{p}?page=2" for p in paths]
    for entry, path in zip(log["entries"], paths):
        assert {"startedDateTime", "time", "request", "response", "cache", "timings"} <= set(entry)
        assert entry["request"]["queryString"] == [{"name": "page", "value": "2"}]
        response = entry["response"]
        assert response["status"] == ANSWERS[("GET", path)][0]
        if path != "/api/v1/test":  # its token is masked (below)
            assert response["content"]["text"].encode() == upstream_body("GET", path)  # decoded, as HAR keeps it
        assert {"name": "x-upstream", "value": "yes"} in response["headers"]
    assert [e["_understudy"]["operation"] for e in log["entries"]] == [
        "workflows.test", "workflows.list_workflows", "workflows.get_workflow", "workflows.get_workflow"]
    assert [len(e["_understudy"]["drift"]) for e in log["entries"]] == [0, 1, 1, 0]


def test_the_recording_keeps_no_credential_in_clear(serve, real_api, pets_spec, tmp_path):
    har = tmp_path / "f.har"
    client = serve(single_api=None, specs=[pets_spec], upstreams=[real_api.url + "/v1"], record=str(har))
    client.post("/v1/login?api_key=query-key-secret", json={"username": "alice", "password": "hunter2-secret"},
                headers={"Authorization": "Basic b3duZXI6b3duZXItcGFzc3dvcmQ=", "Cookie": "sid=cookie-secret"})
    client.get("/v1/pets", headers={"X-Api-Key": "pet-key-secret"})
    text = har.read_text()
    assert [s for s in SECRETS if s in text] == []
    login = json.loads(text)["log"]["entries"][0]
    assert json.loads(login["request"]["postData"]["text"]) == {"username": "alice", "password": "****"}
    assert json.loads(login["response"]["content"]["text"]) == {"token": "****"}
    assert {"name": "api_key", "value": "****"} in login["request"]["queryString"]
    assert {"name": "authorization", "value": "Basic ****"} in login["request"]["headers"]
    journal = json.dumps(client.get("/__understudy/requests").json())
    assert [s for s in SECRETS if s in journal] == []


def test_a_recording_cut_short_keeps_its_whole_entries_and_is_repaired(serve, tmp_path):
    har = tmp_path / "f.har"
    client = serve(record=str(har))
    for path in ("/api/v1/test", "/api/v1/workflows", "/api/v1/workflows/7"):
        client.get(path, headers=OWNER)
    text = har.read_bytes()
    har.write_bytes(text[: text.rindex(b'"_understudy"')])  # the machine stopped in the last write
    assert len(read_entries(har)) == 2
    Recorder(har).append({"request": {"method": "GET", "url": "http://x/"}, "response": {"status": 200}})
    assert [e["request"]["url"].rsplit("/", 1)[-1] for e in json.loads(har.read_text())["log"]["entries"]] == \
        ["test", "workflows", ""]


def test_several_writers_append_to_one_recording(tmp_path):
    har = tmp_path / "f.har"
    writers = [Recorder(har) for _ in range(4)]

    def write(writer, n):
        for i in range(25):
            writer.append({"request": {"method": "GET", "url": f"http://x/{n}/{i}"}, "response": {"status": 200}})

    threads = [threading.Thread(target=write, args=(w, n)) for n, w in enumerate(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    urls = sorted(e["request"]["url"] for e in json.loads(har.read_text())["log"]["entries"])
    assert urls == sorted(f"http://x/{n}/{i}" for n in range(4) for i in range(25))


# -- the upstream down or slow ----------------------------------------------------------------------
def down_url() -> str:
    return f"http://127.0.0.1:{free_port()}/api/v1"  # nothing listens there


@pytest.mark.parametrize("upstream, path, status", [
    ("down", "/api/v1/workflows", 502),
    ("slow", "/api/v1/workflows/9", 504),
])
def test_an_upstream_down_or_slow_answers_in_the_apis_own_format(serve, real_api, upstream, path, status):
    url = down_url() if upstream == "down" else real_api.url + "/api/v1"
    client = serve(upstreams=[url], upstream_timeout=0.5)
    answer = client.get(path, headers=OWNER)
    assert answer.status_code == status
    body = answer.json()
    assert body["success"] is False and url in body["message"] and body["errors"] == []
    entry = last_entry(client)
    assert (entry["status"], entry["upstream"], entry["fallback"], entry["drift"]) == (status, url, False, None)


@pytest.mark.parametrize("upstream, path", [("down", "/api/v1/workflows"), ("slow", "/api/v1/workflows/9")])
def test_with_fallback_the_mock_answers_when_the_upstream_is_down_or_slow(serve, real_api, upstream, path):
    url = down_url() if upstream == "down" else real_api.url + "/api/v1"
    client = serve(upstreams=[url], upstream_timeout=0.5, upstream_fallback=True)
    answer = client.get(path, headers=OWNER)
    mock = 200 if upstream == "down" else 404  # the fixtures list workflows; there is no workflow 9
    assert answer.status_code == mock and "x-upstream" not in answer.headers
    entry = last_entry(client)
    assert (entry["upstream"], entry["fallback"], entry["drift"]) == (url, True, None)


def test_an_upstream_down_answers_a_users_spec_as_it_documents_errors(serve, pets_spec):
    client = serve(single_api=None, specs=[pets_spec], upstreams=[f"http://127.0.0.1:{free_port()}/v1"])
    answer = client.get("/v1/pets", headers={"X-Api-Key": "k"})
    assert answer.status_code == 502 and answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["status"] == 502


# -- replay -------------------------------------------------------------------------------------------
@pytest.fixture
def tiikr_recording(serve, tmp_path):
    """A recording of the real API's answers to /test and /workflows."""
    har = tmp_path / "tiikr.har"
    client = serve(record=str(har))
    for path in ("/api/v1/test", "/api/v1/workflows"):
        client.get(path, headers=OWNER)
    return har


def test_replay_answers_a_recorded_request_and_the_mock_the_rest(serve, tiikr_recording):
    client = serve(upstreams=[], replay=[str(tiikr_recording)])
    recorded = client.get("/api/v1/workflows", headers=OWNER)
    assert recorded.status_code == 200 and recorded.content == upstream_body("GET", "/api/v1/workflows")
    assert recorded.headers["x-upstream"] == "yes"
    assert last_entry(client)["replayed"] == {"file": "tiikr.har", "entry": 2}
    mocked = client.get("/api/v1/workflows/2", headers=OWNER)
    assert mocked.status_code == 200 and mocked.json()["data"]["id"] == 2 and "x-upstream" not in mocked.headers
    entry = last_entry(client)
    assert (entry["replayed"], entry["upstream"], entry["drift"]) == (None, None, None)


def test_replay_in_front_of_the_upstream(serve, real_api, tiikr_recording):
    received = len(real_api.received)
    client = serve(replay=[str(tiikr_recording)])
    assert client.get("/api/v1/test", headers=OWNER).status_code == 200
    assert len(real_api.received) == received  # answered from the recording
    assert client.get("/api/v1/workflows/7", headers=OWNER).status_code == 418
    assert real_api.received[-1].path == "/api/v1/workflows/7"


@pytest.fixture
def pets_recording(serve, real_api, pets_spec, tmp_path):
    har = tmp_path / "pets.har"
    client = serve(single_api=None, specs=[pets_spec], upstreams=[real_api.url + "/v1"], record=str(har))
    client.post("/v1/pets?limit=5&tag=a", content=b'{"name": "Rex", "tag": "dog"}',
                headers={"X-Api-Key": "k", "Content-Type": "application/json"})
    client.post("/v1/login", json={"username": "alice", "password": "hunter2-secret"})
    return har


@pytest.mark.parametrize("method, path, body, replayed", [
    # the same request, whatever the spacing, key order or query order
    ("POST", "/v1/pets?limit=5&tag=a", {"name": "Rex", "tag": "dog"}, True),
    ("POST", "/v1/pets?tag=a&limit=5", {"tag": "dog", "name": "Rex"}, True),
    # another body, query or method: the mock
    ("POST", "/v1/pets?limit=5&tag=a", {"name": "Rex", "tag": "cat"}, False),
    ("POST", "/v1/pets?limit=5&tag=a", {"name": "Rex"}, False),
    ("POST", "/v1/pets?limit=5", {"name": "Rex", "tag": "dog"}, False),
    ("POST", "/v1/pets?limit=5&tag=a&tag=b", {"name": "Rex", "tag": "dog"}, False),
    ("GET", "/v1/pets?limit=5&tag=a", None, False),
    # a value the recording masked matches any
    ("POST", "/v1/login", {"username": "alice", "password": "another-password"}, True),
    ("POST", "/v1/login", {"username": "bob", "password": "hunter2-secret"}, False),
])
def test_the_matching_rule(serve, pets_spec, pets_recording, method, path, body, replayed):
    client = serve(single_api=None, specs=[pets_spec], upstreams=[], replay=[str(pets_recording)])
    key = client.app.credentials()["pets"][0]["headers"]
    answer = client.request(method, path, json=body, headers=key)
    assert (last_entry(client)["replayed"] is not None) == replayed
    if replayed:
        assert answer.status_code == (201 if path.startswith("/v1/pets") else 200)
        assert answer.json() in ({"id": 41, "name": "Upstream Pet"}, {"token": "****"})


def test_replay_places_a_browsers_har_by_the_specs_server_url(serve, tmp_path):
    har = tmp_path / "browser.har"
    har.write_text(json.dumps(browser_har(), indent=2))
    client = serve(upstreams=[], replay=[str(har)])
    answer = client.get("/api/v1/workflows", headers=OWNER)
    assert answer.json() == {"success": True, "data": [{"id": "drifted"}]}
    assert last_entry(client)["replayed"] == {"file": "browser.har", "entry": 2}


# -- understudy drift FILE.har ------------------------------------------------------------------------
def browser_har(drifted: bool = True) -> dict:
    """A HAR as a browser exports it: the real host's URLs, other hosts' requests, a blocked one."""
    def entry(url, status, body, method="GET"):
        return {"startedDateTime": "2024-05-01T10:00:00.000Z", "time": 12.5,
                "request": {"method": method, "url": url, "httpVersion": "HTTP/2", "cookies": [],
                            "headers": [{"name": ":authority", "value": "manage.tiikr.com"},
                                        {"name": "authorization", "value": "Basic b3duZXI6b3duZXItcGFzc3dvcmQ="}],
                            "queryString": [], "headersSize": -1, "bodySize": 0},
                "response": {"status": status, "statusText": "", "httpVersion": "HTTP/2", "cookies": [],
                             "headers": [{"name": "content-type", "value": "application/json"}],
                             "content": {"size": len(body), "mimeType": "application/json", "text": body},
                             "redirectURL": "", "headersSize": -1, "bodySize": -1},
                "cache": {}, "timings": {"send": 0, "wait": 10, "receive": 1}}

    workflows = {"success": True, "data": [{"id": "drifted"}]} if drifted else {"success": True, "data": []}
    return {"log": {"version": "1.2", "creator": {"name": "WebInspector", "version": "537.36"}, "pages": [],
                    "entries": [
                        entry("https://manage.tiikr.com/api/v1/test", 200, json.dumps(ANSWERS[("GET", "/api/v1/test")][2])),
                        entry("https://manage.tiikr.com/api/v1/workflows", 200, json.dumps(workflows)),
                        entry("https://cdn.example.com/app.js", 200, "console.log(1)"),
                        entry("https://manage.tiikr.com/api/v1/workflows/3", 0, ""),  # blocked
                    ]}}


def run_drift(capsys, *args: str) -> subprocess.CompletedProcess:
    """`understudy drift ARGS`, in this process."""
    code = cli(["drift", *args])
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, out, err)


def test_drift_names_each_violation_and_exits_1(tiikr_recording, tmp_path, capsys):
    report = tmp_path / "drift.xml"
    result = run_drift(capsys, str(tiikr_recording), "--api", "tiikr", "--junit-xml", str(report))
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == ("tiikr workflows.list_workflows (entry 2, GET /workflows -> 200): "
                        "response.body at /data/0/id: 'one' is not of type 'integer'")
    assert lines[1].startswith("understudy drift: 1 of 2 exchanges drifted from the spec, in 1 operation(s): "
                               "tiikr workflows.list_workflows")
    suite = ET.parse(report).getroot().find("testsuite")
    cases = {case.get("name"): case.find("failure") for case in suite.iter("testcase")}
    assert set(cases) == {"workflows.test", "workflows.list_workflows"} and suite.get("failures") == "1"
    assert cases["workflows.test"] is None and "/data/0/id" in cases["workflows.list_workflows"].text


@pytest.mark.parametrize("drifted, code, summary", [
    (True, 1, "understudy drift: 1 of 2 exchanges drifted from the spec, in 1 operation(s): tiikr "
              "workflows.list_workflows (1 without an answer; 1 not a request to tiikr: skipped)"),
    (False, 0, "understudy drift: all 2 exchanges conform to the spec "
               "(1 without an answer; 1 not a request to tiikr: skipped)"),
])
def test_drift_of_a_browsers_har(tmp_path, capsys, drifted, code, summary):
    har = tmp_path / "browser.har"
    har.write_text(json.dumps(browser_har(drifted), indent=2))
    result = run_drift(capsys, str(har), "--api", "tiikr")
    assert (result.returncode, result.stdout.splitlines()[-1]) == (code, summary)


@pytest.mark.parametrize("status, code", [(200, 0), (418, 1)])
def test_drift_of_an_answer_whose_body_the_har_left_out_checks_its_status(tmp_path, capsys, status, code):
    document = browser_har()
    entry = document["log"]["entries"][1]
    entry["response"]["status"] = status
    del entry["response"]["content"]["text"]  # browsers leave out large or binary bodies
    document["log"]["entries"] = [entry]
    har = tmp_path / "browser.har"
    har.write_text(json.dumps(document))
    assert run_drift(capsys, str(har), "--api", "tiikr").returncode == code


def test_drift_with_the_base_url_the_recording_used(tmp_path, capsys):
    document = browser_har()
    for entry in document["log"]["entries"]:
        entry["request"]["url"] = entry["request"]["url"].replace("https://manage.tiikr.com/api/v1",
                                                                  "https://staging.example.com/tiikr")
    har = tmp_path / "staging.har"
    har.write_text(json.dumps(document))
    assert "nothing checked" in run_drift(capsys, str(har), "--api", "tiikr").stdout
    result = run_drift(capsys, str(har), "--api", "tiikr", "--base-url", "https://staging.example.com/tiikr")
    assert result.returncode == 1 and "tiikr workflows.list_workflows (entry 2" in result.stdout


@pytest.mark.parametrize("content, message", [
    (None, "cannot read it (No such file or directory)"),
    ("{not json", "not a HAR file (not JSON: Expecting property name enclosed in double quotes at line 1, column 2)"),
    ('{"log": {"version": "1.2"}}', "not a HAR file (JSON without log.entries)"),
    ('[1, 2]', "not a HAR file (JSON without log.entries)"),
    ('{"log": {"entries": [{"request": {}}]}}', "not a HAR file (entry 1 has no request with a method and url)"),
    (b"\xff\xfe\x00", "not a HAR file (not UTF-8 text)"),
])
def test_drift_of_a_file_it_cannot_read_is_one_line_and_exit_2(tmp_path, capsys, content, message):
    har = tmp_path / "bad.har"
    if isinstance(content, bytes):
        har.write_bytes(content)
    elif content is not None:
        har.write_text(content)
    assert cli(["drift", str(har)]) == 2
    assert capsys.readouterr().err == f"understudy drift: {har}: {message}\n"


# -- bad options: one line, exit 2 ------------------------------------------------------------------
@pytest.mark.parametrize("args, message", [
    (["--api", "tiikr", "--upstream", "localhost:9000"],
     "--upstream localhost:9000: 'localhost:9000' is not an http(s) URL with a host; write it as http://localhost:9000"),
    (["--api", "tiikr", "--upstream", "tiikr=manage.tiikr.com/api/v1"],
     "--upstream tiikr=manage.tiikr.com/api/v1: 'manage.tiikr.com/api/v1' is not an http(s) URL with a host; "
     "write it as https://manage.tiikr.com/api/v1"),
    (["a={tmp}/pets.yaml", "b={tmp}/pets.yaml", "--upstream", "http://127.0.0.1:9/v1"],
     "--upstream http://127.0.0.1:9/v1: several APIs are served (a, b); say which one: --upstream API=http://127.0.0.1:9/v1"),
    (["--api", "tiikr", "--upstream", "timekit=http://127.0.0.1:9/v2"],
     "--upstream timekit=http://127.0.0.1:9/v2: no API named 'timekit' is served (served: tiikr)"),
    (["--api", "tiikr", "--upstream", "http://u:p@127.0.0.1:9"],
     "--upstream http://u:p@127.0.0.1:9: the URL holds credentials; leave them out: each request's own "
     "credentials are forwarded"),
    (["--api", "tiikr", "--upstream-fallback"],
     "--upstream-fallback answers from the mock when the upstream is down: give the upstream with --upstream URL"),
    (["--api", "tiikr", "--record", "{tmp}/f.har"],
     "--record {tmp}/f.har records what --upstream forwards: give the real API with --upstream URL"),
    (["--api", "tiikr", "--upstream", "http://127.0.0.1:9", "--record", "{tmp}/not.har"],
     "--record {tmp}/not.har: the file exists and is not a recording of understudy's; name a new file "
     "(or remove this one)"),
    (["--api", "tiikr", "--upstream", "http://127.0.0.1:9", "--record", "{tmp}"],
     "--record {tmp}: cannot write it (Is a directory)"),
    (["--api", "tiikr", "--replay", "{tmp}/missing.har"],
     "--replay {tmp}/missing.har: cannot read it (No such file or directory)"),
    (["--api", "tiikr", "--replay", "{tmp}/not.har"],
     "--replay {tmp}/not.har: not a HAR file (not JSON: Expecting value at line 1, column 1)"),
    (["--api", "tiikr", "--replay", "{tmp}/other.har"],
     "--replay {tmp}/other.har: no recorded exchange is a request to tiikr (with an answer)"),
])
def test_bad_options_stop_serve_with_one_line(tmp_path, capsys, args, message):
    (tmp_path / "not.har").write_text("not a HAR")
    (tmp_path / "pets.yaml").write_text(PETS)
    (tmp_path / "other.har").write_text(json.dumps({"log": {"entries": browser_har()["log"]["entries"][2:]}}))
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    assert cli(["serve", *args, "--workers", "1", "--port", str(free_port())]) == 2
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", f"understudy: {message.replace('{tmp}', str(tmp_path))}\n")


# -- end to end: serve, record, drift, replay, as the issue says ------------------------------------------
def test_record_with_two_workers_then_drift_then_replay_without_the_upstream(tmp_path):
    real = start_real_api()
    har = tmp_path / "F.har"
    auth = ("owner", "owner-password")
    try:
        with serving("--api", "tiikr", "--upstream", real.url + "/api/v1", "--record", str(har), "--workers", "2",
                     ready="/api/v1/test", auth=auth) as base:
            sent: list[str] = []
            with ThreadPoolExecutor(12) as pool:
                for _ in range(10):  # until both workers have answered (the kernel spreads connections unevenly)
                    paths = ["/api/v1/test", "/api/v1/workflows", "/api/v1/workflows/1"] * 8
                    answers = list(pool.map(lambda p: requests.get(base + p, auth=auth, headers={"Connection": "close"},
                                                                   timeout=10), paths))
                    assert [a.content for a in answers] == [upstream_body("GET", p) for p in paths]
                    sent += paths
                    journal = requests.get(base + "/__understudy/requests?limit=1000").json()["requests"]
                    if len({e["worker"] for e in journal}) == 2:
                        break
            assert {e["path"] for e in journal if e["drift"]} == {"/api/v1/workflows"}
            assert {e["path"] for e in journal if e["drift"] == []} == {"/api/v1/test", "/api/v1/workflows/1"}
            summary = requests.get(base + "/__understudy/drift").json()["drift"]
            assert [(d["operation"], d["count"]) for d in summary] == [
                ("workflows.list_workflows", sent.count("/api/v1/workflows"))]
    finally:
        real.stop()
    text = har.read_text()
    recorded = Counter(e["request"]["url"].removeprefix(real.url) for e in json.loads(text)["log"]["entries"])
    assert set(recorded) == set(sent)
    assert [recorded[p] - sent.count(p) for p in ("/api/v1/workflows", "/api/v1/workflows/1")] == [0, 0]
    assert recorded["/api/v1/test"] > sent.count("/api/v1/test")  # and the readiness probe
    assert "owner-password" not in text and "b3duZXI6b3duZXItcGFzc3dvcmQ=" not in text
    result = subprocess.run([sys.executable, "-m", "understudy.cli", "drift", str(har), "--api", "tiikr"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "tiikr workflows.list_workflows" in result.stdout
    assert "workflows.test" not in result.stdout and "workflows.get_workflow" not in result.stdout
    with serving("--api", "tiikr", "--replay", str(har), "--workers", "1", ready="/api/v1/workflows/2", auth=auth) as base:
        recorded = requests.get(base + "/api/v1/workflows", auth=auth, timeout=10)
        assert recorded.content == upstream_body("GET", "/api/v1/workflows")
        mocked = requests.get(base + "/api/v1/workflows/2", auth=auth, timeout=10)
        assert mocked.status_code == 200 and mocked.json()["data"]["name"] == "Equipment handover"


def test_a_drift_example_is_a_copy(serve):  # the journal's lists are not shared with the summary
    client = serve()
    client.get("/api/v1/workflows", headers=OWNER)
    entry = copy.deepcopy(last_entry(client))
    assert entry["drift"] == client.get("/__understudy/drift?api=tiikr").json()["drift"][-1]["example"]["drift"]
