"""`understudy contract <api> --base-url URL`: run Schemathesis with understudy's spec of an API
against any deployment (the real API, or understudy itself), authenticating every security scheme.

The run is Schemathesis' own CLI (progress display, per-operation results, failures with a curl
that reproduces them, JUnit XML), fed with our spec and a generated configuration."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from .api import discover, load_api
from .apiapp import load_spec, merge_path_parameters
from .config import DEFAULTS, build_config
from .generated.mount import ApiDefinitionError
from .spec import SpecError

SpecProblem = (SpecError, ApiDefinitionError)


def schemes(spec: dict) -> dict[str, dict]:
    return spec.get("components", {}).get("securitySchemes", {})


def auth_for(spec: dict, args: argparse.Namespace, demo: dict[str, dict]) -> dict[str, dict]:
    """Credentials per security scheme: the options given, else the API's demo credentials."""
    chosen: dict[str, dict] = {}
    for name, scheme in schemes(spec).items():
        kind = scheme.get("scheme", "").lower() if scheme.get("type") == "http" else scheme.get("type")
        if kind == "basic" and args.user is not None:
            chosen[name] = {"username": args.user, "password": args.password or ""}
        elif kind == "bearer" and args.bearer:
            chosen[name] = {"bearer": args.bearer}
        elif kind == "apiKey" and args.api_key:
            chosen[name] = {"api_key": args.api_key}
        elif name in demo:
            chosen[name] = demo[name]
    return chosen


def merged(*configs: dict) -> dict:
    """Schemathesis configurations combined: tables merge, `operations` lists add up."""
    result: dict = {}
    for config in configs:
        for key, value in config.items():
            if isinstance(value, dict) and isinstance(result.get(key), dict):
                result[key] = merged(result[key], value)
            elif isinstance(value, list) and isinstance(result.get(key), list):
                result[key] = result[key] + value
            else:
                result[key] = value
    return result


def toml(config: dict, prefix: str = "") -> str:
    """A schemathesis.toml for `config`: scalars and arrays of scalars as JSON writes them (valid
    TOML for strings, numbers, booleans and such arrays), tables, and arrays of tables."""
    scalars, tables, arrays = [], [], []
    for key, value in config.items():
        name = json.dumps(key) if not key.replace("-", "").replace("_", "").isalnum() else key
        path = f"{prefix}.{name}" if prefix else name
        if isinstance(value, dict):
            tables.append((path, value))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            arrays.append((path, value))
        else:
            scalars.append(f"{name} = {json.dumps(value)}")
    text = "\n".join(scalars) + ("\n" if scalars else "")
    for path, table in tables:
        text += f"\n[{path}]\n" + toml(table, path)
    for path, items in arrays:
        for item in items:
            text += f"\n[[{path}]]\n" + toml(item, path)
    return text


def contract_spec(name: str) -> tuple[Any, Any, dict]:
    """(API, config, spec) for a built-in API's name or a user's spec file or URL."""
    if name in discover(DEFAULTS["root"]):
        api = load_api(name)
        config = build_config({"apis": [name]}, api.settings)
        return api, config, load_spec(api, config)
    if not (Path(name).exists() or name.startswith(("http://", "https://"))):
        raise LookupError(f"{name} is neither a built-in API ({', '.join(discover(DEFAULTS['root']))}) "
                          "nor a spec file or URL")
    from .app import user_apis

    api = user_apis({"specs": [name]})[0]
    return api, build_config({}), merge_path_parameters(api.document)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="understudy contract", description=__doc__)
    parser.add_argument("api", help="a built-in API's name, or your own spec (file or URL)")
    parser.add_argument("--base-url", required=True, help="the API's base URL, e.g. https://api.timekit.io/v2")
    parser.add_argument("--user", help="Basic auth user (Basic schemes)")
    parser.add_argument("--password", help="Basic auth password")
    parser.add_argument("--api-key", help="value for apiKey schemes")
    parser.add_argument("--bearer", help="token for Bearer schemes")
    parser.add_argument("--header", "-H", action="append", default=[], help="extra header 'Name: value'")
    parser.add_argument("--max-examples", type=int, default=20)
    parser.add_argument("--junit-xml", help="write a JUnit XML report here")
    parser.add_argument("--phases", help="comma-separated Schemathesis phases")
    parser.add_argument("--include-operation-id", action="append", default=[])
    args, extra = parser.parse_known_args(argv)

    try:
        api, config, spec = contract_spec(args.api)
    except (*SpecProblem, LookupError) as problem:
        print(f"understudy contract: {problem}", file=sys.stderr)
        return 2
    spec["servers"] = [{"url": args.base_url}]
    demo = api.contract_auth(config) if api.contract_auth else {}
    auth = auth_for(spec, args, demo)

    with tempfile.TemporaryDirectory(prefix="understudy-contract-") as tmp:
        spec_file = Path(tmp) / f"{api.name}.json"
        spec_file.write_text(json.dumps(spec))
        config_file = Path(tmp) / "schemathesis.toml"
        config_file.write_text(toml(merged(
            {"generation": {"max-examples": args.max_examples}},
            {"auth": {"openapi": auth}} if auth else {},
            api.contract_config,
        )))
        command = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config_file), "run",
                   str(spec_file), "--url", args.base_url]
        for header in args.header:
            command += ["--header", header]
        if args.junit_xml:
            command += ["--report", "junit", "--report-junit-path", args.junit_xml]
        if args.phases:
            command += ["--phases", args.phases]
        for operation_id in args.include_operation_id:
            command += ["--include-operation-id", operation_id]
        command += extra
        print(f"understudy contract: {api.title} at {args.base_url}; schemes: "
              f"{', '.join(auth) or 'none'}", flush=True)
        return subprocess.call(command)
