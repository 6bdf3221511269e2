"""Tiikr: Basic auth against a company's users; only Owner and Administrator may call."""

from understudy.api import ApiDefinition, RequestInfo
from understudy.auth import find
from understudy.errors import ApiError, forbidden, unauthorized

ALLOWED_ROLES = ("Owner", "Administrator")


def render_error(error: ApiError, status: int) -> dict:
    return {
        "success": False,
        "message": error.message,
        "errors": [{"location": v.location, "field": v.where, "message": v.message}
                   for v in error.violations],
    }


def verify_basic(credential: tuple[str, str], request: RequestInfo) -> dict:
    username, password = credential
    user = find("users", username=username, password=password)
    if user is None:
        raise unauthorized("Invalid username or password")
    if user["role"] not in ALLOWED_ROLES:
        raise forbidden(f"Only users with the Owner or Administrator role can access the Tiikr API; "
                        f"{username} is {user['role']}")
    return user


def credentials(config, state) -> list[dict]:
    return [{"scheme": "basic", "username": u["username"], "password": u["password"],
             "role": u["role"], "company": u["company_id"],
             "note": u["role"] + ("" if u["role"] in ALLOWED_ROLES else ", refused with 403"),
             "describe": f"{u['username']}:{u['password']} ({u['role']}"
                         + ("" if u["role"] in ALLOWED_ROLES else ", refused with 403") + ")"}
            for u in state.all("users")]


API = ApiDefinition(
    name="tiikr",
    title="Tiikr API",
    spec="tiikr.yaml",
    render_error=render_error,
    verifiers={"basicAuth": verify_basic},
    www_authenticate='Basic realm="Tiikr API"',
    credentials=credentials,
    example="curl -u owner:owner-password {base}/test",
    contract_auth=lambda config: {"basicAuth": {"username": "owner", "password": "owner-password"}},
)
