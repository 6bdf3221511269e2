"""Schema validators per dialect. OpenAPI 3.0 schemas are checked by an OpenAPI-aware Draft 4
(`nullable`, and `readOnly` / `writeOnly` by direction, as Connexion's
`Draft4RequestValidator` / `Draft4ResponseValidator` do); OpenAPI 3.1 schemas by JSON Schema
2020-12 (type arrays, `const`, `$defs`, null). Both check formats (plus OpenAPI's int32 / int64)
and match patterns with `patterns` (no regex can hang a worker).

    validator = validator_for(schema, dialect="3.1", direction="response", document=spec.document)
    errors = list(validator.iter_errors(value))

`$ref`s inside the schema (`#/components/schemas/Pet`) resolve against `document`."""

from __future__ import annotations

import functools
from typing import Any

from jsonschema import Draft4Validator, Draft202012Validator, FormatChecker, ValidationError
from jsonschema import _keywords
from jsonschema.exceptions import UnknownType
from jsonschema.validators import extend
from referencing import Registry

from .discriminator import tags
from .patterns import BadPattern, PatternTimeout, compile_pattern

DIALECTS = ("3.0", "3.1")
DIRECTIONS = ("request", "response")
INT_RANGES = {"int32": 2**31, "int64": 2**63}


def _match(validator, pattern: str, text: str):
    """(matched, error) for one pattern: a trip of the time bound is an error, never a hang."""
    try:
        return compile_pattern(pattern)(text), None
    except BadPattern:
        return True, None
    except PatternTimeout:
        return False, ValidationError(f"{text[:40]!r} could not be matched against {pattern!r} in time")


def _pattern(validator, pattern, instance, schema):
    if validator.is_type(instance, "string"):
        matched, error = _match(validator, pattern, instance)
        if error is not None:
            yield error
        elif not matched:
            yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(validator, patterns, instance, schema):
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        for key, value in instance.items():
            matched, error = _match(validator, pattern, key)
            if error is not None:
                yield error
            elif matched:
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _extras(instance: dict, schema: dict) -> list:
    properties = schema.get("properties", {})
    patterns = list(schema.get("patternProperties", {}))
    extras = []
    for key in instance:
        if key in properties:
            continue
        if any(_match(None, p, key)[0] for p in patterns):
            continue
        extras.append(key)
    return extras


def _additional_properties(validator, allowed, instance, schema):
    if not validator.is_type(instance, "object"):
        return
    if "patternProperties" not in schema:
        yield from _keywords.additionalProperties(validator, allowed, instance, schema)
        return
    extras = _extras(instance, schema)
    if validator.is_type(allowed, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], allowed, path=extra)
    elif not allowed and extras:
        joined = ", ".join(repr(e) for e in sorted(extras))
        yield ValidationError(f"{joined} do not match any of the regexes: "
                              + ", ".join(repr(p) for p in sorted(schema["patternProperties"])))


def _nullable(check):
    def keyword(validator, value, instance, schema):
        if instance is None and (schema.get("nullable") is True or schema.get("x-nullable") is True):
            return
        yield from check(validator, value, instance, schema)
    return keyword


def _required(skip: str):
    """`required` that leaves out properties marked `skip` (readOnly in requests, writeOnly in
    responses), as OpenAPI says."""
    def keyword(validator, required, instance, schema):
        if not validator.is_type(instance, "object"):
            return
        props = schema.get("properties", {})
        for name in required:
            if name in instance:
                continue
            if _flagged(validator, props.get(name), skip):
                continue
            yield ValidationError(f"{name!r} is a required property")
    return keyword


def _flagged(validator, prop: Any, flag: str, depth: int = 0) -> bool:
    """Whether a property schema is marked readOnly / writeOnly, through $ref and allOf."""
    if not isinstance(prop, dict) or depth > 4:
        return False
    if prop.get(flag) is True:
        return True
    ref = prop.get("$ref")
    if isinstance(ref, str):
        try:
            if _flagged(validator, validator._resolver.lookup(ref).contents, flag, depth + 1):
                return True
        except Exception:  # a ref to nowhere: its own error elsewhere
            return False
    return any(_flagged(validator, part, flag, depth + 1) for part in prop.get("allOf") or [])


def _write_only(validator, value, instance, schema):
    if value is True:
        yield ValidationError("is write-only: not part of a response")


# Formats jsonschema checks only with optional packages: checked here as Schemathesis checks them
# (its Rust validator), so an answer Schemathesis would call wrong never leaves understudy.
RUST_FORMATS = ("uri", "uri-reference", "iri", "iri-reference", "hostname", "idn-hostname", "json-pointer",
                "relative-json-pointer", "uri-template", "duration", "time", "date")


@functools.lru_cache(maxsize=None)
def _rust_format(name: str):
    import jsonschema_rs

    validator = jsonschema_rs.Draft202012Validator({"format": name}, validate_formats=True)
    return lambda instance: not isinstance(instance, str) or validator.is_valid(instance)


def _format_checker(base: FormatChecker) -> FormatChecker:
    checker = FormatChecker()
    checker.checkers = dict(base.checkers)
    for name in RUST_FORMATS:
        if name not in checker.checkers:
            checker.checkers[name] = (_rust_format(name), ())
    for name, bound in INT_RANGES.items():
        checker.checkers[name] = (functools.partial(_in_range, bound=bound), ())
    checker.checkers["regex"] = (_is_regex, ())
    if "date" not in checker.checkers:
        checker.checkers["date"] = Draft202012Validator.FORMAT_CHECKER.checkers["date"]
    if "uuid" not in checker.checkers:
        checker.checkers["uuid"] = Draft202012Validator.FORMAT_CHECKER.checkers["uuid"]
    return checker


