"""Schemathesis' own engine (what its CLI runs: examples, coverage, fuzzing and stateful phases,
every check) over chosen operations of a served spec, in process. (Its pytest integration cannot
load a schema lazily under pytest 9, and loading 40 specs at collection would build 40 servers in
every xdist worker.)

    found, cases = run(app, operations={("GET", "/pets/{petId}")}, examples=3)
    [f.describe() for f in found if f.excuse is None]   # what understudy got wrong

A failure no server could avoid is kept with its excuse (the EXCUSES table says which and why):
the spec contradicts itself, or Schemathesis reports a request as invalid whose wire form is
valid. Everything else is a failure of understudy's."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Callable
from urllib.parse import parse_qsl

import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import Failure
from schemathesis.engine import Status, events, from_schema

from understudy.contract import merged

# Schemathesis cannot exercise these: not failures of the server (counted apart).
CANNOT_RUN = ("NoLinksFound", "SerializationNotPossible")
NOT_INPUT = ("401", "403", "404", "406", "407", "429")  # 4xx statuses that never mean bad input


@dataclass
class Found:
    operation: str
    check: str
    failure: Failure
    case: Any
    status: int | None
    phase: str
    sent: Any = None  # the request as sent (Schemathesis' recorded request)
    answer: str = ""  # the start of the response body
    excuse: str | None = None

    def describe(self) -> str:
        curl = self.case.as_curl_command() if self.case is not None else ""
        return (f"{self.operation} [{self.phase}] {self.check}: {self.failure.title} "
                f"({self.status}) {str(self.failure.message)[:300]} -- {curl[:400]} -> {self.answer[:300]}")


# -- what no server could avoid ------------------------------------------------------------------
def _responses(found: Found) -> dict:
    return (found.case.operation.definition.raw.get("responses") or {}) if found.case is not None else {}


def _documents_success(found: Found) -> bool:
    return any(str(k)[:1] == "2" or k == "default" for k in _responses(found))


def _no_documented_refusal(found: Found) -> bool:
    """The operation documents no response a refusal with this status could take (the status,
    `4XX`, `default`, or for bad input any 4xx that can mean it)."""
    if found.status is None or not 400 <= found.status < 500:
        return False
    keys = {str(k) for k in _responses(found)}
    if keys & {str(found.status), "4XX", "4xx", "default"}:
        return False
    registered = {str(int(s)) for s in HTTPStatus}
    return found.status not in (400, 422) or not any(k[:1] == "4" and k not in NOT_INPUT and k in registered
                                                     for k in keys)


def _body_media_type(found: Found) -> str:
    headers = getattr(found.sent, "headers", {}) or {}
    value = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    value = value[0] if isinstance(value, list) else value
    return str(value).split(";")[0].strip().lower()


def _negative_only_in(found: Found, location: str) -> bool:
    meta = found.case.meta if found.case is not None else None
    negative = [str(loc.value if hasattr(loc, "value") else loc) for loc, info in (meta.components.items() if meta else [])
                if not info.mode.is_positive]
    return bool(negative) and all(loc == location for loc in negative)


def _form_as_sent(found: Found) -> tuple[dict, Any] | None:
    """(the form body as sent, read as OpenAPI's form rules read it: a repeated or `a[]` key an
    array, `a[b]` keys an object, `true` a boolean, digits a number where the schema says so;
    Schemathesis' own model of the body); None for another body."""
    media = _body_media_type(found)
    if media not in ("application/x-www-form-urlencoded", "multipart/form-data") or found.case is None:
        return None
    body = getattr(found.sent, "body", None)
    bodies = [b for b in found.case.operation.body if b.media_type == media]
    if body is None or not bodies:
        return None
    raw = body if isinstance(body, bytes) else str(body).encode()
    schema = bodies[0].validation_schema
    out: dict[str, Any] = {}
    for key, value in _fields(raw, media, found):
        root, _, rest = key.partition("[")
        path = [root] + rest.rstrip("]").split("][") if rest else [root]
        array_tail = len(path) > 1 and (path[-1] == "" or path[-1].isdigit())  # `a[]`, `a[0]`
        keys = path[:-1] if array_tail else path
        node, node_schema = out, schema
        for i, part in enumerate(keys):
            sub = ((node_schema or {}).get("properties") or {}).get(part) if isinstance(node_schema, dict) else None
            sub = sub if isinstance(sub, dict) else {}
            if i < len(keys) - 1:
                if not isinstance(node.get(part), dict):
                    node[part] = {}
                node, node_schema = node[part], sub
            elif array_tail or "array" in _kinds(sub):
                if not isinstance(node.get(part), list):
                    node[part] = []
                node[part].append(_typed(value, sub.get("items") or {}))
            else:
                node[part] = _typed(value, sub)
    return out, bodies[0]


def _fields(raw: bytes, media: str, found: Found) -> list[tuple[str, str]]:
    """A form body's (name, value) pairs, url-encoded or multipart (a part sent as JSON kept as
    its text)."""
    if media == "application/x-www-form-urlencoded":
        return parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)
    from email import policy
    from email.parser import BytesParser

    headers = getattr(found.sent, "headers", {}) or {}
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    content_type = content_type[0] if isinstance(content_type, list) else content_type
    message = BytesParser(policy=policy.default).parsebytes(b"Content-Type: " + str(content_type).encode() + b"\r\n\r\n" + raw)
    pairs = []
    for part in message.iter_parts() if message.is_multipart() else []:
        name = part.get_param("name", header="content-disposition")
        if name:
            pairs.append((name, (part.get_payload(decode=True) or b"").decode("utf-8", "replace")))
    return pairs


