"""Contracts: the top-level scope under a tenant, its members, invites and roles."""

from understudy import jsonapi
from understudy.context import store
from understudy.errors import ApiError, Violation, conflict, not_found
from understudy.responses import empty_response, json_response

from . import access
from .flows import place_containers
from .resources import CONTRACT, CONTRACT_INVITE, CONTRACT_MEMBER
from .workspaces import delete_cascade

# Which permission each writable attribute needs on PATCH.
EDIT_PERMISSIONS = {"name": "contracts.contract.edit", "available_roles": "contracts.contract.edit_available_roles",
                    "custom_data": "contracts.contract.edit_custom_data",
                    "support_user_id": "contracts.contract.edit",
                    "flow_stats_enabled_default": "contracts.contract.edit"}


def shown(doc: dict) -> dict:
    """custom_data only for callers with contracts.contract.get_custom_data."""
    if "contracts.contract.get_custom_data" not in access.contract_permissions(doc):
        doc = {**doc, "attributes": {k: v for k, v in doc["attributes"].items() if k != "custom_data"}}
    return doc


def with_owner_roles(doc: dict) -> dict:
    roles = [r for r in doc["attributes"].get("available_roles", []) if r.get("role") != "owner"]
    doc["attributes"]["available_roles"] = roles + [{"scope": "contracts", "role": "owner"},
                                                    {"scope": "workspaces", "role": "owner"}]
    return doc


def tenant_admin_of(doc: dict) -> None:
    access.need("tenants.contract.create", access.tenant_permissions(doc["tenant_id"]), "the tenant")


async def create_contract(body):
    tenant_id = access.me()["tenant_id"]
    access.need("tenants.contract.create", access.tenant_permissions(tenant_id), "your tenant")
    access.support_user(body)
    doc = with_owner_roles(jsonapi.build(CONTRACT, body, {"tenant_id": tenant_id}))
    return jsonapi.respond(CONTRACT, shown(jsonapi.insert(CONTRACT, doc)), 201)


async def update_contract(contract_id, body):
    doc = access.contract(contract_id)
    held = access.contract_permissions(doc)
    for name in ((body.get("data") or {}).get("attributes") or {}):
        if name in EDIT_PERMISSIONS:
            access.need(EDIT_PERMISSIONS[name], held, f"contract {contract_id}")
    access.support_user(body)
    attributes = body["data"].get("attributes") or {}
    if "available_roles" in attributes:
        attributes["available_roles"] = with_owner_roles({"attributes": dict(attributes)})["attributes"]["available_roles"]
    return jsonapi.respond(CONTRACT, shown(jsonapi.update(CONTRACT, doc, body)))


async def get_contract(contract_id, include=None):
    return jsonapi.respond(CONTRACT, shown(access.contract(contract_id)), include=include, self_link=True)


async def list_contracts(**params):
    docs = [shown(store().get("contracts", i)) for i in access.my_contract_ids()]
    return json_response(jsonapi.collection(CONTRACT, docs, params))


async def list_members(contract_id, **params):
    access.contract(contract_id)
    members = store().find("contract_members", contract_id=contract_id)
    return json_response(jsonapi.collection(CONTRACT_MEMBER, members, params, paged=False))


async def list_invites(contract_id, **params):
    access.contract(contract_id)
    invites = store().find("contract_invites", contract_id=contract_id)
    return json_response(jsonapi.collection(CONTRACT_INVITE, invites, params, paged=False))


async def list_roles(contract_id):
    doc = access.contract(contract_id)
    tenant = store().get("tenants", doc["tenant_id"])
    available = {(r["scope"], r["role"]) for r in doc["attributes"].get("available_roles", [])}
    owners = [{"i18n": {"en": "Owner"}, "role": "owner", "scope": scope, "permissions": access.policy()["owner"][scope]}
              for scope in ("contracts", "workspaces")]
    roles = [r for r in tenant.get("roles", []) if (r["scope"], r["role"]) in available and r["role"] != "owner"]
    return json_response({"data": {
        "id": contract_id, "type": "contract-policy", "attributes": {"roles": roles + owners},
        "relationships": {"contract": {"data": {"id": contract_id, "type": "contract"},
                                       "links": {"self": jsonapi.link("/contracts/{id}", doc)}}}}, "meta": {}})


def membership_editor(doc: dict) -> None:
    if not access.tenant_admin(doc["tenant_id"]):
        access.need("contracts.membership.edit", access.contract_permissions(doc), f"contract {doc['id']}")


def first_member_is_owner(doc: dict, roles: list[str]) -> None:
    if not store().find("contract_members", contract_id=doc["id"]) and "owner" not in roles:
        raise ApiError("conflict", "The first member of a contract must be an owner",
                       [Violation("body", "/data/attributes/roles", "must contain owner")])


async def create_invite(contract_id, body):
    doc = access.contract(contract_id)
    membership_editor(doc)
    invite = jsonapi.build(CONTRACT_INVITE, body, {"contract_id": contract_id})
    first_member_is_owner(doc, invite["attributes"].get("roles", []))
    invited_to(doc, invite["attributes"])
    return jsonapi.respond(CONTRACT_INVITE, jsonapi.insert(CONTRACT_INVITE, invite), 201)


