"""Users: the caller, the tenant's users, their TOTP and OpenID identities."""

import secrets

from understudy import jsonapi
from understudy.context import store
from understudy.errors import ApiError, Violation, not_found
from understudy.responses import empty_response, json_response

from . import access
from .resources import OPENID_IDENTITY, USER


def tenant_user(user_id: str, perm: str) -> dict:
    """A user of the caller's tenant (others are not found), if the caller holds `perm` there."""
    user = store().get("users", user_id)
    if user is None or user.get("tenant_id") != access.me().get("tenant_id"):
        raise not_found("User", user_id)
    if user_id != access.me()["id"] or perm != "tenants.user.get":
        access.need(perm, access.tenant_permissions(user["tenant_id"]), "your tenant")
    return user


async def me():
    return jsonapi.respond(USER, access.me())


async def get_user(user_id):
    return jsonapi.respond(USER, tenant_user(user_id, "tenants.user.get"))


async def list_users(**params):
    tenant_id = access.me()["tenant_id"]
    access.need("tenants.user.list_all", access.tenant_permissions(tenant_id), "your tenant")
    identities = store().all("openid_identities")

    def wanted(user: dict) -> bool:
        if params.get("email") and user["attributes"]["email"].lower() != params["email"].lower():
            return False
        if params.get("iss") or params.get("sub"):
            return any(i["user_id"] == user["id"] and params.get("iss", i["attributes"]["iss"]) == i["attributes"]["iss"]
                       and params.get("sub", i["attributes"]["sub"]) == i["attributes"]["sub"] for i in identities)
        return True

    users = [u for u in store().find("users", tenant_id=tenant_id) if wanted(u)]
    return json_response(jsonapi.collection(USER, users, params, paged=True))


async def create_user(body):
    tenant_id = access.me()["tenant_id"]
    access.need("tenants.user.create", access.tenant_permissions(tenant_id), "your tenant")
    doc = jsonapi.build(USER, body, {"tenant_id": tenant_id, "tenant_roles": [], "api_key": secrets.token_hex(20),
                                     "describe": "created through the API"})
    doc["attributes"].update(registered=jsonapi.now(), last_login=None)
    email = doc["attributes"]["email"].lower()
    with store().atomic():  # one user per email, on every worker and host
        if any(u["attributes"]["email"].lower() == email for u in store().all("users")):
            raise ApiError("conflict", f"A user with email {email} already exists",
                           [Violation("body", "/data/attributes/email", "already exists")])
        user = jsonapi.insert(USER, doc)
    return jsonapi.respond(USER, user, 201)


async def disable_totp(user_id):
    tenant_user(user_id, "tenants.user.disable_totp")
    store().update("users", user_id, {"totp": False})
    return empty_response(200)


async def delete_user(user_id):
    tenant_user(user_id, "tenants.user.delete")
    for coll in ("sshkeys", "openid_identities", "workspace_members", "contract_members"):
        for doc in store().find(coll, user_id=user_id):
            store().delete(coll, doc["id"])
    store().delete("users", user_id)
    return empty_response(204)


async def add_identity(user_id, body):
    tenant_user(user_id, "tenants.oidc.create")
    doc = jsonapi.create(OPENID_IDENTITY, body, {"user_id": user_id})
    return jsonapi.respond(OPENID_IDENTITY, doc, 201)


async def delete_identity(user_id, identity_id):
    tenant_user(user_id, "tenants.oidc.delete")
    jsonapi.destroy(OPENID_IDENTITY, jsonapi.find(OPENID_IDENTITY, identity_id, user_id=user_id))
    return empty_response(204)
