"""Every bad-spec case of `understudy serve SPEC`: what the command prints and its exit code (one
line naming the file, line and column, exit 2, never a traceback), and what is served anyway
(mistakes listed once at start, refused by --strict; templates never rendered; patterns that
cannot hang; `#` and `?` templates reached percent-encoded)."""

from __future__ import annotations

import json
import time

import pytest
from starlette.testclient import TestClient

from conftest import TEST_CONFIG
from understudy.app import create_app
from understudy.cli import main

pytestmark = pytest.mark.once

GOOD = """openapi: 3.0.3
info: {title: Notes, version: '1'}
paths:
  /notes:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {type: array, items: {type: object, properties: {id: {type: integer}}}}
              example: [{id: 1}]
"""
PETS = """openapi: 3.0.3
info: {title: Pets, version: '1'}
paths:
  /pets:
    post:
      requestBody: {content: {application/json: {schema: {type: object}}}}
      responses: {'201': {description: made, content: {application/json: {schema: {type: object}}}}}
  /pets/{id}:
    get:
      parameters: [{name: id, in: path, required: true, schema: {type: integer}}]
      responses: {'200': {description: ok, content: {application/json: {schema: {type: object}}}}}
"""
BAD_EXAMPLE = GOOD.replace("example: [{id: 1}]", "example: [{id: one}]")
BAD_SERVER = GOOD.replace("paths:", "servers: [{url: 'https://{region}.example.com',\n"
                                    "            variables: {region: {default: xx, enum: [eu, us]}}}]\npaths:")
REMOTE_REF = GOOD.replace("{type: array, items: {type: object, properties: {id: {type: integer}}}}",
                          "{$ref: 'https://example.com/schemas.yaml#/Notes'}")
BOMB = ("a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
        "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
        "g: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n")


@pytest.fixture
def serve(tmp_path, monkeypatch, capsys):
    """`understudy serve ARGS` in process, with the server itself left out: (exit code, output)."""
    import uvicorn

    monkeypatch.setattr(uvicorn.Server, "run", lambda self, *args, **kwargs: None)
    monkeypatch.chdir(tmp_path)

    def run(files: dict[str, str], *args: str) -> tuple[int, str]:
        for name, text in files.items():
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name).write_text(text, encoding="utf-8")
        code = main(["serve", *args, "--workers", "1", "--port", "0"])  # any free port: tests run at once
        captured = capsys.readouterr()
        return code, captured.out + captured.err
    return run


@pytest.mark.parametrize("files, args, code, line", [
    # -- not YAML or JSON: file, line and column
    ({"api.yaml": "openapi: 3.0.3\ninfo: [unclosed\n"}, ["api.yaml"], 2, "understudy: api.yaml:3:1: is not YAML"),
    ({"api.json": '{"openapi": "3.0.3",\n "info": [}'}, ["api.json"], 2, "understudy: api.json:2:11: is not JSON"),
    ({"api.yaml": ""}, ["api.yaml"], 2, "understudy: api.yaml:1:1: is empty"),
    ({}, ["missing.yaml"], 2, "understudy: missing.yaml:1:1: no such file"),
    # -- not OpenAPI
    ({"api.yaml": "title: x\n"}, ["api.yaml"], 2,
     "understudy: api.yaml:1:1: is not an OpenAPI document: it has no `openapi` or `swagger` field"),
    ({"api.yaml": "- a\n"}, ["api.yaml"], 2, "understudy: api.yaml:1:1: is not an OpenAPI document: its top level"),
    ({"api.yaml": "info: {}\nopenapi: 4.0.0\n"}, ["api.yaml"], 2,
     "understudy: api.yaml:2:1: openapi: 4.0.0 is not a version understudy serves"),
    ({"notes": "x"}, ["."], 2, "understudy: .:1:1: is a folder with no OpenAPI or Swagger file in it"),
    # -- untrusted data: bounded, never fetched unless allowed
    ({"api.yaml": BOMB}, ["api.yaml"], 2, "refused as an alias bomb"),
    ({"api.yaml": "a: " + "[" * 300 + "]" * 300 + "\n"}, ["api.yaml"], 2, "nested deeper than 256 levels"),
    ({"api.yaml": REMOTE_REF}, ["api.yaml"], 2,
     "remote $ref 'https://example.com/schemas.yaml#/Notes' at /paths/~1notes/get/responses/200/content/"
     "application~1json/schema is not followed (allow remote refs to follow it)"),
    # -- options that name a bad file or folder
    ({"api.yaml": GOOD, "creds.yaml": "nope: {token: x}\n"}, ["api.yaml", "--credentials", "creds.yaml"], 2,
     "understudy: creds.yaml:1:1: 'nope' is not a security scheme of the spec (it has none)"),
    ({"api.yaml": GOOD}, ["api.yaml", "--handlers", "nowhere"], 2, "nowhere: not a folder"),
    ({"api.yaml": GOOD, "fixtures/notes.json": "{"}, ["api.yaml", "--fixtures", "fixtures"], 0,
     "understudy serving 1 API(s)"),  # no resource named notes: the file is not read
    ({"api.yaml": PETS, "fixtures/pets.json": "[{\"id\": 1},\n {"}, ["api.yaml", "--fixtures", "fixtures"], 2,
     "understudy: fixtures/pets.json:2:3: is not JSON: Expecting property name enclosed in double quotes"),
    ({"api.yaml": PETS, "fixtures/pets.json": "{}"}, ["api.yaml", "--fixtures", "fixtures"], 2,
     "understudy: fixtures/pets.json:1:1: a fixture file holds a list of documents"),
    ({"api.yaml": PETS}, ["api.yaml", "--fixtures", "nowhere"], 2, "understudy: --fixtures nowhere: not a folder"),
    # -- small mistakes: served, each listed once with file and pointer; --strict refuses them
    ({"api.yaml": BAD_EXAMPLE}, ["api.yaml"], 0,
     "api.yaml#/paths/~1notes/get/responses/200/content/application~1json/example: example does not match its "
     "schema: /0/id: 'one' is not of type 'integer'"),
    ({"api.yaml": BAD_EXAMPLE}, ["api.yaml", "--strict"], 2, "understudy: refusing the spec (--strict):"),
    ({"api.yaml": BAD_SERVER}, ["api.yaml"], 0,
     "api.yaml#/servers/0/variables/region/default: server variable region: default 'xx' is not in its enum"),
    ({"api.yaml": GOOD}, ["api.yaml", "--strict"], 0, "understudy serving 1 API(s)"),
])
def test_serve_a_bad_spec(serve, files, args, code, line):
    got, output = serve(files, *args)
    assert (got, line in output, "Traceback" in output) == (code, True, False), output


