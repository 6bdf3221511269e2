"""Generated behaviour: bodies always valid, credentials checked, resources inferred and kept,
answers negotiated, client errors in the documented form."""

from __future__ import annotations

import base64
import json
import random

import pytest
from starlette.testclient import TestClient

from conftest import TEST_CONFIG
from understudy.app import create_app
from understudy.errors import ApiError, Violation
from understudy.generated import Bodies, Credentials, GeneratedOperation, client_error, infer, negotiate, secret_names
from understudy.generated.handler import json_patch, merge_patch
from understudy.spec.load import from_text, load_spec
from understudy.stores import MemoryStore

pytestmark = pytest.mark.once

PETS = """openapi: 3.0.3
info: {title: Pets, version: '1'}
components:
  securitySchemes:
    basic: {type: http, scheme: basic}
    bearer: {type: http, scheme: bearer}
    key: {type: apiKey, in: header, name: Ocp-Apim-Subscription-Key}
    query: {type: apiKey, in: query, name: api_key}
    cookie: {type: apiKey, in: cookie, name: session}
    oauth: {type: oauth2, flows: {clientCredentials: {tokenUrl: 'https://a/t', scopes: {read: r, write: w}}}}
    oidc: {type: openIdConnect, openIdConnectUrl: 'https://a/.well-known'}
  schemas:
    Pet:
      type: object
      required: [id, name]
      properties:
        id: {type: integer, readOnly: true}
        name: {type: string, minLength: 1}
        tag: {type: string, nullable: true}
        created: {type: string, format: date-time, readOnly: true}
    Error:
      type: object
      required: [code, message]
      properties: {code: {type: integer}, message: {type: string}}
paths:
  /pets:
    get:
      parameters:
        - {name: limit, in: query, schema: {type: integer}}
        - {name: offset, in: query, schema: {type: integer}}
        - {name: tag, in: query, schema: {type: string}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                type: object
                required: [data, total]
                properties: {data: {type: array, items: {$ref: '#/components/schemas/Pet'}}, total: {type: integer}}
    post:
      requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/Pet'}}}}
      responses:
        '201': {description: created, content: {application/json: {schema: {$ref: '#/components/schemas/Pet'}}}}
        '422': {description: bad, content: {application/json: {schema: {$ref: '#/components/schemas/Error'}}}}
  /pets/{petId}:
    parameters: [{name: petId, in: path, required: true, schema: {type: integer}}]
    get:
      responses:
        '200':
          description: ok
          headers: {X-Rate-Limit: {schema: {type: integer, minimum: 10}}}
          content:
            application/json: {schema: {$ref: '#/components/schemas/Pet'}}
            application/xml: {schema: {$ref: '#/components/schemas/Pet'}}
        '404': {description: no such pet, content: {application/problem+json: {}}}
    patch:
      requestBody: {content: {application/merge-patch+json: {schema: {type: object}}}}
      responses: {'200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Pet'}}}}}
    delete:
      responses: {'204': {description: gone}}
  /ping:
    get:
      responses:
        '200':
          description: ok
          content:
            text/plain: {schema: {type: string}, example: pong}
            '*/*': {schema: {type: object, properties: {ok: {type: boolean}}}}
"""


@pytest.fixture(scope="module")
def spec():
    return from_text("pets.yaml", PETS)


@pytest.fixture(scope="module")
def bodies(spec):
    return Bodies(spec)


