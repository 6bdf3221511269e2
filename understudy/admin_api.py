"""The admin API (`/__understudy/...`, described by admin.yaml), served by the engine like any
API: Connexion routes, validates and renders errors; these handlers reach the server through the
request context."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .api import ApiDefinition
from .context import current, header
from .controls import parse_prefer
from .errors import ApiError, Violation, not_found
from .journal import brief
from .responses import json_response
from .stores import HEADER as SESSION_HEADER

SPEC = Path(__file__).resolve().parent / "admin.yaml"


def render_error(error: ApiError, status: int) -> dict:
    return {"error": error.message,
            "errors": [{"in": v.location, "name": v.where, "message": v.message} for v in error.violations]}


ADMIN = ApiDefinition(name="__understudy", title="understudy admin API", spec=str(SPEC),
                      render_error=render_error, handlers="understudy.admin_api")


def server() -> Any:
    return current().extras["server"]


def known_api(api: str | None) -> None:
    if api is not None and api not in server().mounts:
        raise ApiError("not_found", f"unknown api {api}",
                       [Violation("query", "api", f"one of {', '.join(server().mounts)}")])


async def reset(api: str | None = None, session: str | None = None):
    known_api(api)
    session = session or header(SESSION_HEADER)
    if not server().reset(api, session):
        raise not_found("Session", session)
    return json_response({"reset": api or "all", "session": session})


async def requests(api=None, operation=None, method=None, path=None, status=None, session=None,
                   since=None, limit=100):
    """Without `since`, the latest `limit` matching entries; with it, the first `limit` after it.
    Bodies are cut to journal_list_body_bytes (the whole entry: GET /requests/{id})."""
    entries = server().journal.entries(since=since, api=api, operationId=operation, method=method, path=path,
                                       status=status, session=session)
    more = len(entries) > limit
    page = entries[:limit] if since is not None else entries[-limit:]
    cut = int(current().config["journal_list_body_bytes"])
    return json_response({"requests": [brief(e, cut) for e in page], "count": len(page), "more": more})


async def request_entry(id: int):  # noqa: A002 - the spec's parameter name
    found = next((e for e in server().journal.entries(since=id - 1) if e["id"] == id), None)
    if found is None:
        raise not_found("Journal entry", id)
    return json_response(found)


async def clear_requests():
    server().journal.clear()
    return json_response({"cleared": True})


async def drift(api: str | None = None):
    known_api(api)
    found = server().fronts.drift.summary(api)
    return json_response({"drift": found, "count": len(found)})


async def clear_drift():
    return json_response({"deleted": server().fronts.drift.clear()})


async def credentials():
    return json_response(server().credentials())


async def sessions():
    return json_response({"sessions": server().sessions.list()})


async def drop_session(name: str):
    if not server().sessions.drop(name):
        raise not_found("Session", name)
    return json_response({"dropped": name})


async def list_controls():
    return json_response({"controls": server().rules.all()})


async def add_control(body: dict):
    if body["api"] not in server().mounts:
        raise ApiError("not_found", f"unknown api {body['api']}",
                       [Violation("body", "/api", f"one of {', '.join(server().mounts)}")])
    parse_prefer(body["prefer"])  # the spec's pattern admits only what parses
    rule = {key: body.get(key) for key in ("api", "operation", "method", "path", "session", "prefer", "times")}
    rule["method"] = rule["method"].upper() if rule["method"] else None
    return json_response(server().rules.add(rule), 201)


async def clear_controls():
    return json_response({"deleted": server().rules.clear()})


async def delete_control(id: str):  # noqa: A002 - the spec's parameter name
    if not server().rules.delete(id):
        raise not_found("Control", id)
    return json_response({"deleted": 1})
