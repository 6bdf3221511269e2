"""One plausible request per operation of a user's spec, as a client reading the spec would send
it: path, query, header and cookie parameters from their examples (else generated from their
schemas), a body from the request's example (else generated), and the demo credentials that
`GET /__understudy/credentials` lists for the operation's first security requirement. An item of
an inferred resource is one that exists (created first when there is none), as a client reads
what it created or listed.

    probe = Probe(app, client, load_spec(path))
    for op in probe.sample(30):
        response = probe.send(op)
    probe.lifecycle(resource)   # POST, GET of its id, PATCH, DELETE, GET (404)
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from understudy.generated import Bodies, Unsatisfiable
from understudy.generated.resources import Resource, Resources, _properties, infer
from understudy.parameters import scalar
from understudy.spec.load import Spec
from understudy.spec.routing import client_path, has_special, split_template
from understudy.spec.walk import Operation, operations, parameters, resolve

JSON_TYPES = ("application/json", "application/merge-patch+json", "application/json-patch+json")
_NONE = object()
TALLY: Counter = Counter()  # requests, 2xx, pairs, read back: summed over xdist workers by conftest


@dataclass
class Sent:
    """One request and what came back."""

    op: Operation
    method: str
    url: str
    status: int
    body: bytes
    documented: bool  # the status is one the operation documents
    headers: dict = field(default_factory=dict)
    sent: Any = None  # the request body, parsed (JSON or form fields)

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def describe(self) -> str:
        return f"{self.method} {self.url} -> {self.status} {self.body[:300]!r}"


class Probe:
    def __init__(self, app: Any, client: Any, spec: Spec):
        """`spec`: the spec the app serves, loaded again (`load_spec`)."""
        self.app, self.client, self.spec = app, client, spec
        self.mount = next(iter(app.mounts.values()))
        self.api = self.mount.api
        self.document = spec.document
        self.bodies = Bodies(self.spec)
        self.resources: Resources = infer(self.spec)
        listing = client.get("/__understudy/credentials").json()[self.api.name]
        self.credentials = {entry["scheme"]: entry for entry in listing}
        self.ops = list(operations(self.document))
        self.by_key = {(op.method, op.path): op for op in self.ops}

    # -- which operations --------------------------------------------------------------------
    def sample(self, limit: int = 30, keep: Any = None) -> list[Operation]:
        """Up to `limit` operations (those `keep` keeps) spread evenly over the spec, deletes last
        (so the others find what they read)."""
        ops = [op for op in self.ops if keep is None or keep(op)]
        ops = ops if len(ops) <= limit else [ops[i * len(ops) // limit] for i in range(limit)]
        return sorted(ops, key=lambda op: op.method == "delete")

    def documents_success(self, op: Operation) -> bool:
        return any(str(k)[:1] == "2" or k == "default" for k in op.operation.get("responses") or {})

    def client_path(self, op: Operation) -> str:
        """The template as the served spec (and Schemathesis) names the operation."""
        return op.path

    # -- building a request ------------------------------------------------------------------
    def value(self, holder: dict, schema: Any) -> Any:
        """A parameter's example (validated) or a generated value."""
        ok, found = self.bodies.example_of(holder, "request")
        if ok:
            return found
        schema = schema if isinstance(schema, dict) else {}
        if "example" in schema and self.bodies.valid(schema, schema["example"], "request"):
            return schema["example"]
        return self.bodies.value(schema, "request")

    def existing(self, resource: Resource, create: bool = True) -> dict | None:
        """A stored entry of the resource (created through its collection when there is none)."""
        view = self.app.store.view(self.api.name)
        found = view.all(resource.name)
        if found or not create:
            return found[0] if found else None
        created = self.send(self.by_key[("post", resource.collection)])
        if created.status >= 300:
            return None
        found = view.all(resource.name)
        return found[-1] if found else None

    def request(self, op: Operation, fixed: dict[str, str] | None = None) -> dict:
        """The request to send for `op` (`fixed`: path parameter values to use)."""
        fixed = dict(fixed or {})
        role = self.resources.role(op.method, op.path)
        if role.resource is not None and not fixed and role.role not in ("create", "list"):
            entry = self.existing(role.resource)
            if entry is not None:
                fixed = {**entry.get("parents", {}), role.resource.id_param: entry["id"]}
        elif role.resource is not None and not fixed and role.resource.parents:
            entry = self.existing(role.resource, create=False)
            if entry is not None:
                fixed = dict(entry.get("parents", {}))
        path_template, fixed_query, fragment = split_template(op.path) if has_special(op.path) else (op.path, {}, "")
        path_values: dict[str, str] = {}
        query: list[tuple[str, str]] = []
        headers: dict[str, str] = {}
        cookies: dict[str, str] = {}
        for param in parameters(self.document, op):
            where, name = param["in"], param["name"]
            schema = resolve(self.document, param.get("schema") or {})
            if where == "path":
                value = fixed[name] if name in fixed else self.value(param, schema)
                path_values[name] = _path_value(param, name, value)
            elif not param.get("required"):
                continue
            elif where == "query":
                query += _query_pairs(param, name, self.value(param, schema))
            elif where == "header":
                headers[name] = _scalar(self.value(param, schema), ",")
            elif where == "cookie":
                cookies[name] = _scalar(self.value(param, schema), ",")
        credentials = self.credentials_for(op)
        headers.update(credentials.get("headers", {}))
        query += list(credentials.get("query", {}).items())
        cookies.update(credentials.get("cookies", {}))
        path = client_path(op.path) if has_special(op.path) else path_template
        for name, value in path_values.items():
            path = path.replace("{" + name + "}", quote(value, safe=""))
        path = self.mount.base_path + path
        content, media = self.body(op)
        if media is not None:
            headers["Content-Type"] = media
        url = path + ("?" + urlencode(query) if query else "")
        return {"method": op.method.upper(), "url": url, "headers": headers, "cookies": cookies, "content": content}

    def credentials_for(self, op: Operation) -> dict:
        security = op.operation.get("security", self.document.get("security")) or []
        for requirement in security:
            if not requirement:
                return {}
            if all(name in self.credentials for name in requirement):
                merged: dict = {"headers": {}, "query": {}, "cookies": {}}
                for name in requirement:
                    for part in merged:
                        merged[part].update(self.credentials[name].get(part) or {})
                return merged
        return {}

    def body(self, op: Operation) -> tuple[bytes | None, str | None]:
        request_body = resolve(self.document, op.operation.get("requestBody") or {})
        content = (request_body or {}).get("content") or {}
        if not content:
            return None, None
        media = next((m for m in content if m.split(";")[0].strip() in JSON_TYPES or m.endswith("+json")),
                     next(iter(content)))
        entry = content[media] if isinstance(content[media], dict) else {}
        schema = entry.get("schema")
        base = media.split(";")[0].strip().lower()
        ok, value = self.bodies.example_of(entry, "request")
        if not ok:
            value = self.generated(schema, form=base in ("application/x-www-form-urlencoded", "multipart/form-data"))
        if media == "*/*" or base == "application/*":
            media = "application/json"
            base = media
        if base in JSON_TYPES or base.endswith("+json"):
            return json.dumps(value).encode(), media
        if base == "application/x-www-form-urlencoded":
            return urlencode(_form_pairs(value)).encode(), media
        if base == "multipart/form-data":
            boundary = "understudy-probe"
            parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
                     for k, v in _form_pairs(value)]
            return ("".join(parts) + f"--{boundary}--\r\n").encode(), f"multipart/form-data; boundary={boundary}"
        return (value if isinstance(value, str) else json.dumps(value)).encode(), media

    def generated(self, schema: Any, form: bool) -> Any:
        """A body generated from its schema; for a form, one a form can carry (no empty array
        or object, which a form cannot write), as a client filling the form would send."""
        if not isinstance(schema, dict):
            return None
        import random

        first = None
        for seed in [None, *range(40)] if form else [None]:
            try:
                value = self.bodies.value(schema, "request", random.Random(seed) if seed is not None else None)
            except Unsatisfiable:
                continue
            first = value if first is None else first
            if not form or not _has_empty(value):
                return value
        return first

    # -- sending ----------------------------------------------------------------------------
    def send(self, op: Operation, fixed: dict | None = None) -> Sent:
        request = self.request(op, fixed)
        self.client.cookies.clear()
        for name, value in request["cookies"].items():
            self.client.cookies.set(name, value)
        response = self.client.request(request["method"], request["url"], headers=request["headers"],
                                       content=request["content"])
        responses = op.operation.get("responses") or {}
        status = str(response.status_code)
        documented = any(k in responses for k in (status, status[0] + "XX", status[0] + "xx", "default"))
        return Sent(op, request["method"], request["url"], response.status_code, response.content, documented,
                    dict(response.headers), _parsed(request))

    def lifecycle(self, resource: Resource) -> list[Sent]:
        """POST a new one, GET its id, PATCH it (when the spec has PATCH), DELETE it (when it has
        DELETE), GET it again: the answers, in order."""
        view = self.app.store.view(self.api.name)
        before = {e["id"]: e["document"] for e in view.all(resource.name)}
        created = self.send(self.by_key[("post", resource.collection)])
        out = [created]
        # what the POST stored: a new entry, or one it replaced (a client-chosen id already taken)
        new = [e for e in view.all(resource.name) if before.get(e["id"], _NONE) != e["document"]]
        if created.status >= 300 or not new:
            return out
        ids = {**new[0].get("parents", {}), resource.id_param: new[0]["id"]}
        for method in ("get", "patch", "delete", "get"):
            op = self.by_key.get((method, resource.item))
            if op is not None:
                out.append(self.send(op, ids))
        return out


