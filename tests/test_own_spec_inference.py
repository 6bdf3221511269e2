"""What `understudy serve ./openapi.yaml` infers from a spec's paths, as a client sees it: resources
(collection/item pairs, nested ones, ids by the id parameter's type), envelopes, paging and
filters, the `x-understudy` and `understudy.yaml` overrides, and the starting state from the
spec's examples or `--fixtures`."""

from __future__ import annotations

import json
import re
import uuid
from urllib.parse import urlencode

import pytest
from starlette.testclient import TestClient

from conftest import TEST_CONFIG
from understudy.app import create_app
from understudy.generated import infer
from understudy.spec import load_spec

pytestmark = pytest.mark.once

SHOP = """openapi: 3.0.3
info: {title: Shop, version: '1'}
components:
  schemas:
    Pet:
      type: object
      required: [name]
      properties:
        id: {type: integer, readOnly: true}
        name: {type: string}
        tag: {type: string}
    Order:
      type: object
      properties: {id: {type: string, format: uuid, readOnly: true}, qty: {type: integer}}
    Tag:
      type: object
      required: [slug]
      properties: {slug: {type: string, pattern: '^[a-z]+$'}, color: {type: string}}
    Ticket:
      type: object
      properties: {code: {type: string, readOnly: true}, title: {type: string}}
    Box:
      type: object
      properties: {id: {type: integer, readOnly: true}, size: {type: string}}
    Note:
      type: object
      properties: {key: {type: string}, text: {type: string}}
    Problem: {type: object}
  responses:
    NotFound: {description: not found, content: {application/problem+json: {schema: {$ref: '#/components/schemas/Problem'}}}}
paths:
  /pets:
    get:
      parameters:
        - {name: limit, in: query, schema: {type: integer}}
        - {name: offset, in: query, schema: {type: integer}}
        - {name: tag, in: query, schema: {type: string}}
      responses:
        '200':
          description: a page of pets
          content:
            application/json:
              schema:
                type: object
                required: [data, total]
                properties: {data: {type: array, items: {$ref: '#/components/schemas/Pet'}}, total: {type: integer}}
              example: {data: [{id: 100, name: Seed, tag: example}], total: 1}
    post:
      requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/Pet'}}}}
      responses: {'201': {description: made, content: {application/json: {schema: {$ref: '#/components/schemas/Pet'}}}}}
  /pets/{petId}:
    parameters: [{name: petId, in: path, required: true, schema: {type: integer}}]
    get:
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Pet'}}}}
        '404': {$ref: '#/components/responses/NotFound'}
    put:
      requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/Pet'}}}}
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Pet'}}}}
        '404': {$ref: '#/components/responses/NotFound'}
    patch:
      requestBody: {content: {application/merge-patch+json: {schema: {type: object}}}}
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Pet'}}}}
        '404': {$ref: '#/components/responses/NotFound'}
    delete:
      responses: {'204': {description: gone}, '404': {$ref: '#/components/responses/NotFound'}}
  /pets/{petId}/photos:
    get:
      parameters: [{name: petId, in: path, required: true, schema: {type: integer}}]
      responses:
        '200': {description: ok, content: {application/json: {schema: {type: array, items: {type: string}}, example: [a.png]}}}
        '404': {$ref: '#/components/responses/NotFound'}
  /owners/{ownerId}/pets:
    parameters: [{name: ownerId, in: path, required: true, schema: {type: integer}}]
    get:
      responses:
        '200': {description: ok, content: {application/json: {schema: {type: array, items: {$ref: '#/components/schemas/Pet'}}}}}
    post:
      requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/Pet'}}}}
      responses: {'201': {description: made, content: {application/json: {schema: {$ref: '#/components/schemas/Pet'}}}}}
  /owners/{ownerId}/pets/{petId}:
    parameters:
      - {name: ownerId, in: path, required: true, schema: {type: integer}}
      - {name: petId, in: path, required: true, schema: {type: integer}}
    get:
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Pet'}}}}
        '404': {$ref: '#/components/responses/NotFound'}
  /orders:
    post:
      requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/Order'}}}}
      responses: {'201': {description: made, content: {application/json: {schema: {$ref: '#/components/schemas/Order'}}}}}
  /orders/{orderId}:
    get:
      parameters: [{name: orderId, in: path, required: true, schema: {type: string, format: uuid}}]
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Order'}}}}
        '404': {$ref: '#/components/responses/NotFound'}
  /tags:
    post:
      requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/Tag'}}}}
      responses: {'201': {description: made, content: {application/json: {schema: {$ref: '#/components/schemas/Tag'}}}}}
  /tags/{slug}:
    get:
      parameters: [{name: slug, in: path, required: true, schema: {type: string, pattern: '^[a-z]+$'}}]
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Tag'}}}}
        '404': {$ref: '#/components/responses/NotFound'}
  /tickets:
    post:
      requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/Ticket'}}}}
      responses: {'201': {description: made, content: {application/json: {schema: {$ref: '#/components/schemas/Ticket'}}}}}
  /tickets/{code}:
    get:
      parameters: [{name: code, in: path, required: true, schema: {type: string, pattern: '^TK[0-9]{4}$'}}]
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Ticket'}}}}
        '404': {$ref: '#/components/responses/NotFound'}
  /boxes:
    get:
      parameters:
        - {name: page, in: query, schema: {type: integer, minimum: 1}}
        - {name: per_page, in: query, schema: {type: integer}}
        - {name: size, in: query, schema: {type: string}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {type: object, properties: {items: {type: array, items: {$ref: '#/components/schemas/Box'}}}}
    post:
      requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/Box'}}}}
      responses:
        '201':
          description: made
          content:
            application/json:
              schema: {type: object, required: [data], properties: {data: {$ref: '#/components/schemas/Box'}}}
  /boxes/{boxId}:
    get:
      parameters: [{name: boxId, in: path, required: true, schema: {type: integer}}]
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {type: object, required: [data], properties: {data: {$ref: '#/components/schemas/Box'}}}
        '404': {$ref: '#/components/responses/NotFound'}
  /notes:
    x-understudy: {resource: memos, id: key}
    post:
      requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/Note'}}}}
      responses: {'201': {description: made, content: {application/json: {schema: {$ref: '#/components/schemas/Note'}}}}}
  /notes/{noteKey}:
    get:
      parameters: [{name: noteKey, in: path, required: true, schema: {type: string}}]
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Note'}}}}
        '404': {$ref: '#/components/responses/NotFound'}
  /audit:
    post:
      responses:
        '201': {description: made, content: {application/json: {schema: {type: object, properties: {id: {type: integer}}}}}}
  /audit/{id}:
    get:
      parameters: [{name: id, in: path, required: true, schema: {type: integer}}]
      responses:
        '200':
          description: ok
          content: {application/json: {schema: {type: object, properties: {id: {type: integer}}}, example: {id: 42}}}
  /docs:
    post:
      requestBody: {content: {application/json: {schema: {type: object, properties: {title: {type: string}}}}}}
      responses:
        '201':
          description: made
          content: {application/json: {schema: {type: object, properties: {id: {type: integer}, title: {type: string}}}}}
  /docs/{id}:
    get:
      parameters: [{name: id, in: path, required: true, schema: {type: integer}}]
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {type: object, properties: {id: {type: integer}, title: {type: string}}}
              example: {id: 7, title: From the example}
"""
OVERRIDES = "resources:\n  audit: false\n"


