"""Loading specs: files, folders, URLs, bounded YAML, refs across files, Swagger 2.0 conversion,
3.1 dialect, one-line errors with file, line and column."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from understudy.spec import SpecError, client_path, load_spec, load_specs, split_template

pytestmark = pytest.mark.once

MINIMAL = "openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths: {}\n"


def write(tmp_path, name, text):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("text, version, dialect", [
    (MINIMAL, "3.0.3", "3.0"),
    ("openapi: 3.1.0\ninfo: {title: T, version: '1'}\n", "3.1.0", "3.1"),
    ('{"swagger": "2.0", "info": {"title": "T", "version": "1"}, "paths": {}}', "2.0", "3.0"),
    ('{"openapi": "3.0.0", "info": {"title": "T", "version": "1"}, "paths": {}}', "3.0.0", "3.0"),
])
def test_versions_and_dialects(tmp_path, text, version, dialect):
    spec = load_spec(write(tmp_path, "api.yaml", text))
    assert (spec.version, spec.dialect, spec.document["openapi"][:3]) == (version, dialect, "3.1" if dialect == "3.1" else "3.0")


@pytest.mark.parametrize("text, expected", [
    # -- not YAML / JSON: line and column of the problem
    ("openapi: 3.0.3\ninfo: [unclosed\n", r"api.yaml:3:1: is not YAML"),
    ('{"openapi": "3.0.3",\n "info": [}', r"api.yaml:2:11: is not JSON"),
    ("", "api.yaml:1:1: is empty"),
    # -- not OpenAPI
    ("- a\n- b\n", "is not an OpenAPI document: its top level is a list"),
    ("title: x\n", "has no `openapi` or `swagger` field"),
    ("info: {}\nopenapi: 4.0.0\n", r"api.yaml:2:1: openapi: 4.0.0 is not a version"),
    ("swagger: '1.2'\n", "swagger: 1.2 is not a version"),
    # -- bounds
    ("a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
     "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
     "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
     "g: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n", "refused as an alias bomb"),
    ("a: " + "[" * 300 + "]" * 300 + "\n", "nested deeper than 256 levels"),
    ('{"a": ' + "[" * 300 + "]" * 300 + "}", "nested deeper than 256 levels"),
])
def test_bad_files_are_one_line(tmp_path, text, expected):
    with pytest.raises(SpecError) as caught:
        load_spec(write(tmp_path, "api.yaml", text))
    message = str(caught.value)
    assert "\n" not in message and expected in message.replace(str(tmp_path) + "/", "")


def test_missing_file(tmp_path):
    with pytest.raises(SpecError, match="no such file"):
        load_spec(tmp_path / "nope.yaml")


@pytest.mark.parametrize("description", ["{{ 7 * 7 }}", "{% for x in y %}{{ x }}{% endfor %}", "{# note #}"])
def test_never_rendered_as_a_template(tmp_path, description):
    text = MINIMAL.replace("title: T", f"title: T, description: {json.dumps(description)}")
    assert load_spec(write(tmp_path, "api.yaml", text)).document["info"]["description"] == description


@pytest.mark.parametrize("yaml_value, loaded", [
    ("14:00", "14:00"),  # YAML 1.1 sexagesimal stays text
    ("0123", "0123"),  # old octal stays text
    ("2024-01-01", "2024-01-01"),  # dates stay text
    ("12", 12),
    ("1.5", 1.5),
    ("true", True),
])
def test_yaml_scalars_stay_as_written(tmp_path, yaml_value, loaded):
    text = MINIMAL + f"x-value: {yaml_value}\n"
    assert load_spec(write(tmp_path, "api.yaml", text)).document["x-value"] == loaded


def test_integer_status_keys_become_strings(tmp_path):
    text = MINIMAL.replace("paths: {}", "paths:\n  /a:\n    get:\n      responses:\n        200: {description: ok}")
    assert list(load_spec(write(tmp_path, "api.yaml", text)).document["paths"]["/a"]["get"]["responses"]) == ["200"]


def test_relative_refs_are_bundled(tmp_path):
    write(tmp_path, "schemas/pet.yaml", "Pet:\n  type: object\n  properties:\n    owner: {$ref: '#/Owner'}\n"
          "Owner:\n  type: object\n  properties: {name: {type: string}}\n")
    write(tmp_path, "paths/pets.yaml", "get:\n  responses:\n    '200':\n      description: ok\n      content:\n"
          "        application/json:\n          schema: {$ref: '../schemas/pet.yaml#/Pet'}\n")
    root = write(tmp_path, "api.yaml", MINIMAL.replace("paths: {}", "paths:\n  /pets: {$ref: 'paths/pets.yaml'}"))
    spec = load_spec(root)
    schema = spec.document["paths"]["/pets"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/Pet"}
    assert spec.document["components"]["schemas"]["Pet"]["properties"]["owner"] == {"$ref": "#/components/schemas/Owner"}
    assert spec.where("/components/schemas/Owner/properties")[0].endswith("schemas/pet.yaml")


@pytest.mark.parametrize("ref, expected", [
    ("missing.yaml#/Pet", "no such file (the $ref 'missing.yaml#/Pet'"),
    ("other.yaml#/Nothing", "has nothing at #/Nothing"),
    ("https://example.com/pet.yaml#/Pet", "remote $ref 'https://example.com/pet.yaml#/Pet' at"),
])
def test_refs_that_cannot_be_followed(tmp_path, ref, expected):
    write(tmp_path, "other.yaml", "Pet: {type: object}\n")
    text = MINIMAL + f"components:\n  schemas:\n    Pet: {{$ref: '{ref}'}}\n"
    with pytest.raises(SpecError) as caught:
        load_spec(write(tmp_path, "api.yaml", text))
    assert expected in str(caught.value) and "\n" not in str(caught.value)


@pytest.fixture
def spec_server():
    """A server on 127.0.0.1 serving two documents: a spec and a schema it refers to."""
    files = {
        "/api.yaml": MINIMAL + "components:\n  schemas:\n    Pet: {$ref: 'pet.yaml#/Pet'}\n",
        "/pet.yaml": "Pet: {type: object, properties: {name: {type: string}}}\n",
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = files.get(self.path)
            self.send_response(200 if body else 404)
            self.end_headers()
            self.wfile.write((body or "").encode())

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_url_is_fetched_with_its_relative_refs(spec_server):
    spec = load_spec(spec_server + "/api.yaml")
    assert spec.document["components"]["schemas"]["Pet_2"]["properties"] == {"name": {"type": "string"}}
    assert spec.name == "api"


def test_a_url_that_answers_404(spec_server):
    with pytest.raises(SpecError, match="answered HTTP 404"):
        load_spec(spec_server + "/nope.yaml")


def test_remote_refs_need_the_flag(tmp_path, spec_server):
    text = MINIMAL + f"components:\n  schemas:\n    Pet: {{$ref: '{spec_server}/pet.yaml#/Pet'}}\n"
    path = write(tmp_path, "api.yaml", text)
    with pytest.raises(SpecError, match="remote \\$ref"):
        load_spec(path)
    assert load_spec(path, allow_remote_refs=True).document["components"]["schemas"]["Pet"] == \
        {"$ref": "#/components/schemas/Pet_2"}


def test_a_folder_gives_each_spec_and_skips_parts(tmp_path):
    write(tmp_path, "pets.yaml", MINIMAL)
    write(tmp_path, "store.json", json.dumps({"openapi": "3.1.0", "info": {"title": "S", "version": "1"}}))
    write(tmp_path, "components.yaml", "Pet: {type: object}\n")
    assert [s.name for s in load_specs([tmp_path])] == ["pets", "store"]


@pytest.mark.parametrize("template, sent", [
    ("/#X-Amz-Target=AmazonSSM.ListDocuments", "/%23X-Amz-Target=AmazonSSM.ListDocuments"),
    ("/{Bucket}?list-type=2", "/{Bucket}%3Flist-type=2"),
    ("/pets/{petId}", "/pets/{petId}"),
    ("/a b/{id}", "/a%20b/{id}"),
])
def test_client_path(template, sent):
    assert client_path(template) == sent


@pytest.mark.parametrize("template, parts", [
    ("/#X-Amz-Target=A.B", ("/", {}, "X-Amz-Target=A.B")),
    ("/{Bucket}?list-type=2", ("/{Bucket}", {"list-type": "2"}, "")),
    ("/{Key}?uploads", ("/{Key}", {"uploads": ""}, "")),
    ("/pets", ("/pets", {}, "")),
])
def test_split_template(template, parts):
    assert split_template(template) == parts
