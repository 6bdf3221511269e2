"""Where a scenario's time goes: each scenario's requests sent straight to the ASGI app, in this
process, without a socket (no server, no load generator), under cProfile.

    .venv/bin/python benchmarks/profile_scenarios.py                 # every scenario, 3000 requests each
    .venv/bin/python benchmarks/profile_scenarios.py -s tiikr-get -n 10000 --top 30
    .venv/bin/python benchmarks/profile_scenarios.py --state memory  # the one-worker store

The app is built as `understudy serve --api <api>` builds it for its workers (default: the
SQLite store of the default two workers). The table lists the functions with the largest
cumulative time (their own time and their callees'), in % of the whole run, and the CPU time
per request without the profiler (this process's, threads included).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import re
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.scenarios import BY_NAME, SCENARIOS, Request, Scenario, id_pattern  # noqa: E402

HOST = b"127.0.0.1:8000"


def scope_of(request: Request, path: str) -> dict:
    raw, _, query = path.partition("?")
    headers = [(b"host", HOST), (b"user-agent", b"wrk"), (b"accept", b"*/*")]
    headers += [(k.lower().encode(), v.encode()) for k, v in request.headers.items()]
    if request.body is not None:
        headers.append((b"content-length", str(len(request.body.encode())).encode()))
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": request.method,
            "scheme": "http", "path": raw, "raw_path": raw.encode(), "query_string": query.encode(),
            "root_path": "", "headers": headers, "client": ("127.0.0.1", 40000),
            "server": ("127.0.0.1", 8000)}


async def call(app, request: Request, path: str) -> tuple[int, bytes]:
    body = (request.body or "").encode()
    sent = False
    reply: dict = {"status": 0, "body": b""}

    async def receive() -> dict:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            reply["status"] = message["status"]
        elif message["type"] == "http.response.body":
            reply["body"] += message.get("body", b"")

    await app(scope_of(request, path), receive, send)
    return reply["status"], reply["body"]


async def run(app, scenario: Scenario, count: int) -> None:
    """`count` requests of the scenario (a create and its read count as two)."""
    if scenario.request is not None:
        for _ in range(count):
            status, body = await call(app, scenario.request, scenario.request.path)
            if status != scenario.request.status:
                raise SystemExit(f"{scenario.name}: {status} {body[:200]!r}")
        return
    for _ in range(count // 2):
        status, body = await call(app, scenario.create, scenario.create.path)
        found = re.search(id_pattern(scenario.id_field), body.decode())
        if status != scenario.create.status or found is None:
            raise SystemExit(f"{scenario.name}: {status} {body[:200]!r}")
        status, body = await call(app, scenario.read, scenario.read.path.replace("{id}", found.group(1)))
        if status != scenario.read.status:
            raise SystemExit(f"{scenario.name}: read {status} {body[:200]!r}")


def build(api: str, state: str):
    from understudy.app import create_app

    folder = tempfile.mkdtemp(prefix="understudy-profile-")
    config = {"single_api": api, "host": "127.0.0.1", "port": 8000}
    if state == "sqlite":
        config["state"] = str(Path(folder) / "state.sqlite")
    return create_app(config)


def profile(scenario: Scenario, count: int, state: str, top: int) -> list[str]:
    try:
        import uvloop
        loop = uvloop.new_event_loop()
    except ImportError:
        loop = asyncio.new_event_loop()
    app = build(scenario.api, state)
    loop.run_until_complete(run(app, scenario, 200))  # warm: every operation's chain built
    started = time.process_time()  # CPU time: other work on the machine does not inflate it
    loop.run_until_complete(run(app, scenario, count))
    plain = (time.process_time() - started) / count
    profiler = cProfile.Profile()
    profiler.enable()
    loop.run_until_complete(run(app, scenario, count))
    profiler.disable()
    loop.close()
    stats = pstats.Stats(profiler)
    total = stats.total_tt
    rows = sorted(stats.stats.items(), key=lambda item: item[1][3], reverse=True)
    lines = [f"### {scenario.name} ({state} store): {plain * 1e6:.0f} µs of CPU a request in-process "
             f"without the profiler, {count} requests", "",
             "| cumulative | own | calls/request | function |", "|---:|---:|---:|---|"]
    shown = 0
    for (file, line, name), (_, calls, own, cumulative, _) in rows:
        where = shorten(file)
        if where in ("~",) and name.startswith("<built-in method builtins.exec"):
            continue
        if cumulative / total > 0.999:  # the driver itself
            continue
        lines.append(f"| {100 * cumulative / total:.1f} % | {100 * own / total:.1f} % | "
                     f"{calls / count:.1f} | `{where}:{line} {name}` |")
        shown += 1
        if shown >= top:
            break
    return lines


def shorten(file: str) -> str:
    for marker in ("site-packages/", "/understudy/", "/lib/python3"):
        if marker in file:
            rest = file.split(marker, 1)[1]
            return ("understudy/" + rest) if marker == "/understudy/" else rest
    return file


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-s", "--scenario", action="append", choices=list(BY_NAME))
    parser.add_argument("-n", "--requests", type=int, default=3000)
    parser.add_argument("--state", choices=("sqlite", "memory"), default="sqlite",
                        help="the store: sqlite (the default two workers') or memory (one worker)")
    parser.add_argument("--top", type=int, default=20, help="rows per table")
    parser.add_argument("--json", type=Path, help="also write the tables to FILE")
    args = parser.parse_args(argv)
    # a built-in API's scenarios (one on a user's spec needs that spec served: run.py)
    chosen = [BY_NAME[name] for name in args.scenario] if args.scenario else [
        s for s in SCENARIOS if getattr(s, "spec", None) is None]
    out = {}
    for scenario in chosen:
        lines = profile(scenario, args.requests, args.state, args.top)
        print("\n".join(lines) + "\n", flush=True)
        out[scenario.name] = lines
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
