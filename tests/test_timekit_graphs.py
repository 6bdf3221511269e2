"""Bookings move through Timekit's documented graphs: every allowed transition, a sample of refused
ones, creation, `completed` and `possible_actions` true to the state, delete only when final.

The tables are written from the graph pages of developers.timekit.io (group_owner from
booking-js' mocks), not derived from the implementation's own table."""

import pytest

from timekit_support import (APP, BASE, COMPLETED, DECLINED, GROUP_CANCELLED, INSTANT_CANCELLED,
                             INSTANT_CONFIRMED, TENTATIVE, act, booking_body, create, get_booking)

CONFIRMED_ACTIONS = ["cancel", "cancel_by_customer", "complete", "reschedule_by_customer"]

# (graph, state) -> the actions the state offers; states not listed are final (no actions).
OFFERS = {
    ("instant", "confirmed"): CONFIRMED_ACTIONS,
    ("confirm_decline", "tentative"): ["decline", "confirm"],
    ("confirm_decline", "confirmed"): CONFIRMED_ACTIONS,
    ("group_owner", "tentative"): ["complete", "cancel"],
    ("group_customer", "confirmed"): ["complete", "cancel_by_customer", "cancel_by_owner"],
    ("instant_payment", "tentative"): ["timeout", "pay"],
    ("instant_payment", "paid"): ["cancel", "complete"],
    ("group_customer_payment", "tentative"): ["cancel_by_owner", "pay", "timeout"],
    ("group_customer_payment", "paid"): ["cancel_by_owner", "complete", "cancel_by_customer"],
}

# Actions that bring a new booking of a graph to a state.
PATH = {
    ("confirm_decline", "confirmed"): ["confirm"],
    ("instant_payment", "paid"): ["pay"],
    ("group_customer_payment", "paid"): ["pay"],
}

TRANSITIONS = [
    # instant
    ("instant", "confirmed", "cancel", "cancelled"),
    ("instant", "confirmed", "cancel_by_customer", "cancelled_by_customer"),
    ("instant", "confirmed", "complete", "completed"),
    ("instant", "confirmed", "reschedule_by_customer", "rescheduled_by_customer"),
    # confirm_decline
    ("confirm_decline", "tentative", "confirm", "confirmed"),
    ("confirm_decline", "tentative", "decline", "declined"),
    ("confirm_decline", "confirmed", "cancel", "cancelled"),
    ("confirm_decline", "confirmed", "cancel_by_customer", "cancelled_by_customer"),
    ("confirm_decline", "confirmed", "complete", "completed"),
    ("confirm_decline", "confirmed", "reschedule_by_customer", "rescheduled_by_customer"),
    # group_owner
    ("group_owner", "tentative", "complete", "completed"),
    ("group_owner", "tentative", "cancel", "cancelled"),
    # group_customer
    ("group_customer", "confirmed", "complete", "completed"),
    ("group_customer", "confirmed", "cancel_by_customer", "cancelled_by_customer"),
    ("group_customer", "confirmed", "cancel_by_owner", "cancelled_by_owner"),
    # instant_payment
    ("instant_payment", "tentative", "pay", "paid"),
    ("instant_payment", "tentative", "timeout", "unpaid"),
    ("instant_payment", "paid", "cancel", "cancelled"),
    ("instant_payment", "paid", "complete", "completed"),
    # group_customer_payment (cancel_by_owner from tentative ends in cancelled_by_customer, as documented)
    ("group_customer_payment", "tentative", "cancel_by_owner", "cancelled_by_customer"),
    ("group_customer_payment", "tentative", "pay", "paid"),
    ("group_customer_payment", "tentative", "timeout", "unpaid"),
    ("group_customer_payment", "paid", "cancel_by_owner", "cancelled_by_owner"),
    ("group_customer_payment", "paid", "complete", "completed"),
    ("group_customer_payment", "paid", "cancel_by_customer", "cancelled_by_customer"),
]

REFUSED = [
    # an action of another state of the same graph
    ("instant", "confirmed", "confirm"),
    ("confirm_decline", "tentative", "complete"),
    ("confirm_decline", "confirmed", "decline"),
    ("instant_payment", "tentative", "complete"),
    ("group_customer_payment", "tentative", "complete"),
    # an action of another graph
    ("instant", "confirmed", "pay"),
    ("group_owner", "tentative", "cancel_by_owner"),
    ("group_customer", "confirmed", "cancel"),
    ("instant_payment", "paid", "pay"),
    # from a final state
    ("confirm_decline", "declined", "confirm"),
    ("instant", "completed", "cancel"),
    ("instant_payment", "unpaid", "pay"),
    ("group_customer", "cancelled_by_owner", "complete"),
]

