"""`understudy drift FILE.har [--api NAME | --spec SPEC] [--base-url URL] [--junit-xml FILE]`:
the exchanges of a HAR file (a recording of `serve --record`, or one exported from a browser's
developer tools) checked against the specs offline, with the checks a live `--upstream` runs.
One line per violation (the operation, the check and where); exit 1 when anything drifted, 0
when every exchange conforms, 2 when the file (or an option) cannot be used."""

from __future__ import annotations

import argparse
import asyncio
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..api import discover
from ..config import DEFAULTS
from .drift import UNDOCUMENTED, Checks
from .exchange import masked
from .har import HarError, exchange_of, read_entries
from .locate import Locator


@dataclass
class Result:
    number: int  # the entry's number in the file, from 1
    api: str
    operation: str | None
    method: str
    path: str
    status: int
    drift: list[dict[str, str]]

    @property
    def name(self) -> str:
        return self.operation or UNDOCUMENTED

    def lines(self) -> list[str]:
        head = f"{self.api} {self.name} (entry {self.number}, {self.method} {self.path} -> {self.status})"
        return [f"{head}: {d['in']}" + (f" at {d['where']}" if d["where"] and d["in"] != "response.status" else "")
                + f": {d['message']}" for d in self.drift]


def parser() -> argparse.ArgumentParser:
    found = argparse.ArgumentParser(
        prog="understudy drift", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    found.add_argument("har", metavar="FILE.har", help="a HAR 1.2 file")
    which = found.add_mutually_exclusive_group()
    which.add_argument("--api", choices=discover(DEFAULTS["root"]), help="check against this built-in API only")
    which.add_argument("--spec", metavar="SPEC", help="check against your own spec (a file, folder or URL)")
    found.add_argument("--base-url", metavar="URL",
                       help="the base URL the recorded requests used for the API (default: the spec's servers, "
                            "or understudy's own URLs); needs --api or --spec")
    found.add_argument("--junit-xml", metavar="FILE", help="also write a JUnit XML report (a test case per operation)")
    return found


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    if args.base_url and not (args.api or args.spec):
        return fail("--base-url names one API's URL: add --api NAME or --spec SPEC")
    try:
        entries = read_entries(args.har)
    except HarError as error:
        return fail(str(error))
    server = build(args)
    if server is None:
        return 2
    results, skipped = asyncio.run(check_all(entries, server, args.base_url, int(server.config["max_json_depth"])))
    for result in results:
        for line in result.lines():
            print(line)
    print(summary(results, skipped, list(server.mounts)))
    if args.junit_xml:
        try:
            junit(results, args.har).write(args.junit_xml, encoding="utf-8", xml_declaration=True)
        except OSError as error:
            return fail(f"--junit-xml {args.junit_xml}: cannot write it ({error.strerror or error})")
    return 1 if any(r.drift for r in results) else 0


def fail(message: str) -> int:
    print(f"understudy drift: {message}", file=sys.stderr)
    return 2


def build(args: argparse.Namespace) -> Any:
    """The server whose specs the exchanges are checked against (None: a spec that cannot be served)."""
    from ..app import create_app
    from ..generated.mount import ApiDefinitionError
    from ..spec import SpecError

    try:
        if args.spec:
            return create_app({"specs": [args.spec]})
        return create_app({"single_api": args.api} if args.api else None)
    except (SpecError, ApiDefinitionError) as error:
        fail(str(error))
        return None


async def check_all(entries: list[dict], server: Any, base_url: str | None,
                    max_depth: int) -> tuple[list[Result], dict[str, int]]:
    locator = Locator(server.mounts.values(), base_url)
    checks = {name: Checks(mount.app) for name, mount in server.mounts.items()}
    results: list[Result] = []
    skipped = {"no answer": 0, "elsewhere": 0, "unchecked": 0}
    for number, entry in enumerate(entries, 1):
        exchange = exchange_of(entry)
        if exchange is None:
            skipped["no answer"] += 1
            continue
        place = locator.locate(entry)
        if place is None:
            skipped["elsewhere"] += 1
            continue
        api, exchange.path = place
        try:
            checked = await checks[api].check(masked(exchange, max_depth), masked=True)
        except Exception as error:  # an entry the validators choke on: said, and left out
            print(f"understudy drift: entry {number} ({exchange.method} {exchange.path}) could not be checked: "
                  f"{type(error).__name__}: {error}", file=sys.stderr)
            skipped["unchecked"] += 1
            continue
        results.append(Result(number, api, checked.operation, exchange.method, exchange.path, exchange.status,
                              checked.drift))
    return results, skipped


def summary(results: list[Result], skipped: dict[str, int], apis: list[str]) -> str:
    drifted = [r for r in results if r.drift]
    operations = sorted({f"{r.api} {r.name}" for r in drifted})
    if not results:
        line = f"understudy drift: no entry is a request to {', '.join(apis)} with an answer: nothing checked"
    elif drifted:
        line = (f"understudy drift: {len(drifted)} of {len(results)} exchanges drifted from the spec, in "
                f"{len(operations)} operation(s): {', '.join(operations)}")
    else:
        line = f"understudy drift: all {len(results)} exchanges conform to the spec"
    left = [f"{n} without an answer" for n in [skipped["no answer"]] if n]
    left += [f"{n} not a request to {', '.join(apis)}" for n in [skipped["elsewhere"]] if n]
    left += [f"{n} that could not be checked" for n in [skipped["unchecked"]] if n]
    return line + (f" ({'; '.join(left)}: skipped)" if left else "")


def junit(results: list[Result], har: str) -> ET.ElementTree:
    """A test case per operation checked; a failure lists its drifted exchanges."""
    by_operation: dict[tuple[str, str], list[Result]] = defaultdict(list)
    for result in results:
        by_operation[(result.api, result.name)].append(result)
    failures = sum(1 for found in by_operation.values() if any(r.drift for r in found))
    suite = ET.Element("testsuite", name=f"understudy drift {Path(har).name}", tests=str(len(by_operation)),
                       failures=str(failures), errors="0", skipped="0")
    for (api, operation), found in sorted(by_operation.items()):
        case = ET.SubElement(suite, "testcase", classname=api, name=operation)
        drifted = [r for r in found if r.drift]
        if drifted:
            failure = ET.SubElement(case, "failure", type="drift",
                                    message=f"{len(drifted)} of {len(found)} exchanges drifted from the spec")
            failure.text = "\n".join(line for r in drifted for line in r.lines())
    suites = ET.Element("testsuites", name="understudy drift", tests=suite.get("tests"), failures=str(failures))
    suites.append(suite)
    return ET.ElementTree(suites)
