"""QA controls, through Tiikr (they work the same for every API, with no per-API code):
Prefer, session controls, isolated sessions, the journal, the admin spec, contract runs, reload."""

import json
from pathlib import Path
import shutil
import subprocess
import sys
import tempfile
import time

import pytest
import requests
from starlette.testclient import TestClient

from conftest import ROOT, TEST_CONFIG, basic, own_state
from contract import check, contract_schema
from schemas import schema_errors
from understudy.app import create_app

BASE = "/tiikr/api/v1"
OWNER = basic("owner", "owner-password")


def prefer(client, value, path="/test", **headers):
    return client.get(BASE + path, headers={**OWNER, "Prefer": value, **headers})


# -- Prefer, per request ---------------------------------------------------------------------------
@pytest.mark.parametrize("value, status, component", [
    ("code=200", 200, "TestEnvelope"),
    ("code=403", 403, "Error"),
    ("code=401", 401, "Error"),
    ("dynamic=true", 200, "TestEnvelope"),
    ("code=403, dynamic=true", 403, "Error"),
    ("code=200; example=administrator", 200, "TestEnvelope"),
])
def test_prefer_answers_the_documented_status_with_a_valid_body(client, value, status, component):
    response = prefer(client, value)
    assert response.status_code == status
    assert schema_errors("tiikr", component, response.json()) == []


def test_prefer_example_picks_the_named_example(client):
    body = prefer(client, "example=administrator").json()
    assert body["data"]["user"]["role"] == "Administrator"


def test_prefer_code_carries_documented_headers(client):
    assert "WWW-Authenticate" in prefer(client, "code=401").headers


def test_prefer_dynamic_varies(client):
    bodies = {json.dumps(prefer(client, "dynamic=true").json()) for _ in range(5)}
    assert len(bodies) > 1


@pytest.mark.parametrize("value, where", [
    ("code=503", "documented statuses: 200, 401, 403"),
    ("code=abc", "code must be an HTTP status"),
    ("example=nope", "examples: owner, administrator"),
    ("fault=explode", "fault must be reset | empty | garbage"),
])
def test_prefer_asking_for_the_undocumented_is_refused_in_the_apis_format(client, value, where):
    response = prefer(client, value)
    assert response.status_code == 400
    body = response.json()
    assert body["success"] is False
    assert body["errors"] == [{"location": "header", "field": "Prefer", "message": where}]


def test_prefer_unknown_preferences_are_ignored(client):
    response = prefer(client, "return=minimal")
    assert response.status_code == 200 and response.json()["data"]["message"] == "Authenticated"


def test_prefer_still_needs_credentials(client):
    response = client.get(f"{BASE}/test", headers={"Prefer": "code=200"})
    assert response.status_code == 401


def test_prefer_delay_waits_then_answers_normally(client):
    started = time.perf_counter()
    response = prefer(client, "delay=250")
    assert time.perf_counter() - started >= 0.25
    assert response.json()["data"]["message"] == "Authenticated"


@pytest.mark.parametrize("fault, cause", [
    ("reset", ConnectionResetError),
    ("empty", "RemoteDisconnected"),
    ("garbage", "BadStatusLine"),
])
def test_prefer_fault_breaks_the_connection(live_server, fault, cause):
    with pytest.raises(requests.ConnectionError) as error:
        requests.get(f"{live_server}{BASE}/test", auth=("owner", "owner-password"),
                     headers={"Prefer": f"fault={fault}"})
    reason = error.value.args[0].args[1]
    assert isinstance(reason, cause) if isinstance(cause, type) else type(reason).__name__ == cause
    # the server is fine afterwards
    assert requests.get(f"{live_server}{BASE}/test", auth=("owner", "owner-password")).status_code == 200


# -- session controls ------------------------------------------------------------------------------------
@pytest.fixture
def controls(client):
    client.delete("/__understudy/controls")
    yield client
    client.delete("/__understudy/controls")


