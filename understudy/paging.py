"""Page-number pagination and `key:value;key:value` search, for APIs that list with them.

`page_of` cuts a list into a `Page`; `length_aware` renders it as the length-aware paginator many
PHP APIs answer with (`total`, `per_page`, `current_page`, `last_page`, `next_page_url`,
`prev_page_url`, `from`, `to`, `data`). `Search.parse` reads `key:value;key:value` criteria against
a table of searchable keys (search key -> dotted path in the stored document) and `Search.matches`
tests a document, case-insensitively, with `*` wildcards."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .errors import ApiError, Violation


@dataclass
class Page:
    items: list
    total: int
    per_page: int
    current: int

    @property
    def last(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def first_index(self) -> int | None:
        """1-based position of the first item shown, None on an empty page."""
        return (self.current - 1) * self.per_page + 1 if self.items else None

    @property
    def last_index(self) -> int | None:
        return (self.current - 1) * self.per_page + len(self.items) if self.items else None


def page_of(items: list, page: int, per_page: int) -> Page:
    start = (page - 1) * per_page
    return Page(items[start:start + per_page], len(items), per_page, page)


def with_query(url: str, **params: Any) -> str:
    """`url` with the given query parameters set (others kept, in order)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query += [(k, str(v)) for k, v in params.items()]
    return urlunsplit(parts._replace(query=urlencode(query)))


def length_aware(page: Page, url: str) -> dict[str, Any]:
    """The paginated envelope; `url` is the request's own URL (page links keep its query)."""
    return {
        "total": page.total,
        "per_page": page.per_page,
        "current_page": page.current,
        "last_page": page.last,
        "next_page_url": with_query(url, page=page.current + 1) if page.current < page.last else None,
        "prev_page_url": with_query(url, page=page.current - 1) if page.current > 1 else None,
        "from": page.first_index,
        "to": page.last_index,
        "data": page.items,
    }


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def values_at(doc: Any, path: str) -> list[Any]:
    """Every value at a dotted path; lists on the way are searched element by element."""
    found = [doc]
    for key in path.split("."):
        step = []
        for value in found:
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, dict) and key in item:
                    step.append(item[key])
        found = step
    return [v for value in found for v in (value if isinstance(value, list) else [value])]


def wildcard(pattern: str) -> re.Pattern:
    """`*` matches any run of characters; everything else literally, ignoring case."""
    return re.compile(".*".join(re.escape(p) for p in pattern.split("*")), re.IGNORECASE | re.DOTALL)


@dataclass
class Search:
    criteria: list[tuple[str, re.Pattern]]  # (dotted path in the document, value pattern)

    @classmethod
    def parse(cls, text: str | None, fields: Mapping[str, str], param: str = "search") -> "Search":
        """`fields` maps each search key to a dotted path; a key ending in `.*` (`meta.*`) takes
        any sub-key (`meta.colour` -> `meta.colour`). Every bad criterion is reported at once."""
        criteria, problems = [], []
        for part in (p.strip() for p in (text or "").split(";")):
            if not part:
                continue
            key, sep, value = part.partition(":")
            path = _path_for(key.strip(), fields)
            if not sep:
                problems.append(f"{part!r} is not key:value")
            elif path is None:
                keys = ", ".join(sorted(fields))
                problems.append(f"{key.strip()!r} is not searchable here; searchable keys: {keys}")
            else:
                criteria.append((path, wildcard(value.strip())))
        if problems:
            raise ApiError("validation", "Invalid search", [Violation("query", param, p) for p in problems])
        return cls(criteria)

    def matches(self, doc: Any) -> bool:
        return all(any(pattern.fullmatch(_text(v)) for v in values_at(doc, path))
                   for path, pattern in self.criteria)

    def filter(self, docs: Iterable[Any]) -> list[Any]:
        return [d for d in docs if self.matches(d)]


def _path_for(key: str, fields: Mapping[str, str]) -> str | None:
    if key in fields:
        return fields[key]
    head, dot, rest = key.partition(".")
    if dot and rest and f"{head}.*" in fields:
        return f"{fields[head + '.*']}.{rest}"
    return None
