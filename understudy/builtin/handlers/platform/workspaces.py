"""Workspaces, their members and invites."""

from understudy import jsonapi
from understudy.context import store
from understudy.errors import ApiError, Violation, conflict, forbidden, not_found
from understudy.responses import empty_response, json_response

from . import access
from .resources import WORKSPACE, WORKSPACE_MEMBER

# What goes with a deleted workspace.
WORKSPACE_PARTS = ("flows", "credentials", "topics", "auth_secrets", "data_samples", "workspace_members",
                   "workspace_invites")


def member_doc(workspace_id: str, user_id: str, roles: list[str]) -> dict:
    return {"id": f"{workspace_id}:{user_id}", "workspace_id": workspace_id, "user_id": user_id, "roles": roles}


async def list_workspaces(**params):
    mine = set(access.my_workspace_ids())
    contract_id = params.get("contract_id")
    if contract_id:
        contract = access.contract(contract_id)
        everything = "contracts.workspace.listAll" in access.contract_permissions(contract)
        docs = [w for w in store().find("workspaces", contract_id=contract_id) if everything or w["id"] in mine]
    else:
        docs = [w for w in store().all("workspaces") if w["id"] in mine]
    return json_response(jsonapi.collection(WORKSPACE, docs, params))


async def get_workspace(workspace_id, include=None):
    doc = access.workspace(workspace_id)
    return jsonapi.respond(WORKSPACE, doc, include=include, self_link=True)


async def list_members(workspace_id, **params):
    access.workspace(workspace_id)
    members = store().find("workspace_members", workspace_id=workspace_id)
    return json_response(jsonapi.collection(WORKSPACE_MEMBER, members, params, paged=False))


async def create_workspace(body):
    doc = jsonapi.build(WORKSPACE, body)
    if not doc.get("contract_id"):
        raise ApiError("validation", "A workspace needs a contract",
                       [Violation("body", "/data/relationships/contract", "is required")])
    access.contract(doc["contract_id"], "contracts.workspace.create")
    doc = jsonapi.insert(WORKSPACE, doc)
    store().insert("workspace_members", member_doc(doc["id"], access.me()["id"], ["owner"]))
    return jsonapi.respond(WORKSPACE, doc, 201)


async def update_workspace(workspace_id, body):
    doc = access.workspace(workspace_id, "workspaces.workspace.edit")
    new_type = ((body.get("data") or {}).get("attributes") or {}).get("type")
    if new_type is not None and new_type != doc["attributes"].get("type"):
        access.need("workspaces.workspace.edit_type", access.workspace_permissions(doc), f"workspace {workspace_id}")
    return jsonapi.respond(WORKSPACE, jsonapi.update(WORKSPACE, doc, body))


def can_edit_membership(doc: dict) -> None:
    contract = store().get("contracts", doc["contract_id"])
    if not (access.tenant_admin(contract["tenant_id"])
            or "workspaces.workspace.edit" in access.workspace_permissions(doc)):
        raise forbidden(f"You need the workspaces.workspace.edit permission in workspace {doc['id']}")


def granted(doc: dict, body: dict) -> list[str]:
    """The roles a member request grants, within the caller's own rights in the workspace."""
    roles = body["data"]["attributes"]["roles"]
    tenant_id = store().get("contracts", doc["contract_id"])["tenant_id"]
    access.grantable(tenant_id, "workspaces", roles, access.workspace_permissions(doc), f"workspace {doc['id']}")
    return roles


async def add_member(workspace_id, body):
    doc = access.workspace(workspace_id)
    can_edit_membership(doc)
    jsonapi.incoming(WORKSPACE_MEMBER, body)
    roles = granted(doc, body)
    user_id = str(body["data"]["id"])
    if access.roles_in("contract_members", "contract_id", doc["contract_id"], user_id) is None:
        raise not_found("User", user_id)
    with store().atomic():  # one membership per user, on every worker and host
        if access.roles_in("workspace_members", "workspace_id", workspace_id, user_id) is not None:
            raise conflict(f"User {user_id} is already a member of workspace {workspace_id}", id=user_id)
        member = store().insert("workspace_members", member_doc(workspace_id, user_id, roles))
    return jsonapi.respond(WORKSPACE_MEMBER, member)


def roles_only(member: dict) -> dict:
    return {"data": {"id": member["user_id"], "type": "member", "links": {"self": jsonapi.link("/members/{user_id}", member)},
                     "attributes": {"roles": member["roles"]}}, "meta": {}}


async def update_member(workspace_id, user_id, body):
    doc = access.workspace(workspace_id)
    can_edit_membership(doc)
    jsonapi.incoming(WORKSPACE_MEMBER, body, user_id)
    roles = granted(doc, body)
    member = jsonapi.find(WORKSPACE_MEMBER, user_id, workspace_id=workspace_id)
    member = store().update("workspace_members", member["id"], {"roles": roles})
    return json_response(roles_only(member))


async def remove_member(workspace_id, user_id):
    doc = access.workspace(workspace_id)
    if user_id != access.me()["id"]:
        can_edit_membership(doc)
    member = jsonapi.find(WORKSPACE_MEMBER, user_id, workspace_id=workspace_id)
    store().delete("workspace_members", member["id"])
    for coll in ("flows", "credentials", "data_samples"):  # what they owned passes to the caller
        for owned in store().find(coll, workspace_id=workspace_id, user_id=user_id):
            store().update(coll, owned["id"], {"user_id": access.me()["id"]})
    return empty_response(204)


def support_user(doc: dict) -> str:
    contract = store().get("contracts", doc["contract_id"])
    tenant = store().get("tenants", contract["tenant_id"])
    user_id = contract["attributes"].get("support_user_id") or tenant["attributes"].get("support_user_id")
    if not user_id:
        raise conflict("Neither the contract nor the tenant has a support user")
    return user_id


def support_permission(doc: dict) -> None:
    contract = store().get("contracts", doc["contract_id"])
    access.need("workspace.workspace.edit_membership_support", access.tenant_permissions(contract["tenant_id"]),
                "the tenant")


async def add_support(workspace_id):
    doc = access.workspace(workspace_id)
    support_permission(doc)
    user_id = support_user(doc)
    key = f"{workspace_id}:{user_id}"
    member = store().get("workspace_members", key)
    if member is None:
        member = store().insert("workspace_members", member_doc(workspace_id, user_id, ["owner"]))
    else:
        member = store().update("workspace_members", key, {"roles": ["owner"]})
    return jsonapi.respond(WORKSPACE_MEMBER, member)


async def remove_support(workspace_id):
    doc = access.workspace(workspace_id)
    support_permission(doc)
    user_id = support_user(doc)
    if not store().delete("workspace_members", f"{workspace_id}:{user_id}"):
        raise not_found("Member", user_id)
    return empty_response(204)


async def delete_workspace(workspace_id):
    doc = access.workspace(workspace_id)
    contract = store().get("contracts", doc["contract_id"])
    if not ("contracts.workspace.delete" in access.contract_permissions(contract)
            or "workspaces.workspace.edit" in access.workspace_permissions(doc)):
        raise forbidden(f"You need contracts.workspace.delete or workspaces.workspace.edit for {workspace_id}")
    delete_cascade(workspace_id)
    return empty_response(204)


def delete_cascade(workspace_id: str) -> None:
    for coll in WORKSPACE_PARTS:
        for part in store().find(coll, workspace_id=workspace_id):
            store().delete(coll, part["id"])
    store().delete("workspaces", workspace_id)
