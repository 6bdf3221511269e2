"""Timbr's admin statements on the connector's route (SHOW VERSION, SHOW TOKEN [FOR], CREATE USER,
GRANT, REVOKE, DROP USER, REFRESH PERMISSIONS), and the connector's own impersonation test run
against understudy as the connector sends it."""

from __future__ import annotations

import pytest

from understudy.builtin.handlers.timbr.auth import make_bearer
from timbr_support import ADMIN, ANALYST, API, BASE, MARKETER, SEGMENTS, SUPPLY, key

AS = "x-api-impersonate-user"


def run_sql(client, sql, user=ADMIN, ontology=SUPPLY, **headers):
    """What pytimbr_api.run_query sends: raw SQL as application/text, the key, `nested`."""
    return client.post(f"{BASE}/openapi/ontology/{ontology}/query", content=sql.encode(),
                       headers={"Content-Type": "application/text", "nested": "false", "Connection": "close",
                                **key(user), **headers})


def ontologies(client, user):
    return client.get(f"{API}/get_ontologies/", headers=key(user)).json()["data"]


# -- the connector's test_user_impersonation, step by step -------------------------------------------
GRANTING, IMPERSONATING = "timbr_python_http_granting_user", "timbr_python_http_impersonating_user"
CREATE_GRANTING = (f"CREATE USER {GRANTING} OPTIONS(email='{GRANTING}@timbr-test.ai', password='SecurePassword123', "
                   f"first_name='Granting', last_name='User');GRANT QUERY ON ALL DATASOURCE TO USER {GRANTING};"
                   f"GRANT ACCESS ON ALL ONTOLOGY TO USER {GRANTING};GRANT EDIT ON ALL USER TO USER {GRANTING};")
CREATE_IMPERSONATING = (f"CREATE USER {IMPERSONATING} PASSWORD 'SecurePassword123' OPTIONS(email="
                        f"'{IMPERSONATING}@timbr-test.ai', first_name='Impersonating', last_name='User');"
                        f"GRANT ACCESS ON ALL ONTOLOGY TO USER {IMPERSONATING};"
                        f"GRANT QUERY ON ALL USER TO USER {IMPERSONATING};")
DROP = ("REVOKE EDIT ON ALL USER FROM USER {0};REVOKE ACCESS ON ALL ONTOLOGY FROM USER {0};"
        "REVOKE QUERY ON ALL DATASOURCE FROM USER {0};DROP USER {0};")


def test_connector_impersonation_flow(client):
    for statement in [CREATE_GRANTING, CREATE_IMPERSONATING,
                      f"GRANT AUTH ON user.{GRANTING} TO USER `{IMPERSONATING}`", "refresh permissions"]:
        assert (run_sql(client, statement).status_code, run_sql(client, "SHOW VERSION").status_code) == (200, 200)
    token = run_sql(client, f"show token for `{IMPERSONATING}`").json()[0]["token"]
    response = run_sql(client, "select timbr_username()", user={"token": token}, **{AS: GRANTING})
    assert (response.status_code, response.json()) == (200, [{GRANTING: GRANTING}])
    # teardown, as the connector's test does it
    assert run_sql(client, f"REVOKE AUTH ON user.{GRANTING} FROM USER `{IMPERSONATING}`").json() == []
    assert run_sql(client, "select timbr_username()", user={"token": token}, **{AS: GRANTING}).status_code == 403
    for user in (IMPERSONATING, GRANTING):
        assert run_sql(client, DROP.format(user)).json() == []
    assert run_sql(client, "select timbr_username()", user={"token": token}).status_code == 401


def test_created_user_signs_in_with_its_password_and_token(app, client):
    run_sql(client, "CREATE USER newbie PASSWORD 'newbie-password' OPTIONS(email='newbie@example.com');"
                    f"GRANT ACCESS ON ONTOLOGY {SEGMENTS} TO USER newbie")
    token = run_sql(client, "SHOW TOKEN FOR newbie").json()[0]["token"]
    bearer = make_bearer("newbie", "newbie-password", app.config)
    assert client.post(f"{API}/get_token", headers={"Authorization": f"Bearer {bearer}"}).json()["data"] == [token]
    assert ontologies(client, {"token": token}) == [SEGMENTS]


def test_created_users_last_until_reset(app, client):
    run_sql(client, "CREATE USER newbie PASSWORD 'p'")
    assert run_sql(client, "SHOW TOKEN FOR newbie").status_code == 200
    app.reset()
    assert run_sql(client, "SHOW TOKEN FOR newbie").status_code == 404


