"""Every fixture document, served by the operation that serves it, validates against that
operation's response schema in the spec (and is the document asked for)."""

import json

import pytest
from connexion.json_schema import Draft4ResponseValidator
from jsonschema import Draft4Validator

from conftest import FIXTURES
from platform_helpers import BASE, T1, USERS, auth
from understudy.apiapp import load_spec
from understudy.api import load_api
from understudy.config import build_config

DATA = {p.stem: json.loads(p.read_text()) for p in (FIXTURES / "platform").glob("*.json")}
SPEC = load_spec(load_api("platform"), build_config())
BY_ID = {coll: {str(d["id"]): d for d in docs} for coll, docs in DATA.items() if isinstance(docs, list)}
NAMES = {ident: name for name, ident in USERS.items()}

# collection -> (spec path, URL template formatted with the document's fields)
SERVED_BY = {
    "users": ("/users/{user_id}", "/users/{id}"),
    "tenants": ("/tenants/{tenant_id}", "/tenants/{id}"),
    "contracts": ("/contracts/{contract_id}", "/contracts/{id}"),
    "workspaces": ("/workspaces/{workspace_id}", "/workspaces/{id}"),
    "workspace_members": ("/workspaces/{workspace_id}/members", "/workspaces/{workspace_id}/members"),
    "workspace_invites": ("/workspaces/{workspace_id}", "/workspaces/{workspace_id}?include=invites"),
    "contract_members": ("/contracts/{contract_id}/members", "/contracts/{contract_id}/members"),
    "contract_invites": ("/contracts/{contract_id}/invites", "/contracts/{contract_id}/invites"),
    "teams": ("/teams/{team_id}", "/teams/{id}"),
    "components": ("/components/{component_id}", "/components/{id}"),
    "component_versions": ("/components/{component_id}/versions", "/components/{component_id}/versions"),
    "descriptors": ("/components/{component_id}/versions/{revision_id}/descriptor",
                    "/components/{component_id}/versions/{id}/descriptor"),
    "component_envs": ("/components/{component_id}/env", "/components/{id}/env"),
    "flows": ("/flows/{flow_id}", "/flows/{id}"),
    "flow_versions": ("/flows/{flow_id}/versions/{version_id}", "/flows/{flow_id}/versions/{id}"),
    "flow_drafts": ("/flows/{flow_id}/draft", "/flows/{flow_id}/draft"),
    "flow_containers": ("/flows/{flow_id}", "/flows/{flow_id}?include=flow-containers"),
    "snapshots": ("/flows/{flow_id}/snapshots/{step_id}", "/flows/{flow_id}/snapshots/{step_id}"),
    "credentials": ("/credentials/{credential_id}", "/credentials/{id}"),
    "recipes": ("/recipes/{recipe_id}", "/recipes/{id}"),
    "topics": ("/workspaces/{workspace_id}/topics/{topic_id}", "/workspaces/{workspace_id}/topics/{id}"),
    "auth_clients": ("/auth-clients/{auth_client_id}", "/auth-clients/{id}?{scope}"),
    "auth_secrets": ("/workspaces/{workspace_id}/secrets/{secret_id}", "/workspaces/{workspace_id}/secrets/{id}"),
    "data_samples": ("/data-samples/{data_sample_id}", "/data-samples/{id}"),
    "sshkeys": ("/sshkeys", "/sshkeys"),
    "certificates": ("/tenants/{tenant_id}/certificates/{certificate_id}", "/tenants/{tenant_id}/certificates/{id}"),
    "oauth_clients": ("/tenants/{tenant_id}/oauth-clients/{oauth_client_id}",
                      "/tenants/{tenant_id}/oauth-clients/{id}"),
    "openid_providers": ("/tenants/{tenant_id}/openid/providers/{provider_id}",
                         "/tenants/{tenant_id}/openid/providers/{id}"),
    "saml_providers": ("/tenants/{tenant_id}/saml/providers/{provider_id}", "/tenants/{tenant_id}/saml/providers/{id}"),
    "logs": ("/logs", "/logs?workspace_id={workspace_id}"),
    "queues": ("/stats/queues/{flow_id}", "/stats/queues/{flow_id}"),
    "quota_usages": ("/quota-usages/flows/{flow_id}/history", "/quota-usages/flows/{flow_id}/history"),
}
# Served only when made (the POST answers them) or read through other documents.
NOT_SERVED_ALONE = {"openid_identities", "access"}


def tenant_of(doc: dict) -> str:
    if doc["id"] in BY_ID["tenants"]:
        return doc["id"]
    for field, coll in (("workspace_id", "workspaces"), ("flow_id", "flows"), ("component_id", "components"),
                        ("contract_id", "contracts")):
        if doc.get(field) in BY_ID[coll]:
            return tenant_of(BY_ID[coll][doc[field]])
    if doc.get("tenant_id"):
        return doc["tenant_id"]
    return BY_ID["users"][doc["user_id"]]["tenant_id"] if "user_id" in doc else T1  # global: anyone


def reader(coll: str, doc: dict) -> str:
    if coll == "sshkeys":
        return NAMES[doc["user_id"]]
    return "alice" if tenant_of(doc) == T1 else "dave"


def scope(doc: dict) -> str:
    for field in ("workspace_id", "contract_id", "tenant_id"):
        if doc.get(field):
            return f"{field}={doc[field]}"
    return ""


CASES = [(coll, doc) for coll in SERVED_BY for doc in DATA[coll]]


def test_every_fixture_collection_is_served():
    assert set(DATA) - set(SERVED_BY) == NOT_SERVED_ALONE


@pytest.mark.parametrize("coll, doc", CASES, ids=[f"{c}-{d['id']}" for c, d in CASES])
def test_fixture_matches_its_response_schema(client, coll, doc):
    spec_path, template = SERVED_BY[coll]
    fields = {k: v for k, v in doc.items() if isinstance(v, str)}
    response = client.get(BASE + template.format(**fields, scope=scope(doc)), headers=auth(reader(coll, doc)))
    assert response.status_code == 200, response.text
    schema = SPEC["paths"][spec_path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    errors = [e.message for e in Draft4ResponseValidator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)
              .iter_errors(response.json())]
    assert errors == []
    assert public_id(coll, doc) in json.dumps(response.json())


def public_id(coll: str, doc: dict) -> str:
    """The id a client sees: members by user, snapshots by step, usage rows by day."""
    if coll.endswith("_members"):
        return doc["user_id"]
    return doc.get("step_id") or doc["id"].split(":")[-1]
