"""Bodies made from a schema: a deterministic example (the spec's own examples first) and a
random schema-valid value, for `Prefer: code=...` / `dynamic=true`."""

from __future__ import annotations

import random
import re
import string
from datetime import datetime, timedelta, timezone
from typing import Any

try:  # Python 3.11+: the regex parser moved
    import re._parser as sre_parse  # type: ignore[import-not-found]
    import re._constants as sre_constants  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover
    import sre_constants
    import sre_parse

FORMATS = {
    "date-time": lambda r: (datetime(2024, 1, 1, tzinfo=timezone.utc)
                            + timedelta(seconds=r.randrange(10**8))).isoformat().replace("+00:00", "Z"),
    "date": lambda r: (datetime(2024, 1, 1) + timedelta(days=r.randrange(3000))).date().isoformat(),
    "email": lambda r: f"user{r.randrange(10**6)}@example.com",
    "uuid": lambda r: "%08x-%04x-4%03x-a%03x-%012x" % (r.getrandbits(32), r.getrandbits(16), r.getrandbits(12),
                                                        r.getrandbits(12), r.getrandbits(48)),
    "uri": lambda r: f"https://example.com/{r.randrange(10**6)}",
    "url": lambda r: f"https://example.com/{r.randrange(10**6)}",
    "ipv4": lambda r: ".".join(str(r.randrange(1, 255)) for _ in range(4)),
    "hostname": lambda r: f"host{r.randrange(1000)}.example.com",
}


def _merge_all_of(schema: dict) -> dict:
    if "allOf" not in schema:
        return schema
    merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
    for part in schema["allOf"]:
        part = _merge_all_of(part)
        for key, value in part.items():
            if key == "properties":
                merged.setdefault("properties", {}).update(value)
            elif key == "required":
                merged["required"] = sorted(set(merged.get("required", [])) | set(value))
            else:
                merged.setdefault(key, value)
    return merged


def example_for(schema: dict, rng: random.Random | None = None, depth: int = 0) -> Any:
    """A value valid for `schema`. Without `rng`: the schema's own example/default/first enum,
    else a plain value; with `rng`: random values within the constraints."""
    schema = _merge_all_of(schema or {})
    if rng is None:
        for key in ("example", "default"):
            if key in schema:
                return schema[key]
    if "enum" in schema:
        return rng.choice(schema["enum"]) if rng else schema["enum"][0]
    for key in ("oneOf", "anyOf"):
        if key in schema:
            options = schema[key]
            return example_for(rng.choice(options) if rng else options[0], rng, depth + 1)
    kind = schema.get("type") or ("object" if "properties" in schema else None)
    if kind == "object":
        props = schema.get("properties", {})
        required = set(schema.get("required", []))
        chosen = [k for k in props if k in required or (depth < 4 and (rng is None or rng.random() < 0.7))]
        value = {k: example_for(props[k], rng, depth + 1) for k in chosen
                 if not props[k].get("writeOnly")}
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and not value and "minProperties" in schema:
            value["key"] = example_for(extra, rng, depth + 1)
        return value
    if kind == "array":
        low = schema.get("minItems", 0)
        high = max(low, min(schema.get("maxItems", low + 3), low + 3))
        count = rng.randint(low, high) if rng else max(low, 1 if depth < 3 else 0)
        count = min(count, schema.get("maxItems", count))
        items = [example_for(schema.get("items", {}), rng, depth + 1) for _ in range(count)]
        if schema.get("uniqueItems"):
            unique = []
            for item in items:
                if item not in unique:
                    unique.append(item)
            items = unique
        return items
    if kind in ("integer", "number"):
        low = schema.get("minimum", 0 if rng is None else -1000)
        high = schema.get("maximum", max(low, 0) + 1000)
        if schema.get("exclusiveMinimum"):
            low += 1
        if schema.get("exclusiveMaximum"):
            high -= 1
        if kind == "integer":
            low, high = int(-(-low // 1)), int(high // 1)
            value = rng.randint(low, high) if rng else max(low, min(high, 1))
            step = schema.get("multipleOf")
            return value - value % step if step and value - value % step >= low else value
        return round(rng.uniform(low, high), 2) if rng else float(max(low, min(high, 1)))
    if kind == "boolean":
        return rng.random() < 0.5 if rng else True
    if kind == "string" or kind is None and schema:
        return _string(schema, rng or random.Random(0), deterministic=rng is None)
    return None


def _string(schema: dict, rng: random.Random, deterministic: bool) -> str:
    fmt = schema.get("format")
    if fmt in FORMATS:
        return FORMATS[fmt](rng)
    if "pattern" in schema:
        try:
            return from_regex(schema["pattern"], rng)
        except (ValueError, re.error):
            pass
    low = schema.get("minLength", 0)
    high = max(low, min(schema.get("maxLength", low + 12), low + 12))
    if deterministic:
        return ("string" * (low // 6 + 1))[:max(low, min(high, 6))]
    return "".join(rng.choice(string.ascii_letters) for _ in range(rng.randint(max(low, 1), max(high, 1))))


def from_regex(pattern: str, rng: random.Random, matches=None) -> str:
    """A string matching `pattern` (anchors respected; lookarounds unsupported), checked with
    `matches(pattern, text)` (default `re.search`)."""
    parsed = sre_parse.parse(pattern)
    text = _emit(list(parsed), rng)
    if not (matches or re.search)(pattern, text):
        raise ValueError(pattern)
    return text


def _emit(items, rng: random.Random) -> str:
    out = []
    for op, arg in items:
        if op == sre_constants.LITERAL:
            out.append(chr(arg))
        elif op == sre_constants.NOT_LITERAL:
            out.append("a" if chr(arg) != "a" else "b")
        elif op == sre_constants.ANY:
            out.append(rng.choice(string.ascii_letters))
        elif op == sre_constants.IN:
            out.append(_from_class(arg, rng))
        elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
            low, high, sub = arg
            high = min(high, low + 3) if high != sre_constants.MAXREPEAT else low + 3
            out.append("".join(_emit(list(sub), rng) for _ in range(rng.randint(low, max(low, high)))))
        elif op == sre_constants.SUBPATTERN:
            out.append(_emit(list(arg[-1]), rng))
        elif op == sre_constants.BRANCH:
            out.append(_emit(list(rng.choice(arg[1])), rng))
        elif op in (sre_constants.AT,):
            continue
        else:
            raise ValueError(f"unsupported regex construct {op}")
    return "".join(out)


def _from_class(items, rng: random.Random) -> str:
    choices: list[str] = []
    negate = False
    for op, arg in items:
        if op == sre_constants.NEGATE:
            negate = True
        elif op == sre_constants.LITERAL:
            choices.append(chr(arg))
        elif op == sre_constants.RANGE:
            choices += [chr(c) for c in range(arg[0], min(arg[1], arg[0] + 60) + 1)]
        elif op == sre_constants.CATEGORY:
            choices += {
                sre_constants.CATEGORY_DIGIT: list(string.digits),
                sre_constants.CATEGORY_WORD: list(string.ascii_letters + string.digits + "_"),
                sre_constants.CATEGORY_SPACE: [" "],
            }.get(arg, list(string.ascii_letters))
    if negate:
        pool = [c for c in string.ascii_letters + string.digits if c not in choices]
        return rng.choice(pool)
    return rng.choice(choices or list(string.ascii_letters))
