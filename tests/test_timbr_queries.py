"""Timbr queries really run: filters, joins, relationship columns, ORDER BY, LIMIT, views, the
q/ routes, the nested headers, and every statement that is not one SELECT refused unexecuted."""

from __future__ import annotations

import sqlite3

import pytest

from understudy.builtin.handlers.timbr import sqlengine
from timbr_support import API, SEGMENTS, SUPPLY, key, query

PURCHASES = "`has_purchase[purchase].purchase_id`, `has_purchase[purchase].total`"

ROWS = [
    # filters
    pytest.param(SUPPLY, "SELECT name FROM dtimbr.customer WHERE country = 'France'",
                 [{"name": "Soylent Foods"}], id="equality"),
    pytest.param(SUPPLY, "SELECT name FROM customer WHERE segment = 'Startup' ORDER BY name",
                 [{"name": "Cyberdyne Labs"}, {"name": "Hooli Devices"}, {"name": "Tyrell Robotics"}],
                 id="bare concept name"),
    pytest.param(SUPPLY, "SELECT product_id FROM dtimbr.product WHERE unit_price > 40 ORDER BY unit_price DESC",
                 [{"product_id": 111}, {"product_id": 109}, {"product_id": 108}], id="comparison"),
    pytest.param(SUPPLY, "SELECT name FROM dtimbr.supplier WHERE active = false", [{"name": "Rio Packaging"}],
                 id="boolean"),
    pytest.param(SUPPLY, "SELECT name FROM `dtimbr`.`customer` WHERE customer_id = 1", [{"name": "Globex Manufacturing"}],
                 id="quoted schema and concept"),
    pytest.param(SUPPLY, 'SELECT "has_purchase[purchase].total" AS total FROM "customer" WHERE customer_id = 7',
                 [{"total": 1275.0}], id="double-quoted names"),
    pytest.param(SUPPLY, "SELECT 'dtimbr.customer; DELETE' AS text", [{"text": "dtimbr.customer; DELETE"}],
                 id="names inside a string are text"),
    pytest.param(SUPPLY, "SELECT name FROM timbr.customer WHERE name LIKE 's%' ORDER BY name",
                 [{"name": "Soylent Foods"}, {"name": "Stark Assembly"}], id="like, timbr schema"),
    # ORDER BY and LIMIT
    pytest.param(SUPPLY, "SELECT name FROM dtimbr.customer ORDER BY signup_date LIMIT 2",
                 [{"name": "Stark Assembly"}, {"name": "Umbrella Logistics"}], id="order by, limit"),
    pytest.param(SUPPLY, "SELECT name FROM dtimbr.customer ORDER BY customer_id DESC LIMIT 1 OFFSET 1;",
                 [{"name": "Tyrell Robotics"}], id="offset, trailing semicolon"),
    pytest.param(SUPPLY, "SELECT status, COUNT(*) AS n FROM dtimbr.purchase GROUP BY status ORDER BY n DESC, status",
                 [{"status": "delivered", "n": 10}, {"status": "pending", "n": 4}, {"status": "shipped", "n": 4},
                  {"status": "cancelled", "n": 2}], id="group by"),
    # joins
    pytest.param(SUPPLY, "SELECT c.name, p.total FROM dtimbr.customer c JOIN dtimbr.purchase p "
                         "ON p.customer_id = c.customer_id WHERE p.purchase_id = 1006",
                 [{"name": "Stark Assembly", "total": 1200.0}], id="explicit join"),
    pytest.param(SUPPLY, "SELECT purchase_id, `purchased_by[customer].name` AS customer FROM dtimbr.purchase "
                         "WHERE purchase_id IN (1001, 1012) ORDER BY purchase_id",
                 [{"purchase_id": 1001, "customer": "Globex Manufacturing"},
                  {"purchase_id": 1012, "customer": "Soylent Foods"}], id="relationship column"),
    pytest.param(SUPPLY, "SELECT name, `has_purchase[purchase].purchase_id` FROM dtimbr.customer "
                         "WHERE customer_id = 4 ORDER BY 2",
                 [{"name": "Stark Assembly", "has_purchase[purchase].purchase_id": i} for i in (1006, 1007, 1019)],
                 id="inverse relationship multiplies rows"),
    pytest.param(SUPPLY, "SELECT name, `has_purchase[purchase].purchase_id` FROM dtimbr.customer WHERE customer_id = 10",
                 [{"name": "Cyberdyne Labs", "has_purchase[purchase].purchase_id": None}],
                 id="relationship keeps entities without related ones"),
    pytest.param(SUPPLY, "SELECT `purchased_by[customer].country` AS country, `of_product[product].category` AS category "
                         "FROM dtimbr.purchase WHERE purchase_id = 1013",
                 [{"country": "France", "category": "Packaging"}], id="two relationships"),
    pytest.param(SUPPLY, "SELECT `supplied_by[supplier].name` AS supplier, COUNT(*) AS products FROM dtimbr.product "
                         "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 2",
                 [{"supplier": "Acme Components", "products": 2}, {"supplier": "Bavaria Plastics", "products": 2}],
                 id="relationship in group by"),
    pytest.param(SUPPLY, "WITH big AS (SELECT * FROM dtimbr.purchase WHERE total > 1200) "
                         "SELECT purchase_id, `purchased_by[customer].name` AS customer FROM big ORDER BY purchase_id",
                 [{"purchase_id": 1011, "customer": "Vandelay Imports"},
                  {"purchase_id": 1012, "customer": "Soylent Foods"},
                  {"purchase_id": 1018, "customer": "Umbrella Logistics"}], id="relationship in the query's own CTE"),
    # views
    pytest.param(SUPPLY, "SELECT name, revenue FROM vtimbr.customer_revenue ORDER BY revenue DESC LIMIT 3",
                 [{"name": "Stark Assembly", "revenue": 2232.0}, {"name": "Umbrella Logistics", "revenue": 2100.0},
                  {"name": "Wayne Fabrication", "revenue": 1998.0}], id="view"),
    pytest.param(SUPPLY, "SELECT product FROM product_catalog WHERE supplier_country = 'Japan' ORDER BY product",
                 [{"product": "Camera Lens Pro"}, {"product": "Lens Module"}], id="bare view name"),
    pytest.param(SEGMENTS, "SELECT segment, members FROM vtimbr.segment_sizes ORDER BY segment_id",
                 [{"segment": "Power Users", "members": 3}, {"segment": "Bargain Hunters", "members": 3},
                  {"segment": "Newcomers", "members": 3}, {"segment": "Dormant", "members": 2}],
                 id="view of the other ontology"),
    # entity columns and system tables
    pytest.param(SEGMENTS, "SELECT entity_id, entity_type, name FROM dtimbr.person WHERE person_id = 2",
                 [{"entity_id": "p:2", "entity_type": "person", "name": "Bob Chen"}], id="entity_id"),
    pytest.param(SUPPLY, "SELECT concept FROM timbr.sys_concepts ORDER BY concept",
                 [{"concept": c} for c in ("customer", "product", "purchase", "supplier")], id="sys_concepts"),
    # values JSON cannot hold as such
    pytest.param(SUPPLY, "SELECT x'00ff' AS blob, 1e999 AS big", [{"blob": "00ff", "big": "inf"}], id="blob, inf"),
]


