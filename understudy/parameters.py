"""Parameters and form fields as they come on the wire, read per OpenAPI style and typed by their
schemas, for what Connexion's URI parser cannot read: a schema with no `type` or a list of types
(`oneOf: [string, integer]`, OpenAPI 3.1's `[string, "null"]`), objects in the path, a header, a
cookie or an exploded query (`?name=a&tag=b`), `label` and `matrix` path styles, parameters
described by `content` (JSON), and form bodies (`true` -> True, `1` -> 1, repeated or `a[]` keys
-> lists, `a[b][c]` keys and JSON parts -> objects). Parameters Connexion reads are left to it, so
the built-in APIs' handlers see exactly what they always saw.

    reader = ParameterReader(operation.parameters)
    reader.connexion_parameters          # what to give Connexion's URI parser
    reader.read(scope, query, path)      # {(in, name): value} for the others (absent: not sent)
    form_body(pairs, schema, encoding)   # a form body's fields, typed by the body schema
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterable
from urllib.parse import parse_qsl

from starlette.datastructures import Headers
from starlette.requests import cookie_parser

from .spec.patterns import PatternTimeout, search

DELIMITERS = {"spaceDelimited": " ", "pipeDelimited": "|", "form": ",", "simple": ","}
DEFAULT_STYLE = {"path": "simple", "header": "simple", "query": "form", "cookie": "form"}
SCALARS = ("integer", "number", "boolean", "string", "null")
_BRACKETS = re.compile(r"\[([^\[\]]*)\]")
_BRACKETED = re.compile(r"([^\[\]]+)((?:\[[^\[\]]*\])+)")  # `a[b]`, `a[]`, `a[0][b]`: a path


# -- schemas -----------------------------------------------------------------------------------
def declared_types(schema: dict) -> list[str]:
    """The types a schema's own `type` keyword names (a name or a 3.1 list), [] without one."""
    kind = schema.get("type")
    if isinstance(kind, str):
        return [kind]
    if isinstance(kind, list):
        return [k for k in kind if isinstance(k, str)]
    return []


def types_of(schema: Any, depth: int = 0) -> list[str]:
    """The JSON types a (dereferenced) schema admits, in the order it names them; [] when it
    says nothing (anything goes)."""
    if not isinstance(schema, dict) or depth > 8:
        return []
    found = declared_types(schema)
    if not found:
        for key in ("allOf", "oneOf", "anyOf"):
            for part in schema.get(key) or []:
                found += [k for k in types_of(part, depth + 1) if k not in found]
        if not found and ("properties" in schema or "additionalProperties" in schema):
            found = ["object"]
        elif not found and "items" in schema:
            found = ["array"]
    if schema.get("nullable") and "null" not in found:
        found.append("null")
    return found


def part_schema(schema: Any, name: str) -> dict:
    """The schema of an object's property `name` (through allOf / oneOf / anyOf): the property's,
    else the first `patternProperties` entry whose pattern it matches, else `additionalProperties`;
    {} when open (or closed: validation reports the name)."""
    if not isinstance(schema, dict):
        return {}
    declared = _declared_schema(schema, name)
    if declared is not None:
        return declared
    for key in ("allOf", "oneOf", "anyOf"):
        for part in schema.get(key) or []:
            found = part_schema(part, name)
            if found:
                return found
    extra = schema.get("additionalProperties")
    return extra if isinstance(extra, dict) else {}


def _declared_schema(schema: dict, name: str) -> dict | None:
    """The schema a schema's own `properties` or `patternProperties` give `name`, else None."""
    props = schema.get("properties")
    if isinstance(props, dict) and isinstance(props.get(name), dict):
        return props[name]
    patterns = schema.get("patternProperties")
    for pattern, sub in (patterns.items() if isinstance(patterns, dict) else ()):
        try:
            if isinstance(sub, dict) and search(pattern, name):
                return sub
        except PatternTimeout:  # validation reports it
            continue
    return None


