"""One Connexion AsyncApp per API: its own middleware stack (our auth and validation in place of
Connexion's), its own error handlers rendering its own wire format, built eagerly so a broken
spec or an unresolved operationId stops the server at start-up."""

from __future__ import annotations

import logging
import re
from functools import partial
from pathlib import Path
from typing import Any

from connexion import AsyncApp
from connexion.exceptions import ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from connexion.middleware.context import ContextMiddleware
from connexion.middleware.exceptions import ExceptionMiddleware
from connexion.middleware.lifespan import LifespanMiddleware
from connexion.middleware.response_validation import ResponseValidationMiddleware
from connexion.frameworks import starlette as starlette_utils
from connexion.middleware.routing import RoutingAPI, RoutingMiddleware
from connexion.options import SwaggerUIOptions
from connexion.resolver import RelativeResolver
from starlette.exceptions import HTTPException

from .api import ApiDefinition
from .auth import AuthMiddleware
from .errors import ApiError, Violation
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
    """Which methods the spec allows on a concrete path: the `Allow` header of a 405."""

    def __init__(self, paths: dict, base_path: str):
        self.base_path = base_path.rstrip("/")
        self.rules = []
        for template, item in paths.items():
            pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
            methods = [m.upper() for m in HTTP_METHODS if m in item]
            self.rules.append((re.compile(f"^{pattern}$"), methods, template.count("{")))

    def allowed(self, path: str) -> list[str]:
        """The methods of the most specific templates matching the path (`/things/all` over
        `/things/{id}`), as the spec documents them for that path."""
        if self.base_path and path.startswith(self.base_path):
            path = path[len(self.base_path):] or "/"
        matching = [(params, verbs) for pattern, verbs, params in self.rules if pattern.match(path)]
        fewest = min((params for params, _ in matching), default=0)
        methods: list[str] = []
        for params, verbs in matching:
            if params == fewest:
                methods += [m for m in verbs if m not in methods]
        if "GET" in methods and "HEAD" not in methods:
            methods.append("HEAD")
        return methods


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


def build_api_app(api: ApiDefinition, config: Any, base_path: str, spec: dict | None = None) -> AsyncApp:
    """`spec` is the resolved spec when the caller has already loaded it (saves a second parse)."""
    spec_path = Path(config["root"]) / "openapi" / api.spec
    middlewares = [
        ExceptionMiddleware,
        Routing,
        AuthMiddleware,
        ValidationMiddleware,
        *([ResponseValidationMiddleware] if config.get("validate_responses") else []),
        LifespanMiddleware,
        ContextMiddleware,
    ]
    app = AsyncApp(
        api.package,
        middlewares=middlewares,
        swagger_ui_options=SwaggerUIOptions(swagger_ui=False, serve_spec=False),
    )
    app.add_api(
        spec if spec is not None else spec_path,
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


def load_spec(api: ApiDefinition, config: Any) -> dict:
    """The spec as Connexion resolved it (every $ref inlined, relative file refs too), for
    serving, tests and building the app. Parsed with libyaml when it is there (large specs take
    seconds with the pure-Python parser)."""
    import os

    import yaml
    from connexion.spec import Specification

    path = Path(config["root"]) / "openapi" / api.spec
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    raw = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    return Specification.from_dict(raw, base_uri=f"{path.parent}{os.sep}").spec