@pytest.mark.parametrize("ontology, sql, rows", ROWS)
def test_query_rows(client, ontology, sql, rows):
    response = query(client, sql, ontology)
    assert (response.status_code, response.json()) == (200, {"data": rows, "status": "success"})


REFUSED = [
    # anything but one SELECT
    pytest.param("DELETE FROM dtimbr.customer", "Only SELECT statements", id="delete"),
    pytest.param("UPDATE customer SET name = 'x'", "Only SELECT statements", id="update"),
    pytest.param("INSERT INTO customer (name) VALUES ('x')", "Only SELECT statements", id="insert"),
    pytest.param("DROP TABLE customer", "Only SELECT statements", id="drop"),
    pytest.param("CREATE TABLE t (a)", "Only SELECT statements", id="create"),
    pytest.param("PRAGMA query_only = OFF", "Only SELECT statements", id="pragma"),
    pytest.param("ATTACH DATABASE ':memory:' AS x", "Only SELECT statements", id="attach"),
    pytest.param("SELECT 1; DELETE FROM customer", "Only one statement", id="two statements"),
    pytest.param("WITH x AS (SELECT 1) DELETE FROM customer", "only reading is allowed", id="with ... delete"),
    pytest.param("/* SELECT */ DELETE FROM customer", "Only SELECT statements", id="select in a comment"),
    pytest.param(" ; ", "The query is empty", id="empty"),
    # not over this ontology
    pytest.param("SELECT * FROM dtimbr.nosuch", "concept dtimbr.nosuch not found in ontology", id="unknown concept"),
    pytest.param("SELECT * FROM vtimbr.customer", "view vtimbr.customer not found", id="concept as a view"),
    pytest.param("SELECT nosuch FROM dtimbr.customer", "no such column: nosuch", id="unknown column"),
    pytest.param("SELECT `has_purchase[product].name` FROM dtimbr.customer", "no concept in the query has a relationship",
                 id="relationship to the wrong concept"),
    pytest.param("SELECT `has_purchase[purchase].nope` FROM dtimbr.customer", "has no property nope",
                 id="relationship to an unknown property"),
    pytest.param("SELEC name FROM customer", "Only SELECT statements", id="syntax"),
    pytest.param("SELECT name FROM customer WHERE", "incomplete input", id="incomplete"),
    pytest.param("SELECT name FROM customer WHERE WHERE", 'near "WHERE": syntax error', id="syntax error"),
]


