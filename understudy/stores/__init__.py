"""The state: documents, singletons, counters, sessions, session controls and the request journal,
behind one interface whatever holds them.

| store | holds the state | for |
|---|---|---|
| `memory` | in this process | one worker (`--workers 1`, tests) |
| `sqlite` | in an SQLite file (WAL) | the workers of one host (`--state FILE`) |

`open_state(config, fixtures)` picks the store from `config["state"]`; handlers only ever see a
per-API view (`StoreView`'s calls), so no handler knows which store it runs on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .base import ENGINE, HEADER, Lookups, check_name, clone, highest_int, load_fixtures
from .memory import Journal, MemoryStore, Sessions, StoreView

__all__ = ["ENGINE", "HEADER", "Journal", "Lookups", "MemoryStore", "Sessions", "State", "StoreView",
           "check_name", "clone", "highest_int", "load_fixtures", "open_state"]


@dataclass
class State:
    sessions: Any  # the shared state (`.default`) and the named sessions
    journal: Any


def open_state(config: Any, fixtures: dict[str, Any]) -> State:
    ttl, most, size = float(config["session_ttl_seconds"]), int(config["max_sessions"]), int(config["journal_size"])
    location = config.get("state")
    if location:  # shared by every worker process, kept across restarts
        from .sqlite import Database, SqliteJournal, SqliteSessions

        return State(SqliteSessions(Database(str(location)), fixtures, ttl, most),
                     SqliteJournal(str(location) + ".requests", size))
    return State(Sessions(fixtures, ttl, most), Journal(size))
