"""Issue 21's side-by-side on the test corpus (tests/corpus/corpus.yaml): understudy and Prism 5
(`prism mock SPEC`) sent the same plausible requests, one per operation (up to 30 per spec),
with the demo credentials `GET /__understudy/credentials` lists (Prism only checks that they are
there), and the same POST / GET / PATCH / DELETE / GET on every collection/item pair the
inference finds. Prints, per spec and in total: loaded or not, 2xx / 5xx answers, pairs read back.

    .venv/bin/python tests/corpus/compare.py              # understudy and Prism, every spec
    .venv/bin/python tests/corpus/compare.py --no-prism   # understudy alone
    .venv/bin/python tests/corpus/compare.py --only api/xkcd.com.json --operations 10

understudy runs in process as `understudy serve SPEC` builds it (response validation on, so an
answer that breaks the spec is a 500); its requests are recorded (including the POST that makes an
item exist before an item operation reads it) and replayed, byte for byte, to Prism on 127.0.0.1,
with the base path of the spec's `servers` left out (Prism serves the paths as written). Prism is
the one benchmarks/run.py installs into benchmarks/.cache/prism/ (npm); a spec Prism does not
answer on within the start timeout counts as not loaded. A read-back is `plausible.read_back`:
the GET of the created id shows what was POSTed, and a GET after DELETE is 404."""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from starlette.testclient import TestClient

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent.parent)]

from benchmarks import servers  # noqa: E402
from install import installed, spec_paths  # noqa: E402
from plausible import Probe, Sent, _document, _text, comparable, read_back  # noqa: E402

from understudy.app import create_app  # noqa: E402
from understudy.spec import load_spec  # noqa: E402


@dataclass
class Recorded:
    method: str
    url: str
    headers: dict
    cookies: dict
    content: bytes | None


class Recording:
    """The probe's client, recording every request it sends."""

    def __init__(self, client: TestClient):
        self.client, self.sent = client, []

    def __getattr__(self, name):
        return getattr(self.client, name)

    def request(self, method, url, headers=None, content=None, **kwargs):
        self.sent.append(Recorded(method, url, dict(headers or {}), dict(self.client.cookies), content))
        return self.client.request(method, url, headers=headers, content=content, **kwargs)


@dataclass
class Figures:
    loaded: int = 0
    requests: int = 0
    ok: int = 0  # 2xx
    errors: int = 0  # 5xx (or no answer)
    pairs: int = 0
    read_back: int = 0
    shown: int = 0  # of those read back, the GET showing at least one field the POST sent, as sent
    notes: list = field(default_factory=list)

    def add(self, other: "Figures") -> None:
        for name in ("loaded", "requests", "ok", "errors", "pairs", "read_back", "shown"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Script:
    """What understudy was sent for one spec: per operation (setup requests, the counted one),
    per resource the lifecycle's requests."""

    operations: list = field(default_factory=list)  # (op, [Recorded]) the last one counted
    lifecycles: list = field(default_factory=list)  # (resource, [Recorded], [Sent]) understudy's steps


def understudy(path: Path, operations: int) -> tuple[Figures, Script, str]:
    figures, script = Figures(), Script()
    try:
        app = create_app({"specs": [str(path)], "validate_responses": True, "journal_size": 50,
                          "allowed_hosts": ["testserver"]})  # the Host the TestClient sends
    except (Exception, SystemExit) as error:  # a spec that does not load is a figure, not a crash
        figures.notes.append(f"not loaded: {error}")
        return figures, script, ""
    figures.loaded = 1
    recording = Recording(TestClient(app, raise_server_exceptions=False, follow_redirects=False))
    probe = Probe(app, recording, load_spec(path))
    app.reset()
    for op in probe.sample(operations):
        mark = len(recording.sent)
        sent = probe.send(op)
        script.operations.append((op, recording.sent[mark:]))
        figures.requests += 1
        figures.ok += sent.status < 300
        figures.errors += sent.status >= 500
    for resource in probe.resources.resources:
        if ("get", resource.item) not in probe.by_key:
            continue
        app.reset()
        mark = len(recording.sent)
        steps = probe.lifecycle(resource)
        script.lifecycles.append((resource, recording.sent[mark:], steps))
        figures.pairs += 1
        problem = read_back(probe, resource, steps)
        figures.read_back += problem is None
        figures.shown += problem is None and shows(probe, resource, steps)
    script.probe = probe
    return figures, script, probe.mount.base_path


def prism(binary: str, path: Path, script: Script, base_path: str, timeout: float) -> Figures:
    figures = Figures()
    port = servers.free_port()
    server = servers.start("Prism", [binary, "mock", "--host", servers.HOST, "-p", str(port), str(path)],
                           port, f"compare-{path.stem}")
    try:
        try:
            server.wait_until_answering("/", timeout=timeout)
        except RuntimeError as error:
            figures.notes.append("not loaded: " + str(error).splitlines()[0])
            return figures
        figures.loaded = 1
        if not script.operations and not script.lifecycles:
            return figures
        with httpx.Client(base_url=server.origin, timeout=30, trust_env=False) as client:
            def replay(recorded: Recorded, op) -> Sent:
                url = recorded.url[len(base_path):] if base_path and recorded.url.startswith(base_path) else recorded.url
                headers = dict(recorded.headers)
                if recorded.cookies:
                    headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in recorded.cookies.items())
                try:
                    response = client.request(recorded.method, url or "/", headers=headers, content=recorded.content)
                    status, body, answer_headers = response.status_code, response.content, dict(response.headers)
                except httpx.HTTPError as error:
                    status, body, answer_headers = 599, str(error).encode(), {}
                responses = op.operation.get("responses") or {}
                code = str(status)
                documented = any(k in responses for k in (code, code[0] + "XX", code[0] + "xx", "default"))
                parsed = None
                if recorded.content and "json" in recorded.headers.get("Content-Type", ""):
                    import json

                    parsed = json.loads(recorded.content)
                elif recorded.content and recorded.headers.get("Content-Type", "").startswith(
                        "application/x-www-form-urlencoded"):
                    from urllib.parse import parse_qsl

                    parsed = dict(parse_qsl(recorded.content.decode()))
                return Sent(op, recorded.method, url, status, body, documented, answer_headers, parsed)

            for op, requests in script.operations:
                for setup in requests[:-1]:
                    replay(setup, op)
                sent = replay(requests[-1], op)
                figures.requests += 1
                figures.ok += sent.status < 300
                figures.errors += sent.status >= 500
            for resource, requests, steps in script.lifecycles:
                figures.pairs += 1
                # Prism keeps nothing: the same requests, ids and all, as understudy was sent
                answers = [replay(recorded, step.op) for recorded, step in zip(requests[-len(steps):], steps)]
                ok = read_back(script.probe, resource, answers) is None
                figures.read_back += ok
                figures.shown += ok and shows(script.probe, resource, answers)
    finally:
        server.stop()
    return figures


