"""Isolated sessions: a request carrying `X-Understudy-Session: <name>` reads and writes its own
copy of the state, made from the fixtures on first use. Idle sessions expire; the number of
sessions is bounded (the least recently used goes first)."""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict

from .errors import ApiError, Violation
from .store import MemoryStore

HEADER = "x-understudy-session"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")


def check_name(name: str) -> str:
    if not NAME.match(name):
        raise ApiError("validation", "X-Understudy-Session is not a valid session name",
                       [Violation("header", "X-Understudy-Session",
                                  "1-64 letters, digits, '.', '_', ':' or '-', starting with a letter or digit")])
    return name


class Sessions:
    def __init__(self, fixtures: dict, ttl_seconds: float, max_sessions: int):
        self.fixtures = fixtures
        self.default = MemoryStore(fixtures)
        self.ttl = ttl_seconds
        self.max = max_sessions
        self._named: OrderedDict[str, tuple[MemoryStore, float]] = OrderedDict()
        self._lock = threading.Lock()

    def begin_request(self) -> None:
        """Nothing to refresh: one process holds the state."""

    def store(self, name: str | None) -> MemoryStore:
        if name is None:
            return self.default
        now = time.monotonic()
        with self._lock:
            self._expire(now)
            found = self._named.pop(name, None)
            store = found[0] if found else MemoryStore(self.fixtures)
            self._named[name] = (store, now)
            while len(self._named) > self.max:
                self._named.popitem(last=False)
            return store

    def _expire(self, now: float) -> None:
        for name in [n for n, (_, used) in self._named.items() if now - used > self.ttl]:
            del self._named[name]

    def list(self) -> list[dict]:
        now = time.monotonic()
        with self._lock:
            self._expire(now)
            return [{"name": n, "idle_seconds": round(now - used, 3)} for n, (_, used) in self._named.items()]

    def reset(self, name: str | None = None, api: str | None = None) -> bool:
        """Reset one session (or the default state). False when the session does not exist."""
        if name is None:
            self.default.reset(api)
            return True
        with self._lock:
            found = self._named.get(name)
        if found is None:
            return False
        found[0].reset(api)
        return True

    def drop(self, name: str) -> bool:
        with self._lock:
            return self._named.pop(name, None) is not None

    def reset_all(self, api: str | None = None) -> None:
        self.default.reset(api)
        with self._lock:
            self._named.clear()
