"""Every call of Timbr's Python connector (PyPI `pytimbr-api` 2.2.0, `pytimbr_api/timbr_http_connector.py`)
against understudy on a real socket, as a user of the connector writes it: `run_query` (sync,
with a datasource, nested, as a JWT user, impersonating, async), `get_async_result`, and the
backward-compatible `simpleQueryExecution`, `advancedQueryExecute` and `executeQuery`, which take
a host and port and so need Timbr served at the root (`understudy serve --api timbr`)."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
import pytimbr_api.timbr_http_connector as timbr

from conftest import TEST_CONFIG, serving_in_thread
from understudy.app import create_app
from understudy.builtin.handlers.timbr.auth import make_jwt
from timbr_support import ADMIN, ANALYST, MARKETER, SEGMENTS, SUPPLY

JAPAN = "SELECT name FROM dtimbr.supplier WHERE country = 'Japan'"
OSAKA = [{"name": "Osaka Optics"}]


@pytest.fixture(scope="module")
def url(live_server):
    """The connector's `url`: the server in front of Timbr's own `/timbr/...` paths."""
    return f"{live_server}/timbr"


@pytest.fixture(scope="module")
def root():
    """Timbr alone at the root of a server of its own: (hostname, port)."""
    with serving_in_thread(create_app({**TEST_CONFIG, "single_api": "timbr"})) as base:
        yield urlparse(base).hostname, urlparse(base).port


@pytest.fixture
def jwt_token(app, monkeypatch):
    monkeypatch.setitem(app.config, "ENABLE_TOKEN", "true")
    return make_jwt(app.config, username="analyst", email=ANALYST["email"])


# -- run_query ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, rows", [
    ({}, OSAKA),
    ({"datasource": "supply_chain_dwh"}, OSAKA),
    ({"nested": "true"}, OSAKA),
    ({"query": JAPAN.encode()}, OSAKA),  # bytes are sent as they are
], ids=["plain", "datasource", "nested", "bytes"])
def test_run_query(url, kwargs, rows):
    kwargs = {"query": JAPAN, **kwargs}
    assert timbr.run_query(url, SUPPLY, ADMIN["token"], **kwargs) == rows


def test_run_query_as_a_jwt_user(url, jwt_token):
    rows = timbr.run_query(url, SUPPLY, jwt_token, "SELECT timbr_username()", is_jwt=True, jwt_tenant_id="tenant-1")
    assert list(rows[0].values()) == ["analyst"]


def test_run_query_impersonating_with_additional_headers(url):
    # the connector turns `_` in header names into `-`
    rows = timbr.run_query(url, SEGMENTS, ANALYST["token"], "SELECT timbr_username()",
                           additional_headers={"x_api_impersonate_user": MARKETER["username"]})
    assert list(rows[0].values()) == ["marketer"]


@pytest.mark.parametrize("ontology, token, message", [
    (SUPPLY, "tk_not_a_key", "Error: "),
    ("timbr_nowhere", ADMIN["token"], "Ontology timbr_nowhere not found"),
    (SUPPLY, ADMIN["token"], "Only SELECT statements"),
], ids=["bad key", "unknown ontology", "not a select"])
def test_run_query_errors_raise_with_timbrs_message(url, ontology, token, message):
    with pytest.raises(Exception, match=message):
        timbr.run_query(url, ontology, token, "DROP TABLE supplier" if "SELECT" in message else JAPAN)


# -- async ---------------------------------------------------------------------------------------------
def test_async_query_is_submitted_then_fetched_once(url):
    submission = timbr.run_query(url, SUPPLY, ADMIN["token"], JAPAN, is_async=True)
    assert (submission["async"], submission["message"]) == (True, "Request accepted for async processing")
    result = timbr.get_async_result(url, submission["response_id"], ADMIN["token"])
    assert result == {"status": "completed", "response": OSAKA, "original_status_code": 200}
    with pytest.raises(Exception, match="Async result not found"):
        timbr.get_async_result(url, submission["response_id"], ADMIN["token"])


@pytest.mark.parametrize("sql", ["DROP TABLE supplier", "SELECT nosuch FROM dtimbr.supplier"],
                         ids=["cannot be planned", "fails while running"])
def test_async_query_that_fails_polls_as_error(url, sql):
    submission = timbr.run_query(url, SUPPLY, ADMIN["token"], sql, is_async=True)
    result = timbr.get_async_result(url, submission["response_id"], ADMIN["token"])
    assert (result["status"], result["error_type"]) == ("error", "ExecutionError") and result["error"]


def test_async_query_as_a_jwt_user(url, jwt_token):
    submission = timbr.run_query(url, SUPPLY, jwt_token, "SELECT 1 AS one", is_jwt=True,
                                 jwt_tenant_id="tenant-1", is_async=True)
    result = timbr.get_async_result(url, submission["response_id"], jwt_token, is_jwt=True, jwt_tenant_id="tenant-1")
    assert result["response"] == [{"one": 1}]


def test_async_result_of_another_user_is_not_found(url):
    submission = timbr.run_query(url, SUPPLY, ADMIN["token"], JAPAN, is_async=True)
    with pytest.raises(Exception, match="Async result not found"):
        timbr.get_async_result(url, submission["response_id"], ANALYST["token"])


# -- the backward-compatible calls ------------------------------------------------------------------------
def test_simple_query_execution(url):
    assert timbr.simpleQueryExecution(url, SUPPLY, ADMIN["token"], JAPAN, datasource="supply_chain_dwh") == OSAKA


def test_advanced_query_execute(root):
    hostname, port = root
    assert timbr.advancedQueryExecute(hostname, port, SUPPLY, ADMIN["token"], JAPAN, enabled_ssl=False,
                                      datasource="supply_chain_dwh") == OSAKA


def test_execute_query_takes_the_documented_query_route(root):
    hostname, port = root
    assert timbr.executeQuery(hostname, port, SUPPLY, ADMIN["token"], JAPAN, enabled_ssl=False) == {
        "data": OSAKA, "status": "success"}