# -- statements that read ------------------------------------------------------------------------------
READS = [
    pytest.param(ADMIN, "SHOW VERSION", [{"version": "0.0.0-understudy"}], id="version"),
    pytest.param(ANALYST, "show version;", [{"version": "0.0.0-understudy"}], id="version, any user"),
    pytest.param(ANALYST, "SHOW TOKEN", [{"token": ANALYST["token"]}], id="one's own token"),
    pytest.param(ANALYST, "show token for analyst", [{"token": ANALYST["token"]}], id="one's own, by name"),
    pytest.param(ADMIN, "SHOW TOKEN FOR `marketer`", [{"token": MARKETER["token"]}], id="admin: anyone's"),
    pytest.param(ADMIN, "SHOW TOKEN FOR analyst; SHOW TOKEN FOR marketer", [{"token": MARKETER["token"]}],
                 id="a batch answers its last statement"),
    pytest.param(ADMIN, "-- whose?\nSHOW TOKEN FOR /* this one */ \"marketer\"", [{"token": MARKETER["token"]}],
                 id="comments and double quotes"),
]


@pytest.mark.parametrize("user, sql, rows", READS)
def test_read_statements(client, user, sql, rows):
    response = run_sql(client, sql, user=user)
    assert (response.status_code, response.json()) == (200, rows)


def test_show_version_answers_the_setting(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "TIMBR_VERSION", "5.2.1")
    assert run_sql(client, "SHOW VERSION").json() == [{"version": "5.2.1"}]


# -- statements that change grants: what the grantee notices --------------------------------------------
GRANTS = [
    pytest.param(f"GRANT ACCESS ON ONTOLOGY {SEGMENTS} TO USER analyst", ANALYST, [SUPPLY, SEGMENTS],
                 id="access on an ontology"),
    pytest.param(f"REVOKE ACCESS ON ONTOLOGY {SUPPLY} FROM USER analyst", ANALYST, [], id="revoke access"),
    pytest.param("GRANT ACCESS ON ALL ONTOLOGY TO USER `marketer`", MARKETER, [SUPPLY, SEGMENTS],
                 id="access on all ontologies"),
    pytest.param(f"GRANT QUERY, ACCESS ON ONTOLOGY {SUPPLY} TO USER marketer", MARKETER, [SUPPLY, SEGMENTS],
                 id="a privilege list"),
    pytest.param(f"GRANT ACCESS ON ONTOLOGY {SEGMENTS} TO USER analyst; "
                 f"REVOKE ACCESS ON ONTOLOGY {SEGMENTS} FROM USER analyst", ANALYST, [SUPPLY], id="grant, revoke"),
    pytest.param("REVOKE ACCESS ON ALL ONTOLOGY FROM USER analyst", ANALYST, [SUPPLY],
                 id="revoking what was not granted changes nothing"),
]


@pytest.mark.parametrize("sql, user, visible", GRANTS)
def test_access_grants(client, sql, user, visible):
    assert (run_sql(client, sql).status_code, run_sql(client, sql).json()) == (200, [])
    assert ontologies(client, user) == visible


IMPERSONATION_GRANTS = [
    pytest.param("GRANT AUTH ON user.analyst TO USER marketer", MARKETER, "analyst", 200, id="grant auth"),
    pytest.param("GRANT AUTH ON user . `analyst` TO USER `marketer`", MARKETER, "analyst", 200,
                 id="spaces and backticks"),
    pytest.param("REVOKE AUTH ON user.marketer FROM USER analyst", ANALYST, "marketer", 403, id="revoke auth"),
    pytest.param("DROP USER marketer; CREATE USER marketer PASSWORD 'p'", ANALYST, "marketer", 403,
                 id="dropping a user drops the grants on it"),
    pytest.param("GRANT AUTH ON ALL USER TO USER marketer", MARKETER, "analyst", 403,
                 id="only AUTH on that user counts"),
]


@pytest.mark.parametrize("sql, caller, target, status", IMPERSONATION_GRANTS)
def test_impersonation_grants(client, sql, caller, target, status):
    assert run_sql(client, sql).status_code == 200
    response = client.get(f"{API}/get_ontologies/", headers={**key(caller), AS: target})
    assert response.status_code == status


