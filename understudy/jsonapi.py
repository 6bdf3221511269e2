"""One generic JSON:API resource handler, driven by a small table per resource type.

Documents carry `id`, `type`, `attributes`, `relationships` and `links.self`; `include=` adds
`included`; lists page with `page[size]` / `page[number]` (meta `page`, `per_page`, `total`,
`total_pages` and `links`), filter with `filter[...]`, sort with `sort=-name` and search with
`search`. Creates take `{"data": {"type", "attributes", "relationships"}}`, PATCH is a partial
update, DELETE answers 204; a `type` (or PATCH `id`) that does not match answers 409, as does a
duplicate. Stored documents keep attributes under `attributes` and relationship ids in the plain
fields the table names, so guards and filters can read them.

`Crud(resource, authorize, id_param)` gives the five handlers of a plain collection
(`index`, `show`, `create`, `update`, `destroy`); other handlers use the same helpers."""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable
from urllib.parse import urlencode, urlparse

from connexion import request
from connexion.decorators.parameter import sanitized

from .context import current, store
from .errors import ApiError, Violation, not_found
from .responses import empty_response, json_response
from .stores import clone

# authorize(action, params, doc, body) -> stored fields that scope the request (list/create),
# raising not_found / forbidden when the caller may not act. Actions: list show create update delete.
Authorize = Callable[[str, dict, "dict | None", "dict | None"], "dict | None"]


def object_id() -> str:
    """A new 24-hex id (the shape of a MongoDB ObjectId)."""
    return secrets.token_hex(12)


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def base_path() -> str:
    """The path the API is served under (`/platform/v2`), for links."""
    return urlparse(current().base_url).path.rstrip("/")


def link(template: str, doc: dict, **extra: Any) -> str:
    values = {k: v for k, v in doc.items() if not isinstance(v, (dict, list))}
    return base_path() + template.format(**{**values, **extra})


def dig(doc: dict, path: str) -> Any:
    """`attributes.status` -> doc["attributes"]["status"] (None when absent)."""
    value: Any = doc
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


@dataclass(frozen=True)
class Rel:
    """One relationship. Its ids live in the owner's `field` (a list when `many`), or, with
    `owner_field`, are the documents of `target` whose `owner_field` is the owner's id.

    `reach(id)` returns the related document as the caller may see it, or raises the error a GET
    of it would answer (404 for another tenant's): every id a request names in the relationship
    goes through it, and `include=` leaves out what it refuses. A `writable` relationship is stored
    from requests, on create only when `fixed` (a document stays in its workspace); any other is
    checked and ignored."""

    type: str
    field: str | None = None
    many: bool = False
    link: str | None = None  # links.self; the owner's fields plus `ref` (the related id)
    related: str | None = None  # links.related; the owner's fields
    target: "Resource | None" = None  # how to render it in `included` and check it exists
    owner_field: str | None = None
    writable: bool = True
    fixed: bool = False
    reach: Callable[[Any], dict] | None = None


@dataclass(frozen=True)
class Resource:
    type: str
    collection: str
    self_link: str | None = None  # formatted with the document's fields
    relationships: dict[str, Rel] = field(default_factory=dict)
    writable: tuple[str, ...] | None = None  # attributes a client may set (None: any)
    hidden: tuple[str, ...] = ()  # stored attributes never shown
    defaults: dict[str, Any] = field(default_factory=dict)  # attributes on create
    members: tuple[str, ...] = ()  # extra top-level members of the resource object
    id_field: str = "id"  # stored field shown as the resource's id
    new_id: Callable[[], str] = object_id
    unique: tuple[str, ...] = ()  # dotted paths that, with the scope, must be unique -> 409
    unique_scope: tuple[str, ...] = ()  # stored fields the uniqueness is within
    filters: dict[str, Any] = field(default_factory=dict)  # filter name -> dotted path or fn(doc, value)
    sortable: dict[str, str] = field(default_factory=dict)  # sort key -> dotted path
    search: tuple[str, ...] = ()  # dotted paths `search` looks in (case-insensitive substring)
    page_size: int | None = None  # default page size; None: lists are not paged
    timestamps: tuple[str, str] | None = None  # (created, updated) attribute names
    expand: Callable[[dict], dict] | None = None  # derived fields added before rendering
    prepare: Callable[[dict], None] | None = None  # derived attributes set on every write
    label: str = ""  # for messages ("Flow")

    @property
    def name(self) -> str:
        return self.label or self.type


# -- reading ---------------------------------------------------------------------------------


