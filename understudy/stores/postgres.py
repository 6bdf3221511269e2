"""State in PostgreSQL, shared by every worker of any number of hosts: the same interface as the
memory and SQLite stores (`view(api)` -> the calls handlers use, sessions, session controls, the
journal), so a write through one host is read by the next request on any other.

Transactions. Every write is a transaction that holds an advisory lock on its (space, API):
shared for a plain write, exclusive for `atomic()`, so a check and the write that relies on it
(one booking per slot, one variable per key) run with no other writer of that API in between,
on any host. `update` reads the document `FOR UPDATE`, so concurrent updates lose nothing.
Reset and dropping a session take the exclusive locks of every API they clear.

Read cache. Each process keeps parsed documents, valid while nothing changed: every write bumps
one of `SHARDS` counters (the one its (space, API, collection) hashes to) in its transaction, and
each request reads the counters once (one query) before its first read. A collection's cached
documents are used while its counter has not moved. (LISTEN/NOTIFY would spare that query, but a
notice arrives after the commit, so the next request on another host could still read the old
state: ARCHITECTURE.md has the figures.)

Faults. The schema is created on first use and upgraded in place (`MIGRATIONS`, a version row),
under an advisory lock, so several hosts may start at once. A database that cannot be reached at
start raises `StateUnavailable` (one line, for the CLI); while serving, a lost database answers
503 in the API's own format (`ApiError("unavailable")`), and the connection pool reconnects by
itself. A transaction is acknowledged only once PostgreSQL has committed it.

Each session is a `space` of the same tables; the shared state is the space "". An API's fixtures
are copied into a space the first time it is read after a reset."""

from __future__ import annotations

import json
import logging
import threading
import time
import zlib
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Callable, Iterable

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from ..errors import ApiError, conflict
from ..journal import Batched
from .base import ENGINE, CachedDocs, StateUnavailable, clone, highest_int, masked, matches

log = logging.getLogger("understudy")

SHARDS = 64  # change counters of the documents; one more (the last) for the "fixtures copied" flags
LOCKS = 0x75737464  # advisory lock class ("ustd"); key 0 is the schema's, the rest are (space, API)'s
WAIT_SECONDS = 1.0  # for a pooled connection before answering 503 (the event loop waits too)
RETRY_SECONDS = 1.0  # while the database is away, one request a second tries it; the others get 503 at once
LOADED = "*loaded"  # the (space, API)'s "fixtures copied" flag, cached like a collection: copying the
# fixtures changes no document anyone can have read (a view copies them before it reads), so it moves
# only the last counter, and `generation` (the documents' counters) stays: the state is the same.

# Each entry upgrades the schema by one version; a database records the version it has.
MIGRATIONS = [
    """
    CREATE TABLE understudy_meta (key text PRIMARY KEY, value bigint NOT NULL);
    CREATE TABLE understudy_docs (space text, api text, coll text, id text, seq bigserial, body text NOT NULL,
                                  PRIMARY KEY (space, api, coll, id));
    CREATE INDEX understudy_docs_order ON understudy_docs (space, api, coll, seq);
    CREATE TABLE understudy_singles (space text, api text, name text, body text NOT NULL,
                                     PRIMARY KEY (space, api, name));
    CREATE TABLE understudy_counters (space text, api text, coll text, value bigint NOT NULL,
                                      PRIMARY KEY (space, api, coll));
    CREATE TABLE understudy_loaded (space text, api text, PRIMARY KEY (space, api));
    CREATE TABLE understudy_sessions (name text PRIMARY KEY, last_used double precision NOT NULL);
    CREATE TABLE understudy_changes (shard integer PRIMARY KEY, v bigint NOT NULL);
    INSERT INTO understudy_changes SELECT g, 0 FROM generate_series(0, 64) g;
    CREATE TABLE understudy_journal (seq bigserial PRIMARY KEY, entry text NOT NULL);
    """,
]
TABLES = ("understudy_docs", "understudy_singles", "understudy_counters", "understudy_loaded")


def shard(space: str, api: str, coll: str) -> int:
    return SHARDS if coll == LOADED else zlib.crc32(f"{space}/{api}/{coll}".encode()) % SHARDS


def lock_key(space: str, api: str) -> int:
    return zlib.crc32(f"{space}/{api}".encode()) % 0x7FFFFFFF + 1  # 1..2**31-1: never the schema's 0


