"""What every Takaro handler shares: the `{meta, data}` envelope, ids and timestamps, the caller's
domain, business-rule errors, and `Resource`: table-driven get/search/create/update/delete over one
store collection, scoped to the caller's domain. Handlers are mostly one line over these."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Mapping

from connexion import context as connexion_context

from understudy import search
from understudy.search import parse_time
from understudy.context import current, principal, store
from understudy.errors import ApiError, Violation
from understudy.responses import json_response

Accessor = Callable[[dict], Any]


# -- envelope, ids, time -----------------------------------------------------------------------
def ok(data: Any, meta: dict | None = None, headers: dict | None = None):
    """Every Takaro success: HTTP 200 and `{meta, data}`."""
    return json_response({"meta": meta or {}, "data": data}, 200, headers)


def done(headers: dict | None = None):
    """A success without payload (deletes, assignments, kicks ...)."""
    return ok({}, headers=headers)


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def expired(doc: dict, field_name: str = "expiresAt") -> bool:
    moment = parse_time(doc.get(field_name))
    return moment is not None and moment <= datetime.now(timezone.utc)


def new_id() -> str:
    return str(uuid.uuid4())


# -- errors ------------------------------------------------------------------------------------
def bad_request(message: str) -> ApiError:
    """A business rule refused the request: 400 BadRequestError."""
    return ApiError("unprocessable", message)


def validation(where: str, message: str, rule: str) -> ApiError:
    """A value the schema cannot judge (a JSON string, a config): 400 ValidationError."""
    return ApiError("validation", "Validation error", [Violation("body", where, message, rule)])


def conflict() -> ApiError:
    return ApiError("conflict", "Unique constraint violation")


def missing(label: str, ident: Any) -> ApiError:
    return ApiError("not_found", f"{label} with id {ident} not found")


# -- the caller ----------------------------------------------------------------------------------
def domain_id() -> str:
    return principal()["domain"]


def act_in(domain: str) -> None:
    """Routes without a domain session (admin, public) that work on one domain say which."""
    current().principal = {**(principal() or {}), "domain": domain}


def caller() -> dict:
    """The calling user (domain routes)."""
    return principal()["user"]


def can(permission: str) -> bool:
    perms = principal().get("permissions", ())
    return "ROOT" in perms or permission in perms


def mine(coll: str, **equals: Any) -> list[dict]:
    """The documents of a collection in the caller's domain."""
    return store().find(coll, domain=domain_id(), **equals)


def owned(coll: str, ident: Any, label: str) -> dict:
    """One document of the caller's domain, or 404."""
    doc = store().get(coll, ident)
    if doc is None or doc.get("domain") != domain_id():
        raise missing(label, ident)
    return doc


def public(doc: dict) -> dict:
    """A stored document as the API shows it: without its tenant column."""
    return {k: v for k, v in doc.items() if k != "domain"}


def stamp(fields: Mapping[str, Any], ident: str | None = None) -> dict:
    """A new document of the caller's domain."""
    moment = now()
    return {"id": ident or new_id(), **fields, "domain": domain_id(),
            "createdAt": moment, "updatedAt": moment}


def body_schema() -> dict:
    """The JSON schema of the current operation's request body, as the spec declares it."""
    body = connexion_context.operation.request_body
    return body.get("content", {}).get("application/json", {}).get("schema", {})


# -- events ------------------------------------------------------------------------------------------
def emit(event_name: str, subject: Mapping[str, Any] | None = None, meta: dict | None = None) -> dict:
    """Record what happened, as Takaro does for role, game server, module, shop ... changes.
    The event takes its player, game server and module from the subject document."""
    subject = subject or {}
    who = principal() or {}
    fields = {
        "eventName": event_name,
        "playerId": subject.get("playerId"),
        "gameserverId": subject.get("gameServerId") or subject.get("gameserverId"),
        "moduleId": subject.get("moduleId"),
        "userId": subject.get("userId"),
        "actingUserId": (who.get("user") or {}).get("id"),
        "actingModuleId": None,
        "meta": meta or {},
    }
    moment = now()
    event = {"id": new_id(), **fields, "domain": who["domain"],
             "createdAt": moment, "updatedAt": moment}
    return store().insert("events", event)


# -- table-driven resources ----------------------------------------------------------------------
RESOURCES: dict[str, "Resource"] = {}  # collection -> its Resource, as the modules define them


def related(coll: str, **equals: Any) -> list[dict]:
    """The visible documents of another resource that match, as that resource shows them."""
    res = RESOURCES[coll]
    return [res.render(d) for d in mine(coll, **equals) if res.visible is None or res.visible(d)]


# Body fields that name a document of the caller's domain -> the collection they name.
REFERENCES = {"gameServerId": "gameservers", "gameserverId": "gameservers", "playerId": "players",
              "moduleId": "modules", "actingModuleId": "modules", "userId": "users", "actingUserId": "users"}