def test_control_answers_the_next_n_calls(controls):
    rule = controls.post("/__understudy/controls", json={
        "api": "tiikr", "operation": "workflows.get_workflow", "prefer": "code=404", "times": 2}).json()
    statuses = [controls.get(f"{BASE}/workflows/1", headers=OWNER).status_code for _ in range(3)]
    assert statuses == [404, 404, 200]
    assert controls.get("/__understudy/controls").json()["controls"] == [{**rule, "used": 2}]


def test_control_matches_by_method_and_path(controls):
    controls.post("/__understudy/controls", json={
        "api": "tiikr", "method": "get", "path": f"{BASE}/workflows/2", "prefer": "code=404"})
    assert controls.get(f"{BASE}/workflows/2", headers=OWNER).status_code == 404
    assert controls.get(f"{BASE}/workflows/1", headers=OWNER).status_code == 200


def test_control_applies_only_to_its_session(controls):
    controls.post("/__understudy/controls", json={
        "api": "tiikr", "operation": "workflows.test", "session": "qa-a", "prefer": "code=403"})
    in_session = controls.get(f"{BASE}/test", headers={**OWNER, "X-Understudy-Session": "qa-a"})
    other = controls.get(f"{BASE}/test", headers={**OWNER, "X-Understudy-Session": "qa-b"})
    shared = controls.get(f"{BASE}/test", headers=OWNER)
    assert (in_session.status_code, other.status_code, shared.status_code) == (403, 200, 200)


def test_request_prefer_wins_over_a_control(controls):
    controls.post("/__understudy/controls", json={"api": "tiikr", "prefer": "code=403"})
    assert prefer(controls, "code=200").status_code == 200


def test_deleted_control_stops(controls):
    rule = controls.post("/__understudy/controls", json={"api": "tiikr", "prefer": "code=403"}).json()
    assert controls.delete(f"/__understudy/controls/{rule['id']}").status_code == 200
    assert controls.get(f"{BASE}/test", headers=OWNER).status_code == 200


@pytest.mark.parametrize("body, message", [
    ({"api": "nope", "prefer": "code=503"}, "one of"),
    ({"api": "tiikr"}, "prefer' is a required property"),
    ({"api": "tiikr", "prefer": "code=x"}, "does not match"),
    ({"api": "tiikr", "prefer": "code=503", "times": 0}, "less than the minimum of 1"),
    ({"api": "tiikr", "prefer": "code=503", "colour": "red"}, "'colour' was unexpected"),
])
def test_invalid_control_is_refused(controls, body, message):
    response = controls.post("/__understudy/controls", json=body)
    assert response.status_code == (404 if body["api"] == "nope" else 400)
    assert message in " ".join(e["message"] for e in response.json()["errors"])


# -- isolated sessions ------------------------------------------------------------------------------------
def session(name):
    return {**OWNER, "X-Understudy-Session": name}


def test_sessions_never_see_each_others_writes(client, app):
    client.get(f"{BASE}/test", headers=session("a"))  # first use makes the copy
    app.sessions.store("a").view("tiikr").delete("workflows", 1)
    assert client.get(f"{BASE}/workflows/1", headers=session("a")).status_code == 404
    assert client.get(f"{BASE}/workflows/1", headers=session("b")).status_code == 200
    assert client.get(f"{BASE}/workflows/1", headers=OWNER).status_code == 200


def test_session_resets_on_its_own(client, app):
    app.sessions.store("a").view("tiikr").delete("workflows", 1)
    app.sessions.store("b").view("tiikr").delete("workflows", 1)
    assert client.post("/__understudy/reset", headers={"X-Understudy-Session": "a"}).status_code == 200
    assert client.get(f"{BASE}/workflows/1", headers=session("a")).status_code == 200
    assert client.get(f"{BASE}/workflows/1", headers=session("b")).status_code == 404


def test_reset_of_an_unknown_session_is_404(client):
    assert client.post("/__understudy/reset", params={"session": "never-used"}).status_code == 404


def test_invalid_session_name_is_refused_in_the_apis_format(client):
    response = client.get(f"{BASE}/test", headers=session("bad name!"))
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "X-Understudy-Session"


