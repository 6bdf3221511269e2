"""wrk, the load generator: find or install it, write a scenario's script, run it, read its result."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from .scenarios import Request, Scenario

SCRIPT = Path(__file__).resolve().parent / "wrk.lua"
RESULT_PREFIX = "WRK_JSON "


@dataclass
class Result:
    """One wrk run, as wrk.lua's done() reports it (times in microseconds)."""

    requests: int
    duration_us: int
    bytes: int
    non2xx: int  # replies outside 2xx
    no_id: int  # create replies with the create status but no id to read
    connect: int  # socket errors...
    read: int
    write: int
    timeout: int  # ...and requests without a reply within wrk's --timeout
    p50_us: int
    p99_us: int
    mean_us: float
    max_us: int

    @property
    def rps(self) -> float:
        return self.requests / (self.duration_us / 1e6) if self.duration_us else 0.0

    @property
    def socket_errors(self) -> int:
        return self.connect + self.read + self.write + self.timeout

    @property
    def errors(self) -> int:
        return self.non2xx + self.socket_errors

    def as_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        return {**data, "rps": round(self.rps, 1), "errors": self.errors}


def parse(output: str) -> Result:
    """The result line wrk.lua prints at the end of wrk's own report."""
    for line in reversed(output.splitlines()):
        if line.startswith(RESULT_PREFIX):
            return Result(**json.loads(line[len(RESULT_PREFIX):]))
    raise ValueError("no result line in wrk's output:\n" + output[-2000:])


def lua(value: Any) -> str:
    """A Python value (None, bool, number, str, list, dict) as a Lua expression."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        # Printable ASCII as is; quotes, backslashes and every other byte (control characters,
        # UTF-8) as three-digit decimal escapes, which Lua reads back byte for byte.
        return '"' + "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else
                             "".join(f"\\{b:03d}" for b in c.encode()) for c in value) + '"'
    if isinstance(value, (list, tuple)):
        return "{" + ", ".join(lua(v) for v in value) + "}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"[{lua(str(k))}] = {lua(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no Lua form for {type(value).__name__}")


def request_config(request: Request | None) -> dict[str, Any] | None:
    if request is None:
        return None
    return {"method": request.method, "path": request.path, "headers": dict(request.headers),
            "body": request.body, "status": request.status}


def script(scenario: Scenario) -> str:
    """The whole wrk script for a scenario: its config, then wrk.lua."""
    config = {"request": request_config(scenario.request), "create": request_config(scenario.create),
              "read": request_config(scenario.read), "id_field": scenario.id_field}
    return f"config = {lua(config)}\n\n" + SCRIPT.read_text()


def find(install: bool = True) -> tuple[str | None, str]:
    """The wrk binary (installed from the distribution's packages if missing and we may), or None
    and why not."""
    found = shutil.which("wrk")
    if found or not install:
        return found, "" if found else "wrk is not installed"
    if not shutil.which("apt-get") or os.geteuid() != 0:
        return None, "wrk is not installed (apt-get install wrk needs root on Debian/Ubuntu)"
    for attempt in (["apt-get", "install", "-y", "-q", "wrk"],
                    ["sh", "-c", "apt-get update -q && apt-get install -y -q wrk"]):
        done = subprocess.run(attempt, capture_output=True, text=True,
                              env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        if done.returncode == 0 and shutil.which("wrk"):
            return shutil.which("wrk"), ""
    return None, "apt-get install wrk failed: " + done.stderr.strip()[-300:]


def version(binary: str) -> str:
    out = subprocess.run([binary, "-v"], capture_output=True, text=True)
    match = re.search(r"wrk\s+(\S+)", out.stdout + out.stderr)
    return match.group(1) if match else "unknown"


def command(binary: str, script_path: Path, url: str, duration: str, connections: int,
            threads: int, timeout: str) -> list[str]:
    return [binary, "-t", str(threads), "-c", str(connections), "-d", duration, "--timeout", timeout,
            "-s", str(script_path), url]
