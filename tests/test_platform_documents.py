"""JSON:API documents: paging with meta totals and links, `include`, filters, sort and search,
partial PATCH, create and delete, trailing slashes and the docs' mistaken recipe path."""

import pytest

from platform_helpers import ACTIVE_FLOW, BASE, C1, FLOW, RECIPE, TOPIC, USERS, W1, W2, auth, doc, rel

FLOWS_W1 = 6


@pytest.mark.parametrize("query, count, meta, has_prev, has_next", [
    # documented default: 50 per page
    ("", FLOWS_W1, {"page": 1, "per_page": 50, "total": FLOWS_W1, "total_pages": 1}, False, False),
    ("&page[size]=4", 4, {"page": 1, "per_page": 4, "total": FLOWS_W1, "total_pages": 2}, False, True),
    ("&page[size]=4&page[number]=2", 2, {"page": 2, "per_page": 4, "total": FLOWS_W1, "total_pages": 2}, True, False),
    ("&page[size]=1&page[number]=3", 1, {"page": 3, "per_page": 1, "total": FLOWS_W1, "total_pages": 6}, True, True),
    # past the end: an empty page
    ("&page[size]=4&page[number]=9", 0, {"page": 9, "per_page": 4, "total": FLOWS_W1, "total_pages": 2}, True, False),
])
def test_flow_paging(client, query, count, meta, has_prev, has_next):
    body = client.get(f"{BASE}/flows?workspace_id={W1}{query}", headers=auth("alice")).json()
    assert (len(body["data"]), body["meta"]) == (count, meta)
    assert ("prev" in body["links"], "next" in body["links"]) == (has_prev, has_next)


def test_page_links_keep_the_other_parameters(client):
    body = client.get(f"{BASE}/flows?workspace_id={W1}&page[size]=4", headers=auth("alice")).json()
    assert body["links"]["next"] == f"{BASE}/flows?workspace_id={W1}&page%5Bnumber%5D=2&page%5Bsize%5D=4"


@pytest.mark.parametrize("path, per_page", [
    ("/workspaces", 20),
    ("/contracts", 20),
    ("/users", 50),
    (f"/recipes?workspace_id={W1}", 50),
    (f"/flows/{FLOW}/versions", 50),
])
def test_documented_page_sizes(client, path, per_page):
    assert client.get(BASE + path, headers=auth("alice")).json()["meta"]["per_page"] == per_page


@pytest.mark.parametrize("query, names", [
    ("filter[status]=active", ["Sync pets to CRM", "Order webhook", "Slack alerts"]),
    ("filter[type]=long_running", ["Order webhook"]),
    (f"filter[user]={USERS['bob']}", ["Inventory poller", "Slack alerts"]),
    ("filter[has_draft]=true", ["Sync pets to CRM", "Customer onboarding"]),
    ("filter[status]=active&filter[user]=" + USERS["bob"], ["Slack alerts"]),
    ("search=  EXPORT ", ["Nightly invoice export"]),
    ("search=flow&filter[status]=inactive", ["Nightly invoice export", "Inventory poller"]),
    ("sort=name&page[size]=3", ["Customer onboarding", "Inventory poller", "Nightly invoice export"]),
    ("sort=-name&page[size]=2", ["Sync pets to CRM", "Slack alerts"]),
])
def test_flow_filters_search_and_sort(client, query, names):
    body = client.get(f"{BASE}/flows?workspace_id={W1}&{query}", headers=auth("alice")).json()
    assert [f["attributes"]["name"] for f in body["data"]] == names


@pytest.mark.parametrize("path, include, types", [
    (f"/workspaces/{W1}", "members", {("member", 3)}),
    (f"/workspaces/{W1}", "invites", {("workspace-invite", 1)}),
    (f"/workspaces/{W1}", "members,invites", {("member", 3), ("workspace-invite", 1)}),
    (f"/contracts/{C1}", "members", {("contract-member", 4)}),
    (f"/contracts/{C1}", "members,invites", {("contract-member", 4), ("contract-invite", 1)}),
    # flows (PR#492): a running flow's containers (2 steps, 1 mapper), its steps' descriptors
    (f"/flows/{ACTIVE_FLOW}", "flow-containers", {("flow-container", 3)}),
    (f"/flows/{ACTIVE_FLOW}", "descriptor", {("descriptor", 2)}),
    (f"/flows/{ACTIVE_FLOW}", "descriptor,flow-containers", {("flow-container", 3), ("descriptor", 2)}),
    (f"/flows/{FLOW}", "flow-containers", set()),  # stopped: no containers
    (f"/flows/{FLOW}", "descriptor", {("descriptor", 2)}),
    # a list: 3 running flows' containers; the 2 descriptors they all share, once
    (f"/flows?workspace_id={W1}", "flow-containers,descriptor", {("flow-container", 9), ("descriptor", 2)}),
])
def test_include(client, path, include, types):
    body = client.get(f"{BASE}{path}{'&' if '?' in path else '?'}include={include}", headers=auth("alice")).json()
    kinds = [i["type"] for i in body["included"]]
    assert {(k, kinds.count(k)) for k in kinds} == types


