"""Actions change state as documented: flows start and stop, edits make versions, drafts and
snapshots follow the flow, executions become ready, contracts suspend, members come and go."""

import base64
import hashlib

import pytest

from platform_helpers import (ACTIVE_FLOW, BASE, C1, CODE_REVISION, FLOW, PETSTORE, RECIPE, T1, USERS, W1, W2, auth,
                              debug_body, doc, rel)


def get(client, path, user="alice"):
    return client.get(BASE + path, headers=auth(user))


def post(client, path, body=None, user="alice"):
    return client.post(BASE + path, headers=auth(user), json=body)


def status_of(client, flow_id):
    return get(client, f"/flows/{flow_id}").json()["data"]["attributes"]["status"]


@pytest.mark.parametrize("action, flow_id, status, answer", [
    ("start", FLOW, "active", 202),
    ("stop", ACTIVE_FLOW, "inactive", 202),
    ("start", ACTIVE_FLOW, "active", 202),
])
def test_start_and_stop(client, action, flow_id, status, answer):
    assert post(client, f"/flows/{flow_id}/{action}").status_code == answer
    assert status_of(client, flow_id) == status


@pytest.mark.parametrize("flow_id, status, current", [
    (ACTIVE_FLOW, 202, "active"),
    (FLOW, 409, "inactive"),  # a stopped flow does not run
])
def test_run_now(client, flow_id, status, current):
    assert post(client, f"/flows/{flow_id}/run-now").status_code == status
    assert get(client, f"/flows/{flow_id}").json()["data"]["attributes"]["current_status"] == current


def test_suspended_flow_reports_suspended(client):
    attributes = post(client, f"/flows/{ACTIVE_FLOW}/suspend").json()["data"]["attributes"]
    assert (attributes["status"], attributes["current_status"]) == ("inactive", "suspended")


def test_start_answers_the_running_flow(client):
    attributes = post(client, f"/flows/{FLOW}/start").json()["data"]["attributes"]
    assert (attributes["status"], attributes["current_status"]) == ("active", "active")
    assert attributes["last_start_time"] == attributes["due_execution"]


def test_stop_answers_an_empty_document(client):
    assert post(client, f"/flows/{ACTIVE_FLOW}/stop").json() == {"data": {}, "meta": {}}


def containers(client, flow_id):
    body = get(client, f"/flows/{flow_id}?include=flow-containers").json()
    return [c["attributes"]["step_id"] for c in body["included"]]


@pytest.mark.parametrize("action, flow_id, steps", [
    ("start", FLOW, ["step_1", "step_2", "mapper:step_1:step_2"]),
    ("run-now", ACTIVE_FLOW, ["step_1", "step_2", "mapper:step_1:step_2"]),
    ("stop", ACTIVE_FLOW, []),
    ("suspend", ACTIVE_FLOW, []),
])
def test_containers_follow_the_flows_status(client, action, flow_id, steps):
    post(client, f"/flows/{flow_id}/{action}")
    assert containers(client, flow_id) == steps


def test_editing_a_running_flow_replaces_its_containers(client):
    graph = {"nodes": [{"id": "step_1", "command": "acme-devs/timer:timer@latest"}], "edges": []}
    client.patch(f"{BASE}/flows/{ACTIVE_FLOW}", headers=auth("alice"), json=doc("flow", {"graph": graph}, id=ACTIVE_FLOW))
    assert containers(client, ACTIVE_FLOW) == ["step_1"]


def start_debug(client, user="alice"):
    response = post(client, "/flows/start-debug", debug_body(W1), user=user)
    assert response.status_code == 202, response.text
    return response.json()["data"]


def test_start_debug_answers_the_running_debug_flow(client):
    flow = start_debug(client)
    attributes = {k: flow["attributes"][k] for k in ("type", "status", "current_status", "timeout")}
    assert attributes == {"type": "debug", "status": "active", "current_status": "active", "timeout": 120}
    assert flow["relationships"]["queue"]["data"] == {"id": f"{W1}.{flow['id']}.debug", "type": "queue-name"}
    assert flow["relationships"]["workspace"]["data"]["id"] == W1


def test_debug_run_is_there_to_read_but_not_listed(client):
    flow = start_debug(client)
    read = client.get(flow["links"]["self"] + "?include=flow-containers,descriptor", headers=auth("alice")).json()
    assert sorted((i["type"], i["id"]) for i in read["included"]) == [
        ("descriptor", CODE_REVISION), ("flow-container", f"{flow['id']}_step_1")]
    listed = [f["id"] for f in get(client, f"/flows?workspace_id={W1}").json()["data"]]
    assert flow["id"] not in listed
    stats = get(client, f"/stats/queues/{flow['id']}").json()["data"]["attributes"]["stats"]
    assert [s["step_id"] for s in stats] == ["step_1"]


