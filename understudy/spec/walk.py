"""The shape of an OpenAPI document as tables: which key of which object holds which kind of
object, for OpenAPI 3.x and Swagger 2.0. Walking by these tables never mistakes data (an example,
a default, an enum value) for structure, so a `$ref` inside an example stays data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator
from urllib.parse import unquote

# kind -> {key: (kind of what it holds, "one" | "map" | "list")}
SCHEMA = {
    **{k: ("schema", "map") for k in ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")},
    **{k: ("schema", "list") for k in ("allOf", "oneOf", "anyOf", "prefixItems")},
    **{k: ("schema", "one") for k in ("not", "additionalProperties", "contains", "if", "then", "else",
                                       "propertyNames", "unevaluatedItems", "unevaluatedProperties",
                                       "additionalItems", "contentSchema")},
    "items": ("schema", "one-or-list"),
}
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

V3: dict[str, dict[str, tuple[str, str]]] = {
    "root": {"paths": ("pathItem", "map"), "webhooks": ("pathItem", "map"), "components": ("components", "one")},
    "components": {
        "schemas": ("schema", "map"), "responses": ("response", "map"), "parameters": ("parameter", "map"),
        "examples": ("example", "map"), "requestBodies": ("requestBody", "map"), "headers": ("header", "map"),
        "securitySchemes": ("securityScheme", "map"), "links": ("link", "map"),
        "callbacks": ("callback", "map"), "pathItems": ("pathItem", "map"),
    },
    "pathItem": {"parameters": ("parameter", "list"), **{m: ("operation", "one") for m in METHODS}},
    "operation": {"parameters": ("parameter", "list"), "requestBody": ("requestBody", "one"),
                  "responses": ("responses", "one"), "callbacks": ("callback", "map")},
    "callback": {"*": ("pathItem", "one")},
    "parameter": {"schema": ("schema", "one"), "content": ("mediaType", "map"), "examples": ("example", "map")},
    "header": {"schema": ("schema", "one"), "content": ("mediaType", "map"), "examples": ("example", "map")},
    "requestBody": {"content": ("mediaType", "map")},
    "mediaType": {"schema": ("schema", "one"), "examples": ("example", "map"), "encoding": ("encoding", "map")},
    "encoding": {"headers": ("header", "map")},
    "responses": {"*": ("response", "one")},
    "response": {"headers": ("header", "map"), "content": ("mediaType", "map"), "links": ("link", "map")},
    "schema": SCHEMA,
    "example": {}, "link": {}, "securityScheme": {},
}
V2: dict[str, dict[str, tuple[str, str]]] = {
    "root": {"paths": ("pathItem", "map"), "definitions": ("schema", "map"),
             "parameters": ("parameter", "map"), "responses": ("response", "map")},
    "pathItem": {"parameters": ("parameter", "list"), **{m: ("operation", "one") for m in METHODS}},
    "operation": {"parameters": ("parameter", "list"), "responses": ("responses", "one")},
    "parameter": {"schema": ("schema", "one"), "items": ("schema", "one")},
    "responses": {"*": ("response", "one")},
    "response": {"schema": ("schema", "one"), "headers": ("header", "map")},
    "header": {"items": ("schema", "one")},
    "schema": SCHEMA,
}
# Where a referenced object of each kind is kept when it is brought into the document.
SECTIONS_V3 = {"schema": ("components", "schemas"), "response": ("components", "responses"),
               "parameter": ("components", "parameters"), "example": ("components", "examples"),
               "requestBody": ("components", "requestBodies"), "header": ("components", "headers"),
               "securityScheme": ("components", "securitySchemes"), "link": ("components", "links"),
               "callback": ("components", "callbacks")}
SECTIONS_V2 = {"schema": ("definitions",), "parameter": ("parameters",), "response": ("responses",)}


def escape(token: Any) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def ref_pointer(ref: str) -> str:
    """The JSON pointer of a local ref (`#/paths/~1a~1%7Bid%7D` -> `/paths/~1a~1{id}`)."""
    return unquote(ref[1:]) if "%" in ref else ref[1:]


def pointer_get(document: Any, pointer: str) -> Any:
    """The value at a JSON pointer ("" is the whole document); KeyError when there is none."""
    value = document
    if not pointer:
        return value
    if not pointer.startswith("/"):
        raise KeyError(pointer)
    for token in pointer[1:].split("/"):
        token = unescape(token)
        if isinstance(value, dict) and token in value:
            value = value[token]
        elif isinstance(value, list) and token.isdigit() and int(token) < len(value):
            value = value[int(token)]
        else:
            raise KeyError(pointer)
    return value


Visit = Callable[[dict, str, str], bool]  # (object, kind, pointer) -> descend into it?


def walk(node: Any, kind: str, visit: Visit, table: dict, pointer: str = "") -> None:
    """Calls `visit(obj, kind, pointer)` for every object of a known kind under `node`
    (depth first, parents before children); visit returns False to skip an object's children."""
    stack = [(node, kind, pointer)]
    while stack:
        obj, kind, at = stack.pop()
        if not isinstance(obj, dict) or not visit(obj, kind, at):
            continue
        keys = table.get(kind, {})
        pending = []
        for key, value in obj.items():
            spec = keys.get(key)
            if spec is None and "*" in keys and not key.startswith("x-"):
                spec = (keys["*"][0], "one")  # every key of this object holds one such object
            if spec is None or not isinstance(value, (dict, list)):
                continue
            child, shape = spec
            where = f"{at}/{escape(key)}"
            if shape == "one-or-list":
                shape = "list" if isinstance(value, list) else "one"
            if shape == "one":
                pending.append((value, child, where))
            elif shape == "map" and isinstance(value, dict):
                pending.extend((v, child, f"{where}/{escape(k)}") for k, v in value.items()
                               if not (child != "schema" and k.startswith("x-")))
            elif shape == "list" and isinstance(value, list):
                pending.extend((v, child, f"{where}/{i}") for i, v in enumerate(value))
        stack.extend(reversed(pending))


