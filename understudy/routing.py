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
from typing import Any

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


@dataclass
class _Node:
    literal: dict[str, "_Node"] = field(default_factory=dict)
    parameter: "_Node | None" = None  # a whole segment that is one parameter
    patterns: list[tuple[re.Pattern, "_Node"]] = field(default_factory=list)  # "{id}.json", "{a}:{b}"
    routes: list[Route] = field(default_factory=list)


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
    def __init__(self, paths: dict[str, Any]):
        """`paths`: the spec's `paths` object (templates relative to the API's base path)."""
        self.root = _Node()
        self.routes: list[Route] = []
        self._resolved: dict[tuple[str, str], tuple[Route, str, dict[str, str]]] = {}
        for order, (template, item) in enumerate(paths.items()):
            methods = tuple(m.upper() for m in HTTP_METHODS if isinstance(item, dict) and m in item)
            route = Route(template, methods, order, tuple(PARAMETER.findall(template)))
            self.routes.append(route)
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
            node.routes.append(route)

    def matches(self, path: str) -> list[tuple[Route, list[str]]]:
        """Every template that matches `path` (relative to the base path), with the parameter
        values in the order the template names them."""
        segments = path.split("/")[1:] if path.startswith("/") else None
        if segments is None:
            return []
        found: list[tuple[Route, list[str]]] = []

        def walk(node: _Node, index: int, values: list[str]) -> None:
            if index == len(segments):
                found.extend((route, values) for route in node.routes)
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

    def most_specific(self, path: str) -> list[tuple[Route, list[str]]]:
        found = self.matches(path)
        if not found:
            return []
        fewest = min(route.specificity for route, _ in found)
        return sorted(((r, v) for r, v in found if r.specificity == fewest), key=lambda rv: rv[0].order)

    def allowed(self, path: str) -> list[str]:
        """The methods of the most specific templates that match: the `Allow` of a 405."""
        methods: list[str] = []
        for route, _ in self.most_specific(path):
            methods += [m for m in route.methods if m not in methods]
        if "GET" in methods and "HEAD" not in methods:
            methods.append("HEAD")
        return methods

    def resolve(self, method: str, path: str) -> tuple[Route, str, dict[str, str]]:
        """(route, the method it serves the request with, path parameters), or NoRoute /
        MethodNotAllowed. HEAD is served by GET where the spec declares no HEAD. The paths last
        resolved are remembered (RESOLVED_KEPT)."""
        key = (method, path)
        found = self._resolved.get(key)
        if found is None:
            found = self._resolve(method, path)
            if len(self._resolved) >= RESOLVED_KEPT:
                self._resolved.clear()
            self._resolved[key] = found
        route, wanted, params = found
        return route, wanted, dict(params)

    def _resolve(self, method: str, path: str) -> tuple[Route, str, dict[str, str]]:
        candidates = self.most_specific(path)
        if not candidates:
            raise NoRoute(path)
        for wanted in (method, "GET") if method == "HEAD" else (method,):
            for route, values in candidates:
                if wanted in route.methods:
                    return route, wanted, dict(zip(route.names, values))
        raise MethodNotAllowed(self.allowed(path))