@pytest.fixture(scope="module")
def shop_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("shop")
    (folder / "openapi.yaml").write_text(SHOP, encoding="utf-8")
    (folder / "understudy.yaml").write_text(OVERRIDES, encoding="utf-8")
    return folder / "openapi.yaml"


def client_for(path, **config) -> TestClient:
    return TestClient(create_app({**TEST_CONFIG, "specs": [str(path)], **config}),
                      raise_server_exceptions=False)


@pytest.fixture(scope="module")
def shop_app(shop_file):
    return create_app({**TEST_CONFIG, "specs": [str(shop_file)]})


@pytest.fixture
def shop(shop_app):
    shop_app.reset()
    with TestClient(shop_app, raise_server_exceptions=False) as client:
        yield client


# -- what is inferred --------------------------------------------------------------------------
@pytest.mark.parametrize("name, collection, item, id_kind, id_field, list_wrap, item_wrap, paging, filters", [
    ("pets", "/pets", "/pets/{petId}", "integer", "id", "data", None, ("offset", "offset", "limit"), {"tag": "tag"}),
    ("owners-pets", "/owners/{ownerId}/pets", "/owners/{ownerId}/pets/{petId}", "integer", "id", None, None, None, {}),
    ("orders", "/orders", "/orders/{orderId}", "uuid", "id", None, None, None, {}),
    ("tags", "/tags", "/tags/{slug}", "string", "slug", None, None, None, {}),
    ("tickets", "/tickets", "/tickets/{code}", "string", "code", None, None, None, {}),
    ("boxes", "/boxes", "/boxes/{boxId}", "integer", "id", "items", "data", ("page", "page", "per_page"), {"size": "size"}),
    ("memos", "/notes", "/notes/{noteKey}", "string", "key", None, None, None, {}),  # x-understudy
    ("docs", "/docs", "/docs/{id}", "integer", "id", None, None, None, {}),
])
def test_inferred_resources(shop_file, name, collection, item, id_kind, id_field, list_wrap, item_wrap, paging, filters):
    found = {r.name: r for r in infer(load_spec(shop_file)).resources}
    resource = found[name]
    assert (resource.collection, resource.item, resource.id_kind, resource.id_field, resource.list_wrap,
            resource.item_wrap, (resource.paging.style, resource.paging.start, resource.paging.size)
            if resource.paging else None, resource.filters) == \
        (collection, item, id_kind, id_field, list_wrap, item_wrap, paging, filters)


