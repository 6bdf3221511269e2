"""Flows, their versions, drafts and step snapshots. A flow's edits make a new version; start
and stop change its status and its containers (one per step and mapper while it runs); a running
flow's snapshots cannot change. A debug run is a flow of type `debug`, started at once."""

import secrets

from understudy import jsonapi
from understudy.context import store
from understudy.errors import ApiError, Violation, conflict, not_found
from understudy.responses import empty_response, json_response

from . import access
from .resources import FLOW, FLOW_DRAFT, FLOW_VERSION, SNAPSHOT, command_revision

VERSIONED = ("name", "description", "graph")  # what a flow version records
FLOW_PARTS = ("flow_versions", "flow_drafts", "snapshots", "flow_containers")
DEBUG_TIMEOUT = 120  # seconds, as PR#492's example of a debug run


# What a step may name, and how the caller reaches it.
STEP_REFERENCES = {"component_id": access.component, "credentials_id": access.credential, "secret_id": access.secret}


def checked_graph(graph) -> None:
    """Every step names components, versions, credentials and secrets the caller may use: another
    tenant's are not found, as a GET of them answers."""
    nodes = graph.get("nodes") if isinstance(graph, dict) else None
    for node in nodes if isinstance(nodes, list) else []:
        if not isinstance(node, dict):
            continue
        for name, reach in STEP_REFERENCES.items():
            if isinstance(node.get(name), str):
                reach(node[name])
        revision = command_revision(node)
        if revision:
            access.version(revision)


def graph_of(body: dict):
    return ((body.get("data") or {}).get("attributes") or {}).get("graph")


def not_suspended(workspace_id: str) -> None:
    workspace = store().get("workspaces", workspace_id)
    contract = store().get("contracts", workspace["contract_id"])
    if contract["attributes"].get("status") == "suspended":
        raise conflict(f"Contract {contract['id']} is suspended; flows cannot change")


def new_version(flow: dict) -> dict:
    version = {"id": secrets.token_hex(20), "flow_id": flow["id"], "user_id": access.me()["id"],
               "attributes": {**{k: flow["attributes"].get(k) for k in VERSIONED}, "created_at": jsonapi.now()}}
    store().insert("flow_versions", version)
    return store().update("flows", flow["id"], {"latest_version_id": version["id"]})


def place_containers(flow: dict) -> dict:
    """A running flow has a container per step and per mapper (`{flow}_{step}`); a stopped one none."""
    for container in store().find("flow_containers", flow_id=flow["id"]):
        store().delete("flow_containers", container["id"])
    if flow["attributes"].get("status") == "active":
        graph = flow["attributes"].get("graph") or {}
        steps = [n.get("id") for n in graph.get("nodes") or []]
        edges = [e.get("id") or f"mapper:{e.get('source')}:{e.get('target')}" for e in graph.get("edges") or []]
        mappers = [e for e in edges if isinstance(e, str) and e.startswith("mapper:")]
        for step in dict.fromkeys(s for s in steps + mappers if isinstance(s, str)):
            store().insert("flow_containers", {"id": f"{flow['id']}_{step}", "flow_id": flow["id"],
                                               "attributes": {"step_id": step}})
    return flow


async def list_flows(workspace_id, **params):
    access.workspace(workspace_id)
    flows = [f for f in store().find("flows", workspace_id=workspace_id) if f["attributes"].get("type") != "debug"]
    return json_response(jsonapi.collection(FLOW, flows, params))


async def get_flow(flow_id, include=None):
    return jsonapi.respond(FLOW, access.flow(flow_id), include=include)


async def create_flow(body):
    doc = jsonapi.build(FLOW, body, {"user_id": access.me()["id"]})
    if not doc.get("workspace_id"):
        raise ApiError("validation", "A flow needs a workspace",
                       [Violation("body", "/data/relationships/workspace", "is required")])
    access.workspace(doc["workspace_id"], "workspaces.flow.edit")
    not_suspended(doc["workspace_id"])
    checked_graph(doc["attributes"].get("graph"))
    return jsonapi.respond(FLOW, new_version(jsonapi.insert(FLOW, doc)), 201)


