"""The HTTP protocol `understudy serve` runs: uvicorn's httptools protocol, except that
- a request target longer than httptools' URL parser takes (64 KB) reaches the app, path kept
  and query dropped, marked with its length (`limits.URL_BYTES`), so it is refused with 414 in
  the API's own error format rather than uvicorn's bare 400;
- an answer's head and body leave in one write (`HeadWithBody`), not two system calls.
Where httptools is missing, uvicorn's "auto"."""

from __future__ import annotations

from typing import Any, Callable

from .limits import URL_BYTES

KEPT = 65_000  # httptools' URL parser takes at most 65,535 bytes
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"  # uvicorn's interim answer to `Expect: 100-continue`

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # uvicorn without httptools
    HttpToolsProtocol = None


if HttpToolsProtocol is not None:
    class HttpProtocol(HttpToolsProtocol):
        def on_message_begin(self) -> None:
            super().on_message_begin()
            self.url_bytes = 0

        def on_url(self, url: bytes) -> None:
            self.url_bytes += len(url)
            room = KEPT - len(self.url)
            if room > 0:
                self.url += url[:room]

        def on_headers_complete(self) -> None:
            if self.url_bytes > KEPT:
                self.url = self.url.partition(b"?")[0][:KEPT]
                self.scope[URL_BYTES] = self.url_bytes
            before = self.cycle
            super().on_headers_complete()
            cycle = self.cycle
            if cycle is not before:  # a new request's response (not an upgrade)
                cycle.transport = head = HeadWithBody(self.transport)
                cycle.on_response = head.flushing(cycle.on_response)


class HeadWithBody:
    """A response's transport that holds its head (status line and headers) until the first
    write of its body, so the two leave in one write (one system call) instead of two. The head
    is the first write that is not an interim `100 Continue`; `flush` sends what is held (a
    response with no body: HEAD, 204)."""

    __slots__ = ("transport", "held", "head_seen")

    def __init__(self, transport: Any):
        self.transport = transport
        self.held: bytes | None = None
        self.head_seen = False

    def write(self, data: bytes) -> None:
        if self.held is not None:
            data, self.held = self.held + data, None
        elif not self.head_seen and data != CONTINUE:
            self.held, self.head_seen = data, True
            return
        self.transport.write(data)

    def flush(self) -> None:
        if self.held is not None:
            held, self.held = self.held, None
            self.transport.write(held)

    def flushing(self, then: Callable[[], None]) -> Callable[[], None]:
        """`then`, after what is held was sent: for the response's end."""
        def done() -> None:
            self.flush()
            then()
        return done

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)


def http_protocol() -> Any:
    """What to pass uvicorn as `http`."""
    return HttpProtocol if HttpToolsProtocol is not None else "auto"
