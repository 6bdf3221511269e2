"""The app (`/app`, `/apps`), its API keys (`/credentials`) and resource login (`POST /auth`)."""

from __future__ import annotations

import secrets
import string

from understudy.auth import matching
from understudy.context import header, principal, store
from understudy.errors import not_found, unauthorized

from . import common, times
from .common import Problems, refuse

# Collections whose documents belong to one app (deleted with it).
APP_COLLECTIONS = ("credentials", "resources", "calendars", "bookings", "reservations", "events",
                   "projects", "locations", "services", "templates", "accounts", "password_resets")
KEY_ALPHABET = string.ascii_letters + string.digits


def present_app(app: dict, with_token: bool = False) -> dict:
    out = {k: app[k] for k in ("id", "slug", "name", "settings", "created_at", "updated_at")}
    if with_token:
        live = store().find("credentials", app_id=app["id"], mode="live")
        out["app_token"] = live[0]["token"] if live else None
    return out


def find_app(slug: str) -> dict:
    app = store().first("apps", slug=slug)
    if app is None:
        raise not_found("App", slug)
    return app


def new_key(app_id: str, mode: str, description: str = "") -> dict:
    token = f"{mode}_api_key_" + "".join(secrets.choice(KEY_ALPHABET) for _ in range(32))
    return store().insert("credentials", {"id": common.new_id(), "app_id": app_id, "mode": mode,
                                          "token": token, "description": description,
                                          "created_at": times.stamp(),
                                          "updated_at": times.stamp()})


async def get_app(include=None):
    return common.ok(present_app(common.app(), "app_token" in common.includes(include)))


async def list_apps(limit: int = 50, page: int = 1):
    apps = sorted(store().all("apps"), key=lambda a: a["created_at"])
    return common.listing([present_app(a) for a in apps], limit, page)


async def create_app(body: dict):
    slug = body.get("slug") or common.slugify(body["name"])
    at = times.stamp()
    settings = {"name": body["name"], "callback": None, "from_email": None, "from_name": None,
                "contact_name": None, "contact_email": None, **(body.get("settings") or {})}
    with store().atomic():  # one app per slug, on every worker and host
        if store().first("apps", slug=slug):
            problems = Problems()
            problems.add("slug", "The slug has already been taken")
            problems.check()
        app = store().insert("apps", {"id": common.new_id(), "slug": slug, "name": body["name"],
                                      "settings": settings, "created_at": at, "updated_at": at})
    new_key(app["id"], "live", "Created with the app")
    new_key(app["id"], "test", "Created with the app")
    return common.created(present_app(app, with_token=True))


async def update_app(slug: str, body: dict):
    app = find_app(slug)
    settings = {**app["settings"], **(body.get("settings") or {})}
    changes = {"settings": settings, **({"name": body["name"]} if body.get("name") else {})}
    app = store().update("apps", app["id"], {**changes, "updated_at": times.stamp()})
    return common.ok(present_app(app))


async def delete_app(slug: str):
    app = find_app(slug)
    if app["id"] == common.app_id():
        raise refuse("An app cannot delete itself; call with another app's key")
    for coll in APP_COLLECTIONS:
        for doc in store().find(coll, app_id=app["id"]):
            store().delete(coll, doc["id"])
    store().delete("apps", app["id"])
    return common.deleted()


async def list_credentials(limit: int = 50, page: int = 1):
    return common.listing([common.public(c) for c in common.owned("credentials")], limit, page)


async def create_credential(body: dict):
    key = new_key(common.app_id(), body.get("mode", "live"), body.get("description", ""))
    return common.created(common.public(key))


async def delete_credential(id: str):
    common.find("credentials", id, "Credential")
    if id == (principal() or {}).get("credential_id"):
        raise refuse("A key cannot revoke itself; call with another key")
    store().delete("credentials", id)
    return common.deleted()


async def auth(body: dict):
    """A resource's e-mail and password -> its API token (resource credentials, with Timekit-App)."""
    slug = header("Timekit-App")
    apps = [a["id"] for a in store().all("apps") if slug is None or a["slug"] == slug]
    candidates = [r for r in store().all("resources") if r["app_id"] in apps]
    resource = matching(candidates, email=body["email"], password=body["password"])
    if resource is None:
        raise unauthorized("Invalid email or password")
    return common.ok({**common.public(resource), "api_token": resource["api_token"]})
