"""The integration platform's REST API v2 (JSON:API documents, Basic EMAIL:APIKEY).

Every error is `{"errors": [{status, title, detail, code, meta, source}]}`, one item per
violation; a per-user request rate answers 429 with `Retry-After` once exceeded."""

import math
import time

from understudy.api import ApiDefinition, RequestInfo
from understudy.auth import matching
from understudy.context import settings, store
from understudy.errors import ApiError, unauthorized
from understudy.settings import integer, number, setting

TITLES = {
    400: "Bad argument error", 401: "Error", 403: "Unauthorized", 404: "Resource not found",
    405: "Method Not Allowed", 406: "Not Acceptable", 409: "Conflict", 410: "Gone",
    413: "Payload Too Large", 429: "Too Many Requests", 500: "Internal Server Error",
    503: "Service Unavailable",
}
# Where a violation is, as JSON:API's error `source` names it.
SOURCE_KEYS = {"body": "pointer", "query": "parameter", "path": "parameter", "header": "header"}


def error_item(status: int, detail: str, source: dict | None = None) -> dict:
    item = {"status": status, "title": TITLES.get(status, "Error"), "detail": detail,
            "code": status, "meta": {}}
    if source:
        item["source"] = source
    return item


def render_error(error: ApiError, status: int) -> dict:
    if error.violations and error.kind != "route_not_found":
        return {"errors": [
            error_item(status, f"{error.message}: {v.message}",
                       {SOURCE_KEYS[v.location]: v.where} if v.location in SOURCE_KEYS else None)
            for v in error.violations]}
    ident = error.extra.get("id")
    return {"errors": [error_item(status, error.message,
                                  None if ident is None else {"parameter": {"id": str(ident)}})]}


def throttle(user: dict) -> None:
    """Count the user's requests in a fixed window kept in the store; past the limit, 429."""
    limit = int(settings()["PLATFORM_RATE_LIMIT"])
    window = float(settings()["PLATFORM_RATE_WINDOW"])
    if limit <= 0:
        return
    now = time.time()
    seen: dict = {}

    def tick(doc: dict) -> None:
        if now - doc["start"] >= window:
            doc["start"], doc["count"] = now, 0
        doc["count"] += 1
        seen.update(doc)

    if store().update("rate_windows", user["id"], tick) is None:
        try:
            seen.update(store().insert("rate_windows", {"id": user["id"], "start": now, "count": 1}))
        except ApiError as error:  # another worker or host counted the user's first request just now
            if error.kind != "conflict":
                raise
            store().update("rate_windows", user["id"], tick)
    if seen["count"] > limit:
        retry = max(1, math.ceil(seen["start"] + window - now))
        raise ApiError("rate_limited", f"More than {limit} requests in {window:g} seconds; "
                       f"slow down and retry in {retry} seconds", headers={"Retry-After": str(retry)})


def verify_basic(credential: tuple[str, str], request: RequestInfo) -> dict:
    email, api_key = credential
    users = store().all("users")
    found = matching([{"email": u["attributes"]["email"], "api_key": u["api_key"], "user": u} for u in users],
                     email=email, api_key=api_key)
    if found is None:
        raise unauthorized("No valid API key provided.")
    throttle(found["user"])
    return found["user"]


def credentials(config, state) -> list[dict]:
    return [{"scheme": "basic", "username": u["attributes"]["email"], "password": u["api_key"],
             "note": u["describe"], "describe": f"{u['attributes']['email']}:{u['api_key']} ({u['describe']})"}
            for u in state.all("users")]


API = ApiDefinition(
    name="platform",
    title="Integration platform API v2",
    spec="platform.yaml",
    render_error=render_error,
    verifiers={"basicAuth": verify_basic},
    status={"media_type": 406, "malformed": 406},
    www_authenticate='Basic realm="platform"',
    settings=[
        setting("PLATFORM_RATE_LIMIT", integer(0), 600, "requests per user per window; 0 turns the limit off"),
        setting("PLATFORM_RATE_WINDOW", number(positive=True), 60, "the rate limit's window, in seconds"),
        setting("PLATFORM_EXEC_POLLS", integer(0), 1, "polls a scheduled execution answers pending before it is ready"),
    ],
    credentials=credentials,
    expose_headers=["Retry-After", "Location"],
    accept=("application/json", "application/vnd.api+json"),
    trailing_slash=True,
    aliases={"DELETE /recipe/{recipe_id}": "/recipes/{recipe_id}"},  # the docs' request line
    example="curl {base}/users/me -u alice@acme.example:alice-api-key",
    contract_auth=lambda config: {"basicAuth": {"username": "alice@acme.example", "password": "alice-api-key"}},
)