def test_a_mistake_is_listed_once(serve):
    _, output = serve({"api.yaml": BAD_EXAMPLE}, "api.yaml")
    assert output.count("example does not match its schema") == 1


# -- what is served anyway ---------------------------------------------------------------------
SERVED = """openapi: 3.0.3
info: {title: 'Odd {{ 7 * 7 }}', version: '1', description: '{% for x in y %}{{ x }}{% endfor %}'}
paths:
  /words/{word}:
    get:
      description: 'Returns {{ word }} as {%raw%}given{%endraw%}'
      parameters:
        - {name: word, in: path, required: true, schema: {type: string, pattern: '^(a+)+$'}}
      responses:
        '200': {description: ok, content: {application/json: {schema: {type: string}, example: fine}}}
  /look/{word}:
    get:
      parameters:
        - {name: word, in: path, required: true, schema: {type: string, pattern: '^(?=a)(a|aa)+$'}}
      responses:
        '200': {description: ok, content: {application/json: {schema: {type: string}, example: fine}}}
  /#X-Amz-Target=Notes.List:
    post:
      responses:
        '200': {description: ok, content: {application/json: {schema: {type: string}, example: listed}}}
  /{Bucket}?list-type=2:
    get:
      parameters:
        - {name: Bucket, in: path, required: true, schema: {type: string}}
      responses:
        '200': {description: ok, content: {application/json: {schema: {type: string}, example: objects}}}
"""


@pytest.fixture(scope="module")
def odd(tmp_path_factory):
    path = tmp_path_factory.mktemp("odd") / "odd.yaml"
    path.write_text(SERVED, encoding="utf-8")
    with TestClient(create_app({**TEST_CONFIG, "specs": [str(path)]}),
                    raise_server_exceptions=False) as client:
        yield client


def test_templates_in_descriptions_are_served_as_text(odd):
    served = odd.get("/openapi.json").json()
    assert (served["info"]["title"], served["info"]["description"],
            served["paths"]["/words/{word}"]["get"]["description"]) == (
        "Odd {{ 7 * 7 }}", "{% for x in y %}{{ x }}{% endfor %}", "Returns {{ word }} as {%raw%}given{%endraw%}")


@pytest.mark.parametrize("path, status, detail", [
    ("/words/aaaa", 200, None),
    # a pattern that backtracks exponentially elsewhere: RE2 answers at once
    ("/words/" + "a" * 5000 + "!", 400, "does not match"),
    # a lookahead RE2 cannot run: the `regex` engine under a time bound
    ("/look/aaa", 200, None),
    ("/look/" + "a" * 5000 + "!", 400, None),
])
def test_a_pattern_cannot_hang_the_server(odd, path, status, detail):
    started = time.perf_counter()
    response = odd.get(path)
    assert (response.status_code, time.perf_counter() - started < 5) == (status, True)
    if detail:
        assert detail in json.dumps(response.json())


@pytest.mark.parametrize("method, path, status, body", [
    ("POST", "/%23X-Amz-Target=Notes.List", 200, "listed"),
    ("GET", "/my-bucket%3Flist-type=2", 200, "objects"),
    ("GET", "/my-bucket?list-type=2", 200, "objects"),  # as a real client sends it: path, then query
    ("GET", "/my-bucket?list-type=3", 404, None),  # the template fixes list-type=2
    ("POST", "/", 404, None),  # ... and the fragment: sent as the X-Amz-Target header
])
def test_templates_with_hash_and_question_mark_route_percent_encoded(odd, method, path, status, body):
    response = odd.request(method, path)
    assert response.status_code == status
    if body:
        assert response.json() == body


@pytest.mark.parametrize("headers, status, body", [
    ({"X-Amz-Target": "Notes.List"}, 200, "listed"),
    ({"X-Amz-Target": "Notes.Other"}, 404, None),
])
def test_the_fragment_as_a_header(odd, headers, status, body):
    response = odd.post("/", headers=headers)
    assert response.status_code == status
    if body:
        assert response.json() == body
