"""Who may do what: tenant, contract and workspace membership and the permissions of the roles
held there. Another contract's data does not exist for a user (404); inside their contract a
missing membership or permission is 403."""

import pytest

from platform_helpers import (BASE, C1, C2, CRM_COMMAND, FLOW, GLOBEX_FLOW, RECIPE, T1, T2, TOPIC, USERS, W1, W2,
                              W3, auth, debug_body, doc, rel)

TOPIC_BODY = doc("topic", {"name": "Invoice", "schema": {"type": "object"}})
FLOW_BODY = doc("flow", {"name": "New", "type": "ordinary", "graph": {"nodes": [], "edges": []},
                         "default_mapper_type": "jsonata"}, {"workspace": rel("workspace", W1)})

PERMISSIONS = [
    # workspace membership and workspace roles
    ("alice", "GET", f"/flows?workspace_id={W1}", None, 200),  # owner
    ("carol", "GET", f"/flows?workspace_id={W1}", None, 200),  # guest: reads
    ("frank", "GET", f"/flows?workspace_id={W1}", None, 403),  # in the contract, not the workspace
    ("carol", "GET", f"/workspaces/{W2}", None, 403),  # not a member of the sandbox
    ("bob", "GET", f"/workspaces/{W2}", None, 200),  # member
    ("frank", "GET", f"/workspaces/{W1}", None, 403),
    ("bob", "POST", "/flows", FLOW_BODY, 201),  # integrator: workspaces.flow.edit
    ("carol", "POST", "/flows", FLOW_BODY, 403),  # guest
    ("bob", "POST", f"/flows/{FLOW}/start", None, 202),  # integrator: toggleStatus
    ("carol", "POST", f"/flows/{FLOW}/start", None, 403),
    ("bob", "POST", "/flows/start-debug", debug_body(W1), 202),  # integrator: workspaces.flow.edit
    ("carol", "POST", "/flows/start-debug", debug_body(W1), 403),  # guest
    ("frank", "POST", "/flows/start-debug", debug_body(W1), 403),  # in the contract, not the workspace
    ("dave", "POST", "/flows/start-debug", debug_body(W1), 404),  # another contract's workspace
    ("dave", "POST", "/flows/start-debug", debug_body(W3, command=CRM_COMMAND), 202),
    ("dave", "POST", "/flows/start-debug", debug_body(W3), 404),  # a step of Acme's code component
    ("bob", "POST", f"/workspaces/{W1}/topics", TOPIC_BODY, 201),
    ("carol", "POST", f"/workspaces/{W1}/topics", TOPIC_BODY, 403),
    ("carol", "GET", f"/workspaces/{W1}/topics/{TOPIC}", None, 403),  # guests lack workspaces.topic.get
    ("bob", "PATCH", f"/workspaces/{W1}", doc("workspace", {"name": "Prod"}), 403),  # integrator: no workspace.edit
    ("bob", "PATCH", f"/workspaces/{W2}", doc("workspace", {"name": "Sandbox 2"}), 200),  # admin there
    ("bob", "PATCH", f"/workspaces/{W2}", doc("workspace", {"type": "full"}), 403),  # edit_type: owners only
    ("alice", "PATCH", f"/workspaces/{W2}", doc("workspace", {"type": "full"}), 200),
    # another contract's data does not exist
    ("alice", "GET", f"/flows/{GLOBEX_FLOW}", None, 404),
    ("alice", "GET", f"/workspaces/{W3}", None, 404),
    ("alice", "GET", f"/contracts/{C2}", None, 404),
    ("dave", "GET", f"/flows/{FLOW}", None, 404),
    ("dave", "GET", f"/recipes/{RECIPE}", None, 404),
    ("dave", "GET", f"/flows/{GLOBEX_FLOW}", None, 200),
    # contract roles
    ("bob", "POST", "/workspaces", doc("workspace", {"name": "QA"}, {"contract": rel("contract", C1)}), 201),
    ("frank", "POST", "/workspaces", doc("workspace", {"name": "QA"}, {"contract": rel("contract", C1)}), 201),
    ("carol", "DELETE", f"/contracts/{C1}/invites/5b0d6d4b2c3f1a0011d0c001", None, 403),  # member: no membership.edit
    ("bob", "DELETE", f"/contracts/{C1}/invites/5b0d6d4b2c3f1a0011d0c001", None, 204),  # admin
    ("bob", "PATCH", f"/contracts/{C1}", doc("contract", {"name": "Renamed"}), 403),  # owner only
    ("alice", "PATCH", f"/contracts/{C1}", doc("contract", {"name": "Renamed"}), 200),
    ("frank", "GET", f"/teams?contract_id={C1}", None, 200),
    ("frank", "POST", "/teams", doc("team", {"name": "x"}, {"contract": rel("contract", C1)}), 403),
    # tenant admin and service account
    ("alice", "GET", "/users", None, 200),
    ("bob", "GET", "/users", None, 403),
    ("alice", "POST", "/contracts", doc("contract", {"name": "New contract"}), 201),
    ("bob", "POST", "/contracts", doc("contract", {"name": "New contract"}), 403),
    ("alice", "GET", f"/tenants/{T1}/roles", None, 200),
    ("alice", "GET", f"/tenants/{T2}", None, 404),
    ("bob", "GET", f"/tenants/{T1}", None, 403),
    ("alice", "POST", "/tenants", doc("tenant", {"name": "Initech", "app_domain": "app.initech.example", "code": "",
                                                 "mandrill_email_from": "noreply@initech.example"}), 403),
    ("svc", "POST", "/tenants", doc("tenant", {"name": "Initech", "app_domain": "app.initech.example", "code": "",
                                               "mandrill_email_from": "noreply@initech.example"}), 201),
    # a user sees themself, and others with tenants.user.get
    ("carol", "GET", f"/users/{USERS['carol']}", None, 200),
    ("carol", "GET", f"/users/{USERS['bob']}", None, 403),
    ("alice", "GET", f"/users/{USERS['dave']}", None, 404),
    # recipes: wider visibility needs wider permissions
    ("alice", "PATCH", f"/recipes/{RECIPE}/visibility", {"data": {"visibility": "tenant"}}, 200),
    ("bob", "PATCH", f"/recipes/{RECIPE}/visibility", {"data": {"visibility": "tenant"}}, 403),
    ("alice", "PATCH", f"/recipes/{RECIPE}/visibility", {"data": {"visibility": "global"}}, 403),
    # SSH keys are the caller's own
    ("bob", "DELETE", "/sshkeys/5b0d6d4b2c3f1a0018000001", None, 404),
    ("alice", "DELETE", "/sshkeys/5b0d6d4b2c3f1a0018000001", None, 204),
]


