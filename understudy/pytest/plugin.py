"""The pytest plugin, loaded through the `pytest11` entry point `understudy` (`-p no:understudy`
turns it off). Nothing starts until a test asks for a fixture:

- `understudy` (session scope): a running server, started on a free 127.0.0.1 port and stopped at
  the end, or the one at `--understudy-url`. Under pytest-xdist each worker starts its own.
- `understudy_session` (per test): an isolated session of that server, forgotten after the test.

Settings: `--understudy-url` / ini `understudy_url`, `--understudy-api` / ini `understudy_api`
(serve only these built-in APIs), `--understudy-spec` / ini `understudy_spec` (serve your own
specs instead, as `understudy serve SPEC` does), `--understudy-admin-token` / ini
`understudy_admin_token` / env `UNDERSTUDY_ADMIN_TOKEN` (sent as `Authorization: Bearer` to the
admin API and given to the server the plugin starts). `url(name)` finds any API the server's
index lists, wherever it is mounted."""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path
from typing import Iterator
from urllib.parse import urlparse

import pytest

from .client import UnderstudyError, UnderstudyServer, UnderstudySession
from .server import ServerProcess


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("understudy", "understudy (the understudy and understudy_session fixtures)")
    group.addoption("--understudy-url", metavar="URL",
                    help="use the understudy server already running at URL instead of starting one")
    group.addoption("--understudy-api", metavar="NAME", action="append", default=[],
                    help="serve only this API (repeatable, or comma-separated); default: every API")
    group.addoption("--understudy-spec", metavar="SPEC", action="append", default=[],
                    help="serve your own spec instead of the built-in APIs: a file, a folder, an http(s) URL "
                         "or NAME=SPEC, as `understudy serve SPEC` takes (repeatable)")
    group.addoption("--understudy-admin-token", metavar="TOKEN",
                    help="the server's admin token (default: env UNDERSTUDY_ADMIN_TOKEN)")
    parser.addini("understudy_url", "use the understudy server already running at this URL")
    parser.addini("understudy_api", "serve only these APIs (space-separated)", type="args")
    parser.addini("understudy_spec", "serve these specs of your own (space-separated; paths relative to this file)",
                  type="args")
    parser.addini("understudy_admin_token", "the server's admin token")


def setting(config: pytest.Config, name: str) -> str | None:
    return config.getoption(f"understudy_{name}") or config.getini(f"understudy_{name}") or None


@pytest.fixture(scope="session")
def understudy(request: pytest.FixtureRequest) -> Iterator[UnderstudyServer]:
    """A running understudy: `url(api)`, `credentials(api)`, `reset()`."""
    config = request.config
    token = setting(config, "admin_token") or os.environ.get("UNDERSTUDY_ADMIN_TOKEN") or None
    apis = [name.strip() for given in (config.getoption("understudy_api") or config.getini("understudy_api"))
            for name in given.split(",") if name.strip()]
    url = setting(config, "url")
    if url:
        parts = urlparse(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UnderstudyError(f"--understudy-url needs an http(s) URL such as http://127.0.0.1:8000, not {url!r}")
        server = UnderstudyServer(url, token)
        server.listing  # it answers (else one line saying so)
        for name in apis:  # and serves what was asked for
            server.api(name)
        yield server
        return
    own, folder = specs(config)
    if apis and own:
        raise UnderstudyError("--understudy-api picks built-in APIs and --understudy-spec serves your own: use one")
    process = ServerProcess(apis, token, own, folder)
    try:
        yield process.start()
    finally:
        process.stop()


@pytest.fixture
def understudy_session(understudy: UnderstudyServer, request: pytest.FixtureRequest) -> Iterator[UnderstudySession]:
    """An isolated session for this test: send `headers`; read `requests()`; `control()`;
    `assert_called()`. Its state starts from the fixtures and is discarded after the test."""
    session = understudy.session(session_name(request))
    yield session
    session.close()


def specs(config: pytest.Config) -> tuple[list[str], Path]:
    """`--understudy-spec` values and the folder they are relative to (the current one), else the
    ini's and the ini file's folder. The server's process starts in that folder."""
    if config.getoption("understudy_spec"):
        return config.getoption("understudy_spec"), Path.cwd()
    return config.getini("understudy_spec"), config.inipath.parent if config.inipath else config.rootpath


def session_name(request: pytest.FixtureRequest) -> str:
    """Unique across tests, xdist workers and runs sharing one server; readable in the journal:
    `pytest-gw1-3f2a9c1b-test_create_booking` (at most 64 characters, as the server allows)."""
    worker = getattr(request.config, "workerinput", {}).get("workerid", "main")
    test = re.sub(r"[^A-Za-z0-9._:-]+", "-", request.node.name).strip("-")
    return f"pytest-{worker}-{uuid.uuid4().hex[:8]}-{test}"[:64].rstrip("-")