def test_understudy_yaml_leaves_a_pair_alone(shop_file):
    assert "audit" not in {r.name for r in infer(load_spec(shop_file)).resources}


# -- ids by kind -------------------------------------------------------------------------------
@pytest.mark.parametrize("collection, body, item, id_field, shape", [
    ("/pets", {"name": "Rex"}, "/pets/{}", "id", r"101"),  # integer sequence, after the example's 100
    ("/orders", {"qty": 2}, "/orders/{}", "id", "uuid"),
    ("/tags", {"slug": "blue", "color": "navy"}, "/tags/{}", "slug", r"blue"),  # the client's own string id
    ("/tickets", {"title": "Broken"}, "/tickets/{}", "code", r"TK[0-9]{4}"),  # one the id's pattern admits
])
def test_a_post_is_read_back_by_its_id(shop, collection, body, item, id_field, shape):
    created = shop.post(collection, json=body)
    assert created.status_code == 201
    key = created.json()[id_field]
    if shape == "uuid":
        uuid.UUID(key)
    else:
        assert re.fullmatch(shape, str(key))
    read = shop.get(item.format(key))
    assert (read.status_code, read.json()) == (200, created.json())


def test_put_replaces_patch_merges_delete_removes(shop):
    pet = shop.post("/pets", json={"name": "Rex", "tag": "dog"}).json()
    replaced = shop.put(f"/pets/{pet['id']}", json={"name": "Max"})
    assert (replaced.status_code, replaced.json()) == (200, {"id": pet["id"], "name": "Max"})
    patched = shop.patch(f"/pets/{pet['id']}", json={"tag": "cat"}, headers={"Content-Type": "application/merge-patch+json"})
    assert patched.json() == {"id": pet["id"], "name": "Max", "tag": "cat"}
    assert shop.get(f"/pets/{pet['id']}").json() == patched.json()
    assert shop.delete(f"/pets/{pet['id']}").status_code == 204
    gone = shop.get(f"/pets/{pet['id']}")
    assert (gone.status_code, gone.headers["content-type"], gone.json()["status"]) == (404, "application/problem+json", 404)


def test_what_lies_below_a_deleted_item_is_gone_too(shop):
    pet = shop.post("/pets", json={"name": "Rex"}).json()
    assert shop.get(f"/pets/{pet['id']}/photos").status_code == 200
    shop.delete(f"/pets/{pet['id']}")
    assert shop.get(f"/pets/{pet['id']}/photos").status_code == 404


@pytest.mark.parametrize("path", [
    "/pets/999",  # documents its 404 as problem+json
    "/docs/999",  # documents no 404: still one (the spec's gap, not the client's)
])
def test_an_unknown_id(shop, path):
    response = shop.get(path)
    assert (response.status_code, response.headers["content-type"], response.json()["status"]) == (
        404, "application/problem+json", 404)


# -- nested resources --------------------------------------------------------------------------
def test_a_nested_resource_belongs_to_its_parent(shop):
    created = shop.post("/owners/7/pets", json={"name": "Rex"}).json()
    assert shop.get(f"/owners/7/pets/{created['id']}").status_code == 200
    assert shop.get(f"/owners/8/pets/{created['id']}").status_code == 404
    assert [p["name"] for p in shop.get("/owners/7/pets").json()] == ["Rex"]
    assert shop.get("/owners/8/pets").json() == []


# -- envelopes, paging and filters -------------------------------------------------------------
def test_item_envelope(shop):
    created = shop.post("/boxes", json={"size": "L"})
    assert created.json() == {"data": {"id": 1, "size": "L"}}
    assert shop.get("/boxes/1").json() == {"data": {"id": 1, "size": "L"}}


