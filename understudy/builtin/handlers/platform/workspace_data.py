"""What a workspace's flows produce and use: data samples, logs, queue and workspace stats,
quota usages, and signed storage URLs."""

import secrets
from collections import defaultdict

from understudy import jsonapi
from understudy.context import current, store
from understudy.errors import forbidden
from understudy.responses import json_response

from . import access
from .access import workspace_guard
from .resources import DATA_SAMPLE

samples = jsonapi.Crud(DATA_SAMPLE, workspace_guard({"show": None, "create": "workspaces.flow.edit",
                                                     "update": "workspaces.flow.edit"}), "data_sample_id")


async def list_data_samples(**params):
    mine = set(access.my_workspace_ids())
    docs = [d for d in store().all("data_samples") if d["workspace_id"] in mine]
    return json_response(jsonapi.collection(DATA_SAMPLE, docs, params))


# -- logs ------------------------------------------------------------------------------------------


async def list_logs(workspace_id, **params):
    access.workspace(workspace_id, "workspaces.logs.read_all")
    hits = store().find("logs", workspace_id=workspace_id)
    flows, levels = params.get("flow_ids"), params.get("levels")
    if flows:
        hits = [h for h in hits if h["flow_id"] in flows]
    if levels:
        hits = [h for h in hits if h["level"] in levels]
    if params.get("from"):
        hits = [h for h in hits if h["timestamp"] >= params["from"]]
    if params.get("to"):
        hits = [h for h in hits if h["timestamp"] <= params["to"]]
    term = (params.get("search") or "").strip()
    if term:
        hits = [{**h, "message": highlight(h["message"], term)} for h in hits if term.lower() in h["message"].lower()]
    hits.sort(key=lambda h: h["timestamp"], reverse=True)
    offset, limit = params.get("offset") or 0, params.get("limit") or 100
    return json_response({"total": len(hits), "hits": hits[offset:offset + limit]})


def highlight(message: str, term: str) -> str:
    at = message.lower().index(term.lower())
    return f"{message[:at]}<em>{message[at:at + len(term)]}</em>{message[at + len(term):]}"


# -- stats -----------------------------------------------------------------------------------------


async def queue_stats(flow_id):
    flow = access.flow(flow_id)
    queues = {q["step_id"]: q for q in store().find("queues", flow_id=flow_id)}
    stats = [{"step_id": node["id"], **{k: queues.get(node["id"], {}).get(k, 0)
                                        for k in ("total", "ready", "unacked", "rebounds")}}
             for node in flow["attributes"].get("graph", {}).get("nodes", [])]
    return json_response({"data": {"id": flow_id, "type": "flow-queue-stats", "attributes": {"stats": stats}}})


def workspace_stats(workspace: dict) -> dict:
    flows = []
    for flow in store().find("flows", workspace_id=workspace["id"]):
        attrs = flow["attributes"]
        components = []
        for node in attrs.get("graph", {}).get("nodes", []):
            component = store().get("components", node.get("component_id")) or {"attributes": {}}
            version = node.get("command", "").rpartition("@")[2] if "@" in node.get("command", "") else "latest"
            components.append({"name": component["attributes"].get("name", node.get("command", "")),
                               "component_id": node.get("component_id"), "version": version})
        flows.append({"id": flow["id"], "name": attrs["name"], "status": attrs["status"], "type": attrs["type"],
                      "created_at": attrs["created_at"], "updated_at": attrs["updated_at"], "components": components})
    return {"id": workspace["id"], "type": "workspace-stats",
            "attributes": {"name": workspace["attributes"]["name"], "type": workspace["attributes"]["type"],
                           "flows": flows}}


async def stats_workspaces(contract_id=None):
    tenant_id = access.me()["tenant_id"]
    if access.tenant_admin(tenant_id) and contract_id is None:
        contracts = [c["id"] for c in store().find("contracts", tenant_id=tenant_id)]
    elif contract_id is None:
        raise forbidden("Only a tenant admin may omit contract_id")
    else:
        access.contract(contract_id, "global.stats.workspaces")
        contracts = [contract_id]
    workspaces = [w for w in store().all("workspaces") if w["contract_id"] in contracts]
    return json_response({"data": [workspace_stats(w) for w in workspaces], "meta": {},
                          "links": {"self": jsonapi.base_path() + "/stats/workspaces"}})


# -- signed storage URLs ---------------------------------------------------------------------------


async def signed_url():
    name = secrets.token_hex(16)
    base = current().base_url.rsplit("/v2", 1)[0] if "/v2" in current().base_url else current().base_url
    return json_response({"put_url": f"{base}/files/{name}?signature={secrets.token_hex(16)}",
                          "get_url": f"{base}/files/{name}?signature={secrets.token_hex(16)}", "expires": 18000})


# -- quota usages ----------------------------------------------------------------------------------


def usages(params: dict, **equals) -> list[dict]:
    rows = store().find("quota_usages", **equals)
    start, end = str(params.get("from") or "")[:10], str(params.get("to") or "9999")[:10]
    return [r for r in rows if start <= r["date"] <= end]


def totals(rows: list[dict]) -> dict:
    return {"memory": sum(r["memory"] for r in rows), "cpu": sum(r["cpu"] for r in rows)}


def history(rows: list[dict], group_by: str | None) -> list[dict]:
    width = 7 if group_by == "month" else 10
    grouped: dict[str, list] = defaultdict(list)
    for row in rows:
        grouped[row["date"][:width]].append(row)
    return [{"id": key if width == 10 else key + "-01", **totals(grouped[key])} for key in sorted(grouped)]


async def contract_usage(contract_id, **params):
    access.contract(contract_id)
    return json_response({"data": totals(usages(params, contract_id=contract_id))})


async def contract_history(contract_id, **params):
    access.contract(contract_id)
    return json_response({"data": history(usages(params, contract_id=contract_id), params.get("group_by"))})


async def workspace_usage(workspace_id, **params):
    access.workspace(workspace_id, member=False)  # any member of the contract
    rows = usages(params, workspace_id=workspace_id)
    return json_response({"data": {**totals(rows), "flows": len({r["flow_id"] for r in rows})}})


async def workspace_history(workspace_id, **params):
    access.workspace(workspace_id)
    return json_response({"data": history(usages(params, workspace_id=workspace_id), params.get("group_by"))})


async def workspace_flows_usage(workspace_id, **params):
    access.workspace(workspace_id)
    rows = usages(params, workspace_id=workspace_id)
    by_flow: dict[str, list] = defaultdict(list)
    for row in rows:
        by_flow[row["flow_id"]].append(row)
    return json_response({"data": [{"id": flow_id, **totals(r)} for flow_id, r in sorted(by_flow.items())]})


async def flow_history(flow_id, **params):
    access.flow(flow_id)
    return json_response({"data": history(usages(params, flow_id=flow_id), params.get("group_by"))})
