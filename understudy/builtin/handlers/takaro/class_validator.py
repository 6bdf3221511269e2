"""Schema violations as Takaro reports them: class-validator's ValidationErrors, `{target, value,
property, children, constraints}`, nested along the path of the bad value, each constraint named
and worded as class-validator does (`isUuid: "id must be a UUID"`)."""

from __future__ import annotations

import re
from typing import Any

from understudy.errors import Violation

ABSENT = object()
REQUIRED = re.compile(r"'(.+)' is a required property")

# A JSON-schema type -> class-validator's decorator and its message.
TYPES = {
    "string": ("isString", "{p} must be a string"),
    "number": ("isNumber", "{p} must be a number conforming to the specified constraints"),
    "integer": ("isInt", "{p} must be an integer number"),
    "boolean": ("isBoolean", "{p} must be a boolean value"),
    "array": ("isArray", "{p} must be an array"),
    "object": ("isObject", "{p} must be an object"),
}
# A string format -> the decorator that checks it.
FORMATS = {
    "uuid": ("isUuid", "{p} must be a UUID"),
    "date-time": ("isIso8601", "{p} must be a valid ISO 8601 date string"),
    "email": ("isEmail", "{p} must be an email"),
}


def number(x: Any) -> str:
    return str(int(x)) if isinstance(x, (int, float)) and float(x).is_integer() else str(x)


def length(schema: dict) -> tuple[str, str] | None:
    low, high = schema.get("minLength"), schema.get("maxLength")
    if low is not None and high is not None:  # Takaro's @Length(min, max)
        return "isLength", f"{{p}} must be longer than or equal to {low} characters"
    if low is not None:
        return "minLength", f"{{p}} must be longer than or equal to {low} characters"
    if high is not None:
        return "maxLength", f"{{p}} must be shorter than or equal to {high} characters"
    return None


def constraint(rule: str, schema: dict, value: Any = ABSENT) -> tuple[str, str] | None:
    """The class-validator constraint a schema keyword stands for, with its message template."""
    if rule == "type":
        kind = schema.get("type")
        return TYPES.get(kind if isinstance(kind, str) else "object")
    if rule in ("pattern", "format"):
        found = FORMATS.get(schema.get("format", ""))
        return found or ("matches", f"{{p}} must match /{schema.get('pattern', '')}/ regular expression")
    if rule == "enum":
        values = ", ".join(str(v) for v in schema.get("enum", []) if v is not None)
        return "isEnum", f"{{p}} must be one of the following values: {values}"
    if rule in ("minLength", "maxLength"):
        name, message = length(schema)
        if name == "isLength" and rule == "maxLength":
            message = f"{{p}} must be shorter than or equal to {schema['maxLength']} characters"
        return name, message
    if rule == "minimum":
        return "min", f"{{p}} must not be less than {number(schema['minimum'])}"
    if rule == "maximum":
        return "max", f"{{p}} must not be greater than {number(schema['maximum'])}"
    if rule == "minItems":
        return "arrayMinSize", f"{{p}} must contain at least {schema['minItems']} elements"
    if rule == "maxItems":
        return "arrayMaxSize", f"{{p}} must contain no more than {schema['maxItems']} elements"
    if rule in ("anyOf", "oneOf", "not", "allOf"):
        return "isValid", "{p} is not valid"
    return None


def every_constraint(schema: dict) -> dict[str, str]:
    """What class-validator reports for a required property left out: every check it has fails."""
    found = []
    if "type" in schema:
        found.append(constraint("type", schema))
    if "format" in schema or "pattern" in schema:
        found.append(constraint("format", schema))
    if "enum" in schema:
        found.append(constraint("enum", schema))
    found.append(length(schema))
    if not any(found):
        found.append(("isDefined", "{p} should not be null or undefined"))
    return dict(f for f in found if f)


def leaf(property_name: str, target: Any, value: Any, constraints: dict[str, str], each: bool = False) -> dict:
    subject = f"each value in {property_name}" if each else property_name
    out: dict[str, Any] = {"target": target} if target is not ABSENT else {}
    if value is not ABSENT:
        out["value"] = value
    out.update({"property": property_name, "children": [],
                "constraints": {name: message.replace("{p}", subject) for name, message in constraints.items()}})
    return out