@pytest.mark.parametrize("query, names, total", [
    ("", ["Seed", "a", "b", "c"], 4),  # the spec's example is the starting state
    ("?limit=2", ["Seed", "a"], 4),
    ("?limit=2&offset=2", ["b", "c"], 4),
    ("?tag=odd", ["a", "c"], 2),
    ("?tag=odd&limit=1&offset=1", ["c"], 2),
])
def test_offset_paging_and_filters_in_an_envelope(shop, query, names, total):
    for name, tag in (("a", "odd"), ("b", "even"), ("c", "odd")):
        shop.post("/pets", json={"name": name, "tag": tag})
    listed = shop.get("/pets" + query).json()
    assert ([p["name"] for p in listed["data"]], listed["total"]) == (names, total)


@pytest.mark.parametrize("query, sizes", [
    ("?per_page=2", ["S", "M"]),
    ("?page=2&per_page=2", ["L"]),
    ("?size=M", ["M"]),
])
def test_page_paging_and_filters(shop, query, sizes):
    for size in ("S", "M", "L"):
        shop.post("/boxes", json={"size": size})
    assert [b["size"] for b in shop.get("/boxes" + query).json()["items"]] == sizes


# -- overrides and the starting state ----------------------------------------------------------
def test_an_x_understudy_resource_takes_its_id_from_the_named_field(shop):
    created = shop.post("/notes", json={"key": "groceries", "text": "milk"})
    assert created.json()["key"] == "groceries"
    assert shop.get("/notes/groceries").json() == {"key": "groceries", "text": "milk"}


def test_a_pair_left_alone_answers_its_example(shop):
    assert shop.post("/audit").status_code == 201
    assert shop.get("/audit/1").json() == {"id": 42}


def test_the_starting_state_from_fixtures(shop_file, tmp_path):
    (tmp_path / "memos.json").write_text(json.dumps([{"key": "seeded", "text": "from a fixture"}]))
    (tmp_path / "pets.json").write_text(json.dumps([{"id": 5, "name": "Fixture"}]))
    with client_for(shop_file, fixtures=str(tmp_path)) as client:
        assert client.get("/notes/seeded").json() == {"key": "seeded", "text": "from a fixture"}
        assert [p["name"] for p in client.get("/pets").json()["data"]] == ["Fixture"]  # not the example
        assert client.post("/pets", json={"name": "Next"}).json()["id"] == 6


def test_reset_brings_back_the_starting_state(shop):
    shop.post("/pets", json={"name": "Temp"})
    assert shop.post("/__understudy/reset").status_code == 200
    assert [p["name"] for p in shop.get("/pets").json()["data"]] == ["Seed"]


def test_sessions_keep_their_own_state(shop):
    shop.post("/pets", json={"name": "Mine"}, headers={"X-Understudy-Session": "a"})
    assert [p["name"] for p in shop.get("/pets", headers={"X-Understudy-Session": "a"}).json()["data"]] == ["Seed", "Mine"]
    assert [p["name"] for p in shop.get("/pets").json()["data"]] == ["Seed"]


# -- form bodies -------------------------------------------------------------------------------
FORMS = """openapi: 3.0.3
info: {title: Forms, version: '1'}
components:
  schemas:
    Options:  # Kubernetes' DeleteOptions, trimmed
      type: object
      properties:
        gracePeriodSeconds: {type: integer}
        dryRun: {type: array, items: {type: string}}
        orphanDependents: {type: boolean}
        preconditions: {type: object, properties: {uid: {type: string}}}
    Counts:
      type: object
      properties: {total: {type: integer}}
      patternProperties: {'^flag_': {type: boolean}}
      additionalProperties: {type: integer}
    Closed:
      type: object
      properties: {total: {type: integer}}
      additionalProperties: false
paths:
  /rolebindings:
    delete:  # Kubernetes documents every body as */*: a client may send a form
      requestBody: {content: {'*/*': {schema: {$ref: '#/components/schemas/Options'}}}}
      responses: {'204': {description: deleted}}
  /counts:
    post:
      requestBody:
        content:
          multipart/form-data: {schema: {$ref: '#/components/schemas/Counts'}}
          application/x-www-form-urlencoded: {schema: {$ref: '#/components/schemas/Counts'}}
      responses: {'204': {description: counted}}
  /closed:
    post:
      requestBody:
        content:
          multipart/*: {schema: {$ref: '#/components/schemas/Closed'}}
          application/x-www-form-urlencoded: {schema: {$ref: '#/components/schemas/Closed'}}
      responses: {'204': {description: kept}}
"""
ODD = "\U000cdac6\U0005aeeb\u00b1\u00b8\u00e1U"  # part names Schemathesis sent (Kubernetes, seed 7)
NEL = ":W\u00bf\u00b0h@B\x85"
MULTIPART = "multipart/form-data"
URLENCODED = "application/x-www-form-urlencoded"


