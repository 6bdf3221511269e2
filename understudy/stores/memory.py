"""State in one process's memory. Handlers reach it only through `Collection`-level calls on a per-API view, so another
backend can replace `MemoryStore` without touching a handler.

Documents are JSON objects keyed by their `id` (kept as given; looked up as a string). Every read
returns a copy, every write stores a copy: nothing a handler does to a returned dict changes state.
`update` applies a function under the store's lock, so concurrent updates never lose a write."""

from __future__ import annotations

import itertools
import threading
import time
from collections import OrderedDict, deque
from contextlib import contextmanager
from typing import Any, Callable, Iterable

from ..errors import conflict
from ..journal import Batched
from .base import ENGINE, Lookups, clone, highest_int, matches

_STORE_IDS = itertools.count(1)


class MemoryStore:
    """All APIs' state in one process, behind one lock."""

    def __init__(self, fixtures: dict[str, dict[str, Any]]):
        self._pristine = fixtures
        self._lock = threading.RLock()
        self._data: dict[str, dict[str, dict[str, Any]]] = {}
        self._singletons: dict[str, dict[str, Any]] = {}
        self._counters: dict[tuple[str, str], int] = {}
        self._dirty: set[tuple[str, str]] = set()  # (api, collection) written since the last reset
        self.generation = 0  # bumps on every write
        self.uid = next(_STORE_IDS)  # tells this store from a session's own copy

    def reset(self, api: str | None = None) -> None:
        """Back to the fixtures. An API's fixtures are copied lazily, on its first read; after
        that, a reset copies again only the collections written since the last one, so a reset
        after read-only requests costs next to nothing."""
        with self._lock:
            names = [n for n in self._data if n != ENGINE] if api is None else [api]
            for name in names:
                if name not in self._data:
                    continue
                pristine = self._pristine.get(name, {})
                for coll in {c for n, c in self._dirty if n == name}:
                    self._data[name].pop(coll, None)
                    self._singletons[name].pop(coll, None)
                    docs = pristine.get(coll)
                    if isinstance(docs, list):
                        self._data[name][coll] = {str(d["id"]): clone(d) for d in docs}
                    elif docs is not None:
                        self._singletons[name][coll] = clone(docs)
            self._dirty = {key for key in self._dirty if key[0] not in names}
            for key in [k for k in self._counters if k[0] in names]:
                del self._counters[key]
            self.generation += 1

    def _materialize(self, api: str) -> None:
        collections = self._pristine.get(api, {})
        self._data[api] = {coll: {str(d["id"]): clone(d) for d in docs}
                           for coll, docs in collections.items() if isinstance(docs, list)}
        self._singletons[api] = {coll: clone(doc) for coll, doc in collections.items()
                                 if not isinstance(doc, list)}

    def view(self, api: str) -> "StoreView":
        return StoreView(self, api)

    # -- primitives used by StoreView (callers hold the lock) ----------------------------------
    def _coll(self, api: str, coll: str) -> dict[str, dict[str, Any]]:
        if api not in self._data:
            self._materialize(api)
        return self._data[api].setdefault(coll, {})

    def _single(self, api: str) -> dict[str, Any]:
        if api not in self._data:
            self._materialize(api)
        return self._singletons[api]


