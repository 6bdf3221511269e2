"""`understudy serve | credentials | drift | contract | <api command>`."""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from typing import Any

from .api import discover, load_api
from .config import DEFAULTS
from .generated.mount import ApiDefinitionError
from .spec import SpecError
from .upstream import UpstreamError

# What stops `serve` with one line: a user's spec or handlers that cannot be served, a bad
# --upstream / --record / --replay.
StartupProblem = (SpecError, ApiDefinitionError, UpstreamError)


def credential_lines(server) -> list[str]:
    lines = []
    for name, mount in server.mounts.items():
        lines.append(f"  {mount.api.title:<28} {mount.base_path}")
        for cred in server.credentials()[name]:
            lines.append(f"      {cred.get('describe', cred)}")
    return lines


def cmd_serve(args: argparse.Namespace) -> int:
    import os
    import tempfile

    import uvicorn

    from .app import create_app
    from .security.protocol import http_protocol

    workers = 1 if args.reload else (args.workers or os.cpu_count() or 1)
    state = args.state
    scratch = None
    if workers > 1 and not state:  # workers share one state: an embedded SQLite file
        scratch = tempfile.TemporaryDirectory(prefix="understudy-")
        state = os.path.join(scratch.name, "state.sqlite")
    overrides: dict[str, Any] = {"host": args.host, "port": args.port, "single_api": args.api, "state": state,
                                 "cors_origins": args.cors_origin, "allowed_hosts": args.allowed_host,
                                 "admin_token": args.admin_token, **spec_options(args), **upstream_options(args)}
    try:
        if args.reload:
            from .reload import Reloader

            reloader = Reloader(lambda sessions=None: create_app(overrides, sessions), watched(args))
            server, app = reloader.current, reloader
        else:
            server = app = create_app(overrides)
    except StartupProblem as problem:
        print(f"understudy: {problem}", file=sys.stderr)
        return 2
    mistakes = report_mistakes(server, strict=args.strict)
    if mistakes and args.strict:
        return 2
    print_banner(server, args, workers, state if args.state else None)
    options = {"host": args.host, "port": args.port, "log_level": args.log_level, "access_log": args.access_log,
               "http": http_protocol(), "server_header": not server.fronts}  # a forwarded or replayed answer keeps its own
    try:
        if workers == 1:
            uvicorn.run(app, **options)
        else:
            os.environ["UNDERSTUDY_CONFIG"] = json.dumps(overrides)
            uvicorn.run("understudy.app:app_from_environment", factory=True, workers=workers, **options)
    finally:
        if scratch is not None:
            scratch.cleanup()
    return 0


def spec_options(args: argparse.Namespace) -> dict[str, Any]:
    """A user's specs and how to serve them (see `app.user_apis`)."""
    if not args.specs:
        return {}
    return {"specs": args.specs, "handlers": args.handlers, "fixtures": args.fixtures,
            "credentials": args.credentials, "any_credential": args.any_credential,
            "allow_remote_refs": args.allow_remote_refs}


def upstream_options(args: argparse.Namespace) -> dict[str, Any]:
    """In front of the real API (see `upstream/`)."""
    return {"upstreams": args.upstream, "upstream_fallback": args.upstream_fallback or None,
            "upstream_timeout": args.upstream_timeout, "record": args.record, "replay": args.replay}


def watched(args: argparse.Namespace) -> list:
    """What `--reload` watches: the specs (and --handlers / --fixtures), or the built-in APIs."""
    from pathlib import Path

    if not args.specs:
        return [DEFAULTS["root"] / folder for folder in ("openapi", "handlers", "fixtures")]
    paths = [Path(s.partition("=")[2] if "=" in s and "/" not in s.partition("=")[0] else s) for s in args.specs]
    return [p for p in paths + [Path(d) for d in (args.handlers, args.fixtures) if d] if not str(p).startswith("http")]


def report_mistakes(server, strict: bool) -> list[str]:
    """A user's spec's mistakes, each once with file and JSON pointer: served anyway, or refused
    with --strict."""
    lines = [f"  {m}" for mount in server.mounts.values() for m in mount.api.mistakes]
    if lines:
        head = ("understudy: refusing the spec (--strict):" if strict
                else "understudy: the spec has mistakes; serving it anyway (--strict refuses them):")
        print("\n".join([head] + lines), file=sys.stderr if strict else sys.stdout)
    return lines


