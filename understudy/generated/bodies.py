"""Values made from a spec's schemas that are always valid against them: for OpenAPI 3.0 and
3.1, through $ref (recursive ones too), allOf / oneOf / anyOf / not, const and enum, formats,
patterns, bounds, nullable and type arrays, readOnly / writeOnly by direction.

A schema's own example (or default) is used where it validates; otherwise a value is built from
the keywords. Every top-level value is checked with the spec's validator; if the first build
breaks a rule, variants are tried (fewer optional properties, other branches, seeded random
values) before `Unsatisfiable` says the schema admits nothing understudy can build.

    bodies = Bodies(spec)
    bodies.value(schema, "response")              # deterministic
    bodies.value(schema, "response", rng=Random())  # random (Prefer: dynamic=true)
"""

from __future__ import annotations

import base64
import math
import random
import re
import string
from typing import Any

from ..examples import from_regex
from ..parameters import declared_types
from ..spec.discriminator import tags
from ..spec.load import Spec
from ..spec.patterns import search as pattern_search
from ..spec.walk import pointer_get, ref_pointer
from ..stores.base import clone

MAX_DEPTH = 7  # below this, objects get their required properties only and arrays their minimum
OPTIONAL_DEPTH = 3  # optional properties are filled down to this depth
VARIANTS = 24  # seeded random attempts after the deterministic ones

FORMATS = {
    "date-time": lambda n: f"2024-01-{1 + n % 28:02d}T12:00:00Z",
    "date": lambda n: f"2024-01-{1 + n % 28:02d}",
    "time": lambda n: f"12:{n % 60:02d}:00Z",
    "duration": lambda n: f"P{1 + n}D",
    "email": lambda n: f"user{n or ''}@example.com",
    "idn-email": lambda n: f"user{n or ''}@example.com",
    "uuid": lambda n: f"3fa85f64-5717-4562-b3fc-{0x2c963f66afa6 + n:012x}",
    "uri": lambda n: f"https://example.com/{n}",
    "url": lambda n: f"https://example.com/{n}",
    "iri": lambda n: f"https://example.com/{n}",
    "uri-reference": lambda n: f"/example/{n}",
    "iri-reference": lambda n: f"/example/{n}",
    "uri-template": lambda n: "https://example.com/{id}",
    "hostname": lambda n: f"host{n}.example.com",
    "idn-hostname": lambda n: f"host{n}.example.com",
    "ipv4": lambda n: f"192.0.2.{1 + n % 254}",
    "ipv6": lambda n: f"2001:db8::{1 + n:x}",
    "byte": lambda n: base64.b64encode(f"understudy{n or ''}".encode()).decode(),
    "binary": lambda n: "binary",
    "password": lambda n: f"password{n or ''}",
    "regex": lambda n: "^[a-z]+$",
    "json-pointer": lambda n: f"/example/{n}",
    "relative-json-pointer": lambda n: "0",
}
INT_BOUNDS = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


class Unsatisfiable(Exception):
    """No value understudy can build validates against the schema."""


