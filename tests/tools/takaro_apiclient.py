"""Takaro's own TypeScript client, `@takaro/apiclient`, as data: installed from the npm registry
into `tests/tools/.cache/` (gitignored), its generated declarations (`dist/generated/api.d.ts`)
read into interfaces, aliases and enums, and its operations (`dist/generated/api.js`) into
method, path and the DTO each answers with. `tests/test_takaro_apiclient.py` compares those DTOs
with our spec's response schemas.

    python tests/tools/takaro_apiclient.py            # install (once), then list every difference

`.ci/run` runs it, so CI has the package; without npm the tests that need it skip and say so."""

from __future__ import annotations

import fcntl
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "@takaro/apiclient"
VERSION = "0.4.0"  # the newest on the npm registry when this was written; `--version` tries another
CACHE = Path(__file__).resolve().parent / ".cache" / "takaro-apiclient"
GENERATED = Path("node_modules") / "@takaro" / "apiclient" / "dist" / "generated"
HOW = "run `python tests/tools/takaro_apiclient.py` (needs npm) or `bash .ci/run`"


# -- installing ------------------------------------------------------------------------------------
def generated_dir(version: str = VERSION) -> Path:
    return CACHE / version / GENERATED


def installed(version: str = VERSION, install: bool = True) -> tuple[Path | None, str]:
    """The folder of the generated client, installing it when missing; or None and why not. One
    process installs at a time (pytest-xdist workers collect at once)."""
    folder = generated_dir(version)
    if (folder / "api.d.ts").exists() and (folder / "api.js").exists():
        return folder, ""
    if not install:
        return None, f"{PACKAGE}@{version} is not in {CACHE}: {HOW}"
    if not shutil.which("npm"):
        return None, f"npm is not installed, so {PACKAGE} cannot be: install Node.js and npm, then {HOW}"
    prefix = CACHE / version
    prefix.mkdir(parents=True, exist_ok=True)
    with open(CACHE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (folder / "api.d.ts").exists() and (folder / "api.js").exists():
            return folder, ""
        return npm_install(prefix, version, folder)


def npm_install(prefix: Path, version: str, folder: Path) -> tuple[Path | None, str]:
    done = subprocess.run(["npm", "install", "--prefix", str(prefix), "--no-audit", "--no-fund",
                           "--no-save", "--ignore-scripts", "--loglevel=error", f"{PACKAGE}@{version}"],
                          capture_output=True, text=True)
    if done.returncode != 0 or not (folder / "api.d.ts").exists():
        return None, f"npm install {PACKAGE}@{version} failed: " + (done.stderr or done.stdout).strip()[-300:]
    return folder, ""


# -- the declarations --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Prop:
    type: str  # the TypeScript type as written: string, Array<RoleOutputDTO>, PermissionOnRoleDTO ...
    required: bool


@dataclass
class Declarations:
    interfaces: dict[str, dict[str, Prop]]  # interface -> property -> its type
    aliases: dict[str, str]  # `export type X = ...` that are not enums
    enums: dict[str, list[str]]  # enum type -> its values


INTERFACE = re.compile(r"^export interface (\w+) \{\n(.*?)^\}", re.M | re.S)
PROPERTY = re.compile(r"^    '?([\w$-]+)'?(\??): (.+);$", re.M)
ENUM = re.compile(r"^export declare const (\w+): \{\n(.*?)^\};", re.M | re.S)
ENUM_VALUE = re.compile(r"^\s+readonly [\w$'\"-]+: (?:\"(.*)\"|(-?[\d.]+));$", re.M)
ALIAS = re.compile(r"^export type (\w+) = (.+);$", re.M)


def read_declarations(folder: Path) -> Declarations:
    text = (folder / "api.d.ts").read_text()
    interfaces = {name: {p: Prop(t.strip(), not optional) for p, optional, t in PROPERTY.findall(body)}
                  for name, body in INTERFACE.findall(text)}
    enums = {name: [s if s else n for s, n in ENUM_VALUE.findall(body)] for name, body in ENUM.findall(text)}
    aliases = {name: t.strip() for name, t in ALIAS.findall(text) if name not in enums}
    return Declarations(interfaces, aliases, enums)


# -- the operations ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Operation:
    name: str  # the client's method: roleControllerGetOne
    method: str  # GET, POST ...
    path: str  # /role/{id}
    response: str  # the TypeScript type the method resolves to: RoleOutputDTOAPI

    @property
    def key(self) -> tuple[str, str]:
        return self.method, re.sub(r"\{[^}]+\}", "{}", self.path)


CREATOR = re.compile(r"^\s{8}(\w+): async \([^)]*\) => \{\n(.*?)^\s{8}\},?$", re.M | re.S)
LOCAL_PATH = re.compile(r"const localVarPath = `([^`]+)`")
LOCAL_METHOD = re.compile(r"method: '(\w+)'")
METHOD_TYPE = re.compile(r"^    (\w+)\(.*\): Promise<import\(\"axios\"\)\.AxiosResponse<(.+), any>>;$", re.M)


def read_operations(folder: Path) -> list[Operation]:
    routes = {}
    for name, body in CREATOR.findall((folder / "api.js").read_text()):
        path, method = LOCAL_PATH.search(body), LOCAL_METHOD.search(body)
        if path and method:
            routes[name] = (method.group(1).upper(), path.group(1))
    answers = dict(METHOD_TYPE.findall((folder / "api.d.ts").read_text()))
    return sorted((Operation(name, *routes[name], answers[name]) for name in routes if name in answers),
                  key=lambda o: (o.path, o.method))


# -- the comparison ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Difference:
    dto: str  # the vendor's type where it is: RoleOutputDTO
    field: str  # its property, or "" for the type itself
    problem: str
    operations: tuple[str, ...] = ()  # where it shows (the client's method names)

    def describe(self) -> str:
        where = f"{self.dto}.{self.field}" if self.field else self.dto
        return f"{where}: {self.problem}"


PRIMITIVES = {"string": {"string"}, "number": {"number", "integer"}, "boolean": {"boolean"}}
FREE = {"any", "object", "unknown", "void"}  # the vendor promises nothing about the shape


class Comparer:
    """Checks that a response schema of ours gives every property a vendor DTO requires, with a
    type the vendor's client can take. Extra properties of ours are allowed (Takaro's outputs carry
    undeclared columns too); nullability is not compared (the generator drops it)."""

    def __init__(self, declarations: Declarations, spec: dict):
        self.d = declarations
        self.spec = spec
        self.seen: set[tuple[str, int]] = set()
        self.found: dict[tuple[str, str, str], Difference] = {}

    # our side: $ref and allOf resolved; nullable ignored. A schema marked `x-recursive: Name` is
    # one the spec leaves untyped because it would refer back to itself (the engine serves specs
    # with references inlined); it stands for that named schema.
    def resolve(self, schema: dict) -> dict:
        if "x-recursive" in schema:
            schema = {"$ref": "#/components/schemas/" + schema["x-recursive"]}
        while "$ref" in schema:
            node = self.spec
            for part in schema["$ref"].lstrip("#/").split("/"):
                node = node[part]
            schema = node
        if "allOf" in schema:
            merged: dict = {"type": "object", "properties": {}, "required": []}
            for part in [self.resolve(p) for p in schema["allOf"]] + [{k: v for k, v in schema.items() if k != "allOf"}]:
                merged["properties"].update(part.get("properties", {}))
                merged["required"] += part.get("required", [])
                for key in ("type", "additionalProperties"):
                    if key in part:
                        merged[key] = part[key]
            schema = merged
        return schema

    def note(self, dto: str, field: str, problem: str) -> None:
        self.found.setdefault((dto, field, problem), Difference(dto, field, problem))

    def compare(self, ts: str, schema: dict, dto: str, field: str = "") -> None:
        """The vendor's type `ts` (as written) against our schema, at `dto.field`."""
        ts = ts.strip()
        schema = self.resolve(schema)
        alternatives = schema.get("oneOf") or schema.get("anyOf")
        if alternatives:  # every form we may send must suit the client
            for alternative in alternatives:
                self.compare(ts, alternative, dto, field)
            return
        kinds = schema.get("type")
        if ts in FREE or (not kinds and not schema.get("properties") and not schema.get("enum")):
            return
        if ts.startswith("Array<") and ts.endswith(">"):
            if kinds != "array":
                self.note(dto, field, f"ours is {kinds or 'untyped'}, the client expects an array")
            else:
                self.compare(ts[6:-1], schema.get("items", {}), dto, field)
            return
        if ts in PRIMITIVES:
            if kinds not in PRIMITIVES[ts]:
                self.note(dto, field, f"ours is {kinds}, the client expects {ts}")
            return
        if ts in self.d.enums:
            values = self.d.enums[ts]
            extra = [v for v in schema.get("enum", []) if v is not None and v not in values]
            if extra:
                self.note(dto, field, f"ours may send {extra}, the client's {ts} knows {values}")
            return
        if ts in self.d.aliases:
            alias = self.d.aliases[ts]
            if "|" not in alias:  # a union of DTOs (event meta) promises no one shape
                self.compare(alias, schema, dto, field)
            return
        if ts in self.d.interfaces:
            self.compare_interface(ts, schema)
            return
        self.note(dto, field, f"the client's type {ts} is unknown to this tool")

    def compare_interface(self, name: str, schema: dict) -> None:
        if (name, id(schema)) in self.seen:
            return
        self.seen.add((name, id(schema)))
        if schema.get("type") not in ("object", None):
            self.note(name, "", f"ours is {schema.get('type')}, the client expects an object")
            return
        ours = schema.get("properties", {})
        required = set(schema.get("required", []))
        for prop, declared in self.d.interfaces[name].items():
            if declared.required and prop not in ours:
                self.note(name, prop, "required by the client, missing from ours")
            elif declared.required and prop not in required:
                self.note(name, prop, "required by the client, optional in ours")
            if prop in ours:
                self.compare(declared.type, ours[prop], name, prop)


def response_schema(spec: dict, method: str, path: str) -> dict | None:
    """Our schema of the 200 JSON answer of an operation, or None when we serve none there."""
    wanted = re.sub(r"\{[^}]+\}", "{}", path)
    for ours, item in spec.get("paths", {}).items():
        if re.sub(r"\{[^}]+\}", "{}", ours) == wanted and method.lower() in item:
            content = item[method.lower()].get("responses", {}).get("200", {})
            while "$ref" in content:
                content = spec["components"]["responses"][content["$ref"].rsplit("/", 1)[1]]
            return content.get("content", {}).get("application/json", {}).get("schema")
    return None


def differences(declarations: Declarations, operations: list[Operation], spec: dict) -> list[Difference]:
    """Every difference between the client's response DTOs and our response schemas, each with
    the client methods whose answers show it."""
    where: dict[tuple[str, str, str], list[str]] = {}
    for op in operations:
        schema = response_schema(spec, op.method, op.path)
        if schema is None:
            continue
        comparer = Comparer(declarations, spec)
        comparer.compare(op.response, schema, op.response)
        for key in comparer.found:
            where.setdefault(key, []).append(op.name)
    return [Difference(dto, field, problem, tuple(names)) for (dto, field, problem), names in sorted(where.items())]


def main(argv: list[str]) -> int:
    import argparse

    import yaml

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", default=VERSION, help=f"the package version (default {VERSION})")
    parser.add_argument("--install-only", action="store_true", help="install into the cache and stop")
    args = parser.parse_args(argv)
    folder, why = installed(args.version)
    if folder is None:
        print(why, file=sys.stderr)
        return 1
    print(f"{PACKAGE}@{args.version} in {folder}")
    if args.install_only:
        return 0
    spec_path = Path(__file__).resolve().parents[2] / "understudy" / "builtin" / "openapi" / "takaro.yaml"
    spec = yaml.safe_load(spec_path.read_text())
    operations = read_operations(folder)
    found = differences(read_declarations(folder), operations, spec)
    for difference in found:
        print(f"{difference.describe()}  ({', '.join(difference.operations)})")
    print(f"{len(operations)} operations, {len(found)} differences")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
