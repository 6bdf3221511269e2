"""The engine's page-number pagination and `key:value;key:value` search (understudy/paging.py)."""

import pytest

from understudy.errors import ApiError
from understudy.paging import Search, length_aware, page_of, values_at, with_query

pytestmark = pytest.mark.once

ITEMS = list(range(1, 24))  # 23 items


@pytest.mark.parametrize("page, per_page, expected", [
    # (items shown, from, to, last page)
    (1, 10, (list(range(1, 11)), 1, 10, 3)),
    (3, 10, ([21, 22, 23], 21, 23, 3)),
    (4, 10, ([], None, None, 3)),
    (1, 50, (ITEMS, 1, 23, 1)),
])
def test_page_of(page, per_page, expected):
    cut = page_of(ITEMS, page, per_page)
    assert (cut.items, cut.first_index, cut.last_index, cut.last) == expected


def test_empty_list_has_one_page():
    assert page_of([], 1, 10).last == 1


@pytest.mark.parametrize("page, next_url, prev_url", [
    (1, "http://h/x?limit=10&q=a+b&page=2", None),
    (2, "http://h/x?limit=10&q=a+b&page=3", "http://h/x?limit=10&q=a+b&page=1"),
    (3, None, "http://h/x?limit=10&q=a+b&page=2"),
])
def test_length_aware_links_keep_the_query(page, next_url, prev_url):
    envelope = length_aware(page_of(ITEMS, page, 10), f"http://h/x?limit=10&q=a+b&page={page}")
    assert (envelope["next_page_url"], envelope["prev_page_url"], envelope["current_page"], envelope["total"]) == \
        (next_url, prev_url, page, 23)


def test_with_query_replaces_and_adds():
    assert with_query("http://h/x?page=1&a=1", page=5, b="c") == "http://h/x?a=1&page=5&b=c"


DOCS = [
    {"id": 1, "state": "confirmed", "people": [{"name": "Marty McFly"}, {"name": "Doc Brown"}], "meta": {"mph": 88},
     "done": False},
    {"id": 2, "state": "tentative", "people": [{"name": "Biff Tannen"}], "meta": {}, "done": True},
]
FIELDS = {"state": "state", "person.name": "people.name", "meta.*": "meta", "done": "done"}


@pytest.mark.parametrize("search, ids", [
    ("", [1, 2]),
    ("state:confirmed", [1]),
    ("state:CONFIRMED", [1]),
    ("person.name:doc*", [1]),
    ("person.name:*tannen", [2]),
    ("person.name:*a*", [1, 2]),
    ("person.name:marty", []),
    ("meta.mph:88", [1]),
    ("meta.mph:8*;state:confirmed", [1]),
    ("done:true", [2]),
    ("state:confirmed;done:true", []),
    ("state:a.c", []),  # regex characters are literal
])
def test_search(search, ids):
    assert [d["id"] for d in Search.parse(search, FIELDS).filter(DOCS)] == ids


def test_bad_search_reports_every_criterion():
    with pytest.raises(ApiError) as raised:
        Search.parse("colour:red;state;meta:x", FIELDS)
    assert (raised.value.kind, [v.where for v in raised.value.violations]) == ("validation", ["search"] * 3)


def test_values_at_walks_lists():
    assert values_at({"a": [{"b": [1, 2]}, {"b": 3}, {"c": 4}]}, "a.b") == [1, 2, 3]