class Bodies:
    """Value generation for one spec (its document resolves the refs; its dialect picks the
    validator). Deterministic values are cached per schema and direction; callers get copies."""

    def __init__(self, spec: Spec):
        self.spec = spec
        self.document = spec.document
        self.dialect = spec.dialect
        self._cache: dict[tuple[int, str], Any] = {}
        self._valid_examples: dict[tuple[int, str], Any] = {}
        self._validators: dict[tuple[int, str], tuple[Any, Any]] = {}  # holds the schema: ids stay unique
        self._parts: dict[tuple, Any] = {}  # deterministic values of referenced schemas

    # -- public ----------------------------------------------------------------------------
    def value(self, schema: Any, direction: str = "response", rng: random.Random | None = None) -> Any:
        """A value valid against `schema`; Unsatisfiable when none is found."""
        if not isinstance(schema, dict):
            return None if schema is False else "string"
        key = (id(schema), direction)
        if rng is None and key in self._cache:
            return clone(self._cache[key])
        attempts = [(rng, True), (rng, False)] if rng else [(None, True), (None, False)]
        attempts += [(random.Random(seed), seed % 2 == 0) for seed in range(VARIANTS)]
        first_error = None
        for attempt_rng, optional in attempts:
            try:
                candidate = _Build(self, direction, attempt_rng, optional).make(schema, 0, ())
            except RecursionError:
                continue
            found = self.errors(schema, candidate, direction)
            error = found[0] if found else None
            if error is None:
                if rng is None:
                    self._cache[key] = clone(candidate)
                return candidate
            first_error = first_error or error
        where = "/".join(str(p) for p in first_error.absolute_path) if first_error else ""
        raise Unsatisfiable(f"no value found for the schema ({'/' + where if where else ''} "
                            f"{first_error.message if first_error else ''})".strip())

    def example_of(self, media: dict, direction: str = "response") -> tuple[bool, Any]:
        """(True, value) for a media type's (or parameter's) own example that validates against
        its schema; (False, None) when it has none or none that is valid."""
        schema = media.get("schema") or {}
        candidates = []
        if "example" in media:
            candidates.append(media["example"])
        for example in (media.get("examples") or {}).values():
            example = self.resolve(example)
            if isinstance(example, dict) and "value" in example:
                candidates.append(example["value"])
        for candidate in candidates:
            if self.valid(schema, candidate, direction):
                return True, candidate
        return False, None

    def validator(self, schema: Any, direction: str):
        key = (id(schema), direction)
        held = self._validators.get(key)
        if held is None or held[0] is not schema:
            if len(self._validators) > 50_000:
                self._validators.clear()
            held = self._validators[key] = (schema, self.spec.validator(schema, direction))
        return held[1]

    def errors(self, schema: Any, value: Any, direction: str) -> list:
        """The first error of `value` (a list of at most one); a schema the validator cannot
        read (a `type` that is not a type name, a ref to nowhere) finds none."""
        try:
            error = next(iter(self.validator(schema, direction).iter_errors(value)), None)
        except Exception:
            return []
        return [] if error is None else [error]

    def valid(self, schema: Any, value: Any, direction: str = "response") -> bool:
        return not self.errors(schema, value, direction)

    def resolve(self, node: Any, depth: int = 0) -> Any:
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and depth < 32:
            ref = node["$ref"]
            try:
                target = pointer_get(self.document, ref_pointer(ref)) if ref.startswith("#") else {}
            except KeyError:
                target = {}
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            node = {"allOf": [target, siblings]} if siblings and self.dialect == "3.1" and _constrains(siblings) \
                else target
            depth += 1
        return node


def _named(value: Any, named: Any, branch: int) -> list:
    """A value built from a branch of a `oneOf` / `anyOf` with a discriminator, with the property
    set to a value that names that branch (`spec.discriminator`), then as built."""
    if named is None or not named.names[branch] or not isinstance(value, dict) \
            or named.branch(value.get(named.prop)) == branch:
        return [value]
    return [{**value, named.prop: named.names[branch][0]}, value]


def _constrains(siblings: dict) -> bool:
    return any(k not in ("description", "summary", "title", "example", "examples", "deprecated")
               for k in siblings)


