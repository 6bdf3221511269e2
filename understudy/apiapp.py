"""One API's request path: a route table compiled once from its spec, then, per operation, one
pipeline built on the operation's first request: (response validation, in tests) -> auth ->
controls -> validation -> the handler, run in one coroutine (pipeline.py). Connexion reads each
operation (its parameters, body and responses), resolves its operationId to a handler and parses
parameters; the rest is ours, so a request crosses no middleware that does not concern its
operation. A broken spec or an unresolved operationId stops the server at start-up."""

from __future__ import annotations

import copy
import logging
from typing import Any
from urllib.parse import parse_qs

from connexion.exceptions import ProblemException
from connexion.jsonifier import Jsonifier
from connexion.json_schema import resolve_refs
from connexion.operations import OpenAPIOperation
from connexion.resolver import RelativeResolver
from connexion.spec import OpenAPISpecification
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import Receive, Scope, Send

from .api import ApiDefinition
from .auth import AuthOperation
from .context import current_or_none as current_context
from .conformance import ResponseContract, ResponseValidation, openapi30_response_validator
from .controls import ControlsOperation
from .errors import ApiError, Violation
from .files import load_yaml
from .invoke import FastOperation
from .parameters import could_be
from .pipeline import Pipeline
from .responses import asgi_headers, render_error
from .routing import HTTP_METHODS, MethodNotAllowed, NoRoute, RouteTable, carried
from .spec.walk import pointer_get, ref_pointer
from .validation import ValidationOperation, compile_schema

log = logging.getLogger("understudy")


class _MultipleBodyTypes(logging.Filter):
    """Connexion warns on every request to an operation that takes several body media types
    (JSON or a form upload, say); the engine reads each by its Content-Type, so it is noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("this operation accepts multiple content types")


logging.getLogger("connexion.operations.openapi3").addFilter(_MultipleBodyTypes())

# Connexion's own problems, by status, as our error kinds.
PROBLEM_KINDS = {
    400: "validation", 401: "unauthorized", 403: "forbidden", 404: "route_not_found",
    405: "method_not_allowed", 406: "not_acceptable", 413: "too_large", 415: "media_type",
}
ROUTING = "connexion_routing"  # scope extension: the operationId, read by the journal


def as_api_error(exc: Exception, method: str, path: str) -> ApiError:
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, MethodNotAllowed):
        return ApiError(
            "method_not_allowed", f"Method {method} is not allowed on {path}",
            [Violation("method", method, f"allowed: {', '.join(exc.allowed)}")],
            headers={"Allow": ", ".join(exc.allowed)},
        )
    if isinstance(exc, NoRoute):
        return ApiError("route_not_found", f"No route matches {method} {path}",
                        [Violation("path", path, "unknown route")])
    if isinstance(exc, HTTPException):
        kind = PROBLEM_KINDS.get(exc.status_code, "internal")
        return ApiError(kind, str(exc.detail or kind), status=exc.status_code)
    if isinstance(exc, ProblemException):
        kind = PROBLEM_KINDS.get(exc.status, "internal")
        message = str(exc.detail or exc.title or kind)
        return ApiError(kind, message, status=None if kind != "internal" else exc.status)
    log.error("unhandled error on %s %s", method, path, exc_info=exc)
    return ApiError("internal", "Internal server error")


class Dereferencer:
    """The document's local `$ref`s inlined on demand: each target is inlined once and shared by
    every place that names it (a recursive schema refers to itself), so an operation costs only
    what it uses, and a large spec is not inlined whole at start-up."""

    def __init__(self, document: dict):
        self.document = document
        self.done: dict[str, Any] = {}

    def target(self, ref: str) -> Any:
        return pointer_get(self.document, ref_pointer(ref))  # `~1`, `~0` and `%7B` decoded

    def __call__(self, node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#"):
                return self.inline(ref)
            return {key: self(value) for key, value in node.items()}
        if isinstance(node, list):
            return [self(value) for value in node]
        return node

    def inline(self, ref: str) -> Any:
        if ref in self.done:
            return self.done[ref]
        raw = self.target(ref)
        if not isinstance(raw, dict):
            self.done[ref] = value = self(raw)
            return value
        shared: dict = {}
        self.done[ref] = shared  # a reference back to it, inside it, finds this one
        shared.update(self(raw))
        return shared


class ApiApp:
    """The ASGI app of one API, mounted at `base_path`."""

    def __init__(self, api: ApiDefinition, config: Any, base_path: str, spec: dict):
        self.api = api
        self.base_path = base_path.rstrip("/")
        self.spec = spec
        self.validate_responses = bool(config.get("validate_responses"))
        self.max_body_bytes = int(config["max_body_bytes"])
        self.jsonifier = Jsonifier()
        self.resolver = api.resolver or RelativeResolver(api.package)
        self.deref = Dereferencer(spec)
        self.components = self.deref(spec.get("components", {}))
        self.routes = RouteTable(spec.get("paths", {}), fallback=api.route_fallback, admits=self.admits)
        self.operations: dict[tuple[str, str], OpenAPIOperation] = {}
        self.chains: dict[tuple[str, str], Any] = {}
        for route in self.routes.routes if api.eager else ():  # resolve every handler now: a typo stops start-up
            for method in route.methods:
                self.chain_for(route.template, method, build=False)

    def admits(self, route, params: dict[str, str]) -> bool:
        """Whether path values could be those of a template's path parameters (type and enum)."""
        item = self.spec["paths"][route.template]
        for method in route.methods:
            for param in item.get(method.lower(), {}).get("parameters", []):
                param = self.deref(param)
                if param.get("in") == "path" and param.get("name") in params \
                        and not could_be(params[param["name"]], param.get("schema")):
                    return False
        return True

    def operation(self, template: str, method: str) -> OpenAPIOperation:
        key = (template, method)
        if key not in self.operations:
            item = self.spec["paths"][template][method.lower()]
            self.operations[key] = OpenAPIOperation(
                method.lower(), template, self.deref(item), resolver=self.resolver,
                app_security=self.spec.get("security"),
                security_schemes=self.components.get("securitySchemes", {}), components=self.components,
            )
        return self.operations[key]

    def chain_for(self, template: str, method: str, build: bool = True):
        """The operation's steps, built on its first request (`build=False`: only check that
        they can be: the handler resolves, every security scheme has a verifier)."""
        key = (template, method)
        chain = self.chains.get(key)
        if chain is not None:
            return chain
        operation = self.operation(template, method)
        handler = FastOperation.from_operation(operation, pythonic_params=False, jsonifier=self.jsonifier)
        auth = AuthOperation(None, operation=operation, api_definition=self.api)
        controls = ControlsOperation(None, operation=operation, generate=self.api.response_example)
        steps: Any = handler
        if build:
            steps = Pipeline(operation, auth, controls, ValidationOperation(
                None, operation=operation, max_body_bytes=self.max_body_bytes,
                compile=self.api.request_validator or compile_schema), handler)
        if self.validate_responses:
            steps = ResponseValidation(steps, ResponseContract(
                operation.responses, self.api.response_validator or openapi30_response_validator))
        if build:
            self.chains[key] = steps
        return steps

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracking_send(message: dict) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        path = scope["path"]
        operation = None  # the operation's spec, once routing found it
        try:
            raw = scope.get("raw_path") or b""
            encoded = b"%2f" in raw.lower()  # a `/` inside a parameter: split before decoding
            carries = carried(parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True),
                              Headers(scope=scope)) if self.routes.discriminated else None
            route, method, params = self.routes.resolve(
                scope["method"], self.relative(raw.decode("latin-1") if encoded else path), encoded, carries)
            operation = self.spec["paths"][route.template][method.lower()]
            chain = self.chain_for(route.template, method)
            context = current_context()
            if context is not None:
                context.scope = scope
            scope["path_params"] = params
            scope.setdefault("extensions", {})[ROUTING] = {
                "api_base_path": self.base_path, "operation_id": self.operation(route.template, method).operation_id}
            await chain(scope, receive, tracking_send)
        except Exception as exc:
            if started:
                log.error("error after the response started on %s %s", scope["method"], path, exc_info=exc)
                return
            error = as_api_error(exc, scope["method"], path)
            status, headers, body = render_error(self.api, error, operation)
            await send({"type": "http.response.start", "status": status, "headers": asgi_headers(headers, body)})
            await send({"type": "http.response.body", "body": body})

    def relative(self, path: str) -> str:
        """The path below the API's base path (NoRoute for a path outside it)."""
        if not path.startswith(self.base_path):
            raise NoRoute(path)
        rest = path[len(self.base_path):]
        if rest and not rest.startswith("/"):
            raise NoRoute(path)
        return rest or "/"


