"""Who may see and do what: tenant, contract and workspace membership and the permission names
of the roles held there. Roles -> permissions is data: each tenant's `roles` (its tenant policy)
and `fixtures/platform/access.json` (the built-in owner, tenant-admin and service sets).

Rule of thumb: a contract the caller does not belong to does not exist for them (404); inside
their contract, a missing membership or permission is 403."""

from understudy.context import principal, store
from understudy.errors import ApiError, forbidden, not_found


def me() -> dict:
    return principal()


def policy() -> dict:
    return store().singleton("access")


def tenant_admin(tenant_id: str) -> bool:
    user = me()
    return user.get("tenant_id") == tenant_id and "tenant-admin" in user.get("tenant_roles", [])


def roles_in(coll: str, owner_field: str, owner_id: str, user_id: str | None = None) -> list[str] | None:
    member = store().first(coll, **{owner_field: owner_id, "user_id": user_id or me()["id"]})
    return None if member is None else member["roles"]


def role_permissions(tenant_id: str, scope: str, roles: list[str]) -> set[str]:
    perms: set[str] = set()
    if "owner" in roles:
        perms |= set(policy()["owner"][scope])
    tenant = store().get("tenants", tenant_id) or {}
    for role in tenant.get("roles", []):
        if role["scope"] == scope and role["role"] in roles:
            perms |= set(role["permissions"])
    return perms


def tenant_permissions(tenant_id: str) -> set[str]:
    user = me()
    perms = set(policy()["service_account"]) if user.get("service_account") else set()
    if tenant_admin(tenant_id):
        perms |= set(policy()["tenant_admin"])
    return perms


def contract_permissions(contract: dict) -> set[str]:
    perms = role_permissions(contract["tenant_id"], "contracts",
                             roles_in("contract_members", "contract_id", contract["id"]) or [])
    if tenant_admin(contract["tenant_id"]) or me().get("service_account"):
        perms |= set(policy()["owner"]["contracts"]) | set(policy()["tenant_admin_contracts"])
    return perms


def workspace_permissions(workspace: dict) -> set[str]:
    contract = store().get("contracts", workspace["contract_id"])
    perms = role_permissions(contract["tenant_id"], "workspaces",
                             roles_in("workspace_members", "workspace_id", workspace["id"]) or [])
    if tenant_admin(contract["tenant_id"]):
        perms |= set(policy()["owner"]["workspaces"])
    return perms


def need(perm: str, held: set[str], where: str) -> None:
    if perm not in held:
        raise forbidden(f"You need the {perm} permission in {where}")


def grantable(tenant_id: str, scope: str, roles: list[str], held: set[str], where: str) -> None:
    """Roles a member grants (to anyone, themself included) carry no permission the member lacks
    there, so nobody raises a member above their own rights; owners and tenant admins hold every
    permission of the scope, so they grant any role (inferred: the vendor documents who may edit
    memberships, not what they may grant)."""
    beyond = role_permissions(tenant_id, scope, roles) - held
    if beyond:
        raise forbidden(f"You cannot grant a role with permissions you do not hold in {where}: "
                        f"{', '.join(sorted(beyond))}")


# -- visibility --------------------------------------------------------------------------------


def tenant(tenant_id: str, perm: str | None = None) -> dict:
    found = store().get("tenants", tenant_id)
    if found is None or me().get("tenant_id") != tenant_id:
        raise not_found("Tenant", tenant_id)
    if perm:
        need(perm, tenant_permissions(tenant_id), f"tenant {tenant_id}")
    return found


def contract(contract_id: str, perm: str | None = None) -> dict:
    found = store().get("contracts", contract_id)
    if found is None or not (roles_in("contract_members", "contract_id", contract_id) is not None
                             or tenant_admin(found["tenant_id"])):
        raise not_found("Contract", contract_id)
    if perm:
        need(perm, contract_permissions(found), f"contract {contract_id}")
    return found


def workspace(workspace_id: str, perm: str | None = None, *, member: bool = True) -> dict:
    """The workspace, if the caller sees its contract (else 404) and is a member of it, or may
    list every workspace of the contract (else 403); with `perm`, holding it there (else 403)."""
    found = store().get("workspaces", workspace_id)
    if found is None:
        raise not_found("Workspace", workspace_id)
    try:
        owner = contract(found["contract_id"])
    except ApiError:  # another contract's workspace is not found, like its contract (not naming it)
        raise not_found("Workspace", workspace_id) from None
    is_member = roles_in("workspace_members", "workspace_id", workspace_id) is not None
    if member and not is_member and "contracts.workspace.listAll" not in contract_permissions(owner):
        raise forbidden(f"You are not a member of workspace {workspace_id}")
    if perm:
        need(perm, workspace_permissions(found), f"workspace {workspace_id}")
    return found


def within_workspace(coll: str, label: str, ident: str, perm: str | None = None) -> dict:
    """A document that lives in a workspace, if the caller may see that workspace (a document of
    another contract is not found, like its workspace; naming the document, not the workspace)."""
    found = store().get(coll, ident)
    if found is None:
        raise not_found(label, ident)
    try:
        workspace(found["workspace_id"], perm)
    except ApiError as error:
        if error.kind == "not_found":
            raise not_found(label, ident) from None
        raise
    return found


def flow(flow_id: str, perm: str | None = None) -> dict:
    return within_workspace("flows", "Flow", flow_id, perm)


def credential(credential_id: str) -> dict:
    return within_workspace("credentials", "Credential", credential_id)