def test_idle_sessions_expire_and_sessions_are_bounded():
    app = create_app({**TEST_CONFIG, "apis": ["tiikr"], "session_ttl_seconds": 0.2, "max_sessions": 2})
    with TestClient(app) as c:
        for name in ("one", "two", "three"):
            c.get(f"{BASE}/test", headers=session(name))
        assert [s["name"] for s in c.get("/__understudy/sessions").json()["sessions"]] == ["two", "three"]
        time.sleep(0.3)
        assert c.get("/__understudy/sessions").json()["sessions"] == []


def test_dropping_a_session_forgets_its_state(client, app):
    app.sessions.store("a").view("tiikr").delete("workflows", 1)
    assert client.delete("/__understudy/sessions/a").status_code == 200
    assert client.get(f"{BASE}/workflows/1", headers=session("a")).status_code == 200


# -- journal -----------------------------------------------------------------------------------------------
def test_journal_keeps_masked_headers_and_the_body(client):
    client.delete("/__understudy/requests")
    client.request("GET", f"{BASE}/test", headers={**session("qa"), "Content-Type": "application/json",
                                                   "X-Api-Key": "secret"},
                   content=json.dumps({"note": "hello", "password": "hunter2"}))
    entry = client.get("/__understudy/requests", params={"session": "qa"}).json()["requests"][0]
    assert entry["request"]["headers"]["authorization"] == "Basic ****"
    assert entry["request"]["headers"]["x-api-key"] == "****"
    assert entry["request"]["body"] == {"note": "hello", "password": "****"}
    assert (entry["session"], entry["operationId"], entry["status"]) == ("qa", "workflows.test", 200)


@pytest.mark.parametrize("query, paths", [
    ({"operation": "workflows.get_workflow"}, ["/workflows/1", "/workflows/2"]),
    ({"operation": "workflows.get_workflow", "status": 200}, ["/workflows/1"]),
    ({"method": "POST"}, ["/workflows"]),
    ({"path": f"{BASE}/test"}, ["/test"]),
    ({"session": "s1"}, ["/workflows/2"]),
])
def test_journal_filters(client, query, paths):
    client.delete("/__understudy/requests")
    client.get(f"{BASE}/workflows/1", headers=OWNER)
    client.get(f"{BASE}/workflows/2", headers={**session("s1"), "Prefer": "code=404"})
    client.post(f"{BASE}/workflows", headers=OWNER)
    client.get(f"{BASE}/test", headers=OWNER)
    entries = client.get("/__understudy/requests", params=query).json()["requests"]
    assert [e["path"].removeprefix(BASE) for e in entries] == paths


# -- the admin API is described, and keeps to its description ---------------------------------------------
# A state of its own: the controls Schemathesis adds outlive resets (they are the engine's), and on
# the SQLite and PostgreSQL passes the other tests of this process share TEST_CONFIG's state.
ADMIN_APP = create_app({**TEST_CONFIG, "apis": ["tiikr"],
                        "state": own_state(Path(tempfile.mkdtemp(prefix="understudy-admin-")), "admin")})
admin_schema = contract_schema(ADMIN_APP, "__understudy", auth={}, max_examples=15)


@admin_schema.parametrize()
def test_admin_api_contract(case):
    check(ADMIN_APP, "__understudy", case)


def test_admin_swagger_ui(client):
    assert "/__understudy/openapi.json" in client.get("/__understudy/ui/").text


