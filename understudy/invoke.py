"""Calling a handler, with the per-request work done once.

Connexion's AsyncOperation rebuilds its decorators, a URI parser and the handler's signature on
every call, then parses the parameters and the body a second time. Here the handler's signature
is read once, and the parameters and body come from the validation step, which has already
parsed them with the same URI parser; Connexion's `get_arguments` maps them to arguments as
Connexion would. Form bodies (with their files) go through Connexion's own
path unchanged."""

from __future__ import annotations

import asyncio
from typing import Any

from connexion.apps.asynchronous import AsyncOperation
from connexion.decorators.parameter import get_arguments, inspect_function_arguments, pythonic, sanitized
from connexion.decorators.response import AsyncResponseDecorator
from connexion.frameworks.starlette import Starlette as StarletteFramework
from connexion.lifecycle import ConnexionResponse
from connexion.http_facts import FORM_CONTENT_TYPES
from connexion.utils import split_content_type
from starlette.formparsers import MultiPartException
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from .errors import ApiError, Violation
from .validation import BODY_SCOPE_KEY, PARAMS_SCOPE_KEY, extract_content_type


def unwrapped(function):
    while hasattr(function, "__wrapped__"):
        function = function.__wrapped__
    return function


class FastOperation(AsyncOperation):
    def __init__(self, fn, jsonifier, operation_id: str, pythonic_params: bool, operation) -> None:
        super().__init__(fn, jsonifier=jsonifier, operation_id=operation_id, pythonic_params=pythonic_params)
        self.operation = operation
        raw = unwrapped(fn)
        self.arguments, self.has_kwargs = inspect_function_arguments(raw)
        self.is_async = asyncio.iscoroutinefunction(raw)
        self.sanitize = pythonic if pythonic_params else sanitized
        self.responses = AsyncResponseDecorator(framework=StarletteFramework, jsonifier=jsonifier)
        consumes = [c.lower() for c in operation.consumes]
        self.default_mime = consumes[0] if consumes else "application/json"
        self.takes_forms = any(c in FORM_CONTENT_TYPES for c in consumes)
        # A generated handler reads what validation parsed from the scope: no arguments to map.
        self.reads_scope = bool(getattr(raw, "reads_scope", False))

    def arguments_of(self, parsed: tuple, body: Any, scope: Scope, mime: str | None = None) -> dict:
        """The handler's arguments, mapped as Connexion maps them."""
        if mime is None:
            mime = split_content_type(extract_content_type(scope["headers"]))[0] or self.default_mime
        query, path = parsed
        return get_arguments(self.operation, path_params=path, query_params=query, body=body, files={},
                             arguments=self.arguments, has_kwargs=self.has_kwargs, sanitize=self.sanitize,
                             content_type=mime)

    @classmethod
    def from_operation(cls, operation, *, pythonic_params: bool, jsonifier) -> "FastOperation":
        return cls(operation.function, jsonifier=jsonifier, operation_id=operation.operation_id,
                   pythonic_params=pythonic_params, operation=operation)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> Any:
        parsed = scope.get(PARAMS_SCOPE_KEY)
        if self.reads_scope:
            return await self.respond(await self._fn(), scope, receive, send)
        body = scope.get(BODY_SCOPE_KEY)
        if parsed is not None and not parsed[0] and not parsed[1] and body is None and not self.takes_forms:
            kwargs = {} if not self.arguments and not self.has_kwargs else self.arguments_of(parsed, body, scope)
        else:
            mime = split_content_type(extract_content_type(scope["headers"]))[0] or self.default_mime
            if parsed is None or (self.takes_forms and mime in FORM_CONTENT_TYPES):
                try:
                    return await super().__call__(scope, receive, send)  # Connexion's own path: files
                except MultiPartException as error:
                    raise ApiError("malformed", "Request body could not be parsed",
                                   [Violation("body", "", error.message)])
            kwargs = self.arguments_of(parsed, body, scope, mime)
        if self.is_async:
            result = await self._fn(**kwargs)
        else:
            result = await run_in_threadpool(self._fn, **kwargs)
        await self.respond(result, scope, receive, send)

    async def respond(self, result: Any, scope: Scope, receive: Receive, send: Send) -> None:
        if isinstance(result, Response):
            response = result
        elif isinstance(result, ConnexionResponse):
            response = StarletteFramework.connexion_to_framework_response(result)
        else:
            response = self.responses.build_framework_response(result)
        await response(scope, receive, send)
