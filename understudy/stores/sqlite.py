"""State in an embedded SQLite database (WAL), shared by every worker process: the same
interface as the memory store (`view(api)` -> the calls handlers use), plus the sessions and
the controls, so a write through one worker is read by the next request on any worker, `update`
is atomic across processes (BEGIN IMMEDIATE), and reset resets them all. The journal has a
database file of its own beside it, so its writes do not invalidate the state's read cache.

Reads are served from a per-process cache of parsed documents, valid while the database has not
changed: `PRAGMA data_version` tells when another process committed, a local counter when this
one did. A read-mostly load therefore costs one PRAGMA per read instead of a query and a JSON
parse of every document.

Each session is a `space`; the shared state is the space "". Fixtures are copied into a space
lazily, the first time one of its APIs is read after a reset."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterable

from ..errors import conflict
from ..journal import Batched
from ..responses import dumps
from .base import ENGINE, CachedDocs, StateUnavailable, clone, highest_int, matches

SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (space TEXT, api TEXT, coll TEXT, id TEXT, seq INTEGER, body TEXT,
                                 PRIMARY KEY (space, api, coll, id));
CREATE INDEX IF NOT EXISTS docs_order ON docs (space, api, coll, seq);
CREATE TABLE IF NOT EXISTS singles (space TEXT, api TEXT, name TEXT, body TEXT, PRIMARY KEY (space, api, name));
CREATE TABLE IF NOT EXISTS counters (space TEXT, api TEXT, coll TEXT, value INTEGER, PRIMARY KEY (space, api, coll));
CREATE TABLE IF NOT EXISTS loaded (space TEXT, api TEXT, PRIMARY KEY (space, api));
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER);
CREATE TABLE IF NOT EXISTS sessions (name TEXT PRIMARY KEY, last_used REAL);
CREATE TABLE IF NOT EXISTS versions (space TEXT, api TEXT, coll TEXT, v INTEGER, PRIMARY KEY (space, api, coll));
INSERT OR IGNORE INTO meta VALUES ('generation', 0);
"""
WHOLE = "*"  # the version of a whole space and API: bumped by reset and by copying the fixtures in
# A write moves the versions of what it touched and the generation; SQLite 3.35+ answers the new
# values in the same statement (older ones: read them after).
RETURNING = " RETURNING v" if sqlite3.sqlite_version_info >= (3, 35) else ""
BUMP_VERSION = "INSERT INTO versions VALUES (?, ?, ?, 1) ON CONFLICT DO UPDATE SET v = v + 1" + RETURNING
BUMP_GENERATION = ("UPDATE meta SET value = value + 1 WHERE key = 'generation'"
                   + (" RETURNING value" if RETURNING else ""))
JOURNAL_SCHEMA = "CREATE TABLE IF NOT EXISTS journal (seq INTEGER PRIMARY KEY AUTOINCREMENT, entry TEXT);"


def unusable(path: str, error: sqlite3.Error) -> str:
    """Why SQLite could not use a file, in words that say what to do."""
    folder = Path(path).resolve().parent
    if not folder.is_dir():
        return f"its folder {folder} does not exist"
    if Path(path).is_dir():
        return "it is a folder"
    return f"{error} (is it a SQLite file understudy wrote, in a folder you may write to?)"


