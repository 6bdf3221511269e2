"""Shared test fixtures: one app per session (responses validated against the specs), state
reset before every test, and an HTTP client that talks to it in-process."""

from __future__ import annotations

import base64
import os
import tempfile
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from starlette.testclient import TestClient

from understudy.app import create_app

pytest_plugins = ["pytester"]  # tests/test_pytest_plugin.py runs pytest on example files

ROOT = Path(__file__).resolve().parent.parent  # the checkout
BUILTIN = ROOT / "understudy" / "builtin"  # the built-in APIs: openapi/, handlers/, fixtures/
OPENAPI = BUILTIN / "openapi"
FIXTURES = BUILTIN / "fixtures"
SEEDS = ROOT.parent / "shared" / "seeds"

TEST_CONFIG = {"validate_responses": True, "journal_size": 200,
               "allowed_hosts": ["testserver"]}  # the Host Starlette's TestClient sends
STORE = os.environ.get("UNDERSTUDY_TEST_STORE", "memory")  # the store this pass runs the suite on
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")

# A PostgreSQL server the tests create databases on (`.ci/run` starts a throwaway one).
POSTGRES = os.environ.get("UNDERSTUDY_TEST_POSTGRES")
NO_POSTGRES = ("no PostgreSQL server for the tests: `bash .ci/run` starts one; or pip install -e '.[test,postgres]' "
               "pgserver, start one with `python -m understudy.stores.throwaway start /tmp/pg` and set "
               "UNDERSTUDY_TEST_POSTGRES to the URI it prints")


def postgres_database(name: str) -> str:
    """A new, empty database on the tests' PostgreSQL server (an old one of that name is dropped)."""
    import psycopg

    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(urlsplit(POSTGRES)._replace(path="/" + name))


def own_state(tmp_path, name: str) -> str | None:
    """A state of this pass's store that no other test shares (memory: the app's own)."""
    if STORE == "sqlite":
        return str(tmp_path / "state.sqlite")
    if STORE == "postgres":
        return postgres_database(f"understudy_{name}_{WORKER}")
    return None


if STORE == "sqlite":
    # The whole suite against the SQLite store the workers share (one file per test process).
    TEST_CONFIG["state"] = os.path.join(tempfile.mkdtemp(prefix="understudy-tests-"), "state.sqlite")
elif STORE == "postgres":
    # The whole suite against the PostgreSQL store hosts share (one database per test process).
    if not POSTGRES:
        raise pytest.UsageError("UNDERSTUDY_TEST_STORE=postgres: " + NO_POSTGRES)
    TEST_CONFIG["state"] = postgres_database(f"understudy_tests_{WORKER}")
elif STORE != "memory":
    raise pytest.UsageError(f"UNDERSTUDY_TEST_STORE={STORE}: one of memory, sqlite, postgres")


def pytest_collection_modifyitems(config, items):
    """Tests marked `once` do not depend on the store: a pass on another store leaves them out.
    Two tests with one id would run once under xdist: refused (Schemathesis' per-operation items
    under a pytest that names them by their function alone)."""
    seen = Counter(item.nodeid for item in items)
    twice = sorted(nodeid for nodeid, count in seen.items() if count > 1)
    if twice:
        raise pytest.UsageError(f"{len(twice)} test ids name several tests (xdist would run one of each), "
                                f"e.g. {twice[0]}: pytest {pytest.__version__} with this Schemathesis; see pyproject.toml")
    if STORE == "memory":
        return
    kept = [item for item in items if item.get_closest_marker("once") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept


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


@contextmanager
def serving_in_thread(app):
    """`app` on a real socket (127.0.0.1, a free port) in a thread, behind the HTTP protocol
    `understudy serve` runs; yields its base URL."""
    import socket
    import threading
    import time

    import uvicorn

    from understudy.security.protocol import http_protocol

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on", http=http_protocol()))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.time() + 10
    while not server.started and time.time() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def live_server(app):
    """The app on a real socket, for clients that need one."""
    with serving_in_thread(app) as base:
        yield base


@pytest.fixture(scope="module")
def real_api():
    """A small real API to stand in front of (tests/upstream_support.py), on 127.0.0.1."""
    from upstream_support import start_real_api

    api = start_real_api()
    yield api
    api.stop()


# -- the number of Schemathesis cases and the corpus figures, summed over xdist workers -------------
def _tallies():
    import sys

    from contract import CASES

    sys.path.insert(0, str(ROOT / "tests" / "corpus"))
    from plausible import TALLY

    return {"schemathesis_cases": CASES, "corpus": TALLY}


def pytest_sessionfinish(session):
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput.update({name: dict(counter) for name, counter in _tallies().items()})


def pytest_testnodedown(node, error):
    for name, counter in _tallies().items():
        counter.update(getattr(node, "workeroutput", {}).get(name, {}))


def pytest_terminal_summary(terminalreporter):
    tallies = _tallies()
    cases, corpus = tallies["schemathesis_cases"], tallies["corpus"]
    if cases:
        per_api = ", ".join(f"{api} {n}" for api, n in sorted(cases.items()))
        terminalreporter.write_line(f"Schemathesis cases: {sum(cases.values())} ({per_api})")
    if corpus.get("requests"):
        terminalreporter.write_line(
            f"Spec corpus: {corpus['2xx']} of {corpus['requests']} plausible requests answered 2xx "
            f"({100 * corpus['2xx'] / corpus['requests']:.1f} %); a POST read back on {corpus['read back']} of "
            f"{corpus['pairs']} collection/item pairs ({100 * corpus['read back'] / max(corpus['pairs'], 1):.1f} %)")
        for key, count in sorted(corpus.items()):
            if key.startswith("schemathesis excused: ") and count:
                terminalreporter.write_line(f"  Schemathesis failure no server could avoid, {count}x: {key[22:]}")
