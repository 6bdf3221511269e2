"""Which operation a request names: one table per API, compiled once from the spec's path templates.

A concrete path belongs to its most specific templates, those with the fewest parameters
(`/things/all` over `/things/{id}`), as a client reading the spec expects. A method those templates
do not declare is 405 with `Allow`, even where a less specific template would take it
(`PUT /users/search` is not `PUT /users/{id}`). `{id}` matches a segment whatever the parameter's
type, so a wrong-typed id reaches validation and is reported as a violation, not as an unknown
route. Templates are indexed by segment, so a lookup costs the depth of the path, not the number of
paths (GitHub's description has more than 700)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import unquote

from .spec.routing import discriminators

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
PARAMETER = re.compile(r"\{([^{}/]+)\}")


@dataclass
class Route:
    template: str  # as the spec writes it: "/bookings/{id}"
    methods: tuple[str, ...]  # upper case, in the spec's order
    order: int  # position in the spec: the first of equally specific templates wins
    names: tuple[str, ...]  # parameter names, in the order they appear

    @property
    def specificity(self) -> int:
        return len(self.names)


@dataclass(frozen=True)
class _Entry:
    """How a route is reached from one indexed form of its template."""

    route: Route
    names: tuple[str, ...]  # the parameters of the indexed form, in order
    needs: tuple[tuple[str, str | None], ...] = ()  # query parameters / headers (and values) it needs

    def rank(self) -> tuple[int, int, int, int]:
        """Better first: fewer parameters, more of the request's query parameters / headers
        needed, a `?`/`#` template sent percent-encoded as written, then the spec's order."""
        written = 0 if not self.needs and ("?" in self.route.template or "#" in self.route.template) else 1
        return len(self.names), -len(self.needs), written, self.route.order


@dataclass
class _Node:
    literal: dict[str, "_Node"] = field(default_factory=dict)
    parameter: "_Node | None" = None  # a whole segment that is one parameter
    patterns: list[tuple[re.Pattern, "_Node"]] = field(default_factory=list)  # "{id}.json", "{a}:{b}"
    routes: list[_Entry] = field(default_factory=list)


Carries = Callable[[str, "str | None"], bool]


class NoRoute(Exception):
    """No template matches the path."""


class MethodNotAllowed(Exception):
    def __init__(self, allowed: list[str]):
        super().__init__(", ".join(allowed))
        self.allowed = allowed


def _segment_pattern(segment: str) -> re.Pattern:
    parts, last = [], 0
    for found in PARAMETER.finditer(segment):
        parts.append(re.escape(segment[last:found.start()]) + "([^/]+?)")
        last = found.end()
    return re.compile("".join(parts) + re.escape(segment[last:]) + "$")


RESOLVED_KEPT = 1024  # (method, path) -> route: a client repeats its paths


