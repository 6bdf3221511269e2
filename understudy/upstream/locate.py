"""Which API a recorded request was for, and its path below that API's base path.

In order: the entry's own `_understudy` field (a recording of ours); the base URL given
(`understudy drift --base-url`); the host and path of one of the spec's `servers` (a browser's
HAR of the real service); understudy's own URLs (`/<api>` + base path, or the base path of the
API served at the root). An entry none of these place is not a request to a served API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable
from urllib.parse import unquote, urlsplit

from .har import OURS


@dataclass(frozen=True)
class Place:
    api: str
    host: str | None  # lower-case host[:port], or None for any host
    path: str  # the path the API's operations are below, without a trailing "/"


def server_places(api: str, spec: dict) -> list[Place]:
    """Where each of the spec's servers puts the API (variables at their defaults)."""
    places = []
    for server in spec.get("servers") or []:
        if not isinstance(server, dict) or not isinstance(server.get("url"), str):
            continue
        url = server["url"]
        for name, variable in (server.get("variables") or {}).items():
            default = variable.get("default", "") if isinstance(variable, dict) else ""
            url = url.replace("{" + name + "}", str(default))
        parts = urlsplit(url)
        if parts.netloc:
            places.append(Place(api, parts.netloc.lower(), parts.path.rstrip("/")))
    return places


class Locator:
    def __init__(self, mounts: Iterable[Any], base_url: str | None = None):
        """`mounts`: the server's mounts (name, base_path, and the ApiApp's spec)."""
        mounts = list(mounts)
        self.names = {m.name for m in mounts}
        self.given: list[Place] = []
        if base_url:
            parts = urlsplit(base_url)
            self.given = [Place(m.name, parts.netloc.lower() or None, parts.path.rstrip("/")) for m in mounts]
        self.servers = [place for m in mounts for place in server_places(m.name, m.app.spec)]
        self.own = [Place(m.name, None, m.base_path.rstrip("/")) for m in mounts]

    def locate(self, entry: dict[str, Any]) -> tuple[str, str] | None:
        """(api, path below its base path, percent-decoded) of a HAR entry, or None."""
        ours = entry.get(OURS)
        if isinstance(ours, dict) and ours.get("api") in self.names and isinstance(ours.get("path"), str):
            return ours["api"], ours["path"]
        url = urlsplit(entry["request"]["url"])
        host, path = url.netloc.lower(), unquote(url.path)
        for places in (self.given, self.servers, self.own):
            found = below(places, host, path)
            if found is not None:
                return found
        return None


def below(places: list[Place], host: str, path: str) -> tuple[str, str] | None:
    """The place with the longest path that holds `path` (on its host, when it names one)."""
    best: tuple[str, str] | None = None
    longest = -1
    for place in places:
        if place.host is not None and place.host != host:
            continue
        if path == place.path or path.startswith(place.path + "/") or (place.path == "" and path.startswith("/")):
            if len(place.path) > longest:
                best, longest = (place.api, path[len(place.path):] or "/"), len(place.path)
    return best