def _declares(schema: Any, name: str) -> bool:
    """Whether a schema names the property `name` itself (`properties` or `patternProperties`,
    through allOf / oneOf / anyOf), rather than leaving it to `additionalProperties`."""
    if not isinstance(schema, dict):
        return False
    if _declared_schema(schema, name) is not None:
        return True
    return any(_declares(part, name) for key in ("allOf", "oneOf", "anyOf") for part in schema.get(key) or [])


def _refuses(schema: Any, name: str) -> bool:
    """Whether an object schema refuses a property `name` it does not declare
    (`additionalProperties: false`, its own or an allOf part's)."""
    if not isinstance(schema, dict) or _declares(schema, name):
        return False
    return schema.get("additionalProperties") is False or \
        any(_refuses(part, name) for part in schema.get("allOf") or [])


def item_schema(schema: Any) -> dict:
    if not isinstance(schema, dict):
        return {}
    if isinstance(schema.get("items"), dict):
        return schema["items"]
    for key in ("allOf", "oneOf", "anyOf"):
        for part in schema.get(key) or []:
            found = item_schema(part)
            if found:
                return found
    return {}


# The order a text is tried in: what it can only be first (`0` of `anyOf: [{enum: [now]}, integer]`
# is the number), text last; null only where text is not allowed (`""` of a nullable string is "").
TRY_ORDER = ("integer", "number", "boolean", "object", "array", "string", "null")


def scalar(text: str, schema: Any) -> Any:
    """One text value typed as the schema asks (the first of its types the text can be, in
    TRY_ORDER); the text itself when none fits, so validation reports it."""
    kinds = types_of(schema) or ["string"]
    for kind in sorted(kinds, key=lambda k: TRY_ORDER.index(k) if k in TRY_ORDER else len(TRY_ORDER)):
        if kind == "null" and "string" in kinds:
            continue
        if kind in ("integer", "number"):
            try:  # (a number of more than 4300 digits is text: Python refuses to read it)
                if re.fullmatch(r"[-+]?\d+", text.strip()):
                    return int(text)
                if kind == "number":
                    return float(text)
            except ValueError:
                continue
        if kind == "boolean" and text.lower() in ("true", "false"):
            return text.lower() == "true"
        if kind == "null" and text in ("", "null"):
            return None
        if kind == "string":
            return text
        if kind in ("object", "array") and text[:1] in ("{", "["):
            try:
                return json.loads(text)
            except ValueError:
                continue
    return text


def _pairs_object(parts: list[str], schema: Any) -> dict:
    """`k,v,k,v` as an object."""
    return {parts[i]: scalar(parts[i + 1], part_schema(schema, parts[i])) for i in range(0, len(parts) - 1, 2)}


def _assigned_object(parts: Iterable[str], schema: Any) -> dict:
    """`k=v` items as an object."""
    out = {}
    for part in parts:
        key, _, value = part.partition("=")
        out[key] = scalar(value, part_schema(schema, key))
    return out


# -- parameters --------------------------------------------------------------------------------
def connexion_reads(param: dict) -> bool:
    """Whether Connexion's URI parser reads this parameter as its schema means."""
    schema = param.get("schema")
    if not isinstance(schema, dict) or "content" in param:
        return False
    kind = schema.get("type")
    if not isinstance(kind, str):
        return False
    style = param.get("style", DEFAULT_STYLE.get(param.get("in"), "form"))
    if kind == "array":
        items = schema.get("items")
        return isinstance(items, dict) and isinstance(items.get("type"), str) and items["type"] in SCALARS \
            and style in ("form", "simple", "spaceDelimited", "pipeDelimited")
    if kind == "object":
        return param.get("in") == "query" and style == "deepObject"
    return style in ("form", "simple")


