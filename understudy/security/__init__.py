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

from starlette.types import ASGIApp, Receive, Scope, Send

from .admin_token import AdminTokenGuard, exposed
from .hosts import WILDCARD_BINDS, AllowedHosts, HostGuard
from .limits import URL_BYTES, Refuse, RequestLimits
from .origins import VARY_ORIGIN, AdminOriginGuard, Origins, as_list, cors

__all__ = ["guard", "startup_warnings"]


def guard(app: ASGIApp, config: Any, *, is_admin: Callable[[str], bool], refuse: Refuse,
          expose: list[str], plain: ASGIApp | None = None) -> ASGIApp:
    """The checks around `app`. `plain`, when given, is what `app` does for a request that sends
    no X-Requested-With (challenge.py): an API request that every check lets through untouched
    goes straight to it (FastLane)."""
    origins = Origins(config.get("cors_origins"))
    app = AdminTokenGuard(app, config.get("admin_token"), is_admin, refuse)
    app = AdminOriginGuard(app, origins, is_admin, refuse)
    limits = RequestLimits(app, int(config["max_url_bytes"]), int(config["max_header_bytes"]), refuse)
    app = cors(limits, origins, is_admin, expose)
    allowed = AllowedHosts(config.get("host"), as_list(config.get("allowed_hosts")))
    app = HostGuard(app, allowed, refuse)
    return app if plain is None else FastLane(app, plain, allowed, limits, is_admin)


class FastLane:
    """The usual request in one pass over its headers: not for the admin API, a Host the server
    answers to, within the size limits, no Origin (so CORS only adds `Vary: Origin`) and no
    X-Requested-With. It goes straight to `plain`, marked VARY_ORIGIN: `plain` adds the
    `Vary: Origin` CORS would have added (Understudy.dispatch). Any other request goes through
    every check (`checked`)."""

    def __init__(self, checked: ASGIApp, plain: ASGIApp, allowed: AllowedHosts, limits: RequestLimits,
                 is_admin: Callable[[str], bool]):
        self.checked = checked
        self.plain = plain
        self.allowed = allowed
        self.limits = limits
        self.is_admin = is_admin

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope.get(URL_BYTES) and not self.is_admin(scope["path"]):
            size, host, other = 0, None, False
            for name, value in scope["headers"]:
                size += len(name) + len(value)
                if name == b"host":
                    host = value if host is None else host
                elif name in (b"origin", b"x-requested-with"):
                    other = True
            query = scope.get("query_string", b"")
            url = len(scope.get("raw_path") or b"") + (len(query) + 1 if query else 0)
            if (not other and size <= self.limits.max_headers and url <= self.limits.max_url
                    and (host is None or self.allowed.any or self.allowed.admits_header(host))):
                scope[VARY_ORIGIN] = True  # `plain` adds Vary: Origin, as CORS would have
                await self.plain(scope, receive, send)
                return
        await self.checked(scope, receive, send)


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
