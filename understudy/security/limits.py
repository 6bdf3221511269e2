"""Bounds on what a request may hold, checked before anything parses it: the request target
(path and query) and the header section (414 / 431 in the API's own error format), and JSON
nesting (the API's own 400, before validation, a handler or the journal read the body).

`too_deep` counts brackets outside strings without recursing, so a body nested 100,000 levels
costs a scan, not a RecursionError. `loads` is `json.loads` for JSON a handler finds inside a
field (a JSON document sent as a string): too deep is a ValueError like any other bad JSON.

uvicorn's httptools parser refuses a request target over 64 KB itself (a bare 400 before the
app sees it); `protocol.HttpProtocol` keeps the path of such a request and marks it (URL_BYTES),
so the app answers 414 in the API's format instead."""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any, Awaitable, Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from ..errors import ApiError, Violation

URL_BYTES = "understudy.url_bytes"  # set by HttpProtocol when it cut an over-long request target
_STRINGS = re.compile(rb'"(?:[^"\\]++|\\.)*+"?')
_BRACKETS = b"[]{}"
_NOT_BRACKETS = bytes(b for b in range(256) if b not in _BRACKETS)
_STEP = [0] * 256
for _open in b"[{":
    _STEP[_open] = 1
for _close in b"]}":
    _STEP[_close] = -1


def too_deep(body: bytes | str, bound: int) -> bool:
    """Whether JSON text nests arrays and objects more than `bound` levels deep (brackets inside
    strings do not count; text that is not JSON is measured the same way)."""
    data = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    if data.count(b"[") + data.count(b"{") <= bound:
        return False
    brackets = _STRINGS.sub(b"", data).translate(None, _NOT_BRACKETS)
    return max(accumulate(_STEP[b] for b in brackets), default=0) > bound


def depth_error(bound: int, where: str = "") -> ApiError:
    return ApiError("malformed", f"Request body is nested deeper than {bound} levels (max_json_depth)",
                    [Violation("body", where, f"nested deeper than {bound} levels")], status=400)


def check_body(body: bytes, bound: int) -> None:
    """Refuse (400) a body that looks like JSON and nests deeper than `bound`."""
    if body and body.lstrip()[:1] in (b"[", b"{") and too_deep(body, bound):
        raise depth_error(bound)


class TooDeep(ValueError):
    pass


def loads(text: str | bytes, bound: int) -> Any:
    """`json.loads`, refusing (ValueError) JSON nested deeper than `bound`."""
    if too_deep(text, bound):
        raise TooDeep(f"nested deeper than {bound} levels")
    return json.loads(text)


# -- the request target and headers ------------------------------------------------------------------
Refuse = Callable[[Scope, Receive, Send, ApiError], Awaitable[None]]


def target_error(size: int, limit: int) -> ApiError:
    return ApiError("too_large", f"Request URL is too long: {size} bytes, more than max_url_bytes ({limit})",
                    [Violation("query", "", f"longer than {limit} bytes")], status=414)


def headers_error(size: int, limit: int) -> ApiError:
    return ApiError("too_large", f"Request headers are too large: {size} bytes, more than max_header_bytes ({limit})",
                    [Violation("header", "", f"larger than {limit} bytes")], status=431)


class RequestLimits:
    """Refuse a request whose target or header section is longer than the configured bounds."""

    def __init__(self, app: ASGIApp, max_url_bytes: int, max_header_bytes: int, refuse: Refuse):
        self.app = app
        self.max_url = max_url_bytes
        self.max_headers = max_header_bytes
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            query = scope.get("query_string", b"")
            url = scope.get(URL_BYTES) or len(scope.get("raw_path") or b"") + (len(query) + 1 if query else 0)
            if url > self.max_url:
                return await self.refuse(scope, receive, send, target_error(url, self.max_url))
            headers = sum(len(k) + len(v) for k, v in scope["headers"])
            if headers > self.max_headers:
                return await self.refuse(scope, receive, send, headers_error(headers, self.max_headers))
        await self.app(scope, receive, send)
