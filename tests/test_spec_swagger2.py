"""Swagger 2.0 becomes OpenAPI 3.0."""

from __future__ import annotations

import pytest

from understudy.spec.load import from_text
from understudy.spec.walk import pointer_get

pytestmark = pytest.mark.once

SWAGGER = """swagger: '2.0'
info: {title: Pets, version: '1'}
host: api.example.com
basePath: /v1
schemes: [https, http]
consumes: [application/json]
produces: [application/json]
x-root: kept
securityDefinitions:
  basic: {type: basic}
  key: {type: apiKey, name: X-Key, in: header}
  implicit: {type: oauth2, flow: implicit, authorizationUrl: 'https://a/auth', scopes: {read: r}}
  password: {type: oauth2, flow: password, tokenUrl: 'https://a/token', scopes: {}}
  app: {type: oauth2, flow: application, tokenUrl: 'https://a/token', scopes: {}}
  code: {type: oauth2, flow: accessCode, authorizationUrl: 'https://a/auth', tokenUrl: 'https://a/token', scopes: {}}
parameters:
  limit: {name: limit, in: query, type: integer, x-param: kept}
  body: {name: pet, in: body, required: true, schema: {$ref: '#/definitions/Pet'}}
responses:
  NotFound: {description: not found, schema: {$ref: '#/definitions/Error'}}
definitions:
  Pet: {type: object, properties: {id: {type: integer}, tag: {type: string, x-nullable: true}, photo: {type: file}}}
  Error: {type: object, discriminator: kind, properties: {kind: {type: string}}}
paths:
  /pets:
    get:
      operationId: list
      parameters:
        - $ref: '#/parameters/limit'
        - {name: tags, in: query, type: array, items: {type: string}, collectionFormat: multi}
        - {name: ids, in: query, type: array, items: {type: integer}}
        - {name: X-Trace, in: header, type: array, items: {type: string}, collectionFormat: csv}
      responses:
        '200': {description: ok, schema: {type: array, items: {$ref: '#/definitions/Pet'}},
                examples: {application/json: [{id: 1}]}, headers: {X-Rate: {type: integer}}}
        '404': {$ref: '#/responses/NotFound'}
    post:
      parameters: [{$ref: '#/parameters/body'}]
      responses: {'201': {description: created}}
  /pets/{id}/photo:
    parameters: [{name: id, in: path, type: integer, required: true}]
    post:
      consumes: [multipart/form-data]
      parameters:
        - {name: file, in: formData, type: file, required: true}
        - {name: note, in: formData, type: string}
      responses: {'200': {description: ok}}
"""


@pytest.fixture(scope="module")
def doc():
    return from_text("swagger.yaml", SWAGGER).document


@pytest.mark.parametrize("pointer, expected", [
    ("openapi", "3.0.3"),
    ("servers", [{"url": "https://api.example.com/v1"}, {"url": "http://api.example.com/v1"}]),
    ("x-root", "kept"),
    ("components/securitySchemes/basic", {"type": "http", "scheme": "basic"}),
    ("components/securitySchemes/key", {"type": "apiKey", "name": "X-Key", "in": "header"}),
    ("components/securitySchemes/implicit/flows", {"implicit": {"authorizationUrl": "https://a/auth", "scopes": {"read": "r"}}}),
    ("components/securitySchemes/password/flows", {"password": {"tokenUrl": "https://a/token", "scopes": {}}}),
    ("components/securitySchemes/app/flows", {"clientCredentials": {"tokenUrl": "https://a/token", "scopes": {}}}),
    ("components/securitySchemes/code/flows/authorizationCode/tokenUrl", "https://a/token"),
    ("components/parameters/limit", {"name": "limit", "in": "query", "x-param": "kept", "schema": {"type": "integer"}}),
    ("components/schemas/Pet/properties/tag", {"type": "string", "nullable": True}),
    ("components/schemas/Pet/properties/photo", {"type": "string", "format": "binary"}),
    ("components/schemas/Error/discriminator", {"propertyName": "kind"}),
    ("components/responses/NotFound/content/application~1json/schema", {"$ref": "#/components/schemas/Error"}),
    ("paths/~1pets/get/parameters/0", {"$ref": "#/components/parameters/limit"}),
    ("paths/~1pets/get/parameters/1/style", "form"),
    ("paths/~1pets/get/parameters/1/explode", True),
    ("paths/~1pets/get/parameters/2/explode", False),
    ("paths/~1pets/get/parameters/3/style", "simple"),
    ("paths/~1pets/get/responses/200/content/application~1json/example", [{"id": 1}]),
    ("paths/~1pets/get/responses/200/headers/X-Rate/schema", {"type": "integer"}),
    ("paths/~1pets/get/responses/404", {"$ref": "#/components/responses/NotFound"}),
    ("paths/~1pets/post/requestBody/content/application~1json/schema", {"$ref": "#/components/schemas/Pet"}),
    ("paths/~1pets/post/requestBody/required", True),
    ("paths/~1pets/post/x-codegen-request-body-name", "pet"),
    ("paths/~1pets~1{id}~1photo/post/parameters/0/schema", {"type": "integer"}),
    ("paths/~1pets~1{id}~1photo/post/requestBody/content/multipart~1form-data/schema",
     {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}, "note": {"type": "string"}},
      "required": ["file"]}),
])
def test_converted(doc, pointer, expected):
    assert pointer_get(doc, "/" + pointer) == expected


@pytest.mark.parametrize("swagger, servers", [
    ("swagger: '2.0'\ninfo: {title: T, version: '1'}\npaths: {}\n", [{"url": "/"}]),
    ("swagger: '2.0'\ninfo: {title: T, version: '1'}\nbasePath: /api\npaths: {}\n", [{"url": "/api"}]),
    ("swagger: '2.0'\ninfo: {title: T, version: '1'}\nhost: h.example\npaths: {}\n", [{"url": "https://h.example"}]),
])
def test_servers(swagger, servers):
    assert from_text("s.yaml", swagger).document["servers"] == servers
