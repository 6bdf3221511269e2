"""Schemathesis over every Tiikr operation, with Basic credentials of an Owner."""

import pytest

from conftest import TEST_CONFIG
from contract import contract_schema
from understudy.app import create_app

APP = create_app({**TEST_CONFIG, "apis": ["tiikr"]})
schema = contract_schema(APP, "tiikr", {"basicAuth": {"username": "owner", "password": "owner-password"}})


@pytest.fixture(autouse=True)
def reset_state():
    APP.reset()


@schema.parametrize()
def test_tiikr_contract(case):
    APP.reset()
    case.call_and_validate()
