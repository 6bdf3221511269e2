"""Benchmark understudy side by side with Prism: same OpenAPI document, same requests, same load
generator (wrk on 127.0.0.1), one server at a time.

    .venv/bin/python benchmarks/run.py                  # every scenario, 3 rounds of 10 s
    .venv/bin/python benchmarks/run.py -s tiikr-get -d 30s -c 64 -r 5
    .venv/bin/python benchmarks/run.py --serve-args "--workers 1" --serve-args ""
    .venv/bin/python benchmarks/run.py --serve-args "" --serve-args "--state {postgres}"
    .venv/bin/python benchmarks/run.py --pinned              # also: one worker per core vs bare Starlette
    .venv/bin/python benchmarks/run.py --pinned-only         # only that

Each --serve-args adds one understudy configuration (extra `understudy serve` arguments), all
measured in the same run against the same Prism figures. `{postgres}` in them stands for a new
database of a throwaway PostgreSQL server the run starts (pip install -e '.[postgres]' pgserver).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shlex
import subprocess
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import servers, startup, wrk  # noqa: E402
from benchmarks.report import BUSY, PRISM_NOTE, Measurement, pinned_table, table  # noqa: E402
from benchmarks.scenarios import BY_NAME, SCENARIOS, Scenario, id_pattern  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


# -- one measurement ------------------------------------------------------------------------------
def check(server: servers.Server, scenario: Scenario) -> tuple[str, list[str]]:
    """Send the scenario's requests once: what came back, and a note for each unexpected reply."""
    first = scenario.first
    status, body = servers.http(first.method, server.origin + first.path, first.headers, first.body)
    seen, notes = [f"{first.method} {status}"], []
    if status != first.status:
        notes.append(f"{first.method} {first.path} answered {status} (expected {first.status}): "
                     f"{body[:200].decode(errors='replace')}")
    if scenario.read is not None:
        match = re.search(id_pattern(scenario.id_field), body.decode(errors="replace"))
        if match is None:
            notes.append(f"no \"{scenario.id_field}\" in the create's reply: reads cannot follow")
        else:
            read = scenario.read
            status, body = servers.http(read.method, server.origin + read.path.replace("{id}", match.group(1)),
                                        read.headers, read.body)
            seen.append(f"{read.method} {status} (id {match.group(1)})")
            if status != read.status:
                notes.append(f"{read.method} {read.path} answered {status} (expected {read.status}): "
                             f"{body[:200].decode(errors='replace')}")
    return ", ".join(seen), notes


def run_wrk(binary: str, script: Path, server: servers.Server, duration: str,
            args: argparse.Namespace, core: int | None = None) -> tuple[wrk.Result, dict[str, float]]:
    """One wrk run (pinned to `core` if given): its result, and the CPU used meanwhile in % of one
    core by the server, by wrk and by everything else on the machine (other work disturbs the
    figures)."""
    cmd = servers.pinned(core) + wrk.command(binary, script, server.origin, duration, args.connections,
                                             args.threads, args.timeout)
    before = (server.cpu_seconds(), children_cpu(), servers.machine_cpu_seconds())
    started = time.monotonic()
    done = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.monotonic() - started
    after = (server.cpu_seconds(), children_cpu(), servers.machine_cpu_seconds())
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    server_cpu, wrk_cpu, machine_cpu = (100 * (b - a) / wall for a, b in zip(before, after))
    return wrk.parse(done.stdout), {"server": server_cpu, "wrk": wrk_cpu,
                                    "other": max(0.0, machine_cpu - server_cpu - wrk_cpu)}


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(binary: str, server: servers.Server, scenario: Scenario, args: argparse.Namespace,
            is_prism: bool, wrk_core: int | None = None, resets: bool = True) -> Measurement:
    script = servers.CACHE / "scripts" / f"{scenario.name}.lua"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(wrk.script(scenario))
    seen, notes = check(server, scenario)
    if args.wait_quiet:
        idle = servers.wait_quiet(args.wait_quiet, BUSY)
        if idle >= BUSY:
            print(f"  the machine is still busy with other work ({idle:.0f}% of a core) after "
                  f"{args.wait_quiet:.0f} s: measuring anyway", flush=True)
    print(f"  {scenario.name} on {server.label}: {seen}; warming up {args.warmup}, "
          f"measuring {args.duration} ...", flush=True)
    if args.warmup not in ("0", "0s"):
        run_wrk(binary, script, server, args.warmup, args, wrk_core)
    if resets and not is_prism:
        servers.reset(server)  # measure from the fixtures, not from what the warm-up created
    result, cpu = run_wrk(binary, script, server, args.duration, args, wrk_core)
    if server.process.poll() is not None:
        notes.append(f"the server exited during the run ({server.process.returncode}); "
                     f"see {server.log}")
    print(f"    {result.rps:.0f} requests/s, {result.errors} errors, CPU % of a core: server "
          f"{cpu['server']:.0f}, wrk {cpu['wrk']:.0f}, other work {cpu['other']:.0f}", flush=True)
    return Measurement(scenario.name, server.label, is_prism, seen, result, cpu["server"], cpu["wrk"],
                       cpu["other"], notes)