# Actions that bring a new booking to the final states used in REFUSED.
FINAL_PATH = {
    ("confirm_decline", "declined"): ["decline"],
    ("instant", "completed"): ["complete"],
    ("instant_payment", "unpaid"): ["timeout"],
    ("group_customer", "cancelled_by_owner"): ["cancel_by_owner"],
}


def booking_in(client, graph: str, state: str) -> dict:
    booking = create(client, booking_body(graph))
    for action in PATH.get((graph, state), []) + FINAL_PATH.get((graph, state), []):
        response = act(client, booking["id"], action)
        assert response.status_code == 200, response.text
        booking = response.json()["data"]
    assert booking["state"] == state
    return booking


@pytest.mark.parametrize("graph, before, action, after", TRANSITIONS)
def test_allowed_transition(client, graph, before, action, after):
    booking = booking_in(client, graph, before)
    response = act(client, booking["id"], action)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert (data["state"], data["possible_actions"], data["completed"]) == \
        (after, OFFERS.get((graph, after), []), (graph, after) not in OFFERS)
    assert get_booking(client, booking["id"])["state"] == after


@pytest.mark.parametrize("graph, state, action", REFUSED)
def test_refused_transition(client, graph, state, action):
    booking = booking_in(client, graph, state)
    response = act(client, booking["id"], action)
    assert response.status_code == 422
    assert set(response.json()) == {"error"} and action in response.json()["error"]
    assert get_booking(client, booking["id"])["state"] == state


@pytest.mark.parametrize("graph, action, state", [
    # without an action, and with the documented creation action
    ("instant", None, "confirmed"),
    ("instant", "confirm", "confirmed"),
    ("confirm_decline", None, "tentative"),
    ("confirm_decline", "create", "tentative"),
    ("group_owner", "create", "tentative"),
    ("group_customer", "create", "confirmed"),
    ("instant_payment", "create", "tentative"),
    ("group_customer_payment", "create", "tentative"),
])
def test_creation_enters_the_initial_state(client, graph, action, state):
    body = booking_body(graph, **({"action": action} if action else {}))
    booking = create(client, body)
    assert (booking["state"], booking["possible_actions"], booking["completed"]) == \
        (state, OFFERS[(graph, state)], False)


@pytest.mark.parametrize("graph, action", [
    ("instant", "create"),
    ("confirm_decline", "confirm"),
])
def test_creation_with_another_graphs_action_is_refused(client, graph, action):
    response = client.post(f"{BASE}/bookings", json=booking_body(graph, action=action), headers=APP)
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["action"]


def test_action_inputs_are_kept_in_the_log(client):
    response = act(client, TENTATIVE, "decline", {"decline": {"message": "Sorry, the DeLorean is in the shop"}})
    logs = get_booking(client, TENTATIVE, "logs")["logs"]
    assert response.status_code == 200
    assert logs[-1] == {**logs[-1], "action": "decline", "from_state": "tentative", "to_state": "declined",
                        "data": {"message": "Sorry, the DeLorean is in the shop"}}


def test_action_inputs_that_are_not_an_object_are_not_logged(client):
    response = act(client, TENTATIVE, "confirm", {"confirm": "yes please", "replicate": False})
    assert response.status_code == 200
    assert get_booking(client, TENTATIVE, "logs")["logs"][-1]["data"] == {}


def test_available_actions_include_matches_possible_actions(client):
    booking = get_booking(client, TENTATIVE, "available_actions")
    assert booking["available_actions"] == booking["possible_actions"] == ["decline", "confirm"]


@pytest.mark.parametrize("booking_id, status", [
    # final states
    (DECLINED, 204),
    (COMPLETED, 204),
    (INSTANT_CANCELLED, 204),
    (GROUP_CANCELLED, 204),
    # not final
    (TENTATIVE, 422),
    (INSTANT_CONFIRMED, 422),
])
def test_delete_only_in_a_final_state(client, booking_id, status):
    response = client.delete(f"{BASE}/bookings/{booking_id}", headers=APP)
    after = client.get(f"{BASE}/bookings/{booking_id}", headers=APP)
    assert (response.status_code, after.status_code) == (status, 404 if status == 204 else 200)


def test_unknown_action_is_a_validation_error(client):
    response = act(client, TENTATIVE, "teleport")
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["action"]
