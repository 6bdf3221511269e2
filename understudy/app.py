"""The app factory. One ASGI app serves every API under `/<api>` + its real base path (or one
API at the root), plus the index, Swagger UI, and the admin endpoints under `/__understudy`."""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Mapping
from pathlib import Path
from urllib.parse import urlparse

from starlette.datastructures import Headers
from starlette.types import Receive, Scope, Send

from . import admin, heap, security, upstream
from .admin_api import ADMIN
from .api import ApiDefinition, discover, load_api
from .apiapp import build_api_app, load_spec, merge_path_parameters
from .challenge import NoChallengeForScripts
from .config import DEFAULTS, Config, build_config
from .credentials import listed
from .context import RequestContext, RequestHeaders, reset_current, set_current
from .controls import RAW_SEND, Rules
from .docs import public_spec
from .errors import DEFAULT_STATUS, ApiError, Violation
from .journal import Answered, Masking
from .responses import asgi_headers, error_response, json_response, render_error
from .security.limits import check_body
from .security.origins import VARY_ORIGIN, vary_origin, with_vary_origin
from .spec.routing import discriminators
from .stores import ENGINE, Sessions, check_name, load_fixtures, open_state
from .stores import HEADER as SESSION_HEADER

log = logging.getLogger("understudy")

DOC_PATHS = ("/ui", "/ui/", "/openapi.json")
ADMIN_PREFIX = "/__understudy"
EVICTED_HEADER = "X-Understudy-Session-Evicted"


@dataclass
class Mount:
    api: ApiDefinition
    prefix: str  # "/timekit", or "" when one API is served at the root
    base_path: str  # prefix + the API's real base path: "/timekit/v2"
    app: Any  # the API's Connexion AsyncApp
    spec: dict  # resolved spec, served with its server rewritten
    spec_paths: set  # concrete paths the spec defines at the root of the mount (for "/" etc.)
    short_ids: dict = field(default_factory=dict)  # operationId as Connexion reports it -> as written
    masking: Masking | None = None  # what its journal entries mask and keep
    view: Any = None  # its view of the shared state (views keep nothing of a request)

    @property
    def name(self) -> str:
        return self.api.name


async def read_body(receive: Receive, limit: int) -> tuple[bytes, Receive]:
    """The whole request body (refused past `limit`), and a receive that replays it."""
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise ApiError("too_large", f"Request body is larger than {limit} bytes",
                           [Violation("body", "", f"larger than {limit} bytes")])
        chunks.append(chunk)
        more = message.get("more_body", False)
    body = b"".join(chunks)
    replayed = False

    async def replay() -> dict:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


def real_base_path(spec: dict) -> str:
    """The path of the spec's first server URL, its variables at their defaults."""
    servers = spec.get("servers") or [{"url": "/"}]
    server = servers[0] if isinstance(servers[0], dict) else {}
    url = str(server.get("url") or "/")
    for name, variable in (server.get("variables") or {}).items():
        default = variable.get("default", "") if isinstance(variable, dict) else ""
        url = url.replace("{" + name + "}", str(default))
    return urlparse(url).path.rstrip("/")