@pytest.fixture(scope="module")
def forms(tmp_path_factory):
    path = tmp_path_factory.mktemp("forms") / "openapi.yaml"
    path.write_text(FORMS, encoding="utf-8")
    with client_for(path) as client:
        yield client


def form(media_type: str, fields: list[tuple[str, str]]) -> dict:
    """A request's content and Content-Type for `fields`, part names sent as they are (UTF-8)."""
    if media_type == URLENCODED:
        return {"content": urlencode(fields).encode(), "headers": {"Content-Type": URLENCODED}}
    parts = b"".join(b"--BOUNDARY\r\nContent-Disposition: form-data; name=\"" + name.encode() + b"\"\r\n\r\n"
                     + value.encode() + b"\r\n" for name, value in fields)
    return {"content": parts + b"--BOUNDARY--\r\n", "headers": {"Content-Type": f"{media_type}; boundary=BOUNDARY"}}


SENT_BY_SCHEMATHESIS = [(ODD, "[false, -781164761982, null]"), (NEL, '{"\\u00a9": {"": true}}'), ("preconditions", "{}"),
                        ("dryRun", "KC\x04\u00d4"), ("dryRun", "\U000efecc"), ("gracePeriodSeconds", "8892")]


@pytest.mark.parametrize("method, path, media_type, fields, status, errors", [
    # a form sent where the spec documents */*: each field typed by the property it names
    pytest.param("delete", "/rolebindings", MULTIPART, SENT_BY_SCHEMATHESIS, 204, [], id="*/* multipart, odd names"),
    pytest.param("delete", "/rolebindings", URLENCODED, SENT_BY_SCHEMATHESIS, 204, [], id="*/* urlencoded, odd names"),
    pytest.param("delete", "/rolebindings", MULTIPART, [("gracePeriodSeconds", "30"), ("orphanDependents", "true")], 204, [],
                 id="*/* multipart"),
    pytest.param("delete", "/rolebindings", MULTIPART, [(NEL, "x"), ("gracePeriodSeconds", "soon"), ("orphanDependents", "no")],
                 400, [("/gracePeriodSeconds", "'soon' is not of type 'integer'"),
                       ("/orphanDependents", "'no' is not of type 'boolean'")], id="*/* every wrong field listed"),
    # brackets read as a path only where the schema can hold one
    pytest.param("delete", "/rolebindings", MULTIPART, [("gracePeriodSeconds", "8892"), ("gracePeriodSeconds[x]", "1")], 204, [],
                 id="a[x] beside an integer a"),
    pytest.param("delete", "/rolebindings", URLENCODED, [("preconditions[uid]", "u-1"), ("dryRun[]", "All"), ("dryRun[]", "x")],
                 204, [], id="a[b] and a[] paths"),
    # a field the schema does not declare: typed as patternProperties / additionalProperties say
    pytest.param("post", "/counts", MULTIPART, [("total", "3"), (ODD, "-781164761982"), (NEL + "[0]", "7"), ("flag_on", "true"),
                                                ("a%0D%0Ab", "1")], 204, [], id="additionalProperties, patternProperties"),
    pytest.param("post", "/counts", URLENCODED, [("\rfQW\x01\u00f3", "5"), ("\x7f\x81", "6"), ("", "-31295705"),
                                                 ("999999999999999999999999999999", "1933")], 204, [], id="control characters"),
    pytest.param("post", "/counts", MULTIPART, [("total", "3"), (NEL, "x"), ("flag_on", "7")], 400,
                 [(f"/{NEL}", "'x' is not of type 'integer'"), ("/flag_on", "'7' is not of type 'boolean'")],
                 id="additionalProperties refuses"),
    pytest.param("post", "/closed", MULTIPART, [("total", "3"), (NEL + "[b]", "2")], 400,
                 [("", f"Additional properties are not allowed ({NEL + '[b]'!r} was unexpected)")],
                 id="multipart/*, additionalProperties false"),
    pytest.param("post", "/closed", MULTIPART, [("total", "3")], 204, [], id="multipart/*"),
])
def test_form_fields_are_typed_by_the_property_they_name(forms, method, path, media_type, fields, status, errors):
    response = forms.request(method.upper(), path, **form(media_type, fields))
    assert response.status_code == status, response.text
    found = response.json()["errors"] if status == 400 else []
    assert [(e["in"], e["pointer"], e["detail"]) for e in found] == [("body", *error) for error in errors]