class ParameterReader:
    """An operation's parameters that Connexion's URI parser cannot read, read here."""

    def __init__(self, parameters: list[dict]):
        self.own = [p for p in parameters if not connexion_reads(p)]
        self.connexion_parameters = [p for p in parameters if connexion_reads(p)]

    def read(self, scope: dict, query: dict | None = None, path: dict | None = None) -> dict[tuple[str, str], Any]:
        """{(in, name): value} of the parameters this reader owns that the request carries."""
        if not self.own:
            return {}
        out: dict[tuple[str, str], Any] = {}
        raw_query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        headers = Headers(scope=scope)
        cookies = cookie_parser(headers.get("cookie", ""))
        claimed = {p["name"] for p in self.own + self.connexion_parameters if p.get("in") == "query"}
        for param in self.own:
            where, name = param.get("in"), param.get("name")
            schema = param.get("schema") if isinstance(param.get("schema"), dict) else {}
            if "content" in param:
                schema = next((m.get("schema") or {} for m in (param["content"] or {}).values()
                               if isinstance(m, dict)), {})
            style = param.get("style", DEFAULT_STYLE.get(where, "form"))
            explode = bool(param.get("explode", style == "form"))
            if where == "path":
                raw = (scope.get("path_params") or {}).get(name)
                if raw is not None:
                    out[(where, name)] = self.path_value(str(raw), name, schema, style, explode, param)
            elif where == "query":
                found = self.query_value(raw_query, name, schema, style, explode, param, claimed)
                if found is not _ABSENT:
                    out[(where, name)] = found
            elif where in ("header", "cookie"):
                raw = headers.get(name) if where == "header" else cookies.get(name)
                if raw is not None:
                    out[(where, name)] = self.simple_value(raw, schema, explode, param)
        return out

    @staticmethod
    def _content(text: str, param: dict, schema: dict) -> Any:
        if "content" in param:
            try:
                return json.loads(text)
            except ValueError:
                return text
        return scalar(text, schema)

    def simple_value(self, text: str, schema: dict, explode: bool, param: dict) -> Any:
        kinds = types_of(schema)
        if "content" in param or not kinds or kinds[0] not in ("array", "object"):
            return self._content(text, param, schema)
        parts = text.split(",") if text else []
        if kinds[0] == "array":
            return [scalar(p, item_schema(schema)) for p in parts]
        return _assigned_object(parts, schema) if explode or "=" in text else _pairs_object(parts, schema)

    def path_value(self, text: str, name: str, schema: dict, style: str, explode: bool, param: dict) -> Any:
        kinds = types_of(schema)
        shape = kinds[0] if kinds and kinds[0] in ("array", "object") else "scalar"
        if style == "label" and text.startswith("."):
            text = text[1:]
            parts = text.split("." if explode else ",") if text else []
            if shape == "array":
                return [scalar(p, item_schema(schema)) for p in parts]
            if shape == "object":
                return _assigned_object(parts, schema) if explode else _pairs_object(parts, schema)
            return self._content(text, param, schema)
        if style == "matrix" and text.startswith(";"):
            items = [p for p in text[1:].split(";") if p]
            if shape == "object" and explode:
                return _assigned_object(items, schema)
            values = [p.partition("=")[2] for p in items]
            if shape == "array":
                parts = values if explode else (values[0].split(",") if values and values[0] else [])
                return [scalar(p, item_schema(schema)) for p in parts]
            if shape == "object":
                return _pairs_object(values[0].split(",") if values else [], schema)
            return self._content(values[0] if values else "", param, schema)
        return self.simple_value(text, schema, explode, param)

    def query_value(self, raw: list[tuple[str, str]], name: str, schema: dict, style: str, explode: bool,
                    param: dict, claimed: set[str]) -> Any:
        kinds = types_of(schema)
        shape = kinds[0] if kinds and kinds[0] in ("array", "object") else "scalar"
        values = [v for k, v in raw if k == name]
        if shape == "object" and style == "deepObject":
            found = {k[len(name):]: v for k, v in raw if k.startswith(name + "[")}
            if not found:
                return _ABSENT
            out: dict = {}
            for key, value in found.items():
                path = _BRACKETS.findall(key)
                _place(out, path, value, schema)
            return out
        if shape == "object" and explode and style == "form":
            props = _property_names(schema)
            taken = {k: v for k, v in raw if (k in props if props else k not in claimed)}
            return _assigned_object((f"{k}={v}" for k, v in taken.items()), schema) if taken else _ABSENT
        if not values:
            return _ABSENT
        if shape == "array":
            delimiter = DELIMITERS.get(style, ",")
            parts = values if explode and style == "form" else [p for v in values for p in (v.split(delimiter) if v else [])]
            return [scalar(p, item_schema(schema)) for p in parts]
        if shape == "object":
            delimiter = DELIMITERS.get(style, ",")
            return _pairs_object(values[-1].split(delimiter) if values[-1] else [], schema)
        return self._content(values[-1], param, schema)


