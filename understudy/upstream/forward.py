"""Forwarding a request to the real API (`--upstream API=URL`): the method, the path below the
API's base path appended to URL, the query as sent, every end-to-end header (credentials
unchanged; hop-by-hop headers, `Host` and understudy's own `X-Understudy-*` dropped) and the body;
the answer comes back as received (status, headers, body bytes, still content-encoded). One pooled
httpx client per upstream (per event loop), with timeouts; an upstream that cannot be reached is
`bad_gateway` (502), one that does not answer in time `gateway_timeout` (504), each rendered in
the API's own error format by the caller."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from ..errors import ApiError

# RFC 9110 section 7.6.1, and what proxies have long treated as hop-by-hop.
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
                        "proxy-connection", "te", "trailer", "trailers", "transfer-encoding", "upgrade"})
NOT_FORWARDED = frozenset({"host", "content-length", "expect"})  # httpx writes its own
OWN = "x-understudy-"  # the session and other headers meant for understudy itself
Raw = list[tuple[bytes, bytes]]


def end_to_end(headers: Raw, drop: frozenset[str] = frozenset()) -> Raw:
    """Headers without the hop-by-hop ones (and those `Connection` names), nor `drop`."""
    named = {token.strip().lower().decode("latin-1") for key, value in headers if key.lower() == b"connection"
             for token in value.split(b",")}
    kept = []
    for key, value in headers:
        name = key.decode("latin-1").lower()
        if name not in HOP_BY_HOP and name not in named and name not in drop:
            kept.append((key.lower(), value))
    return kept


@dataclass
class Answer:
    status: int
    reason: str
    headers: Raw  # as received, hop-by-hop removed
    body: bytes  # as received (content-encoded when the upstream encoded it)
    url: str  # where the request went
    sent: Raw  # the headers it went with (Host the upstream's, Content-Length httpx's)
    elapsed_ms: float


class Upstream:
    """One API's real base URL and the client that reaches it."""

    def __init__(self, url: str, timeout: float):
        self.url = url.rstrip("/")
        self.seconds = timeout  # for the whole exchange, however slowly the answer trickles in
        self.timeout = httpx.Timeout(timeout, connect=min(timeout, 10.0))
        self._clients: dict[asyncio.AbstractEventLoop, httpx.AsyncClient] = {}

    def client(self) -> httpx.AsyncClient:
        """The pooled client of the running event loop (one per worker; a test's loop gets its own)."""
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            for old in [old for old in self._clients if old.is_closed()]:
                del self._clients[old]
            client = self._clients[loop] = httpx.AsyncClient(
                timeout=self.timeout, follow_redirects=False,
                limits=httpx.Limits(max_connections=100, max_keepalive_connections=20))
        return client

    def target(self, raw_path: bytes, query: bytes) -> str:
        """URL + the path below the base path (as the client encoded it) + the query as sent."""
        url = self.url + raw_path.decode("latin-1")
        return url + ("?" + query.decode("latin-1") if query else "")

    async def send(self, method: str, url: str, headers: Raw, body: bytes) -> Answer:
        forwarded = end_to_end(headers, NOT_FORWARDED)
        forwarded = [(k, v) for k, v in forwarded if not k.startswith(OWN.encode())]
        request = httpx.Request(method, url, headers=forwarded, content=body if body else None)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.seconds):
                response = await self.client().send(request, stream=True)
                try:
                    raw = b"".join([chunk async for chunk in response.aiter_raw()])
                finally:
                    await response.aclose()
        except (httpx.TimeoutException, TimeoutError) as error:
            raise ApiError("gateway_timeout", f"The upstream {self.url} did not answer {method} "
                           f"{urlsplit(url).path} within {self.seconds:g} s ({describe(error, 'timed out')})")
        except (httpx.HTTPError, httpx.InvalidURL) as error:
            raise ApiError("bad_gateway", f"The upstream {self.url} could not be reached for {method} "
                           f"{urlsplit(url).path} ({describe(error, 'connection failed')})")
        return Answer(response.status_code, response.reason_phrase, end_to_end(list(response.headers.raw)),
                      raw, url, list(request.headers.raw), (time.perf_counter() - started) * 1000)

    async def aclose(self) -> None:
        """Close the running loop's client (the server is stopping)."""
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()


def describe(error: Exception, default: str) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else f"{type(error).__name__}: {default}"