def print_banner(server, args: argparse.Namespace, workers: int, state: str | None) -> None:
    from .security import startup_warnings

    origin = f"http://{args.host}:{args.port}"
    print(f"understudy serving {len(server.mounts)} API(s) at {origin} "
          f"({workers} worker{'s' if workers > 1 else ''}"
          + (f", state kept in {state}" if state else "") + ")")
    credentials = server.credentials()
    for name, mount in server.mounts.items():
        print(f"\n  {mount.api.title}\n    base URL   {origin}{mount.base_path}\n"
              f"    Swagger UI {origin}{mount.prefix}/ui/")
        for cred in credentials[name]:
            print(f"    demo       {cred.get('describe', cred)}")
    print()
    print(f"Index: {origin}/   Reset: POST {origin}/__understudy/reset   Journal: {origin}/__understudy/requests")
    for line in server.fronts.lines:
        print(f"  {line}")
    if args.reload:
        print("Watching " + ", ".join(str(p) for p in watched(args)) + " for changes (one worker).")
    for warning in startup_warnings(server.config):
        print(f"warning: {warning}", file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()


def cmd_credentials(args: argparse.Namespace) -> int:
    from .app import create_app

    server = create_app({"single_api": args.api} if args.api else None)
    if args.json:
        print(json.dumps(server.credentials(), indent=2))
    else:
        for line in credential_lines(server):
            print(line)
    return 0


def main(argv: list[str] | None = None) -> int:
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    argv = list(sys.argv[1:] if argv is None else argv)
    apis = discover(DEFAULTS["root"])
    if argv[:1] == ["contract"]:
        from .contract import main as contract

        return contract(argv[1:])
    if argv[:1] == ["drift"]:
        from .upstream.offline import main as drift

        return drift(argv[1:])
    # API-specific commands: `understudy <command> <api> ...` (e.g. `understudy token timbr`).
    if len(argv) >= 2 and argv[1] in apis:
        command = load_api(argv[1]).commands.get(argv[0])
        if command is not None:
            return command(argv[2:])

    parser = argparse.ArgumentParser(prog="understudy", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve every API (or one, at the root), or your own specs")
    serve.add_argument("specs", nargs="*", metavar="SPEC",
                       help="your own OpenAPI 3.0/3.1 or Swagger 2.0 spec: a file, a folder, an http(s) URL, "
                            "or NAME=SPEC; one is served at the root, several each under /<name>. "
                            "Without SPEC: the five built-in APIs")
    serve.add_argument("--api", choices=apis, help="serve only this built-in API, at the root, with its real paths")
    serve.add_argument("--handlers", metavar="DIR",
                       help="Python modules whose functions, named by operationId, replace the generated "
                            "behaviour (the one way your own code runs)")
    serve.add_argument("--fixtures", metavar="DIR", help="the starting state: <resource>.json per inferred resource")
    serve.add_argument("--credentials", metavar="FILE", help="your own credentials per security scheme (YAML/JSON)")
    serve.add_argument("--any-credential", action="store_true",
                       help="accept any well-formed credential (as Prism does) instead of the demo ones")
    serve.add_argument("--strict", action="store_true", help="refuse a spec with mistakes instead of serving it")
    serve.add_argument("--allow-remote-refs", action="store_true",
                       help="follow $refs to http(s) URLs (refused by default)")
    serve.add_argument("--host", default=DEFAULTS["host"])
    serve.add_argument("--port", type=int, default=DEFAULTS["port"])
    serve.add_argument("--log-level", default="warning")
    serve.add_argument("--access-log", action="store_true")
    serve.add_argument("--reload", action="store_true",
                       help="pick up edits to openapi/, handlers/ and fixtures/ without a restart")
    serve.add_argument("--workers", type=int, default=None,
                       help="worker processes sharing one state (default: one per core)")
    serve.add_argument("--state", help="SQLite file holding the state, kept across restarts")
    serve.add_argument("--cors-origin", action="append", metavar="ORIGIN",
                       help="also let this web origin call the APIs and the admin API with credentials "
                            "(repeatable; https://*.example.com for subdomains; '*' for any, unsafe); "
                            "loopback origins may call the APIs without it [UNDERSTUDY_CORS_ORIGINS]")
    serve.add_argument("--allowed-host", action="append", metavar="NAME",
                       help="also answer requests whose Host is NAME (repeatable; *.example.com for "
                            "subdomains; '*' for any); localhost, loopback addresses and --host are "
                            "always answered [UNDERSTUDY_ALLOWED_HOSTS]")
    serve.add_argument("--admin-token", metavar="TOKEN",
                       help="make the admin API (/__understudy) require Authorization: Bearer TOKEN "
                            "[UNDERSTUDY_ADMIN_TOKEN, which keeps it out of the process list]")
    front = serve.add_argument_group("in front of the real API")
    front.add_argument("--upstream", action="append", metavar="[API=]URL",
                       help="forward the API's requests to its real base URL and check each exchange against "
                            "the spec (drift); repeatable; API= may be left out when one API is served")
    front.add_argument("--upstream-fallback", action="store_true",
                       help="answer from the mock when the upstream cannot be reached (else 502 / 504)")
    front.add_argument("--upstream-timeout", metavar="SECONDS", default=None,
                       help=f"how long an upstream may take to answer (default: {DEFAULTS['upstream_timeout']:g}) "
                            f"[UNDERSTUDY_UPSTREAM_TIMEOUT]")
    front.add_argument("--record", metavar="FILE.har",
                       help="append each forwarded exchange to this HAR 1.2 file, secrets masked")
    front.add_argument("--replay", action="append", metavar="FILE.har",
                       help="answer the requests a HAR file recorded with the recorded answers (repeatable); "
                            "everything else goes to the upstream, or the mock")
    serve.set_defaults(func=cmd_serve)
    creds = sub.add_parser("credentials", help="print every API's demo credentials")
    creds.add_argument("--json", action="store_true")
    creds.add_argument("--api", choices=apis)
    creds.set_defaults(func=cmd_credentials)
    sub.add_parser("contract", help="run the API's contract (Schemathesis) against any server "
                                    "(understudy contract <api> --base-url URL --help)")
    sub.add_parser("drift", help="check the exchanges of a HAR file against the specs, offline "
                                 "(understudy drift FILE.har [--api NAME] --help)")
    extra = sorted({c for name in apis for c in load_api(name).commands})
    for command in extra:
        users = [n for n in apis if command in load_api(n).commands]
        sub.add_parser(command, help=f"API command, for: {', '.join(users)} "
                                     f"(understudy {command} <api> --help)")
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.error(f"usage: understudy {args.command} <api> ...")
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
