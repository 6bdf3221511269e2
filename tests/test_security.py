"""Attacks, as a client that means harm would try them: each row asserts the status, the API's own
error format, and that nothing stored changed."""

from __future__ import annotations

import copy

import pytest

from tenancy_support import (KIND_TYPES, RULES, SIDES, all_references, cases, collections_of, fill, put,
                             references, request, state_of, unknown_like, value_for)


# -- tenancy: every reference in every request body, walked from the specs ---------------------------
@pytest.mark.once
@pytest.mark.parametrize("api", sorted(RULES))
def test_every_reference_in_the_specs_is_classified(api):
    """A new `...Id` / `..._id` property or relationship in a spec must be given a kind (and so be
    walked below) or a reason why it names nothing another tenant owns."""
    rules = RULES[api]
    unexplained = sorted({f"{r.name} ({r.id})" for r in all_references(api)
                          if r.name not in rules.kinds and r.name not in rules.not_references
                          and r.id not in rules.ignored})
    assert unexplained == []


@pytest.mark.once
@pytest.mark.parametrize("api", sorted(RULES))
def test_every_reference_is_walked(api):
    """Each operation with a reference has a request the walk sends."""
    called = {op for side in SIDES if side.api == api for op in side.calls}
    assert sorted({r.operation for r in references(api)} - called) == []


@pytest.mark.parametrize("side, operation", [(s, op) for s in SIDES for op in s.calls],
                         ids=[f"{s.api}: {op} ({s.name})" for s in SIDES for op in s.calls])
def test_the_walked_requests_are_accepted_with_the_callers_own_ids(client, side, operation):
    """So that each swapped reference below is what a refusal answers."""
    made = side.setup(client) if side.setup else {}
    own, _ = side.ids(made)
    call = side.calls[operation]
    response = request(client, side, call, made, fill(call.body, own))
    assert 200 <= response.status_code < 300, response.text


CASES = cases()


@pytest.mark.parametrize("side, ref", CASES, ids=[f"{s.api}: {r.id} ({s.name})" for s, r in CASES])
def test_another_tenants_id_is_answered_as_an_unknown_id(app, client, side, ref):
    made = side.setup(client) if side.setup else {}
    own, foreign = side.ids(made)
    call = side.calls[ref.operation]
    theirs = foreign[RULES[side.api].kinds[ref.name]]
    nobody = unknown_like(theirs)
    before = state_of(app, side.api, collections_of(side.api))

    def sent_with(ident: str):
        body = copy.deepcopy(fill(call.body, own))
        put(body, ref.pointer, value_for(ref, KIND_TYPES.get(side.api, {}), ident))
        return request(client, side, call, made, body)

    answer = sent_with(theirs)
    after = state_of(app, side.api, collections_of(side.api))
    unknown = sent_with(nobody)
    assert (answer.status_code, answer.text.replace(theirs, nobody)) == (unknown.status_code, unknown.text)
    assert after == before, f"{ref.id} with another tenant's id changed the state ({answer.status_code})"