@pytest.mark.parametrize("user, method, path, body, status", PERMISSIONS)
def test_permissions(client, user, method, path, body, status):
    response = client.request(method, BASE + path, headers=auth(user), json=body)
    assert response.status_code == status, response.text


@pytest.mark.parametrize("user, contracts", [
    ("alice", [C1]),
    ("dave", [C2]),
    ("frank", [C1]),
])
def test_contract_list_is_the_callers(client, user, contracts):
    response = client.get(BASE + "/contracts", headers=auth(user))
    assert [c["id"] for c in response.json()["data"]] == contracts


@pytest.mark.parametrize("user, workspaces", [
    ("alice", [W1, W2]),
    ("carol", [W1]),
    ("frank", []),
    ("dave", [W3]),
])
def test_workspace_list_is_the_callers(client, user, workspaces):
    response = client.get(BASE + "/workspaces", headers=auth(user))
    assert [w["id"] for w in response.json()["data"]] == workspaces


def test_custom_data_needs_its_permission(client):
    seen = {user: client.get(f"{BASE}/contracts/{C1}", headers=auth(user)).json()["data"]["attributes"]
            for user in ("alice", "bob")}
    assert ("custom_data" in seen["alice"], "custom_data" in seen["bob"]) == (True, False)


def test_roles_are_data(client):
    """A tenant policy change takes effect at once: guests given topic reading can read."""
    roles = client.get(f"{BASE}/tenants/{T1}/roles", headers=auth("alice")).json()["data"]["attributes"]["roles"]
    for role in roles:
        if role["role"] == "guest":
            role["permissions"] = ["workspaces.topic.get"]
    client.patch(f"{BASE}/tenants/{T1}/roles", headers=auth("alice"),
                 json=doc("tenant-policy", {"roles": roles}))
    assert client.get(f"{BASE}/workspaces/{W1}/topics/{TOPIC}", headers=auth("carol")).status_code == 200
