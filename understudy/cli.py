"""understudy: local stand-ins for real REST APIs, and their contract tests.

Bad input (an option, a setting, a file) stops a command with one line saying what and why; add
--debug to see the traceback of anything unexpected."""

from __future__ import annotations

import argparse
import errno
import json
import os
import socket
import sys
import warnings
from pathlib import Path
from typing import Any

from .api import discover, load_api
from .config import DEFAULTS, ENGINE
from .errors import StartupError
from .stores import masked
from .settings import FLAG, Setting

# Connexion imports Starlette's test client, which warns on import; a user has nothing to do about it.
QUIET = "ignore:Using `httpx` with `starlette.testclient`"


def credential_lines(server) -> list[str]:
    lines = []
    for name, mount in server.mounts.items():
        lines.append(f"  {mount.api.title:<28} {mount.base_path}")
        for cred in server.credentials()[name]:
            lines.append(f"      {cred.get('describe', cred)}")
    return lines


# -- serve ------------------------------------------------------------------------------------------
def listen(host: str, port: int) -> socket.socket:
    """A socket bound to host:port, or one line saying why not and what to do."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise StartupError(f"port {port} on {host} is in use; pick another with --port N "
                               f"(or --port 0 for any free port)")
        if error.errno == errno.EACCES:
            raise StartupError(f"may not listen on port {port} on {host}; pick a port above 1023 with --port N")
        raise StartupError(f"cannot listen on {host}:{port}: {error.strerror or error}; "
                           f"pick another address with --host")
    sock.listen(2048)  # from the banner on, a client's connection waits in the queue until a worker takes it
    sock.set_inheritable(True)
    return sock


def cmd_serve(args: argparse.Namespace) -> int:
    import tempfile

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from . import heap
    from .app import configure, create_app
    from .security.protocol import http_protocol

    overrides: dict[str, Any] = {s.name: getattr(args, s.name) for s in options()}
    overrides.update(single_api=args.api, specs=args.specs or None)
    config, _ = configure(overrides)  # every setting checked before anything starts
    workers = 1 if config["reload"] else (config["workers"] or os.cpu_count() or 1)
    scratch = None
    state = config["state"]
    if workers > 1 and not state:  # workers share one state: an embedded SQLite file
        scratch = tempfile.TemporaryDirectory(prefix="understudy-")
        state = os.path.join(scratch.name, "state.sqlite")
    sock = listen(config["host"], config["port"])
    try:
        overrides.update(state=state, port=sock.getsockname()[1])
        if config["reload"]:
            from .reload import Reloader

            reloader = Reloader(lambda sessions=None: create_app(overrides, sessions), watched(args))
            server, app = reloader.current, reloader
        else:
            server = app = create_app(overrides)
        mistakes = report_mistakes(server, strict=bool(config["strict"]))
        if mistakes and config["strict"]:
            return 2
        print_banner(server, config, workers, masked(config["state"]) if config["state"] else None, watched(args))
        if workers > 1:
            os.environ["UNDERSTUDY_CONFIG"] = json.dumps({k: str(v) if isinstance(v, Path) else v
                                                          for k, v in overrides.items() if v is not None})
            os.environ.setdefault("PYTHONWARNINGS", QUIET)  # each worker imports Connexion afresh
            app = "understudy.app:app_from_environment"
        served = uvicorn.Config(app, factory=workers > 1, workers=workers, log_level=config["log_level"],
                                access_log=config["access_log"], http=http_protocol(),
                                server_header=not server.fronts)  # a forwarded or replayed answer has its own
        if workers > 1:
            Multiprocess(served, sockets=[sock]).run()
        else:
            if not config["reload"]:
                heap.settle()  # this process serves this app until it stops
            uvicorn.Server(served).run(sockets=[sock])
    finally:
        sock.close()
        if scratch is not None:
            scratch.cleanup()
    return 0


def watched(args: argparse.Namespace) -> list:
    """What `--reload` watches: the specs (and --handlers / --fixtures), or the built-in APIs."""
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


def print_banner(server, config, workers: int, state: str | None, watching: list) -> None:
    from .security import startup_warnings

    origin = f"http://{config['host']}:{server.config['port']}"
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
    for line in server.fronts.lines:  # --upstream, --record, --replay
        print(f"  {line}")
    if config["reload"]:
        print("Watching " + ", ".join(str(p) for p in watching) + " for changes (one worker).")
    for warning in startup_warnings(server.config):
        print(f"warning: {warning}", file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()


def options() -> list[Setting]:
    """The engine settings `serve` takes as options."""
    return [setting for setting in ENGINE if setting.option]


def add_option(parser: argparse.ArgumentParser, setting: Setting) -> None:
    """An option from a setting's row: checked by its kind, argparse-style, when given."""
    default = f" (default: {setting.default})" if setting.default not in (None, False) else ""
    env = f"; also {setting.env}" if setting.env else ""
    if setting.kind is FLAG:
        parser.add_argument(setting.option, dest=setting.name, action="store_const", const=True,
                            help=f"{setting.help}{env}")
        return

    def convert(raw: str) -> Any:
        try:
            return setting.kind.convert(raw)
        except (ValueError, TypeError):
            raise argparse.ArgumentTypeError(f"{raw!r} is not {setting.kind.expected}")

    if setting.kind.repeatable:  # each occurrence adds one item; the row's kind checks the list
        parser.add_argument(setting.option, dest=setting.name, action="append", metavar=setting.option[2:].upper(),
                            help=f"{setting.help} (repeatable){env}")
        return
    parser.add_argument(setting.option, dest=setting.name, type=convert, metavar=setting.name.upper(),
                        help=f"{setting.help}{default}{env}")


