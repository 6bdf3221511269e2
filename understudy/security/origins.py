"""Web origins: which pages in a browser may call the server, with credentials.

- The APIs answer cross-origin calls (CORS, credentials included) from loopback origins, where
  frontend dev servers run (`http(s)://localhost`, `*.localhost`, `127.0.0.1`, `[::1]`, any
  port), and from the origins listed in `cors_origins` (`--cors-origin`, repeatable;
  UNDERSTUDY_CORS_ORIGINS). An entry is an origin (`https://app.example.com:8443`), may hold `*`
  for part of a host name (`https://*.example.com`), or is `*` alone: every origin (a warning at
  start).
- The admin API (`/__understudy/...`) answers only its own origin (its Swagger UI) and the listed
  ones: a request from any other origin is refused (403) whatever its method and content type,
  so no page can read the journal or reset the state, with or without a preflight.

One regular expression per audience serves both Starlette's CORSMiddleware and the admin check."""

from __future__ import annotations

import re
from typing import Callable, Iterable
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from ..errors import ApiError, Violation
from .limits import Refuse

LOOPBACK = r"https?://(?:localhost|[a-z0-9-]+(?:\.[a-z0-9-]+)*\.localhost|127\.0\.0\.1|\[::1\])(?::\d+)?"


def listed_pattern(origin: str) -> str:
    """One `cors_origins` entry as a regular expression: exact, `*` matching part of a host name."""
    origin = origin.strip().rstrip("/")
    if origin == "*":
        return ".*"
    return "[a-z0-9.-]*".join(re.escape(part) for part in origin.lower().split("*"))


def origin_pattern(listed: Iterable[str], loopback: bool) -> str | None:
    """The origins as one regular expression (matched in full, case-insensitively), or None for none."""
    parts = ([LOOPBACK] if loopback else []) + [listed_pattern(o) for o in listed if o.strip()]
    return "(?i:" + "|".join(parts) + ")" if parts else None


def as_list(value: str | Iterable[str] | None) -> list[str]:
    """A setting that lists names: a list, or a string separated by commas or spaces."""
    if value is None:
        return []
    if isinstance(value, str):
        return [p for p in re.split(r"[,\s]+", value) if p]
    return [str(p) for p in value]


class Origins:
    """Which origins the APIs and the admin API answer."""

    def __init__(self, listed: str | Iterable[str] | None):
        self.listed = as_list(listed)
        self.everything = "*" in [o.strip() for o in self.listed]
        self.api = origin_pattern(self.listed, loopback=True)
        self.admin = origin_pattern(self.listed, loopback=False)
        self._admin = re.compile(self.admin) if self.admin else None

    def admin_allows(self, origin: str, host: str | None) -> bool:
        """The admin API's own origin (the Host it was called at), or a listed one."""
        if host and _netloc(origin) == _netloc_of_host(host, origin):
            return True
        return bool(self._admin and self._admin.fullmatch(origin))


def _netloc(origin: str) -> str | None:
    try:
        parts = urlsplit(origin)
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:
        return None
    return f"{parts.hostname}:{port}" if parts.hostname else None


def _netloc_of_host(host: str, origin: str) -> str | None:
    scheme = urlsplit(origin).scheme or "http"
    return _netloc(f"{scheme}://{host}")


def cors(app: ASGIApp, origins: Origins, is_admin: Callable[[str], bool], expose: list[str]) -> ASGIApp:
    """CORS for every path: the admin API's origins on its paths, the APIs' everywhere else."""
    def middleware(pattern: str | None) -> CORSMiddleware:
        return CORSMiddleware(app, allow_origin_regex=pattern, allow_credentials=True, allow_methods=["*"],
                              allow_headers=["*"], expose_headers=expose, max_age=600)

    for_apis, for_admin = middleware(origins.api), middleware(origins.admin)

    async def by_path(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not any(name == b"origin" for name, _ in scope["headers"]):
            await app(scope, receive, vary_origin(send))  # no Origin: what CORSMiddleware does, cheaper
            return
        chosen = for_admin if scope["type"] == "http" and is_admin(scope["path"]) else for_apis
        await chosen(scope, receive, send)

    return by_path


VARY_ORIGIN = "understudy.vary_origin"  # set by security.FastLane: the app adds `Vary: Origin` itself


def vary_origin(send: Send) -> Send:
    """`send` adding `Origin` to the response's Vary, as CORSMiddleware does for a request
    without an Origin."""
    async def sending(message: dict) -> None:
        if message["type"] == "http.response.start":
            message = with_vary_origin(message)
        await send(message)

    return sending


def with_vary_origin(start: dict) -> dict:
    """A response start with `Origin` added to its Vary (the values of every Vary header joined
    in the first one)."""
    headers = list(start.get("headers") or [])
    varies = [i for i, (name, _) in enumerate(headers) if name.lower() == b"vary"]
    if varies:
        joined = b", ".join([headers[i][1] for i in varies] + [b"Origin"])
        headers[varies[0]] = (b"vary", joined)
        headers = [h for i, h in enumerate(headers) if i not in varies[1:]]
    else:
        headers.append((b"vary", b"Origin"))
    return {**start, "headers": headers}


def cross_origin(origin: str) -> ApiError:
    message = (f"Origin {origin} may not call the admin API; to allow it, start the server with "
               f"--cors-origin {origin} (or add it to UNDERSTUDY_CORS_ORIGINS)")
    return ApiError("forbidden", message, [Violation("header", "Origin", "not an origin the admin API answers")])


class AdminOriginGuard:
    """Refuse (403) an admin API request that carries an Origin the admin API does not answer."""

    def __init__(self, app: ASGIApp, origins: Origins, is_admin: Callable[[str], bool], refuse: Refuse):
        self.app = app
        self.origins = origins
        self.is_admin = is_admin
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.is_admin(scope["path"]):
            headers = Headers(scope=scope)
            origin = headers.get("origin")
            if origin is not None and not self.origins.admin_allows(origin, headers.get("host")):
                return await self.refuse(scope, receive, send, cross_origin(origin))
        await self.app(scope, receive, send)

