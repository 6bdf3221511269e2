"""Rows as JSON, and the `nested` / `api-nested-*` headers that reshape them.

The meanings follow the vendor's header table (docs.timbr.ai, API requirements); the exact nested
shape is not published, so the shape here is understudy's reading (see the spec):

- `nested: true`: when the columns hold `entity_id` and relationship columns
  (`relationship[concept].property`), rows with the same non-relationship values become one
  object whose key `relationship[concept]` lists the distinct related objects.
- `api-nested-format-properties: true` (with `nested`): properties with a `format` tag in the
  ontology are rendered with it; the four options below only apply with both flags on.
- `api-nested-case-sensitivity`: keep the keys' case as in the query (otherwise lower case).
- `api-nested-format-booleans`: boolean properties as "true"/"false" instead of 1/0.
- `api-nested-ignore-entity-id`: drop `entity_id`.
- `api-nested-minimize-relationships`: `relationship` instead of `relationship[concept]`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, fields
from typing import Any

from .sqlengine import REL_COLUMN, Result

TARGET = re.compile(r"^([A-Za-z_]\w*)\[[A-Za-z_]\w*\]")


@dataclass
class Flags:
    nested: bool = False
    format_properties: bool = False
    case_sensitivity: bool = False
    format_booleans: bool = False
    ignore_entity_id: bool = False
    minimize_relationships: bool = False

    @classmethod
    def from_headers(cls, header) -> "Flags":
        """`header(name)` -> value; a flag is on when its header is `true` (any case)."""
        def on(name: str) -> bool:
            return (header(name) or "").strip().lower() == "true"
        return cls(**{f.name: on("nested" if f.name == "nested" else "api-nested-" + f.name.replace("_", "-"))
                      for f in fields(cls)})

    @property
    def formatting(self) -> bool:
        return self.nested and self.format_properties


def shape(result: Result, flags: Flags) -> list[dict]:
    rows = [dict(zip(result.columns, map(json_value, row))) for row in result.rows]
    if flags.formatting:
        rows = [format_values(row, result.meta, flags) for row in rows]
    if flags.nested:
        rows = nest(rows)
    if flags.formatting:
        rows = [rename(row, flags) for row in rows]
    return rows


def json_value(value: Any) -> Any:
    """SQLite values as JSON: blobs as hex, non-finite numbers as strings."""
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def format_values(row: dict, meta: dict[str, dict], flags: Flags) -> dict:
    out = {}
    for column, value in row.items():
        prop = meta.get(column, {})
        if prop.get("type") == "boolean" and flags.format_booleans and value in (0, 1):
            value = "true" if value else "false"
        elif prop.get("format") and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = format(value, prop["format"])
        out[column] = value
    return out


def nest(rows: list[dict]) -> list[dict]:
    if not rows:
        return rows
    columns = list(rows[0])
    matches = {c: REL_COLUMN.match(c) for c in columns}
    if not any(matches.values()) or "entity_id" not in (c.lower() for c in columns):
        return rows
    plain = [c for c in columns if not matches[c]]
    groups: dict[tuple, dict] = {}
    for row in rows:
        key = tuple(row[c] for c in plain)
        obj = groups.get(key)
        if obj is None:
            obj = groups[key] = {}
            for c in columns:
                if matches[c]:
                    obj.setdefault(f"{matches[c]['rel']}[{matches[c]['target']}]", [])
                else:
                    obj[c] = row[c]
        related: dict[str, dict] = {}
        for c in columns:
            if matches[c]:
                related.setdefault(f"{matches[c]['rel']}[{matches[c]['target']}]", {})[matches[c]["prop"]] = row[c]
        for name, item in related.items():
            if any(v is not None for v in item.values()) and item not in obj[name]:
                obj[name].append(item)
    return list(groups.values())


def rename(value: Any, flags: Flags) -> Any:
    if isinstance(value, list):
        return [rename(v, flags) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        if flags.ignore_entity_id and key.lower() == "entity_id":
            continue
        if flags.minimize_relationships:
            key = TARGET.sub(r"\1", key)
        if not flags.case_sensitivity:
            key = key.lower()
        out[key] = rename(item, flags)
    return out
