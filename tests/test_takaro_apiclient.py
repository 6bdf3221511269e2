"""Takaro's own TypeScript client against our spec: every response DTO its generated declarations
(`@takaro/apiclient`, `dist/generated/api.d.ts`) promise, with every property it requires and its
type, is what our response schema for that operation gives. `.ci/run` installs the package into
`tests/tools/.cache/`; without it these tests skip and say how to get it.

Where the generated client declares what Takaro's own server does not send, the server's code
wins, as everywhere in understudy: the table below names each such place and why."""

from __future__ import annotations

import pytest
import yaml
from conftest import OPENAPI
from tools.takaro_apiclient import (Comparer, Declarations, Difference, Prop, differences, installed,
                                    read_declarations, read_operations)

pytestmark = pytest.mark.once

FOLDER, WHY = installed(install=False)
SPEC = yaml.safe_load((OPENAPI / "takaro.yaml").read_text())
OPERATIONS = read_operations(FOLDER) if FOLDER else []

# Client method -> why the answer it declares is not what Takaro's controller sends.
DECLARED_WRONGLY = {
    "eventControllerCreate": "declared as a bare EventOutputDTO; EventController wraps it in {meta, data} (apiResponse)",
    "eventControllerGetOne": "declared as a bare EventOutputDTO; EventController wraps it in {meta, data} (apiResponse)",
    "playerControllerGetMe": "declared as a bare PlayerMeOutputDTO; PlayerController wraps it (apiResponse)",
    "gameServerControllerGetTypes": "declared as GameServerOutputDTO[]; GameServerService.getTypes answers "
                                    "{type, connectionInfoSchema} per type",
    "gameServerControllerGetPlayers": "declared as one PlayerOnGameserverOutputDTO; GameServerService.getPlayers "
                                      "answers the game's IGamePlayer[]",
    "playerOnGameServerControllerTransactBetweenPlayers": "declared as a POG; PlayerOnGameServerService.transact "
                                                          "returns nothing, so data is {}",
}
# (DTO, property) -> why Takaro itself does not always send it, or sends another type.
NOT_AS_DECLARED = {
    ("MetadataOutput", "serverTime"): "dropped from apiResponse in March 2023 (bf299d0b); snapshots show `meta: {}`",
    ("MetadataOutput", "error"): "apiResponse sets it on errors only",
    ("ErrorOutput", "details"): "apiResponse sends class-validator's array for a ValidationError and nothing "
                                "otherwise; the generator types it string",
    ("GameServerOutputDTO", "connectionInfo"): "EventService strips it from an event's game server",
    ("UserOutputDTO", "player"): "UserService adds it only when a player is linked (snapshot UserController/"
                                 "Inviting a user that is already invited ...)",
    ("UserOutputWithRolesDTO", "player"): "UserService adds it only when a player is linked",
    ("UserAssignmentOutputDTO", "id"): "the User role everyone holds comes as {role, roleId, userId} (same snapshot)",
    ("UserAssignmentOutputDTO", "createdAt"): "the implicit User role has no timestamps",
    ("UserAssignmentOutputDTO", "updatedAt"): "the implicit User role has no timestamps",
    ("PlayerRoleAssignmentOutputDTO", "id"): "the Player role everyone holds is added without an id "
                                             "(PlayerService.extend, PlayerOnGameServerService.extend)",
    ("PlayerRoleAssignmentOutputDTO", "createdAt"): "the implicit Player role has no timestamps",
    ("PlayerRoleAssignmentOutputDTO", "updatedAt"): "the implicit Player role has no timestamps",
    ("PlayerRoleAssignmentOutputDTO", "playerId"): "a POG search adds the Player role as {roleId, role} "
                                                   "(PlayerOnGameServerService.extend)",
    ("SettingsOutputDTO", "key"): "Takaro (d028c86) has unknownCommandFeedbackEnabled and "
                                  "unknownCommandFeedbackMessage (SettingsService); the 0.4.0 client's enum lacks them",
}


def expected(difference: Difference) -> bool:
    return (difference.dto, difference.field) in NOT_AS_DECLARED or set(difference.operations) <= set(DECLARED_WRONGLY)


@pytest.fixture(scope="module")
def found() -> list[Difference]:
    if FOLDER is None:
        pytest.skip(WHY)
    return differences(read_declarations(FOLDER), OPERATIONS, SPEC)


@pytest.mark.skipif(FOLDER is None, reason=WHY)
@pytest.mark.parametrize("operation", [op for op in OPERATIONS if op.name not in DECLARED_WRONGLY],
                         ids=lambda op: op.name)
def test_each_answer_gives_what_the_client_expects(found, operation):
    unexplained = [d.describe() for d in found if operation.name in d.operations and not expected(d)]
    assert unexplained == []


@pytest.mark.skipif(FOLDER is None, reason=WHY)
def test_every_client_operation_is_served():
    from tools.takaro_apiclient import response_schema

    assert [op.name for op in OPERATIONS if response_schema(SPEC, op.method, op.path) is None
            and op.response not in ("void", "any")] == []


@pytest.mark.skipif(FOLDER is None, reason=WHY)
def test_every_explained_difference_is_still_there(found):
    """The table may not outlive what it explains."""
    seen = {(d.dto, d.field) for d in found} | {name for d in found for name in d.operations}
    assert [key for key in [*NOT_AS_DECLARED, *DECLARED_WRONGLY] if key not in seen] == []


# -- the comparer itself, on a small declaration ------------------------------------------------------------
TINY = Declarations(
    interfaces={"ThingDTO": {"id": Prop("string", True), "count": Prop("number", True),
                             "tags": Prop("Array<string>", True), "kind": Prop("ThingKindEnum", False),
                             "note": Prop("string", False)}},
    aliases={}, enums={"ThingKindEnum": ["a", "b"]})


@pytest.mark.parametrize("ours, problems", [
    ({"type": "object", "required": ["id", "count", "tags"], "properties": {
        "id": {"type": "string"}, "count": {"type": "integer"}, "tags": {"type": "array", "items": {"type": "string"}},
        "extra": {"type": "string"}}}, []),
    # a required property we leave out, or may leave out
    ({"type": "object", "required": ["id", "tags"], "properties": {
        "id": {"type": "string"}, "tags": {"type": "array", "items": {"type": "string"}}}},
     ["ThingDTO.count: required by the client, missing from ours"]),
    ({"type": "object", "required": ["id", "tags"], "properties": {
        "id": {"type": "string"}, "count": {"type": "number"}, "tags": {"type": "array", "items": {"type": "string"}}}},
     ["ThingDTO.count: required by the client, optional in ours"]),
    # a type the client would not take, an enum value it does not know
    ({"type": "object", "required": ["id", "count", "tags"], "properties": {
        "id": {"type": "string"}, "count": {"type": "string"}, "tags": {"type": "array", "items": {"type": "number"}},
        "kind": {"type": "string", "enum": ["a", "c"]}}},
     ["ThingDTO.count: ours is string, the client expects number",
      "ThingDTO.kind: ours may send ['c'], the client's ThingKindEnum knows ['a', 'b']",
      "ThingDTO.tags: ours is number, the client expects string"]),
])
def test_the_comparer_reports_what_a_client_would_trip_on(ours, problems):
    comparer = Comparer(TINY, {})
    comparer.compare("ThingDTO", ours, "ThingDTO")
    assert sorted(d.describe() for d in comparer.found.values()) == problems
