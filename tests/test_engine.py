"""The engine's behaviour, seen through Tiikr (the smallest API): start-up, the index, Swagger UI,
CORS, reset, the journal, single-API mode, the CLI, and the store's guarantees."""

import json
import shutil
import subprocess

import pytest
from starlette.testclient import TestClient

from conftest import FIXTURES, OPENAPI, ROOT, TEST_CONFIG, basic
from understudy.app import create_app
from understudy.cli import main as cli

OWNER = basic("owner", "owner-password")


# -- start-up fails fast ------------------------------------------------------------------------
@pytest.fixture
def broken_root(tmp_path):
    (tmp_path / "openapi").mkdir()
    shutil.copy(OPENAPI / "tiikr.yaml", tmp_path / "openapi" / "tiikr.yaml")
    return tmp_path


@pytest.mark.parametrize("old, new, error", [
    ("operationId: workflows.get_instance", "operationId: workflows.no_such_handler", "no_such_handler"),
    ("openapi: 3.0.3", "openapi: 3.0.3\nnot_a_field: true", "not_a_field"),
    ("      type: http\n      scheme: basic", "      type: apiKey\n      in: header\n      name: X-Key",
     None),
])
def test_broken_spec_stops_start_up(broken_root, old, new, error):
    spec = broken_root / "openapi" / "tiikr.yaml"
    spec.write_text(spec.read_text().replace(old, new, 1))
    if error is None:  # a spec change the handlers can serve still starts
        create_app({"root": broken_root, "apis": ["tiikr"]})
        return
    with pytest.raises(Exception, match=error):
        create_app({"root": broken_root, "apis": ["tiikr"]})


def test_security_scheme_without_verifier_stops_start_up(broken_root):
    spec = broken_root / "openapi" / "tiikr.yaml"
    spec.write_text(spec.read_text().replace("  - basicAuth: []", "  - tokenAuth: []", 1)
                    .replace("  securitySchemes:\n", "  securitySchemes:\n    tokenAuth: {type: http, scheme: bearer}\n", 1))
    with pytest.raises(RuntimeError, match="no verifier for security scheme 'tokenAuth'"):
        create_app({"root": broken_root, "apis": ["tiikr"]})


def test_path_level_parameters_are_checked_once(broken_root):
    """Connexion 3.3 appends path-level parameters to an operation's own list once per middleware."""
    shutil.copytree(FIXTURES / "tiikr", broken_root / "fixtures" / "tiikr")
    spec = broken_root / "openapi" / "tiikr.yaml"
    spec.write_text(spec.read_text().replace(
        "      operationId: workflows.get_instance\n",
        "      operationId: workflows.get_instance\n      parameters:\n"
        "        - {name: expand, in: query, schema: {type: boolean}}\n", 1))
    with TestClient(create_app({"root": broken_root, "apis": ["tiikr"]})) as c:
        body = c.get("/tiikr/api/v1/workflows/abc/instances/101", params={"expand": "maybe"},
                     headers=OWNER).json()
    assert [e["field"] for e in body["errors"]] == ["expand", "workflow_id"]


# -- index, docs, CORS ------------------------------------------------------------------------------
def test_index_lists_every_api_as_json(client, app):
    body = client.get("/", headers={"Accept": "application/json"}).json()
    names = [a["name"] for a in body["apis"]]
    assert names == sorted(app.mounts)
    tiikr = next(a for a in body["apis"] if a["name"] == "tiikr")
    assert tiikr["base_url"] == "http://testserver/tiikr/api/v1"
    assert tiikr["ui"] == "http://testserver/tiikr/ui/"
    assert {"username": "owner", "password": "owner-password"}.items() <= tiikr["credentials"][0].items()


