"""The current request's context: its API, the state it reads and writes, who is calling.
Set by the engine for every request; handlers call `store()`, `principal()`, `settings()`."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Callable

from starlette.datastructures import Headers, QueryParams

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


class RequestHeaders(Headers):
    """starlette's Headers of a request, whose lookups by name (`get`, `[]`, `in`) read a dict
    made on the first one instead of scanning every header each time (the first value of a
    repeated header, as Headers answers)."""

    _first: dict[bytes, bytes] | None = None

    def _lookup(self) -> dict[bytes, bytes]:
        first = self._first
        if first is None or len(self._list) != self._size:  # headers added since: read them again
            first = {}
            for key, value in self._list:
                first.setdefault(key, value)
            self._first, self._size = first, len(self._list)
        return first

    def __getitem__(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def get(self, key: str, default: Any = None) -> Any:  # the hot one: `_lookup` and `_raw_name` inlined
        first = self._first
        if first is None or len(self._list) != self._size:
            first = self._lookup()
        value = first.get(_RAW_NAMES.get(key) or _raw_name(key))
        return default if value is None else value.decode("latin-1")

    def __contains__(self, key: Any) -> bool:
        return isinstance(key, str) and _raw_name(key) in self._lookup()


_RAW_NAMES: dict[str, bytes] = {}


def _raw_name(key: str) -> bytes:
    """A header name as ASGI spells it (lower-case bytes), remembered for the names code asks for."""
    raw = _RAW_NAMES.get(key)
    if raw is None:
        raw = key.lower().encode("latin-1")
        if len(_RAW_NAMES) < 1024:
            _RAW_NAMES[key] = raw
    return raw
