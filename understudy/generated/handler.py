"""The generated answer of one operation: for a resource (see `resources`), what the store holds,
shaped by the response schema so every answer validates; for any other operation, the
operation's example or a body generated from its schema. The media type is chosen by `Accept`
among those documented (406 when none fits), documented response headers are sent, and an
unknown id (or one below a deleted item) raises `not_found`, which the engine answers as a 404 in
the form the operation documents for it (404, `4XX`, `default`), else RFC 9457 problem+json. An
operation that documents no success answers its first documented response.

    op = GeneratedOperation(spec, bodies, resources, "get", "/pets/{petId}")   # once per operation
    answer = op.answer(path_params={"petId": 1}, query={}, body=None, accept="*/*", store=view)
    answer.status, answer.headers, answer.body, answer.media_type
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass, field
from typing import Any

from ..errors import ApiError, Violation, not_found
from ..parameters import scalar
from ..spec.load import Spec
from ..spec.walk import operations, resolve
from ..stores.base import clone
from .bodies import Bodies, Unsatisfiable
from .media import concrete, negotiate, render
from .resources import Resource, Resources, _properties, stored

_NOTHING = object()
GONE = "gone:"  # store collection of a resource's deleted ids (`gone:projects`)
SUCCESS_BY_ROLE = {"create": ("201", "200"), "delete": ("204", "200", "202")}
TOTAL_FIELDS = ("total", "total_count", "totalCount", "count", "totalItems", "total_items", "totalResults")


@dataclass
class Answer:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    media_type: str | None = None


class GeneratedOperation:
    """One operation's generated behaviour, compiled once (lazily, on its first call)."""

    def __init__(self, spec: Spec, bodies: Bodies, resources: Resources, method: str, path: str):
        self.spec, self.bodies = spec, bodies
        self.method, self.path = method.lower(), path
        found = next((op for op in operations(spec.document) if op.path == path and op.method == self.method), None)
        if found is None:
            raise KeyError(f"{method.upper()} {path} is not an operation of the spec")
        self.operation = found.operation
        role = resources.role(self.method, path)
        self.role, self.resource = role.role, role.resource
        self.status, self.response = self._success()
        if self.status >= 300:  # the operation documents no success: it answers as documented, no more
            self.role, self.resource = "none", None
        # Resources whose items this operation's path lies below (`/projects/{id}/deployments`
        # below `/projects/{id}`): once such an item is deleted, what lies below it is gone too.
        self.parents = [r for r in resources.resources if path.startswith(r.item.rstrip("/") + "/")]

    def _success(self) -> tuple[int, dict]:
        """(status, response object) of the answer: the lowest documented 2xx (the role's usual one
        first), else `2XX`, else `default` (as 200 / 201); where the operation documents none of them,
        its first documented response, as Prism does (the lint lists it)."""
        responses = self.operation.get("responses") or {}
        preferred = SUCCESS_BY_ROLE.get(self.role, ())
        keys = [k for k in preferred if k in responses] + sorted(k for k in responses if str(k)[:1] == "2")
        if not keys:
            keys = [k for k in ("2XX", "2xx", "default") if k in responses]
        if not keys:
            keys = [k for k in responses if str(k)[:1].isdigit()]
        if not keys:
            return (201 if self.role == "create" else 200), {}
        key = str(keys[0])
        status = int(key) if key.isdigit() else int(key[0]) * 100 if key[0] in "345" else \
            (201 if self.role == "create" else 200)
        return status, resolve(self.spec.document, responses[keys[0]]) or {}

    # -- answering ---------------------------------------------------------------------------
    def answer(self, *, path_params: dict | None = None, query: dict | None = None, body: Any = None,
               accept: str | None = None, store: Any = None, rng: random.Random | None = None) -> Answer:
        path_params, query = path_params or {}, query or {}
        content = self.response.get("content") or {}
        media = None
        if content:
            media = negotiate(accept, list(content))
            if media is None:
                raise ApiError("not_acceptable", "None of the media types in Accept can be answered",
                               [Violation("header", "Accept", "documented: " + ", ".join(content))])
        value = self._value(path_params, query, body, store, media, rng)  # an unknown id: not_found
        headers = self._headers(rng)
        if media is None or self.status in (204, 304):
            return Answer(self.status, headers, b"", None)
        schema = (content[media] or {}).get("schema") if isinstance(content[media], dict) else None
        media_type = concrete(media, accept)
        return Answer(self.status, headers, render(value, media_type, resolve(self.spec.document, schema or {})),
                      media_type)

    def _value(self, path_params: dict, query: dict, body: Any, store: Any, media: str | None,
               rng: random.Random | None) -> Any:
        for parent in self.parents if store is not None else ():
            key = path_params.get(parent.id_param)
            if key is not None and store.get(GONE + parent.name, str(key)) is not None:
                raise not_found(parent.name, key)
        if self.resource is not None and store is not None:
            return getattr(self, "_" + self.role.replace("-", "_"))(self.resource, path_params, query, body, store,
                                                                    media)
        return self.example(media, rng)

    def example(self, media: str | None, rng: random.Random | None = None) -> Any:
        """The success body: the media type's own valid example, else generated."""
        if media is None:
            return None
        entry = (self.response.get("content") or {}).get(media) or {}
        if rng is None:
            ok, value = self.bodies.example_of(entry, "response")
            if ok:
                return clone(value)
        if "schema" not in entry:
            return None
        return self._generate(entry["schema"], rng)

    def _generate(self, schema: Any, rng: random.Random | None = None) -> Any:
        try:
            return self.bodies.value(schema, "response", rng)
        except Unsatisfiable as error:
            raise ApiError("internal", f"The spec's response schema admits no value: {error}") from None

    def _headers(self, rng: random.Random | None) -> dict[str, str]:
        out = {}
        for name, header in (self.response.get("headers") or {}).items():
            header = resolve(self.spec.document, header)
            if name.lower() in ("content-type", "content-length") or not isinstance(header, dict):
                continue
            value = self._generate(header.get("schema") or {"type": "string"}, rng)
            out[name] = value if isinstance(value, str) else json.dumps(value) if isinstance(value, (dict, list)) \
                else str(value).lower() if isinstance(value, bool) else str(value)
        return out

    # -- resource roles ----------------------------------------------------------------------
    def _schema(self, media: str | None) -> dict | None:
        entry = (self.response.get("content") or {}).get(media) if media else None
        return entry.get("schema") if isinstance(entry, dict) else None

    def _find(self, resource: Resource, path_params: dict, store: Any) -> dict:
        key = str(path_params.get(resource.id_param))
        found = store.get(resource.name, key)
        parents = {p: str(path_params.get(p)) for p in resource.parents}
        if found is None or any(found.get("parents", {}).get(p, v) != v for p, v in parents.items()):
            raise not_found(resource.name, key)
        return found

    def _item_answer(self, resource: Resource, document: dict, media: str | None) -> Any:
        schema = self._schema(media)
        if schema is None:
            return document
        return self._shaped(schema, document, resource.item_wrap)

    def _shaped(self, schema: dict, document: Any, wrap: str | None) -> Any:
        """The stored document as the response schema asks: the document, with what the schema
        requires and it lacks taken from a generated answer (in its `wrap` property for an
        envelope); optional generated fields only where the document alone does not validate."""
        for fill_optional in (False, True):
            base = self._generate(schema)
            if wrap and isinstance(base, dict):
                inner_schema = (_properties(self.spec.document, schema).get(wrap) or {})
                base[wrap] = self._overlay(base.get(wrap), document, None if fill_optional else inner_schema)
            else:
                base = self._overlay(base, document, None if fill_optional else schema)
            if self.bodies.valid(schema, base, "response"):
                return base
        if isinstance(document, dict):  # as many of the document's properties as keep it valid
            kept: dict = {}
            for name, value in document.items():
                trial = self._generate(schema)
                if wrap and isinstance(trial, dict):
                    trial[wrap] = self._overlay(trial.get(wrap), {**kept, name: value})
                else:
                    trial = self._overlay(trial, {**kept, name: value})
                if self.bodies.valid(schema, trial, "response"):
                    kept[name] = value
                    answer = trial
            if kept:
                return answer
        return self._generate(schema)

    def _overlay(self, base: Any, document: Any, schema: Any = None) -> Any:
        """`document` over `base`; with `schema`, only the base's properties it requires."""
        if not isinstance(base, dict) or not isinstance(document, dict):
            return clone(document) if document is not None else base
        required = set(_required(self.spec.document, schema)) if schema is not None else set(base)
        out = {k: v for k, v in base.items() if k in required}
        out.update(clone(document))
        return out

    def _fit(self, resource: Resource, candidate: dict, base: dict) -> dict:
        """`candidate` as the item's document schema (its GET answer's) takes it: each property
        it refuses converted to the form it asks for (`true` where a string is documented:
        "true"), else replaced by the generated one (or dropped); where the document as a whole
        still fails, the generated document with as many of the candidate's properties as keep
        it valid, one at a time."""
        props = _properties(self.spec.document, resource.item_schema)
        item = resolve(self.spec.document, resource.item_schema)
        closed = isinstance(item, dict) and item.get("additionalProperties") is False
        shaped = {}
        for name, value in candidate.items():
            if name in props:
                fitting = self._converted(props[name], value)
                if fitting is not _NOTHING:
                    shaped[name] = fitting
                elif name in base:
                    shaped[name] = base[name]
            elif not closed:
                shaped[name] = value
        if self._valid_document(resource, shaped):
            return shaped
        kept: dict = {}
        for name, value in shaped.items():
            if self._valid_document(resource, {**kept, name: value}):
                kept[name] = value
        return {**base, **kept}

    def _valid_document(self, resource: Resource, document: dict) -> bool:
        if not resource.item_schema:
            return True
        return self.bodies.valid(resource.item_schema, self._overlay(self._item_base(resource), document), "response")

    def _item_base(self, resource: Resource) -> dict:
        """A generated document of the item's schema ({} where it has none)."""
        if not resource.item_schema:
            return {}
        base = self._generate(resource.item_schema)
        return base if isinstance(base, dict) else {}

    def _converted(self, schema: Any, value: Any) -> Any:
        """`value` as the property's response schema takes it: as is, or its text (a boolean or
        number where a string is documented), or the number / boolean a text spells; _NOTHING
        when none fits."""
        candidates = [value]
        if isinstance(value, bool):
            candidates.append("true" if value else "false")
        elif isinstance(value, (int, float)):
            candidates.append(str(value))
        elif isinstance(value, str):
            candidates.append(scalar(value, resolve(self.spec.document, schema)))
        for candidate in candidates:
            if self.bodies.valid(schema, candidate, "response"):
                return candidate
        return _NOTHING

    def _new_key(self, resource: Resource, body: Any, store: Any) -> Any:
        """The id of what a POST creates: the string id the client chose (GitHub's variable
        `name`; one already stored is replaced, as the name is its identity), the next of a
        sequence, a uuid, or `<resource>-<n>`; always one the item path's parameter schema admits
        (a pattern such as Twilio's `^MG[0-9a-fA-F]{32}$`, bounds), generated from that schema
        where the usual form does not fit."""
        given = body.get(resource.id_field) if isinstance(body, dict) and resource.id_field else None
        for _ in range(8):
            if resource.id_kind == "integer":
                key: Any = store.next_id(resource.name)
            elif resource.id_kind == "uuid":
                key = str(uuid.uuid4())
            elif isinstance(given, str) and given:
                key, given = given, None
            else:
                key = f"{resource.name}-{store.next_id(resource.name)}"
            if self._admits(resource, key):
                return key
        for seed in range(1, 1000):
            try:
                key = self.bodies.value(resource.id_schema, "request", random.Random(store.next_id(resource.name) * 7919
                                                                                      + seed))
            except Unsatisfiable:
                break
            if isinstance(key, (str, int)) and not isinstance(key, bool) and store.get(resource.name, str(key)) is None:
                return key
        return f"{resource.name}-{store.next_id(resource.name)}"

    def _admits(self, resource: Resource, key: Any) -> bool:
        if not resource.id_schema:
            return True
        return self.bodies.valid(resource.id_schema, key, "request") or (
            isinstance(key, int) and self.bodies.valid(resource.id_schema, str(key), "request"))

    def _document(self, resource: Resource, body: Any, key: Any, path_params: dict, media: str | None) -> dict:
        """What is stored: the body, with the id and parent values where the schema has them, and
        the rest of the document's required fields generated, kept where the item's schema (its
        GET answer's) takes them; each answer is shaped from it by its own schema."""
        document = dict(body) if isinstance(body, dict) else {}
        if resource.id_field:
            document[resource.id_field] = key
        for parent in resource.parents:
            if parent in (resource.item_schema.get("properties") or {}):
                document[parent] = path_params.get(parent)
        inner = self._item_base(resource)
        needed = set(_required(self.spec.document, resource.item_schema))
        fitted = self._fit(resource, {**{k: v for k, v in inner.items() if k in needed}, **document}, inner)
        if resource.id_field and resource.id_field in document:  # the key, as the document's id field takes it
            field_schema = _properties(self.spec.document, resource.item_schema).get(resource.id_field)
            converted = self._converted(field_schema, key) if field_schema is not None else key
            fitted[resource.id_field] = key if converted is _NOTHING else converted
        return fitted

    def _create(self, resource: Resource, path_params: dict, query: dict, body: Any, store: Any, media):
        with store.atomic():
            key = self._new_key(resource, body, store)
            document = self._document(resource, body, key, path_params, media)
            parents = {p: str(path_params.get(p)) for p in resource.parents}
            if store.get(resource.name, str(key)) is not None:  # the client's own id, taken: replaced
                store.update(resource.name, str(key), stored(resource, str(key), document, parents))
            else:
                store.insert(resource.name, stored(resource, str(key), document, parents))
            if store.get(GONE + resource.name, str(key)) is not None:
                store.delete(GONE + resource.name, str(key))
        return self._item_answer(resource, document, media)

    @staticmethod
    def _bury(resource: Resource, key: str, store: Any) -> None:
        """Remember a deleted id: what lies below it answers 404 from now on."""
        with store.atomic():
            if store.get(GONE + resource.name, key) is None:
                store.insert(GONE + resource.name, {"id": key})

    def _read(self, resource: Resource, path_params: dict, query: dict, body: Any, store: Any, media):
        return self._item_answer(resource, self._find(resource, path_params, store)["document"], media)

    def _replace(self, resource: Resource, path_params: dict, query: dict, body: Any, store: Any, media):
        with store.atomic():
            found = self._find(resource, path_params, store)
            key = found["document"].get(resource.id_field, found["id"]) if resource.id_field else found["id"]
            document = self._document(resource, body, key, path_params, media)
            store.update(resource.name, found["id"], {"document": document})
        return self._item_answer(resource, document, media)

    def _merge(self, resource: Resource, path_params: dict, query: dict, body: Any, store: Any, media):
        return self._change(resource, path_params, store, media, lambda doc: merge_patch(doc, body))

    def _json_patch(self, resource: Resource, path_params: dict, query: dict, body: Any, store: Any, media):
        return self._change(resource, path_params, store, media, lambda doc: json_patch(doc, body))

    def _change(self, resource: Resource, path_params: dict, store: Any, media, change) -> Any:
        with store.atomic():
            found = self._find(resource, path_params, store)
            document = change(clone(found["document"]))
            if resource.id_field and resource.id_field in found["document"]:
                document[resource.id_field] = found["document"][resource.id_field]
            if isinstance(document, dict):
                document = self._fit(resource, document, self._item_base(resource))
            store.update(resource.name, found["id"], {"document": document})
        return self._item_answer(resource, document, media)

    def _delete(self, resource: Resource, path_params: dict, query: dict, body: Any, store: Any, media):
        with store.atomic():
            found = self._find(resource, path_params, store)
            store.delete(resource.name, found["id"])
            self._bury(resource, found["id"], store)
        return self._item_answer(resource, found["document"], media) if media else None

    def _list(self, resource: Resource, path_params: dict, query: dict, body: Any, store: Any, media):
        parents = {p: str(path_params.get(p)) for p in resource.parents}
        filters = {field: str(query[param]) for param, field in resource.filters.items()
                   if query.get(param) not in (None, "")}

        def keep(entry: dict) -> bool:
            doc = entry.get("document") or {}
            return all(entry.get("parents", {}).get(p, v) == v for p, v in parents.items()) and all(
                _text(doc.get(f)) == v for f, v in filters.items())

        everything = store.filter(resource.name, keep)
        everything.sort(key=lambda e: (0, int(e["id"])) if str(e["id"]).isdigit() else (1, str(e["id"])))
        documents = [e["document"] for e in _page(resource, query, everything)]
        schema = self._schema(media)
        if schema is None:
            return documents
        return self._listed(schema, resource, documents, len(everything))

    def _listed(self, schema: dict, resource: Resource, documents: list, total: int) -> Any:
        resolved = resolve(self.spec.document, schema)
        items_schema = None
        base = self._generate(schema)
        if resource.list_wrap and isinstance(base, dict):
            holder = resolve(self.spec.document, (resolved.get("properties") or {}).get(resource.list_wrap, {}))
            items_schema = holder.get("items") if isinstance(holder, dict) else None
        elif isinstance(resolved, dict):
            items_schema = resolved.get("items")
        shaped = [self._shaped(items_schema, d, None) if isinstance(items_schema, dict) else d for d in documents]
        if resource.list_wrap and isinstance(base, dict):
            base[resource.list_wrap] = shaped
            for name in TOTAL_FIELDS:
                if isinstance(base.get(name), int) and not isinstance(base.get(name), bool):
                    before = base[name]
                    base[name] = total
                    if not self.bodies.valid(schema, base, "response"):
                        base[name] = before
            answer = base
        else:
            answer = shaped
        if self.bodies.valid(schema, answer, "response"):
            return answer
        return self._generate(schema)