def find(res: Resource, ident: Any, **scope: Any) -> dict:
    """The stored document with this id (and these field values), or 404."""
    if res.id_field == "id":
        doc = store().get(res.collection, ident)
        docs = [doc] if doc is not None and all(doc.get(k) == v for k, v in scope.items()) else []
    else:
        docs = store().find(res.collection, **{res.id_field: str(ident), **scope})
    if not docs:
        raise not_found(res.name, ident)
    return docs[0]


def relationship(rel: Rel, doc: dict) -> dict | None:
    out: dict[str, Any] = {}
    ref = None
    if rel.field is not None:
        value = doc.get(rel.field)
        if rel.many:
            out["data"] = [{"id": str(v), "type": rel.type} for v in value or []]
        else:
            ref = value
            out["data"] = None if value is None else {"id": str(value), "type": rel.type}
    elif rel.target is not None and rel.owner_field:
        related = store().find(rel.target.collection, **{rel.owner_field: doc["id"]})
        out["data"] = [{"id": str(d[rel.target.id_field]), "type": rel.type} for d in related]
    links = {name: link(template, doc, ref=ref) for name, template in (("self", rel.link), ("related", rel.related))
             if template and (ref is not None or "{ref}" not in template)}
    if links:
        out["links"] = links
    if out.get("data", ...) is None and not links:
        return None  # an empty to-one relationship is left out
    return out or None


def resource_object(res: Resource, doc: dict) -> dict:
    if res.expand is not None:
        doc = res.expand(doc)
    obj: dict[str, Any] = {"id": str(doc[res.id_field]), "type": res.type}
    if res.self_link:
        obj["links"] = {"self": link(res.self_link, doc)}
    obj["attributes"] = {k: clone(v) for k, v in (doc.get("attributes") or {}).items()
                         if k not in res.hidden}
    rels = {name: r for name, rel in res.relationships.items() if (r := relationship(rel, doc))}
    if rels:
        obj["relationships"] = rels
    for member in res.members:
        if member in doc:
            obj[member] = clone(doc[member])
    return obj


def included(res: Resource, docs: list[dict], include: str | None) -> list[dict]:
    """The resource objects `include=a,b` asks for, each once."""
    names = [n.strip() for n in (include or "").split(",") if n.strip()]
    out, seen = [], set()
    for name in names:
        rel = res.relationships.get(name)
        if rel is None or rel.target is None:
            raise ApiError("validation", f"Cannot include {name}",
                           [Violation("query", "include", f"unknown relationship {name}")])
        for doc in docs:  # expanded as for its relationships, so `included` matches their ids
            for related in related_docs(rel, res.expand(doc) if res.expand is not None else doc):
                key = (rel.type, str(related[rel.target.id_field]))
                if key not in seen and reachable(rel, key[1]):
                    seen.add(key)
                    out.append(resource_object(rel.target, related))
    return out


def reach(rel: Rel, ident: Any) -> dict | None:
    """The document a relationship id names, as the caller may see it (raising what a GET of it
    answers otherwise); without `reach`, the `target` document with that id, or 404."""
    if rel.reach is not None:
        return rel.reach(ident)
    return find(rel.target, ident) if rel.target is not None else None


def reachable(rel: Rel, ident: Any) -> bool:
    try:
        reach(rel, ident)
    except ApiError:
        return False
    return True


def related_docs(rel: Rel, doc: dict) -> list[dict]:
    assert rel.target is not None
    if rel.owner_field:
        return store().find(rel.target.collection, **{rel.owner_field: doc["id"]})
    value = doc.get(rel.field) if rel.field else None
    ids = value if rel.many else ([] if value is None else [value])
    return [d for d in (store().get(rel.target.collection, i) for i in ids or []) if d]


def document(res: Resource, doc: dict, *, include: str | None = None, meta: dict | None = None,
             self_link: bool = False) -> dict:
    out: dict[str, Any] = {"data": resource_object(res, doc), "meta": meta or {}}
    if include:
        out["included"] = included(res, [doc], include)
    if self_link and res.self_link:
        out["links"] = {"self": link(res.self_link, doc)}
    return out


def respond(res: Resource, doc: dict, status: int = 200, **kwargs: Any):
    return json_response(document(res, doc, **kwargs), status)


# -- lists -----------------------------------------------------------------------------------


def query_value(params: dict, name: str) -> Any:
    """A query parameter as the handler received it (Connexion sanitises `filter[x]` names)."""
    return params.get(sanitized(name))


