"""Events: what happened in a domain. Created by the API's own actions (see `core.emit`) or
posted; searched with the search language, exported as CSV, filtered to failed executions."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from starlette.responses import Response

from .core import Resource, bad_request, getter, ok, parse_time, referenced, related_one, searcher

EXECUTIONS = {"command": "command-executed", "hook": "hook-executed", "cronjob": "cronjob-executed"}
EXPORT_MAX_RANGE = timedelta(days=90)
EXPORT_COLUMNS = ("id", "createdAt", "eventName", "gameserverId", "playerId", "moduleId", "userId",
                  "actingUserId", "actingModuleId", "meta")


def server_without_secrets(event: dict) -> dict | None:
    server = related_one("gameservers", event.get("gameserverId"))
    return None if server is None else {k: v for k, v in server.items() if k != "connectionInfo"}


EVENT = Resource(
    "Event", "events",
    extend={"module": lambda e: related_one("modules", e.get("moduleId")),
            "gameServer": server_without_secrets,
            "player": lambda e: related_one("players", e.get("playerId")),
            "user": lambda e: related_one("users", e.get("userId"))},
    defaults={"moduleId": None, "playerId": None, "userId": None, "gameserverId": None,
              "actingUserId": None, "actingModuleId": None, "meta": {}},
)


def succeeded(event: dict) -> bool:
    return bool(((event.get("meta") or {}).get("result") or {}).get("success", True))


async def create(body: dict):
    referenced(body, "moduleId", "playerId", "userId", "gameserverId", "actingUserId", "actingModuleId")
    return ok(EVENT.render(EVENT.create(body)))


async def failed_functions(body=None):
    rows, meta = EVENT.query(body, lambda e: e["eventName"] in EXECUTIONS.values() and not succeeded(e))
    return ok(rows, meta)


def executions_of(kind: str, res: Resource):
    """`POST /<kind>/{id}/executions`: the executed-events of one command, hook or cron job."""
    async def handler(id: str, body=None, success: bool | None = None):
        res.find(id)

        def keep(event: dict) -> bool:
            subject = (event.get("meta") or {}).get(kind) or {}
            return (event["eventName"] == EXECUTIONS[kind] and subject.get("id") == id
                    and (success is None or succeeded(event) == success))
        rows, meta = EVENT.query(body, keep)
        return ok(rows, meta)
    return handler


async def export(body=None):
    body = body or {}
    start = parse_time((body.get("greaterThan") or {}).get("createdAt"))
    end = parse_time((body.get("lessThan") or {}).get("createdAt"))
    if start and end and end - start > EXPORT_MAX_RANGE:
        raise bad_request("Time range cannot exceed 90 days")
    rows, _ = EVENT.query({**body, "page": 0, "limit": 1000}, lambda e: True)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for row in rows:
        writer.writerow([json.dumps(row["meta"]) if c == "meta" else row.get(c) for c in EXPORT_COLUMNS])
    return Response(out.getvalue(), media_type="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="events.csv"'})


search = searcher(EVENT)
get = getter(EVENT)