def key(ident: Any) -> str:
    """A document id as the `id` column holds it (PostgreSQL text cannot hold NUL)."""
    return str(ident).replace("\\", "\\\\").replace("\x00", "\\0")


def first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def unavailable() -> ApiError:
    """What a request gets while the database is away: 503, in its API's own error format."""
    return ApiError("unavailable", "The state database is unavailable; try again shortly",
                    headers={"Retry-After": "1"})


def migrate(conn: psycopg.Connection, where: str) -> None:
    """Create or upgrade the schema, one host at a time."""
    conn.execute("SELECT pg_advisory_lock(%s, 0)", (LOCKS,))
    try:
        found = conn.execute("SELECT to_regclass('understudy_meta')").fetchone()[0]
        version = conn.execute("SELECT value FROM understudy_meta WHERE key = 'schema'").fetchone()[0] if found else 0
        if version > len(MIGRATIONS):
            raise StateUnavailable(f"the state database {where} has schema version {version}, newer than this "
                                   f"understudy's ({len(MIGRATIONS)}): upgrade understudy")
        if version < len(MIGRATIONS):
            with conn.transaction():
                for step in MIGRATIONS[version:]:
                    conn.execute(step)
                conn.execute("INSERT INTO understudy_meta VALUES ('schema', %s) "
                             "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (len(MIGRATIONS),))
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s, 0)", (LOCKS,))


def rows(cursor: psycopg.Cursor) -> list[tuple]:
    return cursor.fetchall() if cursor.description is not None else []


class Tx:
    """One transaction: its connection, the advisory locks it holds, what it changed."""

    def __init__(self, conn: psycopg.Connection):
        self.conn = conn
        self.locked: set[tuple[str, str]] = set()
        self.shards: set[int] = set()
        self.touched: set[tuple[str, str, str]] = set()
        self.everything = False  # a reset or a dropped session: every shard moves
        self.after: list[Callable[[], None]] = []  # run once committed

    def lock(self, space: str, api: str, exclusive: bool = False) -> None:
        if (space, api) not in self.locked:
            how = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
            self.conn.execute(f"SELECT {how}(%s, %s)", (LOCKS, lock_key(space, api)))
            self.locked.add((space, api))

    def lock_all(self, space: str, apis: list[str]) -> None:
        """Exclusive locks on several APIs of a space, in one statement, always in the same order."""
        keys = sorted({lock_key(space, api) for api in apis})
        self.conn.execute("SELECT count(pg_advisory_xact_lock(%s, k)) FROM unnest(%s::integer[]) AS k", (LOCKS, keys))
        self.locked.update((space, api) for api in apis)

    def changed(self, space: str, api: str, coll: str | None) -> None:
        """coll None: everything of the (space, API)."""
        if coll is None:
            self.everything = True
            self.touched.add((space, api, "*"))
        else:
            self.shards.add(shard(space, api, coll))
            self.touched.add((space, api, coll))

    def sees_own_writes(self, space: str, api: str, coll: str) -> bool:
        return (space, api, coll) in self.touched or (space, api, "*") in self.touched


