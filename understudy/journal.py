"""What the request journal keeps of a request: headers and body, with credentials masked.
(The journal itself is part of each store: `stores/`.)"""

from __future__ import annotations

import json
import re
from typing import Any, Iterable
from urllib.parse import unquote_plus

MASK = "****"
SECRET_HEADER = re.compile(r"authorization|cookie|token|api-?key|secret|password", re.I)
SECRET_FIELD = re.compile(r"password|secret|token|api_?key|apikey", re.I)


def mask_header(name: str, value: str) -> str:
    if name.lower() in ("authorization", "proxy-authorization"):
        scheme, _, rest = value.partition(" ")
        return f"{scheme} {MASK}" if rest else MASK
    return MASK if SECRET_HEADER.search(name) else value


def mask_fields(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: MASK if SECRET_FIELD.search(k) and isinstance(v, (str, int)) else mask_fields(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [mask_fields(v) for v in value]
    return value


def request_record(headers, body: bytes, secret_headers: Iterable[str] = ()) -> dict[str, Any]:
    """The request as the journal keeps it: headers with credentials masked (and those the API's
    security schemes name, lower case, in `secret_headers`), the body as JSON when it is JSON
    (secret-looking fields masked), as text otherwise."""
    text = body.decode("utf-8", errors="replace")
    try:
        parsed: Any = mask_fields(json.loads(text)) if text else None
    except ValueError:
        parsed = text
    named = set(secret_headers)
    return {"headers": {k: MASK if k.lower() in named else mask_header(k, v) for k, v in headers.items()},
            "body": parsed}


def request_query(query_string: bytes, secret_names: Iterable[str] = ()) -> str:
    """The query string as the journal keeps it: parameters the API's security schemes name (and
    secret-looking ones) masked, the rest as sent."""
    named = set(secret_names)
    text = query_string.decode("latin-1")
    if not text:
        return text
    parts = []
    for part in text.split("&"):
        name, sep, _ = part.partition("=")
        parts.append(f"{name}={MASK}" if sep and (unquote_plus(name) in named or SECRET_FIELD.search(name)) else part)
    return "&".join(parts)
