"""One request and its answer, as the drift checks, the HAR files and replay see them: what a
proxied request was, what a HAR entry recorded."""

from __future__ import annotations

import gzip
import json
import zlib
from dataclasses import dataclass, field
from typing import Iterable

from ..security.masking import mask_body, mask_header, mask_pairs


@dataclass
class Exchange:
    method: str  # upper case
    path: str  # below the API's base path, percent-decoded: "/workflows/1"
    query: str = ""  # the query string as sent (percent-encoded, without "?")
    request_headers: list[tuple[str, str]] = field(default_factory=list)
    request_body: bytes = b""
    status: int = 0
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    response_body: bytes | None = b""  # decoded (no Content-Encoding); None when unknown
    reason: str = ""  # the status line's text


def header(headers: Iterable[tuple[str, str]], name: str) -> str | None:
    """The first value of a header (names compared case-insensitively)."""
    name = name.lower()
    return next((value for key, value in headers if key.lower() == name), None)


def decode_content(body: bytes, encoding: str | None) -> bytes | None:
    """A body with its Content-Encoding (gzip, deflate, several in turn) undone; None for a
    coding this cannot undo (br, zstd) or a body that does not decode."""
    codings = [c.strip().lower() for c in (encoding or "").split(",") if c.strip()]
    try:
        for coding in reversed(codings):
            if coding == "identity":
                continue
            if coding in ("gzip", "x-gzip"):
                body = gzip.decompress(body)
            elif coding == "deflate":
                try:
                    body = zlib.decompress(body)
                except zlib.error:  # raw deflate, as some servers send it
                    body = zlib.decompress(body, -zlib.MAX_WBITS)
            else:
                return None
    except (OSError, EOFError, zlib.error):
        return None
    return body


def masked(exchange: Exchange, max_depth: int) -> Exchange:
    """The exchange as it may be recorded: headers, query and both bodies with every secret masked
    by the journal's rule (`security.masking`); a body that is not text is kept as it is."""
    return Exchange(
        method=exchange.method, path=exchange.path, query=mask_pairs(exchange.query),
        request_headers=[(n, mask_header(n, v)) for n, v in exchange.request_headers],
        request_body=masked_body(exchange.request_body, header(exchange.request_headers, "content-type"), max_depth),
        status=exchange.status, reason=exchange.reason,
        response_headers=[(n, mask_header(n, v)) for n, v in exchange.response_headers],
        response_body=None if exchange.response_body is None else masked_body(
            exchange.response_body, header(exchange.response_headers, "content-type"), max_depth),
    )


def masked_body(body: bytes, content_type: str | None, max_depth: int) -> bytes:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return body
    kept = mask_body(body, content_type, max_depth)
    if kept is None:
        return b""
    return (kept if isinstance(kept, str) else json.dumps(kept, ensure_ascii=False)).encode("utf-8")
