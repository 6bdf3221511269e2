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

SUFFIXES = (".py", ".yaml", ".yml", ".json")
USER_HANDLERS = "understudy_user_handlers_"  # a --handlers folder's package (generated/mount.py)


def snapshot(watched: list[Path]) -> dict[str, float]:
    files = {}
    for place in watched:
        found = place.rglob("*") if place.is_dir() else [place] if place.exists() else []
        for path in found:
            if path.is_file() and path.suffix in SUFFIXES:
                files[str(path)] = path.stat().st_mtime_ns
    return files


def forget_handlers() -> None:
    for name in [m for m in sys.modules if m == HANDLERS or m.startswith(HANDLERS + ".")
                 or m.startswith(USER_HANDLERS)]:
        del sys.modules[name]
    importlib.invalidate_caches()


class Reloader:
    def __init__(self, build: Callable[..., object], watched: list[Path], interval: float = 0.5,
                 log: Callable[[str], None] = lambda line: print(line, flush=True)):
        """`watched`: files and folders; a change under a folder named `fixtures` resets the state."""
        self.build = build
        self.watched = [Path(p) for p in watched]
        self.interval = interval
        self.log = log
        self.current = build()
        self.seen = snapshot(self.watched)
        self.task: asyncio.Task | None = None

    def check(self) -> bool:
        """Rebuild if something changed; True when a new server was swapped in."""
        now = snapshot(self.watched)
        if now == self.seen:
            return False
        changed = sorted(p for p in set(now) | set(self.seen) if now.get(p) != self.seen.get(p))
        self.seen = now
        fixtures_changed = any("fixtures" in Path(p).parts for p in changed)
        names = ", ".join(changed)
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
