"""Schemathesis over every platform operation, as a tenant admin who owns the first contract,
split by section (tag) so pytest-xdist can spread the sections over workers."""

import pytest

from conftest import TEST_CONFIG
from contract import check, contract_schema, fresh
from understudy.app import create_app

APP = create_app({**TEST_CONFIG, "apis": ["platform"]})
SCHEMA = contract_schema(APP, "platform", max_examples=10)
SECTIONS = [tag["name"] for tag in SCHEMA.raw_schema["tags"]]


@pytest.fixture(autouse=True)
def reset_state():
    fresh(APP)


def section(tag: str):
    @SCHEMA.include(tag=tag).parametrize()
    def test(case):
        check(APP, "platform", case)

    return test


for _tag in SECTIONS:
    globals()["test_contract_" + _tag.lower().replace(" ", "_").replace("/", "_")] = section(_tag)
