"""The contract idiom shared by every API's Schemathesis test: load the served spec from the
in-process app, authenticate every security scheme, reset state between cases, count the cases."""

from __future__ import annotations

from collections import Counter
from typing import Any

import schemathesis
from schemathesis.config import SchemathesisConfig

from understudy.contract import merged

CASES: Counter = Counter()  # api -> cases run in this process (reported at the end of the run)


def contract_schema(app, api: str, auth: dict[str, dict[str, Any]] | None = None, *,
                    max_examples: int = 25, extra: dict[str, Any] | None = None):
    """`auth` maps each security scheme of the spec to its credentials, as Schemathesis'
    `[auth.openapi.<scheme>]` takes them (username/password, api_key, bearer); by default the
    API's own demo credentials (`ApiDefinition.contract_auth`)."""
    definition = app.apis.get(api)
    if auth is None:
        auth = definition.contract_auth(app.config)
    config = SchemathesisConfig.from_dict(merged(
        {**({"auth": {"openapi": auth}} if auth else {}), "generation": {"max-examples": max_examples}},
        definition.contract_config if definition else {},
        extra or {},
    ))
    return schemathesis.openapi.from_asgi(f"/{api}/openapi.json", app, config=config)


def fresh(app) -> None:
    """The fixtures' state; the reset is skipped when nothing was written since the last one."""
    if app.store.generation != PRISTINE.get(id(app)):
        app.reset()
        PRISTINE[id(app)] = app.store.generation


PRISTINE: dict[int, int] = {}  # id(app) -> the store generation right after its last reset


def check(app, api: str, case, **kwargs):
    """Run one case from the fixtures' state with every default check; responses are also
    validated against the spec by the app itself."""
    fresh(app)
    CASES[api] += 1
    response = case.call(**kwargs)
    try:
        case.validate_response(response)
    except BaseExceptionGroup as group:
        if not (excused(case, group.exceptions, response.request.url) or refused_host(case, group.exceptions, response)):
            raise
    return response


# -- Schemathesis' own false positives ------------------------------------------------------------
# A negative case can mutate a query parameter into a value whose serialisation is valid after all
# (an object that serialises to nothing, a string where a one-item array was expected: `include=g`).
# Schemathesis then reports "schema-violating request accepted" for a request that violated nothing
# on the wire. Such a report is excused only when every negative component was the query and the
# query actually sent validates against the spec, checked here with plain jsonschema (not with
# understudy's own validation, so a validation bug cannot excuse itself).
def _coerce(raw: list[str], schema: dict, param: dict) -> Any:
    kind = schema.get("type")
    if kind == "array":
        explode = param.get("explode", param.get("style", "form") == "form")
        parts = raw if explode else [p for value in raw for p in value.split(",")]
        return [_coerce([p], schema.get("items", {}), {}) for p in parts]
    value = raw[-1]
    try:
        if kind == "integer" and value.lstrip("-").isdigit():
            return int(value)
        if kind == "number":
            return float(value)
    except ValueError:
        return value
    if kind == "boolean" and value in ("true", "false"):
        return value == "true"
    return value


def _wire_query_is_valid(case, url: str) -> bool:
    from urllib.parse import parse_qsl, urlsplit

    from jsonschema import Draft4Validator

    sent: dict[str, list[str]] = {}
    for name, value in parse_qsl(urlsplit(url).query, keep_blank_values=True):
        sent.setdefault(name, []).append(value)
    for param in case.operation.definition.raw.get("parameters", []):
        param = case.operation.schema.resolver.lookup(param["$ref"]).contents if "$ref" in param else param
        if param.get("in") != "query":
            continue
        schema = param.get("schema", {})
        if param.get("style") == "deepObject" or schema.get("type") == "object":
            return False
        if param["name"] not in sent:
            if param.get("required"):
                return False
            continue
        if not Draft4Validator(schema).is_valid(_coerce(sent[param["name"]], schema, param)):
            return False
    return True


def excused(case, failures, url: str) -> bool:
    from schemathesis.core.failures import AcceptedNegativeData
    from schemathesis.core.parameters import ParameterLocation

    negative = [loc for loc, info in (case.meta.components.items() if case.meta else []) if not info.mode.is_positive]
    return (all(isinstance(f, AcceptedNegativeData) for f in failures) and negative
            and all(loc == ParameterLocation.QUERY for loc in negative) and _wire_query_is_valid(case, url))


# A negative case now and then sends a `Host` header of its own (a random value). The engine refuses
# a Host the server does not answer to (421, `understudy.security.hosts`) before any API sees the
# request, so no API's spec documents that status: excused only when it is the one failure, the
# answer is 421 and the case itself set the Host.
def refused_host(case, failures, response) -> bool:
    from schemathesis.openapi.checks import UndefinedStatusCode

    sent = {name.lower() for name in (case.headers or {})}
    return (response.status_code == 421 and "host" in sent
            and all(isinstance(f, UndefinedStatusCode) for f in failures))