def _form_valid_as_sent(found: Found) -> bool | None:
    read = _form_as_sent(found)
    return None if read is None else read[1].is_valid(read[0])


def _kinds(schema: Any) -> set[str]:
    """The types a schema (or its anyOf / oneOf alternatives) names."""
    if not isinstance(schema, dict):
        return set()
    kind = schema.get("type")
    found = {kind} if isinstance(kind, str) else set(kind) if isinstance(kind, list) else set()
    for key in ("anyOf", "oneOf"):
        for part in schema.get(key) or []:
            found |= _kinds(part)
    return found


def _typed(value: str, schema: Any) -> Any:
    kinds = _kinds(schema)
    if kinds & {"object", "array"} and value.strip()[:1] in ("{", "["):  # a part sent as JSON
        try:
            return json.loads(value)
        except ValueError:
            pass
    try:
        if kinds & {"integer", "number"} and value.lstrip("-").isdigit():
            return int(value)
        if "number" in kinds:
            return float(value)
    except ValueError:
        return value
    if "boolean" in kinds and value in ("true", "false"):
        return value == "true"
    return value


def _json_valid_as_sent(found: Found) -> bool | None:
    media = _body_media_type(found)
    if found.case is None or not (media == "application/json" or media.endswith("+json")):
        return None
    body = getattr(found.sent, "body", None)
    bodies = [b for b in found.case.operation.body if b.media_type == media]
    if body is None or not bodies:
        return None
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    return bodies[0].is_valid(parsed)


def _patterns_refuse(found: Found) -> bool:
    """Every violation the refusal names is a `pattern` that Python's `regex` engine (not
    understudy's RE2) also finds unmatched: Schemathesis' generator took `\\p{Z}` to match a
    line feed (AWS's `^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$`)."""
    import ast

    import regex

    try:
        errors = json.loads(found.answer).get("errors") or []
    except (ValueError, AttributeError):
        return False
    shape = re.compile(r"^('.*') does not match ('.*')$", re.S)
    checked = 0
    for error in errors:
        hit = shape.match(str(error.get("detail", "")))
        if hit is None:
            return False
        value, pattern = ast.literal_eval(hit.group(1)), ast.literal_eval(hit.group(2))
        if regex.search(pattern, value) is not None:
            return False
        checked += 1
    return checked > 0


def _path_as_sent_is_invalid(found: Found) -> bool:
    """A path parameter Schemathesis sent that its own model of the parameter refuses (a stateful
    link carried a value of another type into it)."""
    params = getattr(found.case, "path_parameters", None) or {}

    def invalid(parameter) -> bool:
        try:
            return not parameter.is_valid(params[parameter.name])
        except ValueError:  # a value Schemathesis sent pre-encoded (matrix style): not judged here
            return False
    return any(p.name in params and invalid(p) for p in found.case.operation.path_parameters)