def shows(probe: Probe, resource, steps: list[Sent]) -> bool:
    """Whether the GET of the created id shows a field the POST sent, as sent (read_back alone
    passes a pair whose POST sent nothing the answer can show, and whose spec has no DELETE)."""
    if len(steps) < 2:
        return False
    got = _document(resource, steps[1].json())
    sent = steps[0].sent
    return isinstance(got, dict) and any(k in got and _text(got[k]) == _text(sent[k])
                                         for k in comparable(probe, resource, sent))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--operations", type=int, default=30, help="plausible requests per spec (default 30)")
    parser.add_argument("--only", action="append", default=[], help="only this corpus path; repeatable")
    parser.add_argument("--no-prism", action="store_true", help="understudy alone")
    parser.add_argument("--prism", help="a prism binary already installed")
    parser.add_argument("--start-timeout", type=float, default=180, help="seconds Prism may take to answer")
    args = parser.parse_args(argv)
    if not installed():
        print("the spec corpus is not installed: run `python tests/corpus/install.py` (needs npm)")
        return 2
    binary = None
    if not args.no_prism:
        binary, why = servers.find_prism(args.prism, install=True)
        if binary is None:
            print(f"Prism is not measured: {why}")
        else:
            print("Prism " + servers.tool_version([binary, "--version"]))
    totals = {"understudy": Figures(), "Prism": Figures()}
    specs = [(p, e) for p, e in spec_paths() if not args.only or e["path"] in args.only]
    print(f"{'spec':44} {'ops':>4}  {'understudy 2xx/5xx':>18} {'read back':>9}  "
          f"{'Prism 2xx/5xx':>13} {'read back':>9}")
    for path, entry in specs:
        started = time.monotonic()
        ours, script, base_path = understudy(path, args.operations)
        theirs = prism(binary, path, script, base_path, args.start_timeout) if binary else None
        totals["understudy"].add(ours)
        if theirs is not None:
            totals["Prism"].add(theirs)
        line = (f"{entry['path'][:44]:44} {ours.requests:>4}  {_share(ours):>18} {ours.read_back:>4}/{ours.pairs:<4}")
        if theirs is not None:
            line += f"  {_share(theirs):>13} {theirs.read_back:>4}/{theirs.pairs:<4}"
        print(line + f"  ({time.monotonic() - started:.0f} s)", flush=True)
        for note in ours.notes:
            print(f"    understudy {note}")
        for note in (theirs.notes if theirs else []):
            print(f"    Prism {note}")
    print()
    for name, figures in totals.items():
        if name == "Prism" and binary is None:
            continue
        print(f"{name}: {figures.loaded} of {len(specs)} specs loaded; {figures.ok} of {figures.requests} "
              f"plausible requests answered 2xx ({100 * figures.ok / max(figures.requests, 1):.1f} %), "
              f"{figures.errors} 5xx; a POST read back by a GET of its id on {figures.read_back} of "
              f"{figures.pairs} collection/item pairs ({100 * figures.read_back / max(figures.pairs, 1):.1f} %), "
              f"{figures.shown} of them showing a posted field as sent")
    return 0


def _share(figures: Figures) -> str:
    if not figures.loaded:
        return "not loaded"
    return f"{figures.ok}/{figures.errors}"


if __name__ == "__main__":
    sys.exit(main())
