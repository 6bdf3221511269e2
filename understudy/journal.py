"""What the request journal keeps of a request: headers and body, with credentials masked.
(The journal itself is part of each store: `stores/`.)"""

from __future__ import annotations

import json
import re
from typing import Any

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


def request_record(headers, body: bytes) -> dict[str, Any]:
    """The request as the journal keeps it: headers with credentials masked, the body as JSON
    when it is JSON (secret-looking fields masked), as text otherwise."""
    text = body.decode("utf-8", errors="replace")
    try:
        parsed: Any = mask_fields(json.loads(text)) if text else None
    except ValueError:
        parsed = text
    return {"headers": {k: mask_header(k, v) for k, v in headers.items()}, "body": parsed}