class Database:
    """A pool of connections to one PostgreSQL database, the change counters this process has
    seen, and its cache of parsed reads."""

    def __init__(self, uri: str, pool_size: int = 10):
        self.where = masked(uri)
        try:
            with psycopg.connect(uri, autocommit=True, connect_timeout=10) as conn:
                migrate(conn, self.where)
        except psycopg.Error as error:
            raise StateUnavailable(f"cannot use the state database {self.where}: {first_line(error)}") from None
        # A short reconnect_timeout: the pool gives up its slow retries soon, and the next request
        # that needs a connection tries at once (so a database that is back is seen quickly).
        self.pool = ConnectionPool(uri, min_size=1, max_size=pool_size, kwargs={"autocommit": True},
                                   timeout=WAIT_SECONDS, reconnect_timeout=5, name="understudy", open=True)
        self._away_since: float | None = None  # the database stopped answering then
        self._next_try = 0.0
        self.lock = threading.RLock()  # the counters and the cache
        self._tx: ContextVar[Tx | None] = ContextVar("understudy_pg_tx", default=None)
        self._checked = False  # the counters were read for the current request
        self._shards: list[int] = [-1] * (SHARDS + 1)
        self._cache: dict[tuple, tuple[int, Any]] = {}
        self.fixture_rows: dict[tuple[str, str], tuple[list[str], list[str]]] = {}

    def close(self) -> None:
        self.pool.close()

    # -- connections -------------------------------------------------------------------------
    def _getconn(self) -> psycopg.Connection:
        """A pooled connection. While the database is away requests fail at once (the event loop
        would wait with them), but for one a second, which notices when it is back."""
        if self._away_since is not None and time.monotonic() < self._next_try:
            raise unavailable()
        try:
            conn = self.pool.getconn()
        except PoolTimeout as error:
            raise self._away(error) from None
        if self._away_since is not None:
            log.warning("state database %s is back after %.1f s", self.where, time.monotonic() - self._away_since)
            self._away_since = None
        return conn

    def _away(self, error: Exception) -> ApiError:
        now = time.monotonic()
        if self._away_since is None:
            log.warning("state database %s unavailable: %s", self.where, first_line(error))
            self._away_since = now
        self._next_try = now + RETRY_SECONDS
        return unavailable()

    def _lost(self, conn: psycopg.Connection, error: psycopg.OperationalError, again: bool) -> ApiError | None:
        """After an error on a connection: None when the step may be tried again on another one
        (the connection was found broken, nothing was written: the database restarted since it
        was last used), else the 503 to answer."""
        self.pool.putconn(conn)  # a broken one is dropped and replaced
        if not conn.broken:
            log.warning("state database error: %s", first_line(error))
            return unavailable()
        if again:
            self.pool.check()  # drop the other broken connections now
            return None
        return self._away(error)

    @contextmanager
    def connection(self):
        """A pooled connection; a lost database becomes ApiError("unavailable")."""
        conn = self._getconn()
        try:
            yield conn
        finally:
            self.pool.putconn(conn)

    def query(self, sql: str, args: Any = ()) -> list[tuple]:
        """Rows of one statement: in the current transaction, else on its own (tried again once
        on another connection when the first was found broken: a read is safe to repeat)."""
        tx = self._tx.get()
        if tx is not None:
            return self._in(tx, lambda: rows(tx.conn.execute(sql, args)))
        for again in (True, False):
            conn = self._getconn()
            try:
                found = rows(conn.execute(sql, args))
            except psycopg.OperationalError as error:
                refusal = self._lost(conn, error, again)
                if refusal is not None:
                    raise refusal from None
                continue
            self.pool.putconn(conn)
            return found
        raise AssertionError("unreachable")

    def _in(self, tx: Tx, step: Callable[[], Any]) -> Any:
        try:
            return step()
        except psycopg.OperationalError as error:
            raise (self._away(error) if tx.conn.broken else unavailable()) from None

    @contextmanager
    def transaction(self, space: str, api: str | None, exclusive: bool = False):
        """A write transaction holding the (space, API)'s advisory lock (none when api is None);
        inside another one it joins it. Committed when the block ends, rolled back on an error."""
        tx = self._tx.get()
        if tx is not None:
            if api is not None:
                self._in(tx, lambda: tx.lock(space, api, exclusive))
            yield tx
            return
        tx = self._begin(space, api, exclusive)
        token = self._tx.set(tx)
        try:
            yield tx
            moved = self._in(tx, lambda: self._commit(tx))
        except BaseException:
            self._rollback(tx)
            raise
        finally:
            self._tx.reset(token)
            self.pool.putconn(tx.conn)
        self._note(moved)
        for step in tx.after:
            step()

    def _begin(self, space: str, api: str | None, exclusive: bool) -> Tx:
        """BEGIN and the lock, on a connection that works (see `_lost`)."""
        for again in (True, False):
            tx = Tx(self._getconn())
            try:
                with tx.conn.pipeline():
                    tx.conn.execute("BEGIN")
                    if api is not None:
                        tx.lock(space, api, exclusive)
                return tx
            except psycopg.OperationalError as error:
                self._rollback(tx)
                refusal = self._lost(tx.conn, error, again)
                if refusal is not None:
                    raise refusal from None
        raise AssertionError("unreachable")

    def _commit(self, tx: Tx) -> list[tuple[int, int]]:
        conn = tx.conn
        with conn.pipeline():
            if tx.everything:
                bumped = conn.execute("UPDATE understudy_changes SET v = v + 1 RETURNING shard, v")
            elif tx.shards:
                bumped = conn.execute("UPDATE understudy_changes SET v = v + 1 WHERE shard = ANY(%s) RETURNING shard, v",
                                      (sorted(tx.shards),))
            else:
                bumped = None
            conn.execute("COMMIT")
        return bumped.fetchall() if bumped is not None else []

    @staticmethod
    def _rollback(tx: Tx) -> None:
        if tx.conn.broken:
            return
        try:
            tx.conn.execute("ROLLBACK")
        except psycopg.Error:
            tx.conn.close()  # the pool drops it

    def _note(self, moved: list[tuple[int, int]]) -> None:
        """Our own commit moved these counters: what we cached under their old values is stale."""
        with self.lock:
            for number, value in moved:
                self._shards[number] = max(self._shards[number], value)

    @contextmanager
    def atomic(self, space: str, api: str):
        """One transaction holding the (space, API)'s exclusive lock: no other writer of that API
        comes in between, on any host. Reads inside see what every host committed before it."""
        with self.transaction(space, api, exclusive=True) as tx:
            self.refresh(force=True)
            yield tx

    def current(self) -> Tx | None:
        return self._tx.get()

    # -- the change counters and the cache -------------------------------------------------------
    def begin_request(self) -> None:
        """A request starts: the next read checks the counters again."""
        self._checked = False

    def refresh(self, force: bool = False) -> None:
        with self.lock:
            if self._checked and not force:
                return
            (values,) = self.query("SELECT array_agg(v ORDER BY shard) FROM understudy_changes")[0]
            self._shards = list(values)
            self._checked = True

    def cached(self, key: tuple, load: Callable[[], Any]) -> Any:
        """`load()`'s value for key (space, api, coll, ...), kept while that collection has not
        changed on any host. Inside a transaction that wrote to it, read afresh and not kept."""
        tx = self._tx.get()
        if tx is not None and tx.sees_own_writes(*key[:3]):
            return load()
        number = shard(*key[:3])
        with self.lock:
            self.refresh()
            version = self._shards[number]
            hit = self._cache.get(key)
            if hit is not None and hit[0] == version:
                return hit[1]
        value = load()
        with self.lock:
            if len(self._cache) > 16384:
                self._cache.clear()
            self._cache[key] = (version, value)
        return value

    def seed(self, key: tuple, value: Any) -> None:
        """Cache what this process has just committed (after the commit's counters are noted)."""
        with self.lock:
            self._cache[key] = (self._shards[shard(*key[:3])], value)

    def peek(self, key: tuple) -> Any:
        """The cached value for key while it is still valid, else None (nothing is loaded)."""
        tx = self._tx.get()
        if tx is not None and tx.sees_own_writes(*key[:3]):
            return None
        with self.lock:
            self.refresh()
            hit = self._cache.get(key)
            return hit[1] if hit is not None and hit[0] == self._shards[shard(*key[:3])] else None

    def generation(self) -> int:
        with self.lock:
            self.refresh()
            return sum(self._shards[:SHARDS])


