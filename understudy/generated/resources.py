"""Resources inferred from a spec's paths. A collection path (`/pets`, `/owners/{ownerId}/pets`)
with POST and an item path one parameter below it (`/pets/{petId}`) form a resource: its id is
assigned as the item parameter's type says (integer sequence, uuid, string), one property of the
document is the id, the collection GET wraps its list as its schema says (a bare array or an
envelope's array property), and paging and filter parameters are recognised by name.

Where the guess is wrong, an `x-understudy` extension on the collection or item path, or an
`understudy.yaml` beside the spec, says what it is:

    paths:
      /pets:
        x-understudy: {resource: pets, id: petId}      # id: the document property holding the id
    # understudy.yaml
    resources:
      pets: {collection: /pets, item: /pets/{petId}, id: petId}
      audit: false                                     # not a resource (by its collection path)

    resources = infer(spec)                  # Resources
    resources.role("get", "/pets/{petId}")   # Role(resource, "read")
    seed(spec, resources, fixtures_dir)      # {collection: [stored documents]} to start from
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..spec.errors import SpecError
from ..spec.load import Spec
from ..spec.source import is_url, load_document
from ..spec.walk import operations, parameters, resolve

ROLES = ("create", "read", "replace", "merge", "json-patch", "delete", "list")
PAGING = (("offset", "limit"), ("offset", "count"), ("skip", "limit"), ("skip", "top"))  # (start, size)
PAGES = ("page", "pageNumber", "page_number", "pageNo")
PAGE_SIZES = ("per_page", "perPage", "page_size", "pageSize", "size", "limit", "count")
OVERRIDES_FILE = "understudy.yaml"
_PARAM = re.compile(r"^\{([^}]+)\}$")


@dataclass
class Paging:
    style: str  # "offset" (start, size) or "page" (number, size)
    start: str  # the offset / page parameter
    size: str | None  # the limit / per_page parameter
    default_size: int = 20
    first_page: int = 1  # the page parameter's minimum (0 or 1)


@dataclass
class Resource:
    name: str  # the store collection (`pets`, `owners-pets` when two share a last segment)
    collection: str  # `/owners/{ownerId}/pets`
    item: str  # `/owners/{ownerId}/pets/{petId}`
    id_param: str  # `petId`
    id_kind: str  # "integer" | "uuid" | "string"
    id_field: str | None  # the document property holding the id (`id`); None: not in the document
    parents: list[str] = field(default_factory=list)  # the collection's path parameters
    item_schema: dict = field(default_factory=dict)  # the item GET's success schema (shapes answers)
    item_wrap: str | None = None  # the item answer is {item_wrap: document} (`data`)
    list_wrap: str | None = None  # the list answer is {list_wrap: [...]}; None: a bare array
    list_schema: dict = field(default_factory=dict)  # the collection GET's success schema
    paging: Paging | None = None
    filters: dict[str, str] = field(default_factory=dict)  # query parameter -> document property
    patch: str = "merge"  # "merge" (JSON merge patch) or "json-patch" (RFC 6902)
    id_schema: dict = field(default_factory=dict)  # the item path parameter's schema (new ids keep it)


@dataclass
class Role:
    resource: Resource | None
    role: str  # one of ROLES, or "none"


@dataclass
class Resources:
    resources: list[Resource]
    roles: dict[tuple[str, str], Role]  # (method, path template) -> role

    def role(self, method: str, path: str) -> Role:
        return self.roles.get((method.lower(), path), Role(None, "none"))

    def by_name(self, name: str) -> Resource | None:
        return next((r for r in self.resources if r.name == name), None)


# -- inference ---------------------------------------------------------------------------------
def infer(spec: Spec, overrides: dict | None = None) -> Resources:
    """The resources of a spec. `overrides` is an understudy.yaml's content; by default the one
    beside the spec file is read when present."""
    document = spec.document
    if overrides is None:
        overrides = read_overrides(spec.source)
    configured = (overrides or {}).get("resources") or {}
    ops = {}
    for op in operations(document):
        ops.setdefault(op.path, {})[op.method] = op
    found: list[Resource] = []
    claimed: set[str] = set()
    # Named in understudy.yaml first, then x-understudy, then inferred.
    for name, entry in configured.items():
        if entry is False or not isinstance(entry, dict):
            continue
        collection, item = entry.get("collection"), entry.get("item")
        if collection in ops and item in ops:
            resource = _resource(spec, ops, collection, item, name, entry.get("id"))
            if resource:
                found.append(resource)
                claimed |= {collection, item}
    refused = {entry.get("collection") if isinstance(entry, dict) else name
               for name, entry in configured.items() if entry is False}
    refused |= {name for name, entry in configured.items() if entry is False}
    for collection in ops:
        if collection in claimed or collection in refused or _name(collection) in refused or "post" not in ops[collection]:
            continue
        if not _succeeds(ops[collection]["post"]):
            continue  # a POST that documents no success creates nothing
        if _PARAM.match(collection.rstrip("/").rsplit("/", 1)[-1] or ""):
            continue  # `/pets/{id}` with POST is an action on an item, not a collection
        item = _item_path(collection, ops)
        if item is None or item in claimed:
            continue
        extension = _extension(document, collection) or _extension(document, item) or {}
        if extension is False or extension.get("resource") is False:
            continue
        resource = _resource(spec, ops, collection, item, extension.get("resource"), extension.get("id"))
        if resource:
            found.append(resource)
            claimed |= {collection, item}
    _unique_names(found)
    roles: dict[tuple[str, str], Role] = {}
    for resource in found:
        for method, role in (("post", "create"), ("get", "list")):
            if method in ops[resource.collection]:
                roles[(method, resource.collection)] = Role(resource, role)
        for method, role in (("get", "read"), ("put", "replace"), ("delete", "delete"),
                             ("patch", "json-patch" if resource.patch == "json-patch" else "merge")):
            if method in ops[resource.item]:
                roles[(method, resource.item)] = Role(resource, role)
    return Resources(found, roles)


def _succeeds(op: Any) -> bool:
    responses = op.operation.get("responses") or {}
    return any(str(k)[:1] == "2" or k == "default" for k in responses)


def read_overrides(source: str) -> dict:
    """`understudy.yaml` beside a spec file ({} when there is none, or the spec is a URL)."""
    if is_url(source):
        return {}
    path = Path(source).parent / OVERRIDES_FILE
    if not path.is_file():
        return {}
    data, _ = load_document(str(path))
    if not isinstance(data, dict) or not isinstance(data.get("resources", {}), dict):
        raise SpecError(str(path), "understudy.yaml holds `resources: {name: {collection, item, id}}`")
    return data


def _extension(document: dict, path: str) -> Any:
    item = (document.get("paths") or {}).get(path)
    return item.get("x-understudy") if isinstance(item, dict) else None


def _item_path(collection: str, ops: dict) -> str | None:
    base = collection.rstrip("/")
    for path in ops:
        if path.startswith(base + "/") and path.count("/") == base.count("/") + 1:
            last = path[len(base) + 1:].rstrip("/")
            if _PARAM.match(last) and ("get" in ops[path] or "delete" in ops[path]):
                return path
    return None


def _success(document: dict, op: Any) -> tuple[str | None, dict]:
    """(JSON media type, schema) of an operation's first 2xx answer."""
    for status in sorted(k for k in (op.operation.get("responses") or {}) if str(k)[:1] == "2"):
        response = resolve(document, op.operation["responses"][status])
        for mime, media in ((response or {}).get("content") or {}).items():
            if _is_json(mime) and isinstance(media, dict) and isinstance(media.get("schema"), dict):
                return mime, media["schema"]
    return None, {}


