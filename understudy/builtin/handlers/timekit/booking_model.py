"""Bookings: building one from a create body (flat, or the older `event`-nested form), moving it
through its graph, and presenting it with the includes a client asks for."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from understudy.context import store

from . import availability, common, times
from .common import Problems, refuse
from .graphs import GRAPHS, actions_of, initial_state, is_final, next_state

# search key -> path in the searchable view of a booking (see `searchable`)
SEARCH_FIELDS = {
    "id": "id",
    "resource.id": "resource_id",
    "graph": "graph",
    "state": "state",
    "completed": "completed",
    "customer.name": "customers.name",
    "customer.email": "customers.email",
    "calendar.id": "calendar_id",
    "project.id": "project_id",
    "meta.*": "meta",
}
CUSTOMER_FIELDS = ("name", "email", "phone", "voip", "timezone")
EVENT_FIELDS = ("start", "end", "what", "where", "description", "calendar_id", "participants")


# -- reading ------------------------------------------------------------------------------------

def all_visible() -> list[dict]:
    """The app's bookings (with resource credentials, the resource's own: `common.OF_RESOURCE`)."""
    return common.owned("bookings")


def find(ident: str) -> dict:
    return common.find("bookings", ident, "Booking")


def target(ident: str) -> dict:
    """A booking a write names in its path (another resource's: 403 for resource credentials)."""
    return common.target("bookings", ident, "Booking")


def searchable(booking: dict) -> dict:
    return {**booking, "completed": is_final(booking["graph"], booking["state"])}


def seats_taken(owner_id: str) -> int:
    return len(common.owned("bookings", lambda b: (b.get("related") or {}).get("owner_booking_id") == owner_id
                            and b["state"] in GRAPHS[b["graph"]].seated))


# -- presenting ---------------------------------------------------------------------------------

def _attributes(b: dict) -> dict:
    attributes = {"event_info": {**b["event_info"], "calendar_id": b["calendar_id"]}}
    if GRAPHS[b["graph"]].group == "owner":
        attributes["group_booking"] = {"max_seats": b["settings"].get("max_seats", 1),
                                       "current_seats": seats_taken(b["id"])}
    return attributes


def _calendar(b: dict) -> dict | None:
    return common.public(common.lookup("calendars", b["calendar_id"]))


def _event(b: dict) -> dict:
    return {"id": b["event_id"], **b["event_info"], "calendar_id": b["calendar_id"], "all_day": False,
            "created_at": b["created_at"], "updated_at": b["updated_at"]}


def _user(b: dict) -> dict | None:
    resource = common.lookup("resources", b["resource_id"])
    return None if resource is None else {k: resource.get(k) for k in
                                          ("id", "name", "first_name", "last_name", "email", "timezone")}


def _resource(b: dict) -> dict | None:
    resource = common.lookup("resources", b["resource_id"])
    return None if resource is None else {"id": resource["id"], "name": resource["name"]}


INCLUDES: dict[str, Callable[[dict], Any]] = {
    "attributes": _attributes,
    "customers": lambda b: b["customers"],
    "calendar": _calendar,
    "event": _event,
    "logs": lambda b: b["logs"],
    "available_actions": lambda b: actions_of(b["graph"], b["state"]),
    "user": _user,
    "resource": _resource,
    "provider_event": lambda b: None,  # only set for bookings synced to Google or Microsoft
}


def present(booking: dict, include: set[str] = frozenset()) -> dict:
    out = {
        "id": booking["id"],
        "graph": booking["graph"],
        "state": booking["state"],
        "completed": is_final(booking["graph"], booking["state"]),
        "possible_actions": actions_of(booking["graph"], booking["state"]),
        "created_at": booking["created_at"],
        "updated_at": booking["updated_at"],
        "meta": booking["meta"],
    }
    for name in sorted(include & INCLUDES.keys()):
        out[name] = INCLUDES[name](booking)
    return out


def present_group(booking: dict) -> dict:
    """A group slot as `/bookings/groups` lists it."""
    return present(booking, {"attributes", "available_actions", "resource"})


# -- creating -----------------------------------------------------------------------------------

def build(body: dict, problems: Problems) -> dict:
    """A new booking document from a create body; problems are collected, not raised. The
    flat fields win over the older `event`-nested ones; a reservation or a group owner booking
    supplies what the body leaves out."""
    known = len(problems.found)
    event = body.get("event") or {}
    fields = {**{k: event[k] for k in EVENT_FIELDS if k in event},
              **{k: v for k, v in body.items() if k != "event" and v is not None}}

    def named(name: str) -> str:  # the field a problem is reported under
        return f"event.{name}" if name in event and name not in body else name

    reservation = None
    if fields.get("reservation_id") is not None:
        reservation = problems.reference("reservations", fields["reservation_id"], "reservation_id",
                                         "reservation")
        if reservation and datetime.fromisoformat(reservation["expires_at"]) <= times.now():
            problems.add("reservation_id", "the reservation has expired")
            reservation = None
        if reservation:
            fields = {**{k: v for k, v in reservation.items() if k in RESERVED and v is not None}, **fields}

    graph_name = fields.get("graph")
    graph = GRAPHS.get(graph_name)
    if graph is None:
        problems.add("graph", "graph is required" if graph_name is None else
                     f"graph must be one of {', '.join(GRAPHS)}")
        return {}
    state = initial_state(graph_name, fields.get("action"))
    if state is None:
        problems.add("action", f"a {graph_name} booking is created with action "
                               f"{' or '.join(graph.create)} (or none)")

    owner = _owner(fields, graph, problems)
    _named_elsewhere(body, event, graph, problems)
    if owner is not None:
        fields = {"resource_id": owner["resource_id"], "calendar_id": owner["calendar_id"],
                  **{k: owner["event_info"][k] for k in ("start", "end", "what", "where", "description")},
                  **fields}

    resource = _resource_of(fields, named, problems)
    calendar_id = _calendar_of(fields, resource, named, problems)
    start, end = problems.span(fields.get("start"), fields.get("end"), (named("start"), named("end")))
    customer = fields.get("customer")
    if graph.needs_customer and not customer:
        problems.add("customer", f"customer is required for a {graph_name} booking")
    if fields.get("project_id") is not None:
        problems.reference("projects", fields["project_id"], "project_id", "project")
    if len(problems.found) > known:
        return {}

    settings = {"allow_double_bookings": False, **(fields.get("settings") or {})}
    if graph.group == "owner":
        settings.setdefault("max_seats", 1)
    at = times.stamp()
    return {
        "id": common.new_id(), "app_id": common.app_id(), "graph": graph_name, "state": state,
        "resource_id": resource["id"], "calendar_id": calendar_id, "project_id": fields.get("project_id"),
        "event_id": common.new_id(),
        "event_info": {"start": start, "end": end, "what": fields.get("what", ""),
                       "where": fields.get("where", ""), "description": fields.get("description", ""),
                       "participants": fields.get("participants", [])},
        "customers": [{"id": common.new_id(), **{k: customer[k] for k in CUSTOMER_FIELDS if k in customer}}]
        if customer else [],
        "meta": fields.get("meta", {}), "settings": settings, "invite": bool(fields.get("invite", False)),
        "my_rsvp": fields.get("my_rsvp"), "related": fields.get("related"),
        "reservation_id": reservation["id"] if reservation else None,
        "logs": [log_entry(fields.get("action") or next(iter(graph.create)), None, state, {}, at)],
        "created_at": at, "updated_at": at,
    }


# fields a reservation holds for the booking that finalises it
RESERVED = ("resource_id", "calendar_id", "start", "end", "what", "where", "description", "customer",
            "graph", "project_id")


def _owner(fields: dict, graph, problems: Problems) -> dict | None:
    if graph.group != "customer":
        return None
    owner_id = (fields.get("related") or {}).get("owner_booking_id")
    owner = common.lookup("bookings", owner_id)
    if owner_id is None:
        problems.add("related.owner_booking_id", "a group_customer booking names its group_owner booking")
    elif owner is None or GRAPHS[owner["graph"]].group != "owner":
        problems.add("related.owner_booking_id", f"{owner_id} is not a group_owner booking")
    elif is_final(owner["graph"], owner["state"]):
        problems.add("related.owner_booking_id", f"the group booking is {owner['state']}")
    elif seats_taken(owner_id) >= owner["settings"].get("max_seats", 1):
        problems.add("related.owner_booking_id", "the group booking has no seats left")
    else:
        return owner
    return None


def _named_elsewhere(body: dict, event: dict, graph, problems: Problems) -> None:
    """References the booking does not use are still references: an owner booking sent with a
    graph that has none, a nested `event.calendar_id` the flat `calendar_id` overrides."""
    owner_id = (body.get("related") or {}).get("owner_booking_id") if isinstance(body.get("related"), dict) else None
    if graph.group != "customer" and owner_id is not None:
        problems.reference("bookings", owner_id, "related.owner_booking_id", "booking")
    if event.get("calendar_id") is not None and body.get("calendar_id") is not None:
        problems.reference("calendars", event["calendar_id"], "event.calendar_id", "calendar")


def _resource_of(fields: dict, named: Callable[[str], str], problems: Problems) -> dict | None:
    if fields.get("resource_id") is not None:
        return problems.reference("resources", fields["resource_id"], named("resource_id"), "resource")
    calendar = common.lookup("calendars", fields.get("calendar_id"))
    if calendar is not None:
        return common.lookup("resources", calendar["resource_id"])
    problems.add("resource_id", "resource_id is required")
    return None


def _calendar_of(fields: dict, resource: dict | None, named: Callable[[str], str],
                 problems: Problems) -> str | None:
    if resource is None:
        return None
    wanted = fields.get("calendar_id")
    if wanted is None:
        return default_calendar(resource["id"])
    if wanted not in {c["id"] for c in calendars_of(resource["id"])}:
        problems.add(named("calendar_id"),
                     f"calendar {wanted} is not a calendar of resource {resource['id']}")
    return wanted


def blocks(booking: dict) -> bool:
    """Whether the booking keeps its resource busy and refuses to overlap another."""
    return (booking["state"] in GRAPHS[booking["graph"]].busy
            and not booking["settings"].get("allow_double_bookings"))


def calendars_of(resource_id: str) -> list[dict]:
    return common.owned("calendars", lambda c: c.get("resource_id") == resource_id)


def default_calendar(resource_id: str) -> str | None:
    """The resource's primary calendar (its first when none is primary)."""
    calendars = calendars_of(resource_id)
    primary = [c for c in calendars if c.get("provider_primary")] or calendars
    return primary[0]["id"] if primary else None


def check_slot(booking: dict, skip: set[str] = frozenset(), pending: list[dict] = ()) -> None:
    """Refuse a blocking booking that overlaps a busy booking, event or reservation of its
    resource, or one of the `pending` bookings of the same request."""
    if not blocks(booking):
        return
    start, end = availability.span(booking["event_info"])
    rivals = [availability.span(p["event_info"]) for p in pending
              if p["resource_id"] == booking["resource_id"] and p["state"] in GRAPHS[p["graph"]].busy]
    if not availability.is_free(booking["resource_id"], start, end, skip) or any(
            s < end and start < e for s, e in rivals):
        raise refuse(f"The resource is not available from {booking['event_info']['start']} "
                     f"to {booking['event_info']['end']}")


def create(body: dict) -> dict:
    problems = Problems()
    booking = build(body, problems)
    problems.check()
    save_new([booking])
    return booking


def save_new(bookings: list[dict]) -> None:
    """Check every booking's slot (against the store and the earlier ones), then store them all
    and release the reservations they finalise: one step, so two workers cannot book one slot."""
    with store().atomic():
        for i, booking in enumerate(bookings):
            check_slot(booking, {booking["reservation_id"]} - {None}, bookings[:i])
        store().insert_many("bookings", bookings)
        for booking in bookings:
            if booking["reservation_id"]:
                store().delete("reservations", booking["reservation_id"])


# -- moving through the graph ---------------------------------------------------------------------

def log_entry(action: str, before: str | None, after: str, data: Any, at: str) -> dict:
    return {"action": action, "from_state": before, "to_state": after, "data": data or {}, "created_at": at}


def refusal(booking: dict, action: str) -> str | None:
    """Why `action` cannot be applied now, or None when it can."""
    if next_state(booking["graph"], booking["state"], action) is not None:
        return None
    allowed = actions_of(booking["graph"], booking["state"])
    return (f"The action {action} is not available for a {booking['graph']} booking in state "
            f"{booking['state']}; available actions: {', '.join(allowed) or 'none (final state)'}")


def apply(booking: dict, action: str, data: Any = None) -> dict:
    """The booking after `action`, stored; 422 when its state does not allow the action (checked
    under the store's lock, so two racing actions cannot both pass). `data` is the action's inputs
    (`{"decline": {"message": ...}}` passes `{"message": ...}`), logged when it is an object."""
    at = times.stamp()
    inputs = data if isinstance(data, dict) else {}

    def move(doc: dict) -> None:
        reason = refusal(doc, action)
        if reason:
            raise refuse(reason)
        after = next_state(doc["graph"], doc["state"], action)
        doc["logs"] = doc["logs"] + [log_entry(action, doc["state"], after, inputs, at)]
        doc["state"] = after
        doc["updated_at"] = at

    return store().update("bookings", booking["id"], move)
