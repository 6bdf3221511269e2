"""What every store shares: the engine's own corner of the state, fixture loading, copying,
integer ids, lookups written once over each store's `filter`, the reads of the stores that cache
parsed documents, session names, and the error a store that cannot be opened raises."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable, Iterable
from urllib.parse import urlsplit, urlunsplit

from ..errors import ApiError, StartupError, Violation
from ..files import load_json

ENGINE = "__understudy"  # the engine's own collections (session controls): kept across resets


class StateUnavailable(StartupError):
    """The state cannot be opened (a file that cannot be created, a database that cannot be
    reached): its message is one line for the CLI to print (exit code 2)."""

    exit_code = 2


def clone(value: Any) -> Any:
    """A deep copy of a JSON value; faster than copy.deepcopy for plain data. A dict is copied
    whole, then its dicts and lists replaced by copies (a flat document costs one copy)."""
    if isinstance(value, dict):
        copied = value.copy()
        for key, item in copied.items():
            if isinstance(item, (dict, list)):
                copied[key] = clone(item)  # an existing key: the dict's size does not change
        return copied
    if isinstance(value, list):
        return [clone(item) if isinstance(item, (dict, list)) else item for item in value]
    return value


def load_fixtures(folder: Path) -> dict[str, Any]:
    """`fixtures/<api>/<collection>.json` -> {collection: list of documents (or one object)}."""
    data: dict[str, Any] = {}
    if folder.is_dir():
        for path in sorted(folder.glob("*.json")):
            data[path.stem] = load_json(path)
    return data


def highest_int(ids: Iterable[Any]) -> int:
    """The largest integer among ids (numbers, or strings of digits), 0 when there is none."""
    return max((int(i) for i in ids if isinstance(i, int) or (isinstance(i, str) and i.isdigit())), default=0)


class Lookups:
    """find and first, written once over each view's filter."""

    def find(self, coll: str, **equals: Any) -> list[dict[str, Any]]:
        return self.filter(coll, lambda d: all(d.get(k) == v for k, v in equals.items()))

    def first(self, coll: str, **equals: Any) -> dict[str, Any] | None:
        found = self.find(coll, **equals)
        return found[0] if found else None


def masked(uri: str) -> str:
    """The URI with its password hidden, for messages."""
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    netloc = parts.netloc.rsplit("@", 1)
    return urlunsplit(parts._replace(netloc=netloc[0].split(":", 1)[0] + ":****@" + netloc[1]))


class CachedDocs(Lookups):
    """all, filter and count over a view's `_docs(coll)`: the collection's documents by id, in
    insertion order, from a per-process cache that is never handed out (SQLite, PostgreSQL)."""

    def _docs(self, coll: str) -> dict[str, dict[str, Any]]:
        raise NotImplementedError

    def all(self, coll: str) -> list[dict[str, Any]]:
        return [clone(d) for d in self._docs(coll).values()]

    def filter(self, coll: str, predicate: Callable[[dict], bool]) -> list[dict[str, Any]]:
        return [clone(d) for d in self._docs(coll).values() if predicate(d)]

    def count(self, coll: str) -> int:
        return len(self._docs(coll))


def matches(entry: dict[str, Any], equals: dict[str, Any]) -> bool:
    """Whether a journal entry's fields equal every given value (None: any), compared as text."""
    return all(str(entry.get(k)) == str(v) for k, v in equals.items() if v is not None)


# -- session names ----------------------------------------------------------------------------
HEADER = "x-understudy-session"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")


def check_name(name: str) -> str:
    if not NAME.match(name):
        raise ApiError("validation", "X-Understudy-Session is not a valid session name",
                       [Violation("header", "X-Understudy-Session",
                                  "1-64 letters, digits, '.', '_', ':' or '-', starting with a letter or digit")])
    return name
