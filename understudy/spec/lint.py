"""Real-world mistakes in a spec, each listed once with its file and JSON pointer. Served anyway
by default (a `--strict` start refuses them): a server variable default outside its enum, an
example or default that does not match its schema, a `$ref` that resolves nowhere, duplicate
operationIds, a path parameter not declared (or declared and not in the path), two templates
that route alike, a security requirement naming no scheme, a pattern no engine compiles, an
operation that documents no success response (it answers its first documented one)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterator

from jsonschema.exceptions import _WrappedReferencingError
from referencing.exceptions import Unresolvable

from .load import Spec
from .patterns import is_valid
from .walk import V3, escape, operations, parameters, pointer_get, ref_pointer, resolve, walk

_TEMPLATE_PARAM = re.compile(r"\{([^}/]+)\}")


@dataclass(frozen=True)
class Mistake:
    file: str
    pointer: str  # JSON pointer into that file
    message: str
    rule: str  # server-variable, example, default, ref, operation-id, path-parameter, route, security, pattern,
    # schema, no-success

    def __str__(self) -> str:
        return f"{self.file}#{self.pointer}: {self.message}"


def lint(spec: Spec) -> list[Mistake]:
    """Every mistake found, once each, in document order."""
    found: dict[tuple[str, str, str], Mistake] = {}
    for pointer, message, rule in _all(spec):
        file, there = spec.where(pointer)
        found.setdefault((file, there, message), Mistake(file, there, message, rule))
    return list(found.values())


def _all(spec: Spec) -> Iterator[tuple[str, str, str]]:
    yield from _servers(spec.document)
    yield from _structure(spec)
    yield from _operations(spec.document)


def _servers(document: dict) -> Iterator[tuple[str, str, str]]:
    servers = [("/servers", document.get("servers"))]
    for op_or_item_pointer, holder in _server_holders(document):
        servers.append((op_or_item_pointer + "/servers", holder.get("servers")))
    for base, listed in servers:
        if not isinstance(listed, list):
            continue
        for i, server in enumerate(listed):
            if not isinstance(server, dict):
                continue
            variables = server.get("variables") or {}
            for name in _TEMPLATE_PARAM.findall(str(server.get("url", ""))):
                if name not in variables:
                    yield f"{base}/{i}/url", f"server variable {{{name}}} is not defined", "server-variable"
            for name, var in variables.items():
                if not isinstance(var, dict):
                    continue
                enum = var.get("enum")
                if enum is not None and var.get("default") not in enum:
                    yield (f"{base}/{i}/variables/{escape(name)}/default",
                           f"server variable {name}: default {var.get('default')!r} is not in its enum {enum}",
                           "server-variable")


def _server_holders(document: dict) -> Iterator[tuple[str, dict]]:
    for path, item in (document.get("paths") or {}).items():
        if isinstance(item, dict):
            yield f"/paths/{escape(path)}", item
    for op in operations(document):
        yield op.pointer, op.operation


def _structure(spec: Spec) -> Iterator[tuple[str, str, str]]:
    """Refs, examples, defaults and patterns, wherever the document's structure holds them."""
    document = spec.document
    found: list[tuple[str, str, str]] = []

    def visit(obj: dict, kind: str, at: str) -> bool:
        ref = obj.get("$ref")
        if isinstance(ref, str):
            if not ref.startswith("#"):
                found.append((at + "/$ref", f"$ref {ref!r} is not a local reference", "ref"))
            else:
                try:
                    pointer_get(document, ref_pointer(ref))
                except KeyError:
                    found.append((at + "/$ref", f"$ref {ref!r} resolves nowhere", "ref"))
            if kind != "schema":
                return False
        direction = "response" if "/responses/" in at else "request"
        if kind == "mediaType" or kind in ("parameter", "header"):
            schema = obj.get("schema")
            if isinstance(schema, dict):
                found.extend(_examples(spec, obj, schema, at, direction))
        elif kind == "schema":
            found.extend(_schema_values(spec, obj, at, direction))
            kind_value = obj.get("type")
            if kind_value is not None and not (isinstance(kind_value, str) or isinstance(kind_value, list)
                                               and all(isinstance(t, str) for t in kind_value)):
                found.append((at + "/type", f"type must be a type name, not {type(kind_value).__name__}",
                               "schema"))
            pattern = obj.get("pattern")
            if isinstance(pattern, str) and not is_valid(pattern):
                found.append((at + "/pattern", f"pattern {pattern!r} does not compile", "pattern"))
        return True

    walk(document, "root", visit, V3)
    return iter(found)