def _is_json(mime: str) -> bool:
    mime = mime.split(";")[0].strip().lower()
    return mime in ("application/json", "*/*", "application/*") or mime.endswith("+json")


def _resource(spec: Spec, ops: dict, collection: str, item: str, name: str | None,
              id_field: str | None) -> Resource | None:
    document = spec.document
    item_ops = ops[item]
    id_param = _PARAM.match(item.rstrip("/").rsplit("/", 1)[-1]).group(1)
    some_item_op = next(iter(item_ops.values()))
    param = next((p for p in parameters(document, some_item_op) if p.get("in") == "path" and p.get("name") == id_param),
                 {})
    id_kind = _id_kind(resolve(document, param.get("schema") or {}))
    _, item_schema = _success(document, item_ops["get"]) if "get" in item_ops else (None, {})
    if not item_schema and "post" in ops[collection]:
        _, item_schema = _success(document, ops[collection]["post"])
    item_wrap, document_schema = _unwrap_item(document, item_schema)
    props = _properties(document, document_schema)
    if id_field is None:
        id_field = _id_field(id_param, props, collection)
    if id_kind == "string" and id_field and _id_kind(resolve(document, props.get(id_field) or {})) == "integer":
        id_kind = "integer"  # the document's id is a number (DigitalOcean's image id), the path's text
    list_wrap, list_schema = None, {}
    filters: dict[str, str] = {}
    paging = None
    if "get" in ops[collection]:
        _, list_schema = _success(document, ops[collection]["get"])
        list_wrap = _list_wrap(document, list_schema)
        query = [p for p in parameters(document, ops[collection]["get"]) if p.get("in") == "query"]
        paging = _paging(document, query)
        taken = {paging.start, paging.size} if paging else set()
        filters = {p["name"]: p["name"] for p in query if p["name"] in props and p["name"] not in taken}
    patch = "merge"
    if "patch" in item_ops:
        body = resolve(document, item_ops["patch"].operation.get("requestBody") or {})
        content = (body or {}).get("content") or {}
        if any(m.startswith("application/json-patch+json") for m in content) and not any(
                m.startswith("application/merge-patch+json") or m == "application/json" for m in content):
            patch = "json-patch"
    parents = re.findall(r"\{([^}]+)\}", collection)
    return Resource(name or _name(collection), collection, item, id_param, id_kind, id_field, parents,
                    document_schema, item_wrap, list_wrap, list_schema, paging, filters, patch,
                    resolve(document, param.get("schema") or {}))