# -- contract runs against any server ---------------------------------------------------------------------
def run_contract(*args):
    return subprocess.run([sys.executable, "-m", "understudy.cli", "contract", "tiikr", *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)


def test_contract_run_against_the_mock_passes(live_server, tmp_path):
    report = tmp_path / "junit.xml"
    result = run_contract("--base-url", f"{live_server}{BASE}", "--max-examples", "5",
                          "--junit-xml", str(report), "--phases", "examples,coverage,fuzzing")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "No issues found" in result.stdout
    assert 'failures="0"' in report.read_text()


def test_contract_run_names_the_failure_and_how_to_reproduce_it(live_server):
    result = run_contract("--base-url", f"{live_server}/nowhere", "--max-examples", "2",
                          "--phases", "examples")
    assert result.returncode != 0
    assert "GET /workflows/{workflow_id}/instances/{instance_id}" in result.stdout  # the operation
    assert "Response violates schema" in result.stdout  # the check
    assert f"curl -X GET -H 'Authorization: [Filtered]' {live_server}/nowhere/workflows/1/instances/101" \
        in result.stdout  # how to reproduce it


# -- hot reload ----------------------------------------------------------------------------------------------
@pytest.fixture
def project_copy(tmp_path):
    shutil.copytree(ROOT / "understudy", tmp_path / "understudy", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def test_reload_picks_up_edits_and_keeps_the_last_good_spec(project_copy):
    from servers import free_port, serve_command, wait_for

    port = free_port()
    url = f"http://127.0.0.1:{port}/api/v1/test"
    process = subprocess.Popen(
        serve_command("--api", "tiikr", "--reload", port=port),
        cwd=project_copy, env={"PYTHONPATH": str(project_copy), "PATH": "/usr/bin:/bin"},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert wait_for(lambda: requests.get(url, auth=("owner", "owner-password")).status_code == 200)
        # a handler edit is served without a restart
        handler = project_copy / "understudy" / "builtin" / "handlers" / "tiikr" / "workflows.py"
        handler.write_text(handler.read_text().replace('"Authenticated"', '"Reloaded"'))
        assert wait_for(lambda: requests.get(url, auth=("owner", "owner-password")).json()
                        ["data"]["message"] == "Reloaded")
        # a spec that no longer validates keeps the last good one running
        spec = project_copy / "understudy" / "builtin" / "openapi" / "tiikr.yaml"
        spec.write_text(spec.read_text().replace("openapi: 3.0.3", "openapi: 3.0.3\nbogus: 1", 1))
        time.sleep(2)
        assert requests.get(url, auth=("owner", "owner-password")).json()["data"]["message"] == "Reloaded"
        # a fixture edit resets state to the new fixtures
        users = project_copy / "understudy" / "builtin" / "fixtures" / "tiikr" / "users.json"
        users.write_text(users.read_text().replace("owner-password", "new-password"))
        spec.write_text(spec.read_text().replace("\nbogus: 1", "", 1))
        assert wait_for(lambda: requests.get(url, auth=("owner", "new-password")).status_code == 200)
    finally:
        process.terminate()
        output = process.communicate(timeout=10)[0]
    assert "does not load; still serving the last good version" in output
    assert "bogus" in output


# -- sessions with real writes (Timekit bookings) ------------------------------------------------------------
def test_two_sessions_in_parallel_never_see_each_others_bookings(client):
    from concurrent.futures import ThreadPoolExecutor

    from timekit_support import APP as TIMEKIT, BASE as TK, booking_body

    def book_and_list(name):
        headers = {**TIMEKIT, "X-Understudy-Session": name}
        made = [client.post(f"{TK}/bookings", json=booking_body(what=f"{name} {n}", start=f"2026-12-1{n}T15:00:00-08:00",
                                                                  end=f"2026-12-1{n}T16:00:00-08:00"),
                            headers=headers).json()["data"]["id"] for n in range(3)]
        listed = client.get(f"{TK}/bookings", params={"limit": 1000}, headers=headers).json()["data"]
        return made, {b["id"] for b in listed}

    shared_before = client.get(f"{TK}/bookings", headers=TIMEKIT).json()["total"]
    with ThreadPoolExecutor(2) as pool:
        (made_a, seen_a), (made_b, seen_b) = pool.map(book_and_list, ["suite-a", "suite-b"])
    assert set(made_a) <= seen_a and not set(made_b) & seen_a
    assert set(made_b) <= seen_b and not set(made_a) & seen_b
    assert client.get(f"{TK}/bookings", headers=TIMEKIT).json()["total"] == shared_before


@pytest.mark.parametrize("path", ["/__understudy/requests/92763183469960773632",
                                  "/__understudy/requests?since=92763183469960773632"])
def test_a_journal_id_past_64_bits_is_refused_as_bad_input(client, path):
    """Journal ids are 64-bit on every store (SQLite's and PostgreSQL's integers): a larger one
    is a 400 naming the parameter, not a 500 from the database."""
    response = client.get(path)
    assert response.status_code == 400, response.text
    assert "9223372036854775807" in response.text