def _first_error(spec: Spec, schema: Any, value: Any, direction: str) -> str | None:
    try:
        error = next(iter(spec.validator(schema, direction).iter_errors(value)), None)
    except (_WrappedReferencingError, Unresolvable, RecursionError):
        return None  # a broken ref is listed on its own
    if error is None:
        return None
    where = "".join(f"/{escape(p)}" for p in error.absolute_path)
    return f"{where or '/'}: {error.message}" if where else error.message


def _examples(spec: Spec, obj: dict, schema: dict, at: str, direction: str):
    if "example" in obj:
        problem = _first_error(spec, schema, obj["example"], direction)
        if problem:
            yield at + "/example", f"example does not match its schema: {problem}", "example"
    examples = obj.get("examples")
    if isinstance(examples, dict):
        for name, example in examples.items():
            example = resolve(spec.document, example)
            if isinstance(example, dict) and "value" in example:
                problem = _first_error(spec, schema, example["value"], direction)
                if problem:
                    yield (f"{at}/examples/{escape(name)}", f"example {name!r} does not match its schema: {problem}",
                           "example")


def _schema_values(spec: Spec, schema: dict, at: str, direction: str):
    own = {k: v for k, v in schema.items() if k not in ("example", "examples", "default")}
    if "example" in schema:
        problem = _first_error(spec, own, schema["example"], direction)
        if problem:
            yield at + "/example", f"example does not match its schema: {problem}", "example"
    if isinstance(schema.get("examples"), list):
        for i, value in enumerate(schema["examples"]):
            problem = _first_error(spec, own, value, direction)
            if problem:
                yield f"{at}/examples/{i}", f"example does not match its schema: {problem}", "example"
    if "default" in schema:
        problem = _first_error(spec, own, schema["default"], direction)
        if problem:
            yield at + "/default", f"default does not match its schema: {problem}", "default"


def _operations(document: dict) -> Iterator[tuple[str, str, str]]:
    schemes = ((document.get("components") or {}).get("securitySchemes") or {})
    seen_ids: dict[str, str] = {}
    routes: dict[tuple[str, str], str] = {}
    for requirement_at, requirement in _requirements(document.get("security"), "/security"):
        yield from _security(requirement_at, requirement, schemes)
    for op in operations(document):
        op_id = op.operation_id
        if isinstance(op_id, str):
            if op_id in seen_ids:
                yield (op.pointer + "/operationId", f"operationId {op_id!r} is also used at {seen_ids[op_id]}",
                       "operation-id")
            else:
                seen_ids[op_id] = op.pointer
        shape = (re.sub(r"\{[^}]*\}", "{}", op.path), op.method)
        if shape in routes and routes[shape] != op.path:
            yield op.pointer, f"{op.method.upper()} {op.path} routes like {op.method.upper()} {routes[shape]}", "route"
        routes.setdefault(shape, op.path)
        in_template = set(_TEMPLATE_PARAM.findall(op.path))
        declared = {p["name"]: p for p in parameters(document, op) if p.get("in") == "path"}
        for name in sorted(in_template - set(declared)):
            yield op.pointer, f"path parameter {{{name}}} of {op.path} is not declared", "path-parameter"
        for name in sorted(set(declared) - in_template):
            yield op.pointer, f"path parameter {name!r} is declared but {op.path} has no {{{name}}}", "path-parameter"
        for name, param in declared.items():
            if name in in_template and param.get("required") is not True:
                yield op.pointer, f"path parameter {name!r} must be required: true", "path-parameter"
        for at, requirement in _requirements(op.operation.get("security"), op.pointer + "/security"):
            yield from _security(at, requirement, schemes)
        responses = op.operation.get("responses")
        if isinstance(responses, dict) and responses and not any(
                str(k)[:1] == "2" or k == "default" for k in responses):
            first = next((k for k in responses if str(k)[:1].isdigit()), None)
            yield (op.pointer + "/responses", f"{op.method.upper()} {op.path} documents no success response"
                   + (f": it answers {first}, its first documented one" if first else ""), "no-success")


def _requirements(security: Any, at: str) -> Iterator[tuple[str, dict]]:
    if isinstance(security, list):
        for i, requirement in enumerate(security):
            if isinstance(requirement, dict):
                yield f"{at}/{i}", requirement


def _security(at: str, requirement: dict, schemes: dict):
    for name in requirement:
        if name not in schemes:
            yield f"{at}/{escape(name)}", f"security scheme {name!r} is not defined", "security"
