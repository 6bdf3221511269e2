"""Schemathesis over every Takaro operation, as the root user of the first demo domain (every
security scheme: admin token, session as Bearer and cookie, agent JWT), all default checks.

Takaro answers business-rule refusals (economy off, limits reached, builtin modules, ...) with
400 BadRequestError, so 400 is an accepted answer to schema-valid data; what schema-valid data must
never get is a 400 ValidationError that the request schema itself explains (`schema_rule_refusal`).
The operations are split by tag so pytest-xdist can spread them over workers."""

import pytest

from conftest import TEST_CONFIG
from contract import check, contract_schema, fresh
from understudy.builtin.handlers.takaro.class_validator import SCHEMA_CONSTRAINTS
from understudy.app import create_app

APP = create_app({**TEST_CONFIG, "apis": ["takaro"]})
# Examples per operation, by tag: fewer where operations are many and alike.
MAX_EXAMPLES = 8
GROUPS = {
    "admin_and_auth": ["Meta", "Auth", "Domain"],
    "users_roles_settings": ["User", "Role", "Settings", "Variable", "Event"],
    "servers_and_players": ["GameServer", "Player", "PlayerOnGameServer"],
    "modules": ["Module", "Command", "Hook", "CronJob", "Function"],
    "shop_and_the_rest": ["Item", "Entity", "Shop", "Stats", "Tracking", "Discord"],
}

schema = contract_schema(APP, "takaro", max_examples=MAX_EXAMPLES)


def schema_rule_refusal(case, response) -> bool:
    """Schema-valid data refused for a rule of the request schema: the spec and the server disagree."""
    if case.meta is None or not case.meta.generation.mode.is_positive or response.status_code != 400:
        return False
    error = response.json().get("meta", {}).get("error", {})
    return error.get("code") == "ValidationError" and bool(constraints(error.get("details", [])) & SCHEMA_CONSTRAINTS)


def constraints(details: list[dict]) -> set[str]:
    """Every constraint named in class-validator's details, nested ones included."""
    return {rule for d in details for rule in [*d.get("constraints", {}), *constraints(d.get("children") or [])]}


def check_takaro(case) -> None:
    response = check(APP, "takaro", case)
    assert response is None or not schema_rule_refusal(case, response), response.text


def test_every_tag_is_in_a_group():
    tags = {t for op in schema.get_all_operations() for t in op.ok().definition.raw.get("tags", [])}
    assert tags == {t for group in GROUPS.values() for t in group}


@schema.include(tag=GROUPS["admin_and_auth"]).parametrize()
def test_admin_and_auth(case):
    check_takaro(case)


@schema.include(tag=GROUPS["users_roles_settings"]).parametrize()
def test_users_roles_settings(case):
    check_takaro(case)


@schema.include(tag=GROUPS["servers_and_players"]).parametrize()
def test_servers_and_players(case):
    check_takaro(case)


@schema.include(tag=GROUPS["modules"]).parametrize()
def test_modules(case):
    check_takaro(case)


@schema.include(tag=GROUPS["shop_and_the_rest"]).parametrize()
def test_shop_and_the_rest(case):
    check_takaro(case)


@pytest.fixture(autouse=True)
def reset_state():
    fresh(APP)