def _in_range(instance: Any, bound: int) -> bool:
    if isinstance(instance, bool) or not isinstance(instance, int):
        return True
    return -bound <= instance < bound


def _is_regex(instance: Any) -> bool:
    if not isinstance(instance, str):
        return True
    try:
        compile_pattern(instance)
    except BadPattern:
        return False
    return True


def _tolerant(check):
    """`type` that ignores what is not a type name (`type: {description: ...}`, `type: file`), as
    if the schema said nothing: a real-world mistake the lint lists, never a crash."""
    def keyword(validator, types, instance, schema):
        names = types if isinstance(types, list) else [types]
        known = [t for t in names if isinstance(t, str) and _known(validator, t)]
        if known:
            yield from check(validator, known if isinstance(types, list) else known[0], instance, schema)
    return keyword


def _known(validator, name: str) -> bool:
    try:
        validator.is_type(None, name)
    except UnknownType:
        return False
    return True


FORMATS = {"3.0": _format_checker(Draft4Validator.FORMAT_CHECKER),
           "3.1": _format_checker(Draft202012Validator.FORMAT_CHECKER)}
_SAFE = {"pattern": _pattern, "patternProperties": _pattern_properties, "additionalProperties": _additional_properties}
_BASE = {
    "3.0": extend(Draft4Validator, {**_SAFE, "type": _nullable(_tolerant(Draft4Validator.VALIDATORS["type"])),
                                    "enum": _nullable(Draft4Validator.VALIDATORS["enum"])}),
    # (`nullable` is not 3.1, but specs converted to 3.1 keep it, and Schemathesis honours it)
    "3.1": extend(Draft202012Validator, {**_SAFE, "type": _nullable(_tolerant(Draft202012Validator.VALIDATORS["type"])),
                                         "enum": _nullable(Draft202012Validator.VALIDATORS["enum"])}),
}


def _document(validator) -> Any:
    try:
        return validator._resolver.lookup("#").contents
    except Exception:  # a resolver without a root document: the branches' own refs name them
        return {}


def _discriminated(check):
    """`oneOf` / `anyOf` beside a `discriminator` (`discriminator.py`), in requests: the value of
    the property picks the branch, as servers that dispatch on it do (Jackson, pydantic's
    discriminated unions). A value that names a branch is judged by that branch alone, its
    violations each where it is (a body another branch would also take, or would take instead, is
    the named one's to accept or refuse). Where every branch can be named, a value that names none
    is refused at the property, and so is a missing or non-string one. Otherwise (a branch no value
    names, a value the mapping sends to a schema that is not a branch here) the keyword's own rule."""
    def validate(validator, branches, instance, schema):
        found = tags(schema, _document(validator)) if "discriminator" in schema else None
        if found is None or not validator.is_type(instance, "object"):
            yield from check(validator, branches, instance, schema)
            return
        value = instance.get(found.prop)
        named = found.branch(value) if isinstance(value, str) else None
        if named is not None:
            yield from validator.descend(instance, branches[named], schema_path=named)
        elif not found.complete or (isinstance(value, str) and value in found.others):
            yield from check(validator, branches, instance, schema)
        else:
            allowed = "one of " + ", ".join(repr(v) for v in found.values)
            if found.prop not in instance:
                message = f"{found.prop!r} is a required property: the discriminator names the schema by it ({allowed})"
            elif not isinstance(value, str):
                message = f"{value!r} is not a string: the discriminator {found.prop!r} names the schema by it ({allowed})"
            else:
                message = f"{value!r} names none of the schemas of the discriminator {found.prop!r} ({allowed})"
            yield ValidationError(message, validator="discriminator", validator_value=schema["discriminator"],
                                  path=[found.prop], instance=value)
    return validate


CLASSES = {
    (dialect, direction): extend(_BASE[dialect], {
        "required": _required("readOnly" if direction == "request" else "writeOnly"),
        **({"writeOnly": _write_only} if direction == "response" else
           {key: _discriminated(_BASE[dialect].VALIDATORS[key]) for key in ("oneOf", "anyOf")}),
    })
    for dialect in DIALECTS for direction in DIRECTIONS
}


def validator_class(dialect: str, direction: str = "response"):
    """The jsonschema validator class for a spec's dialect ("3.0" / "3.1") and a direction
    ("request": readOnly properties not required; "response": writeOnly ones not required and
    refused)."""
    return CLASSES[(dialect, direction)]


def root_validator(document: dict, dialect: str, direction: str = "response"):
    """A validator rooted at the whole document: `validator_for(..., root=...)` evolves it per
    schema, so `#/...` refs resolve against the document. Build one per spec and direction."""
    cls = validator_class(dialect, direction)
    return cls(document, registry=Registry(), format_checker=FORMATS[dialect])


def validator_for(schema: Any, *, dialect: str, direction: str = "response", document: dict | None = None,
                  root=None):
    """A validator instance for one schema of a spec, formats checked, refs resolved against
    `document` (or against the document of `root`, from `root_validator`, shared by a spec's
    schemas)."""
    if root is None:
        root = root_validator(document if document is not None else {}, dialect, direction)
    return root.evolve(schema=schema if schema is not None else {})