def referenced(body: Mapping[str, Any], *names: str) -> None:
    """Each named field the body sets names a document of the caller's domain, else the 404 a GET
    of that document answers (another domain's id is as unknown as one that never existed)."""
    for name in names:
        if body.get(name) is not None:
            RESOURCES[REFERENCES[name]].find(body[name])


def related_one(coll: str, ident: Any) -> dict | None:
    doc = store().get(coll, ident) if ident else None
    if doc is None or doc.get("domain") != domain_id():
        return None
    return RESOURCES[coll].render(doc)


@dataclass(frozen=True)
class Resource:
    """One domain-scoped collection and how the API shows, searches and changes it."""

    label: str  # in messages: "Role with id ... not found"
    coll: str
    shape: Callable[[dict], dict] | None = None  # fields every output carries (computed)
    extend: Mapping[str, Accessor] = field(default_factory=dict)  # `extend` name -> related data
    fields: Mapping[str, Accessor] = field(default_factory=dict)  # computed search fields
    visible: Callable[[dict], bool] | None = None  # hides soft-deleted or expired documents
    defaults: Mapping[str, Any] = field(default_factory=dict)  # nullable columns on create
    unique: tuple[tuple[str, ...], ...] = ()  # field groups unique within a domain (409)
    events: Mapping[str, str] = field(default_factory=dict)  # create/update/delete -> eventName

    def __post_init__(self) -> None:
        RESOURCES[self.coll] = self

    def rows(self) -> list[dict]:
        dom = domain_id()
        return store().filter(self.coll, lambda d: d.get("domain") == dom
                              and (self.visible is None or self.visible(d)))

    def find(self, ident: Any) -> dict:
        doc = owned(self.coll, ident, self.label)
        if self.visible is not None and not self.visible(doc):
            raise missing(self.label, ident)
        return doc

    def render(self, doc: dict, extend: Iterable[str] = ()) -> dict:
        out = public(doc)
        if self.shape is not None:
            out = self.shape(out)
        for name in extend:
            related_data = self.extend[name](doc) if name in self.extend else None
            if related_data is not None:  # a relation that is not there is left out
                out[name] = related_data
        return out

    def query(self, body: Any, keep: Callable[[dict], bool] | None = None) -> tuple[list[dict], dict]:
        """The page a search body asks for (among the rows `keep` accepts), and its meta."""
        parsed = search.parse(body, search.Allowed.from_schema(body_schema()))
        rows = self.rows() if keep is None else [r for r in self.rows() if keep(r)]
        rows, meta = search.run(rows, parsed, self.fields)
        return [self.render(r, parsed.extend) for r in rows], meta

    def check_unique(self, doc: dict) -> None:
        for group in self.unique:
            key = tuple(doc.get(f) for f in group)
            for other in self.rows():
                if other["id"] != doc["id"] and tuple(other.get(f) for f in group) == key:
                    raise conflict()

    def create(self, fields: Mapping[str, Any], ident: str | None = None) -> dict:
        doc = stamp({**self.defaults, **fields}, ident)
        with store().atomic():  # checked and stored in one step, on every worker and host
            self.check_unique(doc)
            store().insert(self.coll, doc)
        self.emit("create", doc)
        return doc

    def update(self, ident: Any, fields: Mapping[str, Any]) -> dict:
        with store().atomic():
            doc = {**self.find(ident), **fields, "updatedAt": now()}
            self.check_unique(doc)
            store().update(self.coll, ident, doc)
        self.emit("update", doc)
        return doc

    def delete(self, ident: Any) -> dict:
        doc = self.find(ident)
        store().delete(self.coll, ident)
        self.emit("delete", doc)
        return doc

    def emit(self, action: str, doc: dict) -> None:
        name = self.events.get(action)
        if name:
            key = self.label[0].lower() + self.label[1:].replace(" ", "")
            emit(name, doc, {key: {"id": doc["id"], "name": doc.get("name")}})


# -- handler factories: one line per operation in the resource modules --------------------------------
def searcher(res: Resource):
    async def handler(body=None, **_):
        rows, meta = res.query(body)
        return ok(rows, meta)
    return handler


def getter(res: Resource):
    async def handler(id, **_):
        return ok(res.render(res.find(id)))
    return handler


def creator(res: Resource, prepare: Callable[[dict], dict] = dict):
    async def handler(body, **_):
        return ok(res.render(res.create(prepare(body))))
    return handler


def updater(res: Resource, prepare: Callable[[dict, dict], dict] = lambda body, doc: body):
    async def handler(id, body, **_):
        return ok(res.render(res.update(id, prepare(body, res.find(id)))))
    return handler


def deleter(res: Resource):
    async def handler(id, **_):
        res.delete(id)
        return done()
    return handler
