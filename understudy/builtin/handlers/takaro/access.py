"""Who is calling Takaro, and may they.

- Admin routes: the `X-Takaro-Admin-Token` header must equal `ADMIN_CLIENT_SECRET`.
- Domain routes: a session token from `POST /login` (as `Authorization: Bearer` or the
  `takaro-token` cookie), or a JWT from `POST /token` in `x-takaro-token`. A session names an
  identity (an e-mail), which may be a user in several domains: the domain comes from the
  `X-Takaro-Domain` header, else the `takaro-domain` cookie, else the identity's first ACTIVE
  domain (and the cookie is set). The JWT carries its domain.
- Each operation's spec lists the permissions it needs (`x-takaro-permissions`); ROOT satisfies
  any. Then the domain's state is checked, unless the operation says `x-takaro-domain-state: false`.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import jwt

from understudy.api import RequestInfo
from understudy.auth import find, same
from understudy.context import current, settings, store
from understudy.errors import ApiError, forbidden, unauthorized

from .core import expired

DOMAIN_COOKIE = "takaro-domain"
JWT_ISSUER = JWT_AUDIENCE = "takaro"
JWT_LIFETIME = timedelta(days=5)
# Domain states that refuse domain routes, with Takaro's messages.
STATE_REFUSALS = {
    "DISABLED": "Domain is disabled. Please contact support.",
    "MAINTENANCE": "Domain is in maintenance mode. Please try again later.",
}


def refuse(message: str) -> ApiError:
    """A 400 BadRequestError decided while authorising. Kind `forbidden` so it outranks the
    'credentials missing' of the other security schemes the request did not use."""
    return ApiError("forbidden", message, status=400, code="BadRequestError")


# -- admin ---------------------------------------------------------------------------------------
def verify_admin(value: str, request: RequestInfo) -> dict:
    secret = str(settings()["ADMIN_CLIENT_SECRET"] or "")
    if not secret:
        raise unauthorized("Not authorized")
    if not same(value, secret):
        raise forbidden("Forbidden")
    return {"admin": True}


# -- domain users ----------------------------------------------------------------------------------
def verify_session(token: str, request: RequestInfo) -> dict:
    session = find("sessions", id=token)
    identity = session and store().get("identities", session["identityId"])
    if not identity:
        raise unauthorized("Not authorized")
    domain, chosen = choose_domain(identity["id"], request)
    user = store().first("users", domain=domain, idpId=identity["id"])
    if user is None:
        raise unauthorized("Not authorized")
    if chosen:
        current().extras["set-cookie"] = f"{DOMAIN_COOKIE}={domain}; Path=/; HttpOnly; SameSite=Lax"
    return authorize(user, request, via="session")


def verify_jwt(token: str, request: RequestInfo) -> dict:
    try:
        claims = jwt.decode(token, str(settings()["JWT_SECRET"]), algorithms=["HS256"],
                            audience=JWT_AUDIENCE, issuer=JWT_ISSUER)
    except jwt.PyJWTError:
        raise unauthorized("Not authorized")
    user = store().get("users", claims.get("sub"))
    if user is None or user.get("domain") != claims.get("domainId"):
        raise unauthorized("Not authorized")
    return authorize(user, request, via="token")


def mint_jwt(user: dict, secret: str) -> str:
    """The agent token `POST /token` returns: HS256, 5 days, for one user of one domain."""
    moment = datetime.now(timezone.utc)
    claims = {"sub": user["id"], "domainId": user["domain"], "iss": JWT_ISSUER,
              "aud": JWT_AUDIENCE, "iat": moment, "exp": moment + JWT_LIFETIME}
    return jwt.encode(claims, secret, algorithm="HS256")


def member_domains(identity_id: str) -> list[dict]:
    """The domains an identity is a user of, oldest first."""
    ids = {u["domain"] for u in store().find("users", idpId=identity_id)}
    return sorted((d for d in store().all("domains") if d["id"] in ids),
                  key=lambda d: (d["createdAt"], d["id"]))


def choose_domain(identity_id: str, request: RequestInfo) -> tuple[str, bool]:
    """(domain id, whether it was chosen for the caller rather than named by them)."""
    named = request.headers.get("x-takaro-domain") or request.cookies.get(DOMAIN_COOKIE)
    if named:
        return named, False
    domains = member_domains(identity_id)
    active = [d for d in domains if d["state"] == "ACTIVE"]
    if active:
        return active[0]["id"], True
    if domains:
        raise refuse(STATE_REFUSALS[domains[0]["state"]])
    raise unauthorized("Not authorized")


def permissions_of(user: dict) -> set[str]:
    """The user's roles, plus their linked player's, as permission codes."""
    assignments = [a for a in store().find("roleAssignments", domain=user["domain"], userId=user["id"])]
    if user.get("playerId"):
        assignments += store().find("roleAssignments", domain=user["domain"], playerId=user["playerId"])
    codes: set[str] = set()
    for assignment in assignments:
        role = store().get("roles", assignment["roleId"])
        if role is None or expired(assignment):
            continue
        for grant in role.get("permissions", []):
            permission = store().get("permissions", grant["permissionId"])
            if permission is not None:
                codes.add(permission["permission"])
    return codes


def authorize(user: dict, request: RequestInfo, via: str) -> dict:
    perms = permissions_of(user)
    needed = request.operation.get("x-takaro-permissions", [])
    root = "ROOT" in perms
    if not root and any(p not in perms for p in needed):
        raise forbidden("Forbidden")
    if any(p.startswith("MANAGE_") for p in needed) and not root and not user.get("isDashboardUser"):
        raise refuse("You must be a dashboard user to perform this action")
    if request.operation.get("x-takaro-domain-state", True):
        domain = store().get("domains", user["domain"])
        if domain is None:
            raise unauthorized("Not authorized")
        if domain["state"] in STATE_REFUSALS:
            raise refuse(STATE_REFUSALS[domain["state"]])
    return {"domain": user["domain"], "user": user, "permissions": sorted(perms), "via": via}