def build_api_app(api: ApiDefinition, config: Any, base_path: str) -> ApiApp:
    """The API's app. A built-in spec is validated against the OpenAPI schema (a broken one stops
    start-up); a user's was loaded by `understudy.spec`, which refuses what it cannot serve and
    lists its mistakes (validating a 12 MiB spec here would take a minute)."""
    spec = raw_spec(api, config)
    OpenAPISpecification._set_defaults(spec)
    if api.document is None:
        OpenAPISpecification._validate_spec(spec)
    return ApiApp(api, config, base_path, spec)


def raw_spec(api: ApiDefinition, config: Any) -> dict:
    """The spec as written ($refs kept), with path-level parameters merged into each operation
    (an operation's own parameter wins over a path-level one of the same name and place).
    Connexion 3.3 appends path-level parameters to the operation's own list in place, once per
    middleware, so operations with both would check every path parameter several times.
    Parsed with libyaml when it is there (large specs take seconds with the pure-Python parser)."""
    if api.document is not None:
        spec = api.document  # loaded for this server alone: no copy needed
    else:
        spec = load_yaml(api.spec_path(config))
    return merge_path_parameters(spec)


def merge_path_parameters(spec: dict) -> dict:
    """Path-level parameters moved into each operation of the path (in place)."""

    def identity(parameter: dict) -> tuple[str, str]:
        if "$ref" in parameter:  # a local reference, #/components/parameters/<name>
            parameter = pointer_get(spec, ref_pointer(parameter["$ref"]))
        return parameter["in"], parameter["name"]

    for item in spec.get("paths", {}).values():
        shared = item.pop("parameters", [])
        for method in HTTP_METHODS:
            if method in item:
                own = item[method].get("parameters", [])
                names = {identity(p) for p in own}
                merged = own + [p for p in shared if identity(p) not in names]
                if merged:
                    item[method]["parameters"] = merged
    return spec


def load_spec(api: ApiDefinition, config: Any) -> dict:
    """The spec with every $ref inlined, as Connexion sees it, for serving and tests. (Connexion
    validates the spec when the app is built, on the raw form: validating the inlined form
    takes seconds for a large spec.)"""
    return resolve_refs(copy.deepcopy(raw_spec(api, config)))