def select(res: Resource, docs: list[dict], params: dict) -> list[dict]:
    """`filter[...]`, `search` and `sort` applied to a list of stored documents."""
    for name, how in res.filters.items():
        value = query_value(params, f"filter[{name}]")
        if value is None:
            continue
        if callable(how):
            docs = [d for d in docs if how(d, value)]
        else:
            wanted = {str(v).strip().lower() for v in (value if isinstance(value, list) else str(value).split(","))}
            docs = [d for d in docs if _text(dig(d, how)) in wanted]
    term = params.get("search")
    if res.search and isinstance(term, str) and term.strip():
        needle = term.strip().lower()
        docs = [d for d in docs if any(needle in _text(dig(d, p)) for p in res.search)]
    sort = params.get("sort")
    if sort and sort.lstrip("-") in res.sortable:
        path = res.sortable[sort.lstrip("-")]
        docs = sorted(docs, key=lambda d: (dig(d, path) is None, _text(dig(d, path))),
                      reverse=sort.startswith("-"))
    return docs


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return "" if value is None else str(value).lower()


def page_link(number: int, size: int) -> str:
    query = [(k, v) for k, v in request.query_params.multi_items() if k not in ("page[number]", "page[size]")]
    query += [("page[number]", str(number)), ("page[size]", str(size))]
    return base_path() + _path_below_base() + "?" + urlencode(query)


def _path_below_base() -> str:
    path = request.url.path
    base = base_path()
    return path[len(base):] if path.startswith(base) else path


def paginate(docs: list, params: dict, default_size: int) -> tuple[list, dict, dict]:
    size = query_value(params, "page[size]") or default_size
    number = query_value(params, "page[number]") or 1
    total = len(docs)
    pages = math.ceil(total / size)
    meta = {"page": number, "per_page": size, "total": total, "total_pages": pages}
    links = {"self": page_link(number, size), "first": page_link(1, size),
             "last": page_link(max(pages, 1), size)}
    if number > 1:
        links["prev"] = page_link(min(number - 1, max(pages, 1)), size)
    if number < pages:
        links["next"] = page_link(number + 1, size)
    return docs[(number - 1) * size: number * size], meta, links


def collection(res: Resource, docs: list[dict], params: dict, *, paged: bool | None = None,
               meta: dict | None = None) -> dict:
    """A list document: selection, paging (when the table or `paged` says so) and `included`."""
    docs = select(res, docs, params)
    out_meta = dict(meta or {})
    links = {"self": base_path() + _path_below_base()}
    if paged if paged is not None else res.page_size:
        docs, page_meta, links = paginate(docs, params, res.page_size or 50)
        out_meta.update(page_meta)
    out: dict[str, Any] = {"data": [resource_object(res, d) for d in docs], "meta": out_meta, "links": links}
    if params.get("include"):
        out["included"] = included(res, docs, params["include"])
    return out


# -- writing ---------------------------------------------------------------------------------


