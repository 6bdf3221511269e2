"""Validators per dialect: OpenAPI 3.0 (nullable, readOnly / writeOnly by direction) and 3.1
(JSON Schema 2020-12); formats checked; patterns that cannot hang a worker."""

from __future__ import annotations

import time

import pytest

from understudy.spec import validator_for
from understudy.spec.patterns import TIME_BOUND

pytestmark = pytest.mark.once

DOC = {"components": {"schemas": {
    "Pet": {"type": "object", "required": ["id", "secret", "name"],
            "properties": {"id": {"type": "integer", "readOnly": True}, "secret": {"type": "string", "writeOnly": True},
                           "name": {"type": "string"}, "kids": {"type": "array", "items": {"$ref": "#/components/schemas/Pet"}}}},
}}}
PET = {"$ref": "#/components/schemas/Pet"}


def errors(schema, value, dialect="3.0", direction="response"):
    return [e.message for e in validator_for(schema, dialect=dialect, direction=direction, document=DOC).iter_errors(value)]


@pytest.mark.parametrize("schema, value, dialect, direction, ok", [
    # -- 3.0: nullable, readOnly / writeOnly
    ({"type": "string", "nullable": True}, None, "3.0", "response", True),
    ({"type": "string"}, None, "3.0", "response", False),
    ({"type": "string", "enum": ["a"], "nullable": True}, None, "3.0", "response", True),
    (PET, {"secret": "s", "name": "n"}, "3.0", "request", True),  # readOnly id not required in a request
    (PET, {"id": 1, "name": "n"}, "3.0", "response", True),  # writeOnly secret not required in a response
    (PET, {"id": 1, "name": "n", "secret": "s"}, "3.0", "response", False),  # and refused there
    (PET, {"id": 1, "name": "n", "kids": [{"id": "x", "name": "k"}]}, "3.0", "response", False),  # recursive ref
    # -- 3.1: JSON Schema 2020-12
    ({"type": ["string", "null"]}, None, "3.1", "response", True),
    ({"const": "x"}, "y", "3.1", "response", False),
    (PET, {"id": 1, "name": 2}, "3.1", "response", False),  # `#` refs resolve against the document
    ({"prefixItems": [{"type": "integer"}], "items": False}, [1, 2], "3.1", "response", False),
    ({"exclusiveMinimum": 5}, 5, "3.1", "response", False),
    # -- formats
    ({"type": "string", "format": "date"}, "2024-02-30", "3.0", "response", False),
    ({"type": "string", "format": "date-time"}, "2024-01-01T00:00:00Z", "3.0", "response", True),
    ({"type": "string", "format": "uuid"}, "nope", "3.1", "response", False),
    ({"type": "integer", "format": "int32"}, 2**31, "3.0", "response", False),
    ({"type": "integer", "format": "int64"}, 2**40, "3.0", "response", True),
    ({"type": "string", "format": "regex"}, "(unclosed", "3.1", "response", False),
    ({"type": "string", "format": "email"}, "nope", "3.0", "response", False),
    # -- patterns: ECMA-style, lookarounds through the fallback
    ({"type": "string", "pattern": "^[a-z]+$"}, "abc", "3.0", "response", True),
    ({"type": "string", "pattern": r"^\p{L}+$"}, "héllo", "3.0", "response", True),
    ({"type": "string", "pattern": "^(?=.*[0-9])[a-z0-9]+$"}, "abc", "3.1", "response", False),
    ({"type": "string", "pattern": "^(?=.*[0-9])[a-z0-9]+$"}, "abc1", "3.1", "response", True),
    ({"patternProperties": {"^x-": {"type": "integer"}}, "additionalProperties": False}, {"x-a": 1}, "3.1", "response", True),
    ({"patternProperties": {"^x-": {"type": "integer"}}, "additionalProperties": False}, {"y": 1}, "3.1", "response", False),
])
def test_validation(schema, value, dialect, direction, ok):
    assert (errors(schema, value, dialect, direction) == []) is ok


@pytest.mark.parametrize("pattern, text", [
    ("^(a+)+$", "a" * 5000 + "b"),  # catastrophic for a backtracking engine; linear on RE2
    ("^(a|a)*$", "a" * 5000 + "b"),
    ("^(?=a)(a|aa)+$", "a" * 40 + "b"),  # RE2 cannot run lookaheads: the time-bounded fallback
])
def test_patterns_cannot_hang(pattern, text):
    start = time.perf_counter()
    found = errors({"type": "string", "pattern": pattern}, text, "3.1")
    assert len(found) == 1 and time.perf_counter() - start < TIME_BOUND * 40
