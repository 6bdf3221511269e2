"""The engine's opt-in request conventions (Accept check, trailing slash, doc-mistake aliases),
the Allow table's choice among overlapping templates, and the store's partial reset."""

import pytest

from understudy.routing import RouteTable
from understudy.app import acceptable, with_aliases_resolved, without_trailing_slash
from understudy.stores import MemoryStore

OFFERED = ("application/json", "application/vnd.api+json")


@pytest.mark.parametrize("accept, ok", [
    (None, True),
    ("", True),
    ("application/json", True),
    ("application/vnd.api+json", True),
    ("*/*", True),
    ("application/*", True),
    ("text/html, application/json;q=0.5", True),
    ("text/html", False),
    ("application/xml", False),
    ("application/json;q=0", False),
    ("text/*", False),
])
def test_acceptable(accept, ok):
    assert acceptable(accept, OFFERED) is ok


@pytest.mark.parametrize("path, served", [
    ("/api/v2/flows/", "/api/v2/flows"),
    ("/api/v2/flows/1/", "/api/v2/flows/1"),
    ("/api/v2/flows", "/api/v2/flows"),
    ("/api/v2/", "/api/v2/"),  # the base itself stays
])
def test_without_trailing_slash(path, served):
    scope = {"path": path, "raw_path": path.encode()}
    assert without_trailing_slash(scope, "/api/v2")["path"] == served


ALIASES = {"DELETE /recipe/{recipe_id}": "/recipes/{recipe_id}"}


@pytest.mark.parametrize("method, path, served", [
    ("DELETE", "/api/v2/recipe/7", "/api/v2/recipes/7"),
    ("GET", "/api/v2/recipe/7", "/api/v2/recipe/7"),  # only the method the docs misprint
    ("DELETE", "/api/v2/recipe/7/x", "/api/v2/recipe/7/x"),
])
def test_aliases(method, path, served):
    scope = {"method": method, "path": path, "raw_path": path.encode()}
    assert with_aliases_resolved(scope, "/api/v2", ALIASES)["path"] == served


@pytest.mark.parametrize("path, allowed", [
    ("/things/all", ["GET", "HEAD"]),  # the literal template wins over /things/{id}
    ("/things/7", ["GET", "DELETE", "HEAD"]),
])
def test_allow_lists_the_most_specific_template(path, allowed):
    table = RouteTable({"/things/{id}": {"get": {}, "delete": {}}, "/things/all": {"get": {}}})
    assert table.allowed(path) == allowed


@pytest.fixture
def store():
    return MemoryStore({"api": {"things": [{"id": 1, "n": 1}], "empty": [], "settings": {"on": True}}})


def test_reset_restores_written_collections(store):
    view = store.view("api")
    view.update("things", 1, {"n": 2})
    view.insert("empty", {"id": 9})
    view.set_singleton("settings", {"on": False})
    store.reset("api")
    assert (view.get("things", 1)["n"], view.all("empty"), view.singleton("settings")) == (1, [], {"on": True})


def test_reset_drops_collections_made_after_start(store):
    view = store.view("api")
    view.insert("made", {"id": "x"})
    store.reset()
    assert view.all("made") == []