def _id_kind(schema: dict) -> str:
    kind = schema.get("type")
    kind = next((k for k in kind if k != "null"), None) if isinstance(kind, list) else kind
    if kind in ("integer", "number"):
        return "integer"
    if schema.get("format") == "uuid":
        return "uuid"
    return "string"


def _properties(document: dict, schema: Any, depth: int = 0) -> dict:
    """The properties an object schema names, through refs and allOf."""
    schema = resolve(document, schema)
    if not isinstance(schema, dict) or depth > 6:
        return {}
    props = dict(schema.get("properties") or {}) if isinstance(schema.get("properties"), dict) else {}
    for part in schema.get("allOf") or []:
        props.update(_properties(document, part, depth + 1))
    return props


def _unwrap_item(document: dict, schema: dict) -> tuple[str | None, dict]:
    """An item answer `{"data": {...document...}}` (one object property, or `data`): (its name,
    the document's schema); otherwise (None, the schema)."""
    props = _properties(document, schema)
    objects = {k: v for k, v in props.items() if _properties(document, v)}
    if "data" in objects and not _properties(document, schema).get("id"):
        return "data", resolve(document, objects["data"])
    if len(props) == 1 and len(objects) == 1:
        name = next(iter(objects))
        return name, resolve(document, objects[name])
    return None, schema


def _list_wrap(document: dict, schema: dict) -> str | None:
    resolved = resolve(document, schema)
    if not isinstance(resolved, dict) or resolved.get("type") == "array" or "items" in resolved:
        return None
    arrays = [k for k, v in _properties(document, resolved).items()
              if isinstance(resolve(document, v), dict) and (resolve(document, v).get("type") == "array"
                                                             or "items" in resolve(document, v))]
    for preferred in ("data", "items", "results", "records", "entries", "content", "values", "list", "elements"):
        if preferred in arrays:
            return preferred
    return arrays[0] if arrays else None


def _paging(document: dict, query: list[dict]) -> Paging | None:
    names = {p["name"]: p for p in query}
    sizes = [s for s in PAGE_SIZES if s in names]

    def default(param: str | None, fallback: int) -> int:
        schema = resolve(document, (names.get(param) or {}).get("schema") or {})
        value = schema.get("default")
        return value if isinstance(value, int) and value > 0 else fallback

    for start, size in PAGING:
        if start in names:
            chosen = size if size in names else None
            return Paging("offset", start, chosen, default(chosen, 20))
    for page in PAGES:
        if page in names:
            schema = resolve(document, names[page].get("schema") or {})
            first = 0 if schema.get("minimum") == 0 or schema.get("default") == 0 else 1
            return Paging("page", page, sizes[0] if sizes else None, default(sizes[0] if sizes else None, 20), first)
    if "limit" in names:
        return Paging("offset", "", "limit", default("limit", 20))
    return None