def log_name(api: str, label: str, round_: int) -> str:
    return "-".join([api, re.sub(r"[^A-Za-z0-9]+", "-", label).strip("-").lower(), f"round{round_}"])


def bench_api(api: str, scenarios: list[Scenario], binary: str, prism: str | None,
              args: argparse.Namespace) -> list[Measurement]:
    """Rounds of: every understudy configuration, then Prism, one server at a time, each started
    afresh, on this API's scenarios. Rounds alternate the servers, so a slow spell of the machine
    does not fall on one server only."""
    measurements, document = [], None
    spec = spec_arguments(scenarios[0])
    for round_ in range(1, args.repeat + 1):
        for extra in args.serve_args:
            label = " ".join(["understudy", *shlex.split(extra)]).replace(servers.POSTGRES, "postgresql://...")
            print(f"round {round_}/{args.repeat}: starting {label} "
                  + (shlex.join(spec) if spec else f"--api {api}"), flush=True)
            server = servers.start_understudy(label, api, shlex.split(extra),
                                              log_name(api, label, round_), spec, args.postgres)
            try:
                document = document or servers.prism_document(servers.served_spec(server, api))
                measurements += [measure(binary, server, s, args, False) for s in scenarios]
            finally:
                server.stop()
        if prism:
            print(f"round {round_}/{args.repeat}: starting Prism on the same document ({api})", flush=True)
            server = servers.start_prism(prism, document, api, log_name(api, "Prism", round_))
            try:
                measurements += [measure(binary, server, s, args, True) for s in scenarios]
            finally:
                server.stop()
    return measurements


def figures(m: Measurement) -> dict:
    return {"scenario": m.scenario, "server": m.server, "prism": m.is_prism, "check": m.check,
            "notes": m.notes, "server_cpu": m.server_cpu, "wrk_cpu": m.wrk_cpu, "other_cpu": m.other_cpu,
            **m.result.as_dict()}


PINNED = BY_NAME["tiikr-get"]  # the per-core figure's request


def bench_pinned(binary: str, args: argparse.Namespace) -> list[Measurement]:
    """The per-core figure: one understudy worker pinned to one core and wrk to the other, then
    the same request answered by a bare Starlette route (benchmarks/bare_starlette.py) on uvicorn,
    pinned the same way; rounds alternate the two."""
    server_core, wrk_core = args.cores
    measurements = []
    for round_ in range(1, args.repeat + 1):
        print(f"round {round_}/{args.repeat}: pinned, server on core {server_core}, wrk on core {wrk_core}",
              flush=True)
        server = servers.start_understudy(PINNED_UNDERSTUDY, PINNED.api, ["--workers", "1"],
                                          log_name(PINNED.api, "pinned", round_), core=server_core)
        try:
            measurements.append(measure(binary, server, PINNED, args, False, wrk_core))
        finally:
            server.stop()
        server = servers.start_bare(PINNED_BARE, log_name(PINNED.api, "bare-starlette", round_), server_core)
        try:
            measurements.append(measure(binary, server, PINNED, args, False, wrk_core, resets=False))
        finally:
            server.stop()
    return measurements


PINNED_UNDERSTUDY = "understudy --workers 1, pinned"
PINNED_BARE = "bare Starlette route"


def spec_arguments(scenario: Scenario) -> list[str] | None:
    """`understudy serve` arguments of a scenario on a user's spec (files under benchmarks/ made
    absolute), or None for a built-in API."""
    if scenario.spec is None:
        return None
    here = Path(__file__).resolve().parent
    return [str(here / scenario.spec)] + [str(here / a) if (here / a).is_file() else a for a in scenario.serve]


def available(scenario: Scenario, present: set[str]) -> bool:
    if scenario.spec is not None:
        return (Path(__file__).resolve().parent / scenario.spec).is_file()
    return scenario.api in present


