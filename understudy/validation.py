"""Request validation compiled once per operation, reporting every violation at once.

Replaces Connexion's RequestValidationMiddleware, which builds its validators on every request
and stops at the first error. Parameters are parsed with Connexion's URI parser (so styles and
arrays behave as Connexion's handlers see them), then checked with an OpenAPI 3.0 aware
Draft 4 validator; the body is read once, checked for size, UTF-8 and JSON, validated, and
replayed to the handler."""

from __future__ import annotations

import json
from typing import Any

from connexion.datastructures import MediaTypeDict
from connexion.json_schema import Draft4RequestValidator
from connexion.lifecycle import ConnexionRequest
from connexion.middleware.abstract import RoutedAPI, RoutedMiddleware
from connexion.utils import boolean, split_content_type
from jsonschema import Draft4Validator
from starlette.requests import Request, cookie_parser
from starlette.types import Receive, Scope, Send

from .context import RequestHeaders
from .errors import ApiError, Violation
from .parameters import ParameterReader, admits_object, admits_text, form_body
from .spec.walk import escape

FORMATS = Draft4Validator.FORMAT_CHECKER


def extract_content_type(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The request's Content-Type (the first), as Connexion's helper of that name answers it."""
    for key, value in headers:
        if key.lower() == b"content-type":
            return value.decode("latin-1")
    return None
BODY_SCOPE_KEY = "understudy.body"
PARAMS_SCOPE_KEY = "understudy.params"  # (query, path) as Connexion's URI parser resolved them


def compile_schema(schema: dict) -> "PreChecked | Draft4Validator":
    """A request validator for an OpenAPI 3.0 schema (Draft 4 with `nullable`, `readOnly`...)."""
    validator = Draft4RequestValidator(schema, format_checker=FORMATS)
    fast = fast_validator(schema)
    return validator if fast is None else PreChecked(validator, fast)


class PreChecked:
    """A validator that asks jsonschema-rs first: a valid value (the usual case) costs
    microseconds; an invalid one is checked again by the Draft 4 validator, whose errors (every
    one, with its messages) are reported. Used only for schemas where jsonschema-rs is never
    laxer than the Draft 4 validator (fast_validator)."""

    def __init__(self, validator: Draft4Validator, fast: Any):
        self.validator = validator
        self.fast = fast

    def iter_errors(self, value: Any):
        try:
            if self.fast.is_valid(value):
                return iter(())
        except Exception:  # a value jsonschema-rs cannot take (an int past 64 bits...)
            pass
        return self.validator.iter_errors(value)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.validator, name)


# Keywords whose meaning may differ between jsonschema-rs and Python's jsonschema (regular
# expression dialects, float arithmetic, what counts as equal): a schema that uses one is checked
# by the Draft 4 validator alone. Formats are checked by the Draft 4 validator's own checkers.
UNSURE = frozenset({"pattern", "patternProperties", "multipleOf", "uniqueItems", "$ref"})


def fast_validator(schema: dict) -> Any:
    """A jsonschema-rs Draft 4 validator for the OpenAPI 3.0 schema (`nullable` as a type or an
    enum value that admits null), or None when it cannot stand in for the Draft 4 one."""
    try:
        import jsonschema_rs
    except ImportError:
        return None
    try:
        # Connexion adds the spec's components beside a schema for its $refs; ours are inlined
        # (a $ref left makes as_draft4 refuse), so they are not part of what is checked.
        plain = as_draft4({k: v for k, v in schema.items() if k != "components"}, set())
        if plain is None:
            return None
        formats = {name: (lambda value, name=name: FORMATS.conforms(value, name)) for name in formats_in(plain)}
        return jsonschema_rs.Draft4Validator(plain, validate_formats=True, formats=formats)
    except Exception:  # a schema jsonschema-rs does not take: the Draft 4 validator alone
        return None


def formats_in(node: Any) -> set[str]:
    """Every `format` a (non-recursive) schema names."""
    if isinstance(node, list):
        return set().union(*map(formats_in, node)) if node else set()
    if not isinstance(node, dict):
        return set()
    found = {node["format"]} if isinstance(node.get("format"), str) else set()
    return found.union(*map(formats_in, node.values()))


def as_draft4(node: Any, seen: set) -> Any:
    """The schema with `nullable` written as Draft 4; None for a schema that is recursive or
    uses an UNSURE keyword."""
    if isinstance(node, list):
        items = [as_draft4(item, seen) for item in node]
        return None if any(i is None and v is not None for i, v in zip(items, node)) else items
    if not isinstance(node, dict):
        return node
    if id(node) in seen or UNSURE.intersection(node):
        return None
    seen = seen | {id(node)}
    out = {}
    for key, value in node.items():
        converted = as_draft4(value, seen) if isinstance(value, (dict, list)) else value
        if converted is None and value is not None:
            return None
        out[key] = converted
    if out.get("nullable") is True or out.get("x-nullable") is True:
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        if isinstance(out.get("enum"), list) and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    return out


def pointer(path) -> str:
    return "".join("/" + escape(p) for p in path)


def schema_violations(validator: Draft4Validator, value: Any, location: str, where: str = ""):
    """Every error of `value`, deepest-first within a oneOf/anyOf, as Violations."""
    found = []
    for error in sorted(validator.iter_errors(value), key=lambda e: list(map(str, e.path))):
        at = pointer(error.absolute_path)
        seen = {"value": error.instance, "schema": error.schema, "document": value}
        if location == "body":
            found.append(Violation("body", at, error.message, str(error.validator), **seen))
        else:
            found.append(Violation(location, where + (at if at else ""), error.message,
                                   str(error.validator), **seen))
    return found


def coerce_scalar(value: str, schema: dict) -> Any:
    """A header (or other text) value typed by its schema; left as text when it is not of that type."""
    kind = schema.get("type")
    try:
        if kind == "integer":
            return int(value)
        if kind == "number":
            return float(value)
        if kind == "boolean":
            return boolean(value)
    except (ValueError, TypeError):
        return value
    if kind == "array":
        item = schema.get("items", {})
        return [coerce_scalar(v.strip(), item) for v in value.split(",")]
    return value


class ValidationOperation:
    def __init__(self, next_app, *, operation, max_body_bytes: int = 1_048_576, compile=compile_schema, **_: Any):
        self.next_app = next_app
        self.operation = operation
        self.max_body_bytes = max_body_bytes
        self.reader = ParameterReader(operation.parameters)  # what Connexion's parser cannot read
        self.uri_parser = operation._uri_parser_class(
            self.reader.connexion_parameters, operation.body_definition()
        )
        self.own = {(p["in"], p["name"]) for p in self.reader.own}
        # `allowEmptyValue`: `?name=` is the parameter sent without a value, not a wrong one
        self.allow_empty = {p["name"] for p in operation.parameters if p.get("allowEmptyValue") and p["in"] == "query"}
        self.params = [
            (p["in"], p["name"], bool(p.get("required")), p.get("schema", {}),
             compile(p.get("schema", {})))
            for p in operation.parameters
        ]
        self.in_uri = any(where in ("query", "path") for where, *_ in self.params)
        self.in_cookie = any(where == "cookie" for where, *_ in self.params)
        self.consumes = [c.lower() for c in operation.consumes]
        self.consumes_dict = MediaTypeDict([(c, None) for c in self.consumes])
        request_body = operation.request_body
        self.body_required = bool(request_body.get("required", False))
        # what a form's fields are typed by: the entry the body's validator comes from, so a form
        # sent where the spec documents `*/*` or `multipart/*` is typed by that entry's schema
        self.form_schemas = MediaTypeDict(
            (mime.lower(), (media["schema"] or {}, media.get("encoding") or {}))
            for mime, media in request_body.get("content", {}).items() if "schema" in media
        )
        self.body_validators = MediaTypeDict(
            (mime.lower(), compile(media["schema"]))
            for mime, media in request_body.get("content", {}).items()
            if "schema" in media
        )

    # -- parameters ----------------------------------------------------------------------
    def parameter_violations(self, scope: Scope) -> list[Violation]:
        if self.in_uri or self.own or scope.get("query_string"):
            request = ConnexionRequest(scope, uri_parser=self.uri_parser)
            query, path = request.query_params, request.path_params
        else:  # nothing for the URI parser: what it would answer
            query, path = {}, dict(scope.get("path_params") or {})
        own = self.reader.read(scope) if self.own else {}
        for (where, name), value in own.items():
            {"query": query, "path": path}.get(where, {})[name] = value
        scope[PARAMS_SCOPE_KEY] = (query, path)
        if not self.params:
            return []
        headers = RequestHeaders(scope=scope)
        cookies = cookie_parser(headers.get("cookie", "")) if self.in_cookie else {}
        found: list[Violation] = []
        for where, name, required, schema, validator in self.params:
            if (where, name) in self.own:
                value = own.get((where, name))
            elif where == "query":
                value = query.get(name)
            elif where == "path":
                value = path.get(name)
            elif where == "header":
                raw = headers.get(name)
                value = None if raw is None else coerce_scalar(raw, schema)
            else:
                raw = cookies.get(name)
                value = None if raw is None else coerce_scalar(raw, schema)
            if value is None:
                if required:
                    found.append(Violation(where, name, f"{where} parameter {name} is required"))
                continue
            if value in ("", [""]) and name in self.allow_empty and where == "query":
                continue
            if where == "path" and value == "":
                found.append(Violation(where, name, f"path parameter {name} must not be empty"))
                continue
            found.extend(schema_violations(validator, value, where, name))
        return found

    # -- body ----------------------------------------------------------------------------
    async def read_body(self, receive: Receive) -> tuple[bytes, list[dict]]:
        messages, chunks, size = [], [], 0
        more = True
        while more:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise ApiError(
                    "too_large", f"Request body is larger than {self.max_body_bytes} bytes",
                    [Violation("body", "", f"larger than {self.max_body_bytes} bytes")],
                )
            chunks.append(chunk)
            more = message.get("more_body", False)
        return b"".join(chunks), messages

    def body_violations(self, scope: Scope, raw: bytes, form: dict | None = None) -> tuple[str, list[Violation], Any]:
        """(kind, violations, parsed body) for a request whose operation takes a body; `form` is
        the fields of a form body, parsed beforehand (it takes an await)."""
        content_type = extract_content_type(scope["headers"])
        mime, encoding = split_content_type(content_type)
        if mime is None:  # no Content-Type: take the operation's first, as clients often omit it
            mime = self.consumes[0] if self.consumes else "application/json"
        mime = mime.lower()
        if not raw:
            if self.body_required:
                return "validation", [Violation("body", "", "request body is required")], None
            return "validation", [], None
        if self.consumes and mime not in self.consumes_dict:
            message = f"Content-Type {mime} is not accepted; send {', '.join(self.consumes)}"
            return "media_type", [Violation("header", "Content-Type", message)], None
        if mime in FORM_TYPES:
            validator = self.body_validators.get(mime)
            if form is None:
                return "malformed", [Violation("body", "", f"body is not valid {mime}")], None
            schema, encoding = self.form_schemas.get(mime, ({}, {}))
            form = form_body(form, schema, encoding)
            if not admits_object(schema):
                validator = None  # a form body described as one file (`type: string, format: binary`)
            return "validation", schema_violations(validator, form, "body") if validator else [], form
        try:
            text = raw.decode(encoding or "utf-8")
        except (UnicodeDecodeError, LookupError):
            return "malformed", [Violation("body", "", f"body is not valid {encoding or 'utf-8'} text")], None
        validator = self.body_validators.get(mime)
        if mime == "application/json" or mime.endswith("+json"):
            try:
                body = json.loads(text)
            except ValueError as error:
                return "malformed", [Violation("body", "", f"body is not valid JSON: {error}")], None
        else:
            body = text
            if validator is not None and not admits_text(getattr(validator, "schema", {})):
                validator = None  # XML or another text form of a structured schema: not read here
        if validator is None:
            return "validation", [], body
        return "validation", schema_violations(validator, body, "body"), body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        receive = await self.check(scope, receive)
        await self.next_app(scope, receive, send)

    async def check(self, scope: Scope, receive: Receive) -> Receive:
        """Raise an ApiError listing every violation of the request; else the receive to read
        its body with (the body, when read here, replayed)."""
        violations = self.parameter_violations(scope)
        kind = "validation"
        if self.operation.request_body:
            raw, messages = await self.read_body(receive)
            form = await form_fields(scope, messages) if _mime(scope) in FORM_TYPES and raw else None
            kind, body_violations, body = self.body_violations(scope, raw, form)
            violations.extend(body_violations)
            scope[BODY_SCOPE_KEY] = body
            receive = _replay(messages, receive)
        if violations:
            message = {
                "validation": "Request is not valid",
                "malformed": "Request body could not be parsed",
                "media_type": "Unsupported Content-Type",
            }[kind]
            raise ApiError(kind, message, violations)
        return receive


FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def _mime(scope: Scope) -> str | None:
    mime, _ = split_content_type(extract_content_type(scope["headers"]))
    return mime.lower() if mime else None


async def form_fields(scope: Scope, messages: list[dict]) -> list[tuple[str, str]] | None:
    """A form body as [(field, text)] (a file as its text), or None when it cannot be parsed."""
    async def nothing_more() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    form = None
    try:
        form = await Request(scope, receive=_replay(messages, nothing_more)).form()
        fields = []
        for key, value in form.multi_items():
            fields.append((key, (await value.read()).decode("utf-8", "replace") if hasattr(value, "read") else value))
        return fields
    except Exception:  # python-multipart and Starlette raise several kinds on a broken form
        return None
    finally:
        if form is not None:
            await form.close()


def _replay(messages: list[dict], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> dict:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


class ValidationAPI(RoutedAPI[ValidationOperation]):
    def __init__(self, *args, max_body_bytes: int = 1_048_576, **kwargs):
        self.max_body_bytes = max_body_bytes
        super().__init__(*args, **kwargs)
        self.add_paths()

    def make_operation(self, operation) -> ValidationOperation:
        return ValidationOperation(self.next_app, operation=operation, max_body_bytes=self.max_body_bytes)


class ValidationMiddleware(RoutedMiddleware[ValidationAPI]):
    api_cls = ValidationAPI
