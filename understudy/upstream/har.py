"""HAR 1.2 files (the format browsers' developer tools export): reading any, and recording the
exchanges understudy forwards.

A recording is written as it goes, so a crash loses at most the exchange in flight: the file is
always a whole HAR document, one entry per line between a fixed first line and a fixed last one,
and each exchange is added with one positioned write that replaces the last line, under an
exclusive lock on the file (several workers append to one file safely). A file cut short anyway
(a machine that stopped mid-write) is read up to its last whole entry, and repaired when
recording starts again. What is recorded was masked first (`exchange.masked`: the journal's
rule for headers, the query and both bodies)."""

from __future__ import annotations

import base64
import fcntl
import json
import os
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import parse_qsl, unquote, urlsplit

from .. import __version__
from .exchange import Exchange, header

HEAD = ('{"log": {"version": "1.2", "creator": {"name": "understudy", "version": "%s"}, "entries": [\n'
        % __version__).encode()
FIRST_LINE = b'{"log": {"version": "1.2", "creator": {"name": "understudy"'  # a recording of ours starts so
TAIL = b"\n]}}\n"
OURS = "_understudy"  # an entry's own field (HAR's custom fields start with "_"): api, path, operation, drift


class HarError(Exception):
    """A file that cannot be read as HAR (one line, for the CLI)."""


# -- reading ---------------------------------------------------------------------------------------
def read_entries(path: str | Path) -> list[dict[str, Any]]:
    """The entries of a HAR file; HarError when it cannot be read, is not JSON or is not HAR."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise HarError(f"{path}: cannot read it ({error.strerror or error})")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise HarError(f"{path}: not a HAR file (not UTF-8 text)")
    try:
        document = json.loads(text)
    except ValueError as error:
        if data.startswith(FIRST_LINE):  # one of our recordings, cut short
            return whole_lines(data)
        raise HarError(f"{path}: not a HAR file (not JSON: {error.msg} at line {error.lineno}, "
                       f"column {error.colno})")
    log = document.get("log") if isinstance(document, dict) else None
    entries = log.get("entries") if isinstance(log, dict) else None
    if not isinstance(entries, list):
        raise HarError(f"{path}: not a HAR file (JSON without log.entries)")
    for number, entry in enumerate(entries, 1):
        request = entry.get("request") if isinstance(entry, dict) else None
        if not (isinstance(request, dict) and isinstance(request.get("method"), str)
                and isinstance(request.get("url"), str)):
            raise HarError(f"{path}: not a HAR file (entry {number} has no request with a method and url)")
    return entries


def whole_lines(data: bytes) -> list[dict[str, Any]]:
    """The entries of a recording of ours up to the first line that is not a whole entry."""
    entries = []
    for line in data.split(b"\n")[1:]:
        try:
            entries.append(json.loads(line.rstrip(b",")))
        except ValueError:
            break
    return [e for e in entries if isinstance(e, dict) and isinstance(e.get("request"), dict)]


def exchange_of(entry: dict[str, Any]) -> Exchange | None:
    """A HAR entry as an exchange (`path` is the URL's whole path), or None when it has no answer
    (status 0: a request the browser blocked or that failed). A body whose text the HAR left out
    is `None`: unknown, so not checked."""
    request, response = entry["request"], entry.get("response")
    if not isinstance(response, dict) or not isinstance(response.get("status"), int) or response["status"] <= 0:
        return None
    url = urlsplit(request["url"])
    post = request.get("postData") if isinstance(request.get("postData"), dict) else {}
    return Exchange(
        method=request["method"].upper(), path=unquote(url.path) or "/", query=url.query,
        request_headers=pairs(request.get("headers")),
        request_body=content_bytes(post) or b"",
        status=response["status"], reason=str(response.get("statusText") or ""),
        response_headers=pairs(response.get("headers")),
        response_body=content_bytes(response.get("content")),
    )


def pairs(headers: Any) -> list[tuple[str, str]]:
    """HAR headers as (name, value) pairs, without HTTP/2's pseudo-headers (`:authority`)."""
    return [(str(h["name"]), str(h.get("value", ""))) for h in headers or []
            if isinstance(h, dict) and "name" in h and not str(h["name"]).startswith(":")]


def content_bytes(content: Any) -> bytes | None:
    """A postData or content object's body: its text (base64-decoded when so encoded), or None
    when the HAR has no text for it, or it is still content-encoded."""
    if not isinstance(content, dict) or not isinstance(content.get("text"), str) or content.get("_encoding"):
        return None
    if content.get("encoding") == "base64":
        try:
            return base64.b64decode(content["text"])
        except ValueError:
            return None
    return content["text"].encode("utf-8")


# -- writing ---------------------------------------------------------------------------------------
def entry_for(exchange: Exchange, *, url: str, started: datetime, elapsed_ms: float, raw: bytes,
              ours: dict[str, Any]) -> dict[str, Any]:
    """A HAR 1.2 entry for a forwarded exchange, already masked (`exchange.masked`). `url` is
    where it went (its query is taken from the exchange); `raw` the answer's body as received,
    kept (base64, with `_encoding`) when `exchange.response_body` is None: it could not be decoded."""
    request: dict[str, Any] = {
        "method": exchange.method, "url": url.split("?", 1)[0] + ("?" + exchange.query if exchange.query else ""),
        "httpVersion": "HTTP/1.1", "cookies": [], "headers": listed(exchange.request_headers),
        "queryString": [{"name": n, "value": v} for n, v in parse_qsl(exchange.query, keep_blank_values=True)],
        "headersSize": -1, "bodySize": len(exchange.request_body),
    }
    if exchange.request_body:
        request["postData"] = {"mimeType": header(exchange.request_headers, "content-type") or "",
                               **text_of(exchange.request_body)}
    if exchange.response_body is None:
        content = {"size": len(raw), "text": base64.b64encode(raw).decode("ascii"), "encoding": "base64",
                   "_encoding": header(exchange.response_headers, "content-encoding") or ""}
    else:
        content = {"size": len(exchange.response_body), **text_of(exchange.response_body)}
    return {
        "startedDateTime": started.astimezone(timezone.utc).isoformat(timespec="milliseconds"),
        "time": round(elapsed_ms, 3),
        "request": request,
        "response": {
            "status": exchange.status, "statusText": exchange.reason, "httpVersion": "HTTP/1.1", "cookies": [],
            "headers": listed(exchange.response_headers),
            "content": {"mimeType": header(exchange.response_headers, "content-type") or "", **content},
            "redirectURL": header(exchange.response_headers, "location") or "",
            "headersSize": -1, "bodySize": len(raw),
        },
        "cache": {},
        "timings": {"send": 0, "wait": round(elapsed_ms, 3), "receive": 0},
        OURS: ours,
    }


def listed(headers: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"name": name, "value": value} for name, value in headers]