def incoming(res: Resource, body: dict, ident: Any = None, *, type_: str | None = None) -> tuple[dict, dict]:
    """(attributes, relationship fields) of a request document, checking its type (and id on
    an update) against the collection: a mismatch is 409, as JSON:API says."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise ApiError("validation", "The request must be a JSON:API document",
                       [Violation("body", "/data", "data must be an object")])
    expected = type_ or res.type
    if data.get("type") != expected:
        raise ApiError("conflict", f"Type {data.get('type')!r} does not match the collection ({expected})",
                       [Violation("body", "/data/type", f"must be {expected}")])
    if ident is not None and "id" in data and str(data["id"]) != str(ident):
        raise ApiError("conflict", f"Id {data['id']!r} does not match the URL ({ident})",
                       [Violation("body", "/data/id", f"must be {ident}")])
    attributes = clone(data.get("attributes") or {})
    if res.writable is not None:
        attributes = {k: v for k, v in attributes.items() if k in res.writable}
    fields: dict[str, Any] = {}
    for name, payload in (data.get("relationships") or {}).items():
        rel = res.relationships.get(name) or res.relationships.get(name.replace("_", "-")) or \
            res.relationships.get(name.replace("-", "_"))
        if rel is None or rel.field is None or not isinstance(payload, dict):
            continue
        ids = _linkage(rel, payload.get("data"), f"/data/relationships/{name}/data")
        if rel.writable and not (rel.fixed and ident is not None):
            fields[rel.field] = ids
    return attributes, fields


def _linkage(rel: Rel, data: Any, pointer: str) -> Any:
    items = data if isinstance(data, list) else ([] if data is None else [data])
    ids = []
    for i, item in enumerate(items):
        where = f"{pointer}/{i}" if isinstance(data, list) else pointer
        if not isinstance(item, dict) or "id" not in item:
            raise ApiError("validation", "A relationship needs type and id",
                           [Violation("body", where, "must be {type, id}")])
        if item.get("type") != rel.type:
            raise ApiError("conflict", f"Type {item.get('type')!r} does not match {rel.type}",
                           [Violation("body", where + "/type", f"must be {rel.type}")])
        reach(rel, str(item["id"]))
        ids.append(str(item["id"]))
    if rel.many:
        return ids
    return ids[0] if ids else None


def check_unique(res: Resource, doc: dict) -> None:
    if not res.unique:
        return
    key = [dig(doc, p) for p in res.unique]
    if any(k is None for k in key):
        return
    scope = {f: doc.get(f) for f in res.unique_scope}
    for other in store().find(res.collection, **scope):
        if other["id"] != doc["id"] and [dig(other, p) for p in res.unique] == key:
            pointer = "/data/" + res.unique[0].replace(".", "/")
            raise ApiError("conflict", f"{res.name} with this {', '.join(p.split('.')[-1] for p in res.unique)} "
                           "already exists", [Violation("body", pointer, "already exists")],
                           extra={"id": other[res.id_field]})


def build(res: Resource, body: dict, fields: dict | None = None) -> dict:
    """A new stored document from a create request (not yet stored)."""
    attributes, rel_fields = incoming(res, body)
    data = body["data"]
    doc = {"id": str(data.get("id") or res.new_id()), "attributes": {**clone(res.defaults), **attributes},
           **rel_fields, **(fields or {})}
    if res.timestamps:
        created, updated = res.timestamps
        doc["attributes"][created] = doc["attributes"][updated] = now()
    if res.prepare is not None:
        res.prepare(doc)
    return doc


def insert(res: Resource, doc: dict) -> dict:
    with store().atomic():  # checked and stored in one step, on every worker and host
        check_unique(res, doc)
        if store().get(res.collection, doc["id"]) is not None:
            raise ApiError("conflict", f"{res.name} {doc['id']} already exists",
                           [Violation("body", "/data/id", "already exists")], extra={"id": doc["id"]})
        return store().insert(res.collection, doc)


def create(res: Resource, body: dict, fields: dict | None = None) -> dict:
    return insert(res, build(res, body, fields))


def update(res: Resource, doc: dict, body: dict, fields: dict | None = None) -> dict:
    """PATCH: the attributes and relationships sent replace theirs; the rest stays."""
    attributes, rel_fields = incoming(res, body, doc[res.id_field])
    changed = clone(doc)
    changed["attributes"] = {**(doc.get("attributes") or {}), **attributes}
    changed.update(rel_fields)
    changed.update(fields or {})
    if res.timestamps:
        changed["attributes"][res.timestamps[1]] = now()
    if res.prepare is not None:
        res.prepare(changed)
    with store().atomic():
        check_unique(res, changed)
        return store().update(res.collection, doc["id"], lambda d: (d.clear(), d.update(changed))) or changed


def destroy(res: Resource, doc: dict) -> None:
    store().delete(res.collection, doc["id"])


# -- the five handlers of a plain collection --------------------------------------------------


class Crud:
    """`index`, `show`, `create`, `update` and `destroy` for one resource type. `authorize`
    decides who may do what and returns the stored fields that scope a list or stamp a new
    document; `id_param` is the spec's name of the id path parameter."""

    def __init__(self, res: Resource, authorize: Authorize, id_param: str):
        self.res = res
        self.authorize = authorize
        self.id_param = id_param

    async def index(self, **params: Any):
        scope = self.authorize("list", params, None, None) or {}
        docs = store().find(self.res.collection, **scope)
        return json_response(collection(self.res, docs, params))

    def _found(self, action: str, params: dict, body: dict | None = None) -> dict:
        doc = find(self.res, params[sanitized(self.id_param)])
        self.authorize(action, params, doc, body)
        return doc

    async def show(self, **params: Any):
        doc = self._found("show", params)
        return respond(self.res, doc, include=params.get("include"))

    async def create(self, body: dict, **params: Any):
        doc = build(self.res, body)
        doc.update(self.authorize("create", params, doc, body) or {})
        return respond(self.res, insert(self.res, doc), 201)

    async def update(self, body: dict, **params: Any):
        doc = self._found("update", params, body)
        return respond(self.res, update(self.res, doc, body))

    async def destroy(self, **params: Any):
        destroy(self.res, self._found("delete", params))
        return empty_response(204)
