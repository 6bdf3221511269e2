"""/bookings: list and search, get, create (one or in bulk), graph actions (one or in bulk),
meta updates, delete, group slots, reservations and rescheduling."""

from __future__ import annotations

from datetime import datetime, timedelta

from understudy.context import store
from understudy.errors import not_found
from understudy.paging import Search

from . import availability, common, times
from . import booking_model as model
from .common import Problems, includes, refuse
from .graphs import GRAPHS, initial_state, is_final, next_state

DEFAULT_RESERVATION_SECONDS = 30  # the documented default of reservation_time


async def list_bookings(limit: int = 1000, page: int = 1, search: str | None = None, include=None):
    criteria = Search.parse(search, model.SEARCH_FIELDS)
    found = [b for b in model.all_visible() if criteria.matches(model.searchable(b))]
    return common.listing([model.present(b, includes(include)) for b in found], limit, page)


async def get_booking(id: str, include=None):
    return common.ok(model.present(model.find(id), includes(include)))


async def create_booking(body: dict, include=None):
    return common.created(model.present(model.create(body), includes(include)))


async def create_bookings_bulk(body: list, include=None):
    problems, bookings = Problems(), []
    for i, item in enumerate(body):
        bookings.append(model.build(item, problems.under(str(i))))
    problems.check()
    model.save_new(bookings)
    return common.created([model.present(b, includes(include)) for b in bookings])


async def update_bookings_bulk(body: list, include=None):
    """Every action is checked against the state the earlier ones leave; all or nothing."""
    with store().atomic():  # checked and applied as one step, all or nothing
        problems, states = Problems(), {}
        for i, item in enumerate(body):
            booking = common.lookup("bookings", item["id"])
            if booking is None:
                problems.add(f"{i}.id", f"booking {item['id']} does not exist")
                continue
            booking = {**booking, "state": states.get(booking["id"], booking["state"])}
            reason = model.refusal(booking, item["action"])
            if reason:
                problems.add(f"{i}.action", reason)
            else:
                states[booking["id"]] = next_state(booking["graph"], booking["state"], item["action"])
        problems.check()
        done = [model.apply(model.find(item["id"]), item["action"], item.get(item["action"])) for item in body]
    return common.ok([model.present(b, includes(include)) for b in done])


async def apply_action(id: str, action: str, body: dict | None = None, include=None):
    booking = model.apply(model.target(id), action, (body or {}).get(action))
    return common.ok(model.present(booking, includes(include)))


async def update_booking(id: str, body: dict, include=None):
    model.target(id)
    booking = common.change("bookings", id, {"meta": body.get("meta", {})})
    return common.ok(model.present(booking, includes(include)))


async def delete_booking(id: str):
    booking = model.target(id)
    if not is_final(booking["graph"], booking["state"]):
        raise refuse(f"Only bookings in a final state can be deleted; this booking is {booking['state']}")
    store().delete("bookings", id)
    return common.deleted()


# -- group slots ----------------------------------------------------------------------------------

async def list_groups():
    open_slots = [b for b in model.all_visible()
                  if GRAPHS[b["graph"]].group == "owner" and not is_final(b["graph"], b["state"])]
    return common.ok([model.present_group(b) for b in open_slots])


async def get_group(id: str):
    booking = model.find(id)
    if GRAPHS[booking["graph"]].group != "owner":
        raise not_found("Booking", id)
    return common.ok(model.present_group(booking))


get_group_by_sdk_path = get_group  # GET /bookings/{id}/groups, the JS SDK's path for the same slot


# -- reservations ---------------------------------------------------------------------------------

def present_reservation(doc: dict) -> dict:
    return {"reservation_id": doc["id"], **common.public(doc)}


def _expiry(seconds: int) -> str:
    return times.rfc3339(times.now() + timedelta(seconds=seconds))


async def reserve(body: dict):
    problems = Problems()
    project = problems.reference("projects", body["project_id"], "project_id", "project") \
        if body.get("project_id") else None
    defaults = {**(project or {}).get("booking", {}),
                "reservation_time": (project or {}).get("reservation_time") or DEFAULT_RESERVATION_SECONDS}
    fields = {**defaults, **{k: v for k, v in body.items() if v is not None}}
    resource = problems.reference("resources", fields["resource_id"], "resource_id", "resource")
    start, end = problems.span(fields["start"], fields["end"])
    problems.check()
    with store().atomic():
        if not availability.is_free(resource["id"], datetime.fromisoformat(start), datetime.fromisoformat(end)):
            raise refuse(f"The resource is not available from {start} to {end}")
        doc = common.insert("reservations", {
            "resource_id": resource["id"], "calendar_id": model.default_calendar(resource["id"]),
            "start": start, "end": end, **{k: fields.get(k) for k in ("what", "where", "description", "customer",
                                                                       "graph", "project_id")},
            "reservation_time": fields["reservation_time"], "expires_at": _expiry(fields["reservation_time"]),
        })
    return common.created(present_reservation(doc))


async def extend_reservation(body: dict):
    doc = common.find("reservations", body["reservation_id"], "Reservation")
    if datetime.fromisoformat(doc["expires_at"]) <= times.now():
        raise refuse("The reservation has expired; reserve the slot again")
    seconds = body.get("reservation_time", doc["reservation_time"])
    doc = common.change("reservations", doc["id"],
                        {"reservation_time": seconds, "expires_at": _expiry(seconds)})
    return common.ok(present_reservation(doc))


# -- rescheduling ---------------------------------------------------------------------------------

async def reschedule_booking(id: str, body: dict, include=None):
    """A new booking (new id) at the new time, with the booking's own resource unless the body
    names another; the old one takes the graph's reschedule_by_customer action. Only graphs
    marked reschedulable (instant) qualify."""
    old = model.target(id)
    if not GRAPHS[old["graph"]].reschedulable:
        raise refuse(f"Only instant bookings can be rescheduled; this booking uses {old['graph']}")
    reason = model.refusal(old, "reschedule_by_customer")
    if reason:
        raise refuse(reason)
    problems = Problems()
    moved = body.get("resource_id") not in (None, old["resource_id"])
    resource = problems.reference("resources", body["resource_id"], "resource_id", "resource") if moved else None
    start, end = problems.span(body["start"], body["end"])
    problems.check()
    at = times.stamp()
    state = initial_state(old["graph"], None)
    resource_id = resource["id"] if moved else old["resource_id"]
    calendar_id = model.default_calendar(resource_id) if moved else old["calendar_id"]
    new = {**old, "id": common.new_id(), "event_id": common.new_id(), "resource_id": resource_id,
           "calendar_id": calendar_id, "state": state,
           "event_info": {**old["event_info"], "start": start, "end": end}, "reservation_id": None,
           "logs": [model.log_entry("reschedule", None, state, {"rescheduled_from": old["id"]}, at)],
           "created_at": at, "updated_at": at}
    with store().atomic():
        model.check_slot(new, skip={old["id"]})
        model.apply(old, "reschedule_by_customer", {"rescheduled_to": new["id"]})
        store().insert("bookings", new)
    return common.created(model.present(new, includes(include)))