def _required(document: dict, schema: Any, depth: int = 0) -> list[str]:
    schema = resolve(document, schema)
    if not isinstance(schema, dict) or depth > 6:
        return []
    names = [r for r in schema.get("required") or [] if isinstance(r, str)]
    for part in schema.get("allOf") or []:
        names += _required(document, part, depth + 1)
    return names


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _page(resource: Resource, query: dict, entries: list) -> list:
    paging = resource.paging
    if paging is None:
        return entries
    size = _int(query.get(paging.size) if paging.size else None, paging.default_size)
    if paging.style == "offset":
        start = _int(query.get(paging.start) if paging.start else None, 0)
    else:
        start = (_int(query.get(paging.start), paging.first_page) - paging.first_page) * size
    return entries[max(start, 0):max(start, 0) + max(size, 0)]


def _int(value: Any, default: int) -> int:
    try:
        return int(value) if value is not None and value != "" else default
    except (TypeError, ValueError):
        return default


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON merge patch."""
    if not isinstance(patch, dict):
        return clone(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def json_patch(document: Any, operations_: Any) -> Any:
    """RFC 6902 JSON Patch (add, remove, replace, move, copy, test); a failing operation is a 422
    naming it, and nothing is changed."""
    if not isinstance(operations_, list):
        raise ApiError("unprocessable", "A JSON Patch is a list of operations",
                       [Violation("body", "", "expected an array of operations")])
    doc = clone(document)
    for i, op in enumerate(operations_):
        try:
            doc = _apply(doc, op)
        except (KeyError, IndexError, ValueError, TypeError) as error:
            raise ApiError("unprocessable", "The JSON Patch cannot be applied",
                           [Violation("body", f"/{i}", str(error) or "cannot be applied")]) from None
    return doc


def _tokens(pointer: str) -> list[str]:
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise ValueError(f"{pointer!r} is not a JSON pointer")
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def _parent(doc: Any, pointer: str) -> tuple[Any, str]:
    tokens = _tokens(pointer)
    if not tokens:
        raise ValueError("the whole document cannot be the target")
    node = doc
    for token in tokens[:-1]:
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node, tokens[-1]


def _get(doc: Any, pointer: str) -> Any:
    node = doc
    for token in _tokens(pointer):
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def _apply(doc: Any, op: Any) -> Any:
    if not isinstance(op, dict) or "op" not in op or "path" not in op:
        raise ValueError("each operation has `op` and `path`")
    kind, path = op["op"], op["path"]
    if kind == "test":
        if _get(doc, path) != op.get("value"):
            raise ValueError(f"test failed at {path}")
        return doc
    if kind in ("move", "copy"):
        value = clone(_get(doc, op["from"]))
        if kind == "move":
            doc = _apply(doc, {"op": "remove", "path": op["from"]})
        return _apply(doc, {"op": "add", "path": path, "value": value})
    if path == "" and kind in ("add", "replace"):
        return clone(op.get("value"))
    parent, last = _parent(doc, path)
    if kind == "add":
        if isinstance(parent, list):
            parent.insert(len(parent) if last == "-" else int(last), clone(op["value"]))
        else:
            parent[last] = clone(op["value"])
    elif kind == "remove":
        del parent[int(last) if isinstance(parent, list) else last]
    elif kind == "replace":
        if isinstance(parent, list):
            parent[int(last)] = clone(op["value"])
        else:
            if last not in parent:
                raise KeyError(f"nothing at {path}")
            parent[last] = clone(op["value"])
    else:
        raise ValueError(f"unknown op {kind!r}")
    return doc
