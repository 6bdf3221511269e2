"""Components (repositories), their versions, descriptors and environment, and the scheduled
executions of their methods (verify credentials, dynamic metadata, select model)."""

from understudy import jsonapi
from understudy.context import current, settings, store
from understudy.errors import conflict, not_found
from understudy.responses import empty_response, json_response

from . import access
from .resources import COMPONENT, COMPONENT_ENV, COMPONENT_VERSION, DESCRIPTOR, EXECUTION


def components_for(contract: dict, which: str = "all") -> list[dict]:
    return [c for c in store().all("components") if access.ACCESS_FILTERS[which](c, contract)]


def listing(docs: list[dict], params: dict) -> dict:
    """Component lists include each component's latest version and its descriptor."""
    document = jsonapi.collection(COMPONENT, docs, params)
    document["included"] = latest_parts(docs)
    return document


def latest_parts(docs: list[dict]) -> list[dict]:
    out = []
    for doc in docs:
        version = store().get("component_versions", doc.get("latest_version_id"))
        descriptor = store().get("descriptors", doc.get("latest_version_id"))
        out += [jsonapi.resource_object(COMPONENT_VERSION, version)] if version else []
        out += [jsonapi.resource_object(DESCRIPTOR, descriptor)] if descriptor else []
    return out


def respond_one(component: dict):
    document = jsonapi.document(COMPONENT, component)
    document["included"] = latest_parts([component])
    return json_response(document)


async def list_components(contract_id, **params):
    contract = access.contract(contract_id)
    which = jsonapi.query_value(params, "filter[access]") or "all"
    return json_response(listing(components_for(contract, which), params))


def workspace_components(workspace: dict) -> list[dict]:
    contract = store().get("contracts", workspace["contract_id"])
    tenant = store().get("tenants", contract["tenant_id"])
    docs = components_for(contract)
    whitelist_only = tenant["attributes"].get("feature_flags", {}).get("contract_component_whitelist")
    if whitelist_only and workspace["attributes"].get("type") == "full":
        docs = [c for c in docs if c["contract_id"] == contract["id"]
                or contract["id"] in c["attributes"].get("whitelisted_contract_ids", [])
                or c["attributes"].get("access") == "global"]
    return docs


async def list_workspace_components(workspace_id, **params):
    return json_response(listing(workspace_components(access.workspace(workspace_id)), params))


async def get_workspace_component(workspace_id, component_id):
    docs = workspace_components(access.workspace(workspace_id))
    found = next((c for c in docs if c["id"] == component_id), None)
    if found is None:
        raise not_found("Component", component_id)
    return respond_one(found)


async def list_all_components(**params):
    tenant_id = access.me()["tenant_id"]
    access.need("tenants.component.list_all", access.tenant_permissions(tenant_id), "your tenant")
    contracts = {c["id"] for c in store().find("contracts", tenant_id=tenant_id)}
    if params.get("contract_id"):
        contracts &= {params["contract_id"]}
    docs = [c for c in store().all("components") if c["contract_id"] in contracts]
    for doc in docs:
        doc["attributes"].setdefault("whitelisted_contract_ids", [])
    return json_response(listing(docs, params))


async def get_component(component_id):
    return respond_one(access.component(component_id))


async def list_versions(component_id, **params):
    access.component(component_id)
    versions = store().find("component_versions", component_id=component_id)
    return json_response(jsonapi.collection(COMPONENT_VERSION, versions, params, paged=False))


def revision(component: dict, rev: str) -> str:
    resolved = component.get("latest_version_id") if rev == "latest" else rev
    version = store().get("component_versions", resolved) if resolved else None
    if version is None or version["component_id"] != component["id"]:
        raise not_found("Version", rev)
    return resolved


async def get_descriptor(component_id, revision_id):
    component = access.component(component_id)
    descriptor = store().get("descriptors", revision(component, revision_id))
    return jsonapi.respond(DESCRIPTOR, descriptor)


def own_repository(component_id: str) -> dict:
    """A component of a team the caller belongs to, with contracts.repository.edit there."""
    component = access.component(component_id)
    access.contract(component["contract_id"], "contracts.repository.edit")
    return component


async def create_component(body):
    doc = jsonapi.build(COMPONENT, body, {"latest_version_id": None})
    if not doc.get("team_id"):
        raise not_found("Team", None)
    team = access.team(doc["team_id"])
    access.contract(team["contract_id"], "contracts.repository.edit")
    doc["contract_id"] = team["contract_id"]
    doc["attributes"].update(access="team", team_name=team["attributes"].get("name"))
    doc["attributes"].pop("whitelisted_contract_ids", None)
    with store().atomic():  # one component per name in a team, on every worker and host
        if any(c["attributes"]["name"] == doc["attributes"]["name"]
               for c in store().find("components", team_id=team["id"])):
            raise conflict(f"Team {team['id']} already has a component named {doc['attributes']['name']}")
        component = jsonapi.insert(COMPONENT, doc)
    return jsonapi.respond(COMPONENT, component, 201)


async def update_component(component_id, body):
    component = access.component(component_id)
    owner = store().get("contracts", component["contract_id"])
    access.need("tenants.component.edit_access", access.tenant_permissions(owner["tenant_id"]), "the tenant")
    wanted = ((body.get("data") or {}).get("attributes") or {}).get("access")
    if wanted is not None and wanted != component["attributes"]["access"] and component["attributes"]["access"] != "team":
        raise conflict(f"Access {component['attributes']['access']} cannot be lowered to {wanted}")
    for contract_id in ((body.get("data") or {}).get("attributes") or {}).get("whitelisted_contract_ids") or []:
        access.contract(contract_id)
    return jsonapi.respond(COMPONENT, jsonapi.update(COMPONENT, component, body))


