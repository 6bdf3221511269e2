"""A throwaway PostgreSQL server for tests, CI and benchmarks: a new cluster in a scratch folder,
listening on 127.0.0.1 at a free port, stopped and deleted afterwards.

The binaries are the ones the `pgserver` wheel bundles (`pip install pgserver`), else Debian's
(`apt-get install postgresql`). PostgreSQL refuses to run as root, so as root the server runs as
the `postgres` user (or `understudy-pg`, created when neither exists).

    with Throwaway() as server:
        print(server.uri)  # postgresql://postgres@127.0.0.1:PORT/postgres

    python -m understudy.stores.throwaway start FOLDER   # prints the URI; the server keeps running
    python -m understudy.stores.throwaway stop FOLDER
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

USER = "postgres"
FALLBACK_USER = "understudy-pg"


class Unavailable(RuntimeError):
    """No PostgreSQL binaries here, or the server did not start."""


def binaries() -> Path | None:
    """The folder holding initdb and pg_ctl: pgserver's, else Debian's newest, else None."""
    wheel = importlib.util.find_spec("pgserver")  # found, not imported: importing it has side effects
    if wheel is not None and wheel.origin is not None:
        bundled = Path(wheel.origin).parent / "pginstall" / "bin"
        if (bundled / "pg_ctl").exists():
            return bundled
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]))
    return debian[-1].parent if debian else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_as() -> str | None:
    """The user the server runs as: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    import pwd

    for name in (USER, FALLBACK_USER):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", FALLBACK_USER],
                   check=True, capture_output=True)
    return FALLBACK_USER


class Throwaway:
    """One PostgreSQL server in `folder` (a new scratch folder when None). `durable=False`
    (tests) does not wait for the disk (fsync off); the benchmark keeps PostgreSQL's defaults."""

    def __init__(self, folder: str | Path | None = None, durable: bool = False):
        self.folder = Path(folder) if folder else None
        self.durable = durable
        self.port: int | None = None

    @property
    def data(self) -> Path:
        assert self.folder is not None
        return self.folder / "data"

    @property
    def uri(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 60) -> None:
        found = binaries()
        if found is None:
            raise Unavailable("no PostgreSQL binaries: pip install pgserver, or apt-get install postgresql")
        with (self.folder / "commands.log").open("a") as log:  # type: ignore[operator]
            done = subprocess.run([str(found / args[0]), *args[1:]], user=run_as(), stdin=subprocess.DEVNULL,
                                  stdout=log, stderr=log, timeout=timeout)  # never a pipe: the server inherits it
        if done.returncode != 0:
            tail = (self.folder / "commands.log").read_text(errors="replace")[-800:]  # type: ignore[operator]
            server_log = self.data / "server.log"
            if server_log.exists():
                tail += server_log.read_text(errors="replace")[-800:]
            raise Unavailable(f"{args[0]} {args[1]} failed ({done.returncode}):\n{tail}")

    def start(self) -> str:
        """Create the cluster (the first time) and start the server; returns its URI."""
        if self.folder is None:
            self.folder = Path(tempfile.mkdtemp(prefix="understudy-pg-"))
        self.folder.mkdir(parents=True, exist_ok=True)
        user = run_as()
        if user is not None:
            shutil.chown(self.folder, user)
        if not (self.data / "PG_VERSION").exists():
            self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                      *([] if self.durable else ["--no-sync"]))
        self.port = self.port or free_port()
        options = f"-h 127.0.0.1 -p {self.port} -k {self.data} -c max_connections=300"
        if not self.durable:  # commits still reach the OS before they are acknowledged: a crash of
            options += " -c fsync=off -c full_page_writes=off"  # PostgreSQL loses nothing, one of the machine may
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.data / "server.log"), "-w", "-t", "60",
                  "-o", options, "start", timeout=90)
        (self.folder / "uri").write_text(self.uri)
        return self.uri

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (`immediate`: as if it crashed); the cluster stays for `start`."""
        if self.folder is not None and (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def delete(self) -> None:
        self.stop()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> "Throwaway":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.delete()


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("start", "stop"):
        print("usage: python -m understudy.stores.throwaway start|stop FOLDER", file=sys.stderr)
        return 2
    server = Throwaway(argv[1])
    try:
        if argv[0] == "start":
            print(server.start())
        else:
            server.delete()
    except Unavailable as error:
        print(f"throwaway PostgreSQL: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
