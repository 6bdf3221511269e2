"""Shared test fixtures: one app per session (responses validated against the specs), state
reset before every test, and an HTTP client that talks to it in-process."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from understudy.app import create_app

ROOT = Path(__file__).resolve().parent.parent
OPENAPI = ROOT / "openapi"
FIXTURES = ROOT / "fixtures"
SEEDS = ROOT.parent / "shared" / "seeds"

TEST_CONFIG = {"validate_responses": True, "journal_size": 200}


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture(scope="session")
def app():
    return create_app(TEST_CONFIG)


@pytest.fixture(autouse=True)
def fresh_state(request):
    """Every test starts from the fixtures."""
    if "app" in request.fixturenames:
        request.getfixturevalue("app").reset()
    yield


@pytest.fixture
def client(app):
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