def invited_to(doc: dict, attributes: dict) -> None:
    """An invite's workspace is one of the contract's, which the caller may edit; its roles, in
    the contract and in the workspace, are ones the caller could grant."""
    access.grantable(doc["tenant_id"], "contracts", attributes.get("roles") or [],
                     access.contract_permissions(doc), f"contract {doc['id']}")
    workspace_id = attributes.get("workspace_id")
    if workspace_id:
        workspace = access.workspace(workspace_id, "workspaces.workspace.edit")
        if workspace["contract_id"] != doc["id"]:
            raise not_found("Workspace", workspace_id)
        access.grantable(doc["tenant_id"], "workspaces", attributes.get("workspace_roles") or [],
                         access.workspace_permissions(workspace), f"workspace {workspace_id}")


async def update_invite(contract_id, invite_id, body):
    doc = access.contract(contract_id)
    membership_editor(doc)
    invite = jsonapi.find(CONTRACT_INVITE, invite_id, contract_id=contract_id)
    invited_to(doc, {**invite["attributes"], **((body.get("data") or {}).get("attributes") or {})})
    return jsonapi.respond(CONTRACT_INVITE, jsonapi.update(CONTRACT_INVITE, invite, body))


async def delete_invite(contract_id, invite_id):
    doc = access.contract(contract_id)
    membership_editor(doc)
    jsonapi.destroy(CONTRACT_INVITE, jsonapi.find(CONTRACT_INVITE, invite_id, contract_id=contract_id))
    return empty_response(204)


async def add_member(contract_id, body):
    doc = access.contract(contract_id)
    tenant_admin_of(doc)
    jsonapi.incoming(CONTRACT_MEMBER, body)
    user_id, roles = str(body["data"]["id"]), body["data"]["attributes"]["roles"]
    user = store().get("users", user_id)
    if user is None or user.get("tenant_id") != doc["tenant_id"]:
        raise not_found("User", user_id)
    first_member_is_owner(doc, roles)
    access.grantable(doc["tenant_id"], "contracts", roles, access.contract_permissions(doc), f"contract {contract_id}")
    with store().atomic():  # one membership per user, on every worker and host
        if access.roles_in("contract_members", "contract_id", contract_id, user_id) is not None:
            raise conflict(f"User {user_id} is already a member of contract {contract_id}", id=user_id)
        member = store().insert("contract_members", {"id": f"{contract_id}:{user_id}", "contract_id": contract_id,
                                                     "user_id": user_id, "roles": roles})
    return jsonapi.respond(CONTRACT_MEMBER, member, 201)


def last_owner(contract_id: str, user_id: str) -> bool:
    owners = [m for m in store().find("contract_members", contract_id=contract_id) if "owner" in m["roles"]]
    return [m["user_id"] for m in owners] == [user_id]


async def update_member(contract_id, user_id, body):
    doc = access.contract(contract_id, "contracts.membership.edit")
    jsonapi.incoming(CONTRACT_MEMBER, body, user_id)
    member = jsonapi.find(CONTRACT_MEMBER, user_id, contract_id=contract_id)
    roles = body["data"]["attributes"]["roles"]
    access.grantable(doc["tenant_id"], "contracts", roles, access.contract_permissions(doc), f"contract {contract_id}")
    if "owner" not in roles and last_owner(contract_id, user_id):
        raise conflict("You can not remove the last owner in the contract.", id=user_id)
    member = store().update("contract_members", member["id"], {"roles": roles})
    return json_response({"data": {"id": user_id, "type": "contract-member",
                                   "links": {"self": jsonapi.link("/members/{user_id}", member)},
                                   "attributes": {"roles": roles}}, "meta": {}})


async def remove_member(contract_id, user_id):
    doc = access.contract(contract_id, "contracts.membership.edit")
    tenant_admin_of(doc)
    member = jsonapi.find(CONTRACT_MEMBER, user_id, contract_id=contract_id)
    if last_owner(contract_id, user_id):
        raise conflict("You can not remove the last owner in the contract.", id=user_id)
    store().delete("contract_members", member["id"])
    return empty_response(204)


def suspender(doc: dict) -> None:
    if not (access.me().get("service_account") or access.tenant_admin(doc["tenant_id"])):
        access.need("contracts.contract.suspend", set(), f"contract {doc['id']}")


async def suspend(contract_id):
    doc = access.contract(contract_id)
    suspender(doc)
    store().update("contracts", contract_id, lambda d: d["attributes"].update(status="suspended"))
    for workspace in store().find("workspaces", contract_id=contract_id):
        for flow in store().find("flows", workspace_id=workspace["id"]):
            place_containers(store().update("flows", flow["id"], lambda d: d["attributes"].update(
                status="inactive", current_status="inactive")))
    return empty_response(202)


async def unsuspend(contract_id):
    doc = access.contract(contract_id)
    suspender(doc)
    if doc["attributes"].get("status") != "suspended":
        raise conflict(f"Contract {contract_id} is not suspended")
    store().update("contracts", contract_id, lambda d: d["attributes"].update(status="active"))
    return empty_response(204)


async def delete_contract(contract_id):
    doc = access.contract(contract_id)
    tenant_admin_of(doc)
    mine = {c["id"] for c in store().find("components", contract_id=contract_id)}
    ours = {w["id"] for w in store().find("workspaces", contract_id=contract_id)}
    for flow in store().all("flows"):
        used = {n.get("component_id") for n in flow["attributes"].get("graph", {}).get("nodes", [])}
        if flow["workspace_id"] not in ours and used & mine:
            raise conflict(f"Components of contract {contract_id} are used by flow {flow['id']} of another contract")
    for workspace_id in ours:
        delete_cascade(workspace_id)
    for coll in ("contract_members", "contract_invites", "teams", "components"):
        for part in store().find(coll, contract_id=contract_id):
            store().delete(coll, part["id"])
    store().delete("contracts", contract_id)
    return empty_response(204)
