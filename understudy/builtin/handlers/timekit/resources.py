"""/resources: the bookable people or things of the app, each with its calendars."""

from __future__ import annotations

import secrets
from datetime import datetime

from understudy.context import store
from understudy.errors import not_found
from understudy.paging import Search

from . import common, constraints, times
from .booking_model import calendars_of
from .common import Problems

SEARCH_FIELDS = {"id": "id", "name": "name", "email": "email", "first_name": "first_name",
                 "last_name": "last_name", "timezone": "timezone", "tags": "tags", "meta.*": "meta"}
CREATE_FIELDS = ("name", "first_name", "last_name", "email", "timezone", "image", "tags", "meta",
                 "availability_constraints")
UPDATE_FIELDS = ("name", "first_name", "last_name", "timezone", "image", "tags", "meta", "password",
                 "availability_constraints")
NEW_CALENDAR = {"name": "Bookings", "display_name": "Bookings", "description": "",
                "foregroundcolor": "#ffffff", "backgroundcolor": "#3a5f9c", "provider": "timekit",
                "provider_access": "owner", "provider_primary": True, "provider_sync": False}


def present(resource: dict) -> dict:
    return {**common.public(resource), "calendars": [common.public(c) for c in calendars_of(resource["id"])]}


def by_email(email: str) -> dict:
    found = common.owned("resources", lambda r: (r.get("email") or "").lower() == email.lower())
    if not found:
        raise not_found("Resource", email)
    return found[0]


def check(body: dict, problems: Problems, ident: str | None = None) -> None:
    if "availability_constraints" in body:
        body["availability_constraints"] = constraints.checked(
            body["availability_constraints"], "availability_constraints", problems)
    if "timezone" in body and not times.is_zone(body["timezone"]):
        problems.add("timezone", f"{body['timezone']} is not a valid IANA time zone")
    email = body.get("email")
    if email and common.owned("resources", lambda r: (r.get("email") or "").lower() == email.lower()
                              and r["id"] != ident):
        problems.add("email", "Email already exists")


async def list_resources(limit: int = 50, page: int = 1, search: str | None = None):
    criteria = Search.parse(search, SEARCH_FIELDS)
    return common.listing([present(r) for r in common.owned("resources") if criteria.matches(r)], limit, page)


async def get_resource(id: str):
    return common.ok(present(common.find("resources", id, "Resource")))


async def create_resource(body: dict):
    problems = Problems()
    with store().atomic():  # one resource per email, on every worker and host
        check(body, problems)
        problems.check()
        fields = {k: body.get(k) for k in CREATE_FIELDS}
        resource = common.insert("resources", {
            **fields, "tags": fields["tags"] or [], "meta": fields["meta"] or {},
            "availability_constraints": fields["availability_constraints"] or [],
            "password": body.get("password") or secrets.token_urlsafe(12),
            "api_token": secrets.token_urlsafe(24),
        })
    common.insert("calendars", {**NEW_CALENDAR, "resource_id": resource["id"], "provider_id": None})
    return common.created(present(resource))


async def update_resource(id: str, body: dict):
    common.target("resources", id, "Resource")
    problems = Problems()
    with store().atomic():
        check(body, problems, id)
        problems.check()
        resource = common.change("resources", id, {k: body[k] for k in UPDATE_FIELDS if k in body})
    return common.ok(present(resource))


async def delete_resource(id: str):
    common.target("resources", id, "Resource")
    for calendar in calendars_of(id):
        store().delete("calendars", calendar["id"])
    store().delete("resources", id)
    return common.deleted()


async def reset_password(body: dict):
    """No e-mail is sent; the request is recorded in the `password_resets` collection."""
    resource = by_email(body["email"])
    common.insert("password_resets", {"resource_id": resource["id"], "email": resource["email"],
                                      "requested_at": times.stamp()})
    return common.deleted()


async def resource_timezone(email: str):
    resource = by_email(email)
    offset = datetime.now(times.zone(resource["timezone"]) or times.UTC).utcoffset()
    hours = offset.total_seconds() / 3600
    return common.ok({"timezone": resource["timezone"],
                      "utc_offset": int(hours) if hours.is_integer() else hours})
