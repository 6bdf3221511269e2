"""Timbr's other calls: ontologies, config, cache, the connector's raw-SQL route and its async
mode, the assistant routes, trailing slashes, and errors in Timbr's envelope."""

from __future__ import annotations

import pytest

from timbr_support import ADMIN, ANALYST, API, BASE, MARKETER, SEGMENTS, SUPPLY, key

RAW = {"Content-Type": "application/text"}


def raw_query(client, sql, ontology=SUPPLY, user=ADMIN, query="", **headers):
    return client.post(f"{BASE}/openapi/ontology/{ontology}/query{query}", content=sql.encode(),
                       headers={**RAW, **key(user), **headers})


# -- ontologies ----------------------------------------------------------------------------------
def test_get_ontology_describes_concepts_relationships_and_views(client):
    data = client.post(f"{API}/get_ontology/{SUPPLY}", headers=key()).json()["data"]
    customer = next(c for c in data["concepts"] if c["concept"] == "customer")
    assert [c["concept"] for c in data["concepts"]] == ["supplier", "product", "customer", "purchase"]
    assert customer["relationships"] == [{"relationship": "has_purchase", "target_concept": "purchase",
                                          "property": "customer_id", "target_property": "customer_id"}]
    assert data["views"][0] == {"view": "customer_revenue",
                                "description": "Purchases and revenue per customer, cancelled purchases excluded.",
                                "columns": ["customer_id", "name", "country", "purchases", "revenue"]}


@pytest.mark.parametrize("path", ["/create_ontology/", "/create_ontology"])
def test_create_ontology(client, path):
    response = client.post(API + path, json={"ontology_name": "timbr_inventory"}, headers=key())
    assert response.json() == {"data": "Ontology timbr_inventory created", "status": "success"}
    assert "timbr_inventory" in client.get(f"{API}/get_ontologies/", headers=key()).json()["data"]
    assert client.post(f"{API}/get_ontology/timbr_inventory", headers=key()).json()["data"]["concepts"] == []


def test_create_ontology_twice_conflicts(client):
    response = client.post(f"{API}/create_ontology/", json={"ontology_name": SUPPLY}, headers=key())
    assert response.status_code == 409
    assert response.json() == {"data": f"Ontology {SUPPLY} already exists", "status": "error"}


def test_reset_forgets_a_created_ontology(app, client):
    client.post(f"{API}/create_ontology/", json={"ontology_name": "timbr_inventory"}, headers=key())
    app.reset()
    assert client.get(f"{API}/get_ontologies/", headers=key()).json()["data"] == [SUPPLY, SEGMENTS]


# -- service -------------------------------------------------------------------------------------
def test_get_config_answers_a_whitelisted_setting(client):
    assert client.post(f"{API}/get_config/THRIFT_PORT", headers=key()).json() == {"data": "11000", "status": "success"}


def test_get_config_reads_the_environment_for_other_whitelisted_names(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "ALLOWED_CONFIG_ENVS_IN_API", "THRIFT_HOST,TIMBR_REGION")
    monkeypatch.setenv("TIMBR_REGION", "eu-west-1")
    assert client.post(f"{API}/get_config/TIMBR_REGION", headers=key()).json()["data"] == "eu-west-1"


def test_get_config_of_an_unset_name_is_not_found(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "ALLOWED_CONFIG_ENVS_IN_API", "UNDERSTUDY_TIMBR_UNSET")
    monkeypatch.delenv("UNDERSTUDY_TIMBR_UNSET", raising=False)
    assert client.post(f"{API}/get_config/UNDERSTUDY_TIMBR_UNSET", headers=key()).status_code == 404


def cached(ontology):
    from understudy.builtin.handlers.timbr import sqlengine

    return [db for (_, name), db in sqlengine._cache.items() if name == ontology][-1]


def test_clear_cache_rebuilds_the_ontology_database(client):
    client.post(f"{API}/query/", json={"ontology_name": SUPPLY, "query": "SELECT 1"}, headers=key())
    before = cached(SUPPLY)
    response = client.post(f"{API}/clear_cache/{SUPPLY}", headers=key())
    assert response.json() == {"data": f"Cache cleared for ontology {SUPPLY}", "status": "success"}
    client.post(f"{API}/query/", json={"ontology_name": SUPPLY, "query": "SELECT 1"}, headers=key())
    assert cached(SUPPLY) is not before


# -- the connector's route -------------------------------------------------------------------------
def test_raw_sql_answers_a_bare_array(client):
    response = raw_query(client, "SELECT name FROM dtimbr.customer WHERE customer_id <= 2 ORDER BY 1")
    assert (response.status_code, response.json()) == (200, [{"name": "Globex Manufacturing"},
                                                             {"name": "Initech Systems"}])


def test_raw_sql_takes_the_nested_header(client):
    response = raw_query(client, "SELECT entity_id, `in_segment[segment].name` FROM dtimbr.person WHERE person_id = 1",
                         SEGMENTS, nested="true")
    assert response.json() == [{"entity_id": "p:1", "in_segment[segment]": [{"name": "Power Users"}]}]


