"""Bad input at the command line, in a setting or in a file: one clear line and a non-zero exit,
never a traceback (unless --debug asks for it), and no "serving" banner before the port is bound.
Each case runs `understudy` in a process of its own, as a user would."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys

import pytest

from conftest import FIXTURES, OPENAPI, ROOT
from understudy.app import create_app
from understudy.config import ENGINE, build_config
from understudy.errors import StartupError
from understudy.settings import SettingError

pytestmark = pytest.mark.once


def understudy(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "understudy.cli", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def text_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("state") / "notes.txt"
    path.write_text("not a database\n" * 100)
    return path


@pytest.fixture(scope="module")
def busy_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


# (arguments, environment, exit code, the line printed last on stderr); {file} and {port} are
# filled in. Argparse's usage errors print the usage first, then their one line.
CASES = [
    # options
    (["serve", "--port", "99999"], {}, 2,
     "understudy serve: error: argument --port: '99999' is not an integer from 0 to 65535"),
    (["serve", "--workers", "-3"], {}, 2,
     "understudy serve: error: argument --workers: '-3' is not an integer of at least 1"),
    (["serve", "--workers", "0"], {}, 2,
     "understudy serve: error: argument --workers: '0' is not an integer of at least 1"),
    (["serve", "--log-level", "loud"], {}, 2,
     "understudy serve: error: argument --log-level: 'loud' is not one of critical, error, warning, info, debug, trace"),
    (["serve", "--port", "{port}", "--api", "tiikr", "--workers", "1"], {}, 1,
     "understudy: port {port} on 127.0.0.1 is in use; pick another with --port N (or --port 0 for any free port)"),
    # an unknown API, whichever command names it
    (["serve", "--api", "nosuch"], {}, 2, "understudy serve: error: argument --api: invalid choice: 'nosuch' "
                                          "(choose from 'platform', 'takaro', 'tiikr', 'timbr', 'timekit')"),
    (["credentials", "--api", "nosuch"], {}, 2, "understudy credentials: error: argument --api: invalid choice: "
                                                "'nosuch' (choose from 'platform', 'takaro', 'tiikr', 'timbr', 'timekit')"),
    (["contract", "nosuch", "--base-url", "http://127.0.0.1:9"], {}, 2,
     "understudy contract: nosuch is neither a built-in API (platform, takaro, tiikr, timbr, timekit) "
     "nor a spec file or URL"),
    (["token", "nosuch"], {}, 2, "understudy token: error: argument API: invalid choice: 'nosuch' (choose from 'timbr')"),
    (["jwt", "timbr"], {}, 2, "understudy jwt timbr: error: the following arguments are required: --user"),
    # settings from the environment
    (["serve", "--api", "tiikr"], {"UNDERSTUDY_MAX_BODY_BYTES": "abc"}, 2,
     "understudy: UNDERSTUDY_MAX_BODY_BYTES='abc' is not valid: expected an integer of at least 1 "
     "(the largest request body (413 past it))"),
    (["serve"], {"PLATFORM_RATE_LIMIT": "abc"}, 2,
     "understudy: PLATFORM_RATE_LIMIT='abc' is not valid: expected an integer of at least 0 "
     "(requests per user per window; 0 turns the limit off)"),
    (["credentials"], {"UNDERSTUDY_VALIDATE_RESPONSES": "maybe"}, 2,
     "understudy: UNDERSTUDY_VALIDATE_RESPONSES='maybe' is not valid: expected true or false (1/0, yes/no, on/off) "
     "(check every response against the spec (tests do))"),
    (["token", "timbr", "--user", "admin", "--password", "admin-password"], {"API_AUTH_TTL_SECONDS": "-1"}, 2,
     "understudy: API_AUTH_TTL_SECONDS='-1' is not valid: expected an integer of at least 0 "
     "(how old a get_token bearer may be, in seconds; 0: no limit)"),
    # files
    (["serve", "--api", "tiikr", "--workers", "1", "--port", "0", "--state", "/nonexistent/dir/state.db"], {}, 2,
     "understudy: cannot use /nonexistent/dir/state.db as the state: its folder /nonexistent/dir does not exist"),
    (["serve", "--api", "tiikr", "--workers", "1", "--port", "0", "--state", "{file}"], {}, 2,
     "understudy: cannot use {file} as the state: file is not a database "
     "(is it a SQLite file understudy wrote, in a folder you may write to?)"),
    (["jwt", "timbr", "--user", "admin", "--private-key", "/nonexistent/key.pem"], {}, 1,
     "understudy: cannot read /nonexistent/key.pem: No such file or directory"),
]


@pytest.mark.parametrize("args, env, code, line", CASES, ids=[" ".join(c[0][:3]) + " " + " ".join(c[1])
                                                             for c in CASES])
def test_bad_input_is_one_line(args, env, code, line, text_file, busy_port):
    fill = {"file": str(text_file), "port": str(busy_port)}
    result = understudy(*[a.format(**fill) for a in args], env=env)
    assert (result.returncode, result.stderr.strip().splitlines()[-1]) == (code, line.format(**fill))
    assert "Traceback" not in result.stderr and result.stdout == ""  # no banner: nothing was served
    if not line.startswith("understudy ") or " error: " not in line:  # not argparse's usage error
        assert len(result.stderr.strip().splitlines()) == 1


def test_debug_shows_the_traceback():
    result = understudy("--debug", "serve", "--api", "tiikr", "--workers", "1", "--state", "/nonexistent/dir/s.db")
    assert result.returncode == 1 and "Traceback" in result.stderr and "StateUnavailable" in result.stderr


@pytest.mark.parametrize("command, listed", [
    ("jwt", ["--user USER", "--email EMAIL", "--ttl TTL", "--audience AUDIENCE", "--private-key PRIVATE_KEY"]),
    ("token", ["--user USER", "--password PASSWORD"]),
    ("serve", [f"{s.option} " for s in ENGINE if s.option]),
])
def test_help_lists_every_argument(command, listed):
    result = understudy(command, "--help")
    assert result.returncode == 0
    assert [a for a in listed if a not in result.stdout] == []


@pytest.mark.parametrize("user, password, note", [
    ("admin", "admin-password", None),
    ("admin", "wrong", "note: that is not admin's password; get_token will refuse this bearer"),
    ("nobody", "x", "note: nobody is not a demo user (admin, analyst, marketer); get_token will refuse this bearer"),
])
def test_token_warns_for_an_unknown_user_or_a_wrong_password(user, password, note):
    result = understudy("token", "timbr", "--user", user, "--password", password)
    assert result.returncode == 0 and result.stdout.startswith("gAAAAA")
    assert result.stderr.strip() == (note or "")


# -- files and settings, building the app in this process -------------------------------------------------
@pytest.fixture
def root(tmp_path):
    (tmp_path / "openapi").mkdir()
    shutil.copy(OPENAPI / "tiikr.yaml", tmp_path / "openapi" / "tiikr.yaml")
    shutil.copytree(FIXTURES / "tiikr", tmp_path / "fixtures" / "tiikr")
    return tmp_path


@pytest.mark.parametrize("file, old, new, message", [
    ("openapi/tiikr.yaml", "openapi: 3.0.3", "openapi: [3.0.3",
     "openapi/tiikr.yaml:2:5: not valid YAML: did not find expected ',' or ']'"),
    ("fixtures/tiikr/users.json", "[", "[}", "fixtures/tiikr/users.json:1:2: not valid JSON: Expecting value"),
])
def test_a_broken_file_is_named_with_line_and_column(root, file, old, new, message):
    path = root / file
    path.write_text(path.read_text().replace(old, new, 1))
    with pytest.raises(StartupError) as raised:
        create_app({"root": root, "apis": ["tiikr"]})
    assert str(raised.value).startswith(f"{root}/{message}")


def test_a_missing_spec_is_named(root):
    (root / "openapi" / "tiikr.yaml").unlink()
    with pytest.raises(StartupError, match=f"cannot read {root}/openapi/tiikr.yaml: No such file or directory"):
        create_app({"root": root, "apis": ["tiikr"]})


@pytest.mark.parametrize("setting, value, expected", [
    ("port", "8080", 8080),
    ("port", 0, 0),
    ("max_body_bytes", " 2048 ", 2048),
    ("session_ttl_seconds", "1.5", 1.5),
    ("validate_responses", "yes", True),
    ("validate_responses", "0", False),
    ("workers", "", None),
])
def test_settings_take_text_or_typed_values(setting, value, expected):
    assert build_config({setting: value})[setting] == expected


@pytest.mark.parametrize("setting, value", [
    ("port", "-1"), ("port", "80.5"), ("port", True), ("max_body_bytes", "0"), ("session_ttl_seconds", "0"),
    ("session_ttl_seconds", "nan"), ("cors_origins", "(unclosed"), ("host", " "), ("validate_responses", "maybe"),
])
def test_a_bad_setting_names_itself_and_what_it_expects(setting, value):
    with pytest.raises(SettingError, match="^" + re.escape(f"{setting}={value!r} is not valid: expected ")):
        build_config({setting: value})


def test_the_readme_documents_every_setting():
    from understudy.api import discover, load_api
    from understudy.config import DEFAULTS

    readme = (ROOT / "README.md").read_text()
    rows = ENGINE + [s for name in discover(DEFAULTS["root"]) for s in load_api(name).settings]
    names = [name for s in rows for name in (s.env, s.option) if name]
    assert [name for name in names if f"`{name}`" not in readme] == []


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_request_sent_as_soon_as_the_banner_shows_is_answered(workers):
    """The banner says the server is there: a curl pasted from it at once waits for the workers
    to be ready, instead of being refused while they start."""
    from servers import free_port, serve_command

    port = free_port()
    process = subprocess.Popen(serve_command("--api", "tiikr", "--workers", workers, port=port), cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout.readline().startswith("understudy serving")
        with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
            sock.sendall(b"GET /openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            assert sock.recv(12) == b"HTTP/1.1 200"
    finally:
        process.terminate()
        process.communicate(timeout=15)
