"""A spec in, one normalised OpenAPI document out: a file (YAML or JSON), a folder of them, or an
http(s) URL fetched once. Relative refs are bundled in, Swagger 2.0 becomes OpenAPI 3.0, and
OpenAPI 3.1 stays 3.1 with its dialect noted so validators are chosen per spec."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from . import swagger2
from .errors import SpecError
from .refs import bundle
from .source import is_url, locate, normalise, parse, read_text

SUFFIXES = (".yaml", ".yml", ".json")


@dataclass
class Spec:
    document: dict  # OpenAPI 3.0.x or 3.1.x, every $ref local (`#/...`)
    dialect: str  # "3.0" (OpenAPI-aware Draft 4) or "3.1" (JSON Schema 2020-12)
    source: str  # the file or URL it was read from
    version: str  # as written: "2.0", "3.0.3", "3.1.0"
    name: str  # a URL-safe name from the file name (`petstore`), for mounting several specs
    # Parts copied in from other files: local pointer -> (file, pointer there), for messages.
    origins: dict[str, tuple[str, str]] = field(default_factory=dict)
    _roots: dict[str, Any] = field(default_factory=dict, repr=False)

    def where(self, pointer: str) -> tuple[str, str]:
        """(file, pointer in that file) of a pointer into the bundled document."""
        best = ""
        for local in self.origins:
            if (pointer == local or pointer.startswith(local + "/")) and len(local) > len(best):
                best = local
        if not best:
            return self.source, pointer
        file, there = self.origins[best]
        return file, there + pointer[len(best):]

    def validator(self, schema: Any, direction: str = "response"):
        """A validator for one of this spec's schemas (see `dialects.validator_for`)."""
        from .dialects import root_validator, validator_for

        if direction not in self._roots:
            self._roots[direction] = root_validator(self.document, self.dialect, direction)
        return validator_for(schema, dialect=self.dialect, direction=direction, root=self._roots[direction])


def spec_name(source: str) -> str:
    stem = Path(urlsplit(source).path if is_url(source) else source).stem
    return re.sub(r"[^a-z0-9_-]+", "-", stem.lower()).strip("-") or "api"


def load_spec(source: str | os.PathLike, *, allow_remote_refs: bool = False) -> Spec:
    """The spec in one file or at one URL; SpecError (one line) when it cannot be served."""
    source = str(source)
    text = read_text(source)
    if not text.strip():
        raise SpecError(source, "is empty")
    return from_text(source, text, allow_remote_refs=allow_remote_refs)


def from_text(source: str, text: str, *, allow_remote_refs: bool = False) -> Spec:
    data = normalise(parse(source, text))
    version, key = _version(source, text, data)
    document, origins = bundle(data, source, text, swagger2=key == "swagger", allow_remote_refs=allow_remote_refs)
    if key == "swagger":
        document = swagger2.convert(document)
        origins = {swagger_pointer(p): o for p, o in origins.items()}
    dialect = "3.0" if version.startswith(("2.", "3.0")) else "3.1"
    normalise_paths(document)
    return Spec(document, dialect, source, version, spec_name(source), origins)


IGNORED_HEADERS = ("accept", "content-type", "authorization")  # OpenAPI: such parameters are ignored


def normalise_paths(document: dict) -> None:
    """In place: a path item given by `$ref` (`/support/ip-address: {$ref: '#/paths/~1ip-address'}`)
    becomes a copy of what it names, so every route has its methods; header parameters named
    Accept, Content-Type or Authorization are dropped, as OpenAPI says they are ignored (the
    media types and security schemes say what they carry)."""
    import copy

    from .walk import METHODS, resolve

    paths = document.get("paths")
    if not isinstance(paths, dict):
        return
    for template, item in list(paths.items()):
        if isinstance(item, dict) and isinstance(item.get("$ref"), str):
            target = resolve(document, item)
            paths[template] = copy.deepcopy({**target, **{k: v for k, v in item.items() if k != "$ref"}}) \
                if isinstance(target, dict) else {}
    for item in paths.values():
        if not isinstance(item, dict):
            continue
        for holder in [item] + [item[m] for m in METHODS if isinstance(item.get(m), dict)]:
            params = holder.get("parameters")
            if isinstance(params, list):
                holder["parameters"] = [p for p in params if not _ignored(resolve(document, p))]


def _ignored(param: Any) -> bool:
    return (isinstance(param, dict) and param.get("in") == "header"
            and str(param.get("name", "")).lower() in IGNORED_HEADERS)


def swagger_pointer(pointer: str) -> str:
    """Where a Swagger 2.0 section's content lands in the converted document."""
    for old, new in (("/definitions/", "/components/schemas/"), ("/parameters/", "/components/parameters/"),
                     ("/responses/", "/components/responses/")):
        if pointer.startswith(old):
            return new + pointer[len(old):]
    return pointer


def _version(source: str, text: str, data: Any) -> tuple[str, str]:
    if not isinstance(data, dict):
        raise SpecError(source, f"is not an OpenAPI document: its top level is a {type(data).__name__}, "
                        "not a mapping")
    for key, accepted in (("openapi", ("3.0", "3.1", "3.2")), ("swagger", ("2.0",))):
        if key in data:
            version = str(data[key]).strip()
            if not version.startswith(accepted):
                line, column = locate(text, key)
                raise SpecError(source, f"{key}: {version} is not a version understudy serves "
                                "(Swagger 2.0, OpenAPI 3.0, 3.1)", line, column)
            if key == "swagger" and "openapi" in data:
                line, column = locate(text, "openapi")
                raise SpecError(source, "has both `swagger` and `openapi` fields", line, column)
            return version, key
    raise SpecError(source, "is not an OpenAPI document: it has no `openapi` or `swagger` field")


def _peek_is_spec(path: Path) -> bool:
    """Whether a file in a folder is a spec itself (rather than a part other specs refer to)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4096).decode("utf-8", "replace")
    except OSError:
        return False
    return re.search(r"""^\s*\{?\s*["']?(openapi|swagger)["']?\s*:""", head, re.M) is not None


def expand(source: str | os.PathLike) -> list[str]:
    """A source as the specs it names: a folder gives each of its spec files (sorted); files that
    are only parts other files refer to are left out."""
    source = str(source)
    if is_url(source):
        return [source]
    path = Path(source)
    if path.is_dir():
        found = [str(p) for p in sorted(path.iterdir())
                 if p.is_file() and p.suffix.lower() in SUFFIXES and _peek_is_spec(p)]
        if not found:
            raise SpecError(source, "is a folder with no OpenAPI or Swagger file in it")
        return found
    return [source]


def load_specs(sources: list[str | os.PathLike], *, allow_remote_refs: bool = False) -> list[Spec]:
    """Every spec the sources name (files, folders, URLs), in order; names made unique."""
    specs = [load_spec(s, allow_remote_refs=allow_remote_refs) for source in sources for s in expand(source)]
    seen: dict[str, int] = {}
    for spec in specs:
        if spec.name in seen:
            seen[spec.name] += 1
            spec.name = f"{spec.name}-{seen[spec.name]}"
        else:
            seen[spec.name] = 1
    return specs