class Database:
    """One connection per process, used under a lock (handlers may run on several threads)."""

    def __init__(self, path: str, schema: str = SCHEMA):
        self.path = path
        try:
            self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.executescript(schema)  # with SQLite's own 30 s wait: other processes may be writing
        except sqlite3.Error as error:  # a folder, a missing folder, no permission, not a database
            raise StateUnavailable(f"cannot use {path} as the state: {unusable(path, error)}") from None
        self.conn.execute("PRAGMA busy_timeout=0")  # from here we wait ourselves, in 0.1 ms steps (begin)
        self.lock = threading.RLock()
        self._checked = False  # the versions were read for the current request
        self._data_version: int | None = None
        self._versions: dict[tuple[str, str, str], int] = {}
        self._generation = 0
        self._cache: dict[tuple, list] = {}  # key -> [its collection's versions, value, stamp]
        self._stamp = 0  # moves whenever a version in _versions may have: a cached value checked at this stamp holds
        self._atomic = False  # inside atomic(): writes join its transaction
        self.serial = 0  # moves whenever what was checked may be re-read (a request, a reset...)

    def query(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self.lock:
            return self.conn.execute(sql, args).fetchall()

    def begin_request(self) -> None:
        """A request starts: what other processes committed before it must be seen, so the next
        read checks data_version again (later reads of the same request reuse that check)."""
        self._checked = False
        self.serial += 1

    def _refresh(self) -> None:
        """Read the collections' versions again if another process committed since we last did."""
        if self._checked:
            return
        self._checked = True
        data_version = self.conn.execute("PRAGMA data_version").fetchone()[0]
        if data_version != self._data_version:
            self._data_version = data_version
            self._versions = {(sp, api, coll): v for sp, api, coll, v in self.conn.execute(
                "SELECT space, api, coll, v FROM versions")}
            self._generation = self.conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()[0]
            self._stamp += 1

    def version(self, space: str, api: str, coll: str) -> tuple[int, int]:
        with self.lock:
            self._refresh()
            return self._versions.get((space, api, WHOLE), 0), self._versions.get((space, api, coll), 0)

    def peek(self, key: tuple) -> Any:
        """The cached value for key while it is still valid, else None (nothing is loaded)."""
        with self.lock:
            hit = self._cache.get(key)
            if hit is None:
                return None
            self._refresh()
            return hit[1] if hit[2] == self._stamp or hit[0] == self.version(*key[:3]) else None

    def cached(self, key: tuple, load: Callable[[], Any]) -> Any:
        """`load()`'s value for key (space, api, coll, ...), kept while that collection has not
        changed, in this process or another."""
        with self.lock:
            if not self._checked:
                self._refresh()
            hit = self._cache.get(key)
            if hit is not None and hit[2] == self._stamp:  # no version moved since it was checked
                return hit[1]
            versions = self._versions
            space, api, coll = key[0], key[1], key[2]
            version = (versions.get((space, api, WHOLE), 0), versions.get((space, api, coll), 0))
            if hit is not None and hit[0] == version:
                hit[2] = self._stamp
                return hit[1]
            if len(self._cache) > 4096:
                self._cache.clear()
            value = load()
            self._cache[key] = [version, value, self._stamp]
            return value

    def begin(self) -> None:
        """BEGIN IMMEDIATE, waiting for another process's write to finish. SQLite's own busy
        handler sleeps 1, 2, 5 ... 100 ms between tries, far longer than our transactions last,
        which shows as latency spikes; this polls every 0.1 ms for up to 30 s instead."""
        for attempt in range(300_000):
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) and "busy" not in str(error):
                    raise
                time.sleep(0.0001 if attempt < 1000 else 0.001)
        raise sqlite3.OperationalError("database stayed locked for 30 s")

    @contextmanager
    def write(self, *touched: tuple[str, str, str]):
        """A write transaction, serialised with every other writer in any process; `touched` names
        the (space, api, collection) it changes, whose cached reads it makes stale everywhere.
        (space, api, WHOLE) makes the whole of that space and API stale. Inside `atomic()` it
        joins that transaction."""
        with self.lock:
            outermost = not self._atomic
            if outermost:
                self.begin()
            moved = {}
            try:
                yield self.conn
                for key in touched:
                    moved[key] = self.conn.execute(BUMP_VERSION, key).fetchall()
                if touched:
                    generation = self.conn.execute(BUMP_GENERATION).fetchall()
            except BaseException:
                if outermost:
                    self.conn.execute("ROLLBACK")
                raise
            # Our own commit does not move data_version: note the new versions ourselves.
            if any(key[2] == WHOLE for key in touched):
                self.forget_versions()  # many keys moved: read them all on the next read
            for key in touched:
                self._versions[key] = (moved[key] or self.conn.execute(
                    "SELECT v FROM versions WHERE space = ? AND api = ? AND coll = ?", key).fetchall())[0][0]
            if touched:
                self._generation = (generation or self.conn.execute(
                    "SELECT value FROM meta WHERE key = 'generation'").fetchall())[0][0]
                self._stamp += 1
            if outermost:
                self.conn.execute("COMMIT")

    @contextmanager
    def atomic(self):
        """One write transaction around several reads and writes: what is read inside is what
        every process has committed, and no other process writes until it ends. On an error
        everything written inside is rolled back, and what this process cached meanwhile is
        dropped."""
        with self.lock:
            if self._atomic:
                yield
                return
            self.begin()
            self._atomic = True
            self._checked = False  # read what was committed up to BEGIN
            self.serial += 1
            try:
                yield
            except BaseException:
                self.conn.execute("ROLLBACK")
                self._cache.clear()
                self.forget_versions()
                raise
            else:
                self.conn.execute("COMMIT")
            finally:
                self._atomic = False

    def generation(self) -> int:
        with self.lock:
            self._refresh()
            return self._generation

    def forget_versions(self) -> None:
        """Read every version again on the next read (after a change to many of them)."""
        self._data_version = None
        self._checked = False
        self.serial += 1
        self._stamp += 1


