"""Developer teams of a contract: they own components (repositories)."""

from understudy import jsonapi
from understudy.context import store
from understudy.errors import ApiError, Violation, conflict, not_found
from understudy.responses import empty_response, json_response

from . import access
from .resources import TEAM


async def list_teams(contract_id, **params):
    contract = access.contract(contract_id)
    everything = "contracts.devTeam.edit" in access.contract_permissions(contract)
    teams = [t for t in store().find("teams", contract_id=contract_id)
             if everything or access.me()["id"] in t.get("user_ids", [])]
    return json_response(jsonapi.collection(TEAM, teams, params))


async def get_team(team_id):
    return jsonapi.respond(TEAM, access.team(team_id), self_link=True)


async def create_team(body):
    doc = jsonapi.build(TEAM, body, {"user_ids": [access.me()["id"]]})
    if not doc.get("contract_id"):
        raise ApiError("validation", "A team needs a contract",
                               [Violation("body", "/data/relationships/contract", "is required")])
    access.contract(doc["contract_id"], "contracts.devTeam.edit")
    with store().atomic():  # one team per name in a contract, on every worker and host
        if any(t["attributes"].get("name") == doc["attributes"].get("name")
               for t in store().find("teams", contract_id=doc["contract_id"])):
            raise conflict(f"A team named {doc['attributes'].get('name')} already exists")
        team = jsonapi.insert(TEAM, doc)
    return jsonapi.respond(TEAM, team, 201)


async def update_team(team_id, body):
    team = access.team(team_id, "contracts.devTeam.edit")
    return jsonapi.respond(TEAM, jsonapi.update(TEAM, team, body))


def member_change(team_id: str, body: dict) -> tuple[dict, str]:
    team = access.team(team_id, "contracts.devTeam.edit")
    jsonapi.incoming(TEAM, body, type_="user")
    user_id = str(body["data"]["id"])
    if access.roles_in("contract_members", "contract_id", team["contract_id"], user_id) is None:
        raise not_found("User", user_id)
    return team, user_id


async def add_member(team_id, body):
    _, user_id = member_change(team_id, body)

    def add(team: dict) -> None:  # checked on the stored team, in the update's own step
        if user_id in team.get("user_ids", []):
            raise conflict(f"User {user_id} is already in team {team_id}", id=user_id)
        team.setdefault("user_ids", []).append(user_id)

    return jsonapi.respond(TEAM, store().update("teams", team_id, add))


async def remove_member(team_id, body):
    team, user_id = member_change(team_id, body)
    if user_id not in team.get("user_ids", []):
        raise not_found("Team member", user_id)
    store().update("teams", team_id, lambda d: d["user_ids"].remove(user_id))
    return empty_response(204)


async def delete_team(team_id):
    access.team(team_id, "contracts.devTeam.edit")
    if store().find("components", team_id=team_id):
        raise conflict(f"Team {team_id} still has repositories; delete them first")
    store().delete("teams", team_id)
    return empty_response(204)
