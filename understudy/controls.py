"""QA controls: make an operation answer a given status, example or generated body, slowly, or
break the connection, per request (`Prefer` header, Prism's convention) or for the next N calls
of a session (rules set through `/__understudy/controls`)."""

from __future__ import annotations

import asyncio
import os
import random
import socket
import struct
from dataclasses import dataclass
from typing import Any

from connexion.middleware.abstract import RoutedAPI, RoutedMiddleware
from starlette.types import Receive, Scope, Send

from .context import current
from .errors import ApiError, Violation
from .examples import example_for
from .responses import dumps

FAULTS = ("reset", "empty", "garbage")
KEYS = ("code", "example", "dynamic", "delay", "fault")
RAW_SEND = "understudy.raw_send"  # the server's own send, kept by the dispatcher for faults


class ConnectionDropped(BaseException):
    """Raised where the server gives no transport to break (an in-process test client): it is a
    BaseException so no error handler turns it into a response; the client sees the call fail."""


@dataclass
class Preference:
    code: int | None = None
    example: str | None = None
    dynamic: bool = False
    delay_ms: int = 0
    fault: str | None = None

    @property
    def shapes_response(self) -> bool:
        return self.code is not None or self.example is not None or self.dynamic

    def merged(self, other: "Preference | None") -> "Preference":
        """Values in self (the request's header) win over a session rule's."""
        if other is None:
            return self
        return Preference(
            self.code if self.code is not None else other.code,
            self.example if self.example is not None else other.example,
            self.dynamic or other.dynamic,
            self.delay_ms or other.delay_ms,
            self.fault or other.fault,
        )


def parse_prefer(value: str | None) -> Preference | None:
    """`code=503, delay=200` (commas or semicolons; unknown preferences ignored, as RFC 7240 asks)."""
    if not value:
        return None
    pref, found = Preference(), False
    for token in value.replace(";", ",").split(","):
        key, _, raw = token.strip().partition("=")
        key, raw = key.strip().lower(), raw.strip().strip('"')
        if key not in KEYS:
            continue
        found = True
        try:
            if key == "code":
                pref.code = int(raw)
            elif key == "example":
                pref.example = raw
            elif key == "dynamic":
                pref.dynamic = raw.lower() in ("true", "1", "yes")
            elif key == "delay":
                pref.delay_ms = max(0, int(float(raw)))
            elif key == "fault":
                if raw not in FAULTS:
                    raise ValueError(raw)
                pref.fault = raw
        except ValueError:
            raise ApiError("validation", f"Prefer: {key}={raw} is not understood",
                           [Violation("header", "Prefer", f"{key} must be "
                                      + {"code": "an HTTP status", "delay": "milliseconds",
                                         "fault": " | ".join(FAULTS)}.get(key, "valid"))])
    return pref if found else None


def documented_response(operation: Any, pref: Preference) -> tuple[int, dict, str | None]:
    """(status, response object, media type) the preference asks for, or an ApiError."""
    responses = operation.responses
    if pref.code is not None:
        response = responses.get(str(pref.code)) or responses.get(f"{str(pref.code)[0]}XX")
        if response is None:
            documented = ", ".join(sorted(k for k in responses if k != "default"))
            raise ApiError("validation", f"Prefer: code={pref.code} is not documented for this operation",
                           [Violation("header", "Prefer", f"documented statuses: {documented}")])
        status = pref.code
    else:
        status = next((int(k) for k in sorted(responses) if k.isdigit() and k.startswith("2")), 200)
        response = responses.get(str(status), {})
    content = response.get("content", {})
    media_type = next(iter(content), None)
    return status, response, media_type


def response_body(response: dict, media_type: str | None, pref: Preference, generate=None) -> Any:
    """The body a preference asks for: a named example, or the API's own generator's value
    (`generate(media, rng)`: a user's spec), else the media type's example or one made from its
    schema (random with `dynamic=true`)."""
    if media_type is None:
        return None
    media = response["content"][media_type]
    examples = media.get("examples", {})
    if pref.example is not None:
        if pref.example not in examples:
            raise ApiError("validation", f"Prefer: example={pref.example} is not a named example here",
                           [Violation("header", "Prefer", f"examples: {', '.join(examples) or 'none'}")])
        return examples[pref.example].get("value")
    if generate is not None:
        return generate(media, random.Random() if pref.dynamic else None)
    schema = media.get("schema", {})
    if pref.dynamic:
        return example_for(schema, random.Random())
    if "example" in media:
        return media["example"]
    if examples:
        return next(iter(examples.values())).get("value")
    return example_for(schema)


def response_headers(response: dict) -> list[tuple[bytes, bytes]]:
    headers = []
    for name, header in response.get("headers", {}).items():
        value = example_for(header.get("schema", {"type": "string"}))
        headers.append((name.lower().encode("latin-1"), str(value).encode("latin-1")))
    return headers