def _scalar(value: Any, joiner: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return joiner.join(_scalar(v, joiner) for v in value)
    if isinstance(value, dict):
        return joiner.join(f"{k}{joiner}{_scalar(v, joiner)}" for k, v in value.items())
    return "" if value is None else str(value)


def _path_value(param: dict, name: str, value: Any) -> str:
    style, explode = param.get("style", "simple"), bool(param.get("explode", False))
    if style == "label":
        return "." + _scalar(value, "." if explode else ",")
    if style == "matrix":
        if isinstance(value, list) and explode:
            return "".join(f";{name}={_scalar(v, ',')}" for v in value)
        return f";{name}={_scalar(value, ',')}"
    if isinstance(value, dict) and explode:
        return ",".join(f"{k}={_scalar(v, ',')}" for k, v in value.items())
    return _scalar(value, ",")


def _query_pairs(param: dict, name: str, value: Any) -> list[tuple[str, str]]:
    style = param.get("style", "form")
    explode = bool(param.get("explode", style == "form"))
    if isinstance(value, dict):
        if style == "deepObject":
            return [(f"{name}[{k}]", _scalar(v, ",")) for k, v in value.items()]
        if explode:
            return [(k, _scalar(v, ",")) for k, v in value.items()]
        return [(name, _scalar(value, ","))]
    if isinstance(value, list):
        if explode and style == "form":
            return [(name, _scalar(v, ",")) for v in value]
        joiner = {"spaceDelimited": " ", "pipeDelimited": "|"}.get(style, ",")
        return [(name, _scalar(value, joiner))]
    return [(name, _scalar(value, ","))]


def _form_pairs(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """A form body's fields (nested objects as `a[b]`, arrays as repeated `a[]`... kept simple:
    repeated names)."""
    if not isinstance(value, dict):
        return [] if value is None else [(prefix or "value", _scalar(value, ","))]
    pairs: list[tuple[str, str]] = []
    for key, item in value.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if isinstance(item, dict):
            pairs += _form_pairs(item, name)
        elif isinstance(item, list):
            for i, element in enumerate(item):  # objects as `name[0][key]` (Stripe), scalars repeated
                pairs += _form_pairs(element, f"{name}[{i}]") if isinstance(element, dict) else \
                    [] if isinstance(element, list) else [(name, _scalar(element, ","))]
        elif item is not None:
            pairs.append((name, _scalar(item, ",")))
    return pairs


def _parsed(request: dict) -> Any:
    content, media = request.get("content"), request["headers"].get("Content-Type", "")
    if not content:
        return None
    if "json" in media:
        return json.loads(content)
    if media.startswith("application/x-www-form-urlencoded"):
        from urllib.parse import parse_qsl

        return dict(parse_qsl(content.decode()))
    return None


def _document(resource: Resource, answer: Any) -> Any:
    return answer.get(resource.item_wrap) if resource.item_wrap and isinstance(answer, dict) else answer


def read_back(probe: Probe, resource: Resource, steps: list[Sent]) -> str | None:
    """None when the lifecycle kept its promises: the POST created (2xx); the GET of its id
    answered 2xx showing every scalar field the POST sent that the item's schema can hold (a
    field whose request and response schemas disagree, Box's `scope: enterprise` against
    `enterprise_<id>`, cannot be shown); the PATCH and the DELETE answered 2xx (where they
    document a success); and the GET after the DELETE found nothing (404). Else what went wrong."""
    created = steps[0]
    if created.status >= 300:
        return f"POST: {created.describe()}"
    if len(steps) < 2:
        return "POST stored nothing the store shows"
    read = steps[1]
    if read.status >= 300:
        return f"GET: {read.describe()}"
    got = _document(resource, read.json())
    if isinstance(got, dict) and isinstance(created.sent, dict):
        lost = sorted(k for k in comparable(probe, resource, created.sent)
                      if k in got and not isinstance(got[k], (dict, list)) and _text(got[k]) != _text(created.sent[k]))
        if lost:
            return f"GET does not show what was POSTed for {lost}: {read.describe()}"
    later = [step for step in steps[2:] if probe.documents_success(step.op) or step.method == "GET"]
    deleted = any(step.method == "DELETE" for step in later)
    for step in later[:-1] if deleted else later:
        if step.status >= 300:
            return f"{step.method}: {step.describe()}"
    if deleted and later[-1].method == "GET" and later[-1].status != 404:
        return f"GET after DELETE: {later[-1].describe()}"
    return None


def comparable(probe: Probe, resource: Resource, sent: Any) -> list[str]:
    """The scalar fields of a POSTed body that the item's schema can show as sent (the id left
    out: the server assigns it); none when the request and the answer name fields differently
    (Twilio's `FriendlyName` form field, `friendly_name` in the answer)."""
    if not isinstance(sent, dict):
        return []
    props = _properties(probe.document, resource.item_schema)
    return sorted(k for k, v in sent.items()
                  if k in props and k != resource.id_field and not isinstance(v, (dict, list))
                  and _holds(probe, props[k], v))


def _holds(probe: Probe, schema: Any, value: Any) -> bool:
    """Whether a response property can hold a sent value (as sent, or as its text / number)."""
    if schema is None:
        return True
    forms = [value, _text(value)] + ([scalar(value, resolve(probe.document, schema))] if isinstance(value, str) else [])
    return any(probe.bodies.valid(schema, form, "response") for form in forms)


def _text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _has_empty(value: Any) -> bool:
    if isinstance(value, (dict, list)) and not value:
        return True
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return any(_has_empty(v) for v in items)
