"""The store contract: what every store promises, one suite run on each (memory, SQLite,
PostgreSQL). A second handle on the same state (`twin`) stands for another worker process or
another host; in memory, where one process holds the state, it is the same handle.

The PostgreSQL runs need a server (UNDERSTUDY_TEST_POSTGRES; `.ci/run` starts one) and are
skipped, with the way to run them, when there is none."""

from __future__ import annotations

import itertools
import threading

import pytest

from conftest import NO_POSTGRES, POSTGRES, WORKER, postgres_database
from understudy.controls import Rules
from understudy.errors import ApiError
from understudy.stores import ENGINE, StateUnavailable, open_state

pytestmark = pytest.mark.once  # the suite opens every store itself, whatever the pass

DEMO = {"demo": {"things": [{"id": 1, "n": 0, "tags": ["a"]}], "empty": [], "settings": {"on": True}},
        "other": {"things": [{"id": "x"}]}}
NUMBERS = itertools.count()


def opened(location: str | None, **settings):
    return open_state({"state": location, "session_ttl_seconds": 1800, "max_sessions": 100, "journal_size": 50,
                       **settings}, DEMO)


def database() -> str:
    if not POSTGRES:
        pytest.skip(NO_POSTGRES)
    return postgres_database(f"understudy_store_{WORKER}_{next(NUMBERS)}")


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def location(request, tmp_path):
    """Where a store of this kind keeps the state: nowhere (memory), a file, a new database."""
    return {"memory": lambda: None, "sqlite": lambda: str(tmp_path / "state.sqlite"),
            "postgres": database}[request.param]()


@pytest.fixture
def state(location):
    opened_state = opened(location)
    yield opened_state
    opened_state.close()


@pytest.fixture
def twin(state, location):
    """The same state opened again, as another process or host would."""
    if location is None:
        yield state
        return
    other = opened(location)
    yield other
    other.close()


@pytest.fixture
def store(state):
    return state.sessions.default.view("demo")


def next_request(*states) -> None:
    for opened_state in states:
        opened_state.sessions.begin_request()