async def update_flow(flow_id, body):
    flow = access.flow(flow_id, "workspaces.flow.edit")
    not_suspended(flow["workspace_id"])
    checked_graph(graph_of(body))
    return jsonapi.respond(FLOW, place_containers(new_version(jsonapi.update(FLOW, flow, body))))


def set_status(flow_id: str, status: str, **extra) -> dict:
    flow = access.flow(flow_id, "workspaces.flow.toggleStatus")
    not_suspended(flow["workspace_id"])
    return place_containers(store().update("flows", flow_id, lambda d: d["attributes"].update(
        status=status, current_status=status, updated_at=jsonapi.now(), **extra)))


async def start_flow(flow_id):
    now = jsonapi.now()
    return jsonapi.respond(FLOW, set_status(flow_id, "active", last_start_time=now, due_execution=now), 202)


async def stop_flow(flow_id):
    set_status(flow_id, "inactive")
    return json_response({"data": {}, "meta": {}}, 202)


async def run_now(flow_id):
    if access.flow(flow_id)["attributes"].get("status") != "active":
        raise conflict(f"Flow {flow_id} is stopped; start it to run it")
    return jsonapi.respond(FLOW, set_status(flow_id, "active", due_execution=jsonapi.now()), 202)


async def suspend_flow(flow_id):
    flow = set_status(flow_id, "inactive")
    flow = store().update("flows", flow_id, lambda d: d["attributes"].update(current_status="suspended"))
    return jsonapi.respond(FLOW, flow, 202)


async def start_debug(body):
    """A debug run: a flow of type `debug` built from the body's graph, running at once, with a
    queue for its sample messages; it is not listed with the workspace's flows."""
    doc = jsonapi.build(FLOW, body, {"user_id": access.me()["id"],
                                     "sample_data": (body["data"].get("meta") or {}).get("sampleData")})
    access.workspace(doc.get("workspace_id"), "workspaces.flow.edit")
    not_suspended(doc["workspace_id"])
    checked_graph(doc["attributes"].get("graph"))
    now = jsonapi.now()
    doc["queue_id"] = f"{doc['workspace_id']}.{doc['id']}.debug"
    doc["attributes"].update(status="active", current_status="active", timeout=DEBUG_TIMEOUT, last_modified=now,
                             last_start_time=now)
    return jsonapi.respond(FLOW, place_containers(jsonapi.insert(FLOW, doc)), 202)


async def delete_flow(flow_id):
    access.flow(flow_id, "workspaces.flow.edit")
    for coll in FLOW_PARTS:
        for part in store().find(coll, flow_id=flow_id):
            store().delete(coll, part["id"])
    store().delete("flows", flow_id)
    return empty_response(204)


def save_draft(flow: dict, attributes: dict) -> dict:
    existing = store().first("flow_drafts", flow_id=flow["id"])
    now = jsonapi.now()
    draft = {"id": existing["id"] if existing else jsonapi.object_id(), "flow_id": flow["id"],
             "user_id": access.me()["id"],
             "attributes": {"name": flow["attributes"].get("name"), "description": None, "cron": None,
                            "graph": {"nodes": [], "edges": []}, "snapshot": None,
                            **(existing or {}).get("attributes", {}), **attributes,
                            "created_at": (existing or {}).get("attributes", {}).get("created_at", now),
                            "updated_at": now}}
    if existing:
        store().update("flow_drafts", draft["id"], lambda d: (d.clear(), d.update(draft)))
    else:
        store().insert("flow_drafts", draft)
    return draft


async def copy_flow(flow_id, body):
    source = access.flow(flow_id)
    data = body["data"]
    jsonapi.incoming(FLOW, body, type_="flow-copy")
    attributes = data.get("attributes") or {}
    if attributes.get("topic_id"):
        access.topic(attributes["topic_id"])
    copied = {k: source["attributes"].get(k) for k in ("description", "cron", "graph")}
    copied["name"] = attributes.get("name") or f"{source['attributes']['name']} (copy)"
    if attributes.get("dest_flow_id"):
        flow = access.flow(attributes["dest_flow_id"], "workspaces.flow.edit")
    else:
        dest = ((data.get("relationships") or {}).get("dest_workspace") or {}).get("data") or {}
        workspace_id = dest.get("id") or source["workspace_id"]
        access.workspace(workspace_id, "workspaces.flow.edit")
        flow = jsonapi.insert(FLOW, jsonapi.build(FLOW, {"data": {"type": "flow", "attributes": {
            **copied, "type": source["attributes"].get("type", "ordinary")}}},
            {"workspace_id": workspace_id, "user_id": access.me()["id"]}))
        flow = new_version(flow)
    draft = save_draft(flow, copied)
    document = jsonapi.document(FLOW, flow)
    document["data"]["relationships"]["draft"] = {"data": {"id": draft["id"], "type": "flow-draft"}}
    return json_response(document, 201)