class PostgresStore:
    def __init__(self, db: Database, fixtures: dict[str, dict[str, Any]], space: str = ""):
        self.db = db
        self.fixtures = fixtures
        self.space = space

    def _rows(self, api: str, coll: str) -> tuple[list[str], list[str]]:
        """A collection's fixtures as INSERT_ROWS takes them, ids and bodies (made once: the
        database serves one app, whose fixtures never change)."""
        made = self.db.fixture_rows.get((api, coll))
        if made is None:
            docs = self.fixtures[api][coll]
            made = self.db.fixture_rows[(api, coll)] = ([key(d["id"]) for d in docs], [json.dumps(d) for d in docs])
        return made

    @property
    def generation(self) -> int:
        return self.db.generation()

    def view(self, api: str) -> "PostgresView":
        return PostgresView(self, api)

    def reset(self, api: str | None = None) -> None:
        apis = [api] if api else sorted(a for a in self.fixtures if a != ENGINE)
        with self.db.transaction(self.space, None) as tx:
            clear(tx, self.space, apis)

    def ensure(self, api: str) -> None:
        """Copy the API's fixtures into this space if they are not there yet (one host does)."""
        loaded = (self.space, api, LOADED)
        if self.db.cached((*loaded, "loaded"), lambda: bool(self.db.query(
                "SELECT 1 FROM understudy_loaded WHERE space = %s AND api = %s", (self.space, api)))):
            return
        with self.db.transaction(self.space, api) as tx:
            first = tx.conn.execute("INSERT INTO understudy_loaded VALUES (%s, %s) ON CONFLICT DO NOTHING RETURNING 1",
                                    (self.space, api)).fetchall()
            if not first:
                return
            tx.changed(*loaded)
            seeds: dict[tuple, Any] = {(*loaded, "loaded"): True}
            with tx.conn.pipeline():
                for coll, docs in self.fixtures.get(api, {}).items():
                    if isinstance(docs, list):
                        tx.conn.execute(INSERT_ROWS, (self.space, api, coll, *self._rows(api, coll)))
                        seeds[(self.space, api, coll, "docs")] = {str(d["id"]): clone(d) for d in docs}
                    else:
                        tx.conn.execute("INSERT INTO understudy_singles VALUES (%s, %s, %s, %s)",
                                        (self.space, api, coll, json.dumps(docs)))
                        seeds[(self.space, api, "singleton:" + coll, "single")] = [(json.dumps(docs),)]
            # Nothing else writes these before the commit (a writer copies the fixtures first, and
            # waits for this copy): what was copied is what this process may read from now on.
            tx.after.extend(lambda k=k, v=v: self.db.seed(k, v) for k, v in seeds.items())