@pytest.mark.parametrize("sql, message", REFUSED)
def test_query_refused(client, sql, message):
    response = query(client, sql)
    assert response.status_code == 400
    assert response.json()["status"] == "error"
    assert message in response.json()["data"]
    assert "body /query:" in response.json()["data"]


@pytest.mark.parametrize("sql", [p.values[0] for p in REFUSED[:10]])
def test_refused_statement_changes_nothing(client, sql):
    query(client, sql)
    assert query(client, "SELECT COUNT(*) AS n FROM customer").json()["data"] == [{"n": 10}]


@pytest.mark.parametrize("statement", [
    "DELETE FROM customer", "UPDATE customer SET name = 'x'", "CREATE TABLE t (a)", "DROP VIEW customer_revenue",
    "PRAGMA query_only = OFF", "ATTACH DATABASE ':memory:' AS x",
])
def test_connection_itself_only_reads(client, statement):
    """Even past the SELECT check, the connection refuses to write (authorizer, query_only)."""
    query(client, "SELECT 1")
    database = next(reversed(sqlengine._cache.values()))  # the one that just answered
    with pytest.raises(sqlite3.DatabaseError):
        database.conn.execute(statement)


def test_runaway_query_is_stopped(client, monkeypatch):
    monkeypatch.setattr(sqlengine, "TIME_LIMIT_SECONDS", 0.2)
    response = query(client, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT COUNT(*) FROM n")
    assert response.status_code == 400
    assert "ran longer than 0.2 seconds" in response.json()["data"]


def test_too_many_rows_are_refused(client):
    response = query(client, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n LIMIT 10001) SELECT i FROM n")
    assert response.status_code == 400
    assert "more than 10000 rows" in response.json()["data"]


def test_query_sees_a_created_ontology(client):
    client.post(f"{API}/create_ontology/", json={"ontology_name": "timbr_inventory"}, headers=key())
    response = query(client, "SELECT 1 AS one", "timbr_inventory")
    assert response.json() == {"data": [{"one": 1}], "status": "success"}


# -- q/{ontology}/concept|view/{name} with filters --------------------------------------------------
FILTERS = [
    # concepts
    pytest.param(f"{SUPPLY}/concept/customer?country=France", "name", ["Soylent Foods"], id="one filter"),
    pytest.param(f"{SUPPLY}/concept/customer?country=USA&segment=Startup", "name",
                 ["Hooli Devices", "Tyrell Robotics", "Cyberdyne Labs"], id="filters combine"),
    pytest.param(f"{SUPPLY}/concept/customer?segment=SMB&segment=Startup", "customer_id", [2, 5, 6, 7, 9, 10],
                 id="repeated filter: any value"),
    pytest.param(f"{SUPPLY}/concept/customer?Country=France", "name", ["Soylent Foods"], id="column case"),
    pytest.param(f"{SUPPLY}/concept/supplier?active=false", "name", ["Rio Packaging"], id="boolean"),
    pytest.param(f"{SUPPLY}/concept/purchase?quantity=25", "purchase_id", [1006], id="number"),
    pytest.param(f"{SEGMENTS}/concept/person?entity_id=p:2", "name", ["Bob Chen"], id="entity_id"),
    pytest.param(f"{SUPPLY}/concept/customer", "customer_id", list(range(1, 11)), id="no filter"),
    pytest.param(f"{SUPPLY}/concept/customer?country=Atlantis", "name", [], id="no match"),
    # views
    pytest.param(f"{SUPPLY}/view/customer_revenue?country=France", "revenue", [1750.0], id="view"),
    pytest.param(f"{SEGMENTS}/view/segment_sizes?members=2", "segment", ["Dormant"], id="view, number"),
    pytest.param(f"{SEGMENTS}/view/segment_sizes?segment=Newcomers", "members", [3], id="view, text"),
]


@pytest.mark.parametrize("path, column, values", FILTERS)
def test_q_filters(client, path, column, values):
    response = client.get(f"{API}/q/{path}", headers=key())
    assert response.status_code == 200
    assert [row[column] for row in response.json()["data"]] == values


def test_q_concept_rows_carry_entity_columns(client):
    response = client.get(f"{API}/q/{SEGMENTS}/concept/segment?segment_id=4", headers=key())
    assert response.json()["data"] == [{"segment_id": 4, "name": "Dormant", "description": "No activity in the last 60 days",
                                        "entity_id": "sg:4", "entity_type": "segment"}]


Q_ERRORS = [
    pytest.param(f"{SUPPLY}/concept/customer?foo=1&bar=2", 400, ["query foo: not a column", "query bar: not a column"],
                 id="unknown filters, all listed"),
    pytest.param(f"{SUPPLY}/view/customer_revenue?city=Lyon", 400, ["query city: not a column"], id="unknown view column"),
    pytest.param(f"{SUPPLY}/concept/nosuch", 404, ["Concept nosuch in ontology timbr_supply_chain not found"],
                 id="unknown concept"),
    pytest.param(f"{SUPPLY}/view/customer", 404, ["View customer in ontology"], id="concept asked as a view"),
    pytest.param("nosuch/concept/customer", 404, ["Ontology nosuch not found"], id="unknown ontology"),
]


@pytest.mark.parametrize("path, status, messages", Q_ERRORS)
def test_q_errors(client, path, status, messages):
    response = client.get(f"{API}/q/{path}", headers=key())
    assert response.status_code == status
    assert all(m in response.json()["data"] for m in messages)


# -- nested headers ----------------------------------------------------------------------------------
NESTED_SQL = (f"SELECT entity_id, name AS Name, {PURCHASES} FROM dtimbr.customer "
              "WHERE customer_id IN (2, 10) ORDER BY customer_id, 3")
BOOLEANS_SQL = ("SELECT entity_id, name, `supplies[product].name`, `supplies[product].discontinued` "
                "FROM dtimbr.supplier WHERE supplier_id = 4 ORDER BY 3")
FMT = {"nested": "true", "api_nested_format_properties": "true"}
INITECH = [{"purchase_id": 1003, "total": 910.0}, {"purchase_id": 1017, "total": 425.0}]
INITECH_FMT = [{"purchase_id": 1003, "total": "910.00"}, {"purchase_id": 1017, "total": "425.00"}]

NESTED = [
    # off: flat rows, one per related purchase
    pytest.param(NESTED_SQL, {}, [
        {"entity_id": "c:2", "Name": "Initech Systems", "has_purchase[purchase].purchase_id": 1003,
         "has_purchase[purchase].total": 910.0},
        {"entity_id": "c:2", "Name": "Initech Systems", "has_purchase[purchase].purchase_id": 1017,
         "has_purchase[purchase].total": 425.0},
        {"entity_id": "c:10", "Name": "Cyberdyne Labs", "has_purchase[purchase].purchase_id": None,
         "has_purchase[purchase].total": None}], id="flat"),
    # nested: one object per entity, related objects in a list
    pytest.param(NESTED_SQL, {"nested": "true"}, [
        {"entity_id": "c:2", "Name": "Initech Systems", "has_purchase[purchase]": INITECH},
        {"entity_id": "c:10", "Name": "Cyberdyne Labs", "has_purchase[purchase]": []}], id="nested"),
    pytest.param(NESTED_SQL, {"nested": "TRUE"}, [
        {"entity_id": "c:2", "Name": "Initech Systems", "has_purchase[purchase]": INITECH},
        {"entity_id": "c:10", "Name": "Cyberdyne Labs", "has_purchase[purchase]": []}], id="nested, any case"),
    # format-properties: format tags, lower-case keys
    pytest.param(NESTED_SQL, FMT, [
        {"entity_id": "c:2", "name": "Initech Systems", "has_purchase[purchase]": INITECH_FMT},
        {"entity_id": "c:10", "name": "Cyberdyne Labs", "has_purchase[purchase]": []}], id="format properties"),
    pytest.param(NESTED_SQL, {**FMT, "api_nested_case_sensitivity": "true"}, [
        {"entity_id": "c:2", "Name": "Initech Systems", "has_purchase[purchase]": INITECH_FMT},
        {"entity_id": "c:10", "Name": "Cyberdyne Labs", "has_purchase[purchase]": []}], id="case sensitivity"),
    pytest.param(NESTED_SQL, {**FMT, "api_nested_ignore_entity_id": "true"}, [
        {"name": "Initech Systems", "has_purchase[purchase]": INITECH_FMT},
        {"name": "Cyberdyne Labs", "has_purchase[purchase]": []}], id="ignore entity_id"),
    pytest.param(NESTED_SQL, {**FMT, "api_nested_minimize_relationships": "true"}, [
        {"entity_id": "c:2", "name": "Initech Systems", "has_purchase": INITECH_FMT},
        {"entity_id": "c:10", "name": "Cyberdyne Labs", "has_purchase": []}], id="minimize relationships"),
    pytest.param(BOOLEANS_SQL, FMT, [{"entity_id": "s:4", "name": "Rio Packaging", "supplies[product]": [
        {"name": "Bubble Wrap Roll", "discontinued": 1}, {"name": "Cardboard Box L", "discontinued": 0}]}],
        id="booleans as 1/0"),
    pytest.param(BOOLEANS_SQL, {**FMT, "api_nested_format_booleans": "true"}, [
        {"entity_id": "s:4", "name": "Rio Packaging", "supplies[product]": [
            {"name": "Bubble Wrap Roll", "discontinued": "true"}, {"name": "Cardboard Box L", "discontinued": "false"}]}],
        id="format booleans"),
    # the options need nested and format-properties
    pytest.param(BOOLEANS_SQL, {"api_nested_format_booleans": "true", "api_nested_format_properties": "true"}, [
        {"entity_id": "s:4", "name": "Rio Packaging", "supplies[product].name": "Bubble Wrap Roll",
         "supplies[product].discontinued": 1},
        {"entity_id": "s:4", "name": "Rio Packaging", "supplies[product].name": "Cardboard Box L",
         "supplies[product].discontinued": 0}], id="options without nested"),
    pytest.param(NESTED_SQL, {"nested": "true", "api_nested_minimize_relationships": "true"}, [
        {"entity_id": "c:2", "Name": "Initech Systems", "has_purchase[purchase]": INITECH},
        {"entity_id": "c:10", "Name": "Cyberdyne Labs", "has_purchase[purchase]": []}],
        id="options without format-properties"),
    # nesting needs entity_id
    pytest.param(f"SELECT name, {PURCHASES} FROM dtimbr.customer WHERE customer_id = 2 ORDER BY 2", {"nested": "true"}, [
        {"name": "Initech Systems", "has_purchase[purchase].purchase_id": 1003, "has_purchase[purchase].total": 910.0},
        {"name": "Initech Systems", "has_purchase[purchase].purchase_id": 1017, "has_purchase[purchase].total": 425.0}],
        id="no entity_id: flat"),
]


@pytest.mark.parametrize("sql, headers, rows", NESTED)
def test_nested_headers(client, sql, headers, rows):
    response = query(client, sql, **headers)
    assert (response.status_code, response.json()) == (200, {"data": rows, "status": "success"})


def test_nested_on_q_concept(client):
    response = client.get(f"{API}/q/{SUPPLY}/concept/product?product_id=103",
                          headers={**key(), "nested": "true", "api-nested-format-properties": "true",
                                   "api-nested-ignore-entity-id": "true", "api-nested-format-booleans": "true"})
    assert response.json()["data"] == [{"product_id": 103, "name": "Circuit Board A1", "category": "Electronics",
                                        "unit_price": "22.75", "supplier_id": 3, "discontinued": "false",
                                        "entity_type": "product"}]


def test_nested_header_must_be_a_boolean(client):
    response = query(client, "SELECT 1", nested="yes")
    assert response.status_code == 400
    assert "header nested" in response.json()["data"]


def test_query_databases_are_never_shared_between_states_at_the_same_generation():
    """Each session's state counts its own writes; a database built for one never answers another."""
    from understudy.stores import MemoryStore

    def ontology(name):
        return {"id": "o", "concepts": [{"name": "c", "entity_prefix": "c", "key": "n", "relationships": [],
                                          "properties": [{"name": "n", "type": "string"}], "rows": [[name]]}]}

    first, second = (MemoryStore({"timbr": {"ontologies": [ontology(n)]}}).view("timbr") for n in ("first", "second"))
    assert first.generation == second.generation
    answers = [sqlengine.database(view.get("ontologies", "o"), view.version).run("SELECT n FROM c").rows
               for view in (first, second)]
    assert answers == [[("first",)], [("second",)]]


def test_a_long_query_does_not_hold_up_other_requests(live_server, monkeypatch):
    """A query runs on a worker thread: while one runs for 4 s (into its time limit), another
    request on the same server is answered well within that time."""
    import threading
    import time

    import requests

    monkeypatch.setattr(sqlengine, "TIME_LIMIT_SECONDS", 4.0)
    slow = threading.Thread(target=lambda: requests.post(f"{live_server}{API}/query/", headers=key(), json={
        "ontology_name": SUPPLY,
        "query": "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT COUNT(*) FROM n"}))
    slow.start()
    time.sleep(0.3)  # the query is running
    try:
        quick = requests.get(f"{live_server}{API}/get_ontologies/", headers=key(), timeout=2.5)
        assert quick.status_code == 200
    finally:
        slow.join()
