"""Schemathesis over every Tiikr operation, with Basic credentials of an Owner."""

from conftest import TEST_CONFIG
from contract import check, contract_schema
from understudy.app import create_app

APP = create_app({**TEST_CONFIG, "apis": ["tiikr"]})
schema = contract_schema(APP, "tiikr")


@schema.parametrize()
def test_tiikr_contract(case):
    check(APP, "tiikr", case)
