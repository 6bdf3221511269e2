"""Timbr's spec is valid, and every fixture validates against the schema of the response that
serves it (rows against their concept's property types, too)."""

from __future__ import annotations

import pytest
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

from conftest import FIXTURES, OPENAPI
from understudy.builtin.handlers.timbr import API as TIMBR
from timbr_support import API, key
from understudy.apiapp import load_spec
from understudy.config import build_config
from understudy.stores import load_fixtures

DATA = load_fixtures(FIXTURES / "timbr")
SCHEMAS = load_spec(TIMBR, build_config())["components"]["schemas"]
PROPERTY_TYPES = {"string": {"type": "string"}, "integer": {"type": "integer"}, "double": {"type": "number"},
                  "boolean": {"type": "boolean"}, "date": {"type": "string", "format": "date"},
                  "timestamp": {"type": "string", "format": "date-time"}}


def check(schema: dict, instance) -> None:
    OAS30Validator(schema, format_checker=OAS30Validator.FORMAT_CHECKER).validate(instance)


def ids(docs):
    return [str(d["id"]) for d in docs]


def test_spec_is_valid_openapi():
    spec, _ = read_from_filename(str(OPENAPI / "timbr.yaml"))
    validate(spec)


@pytest.mark.parametrize("user", DATA["users"], ids=ids(DATA["users"]))
def test_user_token_as_get_token_serves_it(user):
    check(SCHEMAS["TokenEnvelope"], {"data": [user["token"]], "status": "success"})


@pytest.mark.parametrize("ontology", DATA["ontologies"], ids=ids(DATA["ontologies"]))
def test_ontology_as_get_ontology_serves_it(client, ontology):
    response = client.post(f"{API}/get_ontology/{ontology['id']}", headers=key())
    check(SCHEMAS["OntologyEnvelope"], response.json())


CONCEPTS = [(o["id"], c) for o in DATA["ontologies"] for c in o["concepts"]]


@pytest.mark.parametrize("ontology, concept", CONCEPTS, ids=[f"{o}.{c['name']}" for o, c in CONCEPTS])
def test_concept_rows_have_their_property_types(ontology, concept):
    row_schema = {"type": "object", "additionalProperties": False, "properties": {
        p["name"]: {**PROPERTY_TYPES[p["type"]], "nullable": True} for p in concept["properties"]}}
    names = [p["name"] for p in concept["properties"]]
    for row in concept["rows"]:
        assert len(row) == len(names)
        check(row_schema, dict(zip(names, row)))
    keys = [row[names.index(concept["key"])] for row in concept["rows"]]
    assert len(set(keys)) == len(keys)


@pytest.mark.parametrize("ontology, concept", CONCEPTS, ids=[f"{o}.{c['name']}" for o, c in CONCEPTS])
def test_concept_rows_as_q_concept_serves_them(client, ontology, concept):
    response = client.get(f"{API}/q/{ontology}/concept/{concept['name']}", headers=key())
    check(SCHEMAS["RowsEnvelope"], response.json())
    assert len(response.json()["data"]) == len(concept["rows"])


def test_ontologies_hold_at_least_fifty_rows():
    assert sum(len(c["rows"]) for _, c in CONCEPTS) >= 50


RELATIONSHIPS = [(o, c, r) for o, c in CONCEPTS for r in c["relationships"]]


@pytest.mark.parametrize("ontology, concept, relationship", RELATIONSHIPS,
                         ids=[f"{c['name']}.{r['name']}" for _, c, r in RELATIONSHIPS])
def test_relationships_join_existing_properties(ontology, concept, relationship):
    concepts = {c["name"]: c for o, c in CONCEPTS if o == ontology}
    target = concepts[relationship["target"]]
    assert relationship["property"] in [p["name"] for p in concept["properties"]]
    assert relationship["target_property"] in [p["name"] for p in target["properties"]]


EXAMPLES = [(kb, e) for kb in DATA["knowledge_bases"] for e in kb["examples"]]


@pytest.mark.parametrize("kb, example", EXAMPLES, ids=[e["example_name"] for _, e in EXAMPLES])
def test_kb_example_as_kb_search_serves_it(kb, example):
    check(SCHEMAS["KbMatch"], {"knowledge_base": kb["id"], **example, "confidence": 1.0})
    assert set(kb["ontologies"]) <= {o["id"] for o in DATA["ontologies"]}


@pytest.mark.parametrize("conversation", DATA["conversations"], ids=ids(DATA["conversations"]))
def test_conversation_as_history_serves_it(conversation):
    check(SCHEMAS["HistoryEnvelope"], {"data": conversation["messages"], "status": "success", "truncated": False})
    assert conversation["username"] in {u["username"] for u in DATA["users"]}
    known = {m["message_id"] for m in conversation["messages"]}
    assert all(m["parent_query_id"] in known | {None} for m in conversation["messages"])


@pytest.mark.parametrize("prompt", DATA["llm_prompts"], ids=ids(DATA["llm_prompts"]))
def test_prompt_as_llm_prompts_serves_it(prompt):
    check(SCHEMAS["PromptEnvelope"], {"data": prompt["templates"], "status": "success"})


def test_some_user_may_impersonate_another_that_exists():
    names = {u["username"] for u in DATA["users"]}
    targets = [g["on"].removeprefix("user.") for u in DATA["users"] for g in u["grants"] if g["privilege"] == "AUTH"]
    assert targets and set(targets) <= names