class _Build:
    """One attempt at a value: deterministic (rng None) or random, with or without optional
    properties."""

    def __init__(self, bodies: Bodies, direction: str, rng: random.Random | None, optional: bool):
        self.bodies = bodies
        self.direction = direction
        self.rng = rng
        self.optional = optional
        self.dialect = bodies.dialect

    def make(self, schema: Any, depth: int, refs: tuple, variant: int = 0) -> Any:
        if schema is True or schema is None:
            return "string"
        if schema is False or not isinstance(schema, dict):
            return None
        ref = schema.get("$ref")
        if isinstance(ref, str):
            if refs.count(ref) >= 2 or depth > MAX_DEPTH + 4:
                return self._stop(self.bodies.resolve(schema))
            key = (ref, self.direction, self.optional, variant, depth, ref in refs)
            if self.rng is None and key in self.bodies._parts and len(schema) == 1:
                return clone(self.bodies._parts[key])
            resolved = self.bodies.resolve(schema)
            if not isinstance(resolved, dict):
                return None
            value = self.make(resolved, depth, refs + (ref,), variant)
            if self.rng is None and len(schema) == 1:
                self.bodies._parts[key] = clone(value)
            return value
        if "allOf" in schema:
            schema = self._merge_all_of(schema, refs)
        own = self._own_example(schema)
        if own is not _NONE:
            return own
        if "const" in schema:
            return clone(schema["const"])
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return self._enum(schema, variant)
        for key in ("oneOf", "anyOf"):
            options = schema.get(key)
            if isinstance(options, list) and options:
                return self._choice(schema, key, options, depth, refs, variant)
        kind = self._type(schema)
        if kind == "null":
            return None
        if kind == "object":
            return self._object(schema, depth, refs, variant)
        if kind == "array":
            return self._array(schema, depth, refs, variant)
        if kind == "integer":
            return self._number(schema, True, variant)
        if kind == "number":
            return self._number(schema, False, variant)
        if kind == "boolean":
            return bool(self.rng.random() < 0.5) if self.rng else variant % 2 == 0
        return self._string(schema, variant)

    # -- helpers ---------------------------------------------------------------------------
    def _stop(self, schema: Any) -> Any:
        """The smallest value for a schema met again deep in a recursion."""
        if not isinstance(schema, dict):
            return None
        if schema.get("nullable") or "null" in declared_types(schema):
            return None
        kind = self._type(self._merge_all_of(schema, ()) if "allOf" in schema else schema)
        return {"object": {}, "array": []}.get(kind, self.make({k: v for k, v in schema.items()
                                                                if k not in ("properties", "items")}, MAX_DEPTH, ()))

    def _own_example(self, schema: dict) -> Any:
        if self.rng is not None:
            return _NONE
        candidates = []
        if "example" in schema:
            candidates.append(schema["example"])
        if isinstance(schema.get("examples"), list):
            candidates.extend(schema["examples"])
        if "default" in schema:
            candidates.append(schema["default"])
        if not candidates:
            return _NONE
        key = (id(schema), self.direction)
        cache = self.bodies._valid_examples
        if key not in cache:
            cache[key] = _NONE
            bare = {k: v for k, v in schema.items() if k not in ("example", "examples", "default")}
            for candidate in candidates:
                if self.bodies.valid(bare, candidate, self.direction):
                    cache[key] = candidate
                    break
        found = cache[key]
        return _NONE if found is _NONE else clone(found)

    def _type(self, schema: dict) -> str | None:
        types = [t for t in declared_types(schema) if t != "null"]
        if types:
            return self.rng.choice(types) if self.rng and len(types) > 1 else types[0]
        if declared_types(schema) == ["null"]:
            return "null"
        if any(k in schema for k in ("properties", "additionalProperties", "required", "patternProperties",
                                     "minProperties")):
            return "object"
        if any(k in schema for k in ("items", "prefixItems", "minItems", "maxItems")):
            return "array"
        if any(k in schema for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")):
            return "number"
        if "not" in schema:
            inner = declared_types(schema["not"]) if isinstance(schema["not"], dict) else []
            for candidate in ("string", "integer", "object", "array", "boolean"):
                if candidate not in inner:
                    return candidate
        return "string"

    def _merge_all_of(self, schema: dict, refs: tuple) -> dict:
        merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        for part in schema.get("allOf") or []:
            if isinstance(part, dict) and "$ref" in part:
                part = self.bodies.resolve(part)
            if not isinstance(part, dict):
                continue
            if "allOf" in part:
                part = self._merge_all_of(part, refs)
            _merge_into(merged, part)
        return merged

    def _enum(self, schema: dict, variant: int) -> Any:
        values = list(schema["enum"])
        usable = [v for v in values if v is not None] or values
        bare = {k: v for k, v in schema.items() if k not in ("enum", "example", "examples", "default")}
        if self.rng:
            self.rng.shuffle(usable)
        start = variant % len(usable)
        ordered = usable[start:] + usable[:start]
        for value in ordered:
            if len(ordered) == 1 or self.bodies.valid(bare, value, self.direction):
                return clone(value)
        return clone(ordered[0])

    def _choice(self, schema: dict, key: str, options: list, depth: int, refs: tuple, variant: int) -> Any:
        base = {k: v for k, v in schema.items() if k not in ("oneOf", "anyOf", "discriminator")}
        named = tags(schema, self.bodies.document)
        order = list(range(len(options)))
        if self.rng:
            self.rng.shuffle(order)
        fallback = _NONE
        for i in order:
            option = options[i]
            combined = {"allOf": [base, option]} if base else option
            try:
                value = self.make(combined, depth + 1, refs, variant)
            except RecursionError:
                continue
            for candidate in _named(value, named, i):
                if self.bodies.valid(schema, candidate, self.direction):
                    return candidate
                if key == "oneOf" and isinstance(candidate, dict):
                    candidate = self._exclude_others(candidate, options, i)
                    if self.bodies.valid(schema, candidate, self.direction):
                        return candidate
                if fallback is _NONE:
                    fallback = candidate
        return None if fallback is _NONE else fallback

    def _exclude_others(self, value: dict, options: list, chosen: int) -> dict:
        """An object matching several oneOf branches: a property that only another branch
        constrains gets a value that branch refuses, so exactly one matches."""
        mine = self.bodies.resolve(options[chosen])
        mine = self._merge_all_of(mine, ()) if isinstance(mine, dict) and "allOf" in mine else mine
        own = set((mine.get("properties") or {}) if isinstance(mine, dict) else {})
        value = dict(value)
        for j, other in enumerate(options):
            if j == chosen:
                continue
            other = self.bodies.resolve(other)
            other = self._merge_all_of(other, ()) if isinstance(other, dict) and "allOf" in other else other
            for name, prop in ((other.get("properties") or {}) if isinstance(other, dict) else {}).items():
                if name in own or name in value:
                    continue
                wrong = _wrong_value(self.bodies.resolve(prop))
                if wrong is not _NONE:
                    value[name] = wrong
                    break
        return value

    def _object(self, schema: dict, depth: int, refs: tuple, variant: int) -> dict:
        props = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
        required = [r for r in schema.get("required") or [] if isinstance(r, str)]
        skip = "readOnly" if self.direction == "request" else "writeOnly"
        out: dict[str, Any] = {}
        fill = self.optional and depth < OPTIONAL_DEPTH
        for name, prop in props.items():
            if self._marked(prop, skip):
                continue
            if name in required or (fill and (self.rng is None or self.rng.random() < 0.7)):
                if depth >= MAX_DEPTH and name not in required:
                    continue
                out[name] = self.make(prop, depth + 1, refs, variant)
        extra = schema.get("additionalProperties")
        for name in required:
            if name not in out and name not in props:
                out[name] = self.make(extra if isinstance(extra, dict) else {}, depth + 1, refs, variant)
        patterns = schema.get("patternProperties") if isinstance(schema.get("patternProperties"), dict) else {}
        low = schema.get("minProperties", 0) if isinstance(schema.get("minProperties"), int) else 0
        n = 0
        while len(out) < low and n < low + 5:
            n += 1
            if patterns:
                pattern, sub = next(iter(patterns.items()))
                name = self._pattern_text(pattern, n) or f"key{n}"
            else:
                name, sub = f"key{n}", extra if isinstance(extra, dict) else {}
            if name not in out:
                out[name] = self.make(sub, depth + 1, refs, variant)
        high = schema.get("maxProperties")
        if isinstance(high, int) and len(out) > high:
            keep = [k for k in out if k in required] + [k for k in out if k not in required]
            out = {k: out[k] for k in keep[:max(high, len([k for k in out if k in required]))]}
        return out

    def _marked(self, schema: Any, flag: str, depth: int = 0) -> bool:
        """Whether a property is readOnly / writeOnly, through refs and allOf."""
        schema = self.bodies.resolve(schema)
        if not isinstance(schema, dict) or depth > 4:
            return False
        if schema.get(flag) is True:
            return True
        return any(self._marked(part, flag, depth + 1) for part in schema.get("allOf") or [])

    def _array(self, schema: dict, depth: int, refs: tuple, variant: int) -> list:
        low = schema.get("minItems", 0) if isinstance(schema.get("minItems"), int) else 0
        high = schema.get("maxItems") if isinstance(schema.get("maxItems"), int) else None
        prefix = schema.get("prefixItems") if isinstance(schema.get("prefixItems"), list) else []
        items = schema.get("items")
        if isinstance(items, list):  # draft 4 tuple form
            prefix, items = items, schema.get("additionalItems", {})
        if depth >= MAX_DEPTH:
            count = low
        elif self.rng:
            count = self.rng.randint(low, max(low, min(high if high is not None else low + 3, low + 3)))
        else:
            count = max(low, 1)
        if high is not None:
            count = min(count, high)
        if items is False:
            count = min(count, len(prefix))
        count = max(count, min(len(prefix), high if high is not None else len(prefix)))
        out = []
        for i in range(count):
            sub = prefix[i] if i < len(prefix) else (items if isinstance(items, dict) else {})
            out.append(self.make(sub, depth + 1, refs, variant + i))
        contains = schema.get("contains")
        if isinstance(contains, dict) and not any(self.bodies.valid(contains, v, self.direction) for v in out):
            value = self.make(contains, depth + 1, refs, variant)
            if high is not None and len(out) >= high and out:
                out[-1] = value
            else:
                out.append(value)
        if schema.get("uniqueItems"):
            unique: list = []
            for value in out:
                if value not in unique:
                    unique.append(value)
            out = unique
        return out

    def _number(self, schema: dict, integer: bool, variant: int) -> int | float:
        low, high = -math.inf, math.inf
        fmt = schema.get("format")
        if integer and fmt in INT_BOUNDS:
            low, high = INT_BOUNDS[fmt]
        strict_low = strict_high = False
        if isinstance(schema.get("minimum"), (int, float)):
            low = max(low, schema["minimum"])
            strict_low = schema.get("exclusiveMinimum") is True
        if isinstance(schema.get("maximum"), (int, float)):
            high = min(high, schema["maximum"])
            strict_high = schema.get("exclusiveMaximum") is True
        exclusive_low, exclusive_high = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
        if isinstance(exclusive_low, (int, float)) and not isinstance(exclusive_low, bool) and exclusive_low >= low:
            low, strict_low = exclusive_low, True
        if isinstance(exclusive_high, (int, float)) and not isinstance(exclusive_high, bool) and exclusive_high <= high:
            high, strict_high = exclusive_high, True
        step = schema.get("multipleOf") if isinstance(schema.get("multipleOf"), (int, float)) and \
            schema.get("multipleOf") > 0 else None
        if integer:
            lo = math.floor(low) + 1 if strict_low and low == math.floor(low) else math.ceil(low) if low > -math.inf else None
            hi = math.ceil(high) - 1 if strict_high and high == math.ceil(high) else math.floor(high) if high < math.inf \
                else None
            if self.rng:
                a = lo if lo is not None else (hi - 1000 if hi is not None else -1000)
                b = hi if hi is not None else a + 1000
                value = self.rng.randint(int(a), int(max(a, b)))
            else:
                value = 1 + variant
                if lo is not None and value < lo:
                    value = lo + variant
                if hi is not None and value > hi:
                    value = hi - variant if lo is None or hi - variant >= lo else hi
            if step:
                value = _multiple(value, step, lo, hi)
            return int(value)
        lo = low if low > -math.inf else None
        hi = high if high < math.inf else None
        if self.rng:
            a = lo if lo is not None else (hi - 1000 if hi is not None else -1000.0)
            b = hi if hi is not None else a + 1000
            value = round(self.rng.uniform(a, b), 2)
        else:
            value = 1.5 + variant
            if lo is not None and (value < lo or (strict_low and value <= lo)):
                value = lo + (1 if hi is None or hi - lo > 1 else (hi - lo) / 2)
            if hi is not None and (value > hi or (strict_high and value >= hi)):
                value = hi - (1 if lo is None or hi - lo > 1 else (hi - lo) / 2)
        if step:
            value = _multiple(value, step, lo, hi)
        return value

    def _string(self, schema: dict, variant: int) -> str:
        fmt = schema.get("format")
        low = schema.get("minLength", 0) if isinstance(schema.get("minLength"), int) else 0
        high = schema.get("maxLength") if isinstance(schema.get("maxLength"), int) else None
        pattern = schema.get("pattern") if isinstance(schema.get("pattern"), str) else None
        n = variant if self.rng is None else self.rng.randrange(1000)
        if pattern:
            text = self._pattern_text(pattern, n, low, high)
            if text is not None:
                return text
        if fmt in FORMATS:
            text = FORMATS[fmt](n)
            if low <= len(text) and (high is None or len(text) <= high):
                return text
        if self.rng:
            size = self.rng.randint(max(low, 1), max(low, 1, min(high if high is not None else 12, low + 12)))
            return "".join(self.rng.choice(string.ascii_letters) for _ in range(size))
        base = "string" + (str(variant) if variant else "")
        if len(base) < low:
            base = (base * (low // len(base) + 1))[:low]
        if high is not None:
            base = base[:high]
        return base

    def _pattern_text(self, pattern: str, n: int, low: int = 0, high: int | None = None) -> str | None:
        for seed in range(n, n + 12):
            try:
                text = from_regex(pattern, random.Random(seed), matches=pattern_search)
            except Exception:
                return _simple_pattern(pattern, low, high)
            if len(text) >= low and (high is None or len(text) <= high):
                return text
        return None


class _Missing:
    pass


_NONE = _Missing()


def _wrong_value(schema: Any) -> Any:
    """A value of a type `schema` does not allow, or _NONE when it allows every type."""
    if not isinstance(schema, dict):
        return _NONE
    types = set(declared_types(schema))
    if not types:
        if "enum" in schema:
            return "\u0000not-in-enum"
        return _NONE
    for candidate, kinds in ((12345, {"integer", "number"}), ("x", {"string"}), ([], {"array"}), ({}, {"object"})):
        if not kinds & types:
            return candidate
    return _NONE


def _merge_into(merged: dict, part: dict) -> None:
    """allOf's parts folded into one schema: properties combined per name, required joined,
    the tighter bound kept, types intersected."""
    for key, value in part.items():
        if key not in merged:
            merged[key] = clone(value) if key in ("properties", "required") else value
            continue
        mine = merged[key]
        if key == "properties" and isinstance(mine, dict) and isinstance(value, dict):
            for name, sub in value.items():
                mine[name] = {"allOf": [mine[name], sub]} if name in mine and mine[name] is not sub else sub
        elif key == "required" and isinstance(mine, list) and isinstance(value, list):
            merged[key] = mine + [r for r in value if r not in mine]
        elif key in ("minimum", "minLength", "minItems", "minProperties", "exclusiveMinimum") and \
                _numbers(mine, value):
            merged[key] = max(mine, value)
        elif key in ("maximum", "maxLength", "maxItems", "maxProperties", "exclusiveMaximum") and \
                _numbers(mine, value):
            merged[key] = min(mine, value)
        elif key == "type":
            a = set(mine if isinstance(mine, list) else [mine])
            b = set(value if isinstance(value, list) else [value])
            both = a & b or ({"integer"} if {"integer", "number"} <= a | b else a)
            merged[key] = sorted(both)[0] if len(both) == 1 else sorted(both)
        elif key == "enum" and isinstance(mine, list) and isinstance(value, list):
            merged[key] = [v for v in mine if v in value] or mine
        elif key in ("items", "additionalProperties", "not") and isinstance(mine, dict) and isinstance(value, dict):
            merged[key] = {"allOf": [mine, value]}
        elif key in ("oneOf", "anyOf") and mine is not value:
            merged[key] = value  # the last one drives the choice; the result is validated
        elif key == "nullable":
            merged[key] = bool(mine) and bool(value)


def _numbers(*values: Any) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def _multiple(value: float, step: float, lo: float | None, hi: float | None) -> float:
    candidate = math.ceil(value / step) * step
    if hi is not None and candidate > hi:
        candidate = math.floor(hi / step) * step
    if lo is not None and candidate < lo:
        candidate = math.ceil(lo / step) * step
    if isinstance(step, int) and not isinstance(step, bool):
        return int(candidate)
    return round(candidate, 10)


_LITERAL = re.compile(r"^\^?([A-Za-z0-9_\- ./:]*)\$?$")


def _simple_pattern(pattern: str, low: int, high: int | None) -> str | None:
    """A pattern Python's parser cannot read (`\\p{L}`): a few plain candidates, checked."""
    literal = _LITERAL.match(pattern)
    candidates = [literal.group(1)] if literal else []
    candidates += ["a", "abc", "A1", "1", "a-b", "x" * max(low, 1)]
    for text in candidates:
        if len(text) >= low and (high is None or len(text) <= high) and pattern_search(pattern, text):
            return text
    return None