class _Absent:
    pass


_ABSENT = _Absent()


def _property_names(schema: Any) -> set[str]:
    names: set[str] = set()
    if isinstance(schema, dict):
        names |= set(schema.get("properties") or {})
        for key in ("allOf", "oneOf", "anyOf"):
            for part in schema.get(key) or []:
                names |= _property_names(part)
    return names


def _place(out: dict, path: list[str], value: str, schema: Any) -> None:
    """`value` at `path` inside `out`, typed by the schema below it: `a[b]` an object's property,
    `a[0][b]` (Stripe's `line_items[0][amount]`) and `a[]` array items; one value of a property
    that is an array or a scalar (`anyOf: [array, {enum: [""]}]`) the scalar a branch takes."""
    node: Any = out
    node_schema = schema
    for i, key in enumerate(path):
        last = i == len(path) - 1
        if isinstance(node, list):
            child_schema = item_schema(node_schema)
            index = int(key) if key.isdigit() and int(key) < 10_000 else len(node)
            while len(node) <= index:
                node.append(None)
            if last:
                node[index] = scalar(value, child_schema)
                return
            if not isinstance(node[index], (dict, list)):
                node[index] = [] if _wants_list(child_schema, path[i + 1]) else {}
            node, node_schema = node[index], child_schema
            continue
        child_schema = part_schema(node_schema, key)
        if last:
            kinds = types_of(child_schema)
            if kinds[:1] == ["array"] and (set(kinds) <= {"array", "null"} or isinstance(node.get(key), list)
                                          or not any(could_be(value, alt) for alt in _scalar_alternatives(child_schema))):
                if not isinstance(node.get(key), list):
                    node[key] = []
                node[key].append(scalar(value, item_schema(child_schema)))
            elif key in node and not isinstance(node[key], (dict, list)):
                node[key] = [node[key], scalar(value, child_schema)]  # a repeated key
            else:
                node[key] = scalar(value, child_schema)
            return
        wants = _wants_list(child_schema, path[i + 1])
        if wants and not isinstance(node.get(key), list):
            node[key] = []
        elif not wants and not isinstance(node.get(key), dict):
            node[key] = {}
        node, node_schema = node[key], child_schema


def _wants_list(schema: Any, next_key: str) -> bool:
    return next_key == "" or next_key.isdigit() or types_of(schema)[:1] == ["array"]