class SqliteStore:
    def __init__(self, db: Database, fixtures: dict[str, dict[str, Any]], space: str = ""):
        self.db = db
        self.fixtures = fixtures
        self.space = space

    @property
    def generation(self) -> int:
        return self.db.generation()

    def reset(self, api: str | None = None) -> None:
        where, args = (("space = ? AND api = ?", (self.space, api)) if api
                       else ("space = ? AND api != ?", (self.space, ENGINE)))
        apis = [api] if api else [a for a in self.fixtures if a != ENGINE]
        with self.db.write(*[(self.space, a, WHOLE) for a in apis]) as conn:
            for table in ("docs", "singles", "counters", "loaded"):
                conn.execute(f"DELETE FROM {table} WHERE {where}", args)

    def view(self, api: str) -> "SqliteView":
        return SqliteView(self, api)

    def ensure(self, api: str) -> None:
        """Copy the API's fixtures into this space if they are not there yet."""
        key = (self.space, api)
        if self.db.cached((*key, WHOLE, "loaded"), lambda: bool(self.db.conn.execute(
                "SELECT 1 FROM loaded WHERE space = ? AND api = ?", key).fetchall())):
            return
        with self.db.write((*key, WHOLE)) as conn:
            if conn.execute("SELECT 1 FROM loaded WHERE space = ? AND api = ?", key).fetchall():
                return
            for coll, docs in self.fixtures.get(api, {}).items():
                if isinstance(docs, list):
                    conn.executemany("INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?)", [
                        (*key, coll, str(d["id"]), seq, json.dumps(d)) for seq, d in enumerate(docs)])
                else:
                    conn.execute("INSERT INTO singles VALUES (?, ?, ?, ?)", (*key, coll, json.dumps(docs)))
            conn.execute("INSERT INTO loaded VALUES (?, ?)", key)


