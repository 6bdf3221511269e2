"""Configuration: the engine's settings (one typed table, `ENGINE`), each API's settings (its
`ApiDefinition.settings`), read from their defaults, the environment, and explicit overrides (the
CLI's options or a test's dict), every value checked against its kind (`settings.py`). Nothing is
read at import time."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable, Mapping

from .settings import FLAG, PATH, Kind, Setting, choice, integer, listed, number, optional, read, text

ROOT = Path(__file__).resolve().parent / "builtin"  # the built-in APIs

API_NAMES = Kind("a list of API names", lambda value: [str(n) for n in value] if isinstance(value, (list, tuple))
                 else [n.strip() for n in str(value).split(",") if n.strip()])
ORIGINS = listed("web origins such as http://localhost:3000 or https://*.example.com, or *",
                 r"\*|https?://[A-Za-z0-9.*-]+(:\d+)?|https?://\[[0-9A-Fa-f:.]+\](:\d+)?")
HOST_NAMES = listed("host names or addresses such as box.lan, *.example.com or 192.168.1.5, or *",
                    r"\*|(\*\.)?[A-Za-z0-9_.-]+|\[?[0-9A-Fa-f:.]+\]?")
UPSTREAMS = listed("[API=]URL values such as https://manage.tiikr.com/api/v1 or tiikr=http://127.0.0.1:9000",
                   r"\S+")  # each URL is checked by upstream.options, naming what is wrong with it
HAR_FILES = listed("HAR file paths", r".+")
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")


def engine(name: str, kind: Kind, default: Any, help: str, option: str | None = None, env: bool = True) -> Setting:
    """An engine setting: its environment variable is UNDERSTUDY_<NAME>."""
    return Setting(name, kind, default, help, env=f"UNDERSTUDY_{name.upper()}" if env else None, option=option)


# Every engine setting. A row with an `option` is also an `understudy serve` option.
ENGINE: list[Setting] = [
    # where and how the server runs
    engine("host", text(nonempty=True), "127.0.0.1", "the address to listen on", "--host"),
    engine("port", integer(0, 65535), 8000, "the port to listen on; 0 picks a free one", "--port"),
    engine("workers", optional(integer(1)), None,
           "worker processes sharing one state (default: one per core)", "--workers"),
    engine("state", optional(text(nonempty=True)), None,
           "where the state is kept across restarts: a SQLite file (the workers of this host), or a "
           "postgresql:// URI (the workers of several hosts)", "--state"),
    engine("log_level", choice(*LOG_LEVELS), "warning", "the server's log level", "--log-level"),
    engine("access_log", FLAG, False, "log every request", "--access-log"),
    engine("reload", FLAG, False, "pick up edits to openapi/, handlers/ and fixtures/ without a restart "
                                  "(one worker)", "--reload", env=False),
    # who may call it (understudy/security/; README "Safe by default")
    engine("cors_origins", ORIGINS, [], "web origins besides loopback ones that may call the APIs and the admin API "
           "with credentials (https://*.example.com for subdomains; '*' for any, with a warning)", "--cors-origin"),
    engine("allowed_hosts", HOST_NAMES, [], "Host names answered besides localhost, loopback addresses and --host "
           "(*.example.com for subdomains; '*' for any)", "--allowed-host"),
    engine("admin_token", optional(text(nonempty=True)), None, "make the admin API require Authorization: Bearer "
           "TOKEN (prefer the environment variable: it stays out of the process list)", "--admin-token"),
    # what the server accepts and keeps
    engine("max_body_bytes", integer(1), 1_048_576, "the largest request body (413 past it)"),
    engine("max_url_bytes", integer(1), 16_384, "the longest request target, path and query (414 past it)"),
    engine("max_header_bytes", integer(1), 32_768, "the largest header section, names and values (431 past it)"),
    engine("max_json_depth", integer(1), 200, "the deepest nesting of a JSON body (400 past it)"),
    engine("journal_size", integer(1), 1000, "how many requests the journal keeps"),
    engine("journal_body_bytes", integer(0), 65_536, "how much of each request body the journal keeps"),
    engine("journal_list_body_bytes", integer(0), 2048,
           "how much of each body GET /__understudy/requests shows (the whole entry: /requests/{id})"),
    engine("session_ttl_seconds", number(positive=True), 1800, "how long an idle session lives"),
    engine("max_sessions", integer(1), 100, "how many sessions may live at once"),
    engine("validate_responses", FLAG, False, "check every response against the spec (tests do)"),
    # in front of the real API (understudy/upstream/; README "In front of the real API")
    engine("upstreams", UPSTREAMS, [], "forward an API's requests to its real base URL and check each exchange "
           "against the spec (drift); API= may be left out when one API is served", "--upstream"),
    engine("upstream_fallback", FLAG, False, "answer from the mock when the upstream cannot be reached "
           "(else 502 / 504)", "--upstream-fallback"),
    engine("upstream_timeout", number(positive=True), 30, "how many seconds an upstream may take to answer "
           "(504 past it)", "--upstream-timeout"),
    engine("record", optional(text(nonempty=True)), None, "append each forwarded exchange to this HAR 1.2 file, "
           "secrets masked", "--record"),
    engine("replay", HAR_FILES, [], "answer the requests a HAR file recorded with the recorded answers; "
           "everything else goes to the upstream, else the mock", "--replay"),
    # your own specs (`understudy serve SPEC ...`): how they are served
    engine("handlers", optional(text(nonempty=True)), None, "Python modules whose functions, named by operationId, "
           "replace the generated behaviour (the one way your own code runs)", "--handlers", env=False),
    engine("fixtures", optional(text(nonempty=True)), None,
           "the starting state: <resource>.json per inferred resource", "--fixtures", env=False),
    engine("credentials", optional(text(nonempty=True)), None,
           "your own credentials per security scheme (YAML/JSON)", "--credentials", env=False),
    engine("any_credential", FLAG, False, "accept any well-formed credential (as Prism does) instead of the demo ones",
           "--any-credential", env=False),
    engine("strict", FLAG, False, "refuse a spec with mistakes instead of serving it", "--strict", env=False),
    engine("allow_remote_refs", FLAG, False, "follow $refs to http(s) URLs (refused by default)",
           "--allow-remote-refs", env=False),
    # what is served (set by the CLI's --api and by tests, not by the environment)
    engine("root", PATH, ROOT, "the folder holding openapi/, handlers/ and fixtures/", env=False),
    engine("apis", optional(API_NAMES), None, "the APIs served (default: every API with a spec)", env=False),
    engine("single_api", optional(text(nonempty=True)), None, "the API served at the root, with its real paths",
           env=False),
]

DEFAULTS: dict[str, Any] = {setting.name: setting.default for setting in ENGINE}


class Config(dict):
    """A dict of settings; API settings use their documented upper-case names."""

    def flag(self, name: str) -> bool:
        value = self.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("1", "true", "yes", "on")
        return bool(value)


def build_config(
    overrides: Mapping[str, Any] | None = None,
    api_settings: Iterable[Setting] = (),
    environ: Mapping[str, str] | None = None,
) -> Config:
    """Defaults < environment < overrides, for the engine's settings and the given API settings;
    a value that is not of its setting's kind raises SettingError."""
    environ = os.environ if environ is None else environ
    return Config(read([*ENGINE, *api_settings], overrides or {}, environ))