def _path_object(found: Found) -> bool:
    """The negative value was an object parameter in the path: its wire form (`k,v,...`, `.k,v`,
    `;name=k,v`) reads as an object whatever value was serialised into it."""
    if not _negative_only_in(found, "path"):
        return False
    return any(p.definition.get("schema", {}).get("type") == "object" for p in found.case.operation.path_parameters)


def _discriminator_missing(found: Found) -> bool:
    """A `#` / `?` template (S3's `/{Bucket}#encryption`) sent without what it names after them:
    that request is the plain path's own operation (`GET /{Bucket}`), which answers it."""
    from understudy.spec.routing import discriminators, has_special

    path = found.case.operation.path if found.case is not None else ""
    if not has_special(path):
        return False
    url = getattr(found.sent, "uri", "") or ""
    query = {k for k, _ in parse_qsl(url.partition("?")[2].partition("#")[0], keep_blank_values=True)}
    headers = {k.lower() for k in (getattr(found.sent, "headers", {}) or {})}
    return any(name not in query and name.lower() not in headers for name, _ in discriminators(path)[1])


def _other_template_claims_the_path(found: Found) -> bool:
    """The request's path is matched by another template of the spec too (GitLab's
    `/services/asana` beside `/services/{slug}`): `Allow` lists both templates' methods."""
    import re

    if found.case is None:
        return False
    schema = found.case.operation.schema
    paths = list((schema.raw_schema.get("paths") or {}))
    url = getattr(found.sent, "uri", "") or ""
    base = (schema.raw_schema.get("servers") or [{"url": "/"}])[0].get("url", "/").rstrip("/")
    path = url.split("://", 1)[-1].partition("/")[2]
    path = "/" + path.partition("?")[0]
    path = path[len(base):] if base and path.startswith(base) else path
    pattern = lambda t: "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(t)) + "$"  # noqa: E731
    return sum(1 for t in paths if re.match(pattern(t), path)) > 1


def _query_as_sent_is_valid(found: Found) -> bool:
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from contract import excused  # the query rule the built-in APIs' contract tests use

    url = getattr(found.sent, "uri", "") or ""
    return bool(url) and excused(found.case, [found.failure], url)


SEED = int(os.environ.get("UNDERSTUDY_CORPUS_SEED", "20261206"))

EXCUSES: list[tuple[str, Callable[[Found], bool], str]] = [
    # (check, when, why)
    ("positive_data_acceptance", lambda f: not _documents_success(f),
     "the operation documents no success response: answering its first documented one (as Prism does) "
     "is the only answer the spec allows"),
    ("positive_data_acceptance", lambda f: _form_valid_as_sent(f) is False,
     "the form body as sent is not valid: an empty array or object the case held cannot be written in a form"),
    ("positive_data_acceptance", lambda f: _json_valid_as_sent(f) is False,
     "the JSON body as sent is not valid by Schemathesis' own validator (its generator read a pattern "
     "otherwise: AWS's `[\\\\p{L}...]`)"),
    ("positive_data_acceptance", _patterns_refuse,
     "the values as sent do not match their patterns in Python's `regex` engine either"),
    ("positive_data_acceptance", _path_as_sent_is_invalid,
     "a path parameter as sent is not valid against its own schema (a stateful link carried another type)"),
    ("negative_data_rejection", _path_object,
     "an object in the path has no wire form a wrong type could take: `k,v,...` reads as an object"),
    ("negative_data_rejection", _discriminator_missing,
     "without what a `#` / `?` template names after them, the request is the plain path's own operation"),
    ("allow_header_conformance", _other_template_claims_the_path,
     "another template of the spec matches the same path: Allow lists the methods of both"),
    ("status_code_conformance", _no_documented_refusal,
     "the request was refused (bad input, no credentials, no such route) and the operation documents no "
     "response for a refusal: no server can answer it as documented"),
    ("negative_data_rejection", lambda f: _negative_only_in(f, "query") and _query_as_sent_is_valid(f),
     "the query as sent is valid: a one-item array or an object serialises to what the spec allows"),
    ("negative_data_rejection", lambda f: _negative_only_in(f, "body") and _form_valid_as_sent(f) is True,
     "the form body as sent is valid: `expand=x` (or a part `{}`) is a one-item array in a form"),
    ("negative_data_rejection", lambda f: _negative_only_in(f, "body") and _body_media_type(f) not in ("", "application/json")
     and not _body_media_type(f).endswith("+json") and "form" not in _body_media_type(f),
     "understudy does not read XML or other non-JSON bodies against their schemas (documented)"),
    ("*", lambda f: f.status in (413, 414, 431),
     "the request is over the server's own limits (body 1 MB, URL 16 KB, headers 32 KB: "
     "`understudy.security.limits`), refused before any API sees it: no spec documents that answer"),
    ("content_type_conformance", lambda f: f.status == 204,
     "the spec documents a body for a 204, which has none"),
    ("response_schema_conformance", lambda f: f.status == 204,
     "the spec documents a body for a 204, which has none"),
]


