"""The server the plugin starts: `python -m understudy.pytest.server [--api NAME ...]` (or
`--spec SPEC ...`) in a process of its own (so the tests' warnings filters, patches and frozen
clocks never reach it), on a port of 127.0.0.1 the operating system picks. It prints one line with its URL once its app
is built, one line naming the cause when it cannot start, and exits when the tests' process
goes away (its stdin closes)."""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

from .client import UnderstudyError, UnderstudyServer

READY = "understudy listening on"
START_SECONDS = 60  # building five APIs takes a few seconds; more on a loaded CI machine


class ServerProcess:
    """Starts the server, waits until its index answers, stops it."""

    def __init__(self, apis: list[str], admin_token: str | None = None, specs: list[str] | None = None,
                 folder: Path | None = None, start_seconds: float = START_SECONDS):
        self.apis = apis
        self.specs = specs or []
        self.folder = folder  # where the specs' relative paths start
        self.admin_token = admin_token
        self.start_seconds = start_seconds
        self.process: subprocess.Popen | None = None
        self.log = tempfile.TemporaryFile(mode="w+", encoding="utf-8", prefix="understudy-")

    def start(self) -> UnderstudyServer:
        env = dict(os.environ)
        if self.admin_token:  # the server's own setting (a secret: never on its command line)
            env["UNDERSTUDY_ADMIN_TOKEN"] = self.admin_token
        command = [sys.executable, "-P", "-m", "understudy.pytest.server"]  # -P: not the folder's own modules
        for api in self.apis:
            command += ["--api", api]
        for spec in self.specs:
            command += ["--spec", spec]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=self.log, stderr=subprocess.STDOUT,
                                        env=env, cwd=self.folder)
        deadline = time.monotonic() + self.start_seconds
        server = None
        while True:
            if self.process.poll() is not None:
                raise UnderstudyError(f"the server did not start: {self.last_line() or 'it exited'}")
            if server is None:
                found = re.search(READY + r" (\S+)", self.output())
                server = UnderstudyServer(found.group(1), self.admin_token) if found else None
            if server is not None and self.answers(server):
                return server
            if time.monotonic() > deadline:
                self.stop()
                raise UnderstudyError(f"the server did not answer within {self.start_seconds:g} s"
                                      + (f" (last output: {self.last_line()})" if self.last_line() else ""))
            time.sleep(0.05)

    @staticmethod
    def answers(server: UnderstudyServer) -> bool:
        try:
            server.listing
        except UnderstudyError:
            return False
        return True

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read()

    def last_line(self) -> str:
        lines = [line.strip() for line in self.output().splitlines() if line.strip()]
        return lines[-1] if lines else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.stdin.close()
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


# -- in the server's process ----------------------------------------------------------------------
def exit_with_parent() -> None:
    """Block until the tests' process closes our stdin (it ended, or it was killed), then exit."""
    sys.stdin.read()
    os._exit(0)


def main(argv: list[str] | None = None) -> int:
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    parser = argparse.ArgumentParser(prog="python -m understudy.pytest.server")
    parser.add_argument("--api", action="append", default=[], help="serve only these APIs (default: all)")
    parser.add_argument("--spec", action="append", default=[], help="serve these specs instead (as `understudy serve SPEC`)")
    args = parser.parse_args(argv)
    # Imported here: the plugin's own process never loads the engine.
    import uvicorn

    from .. import heap
    from ..api import discover
    from ..app import create_app
    from ..cli import user_errors
    from ..config import DEFAULTS
    from ..security.protocol import http_protocol

    known = discover(DEFAULTS["root"])
    unknown = [name for name in args.api if name not in known]
    if unknown:
        print(f"unknown API {', '.join(unknown)} in --understudy-api (known: {', '.join(known)})", flush=True)
        return 2
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    try:
        app = create_app({"apis": args.api or None, "specs": args.spec or None, "host": "127.0.0.1", "port": port,
                          "admin_token": os.environ.get("UNDERSTUDY_ADMIN_TOKEN")})
    except Exception as error:  # a broken spec or handler: one line naming it
        cause = str(error) if isinstance(error, user_errors()) else f"{type(error).__name__}: {error}"
        print(cause.splitlines()[0], flush=True)
        return 1
    print(f"{READY} http://127.0.0.1:{port}", flush=True)
    threading.Thread(target=exit_with_parent, daemon=True).start()
    heap.settle()  # as `serve` does: this process serves the app until the tests end
    uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on", http=http_protocol())).run(sockets=[sock])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
