"""Helpers for tests that start `understudy serve` in a process of its own."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Callable

import requests

from conftest import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, seconds: float = 30) -> bool:
    """Poll until predicate() is true (a refused connection, or one that waits for workers still
    starting, counts as not yet)."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if predicate():
                return True
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(0.2)
    return False


def serve_command(*args: str, port: int) -> list[str]:
    return [sys.executable, "-m", "understudy.cli", "serve", *args, "--port", str(port)]


@contextmanager
def serving(*args: str, ready: str, auth: tuple[str, str]):
    """`understudy serve ARGS` on a free port; yields its base URL once GET `ready` answers 200."""
    port = free_port()
    process = subprocess.Popen(serve_command(*args, port=port), cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_for(lambda: requests.get(base + ready, auth=auth, timeout=1).status_code == 200, 90), \
            f"understudy serve {' '.join(args)} did not answer {ready}"
        yield base
    finally:
        process.terminate()
        process.wait(timeout=15)


def at_once(origins: list[str], send: Callable[[requests.Session, str], Any]) -> list[Any]:
    """`send(session, origin)` from one thread per origin, all released at the same moment, each
    on a connection opened beforehand: really concurrent, and spread over the workers (and the
    hosts, when the origins name several)."""
    sessions = [requests.Session() for _ in origins]
    for session, origin in zip(sessions, origins):
        session.get(origin + "/")
    barrier = threading.Barrier(len(origins))

    def one(pair: tuple[requests.Session, str]) -> Any:
        barrier.wait()
        return send(*pair)

    try:
        with ThreadPoolExecutor(len(origins)) as pool:
            return list(pool.map(one, zip(sessions, origins)))
    finally:
        for session in sessions:
            session.close()