@pytest.mark.parametrize("relationship", ["flow-containers", "descriptor"])
def test_flow_relationship_points_at_what_is_included(client, relationship):
    body = client.get(f"{BASE}/flows/{ACTIVE_FLOW}?include={relationship}", headers=auth("alice")).json()
    linked = [(r["type"], r["id"]) for r in body["data"]["relationships"][relationship]["data"]]
    assert linked == [(i["type"], i["id"]) for i in body["included"]]


def test_included_flow_container_names_its_step_and_flow(client):
    body = client.get(f"{BASE}/flows/{ACTIVE_FLOW}?include=flow-containers", headers=auth("alice")).json()
    mapper = body["included"][-1]
    assert (mapper["id"], mapper["attributes"]) == (f"{ACTIVE_FLOW}_mapper:step_1:step_2",
                                                    {"step_id": "mapper:step_1:step_2"})
    assert mapper["relationships"]["flow"]["data"] == {"id": ACTIVE_FLOW, "type": "flow"}


def test_included_descriptor_is_the_steps_component_version(client):
    body = client.get(f"{BASE}/flows/{FLOW}?include=descriptor", headers=auth("alice")).json()
    titles = {i["id"]: i["attributes"]["repo_name"] for i in body["included"]}
    assert titles == {"1a5633a6a584bf9ab5ab7c4493234c9ff189eb27": "timer",
                      "430d5ab92e88ed3d1bf363ad67886d9dd73c20ec": "petstore"}


def test_without_include_there_is_no_included(client):
    assert "included" not in client.get(f"{BASE}/workspaces/{W1}", headers=auth("alice")).json()


def test_included_members_carry_the_users_names(client):
    body = client.get(f"{BASE}/workspaces/{W1}?include=members", headers=auth("alice")).json()
    bob = next(m for m in body["included"] if m["id"] == USERS["bob"])
    assert bob["attributes"] == {"first_name": "Bob", "last_name": "Brandt", "email": "bob@acme.example",
                                 "roles": ["integrator"]}


def test_resource_object_shape(client):
    data = client.get(f"{BASE}/flows/{FLOW}", headers=auth("alice")).json()["data"]
    assert (data["id"], data["type"], data["links"]["self"]) == (FLOW, "flow", f"{BASE}/flows/{FLOW}")
    assert data["relationships"]["workspace"] == {"data": {"id": W1, "type": "workspace"},
                                                  "links": {"self": f"{BASE}/workspaces/{W1}"}}


def test_create_answers_201_with_the_new_resource(client):
    response = client.post(f"{BASE}/workspaces/{W1}/topics", headers=auth("alice"),
                           json=doc("topic", {"name": "Invoice", "schema": {"type": "object"}}))
    data = response.json()["data"]
    assert (response.status_code, data["attributes"]["name"]) == (201, "Invoice")
    assert client.get(data["links"]["self"].replace("/topics/", f"/workspaces/{W1}/topics/"),
                      headers=auth("alice")).status_code == 200


def test_patch_is_partial(client):
    client.patch(f"{BASE}/workspaces/{W1}/topics/{TOPIC}", headers=auth("alice"),
                 json=doc("topic", {"name": "Human"}, id=TOPIC))
    attributes = client.get(f"{BASE}/workspaces/{W1}/topics/{TOPIC}", headers=auth("alice")).json()["data"]["attributes"]
    assert (attributes["name"], attributes["schema"]["title"]) == ("Human", "Person")


def test_delete_answers_204_and_the_resource_is_gone(client):
    response = client.delete(f"{BASE}/workspaces/{W1}/topics/{TOPIC}", headers=auth("alice"))
    assert (response.status_code, response.content) == (204, b"")
    assert client.get(f"{BASE}/workspaces/{W1}/topics/{TOPIC}", headers=auth("alice")).status_code == 404


def test_client_generated_id_already_taken_is_409(client):
    body = doc("topic", {"name": "Copy", "schema": {}}, id=TOPIC)
    assert client.post(f"{BASE}/workspaces/{W1}/topics", headers=auth("alice"), json=body).status_code == 409


@pytest.mark.parametrize("path", [
    f"/flows/?workspace_id={W1}",
    f"/flows/{FLOW}/",
    f"/workspaces/{W1}/members/",
    f"/contracts/{C1}/",
    f"/credentials/?workspace_id={W1}",
])
def test_paths_with_a_trailing_slash(client, path):
    assert client.get(BASE + path, headers=auth("alice")).status_code == 200


@pytest.mark.parametrize("method, path, status", [
    ("DELETE", f"/recipe/{RECIPE}", 204),  # the docs' request line
    ("GET", f"/recipe/{RECIPE}", 404),  # no client reads from the mistaken path
])
def test_mistaken_recipe_path(client, method, path, status):
    assert client.request(method, BASE + path, headers=auth("alice")).status_code == status