def text_of(body: bytes) -> dict[str, str]:
    """HAR's {"text"}, or {"text", "encoding": "base64"} for bytes that are not UTF-8 text."""
    try:
        return {"text": body.decode("utf-8")}
    except UnicodeDecodeError:
        return {"text": base64.b64encode(body).decode("ascii"), "encoding": "base64"}


class Recorder:
    """Appends entries to a HAR file, each as soon as its exchange is over."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.fd: int | None = None
        with self.locked() as size:
            foreign = size > 0 and not self.ours(size)
            if size == 0:
                os.write(self.fd, HEAD + TAIL)
            elif not foreign and os.pread(self.fd, len(TAIL), size - len(TAIL)) != TAIL:
                self.repair()
        if foreign:
            self.close()
            raise HarError(f"--record {path}: the file exists and is not a recording of understudy's; "
                           f"name a new file (or remove this one)")

    @contextmanager
    def locked(self) -> Iterator[int]:
        """The file, open and locked against every other writer; yields its size."""
        if self.fd is None:
            try:
                self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError as error:
                raise HarError(f"--record {self.path}: cannot write it ({error.strerror or error})")
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        try:
            yield os.fstat(self.fd).st_size
        finally:
            fcntl.flock(self.fd, fcntl.LOCK_UN)

    def ours(self, size: int) -> bool:
        return size >= len(FIRST_LINE) + len(TAIL) and os.pread(self.fd, len(FIRST_LINE), 0) == FIRST_LINE

    def repair(self) -> None:
        """A recording cut short: keep its whole entries, end it properly."""
        entries = whole_lines(os.pread(self.fd, os.fstat(self.fd).st_size, 0))
        lines = b",\n".join(json.dumps(e, ensure_ascii=False).encode() for e in entries)
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, HEAD + lines + TAIL, 0)

    def append(self, entry: dict[str, Any]) -> None:
        line = json.dumps(entry, ensure_ascii=False).encode()
        with self.locked() as size:
            end = size - len(TAIL)
            first = os.pread(self.fd, 1, end - 1) == b"\n"  # right after the first line's `[`
            os.pwrite(self.fd, (b"" if first else b",\n") + line + TAIL, end)

    def close(self) -> None:
        """Close the file (the server is stopping); a later append opens it again."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
