"""Timekit (v2): bookings moved through their graphs, resources, availability computed from the
bookings in the store, app-key auth.

Auth is HTTP Basic in two forms: the app's API key as the password with an empty user (the
current way; `test_api_key_...` keys mark responses `Timekit-TestMode: true`), or a resource's
`email:api_token` with the app's slug in the `Timekit-App` header (the legacy way)."""

from __future__ import annotations

import re
import uuid

from understudy.api import ApiDefinition, RequestInfo
from understudy.auth import find, matching
from understudy.context import store
from understudy.errors import ApiError, Violation, unauthorized

from .common import app_key_needed

REQUIRED = re.compile(r"^'(.+)' is a required property$")


def error_field(violation: Violation) -> str:
    """The key of a violation in `{"errors": {...}}`: a missing property is named itself."""
    missing = REQUIRED.match(violation.message)
    if violation.location == "body" and missing:
        parent = violation.field
        return missing.group(1) if parent == "body" else f"{parent}.{missing.group(1)}"
    return violation.field


def render_error(error: ApiError, status: int) -> dict:
    if status == 422 and error.violations:
        errors: dict[str, list[str]] = {}
        for violation in error.violations:
            errors.setdefault(error_field(violation), []).append(violation.message)
        return {"errors": errors}
    if error.kind == "not_found":
        return {"error": "Resource does not exist", "model": error.extra.get("model")}
    return {"error": error.detail()}


def verify_basic(credential: tuple[str, str], request: RequestInfo) -> dict:
    user, secret = credential
    if user == "":
        key = find("credentials", token=secret)
        if key is None:
            raise unauthorized("Invalid App API key")
        return {"app": store().get("apps", key["app_id"]), "resource": None,
                "test_mode": key["mode"] == "test", "credential_id": key["id"]}
    slug = request.headers.get("Timekit-App") or request.query.get("Timekit-App")
    if not slug:
        raise unauthorized("Resource credentials need the app's slug in the Timekit-App header")
    app = store().first("apps", slug=slug)
    candidates = store().find("resources", app_id=app["id"]) if app else []
    resource = matching(candidates, email=user, api_token=secret)
    if resource is None:
        raise unauthorized("Invalid email or API token for this app")
    if request.operation.get("x-app-key-only"):  # the app's keys, resources, projects, settings
        raise app_key_needed()
    return {"app": app, "resource": resource, "test_mode": False}


def response_headers(ctx) -> dict[str, str]:
    headers = {"Timekit-Request-Id": str(uuid.uuid4())}
    if ctx.principal and ctx.principal.get("test_mode"):
        headers["Timekit-TestMode"] = "true"
    return headers


def credentials(config, state) -> list[dict]:
    found = []
    for app in state.all("apps"):
        for key in state.find("credentials", app_id=app["id"]):
            found.append({"scheme": "basic", "username": "", "password": key["token"], "app": app["slug"],
                          "who": f"app key ({key['mode']})", "note": f"the app's key as the password, "
                          f"with an empty user; app {app['slug']}, {key['mode']} mode",
                          "describe": f":{key['token']} (app key, {key['mode']} mode, app {app['slug']})"})
        for resource in state.find("resources", app_id=app["id"])[:1]:  # one is enough for the banner
            if resource.get("email") and resource.get("api_token"):
                found.append({
                    "scheme": "basic", "username": resource["email"], "password": resource["api_token"],
                    "header": {"Timekit-App": app["slug"]},
                    "note": f"resource {resource['name']}; POST /auth with password "
                            f"{resource.get('password')!r} returns this token",
                    "describe": f"{resource['email']}:{resource['api_token']} with Timekit-App: "
                                f"{app['slug']} (resource {resource['name']}; POST /auth with "
                                f"password {resource.get('password')!r} returns this token)"})
    return found


API = ApiDefinition(
    name="timekit",
    title="Timekit API",
    spec="timekit.yaml",
    render_error=render_error,
    verifiers={"basicAuth": verify_basic},
    status={"validation": 422, "malformed": 400},
    www_authenticate='Basic realm="Timekit API"',
    credentials=credentials,
    response_headers=response_headers,
    expose_headers=["Timekit-TestMode", "Timekit-Request-Id"],
    # timekit-sdk sends `POST /calendars/` and `POST /bookings/{id}/reschedule/` and Timekit serves
    # them (inferred: its Laravel router ignores a trailing slash), so every path is served both ways.
    trailing_slash=True,
    example="curl --user :live_api_key_7nzvc7wsBQQISLeFSVhROys9V1bUJ1z7 "
            "--header 'Content-Type: application/json' {base}/bookings",
    contract_auth=lambda config: {"basicAuth": {"username": "", "password": "live_api_key_7nzvc7wsBQQISLeFSVhROys9V1bUJ1z7"}},
    # Timekit answers 422 both for invalid fields and for what the state refuses (an action the
    # booking's state does not allow, a taken slot, deleting a booking that is not final).
    contract_config={"checks": {"positive_data_acceptance": {
        "expected-statuses": ["2xx", "401", "403", "404", "409", "422"]}}},
)