def used_by_flows(component_id: str, revision_id: str | None = None) -> list[str]:
    used = []
    for flow in store().all("flows"):
        for node in flow["attributes"].get("graph", {}).get("nodes", []):
            if node.get("component_id") == component_id and (
                    revision_id is None or node.get("command", "").endswith("@" + revision_id)):
                used.append(flow["id"])
    return used


async def delete_component(component_id):
    own_repository(component_id)
    if used_by_flows(component_id):
        raise conflict(f"Component {component_id} is used by flows {', '.join(used_by_flows(component_id))}")
    for coll in ("component_versions", "descriptors"):
        for part in store().find(coll, component_id=component_id):
            store().delete(coll, part["id"])
    store().delete("component_envs", component_id)
    store().delete("components", component_id)
    return empty_response(204)


async def delete_version(component_id, version_id):
    component = own_repository(component_id)
    rev = revision(component, version_id)
    if used_by_flows(component_id, rev) or (version_id == "latest" and used_by_flows(component_id, "latest")):
        raise conflict(f"Version {version_id} of component {component_id} is used by flows")
    store().delete("component_versions", rev)
    store().delete("descriptors", rev)
    remaining = sorted(store().find("component_versions", component_id=component_id),
                       key=lambda v: v["attributes"]["date"])
    store().update("components", component_id, {"latest_version_id": remaining[-1]["id"] if remaining else None})
    return empty_response(204)


def env_of(component_id: str) -> dict:
    return store().get("component_envs", component_id) or {"id": component_id, "attributes": {"vars": {}}}


async def get_env(component_id):
    access.component(component_id)
    return jsonapi.respond(COMPONENT_ENV, env_of(component_id))


async def put_env(component_id, body):
    own_repository(component_id)
    attributes, _ = jsonapi.incoming(COMPONENT_ENV, body)
    doc = {"id": component_id, "component_id": component_id, "attributes": {"vars": attributes.get("vars", {})}}
    if store().update("component_envs", component_id, lambda d: (d.clear(), d.update(doc))) is None:
        store().insert("component_envs", doc)
    return jsonapi.respond(COMPONENT_ENV, doc)


async def docker_pull(component_id, version):
    component = own_repository(component_id)
    if version != "latest":
        revision(component, version)
    return empty_response(200)


# -- scheduled executions --------------------------------------------------------------------------

PENDING = "Pending request, waiting other process"
# What each method answers once done, by the request's type.
RESULTS = {
    "verify-credential": lambda attrs: {"verified": True},
    "dynamic-metadata": lambda attrs: {"in": {"type": "object", "properties": {}},
                                       "out": {"type": "object", "properties": {}}},
    "select-model": lambda attrs: {"option1": "Option 1", "option2": "Option 2"},
}
EXEC_PERMISSIONS = {"verify-credential": "workspaces.credential.edit", "dynamic-metadata": "workspaces.flow.edit",
                    "select-model": "workspaces.flow.edit"}


def schedule(kind: str, component_id: str, revision_id: str, body: dict):
    component = access.component(component_id)
    revision(component, revision_id)
    attributes, fields = jsonapi.incoming(EXECUTION, body, type_=kind)
    workspace_id = (((body["data"].get("relationships") or {}).get("workspace") or {}).get("data") or {}).get("id")
    access.workspace(str(workspace_id), EXEC_PERMISSIONS[kind])
    doc = store().insert("executions", {
        "id": jsonapi.object_id(), "kind": kind, "component_id": component_id, "user_id": access.me()["id"],
        "polls_left": int(settings()["PLATFORM_EXEC_POLLS"]),
        "attributes": {"result": {}, "status": PENDING}, "outcome": {"data": RESULTS[kind](attributes)}})
    location = f"{current().base_url}/exec/poll/{doc['id']}"
    return json_response(jsonapi.document(EXECUTION, doc), 202, {"Location": location},
                         media_type="application/json; charset=utf-8")


async def verify_credential(component_id, revision_id, body):
    return schedule("verify-credential", component_id, revision_id, body)


async def dynamic_metadata(component_id, revision_id, body):
    return schedule("dynamic-metadata", component_id, revision_id, body)


async def select_model(component_id, revision_id, body):
    return schedule("select-model", component_id, revision_id, body)


def my_execution(execution_id: str) -> dict:
    doc = store().get("executions", execution_id)
    if doc is None or doc["user_id"] != access.me()["id"]:
        raise not_found("Execution", execution_id)
    return doc


async def poll(execution_id):
    doc = my_execution(execution_id)
    if doc["polls_left"] > 0:
        store().update("executions", execution_id, lambda d: d.update(polls_left=d["polls_left"] - 1))
        return jsonapi.respond(EXECUTION, doc)
    location = f"{jsonapi.base_path()}/exec/result/{execution_id}"
    return json_response({"data": {}, "meta": {}}, 303, {"Location": location})


async def result(execution_id):
    doc = my_execution(execution_id)
    if doc["polls_left"] > 0:
        raise conflict(f"Execution {execution_id} is not ready yet")
    return json_response({"data": {"id": doc["id"], "type": EXECUTION.type,
                                   "links": {"self": jsonapi.link(EXECUTION.self_link, doc)},
                                   "attributes": {"result": doc["outcome"]}}, "meta": {}})
