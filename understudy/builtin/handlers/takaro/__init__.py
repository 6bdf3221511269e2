"""Takaro: multi-tenant game-server management. Admin routes behind `X-Takaro-Admin-Token`,
domain routes behind a login session or an agent JWT, every `/search` through one search
language, every answer in `{meta, data}`."""

import re
import uuid
from pathlib import Path

from understudy.api import ApiDefinition
from understudy.errors import ApiError
from understudy.settings import setting, text
from understudy.stores import load_fixtures

from .access import mint_jwt, verify_admin, verify_jwt, verify_session
from .class_validator import validation_details

DEMO_ROOT = "root@brave-otters-sing.com"
DEMO_ROOT_SESSION = "ory_st_DemoRootBraveOttersSing000000001"

# Error kind -> Takaro's error class (the `code` of the body).
CODES = {
    "validation": "ValidationError",
    "malformed": "BadRequestError",
    "media_type": "BadRequestError",
    "unprocessable": "BadRequestError",
    "too_large": "BadRequestError",
    "unauthorized": "UnauthorizedError",
    "forbidden": "ForbiddenError",
    "not_found": "NotFoundError",
    "route_not_found": "NotFoundError",
    "method_not_allowed": "MethodNotAllowedError",
    "conflict": "ConflictError",
    "rate_limited": "TooManyRequestsError",
}
SEARCH_VALUE = re.compile(r"^/(filters|search)/[^/]+$")  # where a search body's values sit
# Takaro's fixed messages for some kinds (others keep the specific message).
MESSAGES = {"validation": "Validation error", "malformed": "Invalid JSON"}
def scalar_filter(error: ApiError) -> bool:
    """Takaro's query builder, not its validator, refuses a scalar where a filter or search takes
    an array: 400 BadRequestError rather than ValidationError."""
    return error.kind == "validation" and bool(error.violations) and all(
        v.rule in ("type", "anyOf") and SEARCH_VALUE.match(v.where) for v in error.violations)


def render_error(error: ApiError, status: int) -> dict:
    if scalar_filter(error):
        error = ApiError("unprocessable", "Filter values must be arrays or boolean", error.violations)
    body = {"code": error.code or CODES.get(error.kind, "InternalServerError"),
            "message": MESSAGES.get(error.kind, error.message) if error.code is None else error.message}
    if error.violations:
        body["details"] = validation_details(error.violations)
    return {"meta": {"error": body}, "data": {}}


def credentials(config, state) -> list[dict]:
    """The admin token, then each demo login with its domain and its ready-made session token."""
    found = [{"scheme": "adminAuth", "header": "X-Takaro-Admin-Token",
              "value": config["ADMIN_CLIENT_SECRET"], "who": "admin token", "note": "admin routes: /domain, /token",
              "describe": f"X-Takaro-Admin-Token: {config['ADMIN_CLIENT_SECRET']} (admin routes)"}]
    for session in state.all("sessions"):
        identity = state.get("identities", session["identityId"])
        domains = sorted({u["domain"] for u in state.find("users", idpId=identity["id"])})
        found.append({
            "scheme": "bearerAuth", "username": identity["email"], "password": identity["password"],
            "token": session["id"], "domains": domains,
            "note": f"password {identity['password']} for POST /login; domains {', '.join(domains)}",
            "describe": f"POST /login {identity['email']} / {identity['password']} "
                        f"(domains {', '.join(domains)}); or Authorization: Bearer {session['id']}",
        })
    return found


def response_headers(ctx) -> dict:
    """A trace id on every answer (Takaro exposes X-Trace-Id), and the domain cookie when the
    request did not name a domain."""
    trace = ctx.extras.setdefault("trace-id", uuid.uuid4().hex)
    cookie = ctx.extras.get("set-cookie")
    return {"X-Trace-Id": trace, **({"Set-Cookie": cookie} if cookie else {})}


def contract_auth(config) -> dict[str, dict]:
    """The first demo domain's root user, through every scheme: admin token, session as Bearer
    and as the domain's token header, agent JWT."""
    users = load_fixtures(Path(config["root"]) / "fixtures" / "takaro")["users"]
    root = next(u for u in users if u["email"] == DEMO_ROOT)
    return {"adminAuth": {"api_key": config["ADMIN_CLIENT_SECRET"]}, "bearerAuth": {"bearer": DEMO_ROOT_SESSION},
            "domainAuth": {"api_key": DEMO_ROOT_SESSION}, "tokenAuth": {"api_key": mint_jwt(root, config["JWT_SECRET"])}}


API = ApiDefinition(
    name="takaro",
    title="Takaro API",
    spec="takaro.yaml",
    render_error=render_error,
    verifiers={"adminAuth": verify_admin, "bearerAuth": verify_session,
               "domainAuth": verify_session, "tokenAuth": verify_jwt},
    status={"unprocessable": 400, "media_type": 400, "too_large": 413},
    settings=[
        # The seed's curl sends `X-Takaro-Admin-Token: xxx`; the demo secret is that value.
        setting("ADMIN_CLIENT_SECRET", text(), "xxx", "the X-Takaro-Admin-Token of admin routes; empty: none"),
        setting("JWT_SECRET", text(nonempty=True), "understudy-takaro-demo-jwt-secret",
                "signs the agent JWTs of POST /token (HS256)"),
    ],
    credentials=credentials,
    response_headers=response_headers,
    expose_headers=["X-Trace-Id"],
    example=("curl -X POST {base}/domain -H \"Content-Type: application/json\" "
             "-H \"X-Takaro-Admin-Token: xxx\" --data '{{\"name\": \"test-domain\"}}'"),
    contract_auth=contract_auth,
    # Takaro refuses business rules (economy off, limits reached, builtin modules) with 400.
    contract_config={"checks": {"positive_data_acceptance": {
        "expected-statuses": ["2xx", "3xx", "400", "401", "403", "404", "409"]}}},
)
