"""Validate documents against a spec's schemas the way response validation does."""

from __future__ import annotations

from functools import cache

from connexion.json_schema import Draft4ResponseValidator
from connexion.spec import Specification
from jsonschema import Draft4Validator

from conftest import OPENAPI


@cache
def spec(api: str) -> dict:
    return Specification.load(OPENAPI / f"{api}.yaml").spec


def schema_errors(api: str, component: str, document) -> list[str]:
    schema = spec(api)["components"]["schemas"][component]
    validator = Draft4ResponseValidator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]
