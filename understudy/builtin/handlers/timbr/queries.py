"""Running queries: the documented `query/` and `q/...` calls, and the connector's
`/timbr/openapi/ontology/{ontology}/query` (raw SQL in, a bare JSON array out; `x-async: true`
answers 202 and leaves the result, once, under `get-async-results`; Timbr's admin statements run there
too, see `statements`). A query gets a few milliseconds on the event loop; one that needs
longer runs again on a worker thread, so it does not hold up the other requests."""

import asyncio
import uuid
from datetime import datetime, timezone
from urllib.parse import urlparse

from connexion import request

from understudy.context import current, header, principal, store
from understudy.errors import ApiError, not_found
from understudy.responses import json_response

from . import sqlengine, statements
from .common import ok, ontology, run, select


INLINE_SECONDS = 0.02


async def off_the_loop(work, *args):
    """`work(*args)` on the event loop within INLINE_SECONDS, else again on a worker thread."""
    budget = sqlengine.BUDGET.set(INLINE_SECONDS)
    try:
        return work(*args)
    except sqlengine.Overtime:
        pass
    finally:
        sqlengine.BUDGET.reset(budget)
    return await asyncio.to_thread(work, *args)


async def run_query(body: dict):
    return ok(await off_the_loop(run, body["ontology_name"], body["query"]))


async def query_concept(ontology_name: str, concept_name: str):
    return ok(await off_the_loop(select, ontology_name, "concept", concept_name, filters()))


async def query_view(ontology_name: str, view_name: str):
    return ok(await off_the_loop(select, ontology_name, "view", view_name, filters()))


def filters() -> list[tuple[str, str]]:
    """Every query parameter is a `column=value` filter (repeat a column for any of several)."""
    return list(request.query_params.multi_items())


async def openapi_query(ontology_name: str, body: str, datasource: str | None = None):
    doc = ontology(ontology_name)
    if datasource is not None and datasource not in doc.get("datasources", []):
        raise not_found(f"Datasource {datasource} of ontology {ontology_name}")
    sql = body.decode("utf-8") if isinstance(body, bytes) else body
    if statements.recognised(sql):
        return json_response(statements.run(sql))
    if (header("x-async") or "").lower() != "true":
        return json_response(await off_the_loop(run, ontology_name, sql, ""))
    return await submit_async(ontology_name, sql)


async def submit_async(ontology_name: str, sql: str):
    """Any SQL is accepted (202), as the connector expects: one that cannot be planned (not one
    SELECT over the ontology) or fails while running polls as `error`."""
    try:
        outcome = {"status": "completed", "response": await off_the_loop(run, ontology_name, sql, ""),
                   "original_status_code": 200}
    except ApiError as error:
        outcome = {"status": "error", "error": error.detail(), "error_type": "ExecutionError"}
    response_id = str(uuid.uuid4())
    store().insert("async_results", {
        "id": response_id, "username": principal()["username"],
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"), "outcome": outcome,
    })
    base = urlparse(current().base_url).path
    return json_response({"async": True, "response_id": response_id,
                          "poll_url": f"{base}/openapi/get-async-results/{response_id}",
                          "message": "Request accepted for async processing"}, 202)


async def get_async_results(response_id: str):
    """The caller's finished result, handed out once (the connector: "expired or already fetched")."""
    found = store().get("async_results", response_id)
    if found is None or found["username"] != principal()["username"] \
            or not store().delete("async_results", response_id):
        raise ApiError("not_found", "Response not found", extra={"error": "Response not found"})
    return json_response(found["outcome"])


run_query_no_slash = run_query  # the documented path ends in "/"