def secret(secret_id: str) -> dict:
    return within_workspace("auth_secrets", "Auth secret", secret_id)


def topic(topic_id: str) -> dict:
    return within_workspace("topics", "Topic", topic_id)


def user(user_id: str) -> dict:
    """A user of the caller's tenant; another tenant's users are not found."""
    found = store().get("users", user_id)
    if found is None or found.get("tenant_id") != me().get("tenant_id"):
        raise not_found("User", user_id)
    return found


def support_user(body: dict) -> None:
    """A support user a request names (contracts, tenants) is a user of the caller's tenant."""
    user_id = ((body.get("data") or {}).get("attributes") or {}).get("support_user_id")
    if user_id:
        user(user_id)


def team(team_id: str, perm: str | None = None) -> dict:
    found = store().get("teams", team_id)
    if found is None:
        raise not_found("Team", team_id)
    try:
        contract(found["contract_id"], perm)
    except ApiError as error:
        if error.kind == "not_found":
            raise not_found("Team", team_id) from None
        raise
    return found


# -- components: a contract's own, and those shared with it ------------------------------------------

def shared_with(component_doc: dict, contract_doc: dict) -> bool:
    level = component_doc["attributes"].get("access")
    if level == "global":
        return True
    owner = store().get("contracts", component_doc["contract_id"]) or {}
    return level == "tenant" and owner.get("tenant_id") == contract_doc["tenant_id"] or \
        contract_doc["id"] in component_doc["attributes"].get("whitelisted_contract_ids", [])


# filter[access] -> which components of the tenant count.
ACCESS_FILTERS = {
    "private": lambda c, contract_doc: c["contract_id"] == contract_doc["id"],
    "public": lambda c, contract_doc: c["contract_id"] != contract_doc["id"] and shared_with(c, contract_doc),
    "all": lambda c, contract_doc: c["contract_id"] == contract_doc["id"] or shared_with(c, contract_doc),
}


def component(component_id: str, contract_doc: dict | None = None) -> dict:
    """A component the caller's contracts may use (own or shared); others are not found."""
    found = store().get("components", component_id)
    contracts = [contract_doc] if contract_doc else [store().get("contracts", i) for i in my_contract_ids()]
    if found is None or not any(ACCESS_FILTERS["all"](found, c) for c in contracts):
        raise not_found("Component", component_id)
    return found


def version(version_id: str, label: str = "Version") -> dict:
    """A version of a component the caller may use; others are not found."""
    found = store().get("component_versions", version_id)
    try:
        component(str((found or {}).get("component_id")))
    except ApiError:
        raise not_found(label, version_id) from None
    return found


def descriptor(descriptor_id: str) -> dict:
    version(descriptor_id, "Descriptor")
    found = store().get("descriptors", descriptor_id)
    if found is None:
        raise not_found("Descriptor", descriptor_id)
    return found


def auth_client(client_id: str) -> dict:
    """An auth client of no scope (global), or of a tenant, contract or workspace the caller sees."""
    found = store().get("auth_clients", client_id)
    if found is None:
        raise not_found("Auth client", client_id)
    scopes = (("workspace_id", lambda i: workspace(i, member=False)), ("contract_id", contract),
              ("tenant_id", tenant))
    try:
        for field, reach in scopes:
            if found.get(field):
                reach(found[field])
                break
    except ApiError:
        raise not_found("Auth client", client_id) from None
    return found


def my_workspace_ids() -> list[str]:
    return [m["workspace_id"] for m in store().find("workspace_members", user_id=me()["id"])]


def my_contract_ids() -> list[str]:
    ids = [m["contract_id"] for m in store().find("contract_members", user_id=me()["id"])]
    ids += [c["id"] for c in store().all("contracts") if tenant_admin(c["tenant_id"]) and c["id"] not in ids]
    return ids


# -- guards for jsonapi.Crud -----------------------------------------------------------------------


def _mismatch(doc: dict | None, field: str, value: str | None) -> None:
    if doc is not None and value is not None and doc.get(field) != value:
        raise not_found("Resource", doc.get("id"))


def workspace_guard(perms: dict[str, str | None]):
    """Resources that live in a workspace named by a path or query `workspace_id`, or by the
    document's own workspace (a create's `relationships.workspace`)."""

    def authorize(action, params, doc, body):
        _mismatch(doc if action != "create" else None, "workspace_id", params.get("workspace_id"))
        ws_id = params.get("workspace_id") or (doc or {}).get("workspace_id")
        workspace(ws_id, perms.get(action))
        if action == "create":
            return {"workspace_id": ws_id, "user_id": me()["id"]}
        return {"workspace_id": ws_id}

    return authorize


def tenant_guard(perms: dict[str, str | None]):
    """Resources under `/tenants/{tenant_id}/...`."""

    def authorize(action, params, doc, body):
        _mismatch(doc if action != "create" else None, "tenant_id", params.get("tenant_id"))
        tenant(params["tenant_id"], perms.get(action))
        if action == "create":
            return {"tenant_id": params["tenant_id"], "user_id": me()["id"]}
        return {"tenant_id": params["tenant_id"]}

    return authorize


def own_guard(action, params, doc, body):
    """The caller's own resources (SSH keys): others' are not found."""
    if doc is not None and action != "create" and doc.get("user_id") != me()["id"]:
        raise not_found("Resource", doc.get("id"))
    return {"user_id": me()["id"]}
