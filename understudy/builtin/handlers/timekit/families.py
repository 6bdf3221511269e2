"""The plain CRUD families (calendars, events, projects, locations, location services,
templates) from one table: which collection, what a missing document is called, which body
fields name other documents, which are timestamps, which must be unique in the app. Projects add
their hosted and embedded views and their resource list; accounts are listed and synced."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from understudy.context import principal, store
from understudy.errors import not_found
from understudy.paging import Search

from . import common, times
from .common import Problems
from .resources import present as present_resource


@dataclass(frozen=True)
class Family:
    coll: str
    model: str
    fields: tuple[str, ...]  # what a client may write; a create stores null for those left out
    key: str = "id"  # the field (and path parameter) a document is addressed by
    refs: dict[str, tuple[str, str]] = field(default_factory=dict)  # field -> (collection, model)
    timestamps: tuple[str, ...] = ()
    unique: tuple[str, ...] = ()
    required: tuple[str, ...] = ()  # fields a create needs after the defaults are filled in
    defaults: Callable[[dict], dict] = lambda body: {}  # fields a create fills in from the body
    search: dict[str, str] = field(default_factory=dict)  # `?search=` key -> path in the document


def _calendar_defaults(body: dict) -> dict:
    resource = principal().get("resource") or {}
    return {"resource_id": resource.get("id"), "display_name": body.get("name"), "description": "",
            "foregroundcolor": "#ffffff", "backgroundcolor": "#3a5f9c", "provider": "timekit",
            "provider_id": None, "provider_access": "owner", "provider_primary": False,
            "provider_sync": False}


FAMILIES = {f.coll: f for f in (
    Family("calendars", "Calendar",
           ("name", "display_name", "description", "foregroundcolor", "backgroundcolor", "resource_id"),
           refs={"resource_id": ("resources", "resource")}, required=("resource_id",),
           defaults=_calendar_defaults),
    Family("events", "Event",
           ("calendar_id", "start", "end", "what", "where", "description", "participants", "all_day"),
           refs={"calendar_id": ("calendars", "calendar")}, timestamps=("start", "end"),
           defaults=lambda body: {"description": "", "participants": [], "all_day": False}),
    Family("projects", "Project",
           ("name", "slug", "description", "resources", "locations", "services", "availability", "booking",
            "reservation_time"),
           refs={"resources": ("resources", "resource"), "locations": ("locations", "location"),
                 "services": ("services", "service")}, unique=("slug",),
           defaults=lambda body: {"slug": common.slugify(body["name"]), "description": "", "resources": [],
                                  "locations": [], "services": [], "availability": {}, "booking": {}},
           # the JS SDK's getLocationProjects() and getServiceProjects() search `locations.uuid:<id>`
           search={"id": "id", "name": "name", "slug": "slug", "resources": "resources",
                   "locations.uuid": "locations", "services.uuid": "services"}),
    Family("locations", "Location", ("name", "address", "latitude", "longitude", "timezone")),
    Family("services", "Service", ("location_id", "name", "description", "duration", "price", "currency"),
           refs={"location_id": ("locations", "location")}, defaults=lambda body: {"description": ""}),
    Family("templates", "Template", ("slug", "name", "type", "subject", "body"), key="slug",
           unique=("slug",)),
)}


def find(family: Family, ident: Any, write: bool = False) -> dict:
    """The document a path names (a write to another resource's: 403 for resource credentials)."""
    if family.key == "id":
        return (common.target if write else common.find)(family.coll, ident, family.model)
    found = common.owned(family.coll, lambda d: d.get(family.key) == ident)
    if not found:
        raise not_found(family.model, ident)
    return found[0]


def checked(family: Family, body: dict, ident: str | None = None) -> dict:
    """The body's fields, timestamps normalised; 422 listing every missing field, bad reference,
    timestamp or duplicate. `ident` is the document being updated (None on create)."""
    problems, fields = Problems(), dict(body)
    for name in family.required if ident is None else ():
        if not fields.get(name):
            problems.add(name, f"{name} is required")
    for name, (coll, what) in family.refs.items():
        for value in fields.get(name) if isinstance(fields.get(name), list) else [fields.get(name)]:
            if value is not None:
                problems.reference(coll, value, name, what)
    for name in family.timestamps:
        if name in fields:
            fields[name] = problems.timestamp(fields[name], name)
    if all(fields.get(n) for n in ("start", "end")) and not problems.found and \
            datetime.fromisoformat(fields["end"]) <= datetime.fromisoformat(fields["start"]):
        problems.add("end", "end must be after start")
    for name in family.unique:
        taken = fields.get(name) is not None and common.owned(
            family.coll, lambda d: d.get(name) == fields[name] and d["id"] != ident)
        if taken:
            problems.add(name, f"The {name} has already been taken")
    problems.check()
    return fields


def crud(coll: str):
    """The five handlers of a family; the path parameter is named after `Family.key`."""
    family = FAMILIES[coll]

    def writable(body: dict) -> dict:
        return {k: v for k, v in body.items() if k in family.fields}

    async def list_all(limit: int = 50, page: int = 1, search: str | None = None):
        criteria = Search.parse(search, family.search)
        return common.listing([common.public(d) for d in common.owned(coll) if criteria.matches(d)], limit, page)

    async def create(body: dict):
        with store().atomic():  # unique fields checked and stored in one step, on every worker and host
            fields = checked(family, {**dict.fromkeys(family.fields), **family.defaults(body), **writable(body)})
            doc = common.insert(coll, fields)
        return common.created(common.public(doc))

    async def get(**params):
        return common.ok(common.public(find(family, params[family.key])))

    async def update(body: dict, **params):
        doc = find(family, params[family.key], write=True)
        with store().atomic():
            fields = checked(family, writable(body), doc["id"])
            doc = common.change(coll, doc["id"], fields)
        return common.ok(common.public(doc))

    async def delete(**params):
        store().delete(coll, find(family, params[family.key], write=True)["id"])
        return common.deleted()

    return list_all, create, get, update, delete


list_calendars, create_calendar, get_calendar, update_calendar, delete_calendar = crud("calendars")
list_events, create_event, get_event, update_event, delete_event = crud("events")
list_projects, create_project, get_project, update_project, delete_project = crud("projects")
list_locations, create_location, get_location, update_location, delete_location = crud("locations")
list_services, create_service, get_service, update_service, delete_service = crud("services")
list_templates, create_template, get_template, update_template, delete_template = crud("templates")


# -- projects: public views and their resources --------------------------------------------------

PROJECTS = FAMILIES["projects"]


async def hosted_project(slug: str):
    found = common.owned("projects", lambda p: p.get("slug") == slug)
    if not found:
        raise not_found("Project", slug)
    return common.ok(common.public(found[0]))


async def embedded_project(id: str):
    return common.ok(common.public(find(PROJECTS, id)))


def _project_resources(project: dict) -> list[dict]:
    return [present_resource(r) for r in (common.lookup("resources", i) for i in project["resources"]) if r]


async def list_project_resources(id: str, limit: int = 50, page: int = 1):
    return common.listing(_project_resources(find(PROJECTS, id)), limit, page)


async def add_project_resource(id: str, body: dict):
    project = find(PROJECTS, id)
    checked(PROJECTS, {"resources": [body["resource_id"]]}, id)
    wanted = list(dict.fromkeys(project["resources"] + [body["resource_id"]]))
    return common.ok(_project_resources(common.change("projects", id, {"resources": wanted})))


async def set_project_resources(id: str, body: list):
    find(PROJECTS, id)
    checked(PROJECTS, {"resources": body}, id)
    project = common.change("projects", id, {"resources": list(dict.fromkeys(body))})
    return common.ok(_project_resources(project))


async def remove_project_resource(id: str, resource_id: str):
    project = find(PROJECTS, id)
    if resource_id not in project["resources"]:
        raise not_found("Resource", resource_id)
    common.change("projects", id, {"resources": [r for r in project["resources"] if r != resource_id]})
    return common.deleted()


# -- accounts: calendar provider accounts ---------------------------------------------------------

async def list_accounts(limit: int = 50, page: int = 1):
    return common.listing([common.public(a) for a in common.owned("accounts")], limit, page)


def _sync(provider: str | None):
    at = times.stamp()
    synced = [common.change("accounts", a["id"], {"last_synced_at": at})
              for a in common.owned("accounts", lambda a: provider is None or a["provider"] == provider)]
    return common.ok([common.public(a) for a in synced])


async def sync_accounts():
    return _sync(None)


async def sync_google_accounts():
    return _sync("google")


async def sync_microsoft_accounts():
    return _sync("microsoft")
