"""One Connexion AsyncApp per API: its own middleware stack (our auth and validation in place of
Connexion's), its own error handlers rendering its own wire format, built eagerly so a broken
spec or an unresolved operationId stops the server at start-up."""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

from connexion.exceptions import ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from connexion.middleware.abstract import SpecMiddleware
from connexion.middleware.context import ContextMiddleware
from connexion.middleware.exceptions import ExceptionMiddleware
from connexion.middleware.lifespan import LifespanMiddleware
from connexion.middleware.response_validation import ResponseValidationMiddleware
from connexion.frameworks import starlette as starlette_utils
from connexion.middleware.routing import RoutingAPI, RoutingMiddleware
from connexion.options import SwaggerUIOptions
from connexion.resolver import RelativeResolver
from connexion.json_schema import resolve_refs
from starlette.exceptions import HTTPException

from .api import ApiDefinition
from .auth import AuthMiddleware
from .controls import ControlsMiddleware
from .errors import ApiError, Violation
from .files import load_yaml
from .invoke import FastAsyncApp
from .responses import JSON, render_error
from .validation import ValidationMiddleware

log = logging.getLogger("understudy")


class _MultipleBodyTypes(logging.Filter):
    """Connexion warns on every request to an operation that takes several body media types
    (JSON or a form upload, say); the engine reads each by its Content-Type, so it is noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("this operation accepts multiple content types")


logging.getLogger("connexion.operations.openapi3").addFilter(_MultipleBodyTypes())

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# Connexion's own problems, by status, as our error kinds.
PROBLEM_KINDS = {
    400: "validation", 401: "unauthorized", 403: "forbidden", 404: "route_not_found",
    405: "method_not_allowed", 406: "not_acceptable", 413: "too_large", 415: "media_type",
}


class UntypedRoutingAPI(RoutingAPI):
    """Routes `{id}` whatever its type, so a wrong-typed path parameter reaches validation and is
    reported as a violation (400 in the API's format) instead of matching no route (404)."""

    @staticmethod
    def _framework_path_and_name(operation, path: str) -> tuple[str, str]:
        types = {k: v for k, v in operation.get_path_parameter_types().items() if v == "path"}
        starlette_path = starlette_utils.starlettify_path(path, types)
        return starlette_path, starlette_path


class Routing(RoutingMiddleware):
    def add_api(self, specification, base_path=None, arguments=None, **kwargs) -> None:
        api = UntypedRoutingAPI(specification, base_path=base_path, arguments=arguments,
                                next_app=self.app, **kwargs)
        self.router.mount(api.base_path, app=api.router)


class AllowTable:
    """Which methods the spec allows on a concrete path: the `Allow` header of a 405. When several
    templates match (`/bookings/bulk` and `/bookings/{id}`), the most specific ones (fewest
    parameters) decide, as a client reading the spec expects."""

    def __init__(self, paths: dict, base_path: str):
        self.base_path = base_path.rstrip("/")
        self.rules = []
        for template, item in paths.items():
            pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
            methods = [m.upper() for m in HTTP_METHODS if m in item]
            self.rules.append((re.compile(f"^{pattern}$"), template.count("{"), methods))

    def allowed(self, path: str) -> list[str]:
        """The methods of the most specific templates that match (`/users/search` over
        `/users/{id}`): the resource the path names."""
        if self.base_path and path.startswith(self.base_path):
            path = path[len(self.base_path):] or "/"
        matches = [(params, verbs) for pattern, params, verbs in self.rules if pattern.match(path)]
        fewest = min((params for params, _ in matches), default=0)
        methods: list[str] = []
        for params, verbs in matches:
            if params == fewest:
                methods += [m for m in verbs if m not in methods]
        if "GET" in methods and "HEAD" not in methods:
            methods.append("HEAD")
        return methods


class MethodGuard(SpecMiddleware):
    """A path belongs to its most specific template: a method that template does not declare is
    405, even where a less specific template would take it (`PUT /users/search` is not
    `PUT /users/{id}`)."""

    def __init__(self, app) -> None:
        self.app = app
        self.tables: list[AllowTable] = []

    def add_api(self, specification, base_path: str | None = None, **kwargs: Any) -> None:
        self.tables.append(AllowTable(specification.get("paths", {}), base_path or ""))

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            for table in self.tables:
                methods = table.allowed(scope["path"])
                if methods and scope["method"] not in methods:
                    raise HTTPException(405)
        await self.app(scope, receive, send)


def as_api_error(exc: Exception, method: str, path: str, allow: AllowTable) -> ApiError:
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, HTTPException):
        if exc.status_code == 405:
            methods = allow.allowed(path)
            return ApiError(
                "method_not_allowed", f"Method {method} is not allowed on {path}",
                [Violation("method", method, f"allowed: {', '.join(methods)}")],
                headers={"Allow": ", ".join(methods)},
            )
        if exc.status_code == 404:
            return ApiError("route_not_found", f"No route matches {method} {path}",
                            [Violation("path", path, "unknown route")])
        kind = PROBLEM_KINDS.get(exc.status_code, "internal")
        return ApiError(kind, str(exc.detail or kind), status=exc.status_code)
    if isinstance(exc, ProblemException):
        kind = PROBLEM_KINDS.get(exc.status, "internal")
        message = str(exc.detail or exc.title or kind)
        return ApiError(kind, message, status=None if kind != "internal" else exc.status)
    log.error("unhandled error on %s %s", method, path, exc_info=exc)
    return ApiError("internal", "Internal server error")


