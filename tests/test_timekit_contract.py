"""Schemathesis over every Timekit operation, with the app's live API key (empty Basic user).

The spec's own formats get generators: `timestamp` (RFC3339 or the `+0300` form Timekit also
accepts) and `relative-time` (a timestamp or "2 days"-style time). Timekit answers 422 both for
invalid fields and for requests the current state refuses (an action a booking's state does not
allow, a slot already taken, deleting a booking that is not final), so 422 counts as an accepted
answer to schema-valid data."""

from datetime import datetime, timedelta, timezone

import pytest
import schemathesis
from hypothesis import strategies as st

from conftest import TEST_CONFIG
from contract import check, contract_schema
from understudy.app import create_app

def _timestamps() -> st.SearchStrategy[str]:
    moments = st.datetimes(min_value=datetime(2026, 11, 1), max_value=datetime(2027, 3, 1))
    offsets = st.sampled_from([0, -8 * 60, -5 * 60, 60, 180, 330])
    colon = st.booleans()

    def write(moment: datetime, minutes: int, with_colon: bool) -> str:
        text = moment.replace(microsecond=0, tzinfo=timezone(timedelta(minutes=minutes))).isoformat()
        return text if with_colon else text[:-3] + text[-2:]

    return st.builds(write, moments, offsets, colon)


RELATIVE = st.sampled_from(["now", "tomorrow", "1 day", "2 days", "3 days 2 weeks", "4 weeks", "1 week"])
schemathesis.openapi.format("timestamp", _timestamps())
schemathesis.openapi.format("relative-time", st.one_of(_timestamps(), RELATIVE))

APP = create_app({**TEST_CONFIG, "apis": ["timekit"]})
schema = contract_schema(
    APP, "timekit", max_examples=10,
    extra={
        # the operations with state graphs and computed answers get more examples
        "operations": [{"include-tag": ["Bookings", "Availability"], "generation": {"max-examples": 30}}],
    },
)


@pytest.fixture(autouse=True)
def reset_state():
    APP.reset()


@schema.parametrize()
def test_timekit_contract(case):
    check(APP, "timekit", case)
