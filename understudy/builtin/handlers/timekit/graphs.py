"""Timekit's booking graphs as data. Each graph names the actions a booking may be created with
(and the state each leads to), the actions each state allows, which states keep the resource
busy (so availability stops offering the slot) and which hold a seat of a group booking.

A state with no actions is final: `completed` is true there, and only there may a booking be
deleted. `possible_actions` / `available_actions` are the actions of the current state.

Sources: the graph pages of developers.timekit.io (instant, confirm_decline, group_customer,
instant_payment, group_customer_payment); group_owner from booking-js' test mocks (a tentative
slot offering complete and cancel)."""

from __future__ import annotations

from dataclasses import dataclass

# After confirmation, instant and confirm_decline bookings offer the same four actions.
CONFIRMED = {
    "cancel": "cancelled",
    "cancel_by_customer": "cancelled_by_customer",
    "complete": "completed",
    "reschedule_by_customer": "rescheduled_by_customer",
}


@dataclass(frozen=True)
class Graph:
    create: dict[str, str]  # creation action -> initial state; the first is the default
    actions: dict[str, dict[str, str]]  # state -> {action: next state}
    states: tuple[str, ...]  # every state the graph documents
    busy: frozenset[str] = frozenset()  # states in which the booking blocks its resource's time
    seated: frozenset[str] = frozenset()  # states in which a group seat is taken
    needs_customer: bool = True
    group: str | None = None  # "owner" or "customer" for group graphs
    reschedulable: bool = False  # POST /bookings/{id}/reschedule works for this graph only


GRAPHS: dict[str, Graph] = {
    "instant": Graph(
        create={"confirm": "confirmed"},
        actions={"confirmed": CONFIRMED},
        states=("confirmed", "error", "completed", "cancelled", "cancelled_by_customer",
                "rescheduled_by_customer"),
        busy=frozenset({"confirmed"}),
        reschedulable=True,
    ),
    "confirm_decline": Graph(
        create={"create": "tentative"},
        actions={"tentative": {"decline": "declined", "confirm": "confirmed"}, "confirmed": CONFIRMED},
        states=("tentative", "confirmed", "declined", "error", "cancelled", "cancelled_by_customer",
                "completed", "rescheduled_by_customer"),
        busy=frozenset({"tentative", "confirmed"}),
    ),
    "group_owner": Graph(
        create={"create": "tentative"},
        actions={"tentative": {"complete": "completed", "cancel": "cancelled"}},
        states=("tentative", "completed", "cancelled", "error"),
        busy=frozenset({"tentative"}),
        needs_customer=False,
        group="owner",
    ),
    "group_customer": Graph(
        create={"create": "confirmed"},
        actions={"confirmed": {"complete": "completed", "cancel_by_customer": "cancelled_by_customer",
                               "cancel_by_owner": "cancelled_by_owner"}},
        states=("confirmed", "completed", "error", "cancelled_by_customer", "cancelled_by_owner"),
        seated=frozenset({"confirmed", "completed"}),
        group="customer",
    ),
    "instant_payment": Graph(
        create={"create": "tentative"},
        actions={"tentative": {"timeout": "unpaid", "pay": "paid"},
                 "paid": {"cancel": "cancelled", "complete": "completed"}},
        states=("tentative", "paid", "cancelled", "unpaid", "completed", "error"),
        busy=frozenset({"tentative", "paid"}),
    ),
    "group_customer_payment": Graph(
        create={"create": "tentative"},
        actions={"tentative": {"cancel_by_owner": "cancelled_by_customer", "pay": "paid",
                               "timeout": "unpaid"},
                 "paid": {"cancel_by_owner": "cancelled_by_owner", "complete": "completed",
                          "cancel_by_customer": "cancelled_by_customer"}},
        states=("tentative", "unpaid", "paid", "cancelled_by_owner", "cancelled_by_customer",
                "completed", "error"),
        seated=frozenset({"paid", "completed"}),
        group="customer",
    ),
}

# Every action any graph knows, in a stable order: the values `PUT /bookings/{id}/{action}` takes.
ACTIONS = tuple(dict.fromkeys(a for g in GRAPHS.values() for s in g.actions.values() for a in s))


def actions_of(graph: str, state: str) -> list[str]:
    return list(GRAPHS[graph].actions.get(state, {}))


def is_final(graph: str, state: str) -> bool:
    return not GRAPHS[graph].actions.get(state)


def next_state(graph: str, state: str, action: str) -> str | None:
    """The state `action` leads to, or None when the state does not allow it."""
    return GRAPHS[graph].actions.get(state, {}).get(action)


def initial_state(graph: str, action: str | None) -> str | None:
    create = GRAPHS[graph].create
    if action is None:
        return next(iter(create.values()))
    return create.get(action)