RAW_ERRORS = [
    pytest.param("DELETE FROM customer", "", RAW, 400, "Only SELECT statements", id="not a select"),
    pytest.param("SELECT 1", "?datasource=supply_chain_dwh", RAW, 200, None, id="known datasource"),
    pytest.param("SELECT 1", "?datasource=elsewhere", RAW, 404, "Datasource elsewhere", id="unknown datasource"),
    pytest.param("SELECT 1", "", {"Content-Type": "application/json"}, 415, "send application/text",
                 id="JSON content type"),
    pytest.param("", "", RAW, 400, "request body is required", id="no SQL"),
]


@pytest.mark.parametrize("sql, query, headers, status, message", RAW_ERRORS)
def test_raw_sql_errors(client, sql, query, headers, status, message):
    response = client.post(f"{BASE}/openapi/ontology/{SUPPLY}/query{query}", content=sql.encode(),
                           headers={**key(), **headers})
    assert response.status_code == status
    if message:
        assert response.json()["status"] == "error" and message in response.json()["data"]


def submit(client, sql, user=ADMIN):
    return raw_query(client, sql, user=user, **{"x-async": "true"})


def test_async_query_is_accepted_then_polled(client):
    accepted = submit(client, "SELECT name FROM dtimbr.supplier WHERE country = 'Japan'")
    body = accepted.json()
    assert (accepted.status_code, body["async"], body["message"]) == (
        202, True, "Request accepted for async processing")
    assert body["poll_url"] == f"{BASE}/openapi/get-async-results/{body['response_id']}"
    assert client.get(body["poll_url"], headers=key()).json() == {
        "status": "completed", "response": [{"name": "Osaka Optics"}], "original_status_code": 200}


@pytest.mark.parametrize("sql, message", [
    ("SELECT nosuch FROM dtimbr.supplier", "no such column: nosuch"),  # fails while running
    ("DROP TABLE supplier", "Only SELECT statements"),  # cannot be planned
    ("SELECT * FROM dtimbr.nowhere", "nowhere"),
], ids=["run time", "not a select", "unknown concept"])
def test_async_query_that_fails_is_accepted_then_polls_as_error(client, sql, message):
    accepted = submit(client, sql)
    assert accepted.status_code == 202, accepted.text
    result = client.get(accepted.json()["poll_url"], headers=key()).json()
    assert (result["status"], result["error_type"], set(result)) == (
        "error", "ExecutionError", {"status", "error", "error_type"})
    assert message in result["error"]


@pytest.mark.parametrize("sql, query, status", [
    ("SELECT 1", "?datasource=elsewhere", 404),
    ("", "", 400),
], ids=["unknown datasource", "no SQL"])
def test_async_request_that_is_wrong_itself_is_refused_at_once(client, sql, query, status):
    assert raw_query(client, sql, query=query, **{"x-async": "true"}).status_code == status


def test_async_result_is_handed_out_once(client):
    url = submit(client, "SELECT 1 AS one").json()["poll_url"]
    first, again = client.get(url, headers=key()), client.get(url, headers=key())
    assert (first.status_code, first.json()["response"]) == (200, [{"one": 1}])
    assert again.status_code == 404