async def break_connection(scope: Scope, send: Send, fault: str) -> None:
    """Break the connection as a network would: reset (RST), close with nothing sent, or send
    bytes that are not HTTP and close. Needs a server that exposes its transport (uvicorn); under
    other servers the request fails with an exception, which the client sees as a dropped call."""
    raw_send = scope.get(RAW_SEND)
    transport = getattr(getattr(raw_send, "__self__", None), "transport", None)
    if transport is None:
        raise ConnectionDropped(f"fault={fault}")
    if fault == "garbage":
        transport.write(os.urandom(64) + b"\r\n\r\n")
    sock = transport.get_extra_info("socket")
    if fault == "reset" and sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        transport.abort()
    else:
        transport.close()
    # Tell the server this response is over, so it does not answer a 500 of its own.
    cycle = raw_send.__self__
    for attribute in ("response_complete", "response_started"):
        if hasattr(cycle, attribute):
            setattr(cycle, attribute, True)


class ControlsOperation:
    def __init__(self, next_app, *, operation, generate=None):
        self.next_app = next_app
        self.operation = operation
        self.generate = generate  # the API's own body generator, if it has one

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        pref = self.preference(current())
        if pref is None:
            await self.next_app(scope, receive, send)
            return
        await self.apply(pref, scope, receive, send, self.next_app)

    def preference(self, ctx) -> Preference | None:
        """What the request's Prefer header and the session's rules ask of this call (a rule's
        use is taken), or None: the call goes on untouched."""
        header = ctx.headers.get("prefer") if ctx.headers is not None else None
        pref = parse_prefer(header)
        rule_pref = ctx.take_rule(self.operation.operation_id) if ctx.take_rule else None
        return pref.merged(rule_pref) if pref else rule_pref

    async def apply(self, pref: Preference, scope: Scope, receive: Receive, send: Send, next_app) -> None:
        """Answer as `pref` asks (delay, fault, a documented response), or go on to `next_app`."""
        ctx = current()
        ctx.extras["prefer"] = pref
        if pref.shapes_response:
            status, response, media_type = documented_response(self.operation, pref)
            body = response_body(response, media_type, pref, self.generate)
        if pref.delay_ms:
            await asyncio.sleep(pref.delay_ms / 1000)
        if pref.fault:
            await break_connection(scope, send, pref.fault)
            return
        if not pref.shapes_response:
            await next_app(scope, receive, send)
            return
        payload = b"" if media_type is None else dumps(body)
        headers = response_headers(response)
        if media_type is not None:
            headers.append((b"content-type", media_type.encode("latin-1")))
        headers.append((b"content-length", str(len(payload)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})


class ControlsAPI(RoutedAPI[ControlsOperation]):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_paths()

    def make_operation(self, operation) -> ControlsOperation:
        return ControlsOperation(self.next_app, operation=operation)


class ControlsMiddleware(RoutedMiddleware[ControlsAPI]):
    api_cls = ControlsAPI


class Rules:
    """Session controls ("the next 3 calls to POST /bookings answer 503"), kept in the engine's
    own corner of the store so every worker sees them and each use is counted atomically."""

    COLLECTION = "controls"

    def __init__(self, view):
        self.view = view

    def add(self, rule: dict) -> dict:
        parse_prefer(rule["prefer"])  # refuse what would fail later
        rule = {"id": str(self.view.next_id(self.COLLECTION)), "used": 0, **rule}
        return self.view.insert(self.COLLECTION, rule)

    def all(self) -> list[dict]:
        return self.view.all(self.COLLECTION)

    def clear(self) -> int:
        rules = self.all()
        for rule in rules:
            self.view.delete(self.COLLECTION, rule["id"])
        return len(rules)

    def delete(self, ident: str) -> bool:
        return self.view.delete(self.COLLECTION, ident)

    def take(self, api: str, operation_id: str, method: str, path: str, session: str | None, short=None):
        """The preference of the first rule that matches the call and has uses left (one use
        taken), or None; `short()`, when given, names the operation as the spec writes it (only
        worked out when there are rules)."""
        if not self.view.count(self.COLLECTION):
            return None
        if short is not None:
            operation_id = short()
        for rule in self.all():
            if not matches(rule, api, operation_id, method, path, session):
                continue
            used = {}

            def use(doc: dict) -> None:
                if doc.get("times") is not None and doc["used"] >= doc["times"]:
                    raise LookupError
                doc["used"] += 1
                used["ok"] = True

            try:
                self.view.update(self.COLLECTION, rule["id"], use)
            except LookupError:
                continue
            if used:
                return parse_prefer(rule["prefer"])
        return None


def matches(rule: dict, api: str, operation_id: str, method: str, path: str, session: str | None) -> bool:
    return (rule["api"] == api
            and rule.get("session") == session
            and rule.get("operation") in (None, operation_id)
            and (rule.get("method") or method).upper() == method.upper()
            and rule.get("path") in (None, path))
