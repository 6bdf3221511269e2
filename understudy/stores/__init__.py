"""The state: documents, singletons, counters, sessions, session controls and the request journal,
behind one interface whatever holds them.

| store | holds the state | for |
|---|---|---|
| `memory` | in this process | one worker (`--workers 1`, tests) |
| `sqlite` | in an SQLite file (WAL) | the workers of one host (`--state FILE`) |
| `postgres` | in a PostgreSQL database | the workers of several hosts (`--state postgresql://...`) |

`open_state(config, fixtures)` picks the store from `config["state"]`; handlers only ever see a
per-API view (`StoreView`'s calls), so no handler knows which store it runs on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .base import ENGINE, HEADER, Lookups, StateUnavailable, check_name, clone, highest_int, load_fixtures, masked
from .memory import Journal, MemoryStore, Sessions, StoreView

__all__ = ["ENGINE", "HEADER", "Journal", "Lookups", "MemoryStore", "Sessions", "State", "StateUnavailable",
           "StoreView", "check_name", "clone", "highest_int", "is_database", "load_fixtures", "masked", "open_state"]

DATABASE_SCHEMES = ("postgresql://", "postgres://")


@dataclass
class State:
    sessions: Any  # the shared state (`.default`) and the named sessions
    journal: Any

    def close(self) -> None:
        """Let go of files and connections (the state itself stays where it is kept)."""
        for part in (self.journal, self.sessions):
            getattr(part, "close", lambda: None)()


def is_database(location: Any) -> bool:
    """Whether a `state` setting names a PostgreSQL database (any libpq URI) rather than a file."""
    return isinstance(location, str) and location.startswith(DATABASE_SCHEMES)


def open_state(config: Any, fixtures: dict[str, Any]) -> State:
    """The store `config["state"]` names: a PostgreSQL URI, an SQLite file, or nothing (memory).
    Raises StateUnavailable (one line) when it cannot be opened."""
    ttl, most, size = float(config["session_ttl_seconds"]), int(config["max_sessions"]), int(config["journal_size"])
    location = config.get("state")
    if is_database(location):  # shared by every worker of every host
        try:
            from .postgres import Database as Postgres
            from .postgres import PostgresJournal, PostgresSessions
        except ImportError as error:
            raise StateUnavailable(f"--state {location.split(':', 1)[0]}://... needs {error.name}: "
                                   "pip install 'understudy[postgres]'") from None
        db = Postgres(location)
        return State(PostgresSessions(db, fixtures, ttl, most), PostgresJournal(db, size))
    if location:  # shared by every worker process, kept across restarts
        from .sqlite import Database, SqliteJournal, SqliteSessions

        return State(SqliteSessions(Database(str(location)), fixtures, ttl, most),
                     SqliteJournal(str(location) + ".requests", size))
    return State(Sessions(fixtures, ttl, most), Journal(size))
