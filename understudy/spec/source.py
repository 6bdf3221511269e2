"""Reading one document: a file or an http(s) URL, parsed as JSON or YAML, never rendered as a
template, with bounds on size, nesting and YAML aliases (a billion-laughs file is refused in one
line). YAML 1.1 surprises that break JSON are undone: mapping keys become strings (`200:`) and
dates stay the text they were written as."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from .errors import SpecError

MAX_BYTES = 64 * 1024 * 1024  # a document larger than this is refused (GitHub's is 12 MiB)
MAX_DEPTH = 256  # nesting of mappings and sequences
MAX_ALIAS_NODES = 1_000_000  # nodes that YAML aliases may add to the document when expanded
FETCH_TIMEOUT = 30.0



class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe YAML with dates kept as the text they were written as (JSON has no dates)."""


# YAML 1.2 numbers: `14:00` (sexagesimal) and `0123` (old octal) stay text, as a spec's author
# meant them; dates stay text.
_INT = re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0o[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$")
_FLOAT = re.compile(r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?"
                    r"|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")
_REPLACED = {"tag:yaml.org,2002:int": _INT, "tag:yaml.org,2002:float": _FLOAT}
_Loader.yaml_implicit_resolvers = {
    first: [(tag, _REPLACED.get(tag, regexp)) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def is_url(source: str) -> bool:
    return urlsplit(str(source)).scheme in ("http", "https")


def read_text(source: str) -> str:
    """The text of a file or URL (fetched once), as UTF-8."""
    if is_url(source):
        return _fetch(source)
    path = Path(source)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise SpecError(str(source), f"larger than {MAX_BYTES // 2**20} MiB")
        data = path.read_bytes()
    except FileNotFoundError:
        raise SpecError(str(source), "no such file") from None
    except IsADirectoryError:
        raise SpecError(str(source), "is a folder, not a file") from None
    except OSError as error:
        raise SpecError(str(source), f"cannot be read: {error.strerror or error}") from None
    return _decode(str(source), data)


def _fetch(url: str) -> str:
    import httpx

    try:
        with httpx.Client(timeout=FETCH_TIMEOUT, follow_redirects=True) as client:
            with client.stream("GET", url) as response:
                if response.status_code != 200:
                    raise SpecError(url, f"fetching it answered HTTP {response.status_code}")
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > MAX_BYTES:
                        raise SpecError(url, f"larger than {MAX_BYTES // 2**20} MiB")
                    chunks.append(chunk)
    except httpx.HTTPError as error:
        raise SpecError(url, f"cannot be fetched: {error}") from None
    return _decode(url, b"".join(chunks))


def _decode(source: str, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        raise SpecError(source, "is not UTF-8 text", line, column) from None


def parse(source: str, text: str) -> Any:
    """JSON or YAML text -> plain JSON data (dicts with string keys, lists, scalars)."""
    if text.lstrip()[:1] in ("{", "["):
        try:
            data = json.loads(text)
        except RecursionError:
            raise SpecError(source, f"nested deeper than {MAX_DEPTH} levels") from None
        except ValueError as error:
            if not isinstance(error, json.JSONDecodeError):
                raise SpecError(source, f"is not JSON: {error}") from None
            # Not JSON: it may still be YAML (flow style), which is a superset.
            try:
                return _parse_yaml(source, text)
            except SpecError:
                raise SpecError(source, f"is not JSON: {error.msg}", error.lineno, error.colno) from None
        _check_depth(source, data)
        return data
    return _parse_yaml(source, text)


def _parse_yaml(source: str, text: str) -> Any:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise SpecError(source, "is empty")
        _check_yaml_nodes(source, node)
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        message = " ".join(filter(None, [error.context, error.problem])) or "is not YAML"
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise SpecError(source, f"is not YAML: {message}", line, column) from None
    except yaml.YAMLError as error:
        raise SpecError(source, f"is not YAML: {error}") from None
    finally:
        loader.dispose()


def _check_yaml_nodes(source: str, root: yaml.Node) -> None:
    """Refuses nesting past MAX_DEPTH and aliases that expand past MAX_ALIAS_NODES (the billion
    laughs), counting each distinct node's expanded size once."""
    sizes: dict[int, int] = {}
    distinct = 0
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, done = stack.pop()
        key = id(node)
        if done:
            children = _children(node)
            sizes[key] = 1 + sum(sizes[id(c)] for c in children)
            continue
        if key in sizes:
            continue
        if depth > MAX_DEPTH:
            mark = node.start_mark
            raise SpecError(source, f"nested deeper than {MAX_DEPTH} levels", mark.line + 1, mark.column + 1)
        distinct += 1
        sizes[key] = 0  # in progress: a cycle (an alias inside its own anchor) counts as 0
        stack.append((node, depth, True))
        for child in _children(node):
            if id(child) not in sizes:
                stack.append((child, depth + 1, False))
    if sizes[id(root)] - distinct > MAX_ALIAS_NODES:
        raise SpecError(source, f"YAML aliases expand to {sizes[id(root)]:,} nodes (at most "
                        f"{MAX_ALIAS_NODES:,} more than written): refused as an alias bomb")


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return node.value
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _check_depth(source: str, data: Any) -> None:
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise SpecError(source, f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values() if isinstance(v, (dict, list)))
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value if isinstance(v, (dict, list)))


def normalise(data: Any) -> Any:
    """YAML 1.1 data -> JSON data: keys as strings (`200:` -> "200"), dates as ISO text,
    in place where possible. Shared sub-objects (YAML aliases) are converted once."""
    seen: set[int] = set()

    def fix(value: Any) -> Any:
        if isinstance(value, dict):
            if id(value) in seen:
                return value
            seen.add(id(value))
            if any(not isinstance(k, str) for k in value):
                items = [(_key(k), v) for k, v in value.items()]
                value.clear()
                value.update(items)
            for k, v in value.items():
                if isinstance(v, (dict, list)) or not _plain(v):
                    value[k] = fix(v)
            return value
        if isinstance(value, list):
            if id(value) in seen:
                return value
            seen.add(id(value))
            for i, v in enumerate(value):
                if isinstance(v, (dict, list)) or not _plain(v):
                    value[i] = fix(v)
            return value
        if hasattr(value, "isoformat"):
            return value.isoformat()
        if isinstance(value, bytes):
            return value.decode("latin-1")
        return value

    return fix(data)


def _plain(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _key(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    if hasattr(key, "isoformat"):
        return key.isoformat()
    return str(key)


def locate(text: str, key: str) -> tuple[int, int]:
    """Line and column of the first top-level-looking `key:` in a document, (1, 1) if absent."""
    match = re.search(r'^\s*["\']?' + re.escape(key) + r'["\']?\s*:', text, re.M)
    if not match:
        return 1, 1
    line = text.count("\n", 0, match.start()) + 1
    column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
    offset = len(match.group(0)) - len(match.group(0).lstrip())
    return line, column + offset


def load_document(source: str) -> tuple[Any, str]:
    """(parsed JSON data, text) of a file or URL."""
    text = read_text(source)
    if not text.strip():
        raise SpecError(str(source), "is empty")
    return normalise(parse(str(source), text)), text
