"""Client errors of a generated operation, in the status and body the operation documents: the
error's own status when documented (401, 404, 415...), else 400 or 422 for a validation error,
else `4XX`, else `default`; the body generated from that response's schema with the message in
its message fields. Where the operation documents none, RFC 9457 `application/problem+json`.

    status, media_type, body = client_error(bodies, operation, error)
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from ..errors import DEFAULT_STATUS, ApiError
from ..spec.walk import resolve
from .bodies import Bodies, Unsatisfiable

PROBLEM = "application/problem+json"
MESSAGE_FIELDS = ("message", "detail", "error_description", "errorMessage", "error_message", "description",
                  "title", "error", "msg", "reason")
VALIDATION_KINDS = ("validation", "malformed", "unprocessable")
NOT_INPUT = ("401", "403", "404", "406", "407", "429")  # 4xx that never say "your input is wrong"
HTTP_STATUSES = {int(s) for s in HTTPStatus}


def problem(status: int, detail: str, violations: list | None = None) -> dict:
    """An RFC 9457 problem document; each violation in `errors` (`in`, `pointer` or `name`, `detail`)."""
    body: dict[str, Any] = {"type": "about:blank", "title": _phrase(status), "status": status, "detail": detail}
    if violations:
        body["errors"] = [{"in": v.location, ("pointer" if v.location == "body" else "name"): v.where,
                           "detail": v.message} for v in violations]
    return body


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def status_for(error: ApiError) -> int:
    return error.status if error.status is not None else DEFAULT_STATUS.get(error.kind, 500)


def documented(operation: dict, error: ApiError) -> tuple[int, str | None]:
    """(status to answer, key of the documented response or None): the error's own status, 400 /
    422 for validation errors, then `4XX` (`5XX`), then `default`, then (for validation errors) the
    lowest other documented 4xx that can mean bad input."""
    responses = operation.get("responses") or {}
    natural = status_for(error)
    candidates = [str(natural)]
    if error.kind in VALIDATION_KINDS:
        candidates += ["400", "422"]
    candidates += [f"{str(natural)[0]}XX", f"{str(natural)[0]}xx", "default"]
    if error.kind in VALIDATION_KINDS:  # the spec's own word for bad input (petstore: `405: Invalid input`)
        candidates += sorted(k for k in map(str, responses) if k[:1] == "4" and k.isdigit() and k not in NOT_INPUT
                             and int(k) in HTTP_STATUSES)  # not AWS's made-up 480-499 error shapes
    for key in candidates:
        if key in responses:
            return (int(key) if key.isdigit() else natural), key
    return natural, None


def client_error(bodies: Bodies, operation: dict, error: ApiError) -> tuple[int, str | None, bytes]:
    """(status, media type, body) of an error for a generated operation: in the documented
    response's form (no body where it documents none; its first media type where none is JSON),
    else RFC 9457 problem+json."""
    status, key = documented(operation, error)
    detail = error.detail()
    if key is not None:
        response = resolve(bodies.document, operation["responses"][key]) or {}
        content = response.get("content") or {}
        if not content:
            return status, None, b""
        for mime, media in content.items():
            if not (isinstance(media, dict) and _json(mime)):
                continue
            schema = media.get("schema")
            if mime.split(";")[0].strip() == PROBLEM and not schema:
                break
            if not isinstance(schema, dict):
                continue
            media_type = "application/json" if mime in ("*/*", "application/*") else mime.split(";")[0].strip()
            document = problem(status, detail, error.violations)
            if bodies.valid(schema, document, "response"):  # a schema an RFC 9457 document fits
                return status, media_type, json.dumps(document).encode()
            try:
                value = bodies.value(schema, "response")
            except Unsatisfiable:
                continue
            value = _with_message(bodies, schema, value, detail, error)
            return status, media_type, json.dumps(value).encode()
        if not any(_json(mime) for mime in content):
            return _rendered(bodies, status, content, detail)
    return status, PROBLEM, json.dumps(problem(status, detail, error.violations)).encode()


def _rendered(bodies: Bodies, status: int, content: dict, detail: str) -> tuple[int, str | None, bytes]:
    """The error in the first documented media type when none is JSON (text, XML...)."""
    from .media import concrete, render

    mime = next(iter(content))
    media = content[mime] if isinstance(content[mime], dict) else {}
    schema = media.get("schema")
    try:
        value = bodies.value(schema, "response") if isinstance(schema, dict) else detail
    except Unsatisfiable:
        value = detail
    if isinstance(value, str) and (not isinstance(schema, dict) or bodies.valid(schema, detail, "response")):
        value = detail
    media_type = concrete(mime, None)
    return status, media_type, render(value, media_type, resolve(bodies.document, schema or {}))


def _json(mime: str) -> bool:
    mime = mime.split(";")[0].strip().lower()
    return mime in ("application/json", "*/*", "application/*") or mime.endswith("+json")


def _with_message(bodies: Bodies, schema: dict, value: Any, detail: str, error: ApiError) -> Any:
    """The generated error body with the message in every string message field the schema
    allows (kept only where the body still validates), at the top or one level down."""
    if not isinstance(value, dict):
        return value
    targets = [value] + [v for v in value.values() if isinstance(v, dict)]
    for target in targets:
        for name in MESSAGE_FIELDS:
            if name in target and isinstance(target[name], str):
                before = target[name]
                target[name] = detail
                if not bodies.valid(schema, value, "response"):
                    target[name] = before
    placed = any(target.get(name) == detail for target in targets for name in MESSAGE_FIELDS)
    if not placed and "message" not in value:
        value["message"] = detail  # kept only where the schema admits it
        if not bodies.valid(schema, value, "response"):
            del value["message"]
    for target in targets:
        for name in ("errors", "violations", "details"):
            if isinstance(target.get(name), list) and error.violations:
                before = target[name]
                target[name] = [v.describe() for v in error.violations]
                if not bodies.valid(schema, value, "response"):
                    target[name] = before
    return value
