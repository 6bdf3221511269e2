"""Every spec is valid OpenAPI 3 and every operation resolves to a handler."""

import re

import pytest
import yaml
from openapi_spec_validator import validate

from conftest import OPENAPI
from understudy.api import discover, load_api
from conftest import BUILTIN

pytestmark = pytest.mark.once

APIS = discover(BUILTIN)
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def operations(api):
    spec = yaml.safe_load((OPENAPI / f"{api}.yaml").read_text())
    return [(path, method, op) for path, item in spec["paths"].items()
            for method, op in item.items() if method in METHODS]


@pytest.mark.parametrize("api", APIS)
def test_spec_is_valid_openapi(api):
    validate(yaml.safe_load((OPENAPI / f"{api}.yaml").read_text()))


@pytest.mark.parametrize("api", APIS)
def test_every_operation_has_an_operation_id_that_resolves(api):
    from connexion.utils import get_function_from_name

    missing = []
    for path, method, op in operations(api):
        try:
            assert callable(get_function_from_name(f"understudy.builtin.handlers.{api}.{op.get('operationId')}"))
        except (ImportError, AttributeError, ValueError, AssertionError):
            missing.append(f"{method.upper()} {path}: {op.get('operationId')}")
    assert missing == []


@pytest.mark.parametrize("api", APIS)
def test_every_operation_documents_its_auth_failures(api):
    spec = yaml.safe_load((OPENAPI / f"{api}.yaml").read_text())
    undocumented = [f"{m.upper()} {p}" for p, m, op in operations(api)
                    if op.get("security", spec.get("security")) and "401" not in op["responses"]]
    assert undocumented == []


def template(path: str) -> re.Pattern:
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")


def literal_segments(path: str) -> int:
    return sum("{" not in segment for segment in path.split("/"))


@pytest.mark.parametrize("api", APIS)
def test_an_id_that_names_a_sibling_route_is_a_documented_405(api):
    """`PATCH /components/all` belongs to the route `/components/all`, which has no PATCH: the
    server answers 405, so `PATCH /components/{component_id}` documents it."""
    paths = {path: {m for m in item if m in METHODS} for path, item in
             yaml.safe_load((OPENAPI / f"{api}.yaml").read_text())["paths"].items()}
    responses = {(p, m): op["responses"] for p, m, op in operations(api)}
    undocumented = sorted({f"{m.upper()} {p}" for p, methods in paths.items() if "{" in p
                           for q, others in paths.items() if q != p and template(p).match(q)
                           and literal_segments(q) > literal_segments(p)
                           for m in methods - others if "405" not in responses[(p, m)]})
    assert undocumented == []


@pytest.mark.parametrize("api", APIS)
def test_api_definition_matches_its_spec(api):
    definition = load_api(api)
    spec = yaml.safe_load((OPENAPI / definition.spec).read_text())
    assert set(spec.get("components", {}).get("securitySchemes", {})) <= set(definition.verifiers)
