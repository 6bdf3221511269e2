"""The search language module on its own, API-neutral: plain documents in, a page and its meta
out; allowed keys read from a request schema; shapes a lenient spec lets through are refused."""

import pytest

from understudy import search
from understudy.errors import ApiError

pytestmark = pytest.mark.once

DOCS = [
    {"id": "1", "name": "Ada", "tags": ["red", "blue"], "level": 5, "seen": "2025-01-01T00:00:00Z", "team": None},
    {"id": "2", "name": "Bob", "tags": ["green"], "level": 10, "seen": "2025-02-01T00:00:00Z", "team": "x"},
    {"id": "3", "name": "Cy", "tags": [], "level": 15, "seen": "2025-03-01T00:00:00Z", "team": "y"},
]
SCHEMA = {"properties": {
    "filters": {"properties": {"name": {}, "team": {}, "tags": {}, "level": {}}},
    "search": {"properties": {"name": {}}},
    "greaterThan": {"properties": {"level": {}, "seen": {}}},
    "extend": {"items": {"enum": ["friends"]}},
}}


def ids(body, fields=None) -> list[str]:
    rows, _ = search.run(DOCS, search.parse(body, search.Allowed.from_schema(SCHEMA)), fields)
    return [r["id"] for r in rows]


@pytest.mark.parametrize("body, expected", [
    ({}, ["1", "2", "3"]),
    ({"filters": {"tags": ["blue"]}}, ["1"]),  # a list field matches when any element does
    ({"filters": {"team": ["null"]}}, ["1"]),
    ({"filters": {"team": ["null", "y"]}}, ["1", "3"]),
    ({"filters": {"level": ["10"]}}, ["2"]),  # "10" and 10 alike
    ({"search": {"name": ["A", "c"]}}, ["1", "3"]),
    ({"greaterThan": {"seen": "2025-02-01T00:00:00+00:00"}}, ["2", "3"]),
    ({"greaterThan": {"level": 10}, "sortBy": "level", "sortDirection": "desc"}, ["3", "2"]),
    ({"sortBy": "team"}, ["2", "3", "1"]),  # missing values last ascending
    ({"sortBy": "team", "sortDirection": "desc"}, ["1", "3", "2"]),
])
def test_run(body, expected):
    assert ids(body) == expected


def test_computed_fields():
    assert ids({"filters": {"name": ["ADA"]}}, {"name": lambda d: d["name"].upper()}) == ["1"]


def test_meta():
    _, meta = search.run(DOCS, search.parse({"page": 1, "limit": 2}))
    assert meta == {"page": 1, "limit": 2, "total": 3}


def test_allowed_keys_from_a_schema():
    allowed = search.Allowed.from_schema(SCHEMA)
    assert (allowed.filters, allowed.search, allowed.ranges, allowed.extend) == (
        {"name", "team", "tags", "level"}, {"name"}, {"level", "seen"}, {"friends"})


@pytest.mark.parametrize("body, where", [
    ({"filters": {"name": "Ada"}}, "/filters/name"),
    ({"filters": {"name": [["Ada"]]}}, "/filters/name"),
    ({"filters": {"password": ["x"]}}, "/filters/password"),
    ({"search": {"level": ["1"]}}, "/search/level"),
    ({"greaterThan": {"level": [1]}}, "/greaterThan/level"),
    ({"page": -1}, "/page"),
    ({"limit": 1001}, "/limit"),
    ({"sortDirection": "up"}, "/sortDirection"),
    ({"extend": ["enemies"]}, "/extend/0"),
    ({"colour": "red"}, "/colour"),
])
def test_parse_refuses(body, where):
    with pytest.raises(ApiError) as refused:
        search.parse(body, search.Allowed.from_schema(SCHEMA))
    assert [v.where for v in refused.value.violations] == [where]


def test_parse_reports_every_violation():
    with pytest.raises(ApiError) as refused:
        search.parse({"page": -1, "limit": 0, "filters": {"name": "Ada"}})
    assert len(refused.value.violations) == 3


def test_big_numbers_compare_exactly():
    docs = [{"id": "a", "steam": 76561198000000001}, {"id": "b", "steam": 76561198000000002}]
    rows, _ = search.run(docs, search.parse({"filters": {"steam": ["76561198000000001"]}}))
    assert [r["id"] for r in rows] == ["a"]
