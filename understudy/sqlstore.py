"""State in an embedded SQLite database (WAL), shared by every worker process: the same
interface as the memory store (`view(api)` -> the calls handlers use), plus the sessions, the
journal and the controls, so a write through one worker is read by the next request on any
worker, `update` is atomic across processes (BEGIN IMMEDIATE), and reset resets them all.

Each session is a `space`; the shared state is the space "". Fixtures are copied into a space
lazily, the first time one of its APIs is read after a reset."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections import deque
from contextlib import contextmanager
from typing import Any, Callable, Iterable

from .errors import conflict
from .store import ENGINE, clone, highest_int

SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (space TEXT, api TEXT, coll TEXT, id TEXT, seq INTEGER, body TEXT,
                                 PRIMARY KEY (space, api, coll, id));
CREATE INDEX IF NOT EXISTS docs_order ON docs (space, api, coll, seq);
CREATE TABLE IF NOT EXISTS singles (space TEXT, api TEXT, name TEXT, body TEXT, PRIMARY KEY (space, api, name));
CREATE TABLE IF NOT EXISTS counters (space TEXT, api TEXT, coll TEXT, value INTEGER, PRIMARY KEY (space, api, coll));
CREATE TABLE IF NOT EXISTS loaded (space TEXT, api TEXT, PRIMARY KEY (space, api));
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER);
CREATE TABLE IF NOT EXISTS sessions (name TEXT PRIMARY KEY, last_used REAL);
CREATE TABLE IF NOT EXISTS journal (seq INTEGER PRIMARY KEY AUTOINCREMENT, entry TEXT);
INSERT OR IGNORE INTO meta VALUES ('generation', 0);
"""