# -- refusals ------------------------------------------------------------------------------------------
REFUSED = [
    # only admins change users and grants
    pytest.param(ANALYST, "CREATE USER x PASSWORD 'p'", 403, "analyst may not change users or grants", id="create"),
    pytest.param(ANALYST, "GRANT AUTH ON user.admin TO USER analyst", 403, "needs the admin role", id="grant"),
    pytest.param(ANALYST, "DROP USER marketer", 403, "needs the admin role", id="drop"),
    pytest.param(ANALYST, "refresh permissions", 403, "needs the admin role", id="refresh"),
    pytest.param(ANALYST, "SHOW VERSION; GRANT ACCESS ON ALL ONTOLOGY TO USER analyst", 403,
                 "needs the admin role", id="a change in a batch"),
    pytest.param(ANALYST, "SHOW TOKEN FOR admin", 403, "may not see the token of admin", id="another's token"),
    pytest.param(ADMIN, "DROP USER admin", 403, "admin may not drop itself", id="drop oneself"),
    # unknown or existing
    pytest.param(ADMIN, "SHOW TOKEN FOR nobody", 404, "User nobody not found", id="token of nobody"),
    pytest.param(ADMIN, "GRANT AUTH ON user.nobody TO USER analyst", 404, "User nobody not found", id="auth on nobody"),
    pytest.param(ADMIN, "GRANT AUTH ON user.marketer TO USER nobody", 404, "User nobody not found", id="to nobody"),
    pytest.param(ADMIN, "GRANT ACCESS ON ONTOLOGY nosuch TO USER analyst", 404, "Ontology nosuch not found",
                 id="unknown ontology"),
    pytest.param(ADMIN, "DROP USER nobody", 404, "User nobody not found", id="drop nobody"),
    pytest.param(ADMIN, "CREATE USER analyst PASSWORD 'p'", 409, "User analyst already exists", id="existing user"),
    # not understood
    pytest.param(ADMIN, "CREATE USER newbie", 400, "CREATE USER newbie needs a password", id="no password"),
    pytest.param(ADMIN, "SHOW TABLES", 400, "statement 1 is not one understudy runs: SHOW TABLES", id="show tables"),
    pytest.param(ADMIN, "GRANT AUTH ON user.marketer TO USER analyst; SELECT 1", 400, "statement 2 is not one",
                 id="a select in a batch"),
    pytest.param(ADMIN, "GRANT AUTH ON user.marketer FROM USER analyst", 400, "statement 1 is not one",
                 id="grant ... from"),
]


@pytest.mark.parametrize("user, sql, status, message", REFUSED)
def test_statement_refused(client, user, sql, status, message):
    response = run_sql(client, sql, user=user)
    assert response.status_code == status
    assert response.json()["status"] == "error"
    assert message in response.json()["data"]


@pytest.mark.parametrize("user, sql", [
    pytest.param(ADMIN, "CREATE USER newbie PASSWORD 'p'; GRANT AUTH ON user.nobody TO USER newbie",
                 id="a later statement fails"),
    pytest.param(ADMIN, "CREATE USER newbie PASSWORD 'p'; SHOW TABLES", id="a later statement is unknown"),
    pytest.param(ANALYST, "CREATE USER newbie PASSWORD 'p'", id="not an admin"),
])
def test_refused_batch_changes_nothing(client, user, sql):
    assert run_sql(client, sql, user=user).status_code >= 400
    assert run_sql(client, "SHOW TOKEN FOR newbie").status_code == 404


@pytest.mark.parametrize("sql", ["CREATE TABLE t (a INT)", "DROP TABLE customer", "INSERT INTO customer VALUES (1)",
                                 "UPDATE customer SET name = 'x'"])
def test_other_statements_stay_refused(client, sql):
    response = run_sql(client, sql)
    assert (response.status_code, response.json()["status"]) == (400, "error")
    assert "Only SELECT statements" in response.json()["data"]


def test_documented_query_route_runs_no_statements(client):
    response = client.post(f"{API}/query/", json={"ontology_name": SUPPLY, "query": "SHOW VERSION"}, headers=key())
    assert response.status_code == 400
    assert "Only SELECT statements" in response.json()["data"]


def test_statements_answer_at_once_even_with_x_async(client):
    response = run_sql(client, "SHOW VERSION", **{"x-async": "true"})
    assert (response.status_code, response.json()) == (200, [{"version": "0.0.0-understudy"}])


@pytest.mark.parametrize("sql, rows", [
    pytest.param("SELECT timbr_username() AS who", [{"who": "admin"}], id="aliased"),
    pytest.param("SELECT upper(timbr_username()) AS who", [{"who": "ADMIN"}], id="in an expression"),
    pytest.param("SELECT TIMBR_USERNAME ( )", [{"admin": "admin"}], id="spelled otherwise"),
])
def test_timbr_username(client, sql, rows):
    assert run_sql(client, sql).json() == rows