class SqliteView(CachedDocs):
    """The StoreView interface over SQLite."""

    def __init__(self, store: SqliteStore, api: str):
        self._store = store
        self._db = store.db
        self._key = (store.space, api)
        self._ensured = -1

    def _ensure(self) -> None:
        """The fixtures are in (a cached check: a view may outlive a reset), checked once for
        as long as the versions a request read stay the ones it reads (Database.serial)."""
        if self._ensured != self._db.serial:
            self._store.ensure(self._key[1])
            self._ensured = self._db.serial

    def _docs(self, coll: str) -> dict[str, dict[str, Any]]:
        """A collection's documents by id, in insertion order, from the cache (never handed out)."""
        self._ensure()
        return self._db.cached((*self._key, coll, "docs"), lambda: {
            ident: json.loads(body) for ident, body in self._db.conn.execute(
                "SELECT id, body FROM docs WHERE space = ? AND api = ? AND coll = ? ORDER BY seq",
                (*self._key, coll))})

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
        doc = self._db.cached((*self._key, coll, "doc", str(ident)), lambda: self._row(coll, ident))
        return clone(doc) if doc is not None else None  # one row: no need to load them all

    def _row(self, coll: str, ident: Any) -> dict[str, Any] | None:
        rows = self._db.conn.execute("SELECT body FROM docs WHERE space = ? AND api = ? AND coll = ? AND id = ?",
                                     (*self._key, coll, str(ident))).fetchall()
        return json.loads(rows[0][0]) if rows else None

    @contextmanager
    def atomic(self):
        """Reads and writes inside run as one transaction, across every worker process."""
        self._ensure()
        with self._db.atomic():
            yield self

    def _write(self, coll: str | None):
        self._ensure()
        return self._db.write(*([(*self._key, coll)] if coll is not None else []))

    def _insert(self, conn, coll: str, doc: dict[str, Any]) -> None:
        try:  # the next seq of the collection, in the same statement
            conn.execute("INSERT INTO docs SELECT ?, ?, ?, ?, coalesce(max(seq), -1) + 1, ? FROM docs "
                         "WHERE space = ? AND api = ? AND coll = ?",
                         (*self._key, coll, str(doc["id"]), json.dumps(doc), *self._key, coll))
        except sqlite3.IntegrityError:
            raise conflict(f"{coll} {doc['id']} already exists", id=doc["id"])

    def insert(self, coll: str, doc: dict[str, Any]) -> dict[str, Any]:
        with self._write(coll) as conn:
            self._insert(conn, coll, doc)
        return clone(doc)

    def insert_many(self, coll: str, new_docs: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        new_docs = list(new_docs)
        with self._write(coll) as conn:
            for doc in new_docs:
                self._insert(conn, coll, doc)
        return [clone(d) for d in new_docs]

    def update(self, coll: str, ident: Any, change: Callable[[dict[str, Any]], Any] | dict[str, Any]):
        with self._write(coll) as conn:
            row = conn.execute("SELECT body FROM docs WHERE space = ? AND api = ? AND coll = ? AND id = ?",
                               (*self._key, coll, str(ident))).fetchone()
            if row is None:
                return None
            doc = json.loads(row[0])
            if callable(change):
                change(doc)
            else:
                doc.update(clone(change))
            conn.execute("UPDATE docs SET body = ? WHERE space = ? AND api = ? AND coll = ? AND id = ?",
                         (json.dumps(doc), *self._key, coll, str(ident)))
        return doc

    def delete(self, coll: str, ident: Any) -> bool:
        with self._write(coll) as conn:
            cursor = conn.execute("DELETE FROM docs WHERE space = ? AND api = ? AND coll = ? AND id = ?",
                                  (*self._key, coll, str(ident)))
            return cursor.rowcount > 0

    def next_id(self, coll: str) -> int:
        with self._write(None) as conn:  # counters are not cached: nothing to make stale
            row = conn.execute("SELECT value FROM counters WHERE space = ? AND api = ? AND coll = ?",
                               (*self._key, coll)).fetchone()
            if row is None:
                ids = [json.loads(r[0]).get("id") for r in conn.execute(
                    "SELECT body FROM docs WHERE space = ? AND api = ? AND coll = ?", (*self._key, coll))]
                value = highest_int(ids) + 1
                conn.execute("INSERT INTO counters VALUES (?, ?, ?, ?)", (*self._key, coll, value))
            else:
                value = row[0] + 1
                conn.execute("UPDATE counters SET value = ? WHERE space = ? AND api = ? AND coll = ?",
                             (value, *self._key, coll))
            return value

    def singleton(self, name: str) -> Any:
        self._ensure()
        rows = self._db.cached((*self._key, "singleton:" + name, "single"), lambda: self._db.conn.execute(
            "SELECT body FROM singles WHERE space = ? AND api = ? AND name = ?", (*self._key, name)).fetchall())
        return json.loads(rows[0][0]) if rows else None

    def set_singleton(self, name: str, value: Any) -> Any:
        with self._write("singleton:" + name) as conn:
            conn.execute("INSERT OR REPLACE INTO singles VALUES (?, ?, ?, ?)", (*self._key, name, json.dumps(value)))
        return clone(value)


class SqliteSessions:
    """Sessions as spaces of one database: every worker sees the same sessions."""

    def begin_request(self) -> None:
        self.db.begin_request()

    def __init__(self, db: Database, fixtures: dict, ttl_seconds: float, max_sessions: int):
        self.db = db
        self.fixtures = fixtures
        self.ttl = ttl_seconds
        self.max = max_sessions
        self.default = SqliteStore(db, fixtures)

    def close(self) -> None:
        self.db.conn.close()

    def store(self, name: str | None) -> SqliteStore:
        return self.open(name)[0]

    def open(self, name: str | None) -> tuple[SqliteStore, list[str]]:
        """As `Sessions.open`: the session's state and the sessions dropped to make room."""
        if name is None:
            return self.default, []
        now = time.time()
        with self.db.write() as conn:
            self._expire(conn, now)
            conn.execute("INSERT OR REPLACE INTO sessions VALUES (?, ?)", (name, now))
            extra = conn.execute("SELECT name FROM sessions ORDER BY last_used DESC LIMIT -1 OFFSET ?",
                                 (self.max,)).fetchall()
            for (old,) in extra:
                self._forget(conn, old)
        return SqliteStore(self.db, self.fixtures, name), [old for (old,) in extra]

    def _expire(self, conn, now: float) -> None:
        for (old,) in conn.execute("SELECT name FROM sessions WHERE last_used < ?", (now - self.ttl,)).fetchall():
            self._forget(conn, old)

    def _forget(self, conn, name: str) -> None:
        """Drop a session's state; its APIs' versions move on, so no process keeps a cached read
        that a new session of the same name could see."""
        conn.execute("DELETE FROM sessions WHERE name = ?", (name,))
        for table in ("docs", "singles", "counters", "loaded"):
            conn.execute(f"DELETE FROM {table} WHERE space = ?", (name,))
        for api in self.fixtures:
            conn.execute("INSERT INTO versions VALUES (?, ?, ?, 1) ON CONFLICT DO UPDATE SET v = v + 1",
                         (name, api, WHOLE))
        self.db.forget_versions()

    def list(self) -> list[dict]:
        now = time.time()
        with self.db.write() as conn:
            self._expire(conn, now)
        rows = self.db.query("SELECT name, last_used FROM sessions ORDER BY last_used")
        return [{"name": name, "idle_seconds": round(now - used, 3)} for name, used in rows]

    def reset(self, name: str | None = None, api: str | None = None) -> bool:
        if name is None:
            self.default.reset(api)
            return True
        if not self.db.query("SELECT 1 FROM sessions WHERE name = ?", (name,)):
            return False
        SqliteStore(self.db, self.fixtures, name).reset(api)
        return True

    def drop(self, name: str) -> bool:
        with self.db.write() as conn:
            found = conn.execute("SELECT 1 FROM sessions WHERE name = ?", (name,)).fetchall()
            self._forget(conn, name)
        return bool(found)


class SqliteJournal(Batched):
    """The journal in a database file of its own, shared by every worker. Entries are written
    in batches, within BATCH_SECONDS of the request (one transaction for the requests of that
    time: under load, workers take turns on the file far less often); this worker's own reads
    write what is pending first."""

    def __init__(self, path: str, size: int):
        super().__init__(size)
        self.db = Database(path, JOURNAL_SCHEMA)

    def write(self, entries: list[dict[str, Any]]) -> None:
        rows = [(dumps(entry).decode("utf-8"),) for entry in entries]
        with self.db.lock:
            conn = self.db.conn
            self.db.begin()
            try:
                conn.executemany("INSERT INTO journal (entry) VALUES (?)", rows)
                last = conn.execute("SELECT max(seq) FROM journal").fetchone()[0]
                if last // 256 != (last - len(rows)) // 256:
                    conn.execute("DELETE FROM journal WHERE seq <= ?", (last - self.size,))
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def entries(self, since: int | None = None, **equals: Any) -> list[dict[str, Any]]:
        self.flush()
        rows = self.db.query("SELECT seq, entry FROM journal WHERE seq > ? ORDER BY seq DESC LIMIT ?",
                             (since or 0, self.size))
        entries = [{"id": seq, **json.loads(entry)} for seq, entry in reversed(rows)]
        return [e for e in entries if matches(e, equals)]

    def clear(self) -> None:
        self.take()
        with self.db.lock:
            self.db.conn.execute("DELETE FROM journal")

    def close(self) -> None:
        self.flush()
        self.db.conn.close()
