"""What the request journal keeps of a request, and how its list shows it. Secrets are masked
by the one rule in `security.masking` before anything is kept. (The journal itself is part of
each store: `stores/`.)"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from typing import Any, Collection

from .security.masking import mask_body, mask_headers, mask_pairs

__all__ = ["brief", "request_record", "request_query", "timestamp"]


def request_record(headers, body: bytes, *, body_bytes: int, max_depth: int,
                   secret_headers: Collection[str] = ()) -> dict[str, Any]:
    """The request as the journal keeps it: headers with credentials masked (and those the API's
    security schemes name, lower case, in `secret_headers`); the body as JSON
    when it is JSON of bounded depth, as text otherwise, secrets masked; a body longer than
    `body_bytes` is masked as text, then cut (kept with `truncated` and its full size)."""
    whole = len(body) <= body_bytes
    kept = mask_body(body, headers.get("content-type"), max_depth, parse=whole)
    record: dict[str, Any] = {"headers": mask_headers(headers.items(), secret_headers), "body": kept}
    return record if whole else {**record, **cut(kept, body_bytes, len(body))}


def timestamp() -> str:
    """Now in UTC, as `datetime.now(timezone.utc).isoformat(timespec="milliseconds")` writes it
    (the date and time of day made once a second)."""
    now = time.time()
    second = int(now)
    if _SECOND[0] != second:
        _SECOND[:] = [second, datetime.fromtimestamp(second, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")]
    return f"{_SECOND[1]}.{int((now - second) * 1000):03d}+00:00"


_SECOND: list = [None, ""]


def request_query(query_string: bytes, secret_names: Collection[str] = ()) -> str:
    """The query string as the journal keeps it: secret parameters (and those the API's security
    schemes name) masked."""
    return mask_pairs(query_string.decode("latin-1"), secret_names)


def cut(body: Any, size: int, full: int) -> dict[str, Any]:
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
    return {"body": text[:size], "truncated": True, "body_bytes": full}


def brief(entry: dict[str, Any], body_bytes: int) -> dict[str, Any]:
    """An entry as the journal's list shows it: the body cut to `body_bytes` characters."""
    request = entry.get("request") or {}
    body = request.get("body")
    if body is None:
        return entry
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
    if len(text) <= body_bytes:
        return entry
    size = request.get("body_bytes") or len(text.encode("utf-8"))
    return {**entry, "request": {**request, **cut(text, body_bytes, size)}}