# -- drafts ----------------------------------------------------------------------------------------


async def get_draft(flow_id):
    access.flow(flow_id)
    draft = store().first("flow_drafts", flow_id=flow_id)
    if draft is None:
        raise not_found("Flow draft", flow_id)
    return jsonapi.respond(FLOW_DRAFT, draft)


async def put_draft(flow_id, body):
    flow = access.flow(flow_id, "workspaces.flow.edit")
    attributes, _ = jsonapi.incoming(FLOW_DRAFT, body)
    checked_graph(attributes.get("graph"))
    return jsonapi.respond(FLOW_DRAFT, save_draft(flow, attributes))


async def delete_draft(flow_id):
    access.flow(flow_id, "workspaces.flow.edit")
    draft = store().first("flow_drafts", flow_id=flow_id)
    if draft is None:
        raise not_found("Flow draft", flow_id)
    store().delete("flow_drafts", draft["id"])
    return empty_response(204)


# -- versions --------------------------------------------------------------------------------------


async def list_versions(flow_id, **params):
    access.flow(flow_id)
    versions = sorted(store().find("flow_versions", flow_id=flow_id), key=lambda v: v["attributes"]["created_at"])
    return json_response(jsonapi.collection(FLOW_VERSION, versions, params))


async def get_version(flow_id, version_id):
    access.flow(flow_id)
    return jsonapi.respond(FLOW_VERSION, jsonapi.find(FLOW_VERSION, version_id, flow_id=flow_id))


# -- snapshots -------------------------------------------------------------------------------------


def snapshot_flow(flow_id: str, perm: str | None = None, step_id: str | None = None) -> dict:
    flow = access.flow(flow_id, perm)
    if perm and flow["attributes"].get("status") == "active":
        raise conflict(f"Flow {flow_id} is running; stop it to change its snapshots")
    steps = {n.get("id") for n in flow["attributes"].get("graph", {}).get("nodes", [])}
    if step_id is not None and step_id not in steps:
        raise not_found("Step", step_id)
    return flow


async def list_snapshots(flow_id, **params):
    snapshot_flow(flow_id)
    return json_response(jsonapi.collection(SNAPSHOT, store().find("snapshots", flow_id=flow_id), params))


async def get_snapshot(flow_id, step_id):
    snapshot_flow(flow_id)
    return jsonapi.respond(SNAPSHOT, jsonapi.find(SNAPSHOT, step_id, flow_id=flow_id))


async def create_snapshot(flow_id, body):
    step_id = str(body["data"].get("id"))
    snapshot_flow(flow_id, "workspaces.flow.edit", step_id)
    attributes, _ = jsonapi.incoming(SNAPSHOT, body)
    with store().atomic():  # one snapshot per step, on every worker and host
        if store().first("snapshots", flow_id=flow_id, step_id=step_id):
            raise conflict(f"Step {step_id} already has a snapshot", id=step_id)
        doc = store().insert("snapshots", {"id": f"{flow_id}:{step_id}", "flow_id": flow_id, "step_id": step_id,
                                           "attributes": attributes})
    return jsonapi.respond(SNAPSHOT, doc, 201)


async def update_snapshot(flow_id, step_id, body):
    snapshot_flow(flow_id, "workspaces.flow.edit", step_id)
    doc = jsonapi.find(SNAPSHOT, step_id, flow_id=flow_id)
    return jsonapi.respond(SNAPSHOT, jsonapi.update(SNAPSHOT, doc, body))


async def delete_snapshot(flow_id, step_id):
    snapshot_flow(flow_id, "workspaces.flow.edit")
    jsonapi.destroy(SNAPSHOT, jsonapi.find(SNAPSHOT, step_id, flow_id=flow_id))
    return empty_response(204)