def test_stopped_debug_run_has_no_containers(client):
    flow = start_debug(client)
    assert post(client, f"/flows/{flow['id']}/stop").status_code == 202
    assert (status_of(client, flow["id"]), containers(client, flow["id"])) == ("inactive", [])


def test_debug_run_belongs_to_who_started_it(client):
    flow = start_debug(client, user="bob")
    assert flow["relationships"]["user"]["data"]["id"] == USERS["bob"]


def test_patch_makes_a_new_latest_version(client):
    client.patch(f"{BASE}/flows/{FLOW}", headers=auth("alice"), json=doc("flow", {"name": "Renamed"}, id=FLOW))
    flow = get(client, f"/flows/{FLOW}").json()["data"]
    versions = get(client, f"/flows/{FLOW}/versions").json()
    latest = flow["relationships"]["latest_version"]["data"]["id"]
    assert (versions["meta"]["total"], versions["data"][-1]["id"]) == (2, latest)
    assert get(client, f"/flows/{FLOW}/versions/{latest}").json()["data"]["attributes"]["name"] == "Renamed"


def test_draft_put_then_get_then_delete(client):
    client.put(f"{BASE}/flows/{FLOW}/draft", headers=auth("alice"), json=doc("flow-draft", {"name": "Next"}))
    assert get(client, f"/flows/{FLOW}/draft").json()["data"]["attributes"]["name"] == "Next"
    assert client.delete(f"{BASE}/flows/{FLOW}/draft", headers=auth("alice")).status_code == 204
    assert get(client, f"/flows/{FLOW}/draft").status_code == 404


@pytest.mark.parametrize("flow_id, step, status", [
    (FLOW, "step_2", 201),  # a step without a snapshot
    (FLOW, "step_1", 409),  # already has one
    (FLOW, "step_9", 404),  # no such step
    (ACTIVE_FLOW, "step_2", 409),  # the flow runs
])
def test_create_snapshot(client, flow_id, step, status):
    body = doc("snapshot", {"snapshot": {"cursor": 7}}, id=step)
    assert post(client, f"/flows/{flow_id}/snapshots", body).status_code == status


def test_copy_into_a_workspace_makes_a_flow_with_a_draft(client):
    body = doc("flow-copy", {"name": "Copied"}, {"dest_workspace": rel("workspace", W2)})
    data = post(client, f"/flows/{FLOW}/copy", body).json()["data"]
    draft = get(client, f"/flows/{data['id']}/draft").json()["data"]
    assert (data["relationships"]["workspace"]["data"]["id"], draft["attributes"]["name"]) == (W2, "Copied")


def test_scheduled_execution_goes_from_pending_to_result(client):
    body = doc("verify-credential", {"fields": {"apiKey": "k"}}, {"workspace": rel("workspace", W1)})
    scheduled = post(client, f"/components/{PETSTORE}/versions/latest/verify-credential", body)
    poll = scheduled.headers["Location"].split("/v2", 1)[1]
    result = poll.replace("/poll/", "/result/")
    not_ready = get(client, result).status_code
    first = get(client, poll)
    second = client.get(BASE + poll, headers=auth("alice"), follow_redirects=False)
    answers = (scheduled.status_code, not_ready, first.status_code, second.status_code)
    assert answers == (202, 409, 200, 303)
    assert second.headers["Location"] == BASE + result
    assert get(client, result).json()["data"]["attributes"]["result"] == {"data": {"verified": True}}


def test_suspended_contract_stops_flows_and_refuses_starts(client):
    assert post(client, f"/contracts/{C1}/suspend").status_code == 202
    assert (status_of(client, ACTIVE_FLOW), post(client, f"/flows/{FLOW}/start").status_code) == ("inactive", 409)
    assert containers(client, ACTIVE_FLOW) == []


def test_suspended_contract_refuses_debug_runs(client):
    post(client, f"/contracts/{C1}/suspend")
    assert post(client, "/flows/start-debug", debug_body(W1)).status_code == 409


@pytest.mark.parametrize("times, status", [(1, 204), (2, 409)])
def test_unsuspend(client, times, status):
    post(client, f"/contracts/{C1}/suspend")
    for _ in range(times):
        response = post(client, f"/contracts/{C1}/unsuspend")
    assert response.status_code == status


