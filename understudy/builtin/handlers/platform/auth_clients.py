"""Auth clients (OAuth2 and other app registrations) at global, tenant, contract or workspace
scope, and the refresh of the auth secrets made with them."""

from understudy import jsonapi
from understudy.context import store
from understudy.errors import conflict, forbidden, not_found
from understudy.responses import empty_response, json_response

from . import access
from .resources import AUTH_CLIENT, AUTH_SECRET

# Scope relationship -> (stored field, how to reach it and the caller's permissions there).
SCOPES = {
    "workspace": ("workspace_id", lambda i: access.workspace_permissions(access.workspace(i)), "workspaces"),
    "contract": ("contract_id", lambda i: access.contract_permissions(access.contract(i)), "contracts"),
    "tenant": ("tenant_id", lambda i: access.tenant_permissions(access.tenant(i)["id"]), "tenants"),
}


def scope_of(doc: dict) -> tuple[str | None, str | None]:
    for name, (field, _, _) in SCOPES.items():
        if doc.get(field):
            return name, doc[field]
    return None, None


def permissions_in(scope: str | None, ident: str | None) -> set[str]:
    if scope is None:
        extra = set(access.policy()["service_account"]) if access.me().get("service_account") else set()
        return set(access.policy()["everyone"]) | extra
    return SCOPES[scope][1](ident)


def need(action: str, scope: str | None, ident: str | None) -> None:
    prefix = SCOPES[scope][2] if scope else "global"
    perm = f"{prefix}.auth_clients.{action}"
    if perm not in permissions_in(scope, ident):
        raise forbidden(f"You need the {perm} permission")


def requested_scope(params: dict) -> tuple[str | None, str | None]:
    for name, (field, _, _) in SCOPES.items():
        if params.get(field):
            return name, params[field]
    return None, None


def shown(doc: dict, scope: tuple) -> dict:
    """credentials only when the caller asks in the client's own scope."""
    if scope_of(doc) != scope:
        doc = {**doc, "attributes": {**doc["attributes"], "credentials": {}}}
    return doc


def chain(scope: str | None, ident: str | None) -> dict:
    """The scopes a request scope sees: a workspace sees its contract's and tenant's clients."""
    if scope == "workspace":
        contract_id = store().get("workspaces", ident)["contract_id"]
        return {"workspace_id": ident, "contract_id": contract_id,
                "tenant_id": store().get("contracts", contract_id)["tenant_id"]}
    if scope == "contract":
        return {"contract_id": ident, "tenant_id": store().get("contracts", ident)["tenant_id"]}
    return {"tenant_id": ident} if scope == "tenant" else {}


def visible(doc: dict, seen: dict) -> bool:
    scope, ident = scope_of(doc)
    return scope is None or seen.get(SCOPES[scope][0]) == ident


async def list_clients(**params):
    scope, ident = requested_scope(params)
    need("get", scope, ident)
    seen = chain(scope, ident)
    docs = [shown(d, (scope, ident)) for d in store().all("auth_clients") if visible(d, seen)]
    return json_response(jsonapi.collection(AUTH_CLIENT, docs, params))


async def create_client(body):
    doc = jsonapi.build(AUTH_CLIENT, body)
    scopes = [name for name, (field, _, _) in SCOPES.items() if doc.get(field)]
    if len(scopes) > 1:
        raise conflict("An auth client has one scope: send one of tenant, contract or workspace")
    scope, ident = scope_of(doc)
    need("create", scope, ident)
    return jsonapi.respond(AUTH_CLIENT, jsonapi.insert(AUTH_CLIENT, doc), 201)


async def get_client(auth_client_id, **params):
    scope, ident = requested_scope(params)
    need("get", scope, ident)
    doc = jsonapi.find(AUTH_CLIENT, auth_client_id)
    if not visible(doc, chain(scope, ident)):
        raise not_found("Auth client", auth_client_id)
    return jsonapi.respond(AUTH_CLIENT, shown(doc, (scope, ident)))


async def update_client(auth_client_id, body):
    doc = jsonapi.find(AUTH_CLIENT, auth_client_id)
    need("edit", *scope_of(doc))
    attributes = body["data"].get("attributes") or {}
    if doc["attributes"].get("type") == "oauth2" and "credentials" in attributes:
        attributes["credentials"] = {**doc["attributes"].get("credentials", {}), **{
            k: v for k, v in attributes["credentials"].items() if k in ("client_secret", "token_expires_in")}}
    return jsonapi.respond(AUTH_CLIENT, jsonapi.update(AUTH_CLIENT, doc, body))


async def delete_client(auth_client_id):
    doc = jsonapi.find(AUTH_CLIENT, auth_client_id)
    need("delete", *scope_of(doc))
    if store().find("auth_secrets", auth_client_id=auth_client_id):
        raise conflict(f"Auth client {auth_client_id} still has secrets")
    store().delete("auth_clients", auth_client_id)
    return empty_response(204)


async def refresh_secret(workspace_id, secret_id):
    access.workspace(workspace_id, "workspaces.auth_secret.refresh")
    secret = jsonapi.find(AUTH_SECRET, secret_id, workspace_id=workspace_id)
    client = store().get("auth_clients", secret.get("auth_client_id"))
    expires = (client or {}).get("attributes", {}).get("credentials", {}).get("token_expires_in", 3600)

    def refreshed(doc: dict) -> None:
        credentials = doc["attributes"].setdefault("credentials", {})
        credentials.update(access_token=jsonapi.object_id() + jsonapi.object_id(), expires_in=expires)
        doc["attributes"].update(state="ready")
        doc["attributes"].pop("error", None)

    secret = store().update("auth_secrets", secret_id, refreshed)
    return json_response({"data": [jsonapi.resource_object(AUTH_SECRET, secret)], "meta": {}})
