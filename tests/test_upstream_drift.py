"""The drift summary (`GET /__understudy/drift`): kept in the engine's corner of the state, so it
runs on every store the suite runs on, and every worker of one state sees the same sums."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from conftest import TEST_CONFIG, basic
from understudy.app import create_app

OWNER = basic("owner", "owner-password")


@pytest.fixture
def client(real_api):
    app = create_app({**TEST_CONFIG, "single_api": "tiikr", "upstreams": [real_api.url + "/api/v1"]})
    with TestClient(app, raise_server_exceptions=False) as client:
        client.delete("/__understudy/drift")
        yield client


def test_drift_is_summed_per_operation(client):
    for path in ("/api/v1/test", "/api/v1/workflows", "/api/v1/workflows/7", "/api/v1/workflows", "/api/v1/workflows/8"):
        client.get(path, headers=OWNER)
    found = client.get("/__understudy/drift").json()
    assert [(d["api"], d["operation"], d["count"]) for d in found["drift"]] == [
        ("tiikr", "workflows.get_workflow", 2), ("tiikr", "workflows.list_workflows", 2)]
    assert found["count"] == 2
    get_workflow = found["drift"][0]
    assert get_workflow["first_seen"] < get_workflow["last_seen"]
    example = get_workflow["example"]  # the last that drifted
    assert (example["path"], example["status"]) == ("/api/v1/workflows/8", 200)
    assert [(d["in"], d["where"]) for d in example["drift"]] == [("response.header", "Content-Type")]


def test_drift_of_one_api_is_kept_across_resets_until_cleared(client):
    client.get("/api/v1/workflows", headers=OWNER)
    client.post("/__understudy/reset")
    assert client.get("/__understudy/drift?api=tiikr").json()["count"] == 1
    assert client.get("/__understudy/drift?api=timekit").status_code == 404
    assert client.delete("/__understudy/drift").json() == {"deleted": 1}
    assert client.get("/__understudy/drift").json() == {"drift": [], "count": 0}


@pytest.mark.once
def test_every_worker_of_one_state_shares_the_sums(real_api, tmp_path):
    config = {**TEST_CONFIG, "single_api": "tiikr", "upstreams": [real_api.url + "/api/v1"],
              "state": str(tmp_path / "state.sqlite")}
    with TestClient(create_app(config)) as one, TestClient(create_app(config)) as two:
        one.get("/api/v1/workflows", headers=OWNER)
        two.get("/api/v1/workflows", headers=OWNER)
        assert [d["count"] for d in one.get("/__understudy/drift").json()["drift"]] == [2]