class StoreView(Lookups):
    """One API's collections. This is the whole interface handlers use."""

    def __init__(self, store: MemoryStore, api: str):
        self._store = store
        self._api = api

    @property
    def generation(self) -> int:
        return self._store.generation

    @property
    def api(self) -> str:
        return self._api

    @property
    def version(self) -> tuple:
        """Names this state as it is now, across sessions: caches derived from state key on it."""
        return self._store.uid, self._store.generation

    @contextmanager
    def atomic(self):
        """Reads and writes inside run as one step: no other writer comes between a check and the
        write that relies on it (check before writing: what was written before an error stays)."""
        with self._store._lock:
            yield self

    def all(self, coll: str) -> list[dict[str, Any]]:
        with self._store._lock:
            return [clone(d) for d in self._store._coll(self._api, coll).values()]

    def filter(self, coll: str, predicate: Callable[[dict], bool]) -> list[dict[str, Any]]:
        with self._store._lock:
            return [clone(d) for d in self._store._coll(self._api, coll).values() if predicate(d)]

    def get(self, coll: str, ident: Any) -> dict[str, Any] | None:
        with self._store._lock:
            doc = self._store._coll(self._api, coll).get(str(ident))
            return clone(doc) if doc is not None else None

    def count(self, coll: str) -> int:
        with self._store._lock:
            return len(self._store._coll(self._api, coll))

    def insert(self, coll: str, doc: dict[str, Any]) -> dict[str, Any]:
        with self._store._lock:
            docs = self._store._coll(self._api, coll)
            key = str(doc["id"])
            if key in docs:
                raise conflict(f"{coll} {key} already exists", id=doc["id"])
            self._store._dirty.add((self._api, coll))
            docs[key] = clone(doc)
            self._store.generation += 1
            return clone(doc)

    def insert_many(self, coll: str, new_docs: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """All or nothing."""
        with self._store._lock:
            new_docs = list(new_docs)
            docs = self._store._coll(self._api, coll)
            keys = [str(d["id"]) for d in new_docs]
            taken = [k for k in keys if k in docs]
            if taken or len(set(keys)) != len(keys):
                raise conflict(f"{coll} {', '.join(taken) or 'ids'} already exist")
            self._store._dirty.add((self._api, coll))
            for key, doc in zip(keys, new_docs):
                docs[key] = clone(doc)
            self._store.generation += 1
            return [clone(d) for d in new_docs]

    def update(
        self, coll: str, ident: Any, change: Callable[[dict[str, Any]], Any] | dict[str, Any]
    ) -> dict[str, Any] | None:
        """Apply `change` (a dict to merge, or a function that edits the document in place) to
        a working copy under the lock and store it; an exception leaves the document as it was.
        Returns the new document, or None when there is no such id."""
        with self._store._lock:
            docs = self._store._coll(self._api, coll)
            key = str(ident)
            if key not in docs:
                return None
            doc = clone(docs[key])
            self._store._dirty.add((self._api, coll))
            if callable(change):
                change(doc)
            else:
                doc.update(clone(change))
            docs[key] = doc
            self._store.generation += 1
            return clone(doc)

    def delete(self, coll: str, ident: Any) -> bool:
        with self._store._lock:
            removed = self._store._coll(self._api, coll).pop(str(ident), None)
            if removed is not None:
                self._store._dirty.add((self._api, coll))
                self._store.generation += 1
            return removed is not None

    def next_id(self, coll: str) -> int:
        """The next integer id of a collection with integer ids."""
        with self._store._lock:
            key = (self._api, coll)
            if key not in self._store._counters:
                ids = [d.get("id") for d in self._store._coll(self._api, coll).values()]
                self._store._counters[key] = highest_int(ids)
            self._store._counters[key] += 1
            return self._store._counters[key]

    def singleton(self, name: str) -> Any:
        """A fixture file that holds one object (settings, an app) rather than a list."""
        with self._store._lock:
            return clone(self._store._single(self._api).get(name))

    def set_singleton(self, name: str, value: Any) -> Any:
        with self._store._lock:
            self._store._dirty.add((self._api, name))
            self._store._single(self._api)[name] = clone(value)
            self._store.generation += 1
            return clone(value)


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
        return self.open(name)[0]

    def open(self, name: str | None) -> tuple[MemoryStore, list[str]]:
        """The session's state (made from the fixtures on first use), and the sessions dropped
        to make room for it (past max_sessions, the least recently used go)."""
        if name is None:
            return self.default, []
        now = time.monotonic()
        evicted = []
        with self._lock:
            self._expire(now)
            found = self._named.pop(name, None)
            store = found[0] if found else MemoryStore(self.fixtures)
            self._named[name] = (store, now)
            while len(self._named) > self.max:
                evicted.append(self._named.popitem(last=False)[0])
            return store, evicted

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


class Journal(Batched):
    """The request journal: the last requests, bounded, in this process."""

    def __init__(self, size: int):
        super().__init__(size)
        self._entries: deque[dict[str, Any]] = deque(maxlen=self.size)
        self._lock = threading.Lock()
        self._last = 0  # the id of the last entry recorded

    def write(self, entries: list[dict[str, Any]]) -> None:
        with self._lock:
            for entry in entries:
                self._last += 1
                self._entries.append({"id": self._last, **entry})

    def entries(self, since: int | None = None, **equals: Any) -> list[dict[str, Any]]:
        """Oldest first, after id `since`; keeps entries whose fields equal every given value (None: any)."""
        self.flush()
        with self._lock:
            return [dict(e) for e in self._entries if e["id"] > (since or 0) and matches(e, equals)]

    def clear(self) -> None:
        self.take()
        with self._lock:
            self._entries.clear()
