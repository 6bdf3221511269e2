"""The contract harness excuses only Schemathesis' own false positives: a negative query whose
serialisation is valid on the wire. A query that is invalid on the wire is never excused."""

import pytest

from conftest import TEST_CONFIG
from contract import _wire_query_is_valid, contract_schema
from understudy.app import create_app

APP = create_app({**TEST_CONFIG, "apis": ["timekit"]})
SCHEMA = contract_schema(APP, "timekit")


@pytest.mark.parametrize("query, valid", [
    # what Schemathesis reported as a negative case accepted, and is fine on the wire
    ("include=g", True),
    ("include=attributes,customers&limit=10", True),
    ("", True),
    # invalid on the wire too
    ("include=g&limit=", False),
    ("limit=abc", False),
    ("limit=0", False),
    ("page=-1", False),
])
def test_wire_query_validity(query, valid):
    operation = SCHEMA["/bookings"]["GET"]
    url = f"http://testserver/timekit/v2/bookings?{query}"
    assert _wire_query_is_valid(operation.Case(query={}), url) is valid