def test_index_is_html_for_a_browser(client):
    response = client.get("/", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.headers["content-type"].startswith("text/html")
    assert "/tiikr/api/v1" in response.text and "owner:owner-password" in response.text


def test_swagger_ui_works_offline(client):
    page = client.get("/tiikr/ui/")
    assert page.status_code == 200 and "/tiikr/openapi.json" in page.text
    assets = [a for a in ("swagger-ui-bundle.js", "swagger-ui.css") if a in page.text]
    for name in assets:
        assert client.get(f"/__understudy/swagger-ui/{name}").status_code == 200
    assert len(assets) == 2


def test_served_spec_points_at_the_local_base_path(client):
    spec = client.get("/tiikr/openapi.json").json()
    assert spec["servers"][0]["url"] == "/tiikr/api/v1"
    assert "https://manage.tiikr.com/api/v1" in spec["servers"][0]["description"]


def test_swagger_asset_path_cannot_escape(client):
    assert client.get("/__understudy/swagger-ui/../../../../etc/passwd").status_code == 404


@pytest.mark.parametrize("origin", ["http://localhost:5173", "https://app.example.com"])
def test_cors_preflight_allows_the_requesting_origin_with_credentials(client, origin):
    response = client.options("/tiikr/api/v1/test", headers={
        "Origin": origin, "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization"})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == origin
    assert response.headers["access-control-allow-credentials"] == "true"
    assert "authorization" in response.headers["access-control-allow-headers"].lower()


def test_cors_on_actual_request(client):
    response = client.get("/tiikr/api/v1/test", headers={**OWNER, "Origin": "http://localhost:3000"})
    assert response.headers["access-control-allow-origin"] == "http://localhost:3000"


def test_cors_origins_are_configurable():
    app = create_app({**TEST_CONFIG, "apis": ["tiikr"], "cors_origins": r"https://.*\.example\.com"})
    with TestClient(app) as c:
        allowed = c.get("/tiikr/api/v1/test", headers={**OWNER, "Origin": "https://a.example.com"})
        refused = c.get("/tiikr/api/v1/test", headers={**OWNER, "Origin": "https://evil.test"})
    assert allowed.headers["access-control-allow-origin"] == "https://a.example.com"
    assert "access-control-allow-origin" not in refused.headers


def test_unknown_top_level_path_is_json_404(client):
    response = client.get("/nowhere")
    assert response.status_code == 404 and "No API" in response.json()["error"]


# -- admin: journal and reset ------------------------------------------------------------------------
def test_journal_records_requests(client):
    client.delete("/__understudy/requests")
    client.get("/tiikr/api/v1/workflows/1", headers=OWNER)
    client.get("/tiikr/api/v1/workflows/99", headers=OWNER)
    entries = client.get("/__understudy/requests", params={"api": "tiikr"}).json()["requests"]
    assert [(e["method"], e["path"], e["operationId"], e["status"]) for e in entries] == [
        ("GET", "/tiikr/api/v1/workflows/1", "workflows.get_workflow", 200),
        ("GET", "/tiikr/api/v1/workflows/99", "workflows.get_workflow", 404),
    ]
    assert all(e["duration_ms"] >= 0 and e["time"].endswith("+00:00") for e in entries)


def test_journal_filters_by_status(client):
    client.delete("/__understudy/requests")
    client.get("/tiikr/api/v1/workflows/1", headers=OWNER)
    client.get("/tiikr/api/v1/workflows/99", headers=OWNER)
    entries = client.get("/__understudy/requests", params={"status": 404}).json()["requests"]
    assert [e["path"] for e in entries] == ["/tiikr/api/v1/workflows/99"]


def test_journal_is_bounded():
    app = create_app({**TEST_CONFIG, "apis": ["tiikr"], "journal_size": 3})
    with TestClient(app) as c:
        for i in range(5):
            c.get(f"/tiikr/api/v1/workflows/{i + 1}", headers=OWNER)
        paths = [e["path"] for e in c.get("/__understudy/requests").json()["requests"]]
    assert paths == [f"/tiikr/api/v1/workflows/{i}" for i in (3, 4, 5)]


def test_reset_restores_the_fixtures(client, app):
    app.store.view("tiikr").delete("workflows", 1)
    assert client.get("/tiikr/api/v1/workflows/1", headers=OWNER).status_code == 404
    assert client.post("/__understudy/reset").json() == {"reset": "all", "session": None}
    assert client.get("/tiikr/api/v1/workflows/1", headers=OWNER).status_code == 200


def test_reset_of_an_unknown_api_is_404(client):
    assert client.post("/__understudy/reset", params={"api": "nope"}).status_code == 404


# -- one API at the root ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def single():
    with TestClient(create_app({**TEST_CONFIG, "single_api": "tiikr"})) as c:
        yield c


@pytest.mark.parametrize("path, status", [
    ("/api/v1/test", 200),
    ("/tiikr/api/v1/test", 404),
    ("/ui/", 200),
    ("/openapi.json", 200),
    ("/", 200),
])
def test_single_api_serves_real_paths_at_the_root(single, path, status):
    assert single.get(path, headers=OWNER).status_code == status


def test_single_api_spec_has_the_real_base_path(single):
    assert single.get("/openapi.json").json()["servers"][0]["url"] == "/api/v1"


# -- CLI ---------------------------------------------------------------------------------------------
def test_credentials_json_lists_every_api(capsys, app):
    assert cli(["credentials", "--json"]) == 0
    creds = json.loads(capsys.readouterr().out)
    assert set(creds) == set(app.mounts)
    assert {"username": "owner", "password": "owner-password"}.items() <= creds["tiikr"][0].items()


def test_serve_prints_urls_and_credentials(tmp_path):
    from servers import free_port, serve_command

    port = free_port()
    process = subprocess.Popen(serve_command("--api", "tiikr", port=port),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
    try:
        lines = []
        for line in process.stdout:
            lines.append(line)
            if line.startswith("Index:"):
                break
        banner = "".join(lines)
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()
    assert f"http://127.0.0.1:{port}/api/v1" in banner
    assert "owner:owner-password (Owner)" in banner
