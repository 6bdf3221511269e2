"""`understudy serve --reload`: watch openapi/, handlers/ and fixtures/ and swap in a freshly
built server when they change. A change that does not build (a spec that no longer validates, a
handler that does not import) keeps the last good server running and prints why. State carries
over unless a fixture changed."""

from __future__ import annotations

import asyncio
import importlib
import sys
import traceback
from pathlib import Path
from typing import Callable

from starlette.types import Receive, Scope, Send

from .api import HANDLERS

WATCHED = ("openapi", "handlers", "fixtures")


def snapshot(root: Path) -> dict[str, float]:
    files = {}
    for folder in WATCHED:
        for path in (root / folder).rglob("*"):
            if path.is_file() and path.suffix in (".py", ".yaml", ".yml", ".json"):
                files[str(path)] = path.stat().st_mtime_ns
    return files


def forget_handlers() -> None:
    for name in [m for m in sys.modules if m == HANDLERS or m.startswith(HANDLERS + ".")]:
        del sys.modules[name]
    importlib.invalidate_caches()


class Reloader:
    def __init__(self, build: Callable[..., object], root: Path, interval: float = 0.5,
                 log: Callable[[str], None] = lambda line: print(line, flush=True)):
        self.build = build
        self.root = root
        self.interval = interval
        self.log = log
        self.current = build()
        self.seen = snapshot(root)
        self.task: asyncio.Task | None = None

    def check(self) -> bool:
        """Rebuild if something changed; True when a new server was swapped in."""
        now = snapshot(self.root)
        if now == self.seen:
            return False
        changed = sorted(p for p in set(now) | set(self.seen) if now.get(p) != self.seen.get(p))
        self.seen = now
        fixtures_changed = any(Path(p).is_relative_to(self.root / "fixtures") for p in changed)
        names = ", ".join(str(Path(p).relative_to(self.root)) for p in changed)
        forget_handlers()
        try:
            keep = None if fixtures_changed else self.current.sessions
            new = self.build(sessions=keep)
        except Exception as error:  # keep serving the last good build
            detail = "".join(traceback.format_exception_only(type(error), error)).strip()
            self.log(f"understudy: {names} changed but does not load; still serving the last good "
                     f"version.\n  {detail[:2000]}")
            return False
        self.current = new
        self.log(f"understudy: reloaded after {names} changed"
                 + ("; state reset to the new fixtures" if fixtures_changed else "; state kept"))
        return True

    async def watch(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            self.check()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    self.task = asyncio.create_task(self.watch())
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    if self.task:
                        self.task.cancel()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        await self.current(scope, receive, send)