class RouteTable:
    def __init__(self, paths: dict[str, Any], fallback: bool = False,
                 admits: "Callable[[Route, dict[str, str]], bool] | None" = None):
        """`paths`: the spec's `paths` object (templates relative to the API's base path).
        `fallback`: a method the most specific templates lack is served by a less specific
        template that declares it (GitLab documents `PUT /services/asana` beside
        `GET /services/{slug}`, and its server answers both), and `Allow` lists them all;
        `admits(route, params)` says whether a less specific template can take those values
        (petstore's `POST /pet/findByTags` is not `POST /pet/{petId}` with an integer petId).
        A template with `?` or `#` (`/{Bucket}#encryption`, `/current?city={city}`) is reached
        percent-encoded as written, and by its path part when the request carries what it names
        after them as query parameters or headers (`understudy.spec.routing.discriminators`)."""
        self.fallback = fallback
        self.admits = admits
        self.root = _Node()
        self.routes: list[Route] = []
        self.discriminated = False  # whether some route needs query parameters or headers
        self._resolved: dict[tuple, tuple[Route, str, dict[str, str]]] = {}
        for order, (template, item) in enumerate(paths.items()):
            methods = tuple(m.upper() for m in HTTP_METHODS if isinstance(item, dict) and m in item)
            route = Route(template, methods, order, tuple(PARAMETER.findall(template)))
            self.routes.append(route)
            self._index(template, _Entry(route, route.names))
            if "?" in template or "#" in template:
                path, needs = discriminators(template)
                self._index(path, _Entry(route, tuple(PARAMETER.findall(path)), needs))
                self.discriminated = self.discriminated or bool(needs)

    def _index(self, template: str, entry: _Entry) -> None:
        node = self.root
        for segment in template.split("/")[1:]:
            if not PARAMETER.search(segment):
                node = node.literal.setdefault(segment, _Node())
            elif PARAMETER.fullmatch(segment):
                node.parameter = node.parameter or _Node()
                node = node.parameter
            else:
                pattern = _segment_pattern(segment)
                found = next((n for p, n in node.patterns if p.pattern == pattern.pattern), None)
                if found is None:
                    found = _Node()
                    node.patterns.append((pattern, found))
                node = found
        node.routes.append(entry)

    def matches(self, path: str, encoded: bool = False, carries: Carries | None = None
                ) -> list[tuple[Route, dict[str, str], tuple]]:
        """Every template that matches `path` (relative to the base path): (route, its path
        parameters, its rank: see `_Entry.rank`). `encoded`: the path as sent,
        split before each segment is decoded (a parameter holding `%2F`). `carries(name, value)`:
        whether the request has that query parameter or header (with that value); a template
        reached by its path part matches only when the request carries what it names."""
        segments = path.split("/")[1:] if path.startswith("/") else None
        if segments is None:
            return []
        if encoded:
            segments = [unquote(segment) for segment in segments]
        found: list[tuple[Route, dict[str, str], tuple]] = []

        def walk(node: _Node, index: int, values: list[str]) -> None:
            if index == len(segments):
                found.extend((entry.route, dict(zip(entry.names, values)), entry.rank()) for entry in node.routes
                             if not entry.needs or (carries is not None and all(carries(n, v) for n, v in entry.needs)))
                return
            segment = segments[index]
            child = node.literal.get(segment)
            if child is not None:
                walk(child, index + 1, values)
            if node.parameter is not None and segment:
                walk(node.parameter, index + 1, values + [segment])
            for pattern, child in node.patterns:
                hit = pattern.match(segment)
                if hit and all(hit.groups()):
                    walk(child, index + 1, values + list(hit.groups()))

        walk(self.root, 0, [])
        return found

    def most_specific(self, path: str, encoded: bool = False, carries: Carries | None = None
                      ) -> list[tuple[Route, dict[str, str]]]:
        """The templates a request's path belongs to, best first: the fewest parameters, then
        the most query parameters / headers matched (`/{Bucket}#encryption` over `/{Bucket}` for
        `?encryption`), then the spec's order (all of them, fewest parameters first, with `fallback`)."""
        found = self.matches(path, encoded, carries)
        if not found:
            return []
        fewest = min(rank[0] for _, _, rank in found)
        if not self.fallback:
            found = [f for f in found if f[2][0] == fewest]
        elif self.admits is not None:
            found = [f for f in found if f[2][0] == fewest or self.admits(f[0], f[1])]
        found.sort(key=lambda f: f[2])
        best: dict[str, tuple[Route, dict[str, str]]] = {}  # a template once, in its best form
        for route, params, _ in found:
            best.setdefault(route.template, (route, params))
        return list(best.values())

    def allowed(self, path: str, encoded: bool = False, carries: Carries | None = None) -> list[str]:
        """The methods of the most specific templates that match: the `Allow` of a 405."""
        methods: list[str] = []
        for route, _ in self.most_specific(path, encoded, carries):
            methods += [m for m in route.methods if m not in methods]
        if "GET" in methods and "HEAD" not in methods:
            methods.append("HEAD")
        return methods

    def resolve(self, method: str, path: str, encoded: bool = False, carries: Carries | None = None
                ) -> tuple[Route, str, dict[str, str]]:
        """(route, the method it serves the request with, path parameters), or NoRoute /
        MethodNotAllowed. HEAD is served by GET where the spec declares no HEAD. Where no route
        depends on query parameters or headers, the paths last resolved are remembered
        (RESOLVED_KEPT)."""
        if self.discriminated:
            return self._resolve(method, path, encoded, carries)
        key = (method, path, encoded)
        found = self._resolved.get(key)
        if found is None:
            found = self._resolve(method, path, encoded, carries)
            if len(self._resolved) >= RESOLVED_KEPT:
                self._resolved.clear()
            self._resolved[key] = found
        route, wanted, params = found
        return route, wanted, dict(params)

    def _resolve(self, method: str, path: str, encoded: bool, carries: Carries | None
                 ) -> tuple[Route, str, dict[str, str]]:
        candidates = self.most_specific(path, encoded, carries)
        if not candidates:
            raise NoRoute(path)
        for wanted in (method, "GET") if method == "HEAD" else (method,):
            for route, params in candidates:
                if wanted in route.methods:
                    return route, wanted, params
        raise MethodNotAllowed(self.allowed(path, encoded, carries))


def carried(query: dict[str, list[str]], headers: Any) -> Carries:
    """`carries` for a request's query (name -> values) and headers (case-insensitive `get`)."""
    def carries(name: str, value: str | None) -> bool:
        sent = query.get(name) or ([headers.get(name)] if headers.get(name) is not None else [])
        return bool(sent) and (value is None or value in sent)
    return carries