@dataclass
class Operation:
    path: str  # the template, `/pets/{petId}`
    method: str  # lower case
    operation: dict  # the operation object
    path_item: dict
    pointer: str  # `/paths/~1pets~1{petId}/get`

    @property
    def operation_id(self) -> str | None:
        return self.operation.get("operationId")


def operations(document: dict) -> Iterator[Operation]:
    """Every operation of `paths`, in document order (path items given by `$ref` followed)."""
    for path, item in (document.get("paths") or {}).items():
        if not isinstance(item, dict) or path.startswith("x-"):
            continue
        item = resolve(document, item)
        for method in METHODS:
            op = item.get(method)
            if isinstance(op, dict):
                yield Operation(path, method, op, item, f"/paths/{escape(path)}/{method}")


def resolve(document: dict, node: Any, limit: int = 32) -> Any:
    """Follows local `$ref`s to the object they name (the node itself when it is not a ref;
    an empty dict when the chain is broken or loops)."""
    seen = 0
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        ref = node["$ref"]
        if not ref.startswith("#") or seen >= limit:
            return {}
        try:
            node = pointer_get(document, ref_pointer(ref))
        except KeyError:
            return {}
        seen += 1
    return node


def parameters(document: dict, op: Operation) -> list[dict]:
    """The operation's parameters with the path item's, refs followed; the operation's win
    (same name and location)."""
    found: dict[tuple[str, str], dict] = {}
    for source in (op.path_item.get("parameters") or [], op.operation.get("parameters") or []):
        for param in source:
            param = resolve(document, param)
            if isinstance(param, dict) and "name" in param and "in" in param:
                found[(param["in"], param["name"])] = param
    return list(found.values())
