"""The servers under test: understudy serving one API at the root, and Prism mocking the same
OpenAPI document. Each runs in its own process group, so that stopping it stops its workers."""

from __future__ import annotations

import copy
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
PRISM_PACKAGE = "@stoplight/prism-cli@5"
PRISM_DIR = CACHE / "prism"
HOST = "127.0.0.1"
TICKS = os.sysconf("SC_CLK_TCK")
# urllib without proxies: everything here is on 127.0.0.1.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def http(method: str, url: str, headers: dict[str, str] | None = None, body: str | None = None,
         timeout: float = 10) -> tuple[int, bytes]:
    """(status, body) of one request; any status, no exception for 4xx/5xx."""
    data = body.encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with OPENER.open(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@dataclass
class Server:
    label: str
    process: subprocess.Popen
    origin: str
    log: Path
    helpers: tuple[int, ...] = ()  # other processes whose work is the server's (its database), with their children

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def wait_until_answering(self, path: str = "/", timeout: float = 90, every: float = 0.2) -> None:
        """Until any HTTP reply comes back on `path`; fails with the log if the process dies."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.label} exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                http("GET", self.origin + path, timeout=max(2.0, deadline - time.monotonic()))
                return
            except (OSError, urllib.error.URLError):
                time.sleep(every)
        raise RuntimeError(f"{self.label} did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the live processes of the server's group."""
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            pid = int(stat.parent.name)
            if int(fields[2]) == self.process.pid or pid in self.helpers or int(fields[1]) in self.helpers:
                total += int(fields[11]) + int(fields[12])  # utime, stime (process group, parent)
        return total / TICKS

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def machine_cpu_seconds() -> float:
    """CPU time used so far on the whole machine, every core, idle and I/O wait left out."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / TICKS


def wait_quiet(limit: float, busy: float) -> float:
    """Wait (up to `limit` seconds) until the machine, sampled over one second, uses less than
    `busy` % of one core; returns the last sample."""
    deadline = time.monotonic() + limit
    while True:
        before = machine_cpu_seconds()
        time.sleep(1)
        used = 100 * (machine_cpu_seconds() - before)
        if used < busy or time.monotonic() >= deadline:
            return used


def start(label: str, command: list[str], port: int, log_name: str) -> Server:
    log = CACHE / "logs" / f"{log_name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    return Server(label, process, f"http://{HOST}:{port}", log)


# -- understudy ---------------------------------------------------------------------------------
def understudy_command(api: str, port: int, extra: list[str], spec: list[str] | None = None) -> list[str]:
    """`understudy serve --api API` (a built-in API), or `understudy serve SPEC ...` (`spec`: the
    spec and the arguments it needs), on 127.0.0.1:port."""
    script = Path(sys.executable).parent / "understudy"
    base = [str(script)] if script.exists() else [sys.executable, "-m", "understudy.cli"]
    served = list(spec) if spec else ["--api", api]
    return base + ["serve", *served, "--host", HOST, "--port", str(port)] + extra


def start_understudy(label: str, api: str, extra: list[str], log_name: str, spec: list[str] | None = None,
                      database: "Postgres | None" = None, ready: str = "/openapi.json",
                      core: int | None = None) -> Server:
    """`understudy serve --api API EXTRA` (or `serve SPEC ...`, see understudy_command), pinned to
    `core` if given; `{postgres}` in EXTRA becomes a new database of a throwaway PostgreSQL server,
    whose CPU then counts as the server's."""
    port = free_port()
    if database is not None and any(POSTGRES in arg for arg in extra):
        extra = [arg.replace(POSTGRES, database.fresh()) for arg in extra]
    server = start(label, pinned(core) + understudy_command(api, port, extra, spec), port, log_name)
    if database is not None and database.server is not None:
        server.helpers = (database.postmaster(),)
    try:
        server.wait_until_answering(ready)
    except Exception:
        server.stop()
        raise
    return server


def start_bare(label: str, log_name: str, core: int | None = None) -> Server:
    """benchmarks/bare_starlette.py on uvicorn, one process, with understudy's HTTP parser and loop."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "benchmarks.bare_starlette:app", "--app-dir", str(HERE.parent),
               "--host", HOST, "--port", str(port), "--http", "httptools", "--loop", "uvloop",
               "--no-access-log", "--log-level", "warning"]
    server = start(label, pinned(core) + command, port, log_name)
    try:
        server.wait_until_answering("/api/v1/test")
    except Exception:
        server.stop()
        raise
    return server


# -- pinning to a core --------------------------------------------------------------------------
def pinned(core: int | None) -> list[str]:
    """The prefix that runs a command on one core (nothing for None)."""
    return [] if core is None else ["taskset", "-c", str(core)]


def two_cores() -> tuple[tuple[int, int] | None, str | None]:
    """(server's core, wrk's core), or None and why the per-core figure cannot be taken."""
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        return None, "it needs two cores, this process may use one"
    if not shutil.which("taskset"):
        return None, "taskset is not installed (util-linux)"
    return (cores[0], cores[1]), None


POSTGRES = "{postgres}"  # in --serve-args: a database of the throwaway PostgreSQL server


class Postgres:
    """A throwaway PostgreSQL server (understudy.stores.throwaway: the pgserver wheel's binaries,
    or Debian's) with PostgreSQL's default durability, started on first use; a new database for
    every understudy start, so each round starts from an empty one."""

    def __init__(self) -> None:
        self.server = None
        self.count = 0

    def fresh(self) -> str:
        import psycopg

        from understudy.stores.throwaway import Throwaway

        if self.server is None:
            self.server = Throwaway(CACHE / "postgres", durable=True)
            self.server.delete()  # a cluster left by an interrupted run
            self.server.start()
        self.count += 1
        name = f"bench_{self.count}"
        with psycopg.connect(self.server.uri, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name}")
            conn.execute(f"CREATE DATABASE {name}")
        return self.server.uri.rsplit("/", 1)[0] + "/" + name

    def postmaster(self) -> int:
        return int((self.server.data / "postmaster.pid").read_text().split()[0])

    def stop(self) -> None:
        if self.server is not None:
            self.server.delete()


def served_spec(server: Server, api: str) -> dict:
    """The spec as a single-API understudy serves it (at /openapi.json, or /<api>/openapi.json)."""
    for path in ("/openapi.json", f"/{api}/openapi.json"):
        status, body = http("GET", server.origin + path)
        if status == 200:
            return json.loads(body)
    raise RuntimeError(f"{server.label} serves no /openapi.json")


def reset(server: Server) -> None:
    """Reset through the admin API, with the admin token the server was given in the environment."""
    from understudy.security.admin_token import ENV, auth_headers

    status, body = http("POST", server.origin + "/__understudy/reset", headers=auth_headers(os.environ.get(ENV)))
    if status != 200:
        raise RuntimeError(f"reset answered {status}: {body[:200]!r}")


# -- Prism --------------------------------------------------------------------------------------
def prism_document(spec: dict) -> dict:
    """The same document with the servers' base path folded into the paths and the server set to
    `/`, so Prism serves the very paths understudy serves (`/api/v1` + `/test`)."""
    document = copy.deepcopy(spec)
    servers = document.get("servers") or [{"url": "/"}]
    base = urlparse(servers[0]["url"]).path.rstrip("/")
    document["paths"] = {base + path: item for path, item in document.get("paths", {}).items()}
    document["servers"] = [{"url": "/"}]
    for item in document["paths"].values():
        item.pop("servers", None)
        for operation in item.values():
            if isinstance(operation, dict):
                operation.pop("servers", None)
    return document


def find_prism(given: str | None, install: bool) -> tuple[str | None, str]:
    """The prism binary: given, already in the cache, or installed there from the npm registry."""
    if given:
        return (given, "") if shutil.which(given) else (None, f"{given} not found")
    binary = PRISM_DIR / "node_modules" / ".bin" / "prism"
    if binary.exists():
        return str(binary), ""
    if not install:
        return None, "Prism is not installed in benchmarks/.cache/prism"
    if not shutil.which("npm"):
        return None, "npm is not installed, so Prism cannot be"
    PRISM_DIR.mkdir(parents=True, exist_ok=True)
    print(f"installing {PRISM_PACKAGE} into {PRISM_DIR.relative_to(HERE.parent)} ...", flush=True)
    done = subprocess.run(["npm", "install", "--prefix", str(PRISM_DIR), "--no-audit", "--no-fund",
                           "--loglevel=error", PRISM_PACKAGE], capture_output=True, text=True)
    if done.returncode != 0 or not binary.exists():
        return None, "npm install failed: " + (done.stderr or done.stdout).strip()[-300:]
    return str(binary), ""


def tool_version(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return (done.stdout or done.stderr).strip().splitlines()[0] if done.returncode == 0 else "unknown"


def start_prism(binary: str, document: dict, api: str, log_name: str) -> Server:
    path = CACHE / "specs" / f"{api}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1))
    port = free_port()
    server = start("Prism", [binary, "mock", "-m", "--host", HOST, "-p", str(port), str(path)], port,
                   log_name)
    try:
        server.wait_until_answering("/")
    except Exception:
        server.stop()
        raise
    return server