# -- form bodies -------------------------------------------------------------------------------
def form_body(pairs: list[tuple[str, str]], schema: Any, encoding: dict | None = None) -> dict:
    """A form body's fields typed by the body's schema: each declared scalar property typed
    (`true`, `1`), array properties from repeated keys, `key[]` / `key[0]` or one delimited value,
    object properties from `key[sub]` keys or a JSON part; a field the schema does not declare is
    typed as `patternProperties` / `additionalProperties` say, else stays text (so
    `additionalProperties: false` still reports it). Each field is typed by the property it names,
    whatever the other fields are called."""
    encoding = encoding or {}
    out: dict[str, Any] = {}
    nested: dict[str, list[tuple[list[str], str]]] = {}
    counts: dict[str, int] = {}
    for key, _ in pairs:
        counts[key] = counts.get(key, 0) + 1
    for key, value in pairs:
        path = _form_path(key, schema)
        if path is not None:
            nested.setdefault(path[0], []).append((path[1:], value))
            continue
        prop = part_schema(schema, key)
        kinds = types_of(prop)
        part_encoding = encoding.get(key) if isinstance(encoding.get(key), dict) else {}
        if kinds[:1] == ["array"] and (set(kinds) <= {"array", "null"} or counts[key] > 1
                                       or not any(could_be(value, alt) for alt in _scalar_alternatives(prop))):
            # (one value of `anyOf: [array, {enum: [""]}]` that the other branch takes, Stripe's
            # `discounts=`, is that branch's)
            style = part_encoding.get("style", "form")
            explode = part_encoding.get("explode", style == "form")
            parts = [value] if explode and style == "form" else value.split(DELIMITERS.get(style, ","))
            out.setdefault(key, [])
            if isinstance(out[key], list):
                out[key] += [scalar(p, item_schema(prop)) for p in parts]
            continue
        if kinds[:1] == ["object"] or "json" in str(part_encoding.get("contentType", "")):
            try:
                out[key] = json.loads(value)
                continue
            except ValueError:
                pass
        if kinds[:1] == ["array"]:
            prop = {**prop, "type": [k for k in kinds if k != "array"]} if "type" in prop else \
                {"anyOf": [{"type": k} for k in kinds if k != "array"]}
        out[key] = scalar(value, prop) if prop else value
    for root, items in nested.items():
        holder: dict = {}
        for path, value in items:
            _place(holder, [root, *path], value, schema)
        out[root] = holder.get(root)
    return out


def _form_path(key: str, schema: Any) -> list[str] | None:
    """[root, *keys] when a form field's name is a path into the body (`a[b]`, `tags[]`,
    `items[0][id]`): its name is not a property the schema declares, and every step of the path
    lands where the schema allows an object or array (an undeclared root only where
    `additionalProperties` allows one). None: the name is a field of its own (`total[x]` beside
    an integer `total`, `:W[x]` where `additionalProperties: {type: integer}`)."""
    found = _BRACKETED.fullmatch(key)
    if found is None or _declares(schema, key):
        return None
    root, keys = found.group(1), _BRACKETS.findall(found.group(2))
    if _refuses(schema, root):
        return None
    node = part_schema(schema, root)
    for step in keys[:-1] + [None]:
        kinds = types_of(node)
        if kinds and not {"object", "array"} & set(kinds):
            return None
        if step is not None:
            node = item_schema(node) if kinds[:1] == ["array"] or step == "" or step.isdigit() else part_schema(node, step)
    return [root, *keys]


def admits_text(schema: Any) -> bool:
    """Whether a body schema can hold a text body as it is (a string, or anything at all)."""
    kinds = types_of(schema)
    return not kinds or "string" in kinds


def admits_object(schema: Any) -> bool:
    """Whether a body schema can hold a form's fields (an object, or anything at all)."""
    kinds = types_of(schema)
    return not kinds or "object" in kinds


def could_be(text: str, schema: Any) -> bool:
    """Whether a path segment could be a value of a parameter's schema, by its type and enum (a
    router's guess: is `findByTags` a `petId: integer`?)."""
    if not isinstance(schema, dict):
        return True
    enum = schema.get("enum")
    if isinstance(enum, list) and not any(str(e).lower() == text.lower() for e in enum):
        return False
    kinds = types_of(schema)
    if not kinds:
        return True
    for kind in kinds:
        if kind in ("string", "object", "array"):
            return True
        if kind == "integer" and re.fullmatch(r"[-+]?\d+", text):
            return True
        if kind == "number" and re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", text):
            return True
        if kind == "boolean" and text.lower() in ("true", "false"):
            return True
    return False


def _scalar_alternatives(schema: Any) -> list[dict]:
    """The branches of a schema that are not arrays (its `anyOf` / `oneOf`, or its other types)."""
    if not isinstance(schema, dict):
        return []
    branches = [b for key in ("anyOf", "oneOf") for b in schema.get(key) or [] if isinstance(b, dict)]
    if branches:
        return [b for b in branches if "array" not in types_of(b)]
    others = [k for k in types_of(schema) if k != "array"]
    return [{**schema, "type": others}] if others else []
