"""The current request's context: its API, the state it reads and writes, who is calling.
Set by the engine for every request; handlers call `store()`, `principal()`, `settings()`."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Callable

from starlette.datastructures import QueryParams

from .stores import StoreView


@dataclass
class RequestContext:
    api: str
    store: StoreView
    config: Any
    base_url: str  # where this API is served, e.g. http://127.0.0.1:8000/timekit/v2
    headers: Any = None  # starlette Headers of the request
    principal: Any = None  # whatever the API's verifier returned
    session: str | None = None  # X-Understudy-Session, when the request names one
    take_rule: Callable[[str], Any] | None = None  # a session control for this operation, if any
    extras: dict[str, Any] = field(default_factory=dict)  # API-specific per-request values
    scope: Any = None  # the ASGI scope, once routing found the operation
    query: Any = None  # starlette QueryParams of the request, parsed on first use (query_params())


_current: ContextVar[RequestContext] = ContextVar("understudy_request")


def set_current(ctx: RequestContext):
    return _current.set(ctx)


def reset_current(token) -> None:
    _current.reset(token)


def current() -> RequestContext:
    return _current.get()


def current_or_none() -> RequestContext | None:
    return _current.get(None)


def store() -> StoreView:
    return _current.get().store


def principal() -> Any:
    return _current.get().principal


def settings() -> Any:
    return _current.get().config


def header(name: str, default: str | None = None) -> str | None:
    headers = _current.get().headers
    return headers.get(name, default) if headers is not None else default


def query_params() -> Any:
    """The request's query parameters (starlette QueryParams), parsed once per request."""
    ctx = _current.get()
    if ctx.query is None:
        ctx.query = QueryParams((ctx.scope or {}).get("query_string", b""))
    return ctx.query
