"""Configuration: the engine's settings (one typed table, `ENGINE`), each API's settings (its
`ApiDefinition.settings`), read from their defaults, the environment, and explicit overrides (the
CLI's options or a test's dict), every value checked against its kind (`settings.py`). Nothing is
read at import time."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable, Mapping

from .settings import FLAG, PATH, PATTERN, Kind, Setting, choice, integer, number, optional, read, text

ROOT = Path(__file__).resolve().parent / "builtin"  # the built-in APIs

API_NAMES = Kind("a list of API names", lambda value: [str(n) for n in value] if isinstance(value, (list, tuple))
                 else [n.strip() for n in str(value).split(",") if n.strip()])
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
    # what the server accepts and keeps
    engine("cors_origins", PATTERN, ".*", "the origins allowed to call with credentials"),
    engine("max_body_bytes", integer(1), 1_048_576, "the largest request body (413 past it)"),
    engine("journal_size", integer(1), 1000, "how many requests the journal keeps"),
    engine("journal_body_bytes", integer(0), 65_536, "how much of each request body the journal keeps"),
    engine("session_ttl_seconds", number(positive=True), 1800, "how long an idle session lives"),
    engine("max_sessions", integer(1), 100, "how many sessions may live at once"),
    engine("validate_responses", FLAG, False, "check every response against the spec (tests do)"),
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