INSERT_ROWS = ("INSERT INTO understudy_docs (space, api, coll, id, body) "
               "SELECT %s, %s, %s, i, b FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY AS n(i, b, o) ORDER BY o "
               "ON CONFLICT DO NOTHING")


def insert_rows(conn: psycopg.Connection, space: str, api: str, coll: str, docs: list[dict]) -> list[str]:
    """Insert documents in their order; returns the ids (`key`s) that were new: taken ones are skipped."""
    cursor = conn.execute(INSERT_ROWS + " RETURNING id", (space, api, coll, [key(d["id"]) for d in docs],
                                                          [json.dumps(d) for d in docs]))
    return [ident for (ident,) in cursor.fetchall()]


def clear(tx: Tx, space: str, apis: list[str]) -> None:
    """Delete the state of these APIs in one space (the caller's transaction, their locks)."""
    for api in apis:
        tx.changed(space, api, None)
    with tx.conn.pipeline():
        tx.lock_all(space, apis)
        for table in TABLES:
            tx.conn.execute(f"DELETE FROM {table} WHERE space = %s AND api = ANY(%s)", (space, apis))


class PostgresView(CachedDocs):
    """The StoreView interface over PostgreSQL."""

    def __init__(self, store: PostgresStore, api: str):
        self._store = store
        self._db = store.db
        self._key = (store.space, api)

    def _ensure(self) -> None:
        """The fixtures are in (a cached check: a view may outlive a reset)."""
        self._store.ensure(self._key[1])

    def _docs(self, coll: str) -> dict[str, dict[str, Any]]:
        """A collection's documents by id, in insertion order, from the cache (never handed out)."""
        self._ensure()
        return self._db.cached((*self._key, coll, "docs"), lambda: {
            str(doc["id"]): doc for doc in (json.loads(body) for (body,) in self._db.query(
                "SELECT body FROM understudy_docs WHERE space = %s AND api = %s AND coll = %s ORDER BY seq",
                (*self._key, coll)))})

    @property
    def generation(self) -> int:
        return self._db.generation()

    @property
    def version(self) -> tuple:
        """Names this state as it is now, across sessions: caches derived from state key on it."""
        return self._key[0], self._db.generation()

    def get(self, coll: str, ident: Any) -> dict[str, Any] | None:
        self._ensure()
        docs = self._db.peek((*self._key, coll, "docs"))
        if docs is not None:
            doc = docs.get(str(ident))
            return clone(doc) if doc is not None else None
        body = self._db.cached((*self._key, coll, "doc", str(ident)), lambda: next(iter(self._db.query(
            "SELECT body FROM understudy_docs WHERE space = %s AND api = %s AND coll = %s AND id = %s",
            (*self._key, coll, key(ident)))), (None,))[0])  # one row: no need to load them all
        return json.loads(body) if body is not None else None

    @contextmanager
    def atomic(self):
        """Reads and writes inside run as one transaction, across every host."""
        self._ensure()
        with self._db.atomic(*self._key):
            yield self

    @contextmanager
    def _write(self, coll: str | None):
        self._ensure()
        with self._db.transaction(*self._key) as tx:
            if coll is not None:
                tx.changed(*self._key, coll)
            yield tx.conn

    def insert(self, coll: str, doc: dict[str, Any]) -> dict[str, Any]:
        return self.insert_many(coll, [doc])[0]

    def insert_many(self, coll: str, new_docs: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """All or nothing."""
        new_docs = list(new_docs)
        keys = [key(d["id"]) for d in new_docs]
        if len(set(keys)) != len(keys):
            raise conflict(f"{coll} ids already exist")
        with self._write(coll) as conn:
            added = set(insert_rows(conn, *self._key, coll, new_docs))
            if len(added) != len(new_docs):
                taken = [d["id"] for d, k in zip(new_docs, keys) if k not in added]
                if len(new_docs) == 1:
                    raise conflict(f"{coll} {taken[0]} already exists", id=taken[0])
                raise conflict(f"{coll} {', '.join(map(str, taken))} already exist")
        return [clone(d) for d in new_docs]

    def update(self, coll: str, ident: Any, change: Callable[[dict[str, Any]], Any] | dict[str, Any]):
        with self._write(coll) as conn:
            row = conn.execute("SELECT body FROM understudy_docs WHERE space = %s AND api = %s AND coll = %s AND id = %s "
                               "FOR UPDATE", (*self._key, coll, key(ident))).fetchone()
            if row is None:
                return None
            doc = json.loads(row[0])
            if callable(change):
                change(doc)
            else:
                doc.update(clone(change))
            conn.execute("UPDATE understudy_docs SET body = %s WHERE space = %s AND api = %s AND coll = %s AND id = %s",
                         (json.dumps(doc), *self._key, coll, key(ident)))
        return doc

    def delete(self, coll: str, ident: Any) -> bool:
        with self._write(coll) as conn:
            cursor = conn.execute("DELETE FROM understudy_docs WHERE space = %s AND api = %s AND coll = %s AND id = %s",
                                  (*self._key, coll, key(ident)))
            return cursor.rowcount > 0

    def next_id(self, coll: str) -> int:
        """Counters are not cached: their writes make nothing stale."""
        where = (*self._key, coll)
        bumped = self._db.query("UPDATE understudy_counters SET value = value + 1 "
                                "WHERE space = %s AND api = %s AND coll = %s RETURNING value", where)
        if bumped:
            return bumped[0][0]
        first = highest_int(d.get("id") for d in self._docs(coll).values()) + 1
        return self._db.query("INSERT INTO understudy_counters VALUES (%s, %s, %s, %s) ON CONFLICT (space, api, coll) "
                              "DO UPDATE SET value = understudy_counters.value + 1 RETURNING value", (*where, first))[0][0]

    def singleton(self, name: str) -> Any:
        self._ensure()
        rows = self._db.cached((*self._key, "singleton:" + name, "single"), lambda: self._db.query(
            "SELECT body FROM understudy_singles WHERE space = %s AND api = %s AND name = %s", (*self._key, name)))
        return json.loads(rows[0][0]) if rows else None

    def set_singleton(self, name: str, value: Any) -> Any:
        with self._write("singleton:" + name) as conn:
            conn.execute("INSERT INTO understudy_singles VALUES (%s, %s, %s, %s) "
                         "ON CONFLICT (space, api, name) DO UPDATE SET body = excluded.body",
                         (*self._key, name, json.dumps(value)))
        return clone(value)


class PostgresSessions:
    """Sessions as spaces of one database: every host sees the same sessions."""

    def __init__(self, db: Database, fixtures: dict, ttl_seconds: float, max_sessions: int):
        self.db = db
        self.fixtures = fixtures
        self.ttl = ttl_seconds
        self.max = max_sessions
        self.default = PostgresStore(db, fixtures)

    def begin_request(self) -> None:
        self.db.begin_request()

    def close(self) -> None:
        self.db.close()

    def store(self, name: str | None) -> PostgresStore:
        return self.open(name)[0]

    def open(self, name: str | None) -> tuple[PostgresStore, list[str]]:
        """As `Sessions.open`: the session's state and the sessions dropped to make room."""
        if name is None:
            return self.default, []
        now = time.time()
        with self.db.transaction(name, None) as tx:
            with tx.conn.pipeline():
                expired = tx.conn.execute("DELETE FROM understudy_sessions WHERE last_used < %s AND name <> %s "
                                          "RETURNING name", (now - self.ttl, name))
                tx.conn.execute("INSERT INTO understudy_sessions VALUES (%s, %s) "
                                "ON CONFLICT (name) DO UPDATE SET last_used = excluded.last_used", (name, now))
                extra = tx.conn.execute("SELECT name FROM understudy_sessions ORDER BY last_used DESC OFFSET %s",
                                        (self.max,))
            evicted = [old for (old,) in extra.fetchall()]
            for old in [old for (old,) in expired.fetchall()] + evicted:
                self._forget(tx, old)
        return PostgresStore(self.db, self.fixtures, name), evicted

    def _forget(self, tx: Tx, name: str) -> None:
        """Drop a session's state; every counter moves, so no host keeps a cached read that a new
        session of the same name could see."""
        tx.conn.execute("DELETE FROM understudy_sessions WHERE name = %s", (name,))
        clear(tx, name, sorted(self.fixtures))

    def list(self) -> list[dict]:
        now = time.time()
        with self.db.transaction("", None) as tx:
            for (old,) in tx.conn.execute("DELETE FROM understudy_sessions WHERE last_used < %s RETURNING name",
                                          (now - self.ttl,)).fetchall():
                clear(tx, old, sorted(self.fixtures))
        rows = self.db.query("SELECT name, last_used FROM understudy_sessions ORDER BY last_used")
        return [{"name": name, "idle_seconds": round(now - used, 3)} for name, used in rows]

    def reset(self, name: str | None = None, api: str | None = None) -> bool:
        if name is None:
            self.default.reset(api)
            return True
        if not self.db.query("SELECT 1 FROM understudy_sessions WHERE name = %s", (name,)):
            return False
        PostgresStore(self.db, self.fixtures, name).reset(api)
        return True

    def drop(self, name: str) -> bool:
        with self.db.transaction(name, None) as tx:
            found = tx.conn.execute("SELECT 1 FROM understudy_sessions WHERE name = %s", (name,)).fetchall()
            if found:
                self._forget(tx, name)
        return bool(found)


class PostgresJournal(Batched):
    """The journal in the same database, shared by every host: entries are written in batches
    (right after the request when the server is idle, a few at a time when it is busy), without
    waiting for the disk (synchronous_commit off: a crash of PostgreSQL may lose the last few
    entries, never state). While the database is away, entries wait here (at most `size`)."""

    BATCH_SECONDS = 0  # at the loop's next turn: a round trip away already

    def __init__(self, db: Database, size: int):
        super().__init__(size)
        self.db = db

    def scheduled_flush(self) -> None:
        self.quiet_flush()

    def quiet_flush(self) -> None:
        try:
            self.flush()
        except ApiError:
            pass  # kept for the next flush

    def write(self, entries: list[dict[str, Any]]) -> None:
        batch = [json.dumps(entry) for entry in entries]
        try:
            with self.db.connection() as conn, conn.pipeline():
                conn.execute("BEGIN")
                conn.execute("SET LOCAL synchronous_commit TO off")
                last = conn.execute("INSERT INTO understudy_journal (entry) SELECT unnest(%s::text[]) RETURNING seq",
                                    (batch,))
                conn.execute("COMMIT")
                seqs = [s for (s,) in last.fetchall()]
        except (psycopg.Error, ApiError) as error:
            self.requeue(entries)
            raise error if isinstance(error, ApiError) else unavailable() from None
        if seqs and max(seqs) // 256 != (max(seqs) - len(seqs)) // 256:
            self.db.query("DELETE FROM understudy_journal WHERE seq <= %s", (max(seqs) - self.size,))

    def entries(self, since: int | None = None, **equals: Any) -> list[dict[str, Any]]:
        """Oldest first, after id `since` (the entry's row number, which every host shares)."""
        self.flush()
        rows = self.db.query("SELECT seq, entry FROM (SELECT seq, entry FROM understudy_journal WHERE seq > %s "
                             "ORDER BY seq DESC LIMIT %s) AS recent ORDER BY seq", (since or 0, self.size))
        entries = [{"id": seq, **json.loads(entry)} for seq, entry in rows]
        return [e for e in entries if matches(e, equals)]

    def clear(self) -> None:
        self.take()
        self.db.query("DELETE FROM understudy_journal")

    def close(self) -> None:
        self.quiet_flush()