# -- credentials --------------------------------------------------------------------------------------
def cmd_credentials(args: argparse.Namespace) -> int:
    from .app import create_app

    server = create_app({"single_api": args.api} if args.api else None)
    if args.json:
        print(json.dumps(server.credentials(), indent=2))
    else:
        for line in credential_lines(server):
            print(line)
    return 0


# -- the parser -----------------------------------------------------------------------------------------
def parser(apis: list[str]) -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="understudy", description=__doc__,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    top.add_argument("--debug", action="store_true", help="show the traceback of an unexpected error")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="serve every API (or one, at the root), or your own specs",
                           description="Serve every API, each under /<api>, with its Swagger UI and an index at /.")
    serve.add_argument("specs", nargs="*", metavar="SPEC",
                       help="your own OpenAPI 3.0/3.1 or Swagger 2.0 spec: a file, a folder, an http(s) URL, "
                            "or NAME=SPEC; one is served at the root, several each under /<name>. "
                            "Without SPEC: the five built-in APIs")
    serve.add_argument("--api", choices=apis, help="serve only this built-in API, at the root, with its real paths")
    for setting in options():
        add_option(serve, setting)
    serve.set_defaults(func=cmd_serve)

    creds = sub.add_parser("credentials", help="print every API's demo credentials")
    creds.add_argument("--json", action="store_true", help="as JSON, for scripts")
    creds.add_argument("--api", choices=apis, help="only this API's")
    creds.set_defaults(func=cmd_credentials)

    sub.add_parser("contract", help="run an API's contract (Schemathesis) against any server "
                                    "(understudy contract <api> --base-url URL; --help for more)", add_help=False)
    sub.add_parser("drift", help="check the exchanges of a HAR file against the specs, offline "
                                 "(understudy drift FILE.har [--api NAME]; --help for more)", add_help=False)

    definitions = {name: load_api(name) for name in apis}
    for command in sorted({c for api in definitions.values() for c in api.commands}):
        owners = {name: api.commands[command] for name, api in definitions.items() if command in api.commands}
        api_parser = sub.add_parser(command, help=f"{next(iter(owners.values())).help} "
                                                  f"(understudy {command} <api>; for: {', '.join(owners)})",
                                    formatter_class=argparse.RawDescriptionHelpFormatter)
        per_api = api_parser.add_subparsers(dest="api", required=True, metavar="API")
        usages = []
        for name, definition in owners.items():
            one = per_api.add_parser(name, help=definition.help, description=definition.help)
            definition.arguments(one)
            one.set_defaults(func=definition.run)
            usages.append(one.format_help())
        api_parser.epilog = "\n".join(usages)
    return top


def run(argv: list[str]) -> int:
    apis = discover(DEFAULTS["root"])
    if argv[:1] == ["contract"]:  # Schemathesis' own options pass through: its parser, not ours
        from .contract import main as contract

        return contract(argv[1:])
    if argv[:1] == ["drift"]:  # a parser of its own, as contract's
        from .upstream.offline import main as drift

        return drift(argv[1:])
    args = parser(apis).parse_args(argv)
    return args.func(args)


def user_errors() -> tuple[type[Exception], ...]:
    """What a user's input can raise: one line each (imported late: Connexion warns on import)."""
    from .generated.mount import ApiDefinitionError
    from .spec import SpecError

    return StartupError, SpecError, ApiDefinitionError  # a setting, a file; a user's spec or handlers


def main(argv: list[str] | None = None) -> int:
    warnings.filterwarnings("ignore", message=QUIET.split(":", 1)[1])
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    try:
        return run(argv)
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # never a traceback for the user, unless asked for
        if debug:
            raise
        if isinstance(error, user_errors()):
            print(f"understudy: {error}", file=sys.stderr)
            return getattr(error, "exit_code", 2)
        detail = str(error).strip().splitlines()
        print(f"understudy: {type(error).__name__}: {detail[0] if detail else 'unexpected error'} "
              f"(run again with --debug for the traceback)", file=sys.stderr)
        return 1

if __name__ == "__main__":
    raise SystemExit(main())
