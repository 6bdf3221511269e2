"""Swagger 2.0 -> OpenAPI 3.0.3: body and formData parameters become a requestBody, produces and
consumes become content, definitions / parameters / responses become components (every `$ref`
rewritten), securityDefinitions become securitySchemes (basic, apiKey, the four oauth2 flows),
host / basePath / schemes become servers, collectionFormat becomes style / explode. `x-`
extensions are kept where they were."""

from __future__ import annotations

from typing import Any

from .walk import METHODS, SCHEMA

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
REFS = {"#/definitions/": "#/components/schemas/", "#/parameters/": "#/components/parameters/",
        "#/responses/": "#/components/responses/"}
# collectionFormat -> (style, explode), for query parameters / for path and header parameters
COLLECTION_QUERY = {"csv": ("form", False), "ssv": ("spaceDelimited", False), "pipes": ("pipeDelimited", False),
                    "multi": ("form", True)}
COLLECTION_SIMPLE = {"csv": ("simple", False)}
OAUTH2_FLOWS = {"implicit": "implicit", "password": "password", "application": "clientCredentials",
                "accessCode": "authorizationCode"}
# Keywords a non-body 2.0 parameter shares with the schema of its 3.0 form.
SCHEMA_KEYS = ("type", "format", "items", "default", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum",
               "maxLength", "minLength", "pattern", "maxItems", "minItems", "uniqueItems", "enum", "multipleOf")