def excuse(found: Found) -> str | None:
    for check, when, why in EXCUSES:
        if check in (found.check, "*") and when(found):
            return why
    return None


# -- the run ------------------------------------------------------------------------------------
def run(app: Any, *, operations: set[tuple[str, str]], examples: int = 3, phases: dict | None = None,
        extra: dict | None = None) -> tuple[list[Found], int]:
    """(failures, cases run) of Schemathesis over `operations` ((METHOD, template) as the spec
    names them) of the one API `app` serves at its root, with its demo credentials."""
    definition = next(iter(app.apis.values()))
    auth = definition.contract_auth(app.config) if definition.contract_auth else {}
    config = SchemathesisConfig.from_dict(merged(
        {"auth": {"openapi": auth}} if auth else {},
        # One seed: the corpus' cases are the same on every run, so what a run finds, the next
        # run (and a developer) finds again; a new seed is a new sample of the corpus.
        {"seed": SEED, "generation": {"max-examples": examples}, "phases": phases or {}},
        definition.contract_config or {},
        extra or {},
    ))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config)
    schema = schema.include(lambda ctx: (ctx.operation.method.upper(), ctx.operation.path) in operations)
    found: list[Found] = []
    cases = 0
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            cases += len(event.recorder.cases)
            if event.status != Status.FAILURE:
                continue
            for case_id, checks in event.recorder.checks.items():
                for check in checks:
                    if check.status != Status.FAILURE or check.failure_info is None:
                        continue
                    node = event.recorder.cases.get(case_id)
                    interaction = event.recorder.interactions.get(case_id)
                    response = interaction.response if interaction else None
                    item = Found(event.recorder.label, check.name, check.failure_info.failure,
                                 node.value if node else None, response.status_code if response else None,
                                 str(event.phase.value), interaction.request if interaction else None)
                    if response is not None:
                        item.answer = (response.content or b"")[:65536].decode("utf-8", "replace")
                    item.excuse = excuse(item)
                    found.append(item)
        elif isinstance(event, events.NonFatalError):
            if any(kind in f"{type(event.value).__name__} {event.info}" for kind in CANNOT_RUN):
                continue
            found.append(Found(event.label, "error", Failure(operation=event.label, title="error",
                                                             message=str(event.info)), None, None, "error"))
        elif isinstance(event, events.FatalError):
            raise event.exception
    return found, cases


def reachable(op: Any, document: dict) -> bool:
    """Whether Schemathesis can send an operation as a client would: a `#` / `?` template only when
    what it names after them are the operation's own query or header parameters (AWS), not a
    documentation label (Box's `#classifications`)."""
    from understudy.spec.routing import discriminators, has_special
    from understudy.spec.walk import parameters

    if not has_special(op.path):
        return True
    _, needs = discriminators(op.path)
    declared = {p["name"].lower() for p in parameters(document, op) if p.get("in") in ("query", "header")}
    return all(name.lower() in declared for name, _ in needs)

