"""Swagger UI's "Try it out" -> "Execute", as pre-filled, on every API: the docs page authorizes
with the demo credentials, every read answers 2xx, and no optional parameter's example turns a
2xx into an error (an example the demo user may not send is not pre-filled). The browser itself
is driven in test_browser.py; this checks every operation without one."""

import pytest

from conftest import TEST_CONFIG
from tryit import try_its
from understudy.api import discover, load_api
from understudy.apiapp import load_spec
from understudy.config import DEFAULTS, build_config

pytestmark = pytest.mark.once

# Reads whose pre-filled id names something only an earlier call creates, or that the demo user
# does not have: the example stays (it shows the id's form), the answer is the API's own 404.
NEEDS_STATE = {
    "platform GET /flows/{flow_id}/draft": "the example flow has no draft until PUT .../draft",
    "platform GET /flows/{flow_id}/versions/{version_id}": "versions are made by starting the flow",
    "platform GET /exec/poll/{execution_id}": "an execution exists after POST /exec/schedule",
    "platform GET /exec/result/{execution_id}": "an execution exists after POST /exec/schedule",
    "takaro GET /gameserver/import/{id}": "an import job exists after POST /gameserver/import",
    "takaro GET /player/me": "the demo root user has no linked player",
    "takaro GET /module/{moduleId}/gameserver/{gameServerId}/installation": "the example module is not installed there",
    "takaro GET /auth/discord": "redirects to Discord's OAuth page, which understudy does not serve",
    "timbr GET /api/fetch_conversation_history/": "the example conversation is analyst's, not the admin's",
    "timbr GET /api/fetch_conversation_history": "the example conversation is analyst's, not the admin's",
    "timbr GET /openapi/get-async-results/{response_id}": "a result exists after a query with x-async: true",
}


def cases(kind: str) -> list:
    found = []
    for name in discover(DEFAULTS["root"]):
        api = load_api(name)
        config = build_config(TEST_CONFIG, api.settings)
        demo = api.contract_auth(config) if api.contract_auth else {}
        for case in try_its(load_spec(api, config), demo):
            ident = f"{name} {case.id}"
            if case.missing:  # Swagger UI does not execute without a required value
                continue
            if kind == "reads" and case.method == "get":
                found.append(pytest.param(name, case, NEEDS_STATE.get(ident), id=ident))
            elif kind == "optional" and case.optional:
                found.append(pytest.param(name, case, id=ident))
    return found


def send(app, client, name, case, with_optional=True):
    query, headers = case.request(with_optional)
    return client.request(case.method.upper(), app.mounts[name].base_path + case.url, params=query, headers=headers)


def test_every_known_exception_is_a_read():
    reads = {p.id for p in cases("reads")}
    assert set(NEEDS_STATE) <= reads


@pytest.mark.parametrize("name, case, needs_state", cases("reads"))
def test_every_read_answers_2xx_as_prefilled(app, client, name, case, needs_state):
    response = send(app, client, name, case)
    if needs_state:
        assert response.status_code == 404, needs_state
    else:
        assert response.status_code < 300, response.text[:300]


@pytest.mark.parametrize("name, case", cases("optional"))
def test_optional_examples_keep_a_2xx(app, client, name, case):
    without = send(app, client, name, case, with_optional=False)
    app.reset()
    with_examples = send(app, client, name, case)
    if without.status_code < 300:
        assert with_examples.status_code < 300, (case.optional, with_examples.text[:300])
