"""Drift: does real traffic keep our contract? A request and the real API's answer are checked
with the validators the mock itself uses (`validation.ValidationOperation`: parameters and body;
`conformance.ResponseContract`: status documented, Content-Type, JSON body schema, headers), and
every violation becomes one item `{in, where, message}`: `in` says which side and part
(`request.query`, `request.body`, `response.status`, `response.header`, `response.body`, ...),
`where` names the parameter, header or JSON pointer. A request no operation of the spec takes is
drift too (`request.path`, `request.method`).

`DriftLog` sums drift per operation in the engine's corner of the state (every worker, and every
store, shares it): how many exchanges drifted, the first and last time, the last example."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import Headers

from ..conformance import ResponseContract, openapi30_response_validator
from ..routing import MethodNotAllowed, NoRoute
from ..security.masking import MASK
from ..validation import FORM_TYPES, ValidationOperation, compile_schema, form_fields
from .exchange import Exchange, header

UNDOCUMENTED = "(no operation)"  # the operation drift is filed under when no operation takes the request


@dataclass
class Checked:
    operation: str | None  # the operationId as the spec writes it (`METHOD /template` without one)
    template: str | None
    drift: list[dict[str, str]]


def item(side: str, violation) -> dict[str, str]:
    return {"in": f"{side}.{violation.location}", "where": violation.where, "message": violation.message}


class OperationChecks:
    """One operation's request and response checks, compiled once."""

    def __init__(self, app, template: str, method: str):
        operation = app.operation(template, method)
        self.request = ValidationOperation(None, operation=operation, max_body_bytes=app.max_body_bytes,
                                           compile=app.api.request_validator or compile_schema)
        self.takes_body = bool(operation.request_body)
        self.response = ResponseContract(operation.responses,
                                         app.api.response_validator or openapi30_response_validator)


class Checks:
    """An API's operations, checked as the mock checks them."""

    def __init__(self, app):
        self.app = app  # the API's ApiApp: its route table, spec and validators
        self._operations: dict[tuple[str, str], OperationChecks] = {}

    def operation_id(self, template: str, method: str) -> str:
        found = self.app.spec["paths"][template][method.lower()].get("operationId")
        return found or f"{method} {template}"

    def route(self, method: str, path: str) -> tuple[str | None, str, dict[str, str], list[dict[str, str]]]:
        """(template, method served, path parameters, drift) for a path below the base path."""
        try:
            route, served, params = self.app.routes.resolve(method, path)
        except MethodNotAllowed as error:
            return None, method, {}, [{"in": "request.method", "where": method,
                                       "message": f"the spec documents no {method} on {path} "
                                                  f"(documented: {', '.join(error.allowed)})"}]
        except NoRoute:
            return None, method, {}, [{"in": "request.path", "where": path,
                                       "message": f"no operation of the spec takes {method} {path}"}]
        return route.template, served, params, []

    def operation(self, template: str, method: str) -> OperationChecks:
        key = (template, method)
        if key not in self._operations:
            self._operations[key] = OperationChecks(self.app, template, method)
        return self._operations[key]

    async def check(self, exchange: Exchange, masked: bool = False) -> Checked:
        """Every way the exchange breaks the spec. `masked`: it was recorded with secrets masked,
        so a violation about a masked value (`****`) is not drift."""
        template, method, params, drift = self.route(exchange.method, exchange.path)
        if template is None:
            return Checked(None, None, drift)
        checks = self.operation(template, method)
        scope = synthetic_scope(exchange, self.app.base_path, params)
        found = [("request", v) for v in checks.request.parameter_violations(scope)]
        if checks.takes_body:
            raw = exchange.request_body
            mime = (header(exchange.request_headers, "content-type") or "").split(";")[0].strip().lower()
            form = await form_fields(scope, [{"type": "http.request", "body": raw, "more_body": False}]) \
                if raw and mime in FORM_TYPES else None
            _, violations, _ = checks.request.body_violations(scope, raw, form)
            found += [("request", v) for v in violations]
        # A HEAD answer has a GET's headers and no body; a body the recording left out (or that
        # could not be decoded) is unknown: the status and headers are checked all the same.
        body_known = exchange.response_body is not None and exchange.method != "HEAD"
        violations = checks.response.violations(exchange.status, Headers(raw=[
            (k.lower().encode("latin-1", "replace"), v.encode("latin-1", "replace"))
            for k, v in exchange.response_headers]), exchange.response_body if body_known else b"")
        found += [("response", v) for v in violations if body_known or v.location != "body"]
        if masked:
            found = [(side, v) for side, v in found if not hides_a_mask(exchange, side, v)]
        return Checked(self.operation_id(template, method), template, [item(side, v) for side, v in found])


def synthetic_scope(exchange: Exchange, base_path: str, params: dict[str, str]) -> dict[str, Any]:
    """The ASGI scope the mock's validators read, made from an exchange (live or recorded)."""
    return {
        "type": "http", "method": exchange.method, "path": base_path + exchange.path,
        "query_string": exchange.query.encode("latin-1", "replace"),
        "headers": [(k.lower().encode("latin-1", "replace"), v.encode("latin-1", "replace"))
                    for k, v in exchange.request_headers],
        "path_params": params, "extensions": {},
    }


def hides_a_mask(exchange: Exchange, side: str, violation) -> bool:
    """Whether a violation is about a value the recording masked (then it says nothing)."""
    location, where = violation.location, violation.where
    if location == "body":
        raw = exchange.request_body if side == "request" else exchange.response_body
        return masked_at(raw, where)
    if side == "request" and location == "query":
        return any(value == MASK for name, value in parse_qsl(exchange.query, keep_blank_values=True)
                   if name == where)
    if location == "header":
        value = header(exchange.request_headers if side == "request" else exchange.response_headers, where)
        return value is not None and (value == MASK or value.endswith(" " + MASK))
    if location == "cookie":
        return header(exchange.request_headers, "cookie") == MASK
    return False


def masked_at(raw: bytes | None, pointer: str) -> bool:
    """Whether the JSON value at `pointer` (or an object holding it) is the mask."""
    try:
        node: Any = json.loads(raw or b"")
    except ValueError:
        return False
    for part in [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]:
        if node == MASK:
            return True
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return node == MASK


class DriftLog:
    """Drift summed per operation, in the engine's corner of the state."""

    COLLECTION = "drift"

    def __init__(self, view):
        self.view = view  # the store's ENGINE view: shared by every worker, kept across resets

    def note(self, api: str, operation: str | None, example: dict[str, Any]) -> None:
        """One more exchange of an operation drifted; `example` is it, for the summary."""
        now = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
        key = f"{api} {operation or UNDOCUMENTED}"

        def more(doc: dict) -> None:
            doc.update(count=doc["count"] + 1, last_seen=now, example=example)

        with self.view.atomic():
            if self.view.update(self.COLLECTION, key, more) is None:
                self.view.insert(self.COLLECTION, {"id": key, "api": api, "operation": operation, "count": 1,
                                                   "first_seen": now, "last_seen": now, "example": example})

    def summary(self, api: str | None = None) -> list[dict[str, Any]]:
        found = [{k: v for k, v in doc.items() if k != "id"} for doc in self.view.all(self.COLLECTION)
                 if api is None or doc["api"] == api]
        return sorted(found, key=lambda d: (d["api"], d["operation"] or ""))

    def clear(self) -> int:
        docs = self.view.all(self.COLLECTION)
        for doc in docs:
            self.view.delete(self.COLLECTION, doc["id"])
        return len(docs)
