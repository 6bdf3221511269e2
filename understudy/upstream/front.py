"""What stands in front of one API's mock: a recorded answer (`--replay`), else the real API's
(`--upstream`), else the mock's. A forwarded answer goes back to the client as received; then
the exchange is masked, checked for drift, summed in the drift log and recorded (`--record`).
The journal entry of every request to a fronted API gets four fields:

| field | holds |
|---|---|
| `upstream` | the real API's base URL the request was forwarded to, or null |
| `fallback` | true when the upstream could not be reached and the mock answered (`--upstream-fallback`) |
| `replayed` | `{file, entry}` of the recorded exchange that answered, or null |
| `drift` | for a forwarded answer, every way the exchange broke the spec (`[]`: none); else null |
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable
from urllib.parse import quote

from starlette.datastructures import Headers
from starlette.types import Scope, Send

from ..apiapp import ROUTING
from ..errors import ApiError
from ..responses import asgi_headers, render_error
from ..routing import NoRoute
from .drift import Checks, DriftLog
from .exchange import Exchange, decode_content, header, masked
from .forward import Answer, Upstream
from .har import Recorder, entry_for
from .replay import Replay

log = logging.getLogger("understudy")

JOURNAL = "understudy.upstream"  # the request context's extras: the journal entry's fields
VERBATIM = "understudy.verbatim"  # on a response start: sent as it is (no headers of the engine's)
NOT_PASSED = {b"date"}  # the server sends its own Date (one per answer)


class Front:
    def __init__(self, mount: Any, *, upstream: Upstream | None, fallback: bool, replay: Replay | None,
                 recorder: Recorder | None, drift: DriftLog, max_depth: int):
        self.name = mount.name
        self.api = mount.api
        self.app = mount.app  # the API's ApiApp
        self.base_path = mount.base_path
        self.upstream = upstream
        self.fallback = fallback
        self.replay = replay
        self.recorder = recorder
        self.drift = drift
        self.checks = Checks(mount.app)
        self.max_depth = max_depth

    async def __call__(self, scope: Scope, inner: Scope, body: bytes, mock: Callable[[], Awaitable[None]],
                       send: Send, extras: dict[str, Any]) -> None:
        """`scope`: the request as sent; `inner`: as the mock reads it (trailing slash, aliases);
        `body`: the whole body; `mock()`: the mock's answer; `send`: the engine's."""
        fields = extras[JOURNAL] = {"upstream": None, "fallback": False, "replayed": None, "drift": None}
        try:
            path = self.app.relative(inner["path"])
        except NoRoute:  # outside the API's base path: nothing to forward, the mock's 404
            return await mock()
        template, method, _, _ = self.checks.route(inner["method"], path)
        if template:  # the journal's operationId, as the mock's routing would set it
            inner["extensions"][ROUTING] = {"api_base_path": self.app.base_path,
                                            "operation_id": self.checks.operation_id(template, method)}
        query = scope.get("query_string", b"").decode("latin-1")
        if self.replay is not None:
            found = self.replay.find(self.name, scope["method"], path, query, body,
                                     Headers(scope=scope).get("content-type"))
            if found is not None:
                fields["replayed"] = {"file": found.file, "entry": found.entry}
                headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in found.headers]
                return await answer(send, found.status, headers + [(b"content-length", str(len(found.answer)).encode())],
                                    found.answer)
        if self.upstream is None:
            return await mock()
        fields["upstream"] = self.upstream.url
        url = self.upstream.target(self.below(scope), scope.get("query_string", b""))
        started = datetime.now(timezone.utc)
        try:
            got = await self.upstream.send(scope["method"], url, scope["headers"], body)
        except ApiError as error:  # unreachable (502) or too slow (504)
            if self.fallback:
                log.warning("%s; the mock answers (--upstream-fallback)", error.message)
                fields["fallback"] = True
                return await mock()
            operation = self.app.spec["paths"][template][method.lower()] if template else None
            status, error_headers, payload = render_error(self.api, error, operation)
            await send({"type": "http.response.start", "status": status, "headers": asgi_headers(error_headers, payload)})
            await send({"type": "http.response.body", "body": payload})
            return
        await answer(send, got.status, got.headers, got.body)
        try:  # the client has its answer: nothing below may change it
            fields["drift"] = await self.check_and_record(scope, path, query, body, got, started)
        except Exception:  # a check or the recording failed: the answer stands, the log says why
            log.exception("checking or recording %s %s failed", scope["method"], scope["path"])

    async def check_and_record(self, scope: Scope, path: str, query: str, body: bytes, got: Answer,
                               started: datetime) -> list[dict[str, str]]:
        """A forwarded exchange masked, checked (its drift summed) and recorded; its drift."""
        sent, received = ([(k.decode("latin-1"), v.decode("latin-1")) for k, v in raw] for raw in (got.sent, got.headers))
        exchange = masked(Exchange(scope["method"], path, query, sent, body, got.status, received,
                                   decode_content(got.body, header(received, "content-encoding")), got.reason),
                          self.max_depth)
        checked = await self.checks.check(exchange, masked=True)
        if checked.drift:
            self.drift.note(self.name, checked.operation, {
                "time": started.isoformat(timespec="milliseconds"), "method": scope["method"], "path": scope["path"],
                "query": exchange.query, "status": got.status, "drift": checked.drift})
        if self.recorder is not None:
            self.recorder.append(entry_for(exchange, url=got.url, started=started, elapsed_ms=got.elapsed_ms,
                                           raw=got.body, ours={"api": self.name, "path": path,
                                                               "operation": checked.operation, "drift": checked.drift}))
        return checked.drift

    def below(self, scope: Scope) -> bytes:
        """The path below the API's base path, as the client encoded it."""
        raw = scope.get("raw_path") or quote(scope["path"]).encode("latin-1")
        base = self.base_path.encode("latin-1")
        if raw.startswith(base):
            return raw[len(base):]
        return quote(scope["path"][len(self.base_path):]).encode("latin-1")


async def answer(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    """An answer as the real API gave it (or as recorded), but for its Date: the server sends its own."""
    headers = [(k, v) for k, v in headers if k not in NOT_PASSED]
    await send({"type": "http.response.start", "status": status, "headers": headers, VERBATIM: True})
    await send({"type": "http.response.body", "body": body})