# -- the run --------------------------------------------------------------------------------------
def machine(wrk_binary: str | None, prism: str | None) -> dict[str, str]:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")), "?")
    commit = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
                            capture_output=True, text=True).stdout.strip()
    return {
        "nproc": f"{len(os.sched_getaffinity(0))} (of {os.cpu_count()}), {cpu}",
        "os": platform.platform(),
        "python": f"{platform.python_version()} ({sys.executable})",
        "understudy": commit or "?",
        "wrk": wrk.version(wrk_binary) if wrk_binary else "not available",
        "prism": (servers.tool_version([prism, "--version"]) + ", node "
                  + servers.tool_version(["node", "--version"])) if prism else "not available",
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-s", "--scenario", action="append", choices=[*BY_NAME, "startup"],
                        help="run only this scenario (repeatable; default: all); `startup` is the start-up "
                             "time on GitHub's REST description")
    parser.add_argument("-d", "--duration", default="10s", help="measured run per server and scenario (wrk -d)")
    parser.add_argument("-w", "--warmup", default="5s", help="warm-up run before each measured run; 0 for none")
    parser.add_argument("-r", "--repeat", type=int, default=3,
                        help="rounds (each server started afresh); the table shows the medians")
    parser.add_argument("-c", "--connections", type=int, default=32, help="open connections (wrk -c)")
    parser.add_argument("-t", "--threads", type=int, default=1, help="wrk threads (wrk -t)")
    parser.add_argument("--timeout", default="2s", help="a request without a reply after this is an error")
    parser.add_argument("--serve-args", action="append", metavar="ARGS",
                        help="extra `understudy serve` arguments, e.g. \"--workers 2\"; repeat to "
                             "measure several configurations (default: one, with no extra arguments); "
                             "{postgres} stands for a new database of a throwaway PostgreSQL server, "
                             "e.g. \"--state {postgres}\"")
    parser.add_argument("--wait-quiet", type=float, default=120, metavar="SECONDS",
                        help="before each server's warm-up, wait up to this long for other work on "
                             "the machine to stop (0: do not wait)")
    parser.add_argument("--no-prism", action="store_true", help="measure understudy only")
    parser.add_argument("--prism", metavar="BINARY", help="use this prism instead of installing one")
    parser.add_argument("--pinned", action="store_true",
                        help="also measure one understudy worker pinned to one core (wrk on another) "
                             "beside a bare Starlette route doing the same work (Tiikr GET)")
    parser.add_argument("--pinned-only", action="store_true", help="measure only the per-core figure")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write every figure to FILE")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    args = parser.parse_args(argv)
    args.serve_args = args.serve_args or [""]
    args.pinned = args.pinned or args.pinned_only
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list:
        for s in SCENARIOS:
            print(f"{s.name:<24}{s.api:<10}{s.what}")
        return 0
    from understudy.api import discover  # the APIs this checkout has
    from understudy.config import DEFAULTS

    chosen = [BY_NAME[name] for name in args.scenario if name in BY_NAME] if args.scenario else SCENARIOS
    with_startup = not args.pinned_only and (not args.scenario or "startup" in args.scenario)
    chosen = [] if args.pinned_only else chosen
    present = set(discover(DEFAULTS["root"]))
    skipped = [s for s in chosen if not available(s, present)]
    chosen = [s for s in chosen if available(s, present)]
    binary, why = wrk.find()
    if binary is None:
        print(f"cannot benchmark: {why}", file=sys.stderr)
        return 2
    prism, prism_why = (None, "--no-prism") if args.no_prism else servers.find_prism(args.prism, True)
    info = machine(binary, prism)
    print("understudy benchmark: " + shlex.join([os.path.relpath(sys.executable), *sys.argv]))
    for key, value in info.items():
        print(f"  {key:<11}{value}")
    print(f"  load       wrk -t {args.threads} -c {args.connections}, warm-up {args.warmup}, "
          f"measured {args.duration} per server, scenario and round, {args.repeat} round(s), "
          f"on 127.0.0.1")
    if prism is None and chosen:
        print(f"  Prism skipped: {prism_why}")
    if args.pinned:
        args.cores, why = servers.two_cores()
        print(f"  pinned     understudy and the bare Starlette route on core {args.cores[0]}, wrk on "
              f"core {args.cores[1]}" if why is None else f"  pinned figure skipped: {why}")
        args.pinned = why is None
    for s in skipped:
        print(f"  scenario {s.name} skipped: API {s.api} is not in this checkout")
    github, github_why = startup.github_spec() if with_startup else (None, "not asked for")
    if with_startup and github is None:
        print(f"  start-up skipped: {github_why}")
    print(flush=True)

    measurements: list[Measurement] = []
    args.postgres = servers.Postgres() if any(servers.POSTGRES in extra for extra in args.serve_args) else None
    try:
        for api in dict.fromkeys(s.api for s in chosen):
            measurements += bench_api(api, [s for s in chosen if s.api == api], binary, prism, args)
    finally:
        if args.postgres is not None:
            args.postgres.stop()
    # start-up is timed with the in-process stores only (a throwaway PostgreSQL's start is not the spec's)
    plain = [extra for extra in args.serve_args if servers.POSTGRES not in extra] or [""]
    starts = startup.measure(github, plain, prism, args.repeat) if github else []

    pinned = bench_pinned(binary, args) if args.pinned else []

    prism_label = f"Prism {info['prism'].split(',')[0]}"
    print()
    for s in chosen:
        print("\n".join(table(s, [m for m in measurements if m.scenario == s.name], prism_label)))
        print()
    if starts:
        print("\n".join(startup.table(starts, prism_label)))
        if any(m.other_cpu > BUSY for m in measurements) or servers.wait_quiet(1, BUSY) >= BUSY:
            print("  note: other work ran on the machine meanwhile: wall times are longer than on a quiet one")
        print()
    if args.pinned:
        print("\n".join(pinned_table(PINNED, pinned, *args.cores)))
        print()
    if args.json:
        args.json.write_text(json.dumps({
            "command": sys.argv, "machine": info, "prism_note": PRISM_NOTE,
            "skipped": [s.name for s in skipped],
            "results": [figures(m) for m in measurements],
            "pinned": [figures(m) for m in pinned],
            "startup": [{"server": x.server, "wall_s": round(x.wall, 2), "cpu_s": round(x.cpu, 2)} for x in starts],
        }, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