def run_together(*jobs) -> None:
    threads = [threading.Thread(target=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


# -- documents -------------------------------------------------------------------------------------
def test_reads_are_copies(store):
    store.get("things", 1)["tags"].append("changed")
    store.all("things")[0]["n"] = 99
    store.singleton("settings")["on"] = False
    assert (store.get("things", 1), store.singleton("settings")) == ({"id": 1, "n": 0, "tags": ["a"]}, {"on": True})


def test_an_update_that_raises_changes_nothing(store):
    def half_done(doc):
        doc["n"] = 5
        raise ApiError("unprocessable", "refused")

    with pytest.raises(ApiError):
        store.update("things", 1, half_done)
    assert store.get("things", 1)["n"] == 0


def test_inserting_an_existing_id_is_a_conflict(store):
    with pytest.raises(ApiError) as error:
        store.insert("things", {"id": 1})
    assert error.value.kind == "conflict"


def test_insert_many_is_all_or_nothing(store):
    with pytest.raises(ApiError):
        store.insert_many("things", [{"id": 5}, {"id": 1}])
    assert [d["id"] for d in store.all("things")] == [1]


def test_insert_then_read_keeps_order(store):
    store.insert("things", {"id": 7, "n": 1})
    store.insert_many("things", [{"id": 3, "n": 2}, {"id": 5}])
    assert [d["id"] for d in store.all("things")] == [1, 7, 3, 5]


def test_update_merges_or_applies_and_returns_the_document(store):
    assert store.update("things", 1, {"n": 4}) == {"id": 1, "n": 4, "tags": ["a"]}
    assert store.update("things", 1, lambda doc: doc["tags"].append("b"))["tags"] == ["a", "b"]
    assert store.update("things", 404, {"n": 1}) is None


def test_delete_and_count(store):
    assert (store.delete("things", 1), store.delete("things", 1), store.count("things")) == (True, False, 0)


@pytest.mark.parametrize("ident", ["a/b", "with space", "nul\x00byte", "back\\slash", "ünïcode"])
def test_any_string_is_an_id(store, ident):
    store.insert("things", {"id": ident})
    assert (store.get("things", ident), store.get("things", ident + "?")) == ({"id": ident}, None)
    assert store.delete("things", ident) is True


def test_find_and_first(store):
    store.insert_many("things", [{"id": 2, "n": 1}, {"id": 3, "n": 1}])
    assert ([d["id"] for d in store.find("things", n=1)], store.first("things", n=0)["id"]) == ([2, 3], 1)


def test_singletons(store):
    assert store.singleton("missing") is None
    store.set_singleton("settings", {"on": False})
    assert store.singleton("settings") == {"on": False}


def test_next_id_continues_after_the_fixtures(store):
    assert [store.next_id("things"), store.next_id("things")] == [2, 3]


def test_generation_moves_on_writes(store):
    before = store.generation
    store.update("things", 1, {"n": 2})
    assert store.generation > before


def test_each_api_has_its_own_collections(state):
    demo, other = state.sessions.default.view("demo"), state.sessions.default.view("other")
    demo.insert("things", {"id": "x", "from": "demo"})
    assert other.get("things", "x") == {"id": "x"}


# -- two processes or hosts on one state -------------------------------------------------------------
@pytest.mark.parametrize("write, read, expected", [
    (lambda v: v.insert("things", {"id": 2}), lambda v: [d["id"] for d in v.all("things")], [1, 2]),
    (lambda v: v.update("things", 1, {"n": 7}), lambda v: v.get("things", 1)["n"], 7),
    (lambda v: v.delete("things", 1), lambda v: (v.count("things"), v.get("things", 1)), (0, None)),
    (lambda v: v.set_singleton("settings", {"on": False}), lambda v: v.singleton("settings"), {"on": False}),
])
def test_a_write_is_read_by_the_next_request_on_another_process(state, twin, write, read, expected):
    other = twin.sessions.default.view("demo")
    next_request(twin)
    read(other), other.get("things", 1)  # cached there now
    write(state.sessions.default.view("demo"))
    next_request(twin)
    assert read(other) == expected


def test_concurrent_updates_from_two_processes_lose_nothing(state, twin):
    def bump(opened_state):
        view = opened_state.sessions.default.view("demo")
        return lambda: [view.update("things", 1, lambda doc: doc.update(n=doc["n"] + 1)) for _ in range(100)]

    run_together(*[bump(s) for s in (state, twin) * 4])
    assert state.sessions.default.view("demo").get("things", 1)["n"] == 800


def test_concurrent_creates_from_two_processes_lose_nothing(state, twin):
    def create(opened_state, first):
        view = opened_state.sessions.default.view("demo")
        return lambda: [view.insert("things", {"id": view.next_id("things"), "by": first}) for _ in range(50)]

    run_together(*[create(s, n) for n, s in enumerate((state, twin) * 3)])
    next_request(state)
    assert sorted(d["id"] for d in state.sessions.default.view("demo").all("things")) == list(range(1, 302))


def test_atomic_check_then_write_lets_no_writer_between(state, twin):
    """Each thread reads n and writes n + 1 inside atomic(): none reads a value another is about
    to replace, so no increment is lost."""
    def read_then_write(opened_state):
        view = opened_state.sessions.default.view("demo")

        def job():
            for _ in range(40):
                next_request(opened_state)
                with view.atomic():
                    n = view.get("things", 1)["n"]
                    view.update("things", 1, {"n": n + 1})
        return job

    run_together(*[read_then_write(s) for s in (state, twin) * 4])
    next_request(state)
    assert state.sessions.default.view("demo").get("things", 1)["n"] == 320


def test_a_uniqueness_check_inside_atomic_holds_under_concurrent_creates(state, twin):
    """The rule handlers follow: check and insert in one atomic() step. Of 16 creates of one
    key at once, from two processes, exactly one is stored."""
    outcomes = []

    def create(opened_state, n):
        view = opened_state.sessions.default.view("demo")

        def job():
            next_request(opened_state)
            with view.atomic():
                if view.first("things", key="dup-1") is None:
                    view.insert("things", {"id": f"t{n}", "key": "dup-1"})
                    outcomes.append("created")
                    return
            outcomes.append("refused")
        return job

    run_together(*[create(s, n) for n, s in enumerate((state, twin) * 8)])
    next_request(state)
    assert (sorted(outcomes), len(state.sessions.default.view("demo").find("things", key="dup-1"))) == \
        (["created"] + ["refused"] * 15, 1)


def test_a_control_with_times_fires_exactly_that_often_across_processes(state, twin):
    Rules(state.sessions.default.view(ENGINE)).add({"api": "demo", "prefer": "code=503", "times": 3})
    fired = []

    def take(opened_state):
        rules = Rules(opened_state.sessions.default.view(ENGINE))

        def job():
            for _ in range(5):
                next_request(opened_state)
                fired.append(rules.take("demo", "op", "GET", "/x", None))
        return job

    run_together(*[take(s) for s in (state, twin) * 3])
    assert (len([f for f in fired if f is not None]), len(fired)) == (3, 30)


def test_atomic_rolls_back_everything_written_inside_on_an_error(state, location):
    if location is None:
        pytest.skip("the memory store keeps what atomic() wrote before an error (its handlers check first)")
    view = state.sessions.default.view("demo")
    with pytest.raises(ApiError):
        with view.atomic():
            view.insert("things", {"id": 2, "n": 0})
            assert view.count("things") == 2  # seen inside
            view.insert("things", {"id": 1})  # a conflict ends the whole step
    assert [d["id"] for d in view.all("things")] == [1]
    view.insert("things", {"id": 3})  # the cache is not left with the rolled-back document
    assert [d["id"] for d in view.all("things")] == [1, 3]


# -- reset ---------------------------------------------------------------------------------------------
def test_reset_restores_the_fixtures_for_every_process(state, twin):
    view = state.sessions.default.view("demo")
    view.update("things", 1, {"n": 2})
    view.insert("empty", {"id": 9})
    view.insert("made", {"id": "x"})
    view.set_singleton("settings", {"on": False})
    other = twin.sessions.default.view("demo")
    next_request(twin)
    assert other.count("made") == 1
    twin.sessions.reset()
    next_request(state)
    assert (view.get("things", 1)["n"], view.all("empty"), view.all("made"), view.singleton("settings")) == \
        (0, [], [], {"on": True})


def test_reset_of_one_api_leaves_the_others(state):
    demo, other = state.sessions.default.view("demo"), state.sessions.default.view("other")
    demo.delete("things", 1)
    other.delete("things", "x")
    state.sessions.reset(api="demo")
    next_request(state)
    assert (demo.count("things"), other.count("things")) == (1, 0)


def test_reset_keeps_the_engines_controls(state):
    rules = Rules(state.sessions.default.view(ENGINE))
    rules.add({"api": "demo", "prefer": "code=503", "times": None})
    state.sessions.reset()
    next_request(state)
    assert len(rules.all()) == 1


# -- sessions -----------------------------------------------------------------------------------------
def test_a_session_has_its_own_state_seen_by_every_process(state, twin):
    state.sessions.store("qa").view("demo").delete("things", 1)
    next_request(twin)
    assert (twin.sessions.store("qa").view("demo").count("things"),
            twin.sessions.default.view("demo").count("things")) == (0, 1)
    assert [s["name"] for s in twin.sessions.list()] == ["qa"]


def test_resetting_and_dropping_a_session(state, twin):
    state.sessions.store("qa").view("demo").delete("things", 1)
    assert twin.sessions.reset("qa") is True
    next_request(state)
    assert state.sessions.store("qa").view("demo").count("things") == 1
    state.sessions.store("qa").view("demo").delete("things", 1)
    assert (twin.sessions.drop("qa"), twin.sessions.drop("qa"), twin.sessions.reset("qa")) == (True, False, False)
    next_request(state)
    assert state.sessions.store("qa").view("demo").count("things") == 1  # a new session, from the fixtures


def test_idle_sessions_expire_and_sessions_are_bounded(location):
    import time

    bounded = opened(location, max_sessions=2, session_ttl_seconds=0.5)
    try:
        for name in ("one", "two", "three"):
            bounded.sessions.store(name).view("demo").delete("things", 1)
        assert [s["name"] for s in bounded.sessions.list()] == ["two", "three"]
        time.sleep(0.6)
        assert bounded.sessions.list() == []
        next_request(bounded)
        assert bounded.sessions.store("two").view("demo").count("things") == 1
    finally:
        bounded.close()


# -- the journal ---------------------------------------------------------------------------------------
def test_the_journal_shows_every_processs_requests_newest_last(state, twin):
    state.journal.record({"api": "demo", "n": 1, "worker": 1})
    twin.journal.record({"api": "other", "n": 2, "worker": 2})
    state.journal.record({"api": "demo", "n": 3, "worker": 1})
    assert [e["n"] for e in twin.journal.entries()] == [1, 2, 3]
    assert [e["n"] for e in state.journal.entries(api="demo")] == [1, 3]


def test_the_journal_keeps_the_last_entries_and_clears(state, twin):
    for n in range(60):
        state.journal.record({"n": n})
    assert [e["n"] for e in twin.journal.entries()] == list(range(10, 60))
    twin.journal.clear()
    assert state.journal.entries() == []


# -- opening a store -------------------------------------------------------------------------------------
def test_a_state_file_that_cannot_be_opened_is_one_clear_line(tmp_path):
    with pytest.raises(StateUnavailable) as error:
        opened(str(tmp_path / "no-such-folder" / "state.sqlite"))
    assert str(error.value) == f"cannot use {tmp_path}/no-such-folder/state.sqlite as the state: " \
                               f"its folder {tmp_path}/no-such-folder does not exist"


@pytest.mark.skipif(not POSTGRES, reason=NO_POSTGRES)
def test_an_unreachable_database_is_one_clear_line_without_the_password():
    from servers import free_port

    with pytest.raises(StateUnavailable) as error:
        opened(f"postgresql://qa:s3cret@127.0.0.1:{free_port()}/understudy")
    message = str(error.value)
    assert message.startswith("cannot use the state database postgresql://qa:****@127.0.0.1:")
    assert "\n" not in message and "s3cret" not in message


@pytest.mark.skipif(not POSTGRES, reason=NO_POSTGRES)
def test_hosts_starting_at_once_create_the_schema_once():
    from understudy.stores import postgres

    location = database()
    opened_states, errors = [], []

    def start():
        try:
            opened_states.append(opened(location))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    run_together(*[start for _ in range(6)])
    for opened_state in opened_states:
        opened_state.close()
    assert (errors, len(opened_states)) == ([], 6)
    assert schema_version(location) == len(postgres.MIGRATIONS)


def schema_version(location: str) -> int:
    import psycopg

    with psycopg.connect(location) as conn:
        return conn.execute("SELECT value FROM understudy_meta WHERE key = 'schema'").fetchone()[0]


@pytest.mark.skipif(not POSTGRES, reason=NO_POSTGRES)
def test_the_schema_is_upgraded_in_place_keeping_the_state(monkeypatch):
    from understudy.stores import postgres

    location = database()
    first = opened(location)
    first.sessions.default.view("demo").insert("things", {"id": 2})
    first.close()
    upgrade = "ALTER TABLE understudy_sessions ADD COLUMN note text"
    monkeypatch.setattr(postgres, "MIGRATIONS", [*postgres.MIGRATIONS, upgrade])
    upgraded = opened(location)
    try:
        assert schema_version(location) == len(postgres.MIGRATIONS)
        assert [d["id"] for d in upgraded.sessions.default.view("demo").all("things")] == [1, 2]
        assert upgraded.sessions.default.db.query("SELECT count(note) FROM understudy_sessions") == [(0,)]
    finally:
        upgraded.close()


@pytest.mark.skipif(not POSTGRES, reason=NO_POSTGRES)
def test_a_database_from_a_newer_understudy_is_refused(monkeypatch):
    from understudy.stores import postgres

    location = database()
    opened(location).close()
    monkeypatch.setattr(postgres, "MIGRATIONS", postgres.MIGRATIONS[:-1])
    with pytest.raises(StateUnavailable, match="has schema version 1, newer than this understudy's"):
        opened(location)
