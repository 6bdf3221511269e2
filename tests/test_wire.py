"""What `understudy serve`'s HTTP protocol (security/protocol.py) puts on the wire: an answer's
head and body leave in one write; interim, bodiless and pipelined answers arrive whole and in
order; and a request leaves no reference cycle behind for the garbage collector."""

from __future__ import annotations

import asyncio
import gc
import json
import socket
import time

import pytest
import uvicorn
from uvicorn.server import ServerState

from conftest import basic
from timekit_support import APP as TIMEKIT
from understudy.security.protocol import http_protocol

pytestmark = pytest.mark.once  # the protocol, not the store

TIIKR = basic("owner", "owner-password")


def request(method: str, path: str, headers: dict[str, str], body: bytes = b"", close: bool = False) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"] + [f"{k}: {v}" for k, v in headers.items()]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def answers(raw: bytes) -> list[tuple[int, dict[str, str], bytes]]:
    """The answers in a connection's bytes, each (status, headers, body), bodies by Content-Length."""
    found = []
    while raw:
        head, _, raw = raw.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in header_lines)}
        status = int(status_line.split()[1])
        size = 0 if status == 100 else int(headers.get("content-length", 0))
        found.append((status, headers, raw[:size]))
        raw = raw[size:]
    return found


def exchange(base: str, *parts: bytes, pause: float = 0) -> bytes:
    """Send each part in turn (waiting `pause` between them); everything the server sent until it
    closed the connection."""
    host, port = base.rsplit("/", 1)[1].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        for i, part in enumerate(parts):
            if i:
                time.sleep(pause)
            sock.sendall(part)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def test_an_answer_arrives_whole(live_server):
    (status, headers, body), = answers(exchange(live_server, request("GET", "/tiikr/api/v1/test", TIIKR, close=True)))
    assert status == 200 and headers["content-type"] == "application/json"
    assert json.loads(body)["data"]["user"]["username"] == "owner"


def test_a_head_request_gets_its_head_and_no_body(live_server):
    raw = exchange(live_server, request("HEAD", "/tiikr/api/v1/test", TIIKR, close=True))
    assert raw.startswith(b"HTTP/1.1 200 OK\r\n") and raw.endswith(b"\r\n\r\n")
    assert b"content-length: 191" in raw.lower()


def test_pipelined_requests_are_answered_in_order(live_server):
    raw = exchange(live_server, request("HEAD", "/tiikr/api/v1/test", TIIKR)
                   + request("GET", "/tiikr/api/v1/workflows/999999", TIIKR)
                   + request("GET", "/tiikr/api/v1/test", TIIKR, close=True))
    head, missing, found = raw.split(b"HTTP/1.1 ")[1:]
    assert head.startswith(b"200 ") and head.endswith(b"\r\n\r\n")  # the HEAD's: no body
    assert [a[0] for a in answers(b"HTTP/1.1 " + missing + b"HTTP/1.1 " + found)] == [404, 200]


def test_an_expected_continue_comes_before_the_answer(live_server):
    body = json.dumps({"graph": "instant"}).encode()
    head = request("POST", "/timekit/v2/bookings", {**TIMEKIT, "Expect": "100-continue", "Content-Type": "application/json",
                                                      "Content-Length": str(len(body)), "Connection": "close"})
    statuses = [a[0] for a in answers(exchange(live_server, head, body, pause=0.2))]
    assert statuses == [100, 422]


class Recording(asyncio.Transport):
    """A connection's transport that records each write."""

    def __init__(self):
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def get_extra_info(self, name, default=None):
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 40000)}.get(name, default)

    def write(self, data):
        self.writes.append(bytes(data))

    def is_closing(self):
        return self.closed

    def close(self):
        self.closed = True

    def pause_reading(self):
        pass

    def resume_reading(self):
        pass


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_an_answer_leaves_in_one_write(app, method):
    async def serve() -> list[bytes]:
        protocol = http_protocol()(config=uvicorn.Config(app, log_level="warning", lifespan="off"),
                                   server_state=ServerState(), app_state={})
        transport = Recording()
        protocol.connection_made(transport)
        protocol.data_received(request(method, "/tiikr/api/v1/test", TIIKR))
        for _ in range(200):
            if protocol.cycle.response_complete:
                break
            await asyncio.sleep(0.005)
        return transport.writes

    writes = asyncio.run(serve())
    assert len(writes) == 1 and writes[0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert writes[0].endswith(b"}") if method == "GET" else writes[0].endswith(b"\r\n\r\n")


def test_a_request_leaves_no_cycle_to_the_collector(live_server):
    """Every object of a request is freed when its answer is sent (none waits for a full
    collection, which walks the whole heap)."""
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        exchange(live_server, *[request("GET", "/tiikr/api/v1/test", TIIKR, close=i == 9) for i in range(10)])
        time.sleep(0.2)  # the server's thread finishes the last request
        gc.collect()
        left = sorted({type(o).__name__ for o in gc.garbage} & {"RequestResponseCycle", "HeadWithBody", "RequestContext",
                                                               "Answered", "RequestHeaders"})
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert left == []
