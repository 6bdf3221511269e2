"""The HTTP protocol `understudy serve` runs: uvicorn's httptools protocol, except that a request
target longer than httptools' URL parser takes (64 KB) reaches the app, path kept and query
dropped, marked with its length (`limits.URL_BYTES`), so it is refused with 414 in the API's own
error format rather than uvicorn's bare 400. Where httptools is missing, uvicorn's "auto"."""

from __future__ import annotations

from typing import Any

from .limits import URL_BYTES

KEPT = 65_000  # httptools' URL parser takes at most 65,535 bytes

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
            super().on_headers_complete()


def http_protocol() -> Any:
    """What to pass uvicorn as `http`."""
    return HttpProtocol if HttpToolsProtocol is not None else "auto"