def test_workspace_list_by_contract_for_an_admin_lists_all(client):
    body = client.get(f"{BASE}/workspaces?contract_id={C1}", headers=auth("bob")).json()
    assert [w["id"] for w in body["data"]] == [W1, W2]


def test_credentials_filter_by_component(client):
    body = client.get(f"{BASE}/credentials?workspace_id={W1}&filter[component]=5b0d6d4b2c3f1a0012000003",
                      headers=auth("alice")).json()
    assert body["data"] == []


def test_relationship_to_an_unknown_resource_is_404(client):
    body = doc("credential", {"name": "x"}, {"component": rel("component", "5b0d6d4b2c3f1a0012ffffff"),
                                             "workspace": rel("workspace", W2)})
    response = client.post(f"{BASE}/credentials", headers=auth("alice"), json=body)
    assert (response.status_code, response.json()["errors"][0]["source"]) == (
        404, {"parameter": {"id": "5b0d6d4b2c3f1a0012ffffff"}})


@pytest.mark.parametrize("query, total", [
    ("", 12),  # two lines for each of the six flows
    ("&levels[]=50", 6),
    ("&levels[]=30&levels[]=50", 12),
    (f"&flow_ids[]={FLOW}", 2),
    ("&from=2024-05-02T00:00:00.000Z", 6),
    ("&search=FAILED", 6),
])
def test_log_search(client, query, total):
    body = client.get(f"{BASE}/logs?workspace_id={W1}{query}", headers=auth("alice")).json()
    assert body["total"] == total


def test_log_search_marks_the_match(client):
    hit = client.get(f"{BASE}/logs?workspace_id={W1}&search=failed&limit=1", headers=auth("alice")).json()["hits"][0]
    assert hit["message"] == "Request <em>failed</em> with status 503"


@pytest.mark.parametrize("group_by, days", [
    ("day", ["2024-04-30", "2024-05-01", "2024-05-02"]),
    ("month", ["2024-04-01", "2024-05-01"]),
])
def test_quota_history_groups(client, group_by, days):
    path = f"/quota-usages/flows/{FLOW}/history?group_by={group_by}"
    assert [row["id"] for row in client.get(BASE + path, headers=auth("alice")).json()["data"]] == days


def test_quota_totals_of_a_workspace(client):
    body = client.get(f"{BASE}/quota-usages/workspaces/{W2}", headers=auth("alice")).json()
    assert body["data"] == {"memory": 3 * 256 * (7 + 8 + 9), "cpu": 3 * 100 * (7 + 8 + 9), "flows": 3}


def test_queue_stats_cover_every_step(client):
    stats = client.get(f"{BASE}/stats/queues/5b0d6d4b2c3f1a0013000001", headers=auth("alice")).json()
    assert [(s["step_id"], s["total"]) for s in stats["data"]["attributes"]["stats"]] == [("step_1", 0), ("step_2", 12)]


# -- path ids that name something other than the resource's own stored id (api-docs' placeholders) -----
ALICE = USERS["alice"]
PETSTORE_LATEST = "430d5ab92e88ed3d1bf363ad67886d9dd73c20ec"


@pytest.mark.parametrize("method, path, body, status, public_id", [
    # members: {USER_ID}, the user's id (never the membership's)
    ("PATCH", f"/workspaces/{W1}/members/{ALICE}", doc("member", {"roles": ["owner"]}, id=ALICE), 200, ALICE),
    ("PATCH", f"/workspaces/{W1}/members/{W1}:{ALICE}", doc("member", {"roles": ["owner"]}, id=f"{W1}:{ALICE}"),
     404, None),
    ("PATCH", f"/contracts/{C1}/members/{ALICE}", doc("contract-member", {"roles": ["owner"]}, id=ALICE), 200, ALICE),
    # snapshots: {STEP_ID}
    ("GET", f"/flows/{FLOW}/snapshots/step_1", None, 200, "step_1"),
    ("GET", f"/flows/{FLOW}/snapshots/{FLOW}:step_1", None, 404, None),
    # component versions: {GIT_REVISION}, or `latest` for the newest build
    ("GET", "/components/5b0d6d4b2c3f1a0012000002/versions/latest/descriptor", None, 200, PETSTORE_LATEST),
    ("GET", f"/components/5b0d6d4b2c3f1a0012000002/versions/{PETSTORE_LATEST}/descriptor", None, 200,
     PETSTORE_LATEST),
    # queue stats: {FLOW_ID}
    ("GET", f"/stats/queues/{ACTIVE_FLOW}", None, 200, ACTIVE_FLOW),
])
def test_path_ids_mean_what_the_vendor_means(client, method, path, body, status, public_id):
    response = client.request(method, BASE + path, json=body, headers=auth("alice"))
    assert response.status_code == status, response.text
    if public_id:
        assert response.json()["data"]["id"] == public_id
