"""The contract harness excuses only Schemathesis' own false positives: a negative query whose
serialisation is valid on the wire, and the engine's 421 to a Host header the case itself sent.
A query that is invalid on the wire is never excused, nor any other undocumented status."""

import pytest

from conftest import TEST_CONFIG
from contract import _wire_query_is_valid, check, contract_schema
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


@pytest.mark.parametrize("case_headers, call_headers, excused", [
    ({"Host": "evil.example"}, {}, True),  # a negative case's own Host: the engine's 421, no API's
    ({"X-Other": "qk"}, {"Host": "evil.example"}, False),  # the case did not send it
])
def test_a_refused_host_is_excused_only_when_the_case_sent_it(case_headers, call_headers, excused):
    operation = SCHEMA["/resources/resetpassword"]["POST"]
    case = operation.Case(headers=case_headers, body={"email": "doc.brown@timekit.io"}, media_type="application/json")
    if excused:
        assert check(APP, "timekit", case, headers=call_headers).status_code == 421
        return
    with pytest.raises(BaseExceptionGroup) as failed:
        check(APP, "timekit", case, headers=call_headers)
    assert "421" in str(failed.value.exceptions[0])
