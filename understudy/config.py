"""Configuration: one mapping of defaults, overridden by each API's settings, the environment,
and explicit overrides (CLI or tests). Nothing is read at import time."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

ROOT = Path(__file__).resolve().parent / "builtin"  # the built-in APIs

DEFAULTS: dict[str, Any] = {
    "host": "127.0.0.1",
    "port": 8000,
    "root": ROOT,  # holds openapi/, handlers/, fixtures/
    "apis": None,  # None: every API that has a spec in openapi/
    "single_api": None,  # name of the API served at the root, or None
    # Security (understudy/security/): see README "Safe by default".
    "cors_origins": (),  # origins besides loopback ones allowed to call with credentials; "*": any
    "allowed_hosts": (),  # Host names besides localhost, loopback and the bound address; "*": any
    "admin_token": None,  # when set, the admin API needs Authorization: Bearer <token>
    "max_body_bytes": 1_048_576,
    "max_url_bytes": 16_384,  # a longer request target (path and query) is 414
    "max_header_bytes": 32_768,  # a larger header section (names and values) is 431
    "max_json_depth": 200,  # a JSON body nested deeper is 400
    "journal_size": 1000,
    "journal_body_bytes": 65_536,  # request bodies kept in the journal are cut to this size
    "journal_list_body_bytes": 2048,  # ... and to this size in GET /__understudy/requests
    "session_ttl_seconds": 1800,  # idle sessions expire
    "max_sessions": 100,
    "state": None,  # a SQLite file: state shared by worker processes and kept across restarts
    "validate_responses": False,
    # In front of the real API (understudy/upstream/): see README "In front of the real API".
    "upstreams": (),  # "[API=]URL" each: forward the API's requests to its real base URL
    "upstream_fallback": False,  # the mock answers when the upstream cannot be reached
    "upstream_timeout": 30.0,  # seconds an upstream may take to answer (504 past it)
    "record": None,  # a HAR file each forwarded exchange is appended to
    "replay": (),  # HAR files whose recorded answers answer the requests they match
}

# Engine settings that can also come from the environment (UNDERSTUDY_<NAME>).
_ENV_CASTS = {
    "cors_origins": str,  # comma- or space-separated
    "allowed_hosts": str,  # comma- or space-separated
    "admin_token": str,
    "max_body_bytes": int,
    "max_url_bytes": int,
    "max_header_bytes": int,
    "max_json_depth": int,
    "journal_size": int,
    "session_ttl_seconds": float,
    "max_sessions": int,
    "state": str,
    "validate_responses": lambda v: v.lower() in ("1", "true", "yes"),
    "upstream_timeout": str,  # checked by upstream.options: a bad value is one line
}


class Config(dict):
    """A dict of settings; API settings use their documented upper-case names."""

    def flag(self, name: str) -> bool:
        value = self.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("1", "true", "yes", "on")
        return bool(value)


def build_config(
    overrides: Mapping[str, Any] | None = None,
    api_settings: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """Defaults < API settings defaults < environment < overrides."""
    environ = os.environ if environ is None else environ
    config = Config(DEFAULTS)
    config.update(api_settings or {})
    for name in api_settings or {}:
        if name in environ:
            config[name] = environ[name]
    for name, cast in _ENV_CASTS.items():
        env_name = "UNDERSTUDY_" + name.upper()
        if env_name in environ:
            config[name] = cast(environ[env_name])
    config.update({k: v for k, v in (overrides or {}).items() if v is not None})
    config["root"] = Path(config["root"])
    return config
