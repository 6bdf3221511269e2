"""A search language for `POST .../search` endpoints, implemented once for every API that uses it
(Takaro's `ITakaroQuery` is the model):

    {"filters":     {"field": ["a", "b"], "other": ["null"]},   exact; OR within a field, AND across
     "search":      {"field": ["part"]},                        substring, case-insensitive; every
                                                                term of every field OR'ed together
     "greaterThan": {"field": value}, "lessThan": {...},        inclusive bounds
     "page": 0, "limit": 100, "sortBy": "id", "sortDirection": "asc", "extend": ["relation"]}

`parse` checks the body's shape and reports every violation at once; `run` filters, sorts and pages
documents and returns the `meta` of the page (page, limit, total). Which keys a resource accepts
is data the caller passes (`Allowed`), typically read from the request schema of its spec; computed
fields (a user's role ids, say) are accessors the caller passes to `run`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Callable, Iterable, Mapping

from .errors import ApiError, Violation

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
NULL = "null"  # inside a filter's array: matches a missing or null value
TOP_LEVEL = ("filters", "search", "greaterThan", "lessThan", "page", "limit", "sortBy",
             "sortDirection", "extend")

NUMBER = re.compile(r"^-?\d+(\.\d+)?$")

Accessor = Callable[[dict], Any]


@dataclass(frozen=True)
class Allowed:
    """The keys one resource accepts in each part of the query; None accepts any key."""

    filters: frozenset | None = None
    search: frozenset | None = None
    ranges: frozenset | None = None
    extend: frozenset | None = None

    @classmethod
    def from_schema(cls, schema: Mapping[str, Any]) -> "Allowed":
        """Read the allowed keys from a JSON schema of the search body: the `properties` of
        `filters`, `search` and `greaterThan`, and the `enum` of `extend`'s items."""
        props = schema.get("properties", {})

        def keys(name: str) -> frozenset | None:
            part = props.get(name)
            if part is None:
                return frozenset()
            if "properties" not in part:
                return None
            return frozenset(part["properties"])

        extend = props.get("extend")
        enum = None if extend is None else extend.get("items", {}).get("enum")
        return cls(keys("filters"), keys("search"), keys("greaterThan"),
                   frozenset() if extend is None else (None if enum is None else frozenset(enum)))


@dataclass(frozen=True)
class Query:
    filters: dict[str, list] = field(default_factory=dict)
    search: dict[str, list] = field(default_factory=dict)
    greater_than: dict[str, Any] = field(default_factory=dict)
    less_than: dict[str, Any] = field(default_factory=dict)
    page: int = 0
    limit: int = DEFAULT_LIMIT
    sort_by: str = "id"
    descending: bool = False
    extend: tuple[str, ...] = ()


def parse(body: Any, allowed: Allowed = Allowed(), *, default_sort: str = "id",
          max_limit: int = MAX_LIMIT) -> Query:
    """The query in `body` (None or {} lists everything), or ApiError("validation") with every
    violation: an unknown property, a filter or search value that is not an array (a boolean
    is accepted for filters), a page below 0, a limit outside 1..max_limit."""
    body = {} if body is None else body
    problems: list[Violation] = []

    def bad(where: str, message: str, rule: str) -> None:
        problems.append(Violation("body", where, message, rule))

    if not isinstance(body, dict):
        raise ApiError("validation", "The search body must be an object",
                       [Violation("body", "", "must be an object", "type")])
    for key in body:
        if key not in TOP_LEVEL:
            bad(f"/{key}", f"property {key} should not exist", "whitelistValidation")

    def mapping(name: str, keys: frozenset | None, values_are_lists: bool) -> dict:
        part = body.get(name)
        if part is None:
            return {}
        if not isinstance(part, dict):
            bad(f"/{name}", f"{name} must be an object", "isObject")
            return {}
        found = {}
        for key, value in part.items():
            if keys is not None and key not in keys:
                bad(f"/{name}/{key}", f"property {name}.{key} should not exist", "whitelistValidation")
                continue
            if values_are_lists:
                if isinstance(value, bool) and name == "filters":
                    value = [value]
                if not isinstance(value, list) or any(isinstance(v, (dict, list)) for v in value):
                    bad(f"/{name}/{key}", "Filter values must be arrays or boolean", "isArray")
                    continue
                if value:  # an empty array filters nothing
                    found[key] = value
            elif isinstance(value, (dict, list)):
                bad(f"/{name}/{key}", f"{name}.{key} must be a single value", "isScalar")
            elif value is not None:
                found[key] = value
        return found

    filters = mapping("filters", allowed.filters, True)
    terms = mapping("search", allowed.search, True)
    greater = mapping("greaterThan", allowed.ranges, False)
    less = mapping("lessThan", allowed.ranges, False)

    page, limit = body.get("page", 0), body.get("limit", DEFAULT_LIMIT)
    if not _is_int(page) or page < 0:
        bad("/page", "Invalid pagination: page must be greater than or equal to 0", "min")
    if not _is_int(limit) or not 1 <= limit <= max_limit:
        bad("/limit", f"Invalid pagination: limit must be between 1 and {max_limit}", "max")
    sort_by = body.get("sortBy", default_sort)
    if not isinstance(sort_by, str):
        bad("/sortBy", "sortBy must be a string", "isString")
    direction = body.get("sortDirection", "asc")
    if direction not in ("asc", "desc"):
        bad("/sortDirection", "sortDirection must be one of: asc, desc", "isEnum")
    extend = body.get("extend", [])
    if not isinstance(extend, list) or not all(isinstance(e, str) for e in extend):
        bad("/extend", "extend must be an array of strings", "isArray")
        extend = []
    elif allowed.extend is not None:
        for i, name in enumerate(extend):
            if name not in allowed.extend:
                bad(f"/extend/{i}", f"each value in extend must be one of: "
                                    f"{', '.join(sorted(allowed.extend)) or 'nothing'}", "isEnum")
    if problems:
        raise ApiError("validation", "Validation error", problems)
    return Query(filters, terms, greater, less, page, limit, sort_by or default_sort,
                 direction == "desc", tuple(extend))


