"""The checks a request passes before any API sees it, one module per concern, each a plain ASGI
callable (or helper) configured by the app factory:

| module | guards |
|---|---|
| `hosts.py` | `Host`: names the server answers to (421 otherwise: DNS rebinding) |
| `origins.py` | CORS for the APIs (loopback and listed origins), and the admin API's origins (403) |
| `limits.py` | request target and header size (414 / 431), JSON nesting (400), `loads` for nested JSON |
| `admin_token.py` | `Authorization: Bearer` on the admin API when `admin_token` is set (401) |
| `masking.py` | the one rule for secrets in anything that records requests (journal, HAR) |
| `protocol.py` | the uvicorn HTTP protocol that lets an over-long URL reach `limits` |

`guard(app, ...)` stacks them, outermost first: Host, CORS, limits, admin origin, admin token.
A refusal is rendered by the caller's `refuse` in the format of the API the path belongs to."""

from __future__ import annotations

from typing import Any, Callable

from starlette.types import ASGIApp

from .admin_token import AdminTokenGuard, exposed
from .hosts import WILDCARD_BINDS, AllowedHosts, HostGuard
from .limits import Refuse, RequestLimits
from .origins import AdminOriginGuard, Origins, as_list, cors

__all__ = ["guard", "startup_warnings"]


def guard(app: ASGIApp, config: Any, *, is_admin: Callable[[str], bool], refuse: Refuse,
          expose: list[str]) -> ASGIApp:
    origins = Origins(config.get("cors_origins"))
    app = AdminTokenGuard(app, config.get("admin_token"), is_admin, refuse)
    app = AdminOriginGuard(app, origins, is_admin, refuse)
    app = RequestLimits(app, int(config["max_url_bytes"]), int(config["max_header_bytes"]), refuse)
    app = cors(app, origins, is_admin, expose)
    return HostGuard(app, AllowedHosts(config.get("host"), as_list(config.get("allowed_hosts"))), refuse)


def startup_warnings(config: Any) -> list[str]:
    """What `serve` says about a configuration that leaves the server open."""
    warnings = []
    if Origins(config.get("cors_origins")).everything:
        warnings.append("--cors-origin '*': every web page you visit may call these APIs and the admin "
                        "API (read the journal, reset the state) with your credentials")
    if exposed(config.get("host")) and not config.get("admin_token"):
        warnings.append(f"binding {config.get('host')} without --admin-token: anyone who reaches this "
                        "machine can read the journal and reset the state through /__understudy")
    if str(config.get("host") or "").strip() in WILDCARD_BINDS and not as_list(config.get("allowed_hosts")):
        warnings.append("only localhost and loopback Host names are answered; add the names other "
                        "machines use with --allowed-host NAME")
    return warnings
