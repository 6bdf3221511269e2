"""Host names: a request whose `Host` is not a name this server answers to is refused (421), so
a web page that rebinds its own DNS name to 127.0.0.1 reads nothing (DNS rebinding).

Answered without configuration: `localhost` and `*.localhost`, every loopback address
(127.0.0.0/8, ::1), and the address `serve --host` binds unless it is a wildcard (0.0.0.0, ::).
`allowed_hosts` (`--allowed-host`, repeatable; UNDERSTUDY_ALLOWED_HOSTS) adds names: an exact
name or address, `*.example.com` for its subdomains, or `*` for any (the check off). The port is
not compared. A request without a Host (HTTP/1.0) passes."""

from __future__ import annotations

import ipaddress
from typing import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

from ..errors import ApiError, Violation
from .limits import Refuse

WILDCARD_BINDS = {"", "0.0.0.0", "::", "[::]"}


def host_name(host: str) -> str:
    """`Host` without its port, lower-cased, brackets and a trailing dot removed."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    if host.count(":") == 1:
        host = host.partition(":")[0]
    return host.rstrip(".")


def is_loopback(name: str) -> bool:
    """localhost, a name under .localhost, or a loopback address."""
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class AllowedHosts:
    def __init__(self, bind: str | None, names: Iterable[str]):
        listed = [host_name(n) for n in names if n and n.strip()]
        self.any = "*" in listed
        self.exact = {n for n in listed if not n.startswith("*")}
        self.suffixes = tuple(n[1:] for n in listed if n.startswith("*."))
        bind = (bind or "").strip()
        if bind not in WILDCARD_BINDS:
            self.exact.add(host_name(bind))
        self._seen: dict[bytes, bool] = {}

    def admits(self, name: str) -> bool:
        return self.any or is_loopback(name) or name in self.exact or name.endswith(self.suffixes)

    def admits_header(self, host: bytes) -> bool:
        """`admits` for a raw Host header, remembered (a server sees few distinct ones)."""
        found = self._seen.get(host)
        if found is None:
            if len(self._seen) > 256:
                self._seen.clear()
            found = self._seen[host] = self.admits(host_name(host.decode("latin-1")))
        return found


def misdirected(host: str) -> ApiError:
    name = host_name(host)
    message = (f"Host {host!r} is not a name this server answers to; to serve it, start the server with "
               f"--allowed-host {name or host} (or add it to UNDERSTUDY_ALLOWED_HOSTS)")
    return ApiError("forbidden", message, [Violation("header", "Host", "not a host name the server answers to")],
                    status=421)


class HostGuard:
    """Refuse (421) a request whose Host the server does not answer to."""

    def __init__(self, app: ASGIApp, allowed: AllowedHosts, refuse: Refuse):
        self.app = app
        self.allowed = allowed
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self.allowed.any:
            host = next((v for k, v in scope["headers"] if k == b"host"), None)
            if host is not None and not self.allowed.admits_header(host):
                return await self.refuse(scope, receive, send, misdirected(host.decode("latin-1")))
        await self.app(scope, receive, send)
