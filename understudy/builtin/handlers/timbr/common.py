"""What every Timbr handler shares: the envelope, the caller's ontologies, running a query."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any

from understudy.context import header, principal, store
from understudy.errors import ApiError, Violation, forbidden, not_found
from understudy.responses import json_response

from . import nesting, sqlengine


def ok(data: Any, status: int = 200):
    return json_response({"data": data, "status": "success"}, status)


def is_admin(user: dict) -> bool:
    return user.get("role") == "admin"


def may_use(user: dict, ontology: str) -> bool:
    return is_admin(user) or "*" in user.get("ontologies", []) or ontology in user.get("ontologies", [])


def holds(user: dict, privilege: str, on: str) -> bool:
    """Whether `user` was granted `privilege` (AUTH, QUERY, ...) on `on` (`user.<name>`, ...)."""
    return {"privilege": privilege, "on": on} in user.get("grants", [])


def require_admin(action: str) -> dict:
    user = principal()
    if not is_admin(user):
        raise forbidden(f"User {user['username']} may not {action}: it needs the admin role")
    return user


def ontology(name: str) -> dict:
    """The ontology document, if it exists and the caller may use it (404, 403 otherwise)."""
    doc = store().get("ontologies", name)
    if doc is None:
        raise ApiError("not_found", f"Ontology {name} not found")
    user = principal()
    if not may_use(user, name):
        raise forbidden(f"User {user['username']} has no permission on ontology {name}")
    return doc


def database(name: str) -> sqlengine.Database:
    """The ontology's database (404 / 403 as `ontology`). One built for this state of the store
    means the ontology is there as it was built: the document is not read again."""
    version = store().version
    built = sqlengine.built(version, name)
    if built is not None and may_use(principal(), name):
        return built
    return sqlengine.database(ontology(name), version)


@contextmanager
def sql_at(where: str):
    """Report a refused query's violations at `where`, the SQL's JSON pointer in the body."""
    try:
        yield
    except ApiError as error:
        for violation in error.violations:
            violation.where = where
        raise


def run(ontology_name: str, sql: str, where: str = "/query") -> list[dict]:
    """Rows of a Timbr SQL query, shaped by the request's nested headers."""
    db = database(ontology_name)
    with sql_at(where):
        result = db.run(sql, user=principal()["username"])
    return nesting.shape(result, nesting.Flags.from_headers(header))


def select(ontology_name: str, kind: str, relation: str, filters: list[tuple[str, str]]) -> list[dict]:
    """Rows of one concept or view (`kind`) whose columns equal the query's filters."""
    db = database(ontology_name)
    known = (db.model.concepts if kind == "concept" else db.model.views).get(relation.lower())
    if known is None:
        raise not_found(f"{kind.capitalize()} {relation} in ontology {ontology_name}")
    columns = {c.lower(): c for c in db.columns_of(relation)}
    unknown = sorted({k for k, _ in filters if k.lower() not in columns})
    if unknown:
        raise ApiError("validation", f"Unknown filter on {kind} {relation}", [
            Violation("query", name, f"not a column of {relation}; columns: {', '.join(columns.values())}")
            for name in unknown])
    grouped: dict[str, list[str]] = {}
    for key, value in filters:
        grouped.setdefault(columns[key.lower()], []).append(value)
    result = db.select(known["name"], grouped)
    return nesting.shape(result, nesting.Flags.from_headers(header))