def build_api_app(api: ApiDefinition, config: Any, base_path: str) -> FastAsyncApp:
    """The API's app; building it validates the spec (a broken spec stops start-up)."""
    spec = raw_spec(api, config)
    middlewares = [
        ExceptionMiddleware,
        MethodGuard,
        Routing,
        *([ResponseValidationMiddleware] if config.get("validate_responses") else []),
        AuthMiddleware,
        ControlsMiddleware,
        ValidationMiddleware,
        LifespanMiddleware,
        ContextMiddleware,
    ]
    app = FastAsyncApp(
        api.package,
        middlewares=middlewares,
        swagger_ui_options=SwaggerUIOptions(swagger_ui=False, serve_spec=False),
    )
    app.add_api(
        spec,
        base_path=base_path,
        resolver=RelativeResolver(api.package),
        validate_responses=bool(config.get("validate_responses")),
        api_definition=api,
        max_body_bytes=int(config["max_body_bytes"]),
    )
    allow = AllowTable(app.middleware.apis[0].specification.get("paths", {}), base_path)

    def handle(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        error = as_api_error(exc, request.method, request.url.path, allow)
        status, headers, body = render_error(api, error)
        return ConnexionResponse(status_code=status, mimetype=JSON, content_type=JSON,
                                 body=body, headers=headers)

    for exc_class in (ApiError, ProblemException, HTTPException, Exception):
        app.add_error_handler(exc_class, handle)
    middleware = app.middleware
    middleware.app, middleware.middleware_stack = middleware._build_middleware_stack()
    return app


def raw_spec(api: ApiDefinition, config: Any) -> dict:
    """The spec as written ($refs kept), with path-level parameters merged into each operation
    (an operation's own parameter wins over a path-level one of the same name and place).
    Connexion 3.3 appends path-level parameters to the operation's own list in place, once per
    middleware, so operations with both would check every path parameter several times.
    Parsed with libyaml when it is there (large specs take seconds with the pure-Python parser)."""
    path = api.spec_path(config)
    spec = load_yaml(path)

    def identity(parameter: dict) -> tuple[str, str]:
        if "$ref" in parameter:  # a local reference, #/components/parameters/<name>
            target = spec
            for part in parameter["$ref"].lstrip("#/").split("/"):
                target = target[part]
            parameter = target
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