def convert(doc: dict) -> dict:
    """A Swagger 2.0 document (refs local) as OpenAPI 3.0.3."""
    out: dict[str, Any] = {"openapi": "3.0.3"}
    for key, value in doc.items():
        if key.startswith("x-") or key in ("info", "tags", "externalDocs", "security"):
            out[key] = value
    out.setdefault("info", {"title": "API", "version": "0"})
    out["servers"] = _servers(doc)
    produces, consumes = doc.get("produces") or [], doc.get("consumes") or []
    components: dict[str, Any] = {}
    if isinstance(doc.get("definitions"), dict):
        components["schemas"] = {k: _schema(v) for k, v in doc["definitions"].items()}
    global_params = doc.get("parameters") if isinstance(doc.get("parameters"), dict) else {}
    plain = {k: _parameter(v) for k, v in global_params.items()
             if isinstance(v, dict) and v.get("in") not in ("body", "formData")}
    if plain:
        components["parameters"] = plain
    if isinstance(doc.get("responses"), dict):
        components["responses"] = {k: _response(v, produces or ["application/json"])
                                   for k, v in doc["responses"].items()}
    if isinstance(doc.get("securityDefinitions"), dict):
        components["securitySchemes"] = {k: _security_scheme(v) for k, v in doc["securityDefinitions"].items()}
    paths: dict[str, Any] = {}
    for path, item in (doc.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        if path.startswith("x-"):
            paths[path] = item
            continue
        paths[path] = _path_item(item, global_params, produces, consumes)
    out["paths"] = paths
    if components:
        out["components"] = components
    return _rewrite_refs(out)


def _servers(doc: dict) -> list[dict]:
    base = doc.get("basePath") or ""
    host = doc.get("host")
    if not host:
        return [{"url": base or "/"}]
    schemes = [s for s in (doc.get("schemes") or ["https"]) if s in ("http", "https", "ws", "wss")] or ["https"]
    return [{"url": f"{scheme}://{host}{base}"} for scheme in schemes]


def _path_item(item: dict, global_params: dict, produces: list, consumes: list) -> dict:
    out: dict[str, Any] = {k: v for k, v in item.items() if k.startswith("x-") or k in ("summary", "description")}
    shared = item.get("parameters") or []
    for method in METHODS:
        op = item.get(method)
        if isinstance(op, dict):
            out[method] = _operation(op, shared, global_params, produces, consumes)
    return out


def _resolve_param(param: Any, global_params: dict) -> Any:
    ref = param.get("$ref") if isinstance(param, dict) else None
    if isinstance(ref, str) and ref.startswith("#/parameters/"):
        return global_params.get(ref[len("#/parameters/"):], {})
    return param


def _operation(op: dict, shared: list, global_params: dict, produces: list, consumes: list) -> dict:
    out: dict[str, Any] = {}
    for key, value in op.items():
        if key.startswith("x-") or key in ("tags", "summary", "description", "externalDocs", "operationId",
                                           "deprecated", "security"):
            out[key] = value
    consumes = op.get("consumes") or consumes or ["application/json"]
    produces = op.get("produces") or produces or ["application/json"]
    # The operation's parameters override the path item's of the same name and location.
    merged: dict[tuple, tuple[Any, dict]] = {}
    for param in list(shared) + list(op.get("parameters") or []):
        resolved = _resolve_param(param, global_params)
        if isinstance(resolved, dict):
            merged[(resolved.get("in"), resolved.get("name"))] = (param, resolved)
    params, body, form = [], None, []
    for param, resolved in merged.values():
        where = resolved.get("in")
        if where == "body":
            body = resolved
        elif where == "formData":
            form.append(resolved)
        elif "$ref" in param and param["$ref"].startswith("#/parameters/"):
            params.append({"$ref": param["$ref"]})
        else:
            params.append(_parameter(resolved))
    if params:
        out["parameters"] = params
    if body is not None:
        out["requestBody"] = _body(body, consumes)
        if body.get("name"):
            out["x-codegen-request-body-name"] = body["name"]
    elif form:
        out["requestBody"] = _form(form, consumes)
    out["responses"] = {str(code): _response(resp, produces) for code, resp in (op.get("responses") or {}).items()}
    if not out["responses"]:
        out["responses"] = {"default": {"description": "Default response"}}
    return out


def _parameter(param: dict) -> dict:
    if "$ref" in param:
        return dict(param)
    out = {k: v for k, v in param.items() if k.startswith("x-") or k in ("name", "in", "description", "required",
                                                                          "allowEmptyValue", "deprecated")}
    if param.get("in") == "path":
        out["required"] = True
    schema = _schema({k: param[k] for k in SCHEMA_KEYS if k in param})
    if param.get("x-nullable"):
        schema["nullable"] = True
    out["schema"] = schema
    if param.get("type") == "array":
        fmt = param.get("collectionFormat", "csv")
        table = COLLECTION_QUERY if param.get("in") in ("query", "formData") else COLLECTION_SIMPLE
        if fmt in table:
            out["style"], out["explode"] = table[fmt]
        else:
            out["x-collectionFormat"] = fmt
    if "example" in param:
        out["example"] = param["example"]
    return out


def _body(param: dict, consumes: list) -> dict:
    schema = _schema(param.get("schema") or {})
    out: dict[str, Any] = {"content": {mime: {"schema": schema} for mime in consumes}}
    for key in ("description", "required"):
        if key in param:
            out[key] = param[key]
    out.update({k: v for k, v in param.items() if k.startswith("x-") and k != "x-nullable"})
    for example_key in ("x-example", "example"):
        if example_key in param:
            for media in out["content"].values():
                media["example"] = param[example_key]
    return out


def _form(params: list[dict], consumes: list) -> dict:
    props, required = {}, []
    for param in params:
        prop = _schema({k: param[k] for k in SCHEMA_KEYS if k in param})
        if "description" in param:
            prop["description"] = param["description"]
        props[param["name"]] = prop
        if param.get("required"):
            required.append(param["name"])
    schema: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        schema["required"] = required
    has_file = any(p.get("type") == "file" for p in params)
    mimes = [m for m in consumes if m in FORM_TYPES] or (["multipart/form-data"] if has_file
                                                         else ["application/x-www-form-urlencoded"])
    return {"content": {mime: {"schema": schema} for mime in mimes},
            **({"required": True} if required else {})}


def _response(resp: Any, produces: list) -> dict:
    if not isinstance(resp, dict):
        return {"description": ""}
    if "$ref" in resp:
        return {"$ref": resp["$ref"]}
    out: dict[str, Any] = {k: v for k, v in resp.items() if k.startswith("x-")}
    out["description"] = resp.get("description", "")
    if isinstance(resp.get("headers"), dict):
        out["headers"] = {}
        for name, header in resp["headers"].items():
            if not isinstance(header, dict):
                continue
            converted: dict[str, Any] = {"schema": _schema({k: header[k] for k in SCHEMA_KEYS if k in header})}
            if "description" in header:
                converted["description"] = header["description"]
            out["headers"][name] = converted
    examples = resp.get("examples") if isinstance(resp.get("examples"), dict) else {}
    if "schema" in resp:
        schema = _schema(resp["schema"])
        out["content"] = {mime: {"schema": schema} for mime in produces}
        for mime, value in examples.items():
            out["content"].setdefault(mime, {"schema": schema})["example"] = value
    elif examples:
        out["content"] = {mime: {"example": value} for mime, value in examples.items()}
    return out


def _security_scheme(scheme: Any) -> dict:
    if not isinstance(scheme, dict):
        return {}
    kind = scheme.get("type")
    extra = {k: v for k, v in scheme.items() if k.startswith("x-") or k == "description"}
    if kind == "basic":
        return {"type": "http", "scheme": "basic", **extra}
    if kind == "apiKey":
        return {"type": "apiKey", "name": scheme.get("name", ""), "in": scheme.get("in", "header"), **extra}
    if kind == "oauth2":
        flow = OAUTH2_FLOWS.get(scheme.get("flow", ""), "implicit")
        body: dict[str, Any] = {"scopes": scheme.get("scopes") or {}}
        if flow in ("implicit", "authorizationCode"):
            body["authorizationUrl"] = scheme.get("authorizationUrl", "")
        if flow in ("password", "clientCredentials", "authorizationCode"):
            body["tokenUrl"] = scheme.get("tokenUrl", "")
        return {"type": "oauth2", "flows": {flow: body}, **extra}
    return dict(scheme)


def _schema(schema: Any) -> Any:
    """A 2.0 schema in 3.0 form: x-nullable -> nullable, type file -> binary string, a string
    discriminator -> {propertyName}; nested schemas likewise."""
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        spec = SCHEMA.get(key)
        if spec is None or key == "definitions":
            out[key] = value
        elif isinstance(value, list) and spec[1] in ("list", "one-or-list"):
            out[key] = [_schema(v) for v in value]
        elif isinstance(value, dict) and spec[1] == "map":
            out[key] = {k: _schema(v) for k, v in value.items()}
        else:
            out[key] = _schema(value)
    if out.pop("x-nullable", False) is True:
        out["nullable"] = True
    if out.get("type") == "file":
        out["type"], out["format"] = "string", "binary"
    if isinstance(out.get("discriminator"), str):
        out["discriminator"] = {"propertyName": out["discriminator"]}
    return out


def _rewrite_refs(value: Any) -> Any:
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                for old, new in REFS.items():
                    if ref.startswith(old):
                        node["$ref"] = new + ref[len(old):]
                        break
            stack.extend(v for v in node.values() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, (dict, list)))
    return value