def _id_field(id_param: str, props: dict, collection: str) -> str | None:
    if id_param in props:
        return id_param
    if "id" in props:
        return "id"
    singular = _name(collection).rstrip("s")
    lowered = {k.lower(): k for k in props}
    for candidate in (f"{singular}id", f"{singular}_id", id_param.lower(), "uuid", "key"):
        if candidate in lowered:
            return lowered[candidate]
    ends = [k for k in props if k.lower().endswith("id")]
    return ends[0] if len(ends) == 1 else None


def _name(collection: str) -> str:
    last = collection.rstrip("/").rsplit("/", 1)[-1]
    return re.sub(r"[^A-Za-z0-9_-]+", "-", last).strip("-").lower() or "items"


def _unique_names(found: list[Resource]) -> None:
    seen: dict[str, int] = {}
    for resource in found:
        name = resource.name
        if name in seen:
            segments = [s for s in resource.collection.split("/") if s and not s.startswith("{")]
            candidate = "-".join(segments[-2:]).lower() if len(segments) > 1 else name
            n = 2
            while candidate in seen:
                candidate = f"{name}-{n}"
                n += 1
            resource.name = re.sub(r"[^a-z0-9_-]+", "-", candidate)
        seen[resource.name] = 1


# -- starting state ----------------------------------------------------------------------------
def stored(resource: Resource, key: str, document: Any, parents: dict[str, str] | None = None) -> dict:
    """How a document is kept in the store: its key, its parents' path values, the document."""
    return {"id": str(key), "parents": dict(parents or {}), "document": document}


def seed(spec: Spec, resources: Resources, fixtures: str | Path | None = None, bodies: Any = None) -> dict[str, list]:
    """{resource name: [stored documents]}: from `--fixtures DIR` (`<resource>.json`, a list of
    documents, each with its id field and, for a nested resource, its parents' path values as
    fields) when given, else from the spec's examples of the item and list answers."""
    out: dict[str, list] = {}
    for resource in resources.resources:
        docs = _fixture(resource, Path(fixtures)) if fixtures else _examples(spec, resource, bodies)
        kept, seen = [], set()
        for doc in docs:
            if not isinstance(doc, dict):
                continue
            key = doc.get(resource.id_field) if resource.id_field else None
            if key is None or str(key) in seen:
                continue
            seen.add(str(key))
            parents = {p: str(doc[p]) for p in resource.parents if p in doc}
            kept.append(stored(resource, str(key), doc, parents))
        out[resource.name] = kept
    return out


def _fixture(resource: Resource, folder: Path) -> list:
    path = folder / f"{resource.name}.json"
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise SpecError(str(path), f"is not JSON: {error.msg}", error.lineno, error.colno) from None
    except (ValueError, OSError) as error:
        raise SpecError(str(path), f"cannot be read: {error}") from None
    if not isinstance(data, list):
        raise SpecError(str(path), "a fixture file holds a list of documents")
    return data


def _examples(spec: Spec, resource: Resource, bodies: Any) -> list:
    from .bodies import Bodies

    bodies = bodies or Bodies(spec)
    document = spec.document
    found: list = []
    for op in operations(document):
        if op.path == resource.item and op.method == "get":
            for media in _success_media(document, op):
                ok, value = bodies.example_of(media, "response")
                if ok:
                    value = value.get(resource.item_wrap) if resource.item_wrap and isinstance(value, dict) else value
                    found.append(value)
        if op.path == resource.collection and op.method == "get":
            for media in _success_media(document, op):
                ok, value = bodies.example_of(media, "response")
                if ok:
                    items = value.get(resource.list_wrap) if resource.list_wrap and isinstance(value, dict) else value
                    if isinstance(items, list):
                        found.extend(items)
    return found


def _success_media(document: dict, op: Any) -> list[dict]:
    out = []
    for status in sorted(k for k in (op.operation.get("responses") or {}) if str(k)[:1] == "2"):
        response = resolve(document, op.operation["responses"][status])
        for mime, media in ((response or {}).get("content") or {}).items():
            if _is_json(mime) and isinstance(media, dict):
                out.append(media)
    return out
