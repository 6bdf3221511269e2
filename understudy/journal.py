"""The request journal: the last requests, bounded in memory, for QA to assert on."""

from __future__ import annotations

import threading
from collections import deque
from typing import Any


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