def test_last_contract_owner_stays(client):
    response = client.delete(f"{BASE}/contracts/{C1}/members/{USERS['alice']}", headers=auth("alice"))
    assert (response.status_code, response.json()["errors"][0]["detail"]) == (
        409, "You can not remove the last owner in the contract.")


def test_added_workspace_member_is_listed(client):
    post(client, f"/workspaces/{W1}/members", doc("member", {"roles": ["guest"]}, id=USERS["frank"]))
    members = get(client, f"/workspaces/{W1}/members").json()["data"]
    assert {m["id"]: m["attributes"]["roles"] for m in members}[USERS["frank"]] == ["guest"]


def test_removed_member_loses_access(client):
    client.delete(f"{BASE}/workspaces/{W1}/members/{USERS['carol']}", headers=auth("alice"))
    assert get(client, f"/flows?workspace_id={W1}", user="carol").status_code == 403


def test_support_user_joins_as_owner(client):
    client.patch(f"{BASE}/workspaces/{W2}/members/support", headers=auth("alice"))
    members = get(client, f"/workspaces/{W2}/members").json()["data"]
    assert {m["id"]: m["attributes"]["roles"] for m in members}[USERS["alice"]] == ["owner"]


def test_recipe_activation_makes_flows(client):
    body = doc("recipe-activation-config", {"credentials": {"step_1": "5b0d6d4b2c3f1a0015000001"},
                                            "variables": {"email": "ops@acme.example"}},
               {"workspace": rel("workspace", W2)})
    made = post(client, f"/recipes/{RECIPE}/activate", body).json()["data"]["relationships"]["flows"]
    flow = get(client, f"/flows/{made[0]['data']['id']}").json()["data"]
    assert flow["attributes"]["graph"]["nodes"][0]["credentials_id"] == "5b0d6d4b2c3f1a0015000001"


def test_granted_tenant_admin_can_list_users(client):
    client.patch(f"{BASE}/tenants/{T1}/members/{USERS['bob']}", headers=auth("alice"),
                 json=doc("tenant-member", {"roles": ["tenant-admin"]}))
    assert get(client, "/users", user="bob").status_code == 200


@pytest.mark.parametrize("times, status", [(1, 201), (2, 409)])
def test_create_user_once_per_email(client, times, status):
    body = doc("user", {"first_name": "Gus", "last_name": "Grey", "email": "gus@acme.example", "password": "p4ss-word!"})
    for _ in range(times):
        response = post(client, "/users", body)
    assert response.status_code == status


def test_deleted_ssh_key_is_gone_from_the_list(client):
    client.delete(f"{BASE}/sshkeys/5b0d6d4b2c3f1a0018000001", headers=auth("alice"))
    assert get(client, "/sshkeys").json()["data"] == []


def test_ssh_key_fingerprint_is_computed(client):
    body = doc("sshkey", {"key": "ssh-rsa AAAAB3NzaC1yc2E= bob@desk", "title": "desk"})
    attributes = post(client, "/sshkeys", body, user="bob").json()["data"]["attributes"]
    digest = hashlib.md5(base64.b64decode("AAAAB3NzaC1yc2E=")).hexdigest()  # ssh-keygen -l -E md5
    assert attributes["fingerprint"] == ":".join(digest[i:i + 2] for i in range(0, 32, 2))


def test_certificate_upload_as_a_pem_file(client):
    pem = get(client, f"/tenants/{T1}/certificates/5b0d6d4b2c3f1a0021000001").json()["data"]["attributes"]["publicKey"]
    key = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"
    response = client.post(f"{BASE}/tenants/{T1}/certificates", headers=auth("alice"),
                           files={"cert": ("acme.pem", pem + key)})
    created = response.json()
    assert (response.status_code, created["data"]["attributes"]["privateKey"]) == (201, key.strip())
    assert created["meta"]["subject"] == {"commonName": "*.acme.example"}


def test_certificate_private_key_is_shown_only_on_create(client):
    body = doc("certificate", {"publicKey": "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----",
                               "privateKey": "-----BEGIN PRIVATE KEY-----\ny\n-----END PRIVATE KEY-----"})
    created = post(client, f"/tenants/{T1}/certificates", body).json()["data"]
    shown = get(client, f"/tenants/{T1}/certificates/{created['id']}").json()["data"]["attributes"]
    assert ("privateKey" in created["attributes"], "privateKey" in shown) == (True, False)
