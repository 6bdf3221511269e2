"""Start-up time on a large spec: GitHub's REST description (12 MiB, the npm package
`@octokit/openapi`), from starting the server's process to its first HTTP reply, for understudy
(`understudy serve SPEC`, each configuration of --serve-args) and Prism (`prism mock SPEC`), one
at a time, in rounds. Wall time and the CPU time the server's processes used meanwhile (on a busy
machine the CPU time is the steadier figure)."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from statistics import median

from . import servers

PACKAGE = "@octokit/openapi@23.0.2"  # as tests/corpus/corpus.yaml pins it
FILE = Path("node_modules/@octokit/openapi/generated/api.github.com.json")
CORPUS = servers.HERE.parent / "tests" / "corpus" / ".cache"  # the test corpus ships it too
OWN = servers.CACHE / "octokit"


@dataclass
class Start:
    server: str
    wall: float  # seconds to the first reply
    cpu: float  # CPU seconds its processes used by then


def github_spec(install: bool = True) -> tuple[Path | None, str]:
    """GitHub's description: from the test corpus when installed, else installed once from the
    npm registry into benchmarks/.cache/octokit/; (None, why) when neither can be."""
    for root in (CORPUS, OWN):
        if (root / FILE).is_file():
            return root / FILE, ""
    if not install:
        return None, f"{PACKAGE} is not installed"
    if not shutil.which("npm"):
        return None, "npm is not installed, so GitHub's description cannot be"
    OWN.mkdir(parents=True, exist_ok=True)
    print(f"installing {PACKAGE} into {OWN.relative_to(servers.HERE.parent)} ...", flush=True)
    done = subprocess.run(["npm", "install", "--prefix", str(OWN), "--no-audit", "--no-fund", "--ignore-scripts",
                           "--loglevel=error", PACKAGE], capture_output=True, text=True)
    if done.returncode != 0 or not (OWN / FILE).is_file():
        return None, "npm install failed: " + (done.stderr or done.stdout).strip()[-300:]
    return OWN / FILE, ""


def time_start(label: str, command: list[str], port: int, log_name: str, timeout: float = 300) -> Start:
    started = time.monotonic()
    server = servers.start(label, command, port, log_name)
    try:
        server.wait_until_answering("/", timeout=timeout, every=0.05)
        wall = time.monotonic() - started
        cpu = server.cpu_seconds()
    finally:
        server.stop()
    return Start(label, wall, cpu)


def measure(spec: Path, serve_args: list[str], prism: str | None, rounds: int) -> list[Start]:
    """Every configuration's start, `rounds` times, alternating the servers."""
    found: list[Start] = []
    for round_ in range(1, rounds + 1):
        for extra in serve_args:
            label = " ".join(["understudy", *shlex.split(extra)])
            port = servers.free_port()
            command = servers.understudy_command("", port, shlex.split(extra), [str(spec)])
            found.append(time_start(label, command, port, f"startup-{len(found)}"))
            print(f"  start-up round {round_}: {label} answered after {found[-1].wall:.1f} s "
                  f"({found[-1].cpu:.1f} s of CPU)", flush=True)
        if prism:
            port = servers.free_port()
            command = [prism, "mock", "-m", "--host", servers.HOST, "-p", str(port), str(spec)]
            found.append(time_start("Prism", command, port, f"startup-{len(found)}"))
            print(f"  start-up round {round_}: Prism answered after {found[-1].wall:.1f} s "
                  f"({found[-1].cpu:.1f} s of CPU)", flush=True)
    return found


def table(starts: list[Start], prism_label: str = "Prism") -> list[str]:
    lines = ["start-up: GitHub's REST description (api.github.com.json, 12 MiB), process start to first reply",
             f"  {'server':<26}{'wall, s':>9}{'CPU, s':>9}  wall per round"]
    by_server = {s.server: [x for x in starts if x.server == s.server] for s in starts}
    walls = {}
    for server, runs in by_server.items():
        label = prism_label if server == "Prism" else server
        walls[server] = median(r.wall for r in runs)
        lines.append(f"  {label:<26}{walls[server]:>9.1f}{median(r.cpu for r in runs):>9.1f}  "
                     + ", ".join(f"{r.wall:.1f}" for r in runs))
    if "Prism" in walls:
        for server, wall in walls.items():
            if server != "Prism":
                lines.append(f"  {server} / Prism: {wall / walls['Prism']:.2f}x the start-up time")
    return lines
