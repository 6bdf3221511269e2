"""The request journal: the last requests, bounded in memory, for QA to assert on."""

from __future__ import annotations

import json
import re
import threading
from collections import deque
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


class Journal:
    def __init__(self, size: int):
        self._entries: deque[dict[str, Any]] = deque(maxlen=max(1, size))
        self._lock = threading.Lock()

    def record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self, **equals: Any) -> list[dict[str, Any]]:
        """Oldest first; keeps entries whose fields equal every given value (None: any)."""
        wanted = {k: v for k, v in equals.items() if v is not None}
        with self._lock:
            return [dict(e) for e in self._entries
                    if all(str(e.get(k)) == str(v) for k, v in wanted.items())]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
