"""What Swagger UI (4.15, the bundled one) sends on "Try it out" -> "Execute" as pre-filled: each
parameter's example (or its schema's example or default) and the credentials the docs page
authorizes on load (`docs.page_auth`). Bodies are left out: reads have none, and the optional
parameters' check sends the same body both ways."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from understudy.docs import EMPTY_USER, page_auth

METHODS = ("get", "put", "post", "delete", "patch")
PAGE = {"X-Requested-With": "XMLHttpRequest"}  # what the docs page adds to every call


def prefilled(parameter: dict) -> Any:
    """The value Swagger UI puts in a parameter's field, or None when it leaves it empty."""
    if parameter.get("examples"):
        return next(iter(parameter["examples"].values())).get("value")
    for media in (parameter.get("content") or {}).values():
        if "example" in media:
            return media["example"]
    schema = parameter.get("schema") or {}
    for source, key in ((parameter, "example"), (schema, "example"), (schema, "default")):
        if key in source:
            return source[key]
    return None


def text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


def form(name: str, value: Any, explode: bool) -> list[tuple[str, str]]:
    """A query value in OpenAPI's form style: `a=1&a=2` or `a=1,2`; an object `k=v&k2=v2` or `a=k,v,k2,v2`."""
    if isinstance(value, dict):
        pairs = [(k, text(v)) for k, v in value.items()]
        return pairs if explode else [(name, ",".join(f"{k},{v}" for k, v in pairs))]
    if isinstance(value, list):
        return [(name, text(v)) for v in value] if explode else [(name, ",".join(map(text, value)))]
    return [(name, text(value))]


@dataclass
class TryIt:
    method: str
    path: str  # the spec's template
    url: str = ""  # the template, filled in
    auth: dict[str, str] = field(default_factory=dict)  # the headers the page's authorization adds
    required: list[tuple[dict, Any]] = field(default_factory=list)  # (parameter, pre-filled value)
    optional: list[tuple[dict, Any]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # required parameters left empty: no Execute

    @property
    def id(self) -> str:
        return f"{self.method.upper()} {self.path}"

    def request(self, with_optional: bool = True) -> tuple[list[tuple[str, str]], dict[str, str]]:
        """The query and headers sent (the optional parameters' examples too, or not)."""
        query, headers = [], {**PAGE, **self.auth}
        for parameter, value in self.required + (self.optional if with_optional else []):
            if parameter["in"] == "query":
                query += form(parameter["name"], value, parameter.get("explode", parameter.get("style", "form") == "form"))
            elif parameter["in"] == "header":
                headers[parameter["name"]] = text(value)
        return query, headers


def authorization(spec: dict, operation: dict, auth: dict[str, dict]) -> dict[str, str]:
    """The headers swagger-client adds for every authorized scheme the operation names."""
    schemes = spec.get("components", {}).get("securitySchemes", {})
    headers: dict[str, str] = {}
    for requirement in operation.get("security", spec.get("security")) or []:
        for name in requirement:
            scheme, credential = schemes.get(name, {}), auth.get(name)
            if credential is None:
                continue
            if scheme.get("type") == "http" and scheme.get("scheme", "").lower() == "basic":
                user = "" if credential["username"] == EMPTY_USER else credential["username"]  # as the page sends it
                pair = f"{user}:{credential['password']}".encode()
                headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
            elif scheme.get("type") == "http":
                headers["Authorization"] = f"Bearer {credential['value']}"
            elif scheme.get("in") == "header":
                headers[scheme["name"]] = credential["value"]
    return headers


def try_its(spec: dict, demo: dict[str, dict]) -> list[TryIt]:
    """Every operation as Swagger UI pre-fills it, authorized as the docs page is."""
    auth = page_auth(spec, demo)
    found = []
    for path, item in spec["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            case = TryIt(method, path, path, authorization(spec, operation, auth))
            for parameter in operation.get("parameters", []):
                value = prefilled(parameter)
                if value is None or value == "":
                    if parameter.get("required"):
                        case.missing.append(parameter["name"])
                elif parameter["in"] == "path":
                    case.url = case.url.replace("{" + parameter["name"] + "}", text(value))
                elif parameter["in"] in ("query", "header"):
                    (case.required if parameter.get("required") else case.optional).append((parameter, value))
            found.append(case)
    return found
