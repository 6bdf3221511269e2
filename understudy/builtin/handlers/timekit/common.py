"""What every Timekit handler shares: the `{"data": ...}` and paginated envelopes, the calling
app's share of the store, ids, includes, and collecting every validation problem of a request."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any, Callable, Iterable

from connexion import request

from understudy.context import principal, store
from understudy.errors import ApiError, Violation, forbidden, not_found
from understudy.paging import length_aware, page_of
from understudy.responses import empty_response, json_response

from . import times

# Stored fields a client never sees.
PRIVATE = frozenset({"app_id", "password", "api_token"})


def ok(data: Any, status: int = 200, zone=None):
    return json_response({"data": times.render(data, zone)}, status)


def created(data: Any):
    return ok(data, 201)


def deleted():
    return empty_response(204)


def listing(items: list, limit: int, page: int):
    """The paginated envelope. `per_page` is a string, as in Timekit's documented example."""
    envelope = length_aware(page_of(items, page, limit), str(request.url))
    envelope["per_page"] = str(envelope["per_page"])
    envelope["data"] = times.render(envelope["data"])
    return json_response(envelope)


def new_id() -> str:
    return str(uuid.uuid4())


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "untitled"


def public(doc: dict | None) -> dict | None:
    return None if doc is None else {k: v for k, v in doc.items() if k not in PRIVATE}


# -- the calling app's documents ------------------------------------------------------------------

def app() -> dict:
    return principal()["app"]


def app_id() -> str:
    return app()["id"]


# The documents that belong to one resource, and how to tell whose they are. Resource credentials
# reach only their own resource's (others' are not found, as for a GET); the app key reaches all.
OF_RESOURCE: dict[str, Callable[[dict], Any]] = {
    "resources": lambda d: d["id"],
    "calendars": lambda d: d.get("resource_id"),
    "bookings": lambda d: d.get("resource_id"),
    "reservations": lambda d: d.get("resource_id"),
    "accounts": lambda d: d.get("resource_id"),
    "events": lambda d: (store().get("calendars", d.get("calendar_id")) or {}).get("resource_id"),
}


def acting_resource() -> str | None:
    """The resource whose credentials call (None for the app key)."""
    return ((principal() or {}).get("resource") or {}).get("id")


def reach(coll: str) -> Callable[[dict], bool]:
    """Whether the caller reaches a document of the collection: any of the app's with the app key,
    with resource credentials only those of its own resource."""
    mine, resource = app_id(), acting_resource()
    whose = OF_RESOURCE.get(coll) if resource is not None else None
    if whose is None:
        return lambda d: d.get("app_id") == mine
    return lambda d: d.get("app_id") == mine and whose(d) == resource


def in_reach(coll: str, doc: dict) -> bool:
    return reach(coll)(doc)


def owned(coll: str, predicate: Callable[[dict], bool] | None = None) -> list[dict]:
    """The caller's documents of a collection (the app's, or its resource's), oldest first."""
    reached = reach(coll)
    docs = store().filter(coll, lambda d: reached(d) and (predicate is None or predicate(d)))
    return sorted(docs, key=lambda d: (d.get("created_at", ""), str(d["id"])))


def lookup(coll: str, ident: Any) -> dict | None:
    doc = store().get(coll, ident) if ident is not None else None
    return doc if doc is not None and in_reach(coll, doc) else None


def find(coll: str, ident: Any, model: str) -> dict:
    """The caller's document or a 404 naming the model, as Timekit answers."""
    doc = lookup(coll, ident)
    if doc is None:
        raise not_found(model, ident)
    return doc


def app_key_needed() -> ApiError:
    return forbidden("Resource credentials act on their own resource only; this needs the app key")


def target(coll: str, ident: Any, model: str) -> dict:
    """The document a write names in its path: another resource's is the app key's to change
    (403); one the app does not have is not found."""
    doc = store().get(coll, ident) if ident is not None else None
    if doc is not None and doc.get("app_id") == app_id() and not in_reach(coll, doc):
        raise app_key_needed()
    return find(coll, ident, model)


def insert(coll: str, doc: dict) -> dict:
    at = times.stamp()
    return store().insert(coll, {"id": new_id(), "app_id": app_id(), "created_at": at,
                                 "updated_at": at, **doc})


def change(coll: str, ident: str, fields: dict) -> dict:
    return store().update(coll, ident, {**fields, "updated_at": times.stamp()})


def includes(include: Iterable[str] | str | None) -> set[str]:
    """`?include=a,b` as a set; unknown names are ignored, as dynamic includes are."""
    if include is None:
        return set()
    parts = include.split(",") if isinstance(include, str) else include
    return {p.strip() for part in parts for p in str(part).split(",") if p.strip()}


# -- validation ---------------------------------------------------------------------------------

class Problems:
    """Every problem of a request body, reported together as 422 `{"errors": {field: [...]}}`."""

    def __init__(self, found: list[Violation] | None = None, prefix: str = "",
                 names: dict[str, str] | None = None) -> None:
        self.found: list[Violation] = [] if found is None else found
        self.prefix = prefix
        self.names = names or {}

    def add(self, field: str, message: str) -> None:
        first, dot, rest = field.partition(".")
        field = self.names.get(first, first) + dot + rest
        self.found.append(Violation("body", "/" + (self.prefix + field).replace(".", "/"), message))

    def under(self, prefix: str) -> "Problems":
        """The same list, with fields reported under `prefix` (an item of a bulk request)."""
        return Problems(self.found, f"{self.prefix}{prefix}.", self.names)

    def renamed(self, names: dict[str, str]) -> "Problems":
        """The same list, reporting each field by the name the request used for it."""
        return Problems(self.found, self.prefix, {**self.names, **names})

    def timestamp(self, value: Any, field: str) -> str | None:
        """`value` as a stored RFC3339 timestamp, or None (and a problem) when it is not one."""
        try:
            return times.rfc3339(times.parse_timestamp(value, field))
        except times.TimeError as error:
            self.add(field, str(error))
            return None

    def span(self, start: Any, end: Any,
             names: tuple[str, str] = ("start", "end")) -> tuple[str | None, str | None]:
        """Two required timestamps, the end after the start (None for each that is not valid)."""
        values = []
        for value, name in zip((start, end), names):
            if value is None:
                self.add(name, f"{name} is required")
            values.append(None if value is None else self.timestamp(value, name))
        if all(values) and datetime.fromisoformat(values[1]) <= datetime.fromisoformat(values[0]):
            self.add(names[1], f"{names[1]} must be after {names[0]}")
        return values[0], values[1]

    def reference(self, coll: str, ident: Any, field: str, what: str) -> dict | None:
        """The app's document `ident` names, or None (and a problem) when there is none."""
        doc = lookup(coll, ident)
        if doc is None:
            self.add(field, f"{what} {ident} does not exist")
        return doc

    def check(self) -> None:
        if self.found:
            raise ApiError("validation", "The given data was invalid", self.found)


def refuse(message: str) -> ApiError:
    """A well-formed request the current state does not allow: 422 `{"error": ...}`."""
    return ApiError("unprocessable", message)