class Understudy:
    def __init__(self, config: Config, apis: list[ApiDefinition], sessions: Sessions | None = None):
        self.config = config
        self.apis = {api.name: api for api in apis}
        root = config["root"]
        fixtures = {api.name: api.fixtures() if api.fixtures else load_fixtures(root / "fixtures" / api.name)
                    for api in apis}
        state = open_state(config, fixtures)
        self.sessions = sessions or state.sessions
        self.journal = state.journal
        self.hostname = socket.gethostname()  # journal entries say which host answered
        self.pid = os.getpid()  # ... and which worker (each worker builds its own app)
        self.max_body_bytes, self.max_json_depth = int(config["max_body_bytes"]), int(config["max_json_depth"])
        self.store = self.sessions.default
        self.rules = Rules(self.store.view(ENGINE))
        single = config.get("single_api")
        self.mounts: dict[str, Mount] = {}
        for api in apis:
            # A built-in spec is served with its $refs inlined; a user's as written (a large
            # spec's inlined form can be many times its size).
            spec = load_spec(api, config) if api.document is None else merge_path_parameters(api.document)
            prefix = "" if single else f"/{api.name}"
            base_path = prefix + real_base_path(spec)
            app = build_api_app(api, config, base_path)
            # (with the path part of `#` / `?` templates: AWS's `/#X-Amz-Target=...` is `POST /`)
            spec_paths = {real_base_path(spec) + t for p in spec.get("paths", {}) for t in (p, discriminators(p)[0])}
            self.mounts[api.name] = Mount(api, prefix, base_path, app, public_spec(spec, base_path), spec_paths,
                                          masking=Masking(api.secret_names.get("query", ()),
                                                          api.secret_names.get("headers", ()),
                                                          int(config["journal_body_bytes"]),
                                                          int(config["max_json_depth"])),
                                          view=self.store.view(api.name))
        for api in apis:
            if api.on_start:
                api.on_start(config)
        spec = load_spec(ADMIN, config)
        self.admin = Mount(ADMIN, ADMIN_PREFIX, "", build_api_app(ADMIN, config, ""),
                           public_spec(spec, ""), set(spec["paths"]))
        self.admin_roots = {first_segments(p) for p in spec["paths"]}  # /__understudy/reset, /__understudy/requests, ...
        self.router = admin.router(self)
        self.fronts = upstream.fronts(self.mounts, config, self.store.view(ENGINE))  # --upstream, --replay
        expose = sorted({h for api in apis for h in api.expose_headers})
        self.asgi = security.guard(NoChallengeForScripts(self.dispatch), config, is_admin=self.is_admin_path,
                                   refuse=self.refuse, expose=expose + [EVICTED_HEADER], plain=self.dispatch)

    # -- routing --------------------------------------------------------------------------
    def mount_for(self, path: str) -> Mount | None:
        """The API a path belongs to, or None for the engine's own pages."""
        if path.startswith(ADMIN_PREFIX):
            return self.admin if self.is_admin_path(path) else None
        if self.config.get("single_api"):
            mount = next(iter(self.mounts.values()))
            rest = path
        else:
            name = path.split("/", 2)[1]
            mount = self.mounts.get(name)
            if mount is None:
                return None
            rest = path[len(mount.prefix):]
        if (rest in DOC_PATHS or rest in ("/", "", admin.FAVICON)) and rest not in mount.spec_paths:
            return None
        return mount

    def is_admin_path(self, path: str) -> bool:
        """Whether a path is the admin API's (its docs, assets and the index under it are not)."""
        return path.startswith(ADMIN_PREFIX) and first_segments(path) in self.admin_roots

    async def refuse(self, scope: Scope, receive: Receive, send: Send, error: ApiError) -> None:
        """Answer a request the security checks refused, in the format of the API its path
        belongs to (the engine's pages: {"error": message})."""
        mount = self.mount_for(scope["path"])
        if mount is None:
            status = error.status or DEFAULT_STATUS.get(error.kind, 400)
            response = json_response({"error": error.message}, status, error.headers)
        else:
            response = error_response(mount.api, error)
        await response(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[RAW_SEND] = send  # the server's own send, for faults that break the connection
        try:
            await self.asgi(scope, receive, send)
        finally:  # the server's send refers to what holds the scope: no cycle left for the collector
            del scope[RAW_SEND]

    async def dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        mount = self.mount_for(scope["path"])
        if mount is None or mount is self.admin:
            send = vary_origin(send) if scope.get(VARY_ORIGIN) else send  # call_api adds it itself
            await (self.router(scope, receive, send) if mount is None else self.call_admin(scope, receive, send))
        else:
            await self.call_api(mount, scope, receive, send)

    async def call_admin(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.sessions.begin_request()
        ctx = RequestContext(api=ADMIN.name, store=self.store.view(ADMIN.name), config=self.config,
                             base_url="", headers=Headers(scope=scope), extras={"server": self})
        token = set_current(ctx)
        try:
            body, receive = await read_body(receive, int(self.config["max_body_bytes"]))
            check_body(body, int(self.config["max_json_depth"]))
        except ApiError as error:
            reset_current(token)
            return await self.refuse(scope, receive, send, error)
        try:
            await self.admin.app(scope, receive, send)
        finally:
            reset_current(token)

    async def lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.fronts.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def base_url(self, scope: Scope, mount: Mount, headers: Headers | None = None) -> str:
        host = (headers if headers is not None else Headers(scope=scope)).get("host")
        if not host:
            server = scope.get("server") or (self.config["host"], self.config["port"])
            host = f"{server[0]}:{server[1]}"
        return f"{scope.get('scheme', 'http')}://{host}{mount.base_path}"

    # -- one API request --------------------------------------------------------------------
    async def call_api(self, mount: Mount, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        name = mount.api.name
        self.sessions.begin_request()
        headers = RequestHeaders(scope=scope)
        session = headers.get(SESSION_HEADER)
        ctx = RequestContext(
            api=name, store=mount.view, config=self.config,
            base_url=self.base_url(scope, mount, headers), headers=headers, session=session,
        )
        ctx.take_rule = lambda operation_id: self.rules.take(
            name, operation_id, scope["method"], scope["path"], session,
            lambda: self.short_operation_id(mount, operation_id))
        token = set_current(ctx)
        state: dict[str, Any] = {"status": None}
        announce: dict[str, str] = {}  # headers the engine adds (a session evicted)
        body = b""
        scope.setdefault("extensions", {})  # shared with Connexion's copies: routing lands here
        vary = scope.get(VARY_ORIGIN, False)

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                if (mount.api.response_headers or announce) and not message.get(upstream.VERBATIM):
                    extra = {**(mount.api.response_headers(ctx) if mount.api.response_headers else {}), **announce}
                    message = {**message, "headers": list(message.get("headers", [])) + [
                        (k.lower().encode("latin-1"), str(v).encode("latin-1")) for k, v in extra.items()
                    ]}
                if vary:  # what CORS adds to an answer to a request without an Origin
                    message = with_vary_origin(message)
            await send(message)

        try:
            if session is not None:
                store, evicted = self.sessions.open(check_name(session))
                ctx.store = store.view(name)
                if evicted:
                    announce[EVICTED_HEADER] = ", ".join(evicted)
                    log.warning("session %s dropped to make room for %s (more than max_sessions=%s)",
                                ", ".join(evicted), session, self.config["max_sessions"])
            if self.check_length(headers) or "transfer-encoding" in headers:
                body, receive = await read_body(receive, self.max_body_bytes)
                check_body(body, self.max_json_depth)
            # else no body: HTTP/1.1 has none without one of the two (a GET, as a rule)
            if mount.api.accept:
                check_accept(headers.get("accept"), mount.api.accept)
            inner = without_trailing_slash(scope, mount.base_path) if mount.api.trailing_slash else scope
            inner = with_aliases_resolved(inner, mount.base_path, mount.api.aliases)
            front = self.fronts.get(name)
            if front is None:
                await mount.app(inner, receive, send_with_headers)
            else:  # a recorded answer, the real API's, or the mock's (upstream/)
                await front(scope, inner, body, lambda: mount.app(inner, receive, send_with_headers),
                            send_with_headers, ctx.extras)
        except Exception as exc:  # the API's own handlers render everything; this is the net
            error = exc if isinstance(exc, ApiError) else ApiError("internal", "Internal server error")
            if not isinstance(exc, ApiError):
                log.error("error escaped %s", name, exc_info=exc)
            if state["status"] is None:
                status, err_headers, payload = render_error(mount.api, error)
                await send_with_headers({"type": "http.response.start", "status": status,
                                         "headers": asgi_headers(err_headers, payload)})
                await send({"type": "http.response.body", "body": payload})
        finally:
            reset_current(token)
            routing = scope["extensions"].get("connexion_routing", {})
            self.journal.record(Answered(time.time(), {
                "api": name,
                "session": session,
                "host": self.hostname,
                "worker": self.pid,
                "method": scope["method"],
                "path": scope["path"],
                "operationId": self.short_operation_id(mount, routing.get("operation_id")),
                "status": state["status"],
                "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                "fault": getattr(ctx.extras.get("prefer"), "fault", None),
                **ctx.extras.get(upstream.JOURNAL, {}),
            }, scope.get("query_string", b""), headers, body, mount.masking))

    @staticmethod
    def short_operation_id(mount: Mount, operation_id: str | None) -> str | None:
        """The operationId as the spec writes it (Connexion reports the resolved module path)."""
        found = mount.short_ids.get(operation_id)
        if found is None:
            prefix = mount.api.package + "."
            found = operation_id[len(prefix):] if operation_id and operation_id.startswith(prefix) else operation_id
            mount.short_ids[operation_id] = found
        return found

    def check_length(self, headers: Headers) -> bool:
        """Whether the request says it has a body (Content-Length), refusing one past the limit."""
        length = headers.get("content-length")
        if length is None:
            return False
        try:
            size = int(length)
        except ValueError:
            raise ApiError("validation", "Content-Length is not a number")
        if size > self.max_body_bytes:
            raise ApiError("too_large", f"Request body is larger than {self.max_body_bytes} bytes")
        return True

    # -- views the admin pages use ------------------------------------------------------------
    def credentials(self) -> dict[str, list[dict]]:
        """Each API's demo credentials, each with the headers, query and cookies to send."""
        return {
            name: listed(mount.api.credentials(self.config, self.store.view(name))) if mount.api.credentials else []
            for name, mount in self.mounts.items()
        }

    def reset(self, api: str | None = None, session: str | None = None) -> bool:
        return self.sessions.reset(session, api)


def first_segments(path: str) -> str:
    """The first two segments of a path: `/__understudy/requests/7` -> `/__understudy/requests`."""
    return "/".join(path.split("/", 3)[:3])


def acceptable(accept: str | None, offered: tuple[str, ...]) -> bool:
    """Whether an Accept header admits one of the offered media types (no header: anything)."""
    if accept is None or not accept.strip():
        return True
    for item in accept.split(","):
        media, *params = [p.strip() for p in item.split(";")]
        quality = next((p.split("=", 1)[1] for p in params if p.replace(" ", "").startswith("q=")), "1")
        try:
            if float(quality) <= 0:
                continue
        except ValueError:
            continue
        kind, _, sub = media.lower().partition("/")
        for offer in offered:
            o_kind, _, o_sub = offer.partition("/")
            if kind in ("*", o_kind) and sub in ("*", o_sub):
                return True
    return False


def check_accept(accept: str | None, offered: tuple[str, ...]) -> None:
    if not acceptable(accept, offered):
        raise ApiError("not_acceptable", f"Cannot answer with {accept}; accepted: {', '.join(offered)}",
                       [Violation("header", "Accept", f"must admit {', '.join(offered)}")])


def without_trailing_slash(scope: Scope, base_path: str) -> Scope:
    """The same request with one trailing `/` removed from a path below the API's base path."""
    path = scope["path"]
    if not path.endswith("/") or path.rstrip("/") in ("", base_path.rstrip("/")):
        return scope
    trimmed = path[:-1]
    return {**scope, "path": trimmed, "raw_path": trimmed.encode("latin-1")}


def with_aliases_resolved(scope: Scope, base_path: str, aliases: dict[str, str]) -> Scope:
    """The same request on the documented path when it used a known mistaken form."""
    if not aliases:
        return scope
    for method, pattern, documented in compiled_aliases(base_path, tuple(aliases.items())):
        found = pattern.fullmatch(scope["path"]) if scope["method"] == method else None
        if found:
            path = base_path + documented.format(**found.groupdict())
            return {**scope, "path": path, "raw_path": path.encode("latin-1")}
    return scope


@lru_cache(maxsize=64)
def compiled_aliases(base_path: str, aliases: tuple[tuple[str, str], ...]) -> list[tuple[str, re.Pattern, str]]:
    """(method, path pattern, documented path) of each alias, compiled once per mount."""
    compiled = []
    for mistaken, documented in aliases:
        method, _, template = mistaken.partition(" ")
        pattern = re.sub(r"\\\{([^}]+)\\\}", r"(?P<\1>[^/]+)", re.escape(base_path + template))
        compiled.append((method, re.compile(pattern), documented))
    return compiled


def configure(config: Mapping[str, Any] | None = None) -> tuple[Config, list[ApiDefinition]]:
    """The checked settings (`config` over the environment over the defaults, see config.py) and
    the APIs they name; a bad value raises SettingError before anything is built."""
    overrides = dict(config or {})
    if overrides.get("specs"):  # a user's specs: served with generated behaviour
        apis = user_apis(overrides)
        if len(apis) == 1:
            overrides["single_api"] = apis[0].name
    else:
        root = overrides.get("root", DEFAULTS["root"])
        single = overrides.get("single_api")
        names = [single] if single else (overrides.get("apis") or discover(root))
        apis = [load_api(name) for name in names]
    return build_config(overrides, [setting for api in apis for setting in api.settings]), apis


def create_app(config: Mapping[str, Any] | None = None, sessions: Sessions | None = None) -> Understudy:
    """Build the server. `config` overrides DEFAULTS and the environment (see config.py);
    `sessions` carries the state of a previous build over (hot reload)."""
    return Understudy(*configure(config), sessions)


def user_apis(config: Mapping[str, Any]) -> list[ApiDefinition]:
    """The specs `understudy serve SPEC [SPEC ...]` names (files, folders, URLs, `NAME=SPEC`), each
    mounted with generated behaviour and `--handlers`, `--fixtures`, `--credentials` applied (with
    several specs, each API's own `DIR/<name>/` when it exists)."""
    from .generated.mount import definition
    from .spec import lint, load_specs

    named: list[tuple[str | None, str]] = []
    for source in config["specs"]:
        name, sep, rest = str(source).partition("=")
        named.append((name, rest) if sep and "/" not in name and not name.startswith(("http", ".")) else (None, source))
    specs = load_specs([source for _, source in named], allow_remote_refs=bool(config.get("allow_remote_refs")))
    given = [name for name, _ in named]
    if len(given) == len(specs):
        for spec, name in zip(specs, given):
            if name:
                spec.name = name
    several = len(specs) > 1

    def folder(option: str, name: str) -> Path | None:
        value = config.get(option)
        if not value:
            return None
        path = Path(value)
        return path / name if several and (path / name).is_dir() else path

    apis = []
    for spec in specs:
        api = definition(spec, handlers=folder("handlers", spec.name), fixtures=folder("fixtures", spec.name),
                         credentials=config.get("credentials"), any_credential=bool(config.get("any_credential")))
        api.mistakes = lint(spec)
        apis.append(api)
    return apis


def app_from_environment() -> Understudy:
    """The factory each worker process calls (`uvicorn --factory`): the CLI passes its overrides
    in UNDERSTUDY_CONFIG. Its heap is settled: this process serves the app until it stops."""
    app = create_app(json.loads(os.environ.get("UNDERSTUDY_CONFIG", "{}")))
    heap.settle()
    return app
