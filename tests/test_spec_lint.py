"""Real-world mistakes, each listed once with its file and JSON pointer."""

from __future__ import annotations

import pytest

from understudy.spec import lint
from understudy.spec.load import from_text

pytestmark = pytest.mark.once

BASE = """openapi: 3.0.3
info: {title: T, version: '1'}
"""


def mistakes(text: str) -> list[tuple[str, str]]:
    return [(m.pointer, m.rule) for m in lint(from_text("api.yaml", BASE + text))]


@pytest.mark.parametrize("text, expected", [
    # -- clean
    ("paths:\n  /pets/{id}:\n    get:\n      parameters: [{name: id, in: path, required: true, schema: {type: string}}]\n"
     "      responses: {'200': {description: ok}}\n", []),
    # -- server variables
    ("servers: [{url: 'https://{region}.example.com',\n"
     "            variables: {region: {default: xx, enum: [eu, us]}}}]\npaths: {}\n",
     [("/servers/0/variables/region/default", "server-variable")]),
    ("servers: [{url: 'https://{region}.example.com'}]\npaths: {}\n", [("/servers/0/url", "server-variable")]),
    # -- examples that do not match their schema
    ("paths:\n  /a:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n"
     "            application/json: {schema: {type: integer}, example: abc}\n",
     [("/paths/~1a/get/responses/200/content/application~1json/example", "example")]),
    ("paths:\n  /a:\n    get:\n      parameters: [{name: q, in: query, schema: {type: integer}, example: x}]\n"
     "      responses: {'200': {description: ok}}\n", [("/paths/~1a/get/parameters/0/example", "example")]),
    ("components:\n  schemas:\n    N: {type: integer, minimum: 5, example: 1, default: 2}\npaths: {}\n",
     [("/components/schemas/N/example", "example"), ("/components/schemas/N/default", "default")]),
    # -- refs that resolve nowhere
    ("paths:\n  /a:\n    get:\n      responses: {'200': {$ref: '#/components/responses/Nope'}}\n",
     [("/paths/~1a/get/responses/200/$ref", "ref")]),
    # -- operationIds, path parameters, routes, security
    ("paths:\n  /a:\n    get: {operationId: x, responses: {'200': {description: ok}}}\n"
     "  /b:\n    get: {operationId: x, responses: {'200': {description: ok}}}\n",
     [("/paths/~1b/get/operationId", "operation-id")]),
    ("paths:\n  /a/{id}:\n    get: {responses: {'200': {description: ok}}}\n", [("/paths/~1a~1{id}/get", "path-parameter")]),
    ("paths:\n  /a:\n    get:\n      parameters: [{name: id, in: path, required: true, schema: {type: string}}]\n"
     "      responses: {'200': {description: ok}}\n", [("/paths/~1a/get", "path-parameter")]),
    ("paths:\n  /a/{x}:\n    parameters: [{name: x, in: path, required: true, schema: {type: string}}]\n"
     "    get: {responses: {'200': {description: ok}}}\n  /a/{y}:\n"
     "    parameters: [{name: y, in: path, required: true, schema: {type: string}}]\n"
     "    get: {responses: {'200': {description: ok}}}\n", [("/paths/~1a~1{y}/get", "route")]),
    ("security: [{nope: []}]\npaths: {}\n", [("/security/0/nope", "security")]),
    ("paths:\n  /pet:\n    post: {responses: {'405': {description: Invalid input}}}\n",
     [("/paths/~1pet/post/responses", "no-success")]),
    # -- schemas
    ("components:\n  schemas:\n    P: {type: string, pattern: '(unclosed'}\npaths: {}\n",
     [("/components/schemas/P/pattern", "pattern")]),
    ("components:\n  schemas:\n    P: {properties: {type: {type: string}}, type: {oops: 1}}\npaths: {}\n",
     [("/components/schemas/P/type", "schema")]),
])
def test_mistakes(text, expected):
    assert mistakes(text) == expected


def test_a_mistake_is_listed_once_with_its_file():
    text = ("components:\n  schemas:\n    N: {type: integer, example: x}\npaths:\n  /a:\n    get:\n      responses:\n"
            "        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/N'}}}}\n")
    found = lint(from_text("api.yaml", BASE + text))
    assert [(m.file, m.pointer) for m in found] == [("api.yaml", "/components/schemas/N/example")]
    assert str(found[0]).startswith("api.yaml#/components/schemas/N/example: example does not match its schema")


def test_an_example_in_a_data_value_is_not_a_ref():
    text = ("paths:\n  /a:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n"
            "            application/json: {schema: {type: object}, example: {$ref: '#/nowhere'}}\n")
    assert mistakes(text) == []
