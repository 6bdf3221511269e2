"""Reading the files the server starts from (specs, fixtures): a file that cannot be read or
parsed stops start-up with one line naming it, the reason, and for YAML or JSON the line and
column of the mistake."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from .errors import StartupError

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when it is there: large specs parse in a tenth


def read_text(path: Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise StartupError(f"cannot read {path}: {error.strerror or error}")
    except UnicodeDecodeError as error:
        raise StartupError(f"cannot read {path}: not UTF-8 text ({error.reason} at byte {error.start})")


def load_yaml(path: Path) -> Any:
    try:
        return yaml.load(read_text(path), Loader=LOADER)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        raise StartupError(f"{path}{where}: not valid YAML: {error.problem or error.context}")
    except yaml.YAMLError as error:
        raise StartupError(f"{path}: not valid YAML: {error}")


def load_json(path: Path) -> Any:
    try:
        return json.loads(read_text(path))
    except json.JSONDecodeError as error:
        raise StartupError(f"{path}:{error.lineno}:{error.colno}: not valid JSON: {error.msg}")