# -- bodies ---------------------------------------------------------------------------------
@pytest.mark.parametrize("dialect, schema", [
    ("3.0", {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{4}$"}),
    ("3.0", {"type": "string", "minLength": 20, "maxLength": 25}),
    ("3.0", {"type": "string", "format": "uuid"}),
    ("3.0", {"type": "integer", "minimum": 10, "maximum": 20, "multipleOf": 7}),
    ("3.0", {"type": "number", "minimum": 0, "maximum": 1, "exclusiveMaximum": True}),
    ("3.0", {"type": "integer", "format": "int32", "minimum": 2147483000}),
    ("3.0", {"type": "array", "minItems": 3, "uniqueItems": True, "items": {"type": "integer"}}),
    ("3.0", {"type": "array", "minItems": 2, "uniqueItems": True, "items": {"type": "string", "enum": ["a", "b"]}}),
    ("3.0", {"allOf": [{"$ref": "#/components/schemas/Pet"}, {"required": ["tag"]}]}),
    ("3.0", {"oneOf": [{"type": "object", "properties": {"a": {"type": "string"}}},
                       {"type": "object", "properties": {"b": {"type": "integer"}}}]}),
    ("3.0", {"anyOf": [{"type": "string", "maxLength": 2}, {"type": "integer"}]}),
    ("3.0", {"type": "object", "minProperties": 2, "additionalProperties": {"type": "boolean"}}),
    ("3.0", {"type": "string", "nullable": True, "enum": [None]}),
    ("3.0", {"not": {"type": "string"}}),
    ("3.1", {"type": ["null", "integer"], "exclusiveMinimum": 4}),
    ("3.1", {"const": {"a": 1}}),
    ("3.1", {"prefixItems": [{"type": "string"}, {"type": "boolean"}], "items": False}),
    ("3.1", {"type": "array", "contains": {"type": "integer", "minimum": 100}, "items": {"type": "integer"}}),
    ("3.1", {"type": "string", "examples": ["bad", "ok-1"], "pattern": "-"}),
])
def test_generated_values_validate(dialect, schema):
    spec = from_text("s.yaml", PETS.replace("openapi: 3.0.3", f"openapi: {dialect}.0"))
    made = Bodies(spec)
    for rng in (None, random.Random(1), random.Random(2)):
        value = made.value(schema, "response", rng)
        assert spec.validator(schema, "response").is_valid(value), value


@pytest.mark.parametrize("direction, absent", [("response", "secret"), ("request", "id")])
def test_read_and_write_only(direction, absent):
    spec = from_text("s.yaml", PETS)
    schema = {"type": "object", "required": ["id", "secret"], "properties": {
        "id": {"type": "integer", "readOnly": True}, "secret": {"type": "string", "writeOnly": True}}}
    assert absent not in Bodies(spec).value(schema, direction)


# -- credentials -------------------------------------------------------------------------------
@pytest.mark.parametrize("scheme, part, name", [
    ("basic", "headers", "Authorization"),
    ("bearer", "headers", "Authorization"),
    ("key", "headers", "Ocp-Apim-Subscription-Key"),
    ("query", "query", "api_key"),
    ("cookie", "cookies", "session"),
    ("oauth", "headers", "Authorization"),
    ("oidc", "headers", "Authorization"),
])
def test_each_scheme_has_a_demo_credential_that_its_verifier_accepts(spec, scheme, part, name):
    creds = Credentials(spec)
    entry = next(e for e in creds.listing() if e["scheme"] == scheme)
    value = entry[part][name]
    credential = _extracted(spec.document["components"]["securitySchemes"][scheme], value)
    assert creds.verifiers[scheme](credential)["scheme"] == scheme
    assert Credentials(spec).listing() == creds.listing()  # deterministic


def _extracted(scheme: dict, value: str):
    """What the engine's extraction hands a verifier."""
    if scheme.get("scheme") == "basic":
        user, _, password = base64.b64decode(value.split(" ", 1)[1]).decode().partition(":")
        return (user, password)
    if scheme["type"] in ("oauth2", "openIdConnect") or scheme.get("scheme") == "bearer":
        return value.split(" ", 1)[1]
    return value


@pytest.mark.parametrize("scheme, credential, kind", [
    ("basic", ("demo", "wrong"), "unauthorized"),
    ("bearer", "nope", "unauthorized"),
    ("key", "", "unauthorized"),
])
def test_wrong_credentials_are_refused(spec, scheme, credential, kind):
    with pytest.raises(ApiError) as caught:
        Credentials(spec).verifiers[scheme](credential)
    assert caught.value.kind == kind


def test_credentials_file_and_scopes(spec, tmp_path):
    path = tmp_path / "creds.yaml"
    path.write_text("oauth: {token: t-read, scopes: [read]}\nbasic: [{username: a, password: b}]\n")
    creds = Credentials(spec, path=path)
    assert creds.verifiers["oauth"]("t-read", scopes=["read"])["scopes"] == ["read"]
    with pytest.raises(ApiError) as caught:
        creds.verifiers["oauth"]("t-read", scopes=["write"])
    assert caught.value.kind == "forbidden"
    assert creds.verifiers["basic"](("a", "b"))["subject"] == "a"


@pytest.mark.parametrize("text, message", [
    ("nope: {token: x}\n", "'nope' is not a security scheme"),
    ("basic: {username: a}\n", "needs username and password"),
    ("- a\n", "maps security scheme names"),
])
def test_bad_credentials_files(spec, tmp_path, text, message):
    from understudy.spec import SpecError

    path = tmp_path / "creds.yaml"
    path.write_text(text)
    with pytest.raises(SpecError, match=message):
        Credentials(spec, path=path)


def test_any_credential_accepts_any_well_formed_one(spec):
    creds = Credentials(spec, any_credential=True)
    assert creds.verifiers["basic"](("who", "ever"))["subject"] == "who"
    with pytest.raises(ApiError):
        creds.verifiers["bearer"]("  ")


def test_secret_names(spec):
    assert secret_names(spec.document) == {"headers": {"authorization", "ocp-apim-subscription-key"},
                                           "query": {"api_key"}, "cookies": {"session"}}


# -- resources and answers --------------------------------------------------------------------
def test_inferred_resource(spec):
    resource = infer(spec, {}).resources[0]
    assert (resource.name, resource.id_param, resource.id_kind, resource.id_field, resource.list_wrap,
            resource.paging.start, resource.paging.size, resource.filters) == \
        ("pets", "petId", "integer", "id", "data", "offset", "limit", {"tag": "tag"})


@pytest.mark.parametrize("overrides, name, id_field", [
    ({"resources": {"animals": {"collection": "/pets", "item": "/pets/{petId}", "id": "name"}}}, "animals", "name"),
    ({"resources": {"pets": False}}, None, None),
])
def test_overrides(spec, overrides, name, id_field):
    found = infer(spec, overrides).resources
    assert [(r.name, r.id_field) for r in found] == ([(name, id_field)] if name else [])


@pytest.fixture
def world(spec, bodies):
    resources = infer(spec, {})
    store = MemoryStore({"pets": {}}).view("pets")

    def call(method, path, accept=None, **kwargs):
        return GeneratedOperation(spec, bodies, resources, method, path).answer(store=store, accept=accept, **kwargs)
    return call


def test_post_get_patch_list_delete(world, spec):
    created = world("post", "/pets", body={"name": "Rex", "tag": "dog"})
    pet = json.loads(created.body)
    assert (created.status, pet["id"], pet["name"]) == (201, 1, "Rex")
    assert spec.validator({"$ref": "#/components/schemas/Pet"}).is_valid(pet)
    read = world("get", "/pets/{petId}", path_params={"petId": 1})
    assert (read.status, json.loads(read.body)["name"], int(read.headers["X-Rate-Limit"]) >= 10) == (200, "Rex", True)
    patched = world("patch", "/pets/{petId}", path_params={"petId": 1}, body={"tag": None, "name": "Max"})
    assert json.loads(patched.body)["name"] == "Max" and "tag" not in json.loads(patched.body)
    world("post", "/pets", body={"name": "Tom", "tag": "cat"})
    listed = json.loads(world("get", "/pets", query={"tag": "cat"}).body)
    assert ([p["name"] for p in listed["data"]], listed["total"]) == (["Tom"], 1)
    paged = json.loads(world("get", "/pets", query={"limit": "1", "offset": "1"}).body)
    assert [p["name"] for p in paged["data"]] == ["Tom"]
    assert world("delete", "/pets/{petId}", path_params={"petId": 1}).status == 204
    with pytest.raises(ApiError) as gone:  # the engine answers it in the operation's form (client_error)
        world("get", "/pets/{petId}", path_params={"petId": 1})
    assert gone.value.kind == "not_found"


@pytest.mark.parametrize("accept, media_type, body", [
    (None, "text/plain", b"pong"),
    ("text/plain", "text/plain", b"pong"),
    ("application/json", "application/json", None),
    ("application/xml;q=0.5, */*;q=0.1", "application/json", None),  # */* documented: answered as JSON
])
def test_negotiated_answers(world, accept, media_type, body):
    answer = world("get", "/ping", accept=accept)
    assert answer.media_type == media_type and (body is None or answer.body == body)


def test_xml_and_406(world):
    world("post", "/pets", body={"name": "Rex"})
    assert world("get", "/pets/{petId}", accept="application/xml", path_params={"petId": 1}).body.startswith(b"<?xml")
    with pytest.raises(ApiError) as caught:
        world("get", "/pets/{petId}", accept="image/png", path_params={"petId": 1})
    assert caught.value.kind == "not_acceptable"


@pytest.mark.parametrize("accept, offered, chosen", [
    ("application/json", ["application/xml", "application/json"], "application/json"),
    ("text/*", ["application/json", "text/csv"], "text/csv"),
    ("text/html", ["text/*"], "text/*"),
    ("application/json;q=0, */*", ["application/json", "text/plain"], "text/plain"),
    ("image/png", ["application/json"], None),
])
def test_negotiate(accept, offered, chosen):
    assert negotiate(accept, offered) == chosen


@pytest.mark.parametrize("patch, result", [
    ({"a": None}, {"b": {"c": 1}}),
    ({"b": {"d": 2}}, {"a": 1, "b": {"c": 1, "d": 2}}),
])
def test_merge_patch(patch, result):
    assert merge_patch({"a": 1, "b": {"c": 1}}, patch) == result


@pytest.mark.parametrize("ops, result", [
    ([{"op": "replace", "path": "/a", "value": 2}], {"a": 2, "b": [1]}),
    ([{"op": "add", "path": "/b/-", "value": 2}], {"a": 1, "b": [1, 2]}),
    ([{"op": "move", "from": "/a", "path": "/c"}], {"b": [1], "c": 1}),
    ([{"op": "test", "path": "/a", "value": 9}], "unprocessable"),
    ([{"op": "remove", "path": "/zz"}], "unprocessable"),
])
def test_json_patch(ops, result):
    if result == "unprocessable":
        with pytest.raises(ApiError, match="cannot be applied"):
            json_patch({"a": 1, "b": [1]}, ops)
    else:
        assert json_patch({"a": 1, "b": [1]}, ops) == result


# -- client errors ------------------------------------------------------------------------------
@pytest.mark.parametrize("path, method, kind, status, media_type", [
    ("/pets", "post", "validation", 422, "application/json"),  # documented 422 with its schema
    ("/pets", "get", "validation", 400, "application/problem+json"),  # nothing documented
    ("/pets/{petId}", "get", "not_found", 404, "application/problem+json"),
])
def test_client_errors(spec, bodies, path, method, kind, status, media_type):
    operation = spec.document["paths"][path][method]
    error = ApiError(kind, "Request is not valid", [Violation("body", "/name", "too short")])
    got_status, got_type, payload = client_error(bodies, operation, error)
    body = json.loads(payload)
    assert (got_status, got_type) == (status, media_type)
    if media_type == "application/json":
        assert spec.validator({"$ref": "#/components/schemas/Error"}).is_valid(body)
        assert "body /name: too short" in body["message"]
    else:
        assert body["status"] == status and body["type"] == "about:blank"


# -- oneOf / anyOf with a discriminator -------------------------------------------------------------
# A request body is judged by the branch its discriminator value names, as servers that dispatch on
# it do (Jackson, pydantic's discriminated unions) and as Schemathesis reads it: another branch
# taking the body too, or instead, changes nothing. Where every branch can be named, a value that
# names none, or no value at all, is refused at the property; where some branch cannot be named,
# a body without a value that names one is judged by the plain oneOf (exactly one) / anyOf rule.
def _pet(required: list, **properties) -> dict:
    return {"allOf": [{"$ref": "#/components/schemas/Pet"},
                      {"type": "object", **({"required": required} if required else {}), "properties": properties}]}


BOOLEAN, INTEGER, BREED = {"type": "boolean"}, {"type": "integer"}, {"enum": ["Dingo", "Husky"]}
CAT, DOG = {"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}
ZOO_SCHEMAS = {
    "Pet": {"type": "object", "required": ["pet_type"], "properties": {"pet_type": {"type": "string"}}},
    "Cat": _pet(["hunts"], hunts=BOOLEAN, age=INTEGER),
    "Dog": _pet(["bark"], bark=BOOLEAN, breed=BREED),
    "Lizard": _pet(["lovesRocks"], lovesRocks=BOOLEAN),
    # @readme/oas-examples polymorphism.json: nothing but pet_type is required and extra properties
    # are allowed, so every natural body of one branch is a body of the other too
    "Tabby": _pet([], hunts=BOOLEAN, age=INTEGER),
    "Hound": _pet([], bark=BOOLEAN, breed=BREED),
}
ZOO_BODIES = {  # path: the schema of its PATCH body
    "/pets": {"oneOf": [CAT, DOG, {"$ref": "#/components/schemas/Lizard"}],
              "discriminator": {"propertyName": "pet_type", "mapping": {"lizard": "#/components/schemas/Lizard"}}},
    "/open": {"oneOf": [{"$ref": "#/components/schemas/Tabby"}, {"$ref": "#/components/schemas/Hound"}],
              "discriminator": {"propertyName": "pet_type"}},
    "/any": {"anyOf": [CAT, DOG],
             "discriminator": {"propertyName": "pet_type", "mapping": {"pet": "#/components/schemas/Pet"}}},
    "/pinned": {"oneOf": [CAT, {"type": "object", "required": ["pet_type"],
                                "properties": {"pet_type": {"enum": ["snake"]}, "venomous": BOOLEAN}}],
                "discriminator": {"propertyName": "pet_type"}},
    "/mixed": {"oneOf": [CAT, {"type": "object", "required": ["lovesRocks"], "properties": {"lovesRocks": BOOLEAN}}],
               "discriminator": {"propertyName": "pet_type"}},
    "/unnamed": {"oneOf": [{"type": "object", "required": ["hunts"], "properties": {"hunts": BOOLEAN}},
                           {"type": "object", "required": ["bark"], "properties": {"bark": BOOLEAN}}],
                 "discriminator": {"propertyName": "pet_type"}},
}


@pytest.fixture(scope="module", params=["3.0.3", "3.1.0"])
def zoo(request, tmp_path_factory):
    path = tmp_path_factory.mktemp("zoo") / "zoo.json"
    path.write_text(json.dumps({
        "openapi": request.param, "info": {"title": "Zoo", "version": "1"},
        "components": {"schemas": ZOO_SCHEMAS},
        "paths": {p: {"patch": {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}},
                                "responses": {"200": {"description": "changed"}}}} for p, schema in ZOO_BODIES.items()},
    }), encoding="utf-8")
    return path, TestClient(create_app({**TEST_CONFIG, "specs": [str(path)]}), raise_server_exceptions=False)


@pytest.mark.parametrize("path, body, status, pointers", [
    # -- the value names a branch: that branch alone judges the body
    ("/pets", {"pet_type": "Cat", "hunts": True}, 200, []),
    ("/pets", {"pet_type": "Dog", "bark": False, "breed": "Husky"}, 200, []),
    ("/pets", {"pet_type": "lizard", "lovesRocks": True}, 200, []),  # an explicit mapping
    ("/pets", {"pet_type": "Lizard", "lovesRocks": True}, 200, []),  # its component name names it too
    ("/pets", {"pet_type": "Cat", "hunts": True, "bark": True}, 200, []),  # Dog would take it too
    ("/pets", {"pet_type": "Dog", "hunts": True}, 400, [""]),  # only Cat takes it: Dog's `bark` is missing
    ("/pets", {"pet_type": "Cat", "hunts": "yes"}, 400, ["/hunts"]),
    ("/pets", {"pet_type": "Cat", "hunts": "yes", "age": "old"}, 400, ["/age", "/hunts"]),
    ("/pets", {"pet_type": "Dog", "bark": True, "breed": "Poodle"}, 400, ["/breed"]),
    # -- every branch can be named: a value that names none, or none at all, is refused at the property
    ("/pets", {"pet_type": "Cow", "hunts": True}, 400, ["/pet_type"]),
    ("/pets", {"pet_type": "Cow"}, 400, ["/pet_type"]),
    ("/pets", {"pet_type": "Pet", "hunts": True}, 400, ["/pet_type"]),  # a schema, but not one of the branches
    ("/pets", {"hunts": True}, 400, ["/pet_type"]),
    ("/pets", {"pet_type": 3, "hunts": True}, 400, ["/pet_type"]),
    ("/pets", ["Cat"], 400, [""]),  # not an object: no branch takes it
    # -- overlapping branches (polymorphism.json): every natural body would fit both
    ("/open", {"pet_type": "Tabby", "hunts": True, "age": 3}, 200, []),
    ("/open", {"pet_type": "Hound", "bark": True, "breed": "Dingo"}, 200, []),
    ("/open", {"pet_type": "Tabby", "age": "old", "bark": True}, 400, ["/age"]),  # only Hound takes it
    ("/open", {"pet_type": "Siamese", "hunts": True}, 400, ["/pet_type"]),
    ("/open", {"hunts": True}, 400, ["/pet_type"]),
    # -- anyOf: the same
    ("/any", {"pet_type": "Cat", "hunts": True, "bark": True}, 200, []),
    ("/any", {"pet_type": "Dog", "hunts": True}, 400, [""]),
    ("/any", {"pet_type": "Cow", "hunts": True}, 400, ["/pet_type"]),
    # -- a value the mapping sends to a schema that is no branch here: the plain rule
    ("/any", {"pet_type": "pet", "hunts": True}, 200, []),
    ("/any", {"pet_type": "pet"}, 400, [""]),
    # -- a branch named by the value it pins the property to
    ("/pinned", {"pet_type": "snake", "venomous": True}, 200, []),
    ("/pinned", {"pet_type": "snake", "venomous": "very"}, 400, ["/venomous"]),
    ("/pinned", {"pet_type": "Cat", "hunts": True}, 200, []),
    ("/pinned", {"pet_type": "Snake", "venomous": True}, 400, ["/pet_type"]),
    # -- a branch no value names: a value that names a branch still picks it; otherwise plain oneOf
    ("/mixed", {"pet_type": "Cat", "hunts": True}, 200, []),
    ("/mixed", {"pet_type": "Cat", "lovesRocks": True}, 400, [""]),  # Cat's `hunts` is missing
    ("/mixed", {"lovesRocks": True}, 200, []),  # exactly one branch takes it
    ("/mixed", {"pet_type": "Rock", "lovesRocks": True}, 200, []),
    ("/mixed", {"pet_type": "Rock", "lovesRocks": True, "hunts": True}, 400, [""]),  # two take it
    # -- no branch can be named: plain oneOf
    ("/unnamed", {"hunts": True}, 200, []),
    ("/unnamed", {"pet_type": "Cat", "bark": False}, 200, []),
    ("/unnamed", {"hunts": True, "bark": True}, 400, [""]),
    ("/unnamed", {}, 400, [""]),
])
def test_a_discriminated_body(zoo, path, body, status, pointers):
    response = zoo[1].patch(path, json=body)
    assert response.status_code == status, response.text
    if status == 400:
        assert response.headers["content-type"] == "application/problem+json"
        assert sorted(e["pointer"] for e in response.json()["errors"]) == pointers


@pytest.mark.parametrize("path, values", [
    ("/pets", {"Cat", "Dog", "lizard", "Lizard"}),
    ("/open", {"Tabby", "Hound"}),
    ("/any", {"Cat", "Dog"}),
    ("/pinned", {"Cat", "snake"}),
    ("/mixed", {"Cat", None}),
])
@pytest.mark.parametrize("seed", [None, 1, 2, 3])
def test_a_generated_body_is_accepted(zoo, path, values, seed):
    spec = load_spec(zoo[0])
    body = Bodies(spec).value(ZOO_BODIES[path], "request", random.Random(seed) if seed is not None else None)
    assert body.get("pet_type") in values
    assert zoo[1].patch(path, json=body).status_code == 200