ASYNC_NOT_FOUND = [
    pytest.param(ANALYST, lambda url: url, id="another user's result"),
    pytest.param(ADMIN, lambda url: url.rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000", id="unknown id"),
]


@pytest.mark.parametrize("poller, url_of", ASYNC_NOT_FOUND)
def test_async_result_not_found(client, poller, url_of):
    url = submit(client, "SELECT 1").json()["poll_url"]
    response = client.get(url_of(url), headers=key(poller))
    assert (response.status_code, response.json()) == (
        404, {"data": "Response not found", "status": "error", "error": "Response not found"})


def test_async_results_live_in_the_store(app, client):
    url = submit(client, "SELECT 1").json()["poll_url"]
    app.reset()
    assert client.get(url, headers=key()).status_code == 404


# -- assistant routes --------------------------------------------------------------------------------
def kb(client, user=ADMIN, **body):
    return client.post(f"{API}/kb/search", json={"knowledge_bases": ["supply_chain_kb"], **body}, headers=key(user))


def test_kb_search_finds_the_example_question(client):
    result = kb(client, question="What is the revenue of each customer?").json()
    assert (result["match_level"], result["matches"][0]["example_name"], result["matches"][0]["confidence"]) == (
        "high", "revenue_by_customer", 1.0)
    assert result["per_kb_max_changed_on"] == {"supply_chain_kb": "2024-05-04T14:15:00Z"}


def test_kb_search_below_the_medium_threshold_finds_nothing(client):
    result = kb(client, question="weather in Paris").json()
    assert (result["match_level"], result["matches"]) == ("none", [])


def test_kb_search_returns_at_most_top_k(client):
    result = kb(client, question="which purchases are open", top_k=1, medium_threshold=0).json()
    assert [m["example_name"] for m in result["matches"]] == ["open_orders"]


KB_ERRORS = [
    pytest.param({"question": "x", "knowledge_bases": ["nosuch_kb"]}, 404, "Knowledge base nosuch_kb", id="unknown kb"),
    pytest.param({"question": "x", "high_threshold": 0.4, "medium_threshold": 0.6}, 400,
                 "body /medium_threshold: must not be greater than high_threshold", id="thresholds"),
    pytest.param({"question": "x", "top_k": 21}, 400, "body /top_k", id="top_k"),
]


@pytest.mark.parametrize("body, status, message", KB_ERRORS)
def test_kb_search_errors(client, body, status, message):
    response = kb(client, **body)
    assert response.status_code == status
    assert message in response.json()["data"]


def test_kb_search_lists_every_violation(client):
    message = kb(client, question=" ", knowledge_bases=[]).json()["data"]
    assert "body /question" in message and "body /knowledge_bases" in message


@pytest.mark.parametrize("path", ["/fetch_conversation_history", "/fetch_conversation_history/"])
def test_conversation_history_last_messages(client, path):
    response = client.get(f"{API}{path}?conversation_id=5f0c2a7e-1b3d-4c5e-9f70-8a1b2c3d4e5f&top=2",
                          headers=key(ANALYST))
    body = response.json()
    assert [m["question"] for m in body["data"]] == ["And in the USA only?", "Which purchases are still pending?"]
    assert (body["status"], body["truncated"]) == ("success", True)


def test_conversation_of_another_user_is_not_found(client):
    response = client.get(f"{API}/fetch_conversation_history?conversation_id=5f0c2a7e-1b3d-4c5e-9f70-8a1b2c3d4e5f",
                          headers=key(MARKETER))
    assert response.status_code == 404


@pytest.mark.parametrize("name, status", [("generate_sql", 200), ("identify_concept", 200), ("nosuch", 404)])
def test_llm_prompt_templates(client, name, status):
    response = client.post(f"{API}/llm_prompts/{name}", headers=key())
    assert response.status_code == status
    if status == 200:
        assert [t["role"] for t in response.json()["data"]] == ["system", "human"]


# -- both forms of the documented trailing-slash paths ------------------------------------------------
SLASHES = [
    pytest.param("get", "/get_ontologies/", None, id="get_ontologies/"),
    pytest.param("get", "/get_ontologies", None, id="get_ontologies"),
    pytest.param("post", "/query/", {"ontology_name": SUPPLY, "query": "SELECT 1 AS one"}, id="query/"),
    pytest.param("post", "/query", {"ontology_name": SUPPLY, "query": "SELECT 1 AS one"}, id="query"),
]


@pytest.mark.parametrize("method, path, body", SLASHES)
def test_trailing_slash_is_optional(client, method, path, body):
    response = client.request(method, API + path, json=body, headers=key())
    assert (response.status_code, response.json()["status"]) == (200, "success")


# -- errors, in Timbr's envelope ------------------------------------------------------------------------
ERRORS = [
    pytest.param("post", "/query/", {"json": {}}, 400,
                 ["body /: 'ontology_name' is a required property", "body /: 'query' is a required property"],
                 id="every missing field"),
    pytest.param("post", "/query/", {"content": b"{not json", "headers": {"Content-Type": "application/json"}}, 400,
                 ["not valid JSON"], id="malformed JSON"),
    pytest.param("post", "/query/", {"content": b"\xff\xfe", "headers": {"Content-Type": "application/json"}}, 400,
                 ["not valid utf-8"], id="not UTF-8"),
    pytest.param("post", "/query/", {"content": b"SELECT 1", "headers": {"Content-Type": "text/plain"}}, 415,
                 ["Content-Type text/plain is not accepted"], id="wrong content type"),
    pytest.param("post", "/query/", {"json": {"ontology_name": "nosuch", "query": "SELECT 1"}}, 404,
                 ["Ontology nosuch not found"], id="unknown ontology"),
    pytest.param("post", "/get_ontology/nosuch", {}, 404, ["Ontology nosuch not found"], id="unknown ontology, describe"),
    pytest.param("post", "/clear_cache/nosuch", {}, 404, ["Ontology nosuch not found"], id="unknown ontology, cache"),
    pytest.param("get", "/nosuch", {}, 404, ["No route matches GET"], id="unknown route"),
    pytest.param("post", "/create_ontology/", {"json": {"ontology_name": "has space"}}, 400,
                 ["body /ontology_name"], id="bad ontology name"),
    pytest.param("post", "/query/", {"content": b"x" * 1_100_000, "headers": {"Content-Type": "application/json"}},
                 413, ["larger than"], id="too large"),
]


@pytest.mark.parametrize("method, path, kwargs, status, messages", ERRORS)
def test_errors_in_timbr_envelope(client, method, path, kwargs, status, messages):
    headers = {**key(), **kwargs.pop("headers", {})}
    response = client.request(method, API + path, headers=headers, **kwargs)
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"data", "status"} and body["status"] == "error"
    assert all(m in body["data"] for m in messages), body["data"]


def test_wrong_method_names_the_allowed_ones(client):
    response = client.delete(f"{API}/get_token", headers=key())
    assert (response.status_code, response.headers["Allow"]) == (405, "POST")
    assert response.json()["status"] == "error"
