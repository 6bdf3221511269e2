"""What the engine needs to know about one API. Each `handlers/<api>/__init__.py` declares an
`API = ApiDefinition(...)`; the engine finds it by name, never by a static import."""

from __future__ import annotations

import argparse
import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .errors import DEFAULT_STATUS, ApiError, StartupError
from .settings import Setting

HANDLERS = "understudy.builtin.handlers"  # the built-in APIs' handler packages

# An error renderer takes the error and its status and returns the JSON body.
Renderer = Callable[[ApiError, int], Any]
# A verifier takes the credential the engine extracted for one security scheme (a (user, password)
# pair for Basic, the token for Bearer, the value for an API key) and the request, and returns the
# principal, or raises ApiError (unauthorized / forbidden).
Verifier = Callable[[Any, "RequestInfo"], Any]


@dataclass
class RequestInfo:
    """What a verifier may look at besides the credential."""

    method: str
    path: str
    headers: Any  # starlette Headers (case-insensitive)
    query: Any  # starlette QueryParams
    cookies: dict[str, str]
    operation: dict[str, Any]  # the operation object from the spec


@dataclass
class Command:
    """An API's own CLI command, `understudy <name> <api> ...` (e.g. `understudy token timbr`): the
    CLI builds its parser (`arguments` adds to it), so `--help` lists them, then calls `run`."""

    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


@dataclass
class ApiDefinition:
    name: str  # URL prefix and handler package: handlers/<name>
    title: str
    spec: str  # file name under openapi/
    render_error: Renderer
    verifiers: dict[str, Verifier] = field(default_factory=dict)  # security scheme -> verifier
    status: dict[str, int] = field(default_factory=dict)  # error kind -> status overrides
    www_authenticate: str | None = None  # challenge sent with every 401
    settings: list[Setting] = field(default_factory=list)  # its typed env settings, with demo defaults
    credentials: Callable[[Any, Any], list[dict]] | None = None  # (config, store) -> demo creds
    on_start: Callable[[Any], None] | None = None  # (config) -> None, after fixtures load
    response_headers: Callable[[Any], dict[str, str]] | None = None  # (request context) -> headers
    expose_headers: list[str] = field(default_factory=list)  # for CORS
    example: str = ""  # one curl, with {base} and credentials, for the README and the index
    commands: dict[str, Command] = field(default_factory=dict)  # its own CLI commands, by name
    # Demo credentials per security scheme, as Schemathesis' [auth.openapi.<scheme>] takes them
    # (username/password, api_key, bearer): used by `understudy contract`, the contract tests, and
    # the Swagger UI page, which opens authorized with them.
    contract_auth: Callable[[Any], dict[str, dict]] | None = None
    # What a contract run of this API must allow besides Schemathesis' defaults (its config, as
    # schemathesis.toml writes it): e.g. statuses the API answers to schema-valid requests that
    # its rules refuse. Shared by `understudy contract` and the contract tests.
    contract_config: dict[str, Any] = field(default_factory=dict)
    # Opt-in request conventions some vendors have:
    accept: tuple[str, ...] = ()  # media types the API answers; an Accept admitting none -> 406
    trailing_slash: bool = False  # serve `/things/` as `/things` (docs that print both forms)
    # Doc mistakes a real client would send: "METHOD /mistaken/{id}" -> "/documented/{id}".
    aliases: dict[str, str] = field(default_factory=dict)

    def status_for(self, error: ApiError) -> int:
        if error.status is not None:
            return error.status
        return self.status.get(error.kind, DEFAULT_STATUS.get(error.kind, 500))

    handlers: str | None = None  # the package operationIds resolve in; default: the built-in one
    # A spec that is not a built-in one's file: already loaded and normalised (a user's spec).
    document: dict | None = None
    # JSON Schema validators for requests and responses: (schema) -> validator. Default: OpenAPI
    # 3.0's (Draft 4 with nullable, readOnly, writeOnly); an OpenAPI 3.1 spec brings 2020-12's.
    request_validator: Callable[[dict], Any] | None = None
    response_validator: Callable[[dict], Any] | None = None
    # Generated APIs (a user's spec): how operationIds resolve to handlers (a Connexion Resolver;
    # default: relative to `package`), errors in the form each operation documents ((error,
    # operation or None) -> (status, media type, body bytes)), the starting state (() -> {collection:
    # documents}; default: fixtures/<name>/), header/query/cookie names the journal masks besides
    # the engine's rule, and whether every operation is checked at start-up (False: on first use,
    # for large specs).
    resolver: Any = None
    operation_error: Callable[[ApiError, dict | None], tuple[int, str | None, bytes]] | None = None
    fixtures: Callable[[], dict] | None = None
    secret_names: dict[str, set[str]] = field(default_factory=dict)
    eager: bool = True
    # A method the most specific templates lack is served by a less specific template that
    # declares it (a user's spec: its real server routes that way); see routing.RouteTable.
    route_fallback: bool = False
    mistakes: list = field(default_factory=list)  # a user's spec's mistakes (file, pointer, message)
    # A response body for `Prefer: code=` / `dynamic=true`: (media type object, random or None) ->
    # value valid against its schema. Default: `examples.example_for`.
    response_example: Callable[[dict, Any], Any] | None = None

    @property
    def package(self) -> str:
        return self.handlers or f"{HANDLERS}.{self.name}"

    def spec_path(self, config: Any) -> Path:
        """`spec` is a file under openapi/, or an absolute path (the engine's own admin spec)."""
        path = Path(self.spec)
        return path if path.is_absolute() else Path(config["root"]) / "openapi" / path


def load_api(name: str) -> ApiDefinition:
    try:
        module = importlib.import_module(f"{HANDLERS}.{name}")
    except ModuleNotFoundError as error:
        if error.name != f"{HANDLERS}.{name}":
            raise
        raise StartupError(f"no API named {name!r}")
    api = getattr(module, "API", None)
    if not isinstance(api, ApiDefinition):
        raise RuntimeError(f"{HANDLERS}.{name} does not define API = ApiDefinition(...)")
    return api


def discover(root: Path) -> list[str]:
    """Every API that has both a spec and a handler package, in a stable order."""
    specs = {p.stem for p in (root / "openapi").glob("*.yaml") if not p.stem.startswith("_")}
    packages = {p.parent.name for p in (root / "handlers").glob("*/__init__.py")}
    return sorted(specs & packages)