class Database:
    """One connection per process, used under a lock (handlers may run on several threads)."""

    def __init__(self, path: str):
        self.path = path
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.executescript(SCHEMA)  # with SQLite's own 30 s wait: other processes may be writing
        self.conn.execute("PRAGMA busy_timeout=0")  # from here we wait ourselves, in 0.1 ms steps (begin)
        self.lock = threading.RLock()

    def query(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self.lock:
            return self.conn.execute(sql, args).fetchall()

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
    def write(self):
        """A write transaction: serialised with every other writer, in any process."""
        with self.lock:
            self.begin()
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")
            self.conn.execute("COMMIT")

    def generation(self) -> int:
        return self.query("SELECT value FROM meta WHERE key = 'generation'")[0][0]


class SqliteStore:
    def __init__(self, db: Database, fixtures: dict[str, dict[str, Any]], space: str = ""):
        self.db = db
        self.fixtures = fixtures
        self.space = space

    @property
    def generation(self) -> int:
        return self.db.generation()

    def reset(self, api: str | None = None) -> None:
        where, args = ("space = ? AND api = ?", (self.space, api)) if api else ("space = ? AND api != ?", (self.space, ENGINE))
        with self.db.write() as conn:
            for table in ("docs", "singles", "counters", "loaded"):
                conn.execute(f"DELETE FROM {table} WHERE {where}", args)

    def view(self, api: str) -> "SqliteView":
        return SqliteView(self, api)

    def ensure(self, api: str) -> None:
        """Copy the API's fixtures into this space if they are not there yet."""
        if self.db.query("SELECT 1 FROM loaded WHERE space = ? AND api = ?", (self.space, api)):
            return
        with self.db.write() as conn:
            if conn.execute("SELECT 1 FROM loaded WHERE space = ? AND api = ?", (self.space, api)).fetchall():
                return
            for coll, docs in self.fixtures.get(api, {}).items():
                if isinstance(docs, list):
                    conn.executemany("INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?)", [
                        (self.space, api, coll, str(d["id"]), seq, json.dumps(d)) for seq, d in enumerate(docs)])
                else:
                    conn.execute("INSERT INTO singles VALUES (?, ?, ?, ?)", (self.space, api, coll, json.dumps(docs)))
            conn.execute("INSERT INTO loaded VALUES (?, ?)", (self.space, api))


class SqliteView:
    """The StoreView interface over SQLite."""

    def __init__(self, store: SqliteStore, api: str):
        self._store = store
        self._db = store.db
        self._key = (store.space, api)
        store.ensure(api)

    @property
    def generation(self) -> int:
        return self._db.generation()

    def all(self, coll: str) -> list[dict[str, Any]]:
        rows = self._db.query("SELECT body FROM docs WHERE space = ? AND api = ? AND coll = ? ORDER BY seq",
                              (*self._key, coll))
        return [json.loads(r[0]) for r in rows]

    def filter(self, coll: str, predicate: Callable[[dict], bool]) -> list[dict[str, Any]]:
        return [d for d in self.all(coll) if predicate(d)]

    def find(self, coll: str, **equals: Any) -> list[dict[str, Any]]:
        return self.filter(coll, lambda d: all(d.get(k) == v for k, v in equals.items()))

    def first(self, coll: str, **equals: Any) -> dict[str, Any] | None:
        found = self.find(coll, **equals)
        return found[0] if found else None

    def get(self, coll: str, ident: Any) -> dict[str, Any] | None:
        rows = self._db.query("SELECT body FROM docs WHERE space = ? AND api = ? AND coll = ? AND id = ?",
                              (*self._key, coll, str(ident)))
        return json.loads(rows[0][0]) if rows else None

    def count(self, coll: str) -> int:
        return self._db.query("SELECT count(*) FROM docs WHERE space = ? AND api = ? AND coll = ?",
                              (*self._key, coll))[0][0]

    def _insert(self, conn, coll: str, doc: dict[str, Any]) -> None:
        seq = conn.execute("SELECT coalesce(max(seq), -1) + 1 FROM docs WHERE space = ? AND api = ? AND coll = ?",
                           (*self._key, coll)).fetchone()[0]
        try:
            conn.execute("INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?)",
                         (*self._key, coll, str(doc["id"]), seq, json.dumps(doc)))
        except sqlite3.IntegrityError:
            raise conflict(f"{coll} {doc['id']} already exists", id=doc["id"])

    def insert(self, coll: str, doc: dict[str, Any]) -> dict[str, Any]:
        with self._db.write() as conn:
            self._insert(conn, coll, doc)
        return clone(doc)

    def insert_many(self, coll: str, new_docs: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        new_docs = list(new_docs)
        with self._db.write() as conn:
            for doc in new_docs:
                self._insert(conn, coll, doc)
        return [clone(d) for d in new_docs]

    def update(self, coll: str, ident: Any, change: Callable[[dict[str, Any]], Any] | dict[str, Any]):
        with self._db.write() as conn:
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
        with self._db.write() as conn:
            cursor = conn.execute("DELETE FROM docs WHERE space = ? AND api = ? AND coll = ? AND id = ?",
                                  (*self._key, coll, str(ident)))
            return cursor.rowcount > 0

    def next_id(self, coll: str) -> int:
        with self._db.write() as conn:
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
        rows = self._db.query("SELECT body FROM singles WHERE space = ? AND api = ? AND name = ?", (*self._key, name))
        return json.loads(rows[0][0]) if rows else None

    def set_singleton(self, name: str, value: Any) -> Any:
        with self._db.write() as conn:
            conn.execute("INSERT OR REPLACE INTO singles VALUES (?, ?, ?, ?)", (*self._key, name, json.dumps(value)))
        return clone(value)


class SqliteSessions:
    """Sessions as spaces of one database: every worker sees the same sessions."""

    def __init__(self, db: Database, fixtures: dict, ttl_seconds: float, max_sessions: int):
        self.db = db
        self.fixtures = fixtures
        self.ttl = ttl_seconds
        self.max = max_sessions
        self.default = SqliteStore(db, fixtures)

    def store(self, name: str | None) -> SqliteStore:
        if name is None:
            return self.default
        now = time.time()
        with self.db.write() as conn:
            self._expire(conn, now)
            conn.execute("INSERT OR REPLACE INTO sessions VALUES (?, ?)", (name, now))
            extra = conn.execute("SELECT name FROM sessions ORDER BY last_used DESC LIMIT -1 OFFSET ?",
                                 (self.max,)).fetchall()
            for (old,) in extra:
                self._forget(conn, old)
        return SqliteStore(self.db, self.fixtures, name)

    def _expire(self, conn, now: float) -> None:
        for (old,) in conn.execute("SELECT name FROM sessions WHERE last_used < ?", (now - self.ttl,)).fetchall():
            self._forget(conn, old)

    @staticmethod
    def _forget(conn, name: str) -> None:
        conn.execute("DELETE FROM sessions WHERE name = ?", (name,))
        for table in ("docs", "singles", "counters", "loaded"):
            conn.execute(f"DELETE FROM {table} WHERE space = ?", (name,))

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


class SqliteJournal:
    """The journal in the shared database, so every worker's requests are listed together."""

    def __init__(self, db: Database, size: int):
        self.db = db
        self.size = max(1, size)

    def record(self, entry: dict[str, Any]) -> None:
        with self.db.lock:
            conn = self.db.conn
            self.db.begin()
            seq = conn.execute("INSERT INTO journal (entry) VALUES (?)", (json.dumps(entry),)).lastrowid
            if seq % 64 == 0:
                conn.execute("DELETE FROM journal WHERE seq <= ?", (seq - self.size,))
            conn.execute("COMMIT")

    def entries(self, **equals: Any) -> list[dict[str, Any]]:
        wanted = {k: v for k, v in equals.items() if v is not None}
        rows = self.db.query("SELECT entry FROM journal ORDER BY seq DESC LIMIT ?", (self.size,))
        entries = deque(json.loads(r[0]) for r in reversed(rows))
        return [e for e in entries if all(str(e.get(k)) == str(v) for k, v in wanted.items())]

    def clear(self) -> None:
        with self.db.lock:
            self.db.conn.execute("DELETE FROM journal")