def run(docs: Iterable[dict], query: Query, fields: Mapping[str, Accessor] | None = None
        ) -> tuple[list[dict], dict[str, int]]:
    """The page of `docs` the query asks for, and its meta {page, limit, total}."""
    get = _getter(fields or {})
    found = [d for d in docs if matches(d, query, get)]
    found.sort(key=lambda d: _sort_key(get(d, query.sort_by)), reverse=query.descending)
    start = query.page * query.limit
    return found[start:start + query.limit], {"page": query.page, "limit": query.limit,
                                              "total": len(found)}


def matches(doc: dict, query: Query, get: Callable[[dict, str], Any]) -> bool:
    for name, wanted in query.filters.items():
        if not _equals_any(get(doc, name), wanted):
            return False
    if query.search:
        terms = [(name, str(t).lower()) for name, values in query.search.items() for t in values]
        if not any(term in _text(get(doc, name)) for name, term in terms):
            return False
    for name, bound in query.greater_than.items():
        if not _compare(get(doc, name), bound, lambda a, b: a >= b):
            return False
    for name, bound in query.less_than.items():
        if not _compare(get(doc, name), bound, lambda a, b: a <= b):
            return False
    return True


# -- helpers ---------------------------------------------------------------------------------------
def _getter(fields: Mapping[str, Accessor]) -> Callable[[dict, str], Any]:
    def get(doc: dict, name: str) -> Any:
        accessor = fields.get(name)
        return accessor(doc) if accessor else doc.get(name)
    return get


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _values(value: Any) -> list:
    """A field's values: a list field matches when any element does."""
    return value if isinstance(value, list) else [value]


def _number(value: Any) -> Decimal | None:
    """A number, or a string that spells one, exactly (steam ids outgrow floats)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    if isinstance(value, str) and NUMBER.match(value):
        return Decimal(value)
    return None


def _same(value: Any, wanted: Any) -> bool:
    """Equality as a database compares a column with a filter's value cast to its type."""
    if isinstance(value, bool) or isinstance(wanted, bool):
        return str(value).lower() == str(wanted).lower()
    if isinstance(value, (int, float)) or isinstance(wanted, (int, float)):
        return _number(value) is not None and _number(value) == _number(wanted)
    return value == wanted


def _equals_any(value: Any, wanted: list) -> bool:
    if NULL in wanted and (value is None or value == []):
        return True
    return any(_same(v, w) for v in _values(value) if v is not None for w in wanted if w != NULL)


def _text(value: Any) -> str:
    if value is None:
        return ""
    return " ".join(str(v) for v in _values(value)).lower()


def parse_time(value: Any) -> datetime | None:
    """An ISO-8601 string as an aware datetime (UTC when it names no zone), else None."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _compare(value: Any, bound: Any, ok: Callable[[Any, Any], bool]) -> bool:
    if value is None:
        return False
    if isinstance(value, (int, float)) and isinstance(bound, (int, float)):
        return ok(value, bound)
    left, right = parse_time(value), parse_time(bound)
    if left is not None and right is not None:
        return ok(left, right)
    try:
        return ok(float(value), float(bound))
    except (TypeError, ValueError):
        return ok(str(value), str(bound))


def _sort_key(value: Any) -> tuple:
    """Missing values sort last ascending (first descending), as SQL's NULLS LAST does."""
    if value is None:
        return (1, 0, "")
    if isinstance(value, (bool, int, float)):
        return (0, 0, value)
    return (0, 1, str(value))