def nest(path: list[str], document: Any, make) -> dict:
    """class-validator's nesting: one error per level of `path`, the innermost made by `make(target,
    property)`; the target of each level is the object that holds the property."""
    target, name = document, path[0]
    value = child(target, name)
    if len(path) == 1:
        return make(target, name)
    return {"target": target, "value": value, "property": name, "children": [nest(path[1:], value, make)]}


def child(container: Any, key: str) -> Any:
    if isinstance(container, dict):
        return container.get(key, ABSENT)
    if isinstance(container, list) and key.isdigit() and int(key) < len(container):
        return container[int(key)]
    return ABSENT


def parts(pointer: str) -> list[str]:
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/") if p]


def parent_of(document: Any, path: list[str]) -> Any:
    for key in path:
        document = child(document, key)
    return document


def details(violation: Violation) -> list[dict]:
    """One violation as class-validator's ValidationErrors (a required or unknown property can name
    several)."""
    schema = violation.schema if isinstance(violation.schema, dict) else {}
    if violation.location != "body":  # path and query parameters are validated as a DTO of their own
        found = constraint(violation.rule, schema, violation.value)
        if found is None or violation.document is None:
            return [plain(violation)]
        name = violation.where.split("/")[0]
        return [leaf(name, {name: violation.document}, violation.document, dict([found]))]
    path, document = parts(violation.where), violation.document
    if document is None:  # raised by a handler, not by the schema
        return [plain(violation)]
    if violation.rule == "required":
        match = REQUIRED.search(violation.message)
        if not match:
            return [plain(violation)]
        name = match.group(1)
        rules = every_constraint((schema.get("properties") or {}).get(name, {}))
        return [wrap(path + [name], document, lambda t, p: leaf(p, t, ABSENT, rules))]
    if violation.rule == "additionalProperties":
        holder = parent_of(document, path)
        known = set(schema.get("properties") or {})
        extra = [k for k in (holder if isinstance(holder, dict) else {}) if k not in known]
        return [wrap(path + [k], document, lambda t, p: whitelist(p, t)) for k in extra]
    found = constraint(violation.rule, schema, violation.value)
    if found is None or not path:
        return [plain(violation)]
    holder = parent_of(document, path[:-1])
    if isinstance(holder, list) and not isinstance(violation.value, (dict, list)) and len(path) >= 2:
        # a value in an array of plain values: class-validator's `each` reports it on the array
        return [wrap(path[:-1], document, lambda t, p: leaf(p, t, child(t, p), dict([found]), each=True))]
    return [wrap(path, document, lambda t, p: leaf(p, t, child(t, p), dict([found])))]


def wrap(path: list[str], document: Any, make) -> dict:
    return nest(path, document, make) if path else make(document, "")


def whitelist(name: str, target: Any) -> dict:
    """An unknown property: class-validator's whitelist error, which has no `children`."""
    return {"target": target, "value": child(target, name), "property": name,
            "constraints": {"whitelistValidation": f"property {name} should not exist"}}


# A schema keyword -> a class-validator name, for violations that come without what was validated.
KEYWORDS = {
    "type": "isType", "required": "isDefined", "enum": "isEnum", "pattern": "matches",
    "minLength": "minLength", "maxLength": "maxLength", "minimum": "min", "maximum": "max",
    "format": "isFormat", "additionalProperties": "whitelistValidation", "minItems": "arrayMinSize",
    "maxItems": "arrayMaxSize", "anyOf": "isValid", "oneOf": "isValid",
}


def plain(violation: Violation) -> dict:
    """A violation the schema did not find (a handler's own check): its rule and message as given."""
    rule = KEYWORDS.get(violation.rule, violation.rule or "isValid")
    return {"property": violation.field, "children": [], "constraints": {rule: violation.message}}


# Every constraint name a schema violation can take (handlers' own checks use others: isJson ...).
SCHEMA_CONSTRAINTS = frozenset({name for name, _ in TYPES.values()} | {name for name, _ in FORMATS.values()} | {
    "matches", "isEnum", "isLength", "minLength", "maxLength", "min", "max", "arrayMinSize", "arrayMaxSize",
    "isValid", "isDefined", "whitelistValidation"})


def drop_absent(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {k: drop_absent(v) for k, v in detail.items() if v is not ABSENT}
    if isinstance(detail, list):
        return [drop_absent(v) for v in detail]
    return detail


def validation_details(violations: list[Violation]) -> list[dict]:
    return [drop_absent(d) for v in violations for d in details(v)]
