"""Timbr SQL over an embedded SQLite database built from an ontology in the store.

Each ontology becomes one in-memory SQLite database: a table per concept (its properties plus
`entity_id` and `entity_type`), a SQLite view per ontology view, and the `sys_concepts`,
`sys_properties` and `sys_views` tables. Databases are cached per ontology and state version
(`store().version`: one session's state between two writes). A query is rewritten, never parsed in full:

- `dtimbr.<concept>`, `timbr.<concept>` and `vtimbr.<view>` lose their schema;
- a relationship column (`` `relationship[concept].property` ``) makes its concept a CTE that
  LEFT JOINs the relationship's target, so the column exists and rows multiply as in Timbr.

Only a single SELECT (or WITH ... SELECT) runs, on a connection with `query_only` on and an
authorizer that allows nothing but reading, under a time limit, with SQLite's own limits lowered
(LIMITS: no value over 4 MB, so `randomblob(1000000000)` fails at once) and the rows it returns
bounded (MAX_ROWS, RESULT_BYTES). A query that calls a function whose one step can take long
(LONG_STEPS: the time limit cannot interrupt a step) never runs on the event loop.
`timbr_username()` is the user the query runs as; unaliased, its column is named after that
user, as Timbr answers it.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections import OrderedDict
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from understudy.errors import ApiError, Violation

SCHEMAS = {"dtimbr": "concept", "timbr": "concept", "vtimbr": "view"}
SQL_TYPES = {"string": "TEXT", "integer": "INTEGER", "double": "REAL", "boolean": "BOOLEAN",
             "date": "TEXT", "timestamp": "TEXT"}
REL_COLUMN = re.compile(r"^(?P<rel>[A-Za-z_]\w*)\[(?P<target>[A-Za-z_]\w*)\]\.(?P<prop>[A-Za-z_]\w*)$")
USERNAME: ContextVar[str] = ContextVar("timbr_username", default="")  # timbr_username() while a query runs
# A shorter time limit for a first try on the event loop; past it the query raises Overtime and
# runs again on a worker thread (reading twice is harmless: only SELECT runs).
BUDGET: ContextVar[float | None] = ContextVar("timbr_budget", default=None)


class Overtime(Exception):
    """The query needs longer than its budget on the event loop."""
TIME_LIMIT_SECONDS = 2.0
MAX_ROWS = 10_000
RESULT_BYTES = 16_000_000  # the text and blobs of a result, summed
# SQLite's limits on a query connection: a bigger value, a longer statement, a deeper expression...
# is an error at once ("string or blob too big"), before any time is spent on it.
LIMITS = {
    sqlite3.SQLITE_LIMIT_LENGTH: 4_000_000,  # bytes in one string or blob
    sqlite3.SQLITE_LIMIT_SQL_LENGTH: 100_000,  # bytes of SQL
    sqlite3.SQLITE_LIMIT_COLUMN: 1000,  # columns of a result, a table or an index
    sqlite3.SQLITE_LIMIT_EXPR_DEPTH: 500,
    sqlite3.SQLITE_LIMIT_COMPOUND_SELECT: 100,  # SELECTs joined by UNION and the like
    sqlite3.SQLITE_LIMIT_FUNCTION_ARG: 100,
    sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH: 1000,
    sqlite3.SQLITE_LIMIT_ATTACHED: 0,
}
# Functions and operators that can spend seconds in one step (a width of a billion, a search
# that compares every pair): a query that names one runs on a worker thread from the start.
LONG_STEPS = re.compile(r"\b(?:printf|format|instr|replace|like|glob|trim|ltrim|rtrim|group_concat|string_agg)\b", re.I)
# The authorizer lets a statement read and compute, nothing else.
READ_ACTIONS = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION,
                sqlite3.SQLITE_RECURSIVE}

TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<comment>--[^\n]*|/\*.*?(?:\*/|\Z))
  | (?P<string>'(?:[^']|'')*'?)
  | (?P<quoted>"(?:[^"]|"")*"?|`(?:[^`]|``)*`?|\[[^\]]*\]?)
  | (?P<number>0[xX][0-9A-Fa-f]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<word>[A-Za-z_][A-Za-z0-9_$]*)
  | (?P<other>.)
""", re.S | re.X)


@dataclass
class Token:
    kind: str
    text: str

    @property
    def name(self) -> str | None:
        """The identifier this token names (unquoted), or None."""
        if self.kind == "word":
            return self.text
        if self.kind == "quoted" and len(self.text) >= 2:
            inner, mark = self.text[1:-1], self.text[0]
            return inner if mark == "[" else inner.replace(mark * 2, mark)
        return None

    @property
    def significant(self) -> bool:
        return self.kind not in ("space", "comment")


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def query_error(message: str, *problems: str, location: str = "body", where: str = "/query") -> ApiError:
    """A refused query (400): the message and every problem, at the SQL's place in the request."""
    return ApiError("validation", message, [Violation(location, where, p) for p in problems])


@dataclass
class Relationship:
    name: str
    source: str
    target: str
    property: str  # column of the source
    target_property: str  # column of the target


@dataclass
class Ontology:
    """What a query needs to know about one ontology, derived from its store document."""

    name: str
    concepts: dict[str, dict]  # lower-cased name -> concept document
    views: dict[str, dict]
    relationships: dict[str, dict[str, Relationship]] = field(default_factory=dict)

    @classmethod
    def from_document(cls, doc: dict) -> "Ontology":
        concepts = {c["name"].lower(): c for c in doc.get("concepts", [])}
        model = cls(doc["id"], concepts, {v["name"].lower(): v for v in doc.get("views", [])})
        for concept in concepts.values():
            model.relationships.setdefault(concept["name"].lower(), {})
            for rel in concept.get("relationships", []):
                forward = Relationship(rel["name"], concept["name"], rel["target"], rel["property"],
                                       rel["target_property"])
                model.relationships[concept["name"].lower()][rel["name"].lower()] = forward
                if rel.get("inverse"):
                    inverse = Relationship(rel["inverse"], rel["target"], concept["name"],
                                           rel["target_property"], rel["property"])
                    model.relationships.setdefault(rel["target"].lower(), {})[rel["inverse"].lower()] = inverse
        return model

    def property(self, concept: str, name: str) -> dict | None:
        doc = self.concepts.get(concept.lower())
        if doc is None:
            return None
        return next((p for p in doc["properties"] if p["name"].lower() == name.lower()), None)

    def concept_columns(self, concept: str) -> list[str]:
        doc = self.concepts[concept.lower()]
        return [p["name"] for p in doc["properties"]] + ["entity_id", "entity_type"]


@dataclass
class Result:
    columns: list[str]
    rows: list[tuple]
    meta: dict[str, dict]  # column -> the ontology property it shows (type, format), when known


RESULTS_KEPT = 256  # per database: rewritten statements, and results of repeatable queries
# What makes a query's rows change between two runs on the same data: the clock, randomness, the
# connection's own counters (timbr_username() is in the key: the user).
UNREPEATABLE = re.compile(r"random|now|current_|changes|last_insert_rowid|julianday|unixepoch|"
                          r"strftime|date|time", re.I)


def repeatable(sql: str) -> bool:
    """Whether a query's rows depend only on the data (conservatively: no word that may read the
    clock or randomness appears anywhere in it)."""
    return UNREPEATABLE.search(sql) is None


class Database:
    """One ontology's SQLite database, read-only once built."""

    def __init__(self, doc: dict):
        self.model = Ontology.from_document(doc)
        self.conn = sqlite3.connect(":memory:", check_same_thread=False)
        self.lock = threading.Lock()  # queries run on worker threads; one at a time per database
        self.kept_lock = threading.Lock()  # the two below: short holds, never while a query runs
        self.statements: dict[str, tuple[str, list[str]]] = {}  # query text -> rewrite()
        self.results: dict[tuple, Result] = {}  # (query text, parameters, user) -> rows (run())
        self._build(doc)
        self.view_columns = {name: self._columns(view["name"]) for name, view in self.model.views.items()}
        self.conn.create_function("timbr_username", 0, USERNAME.get)
        self.conn.execute("PRAGMA query_only = ON")
        self.conn.set_authorizer(_read_only)
        for limit, value in LIMITS.items():
            self.conn.setlimit(limit, value)

    def _build(self, doc: dict) -> None:
        db = self.conn
        for concept in doc.get("concepts", []):
            props = concept["properties"]
            columns = ", ".join(f"{quote(p['name'])} {SQL_TYPES.get(p['type'], 'TEXT')}" for p in props)
            db.execute(f"CREATE TABLE {quote(concept['name'])} ({columns}, entity_id TEXT, entity_type TEXT)")
            key = [p["name"] for p in props].index(concept["key"])
            marks = ", ".join("?" * (len(props) + 2))
            db.executemany(f"INSERT INTO {quote(concept['name'])} VALUES ({marks})", [
                (*row, f"{concept['entity_prefix']}:{row[key]}", concept["name"])
                for row in concept.get("rows", [])
            ])
        for view in doc.get("views", []):
            db.execute(f"CREATE VIEW {quote(view['name'])} AS {view['sql']}")
        db.execute("CREATE TABLE sys_concepts (concept TEXT, description TEXT)")
        db.execute("CREATE TABLE sys_properties (concept TEXT, property TEXT, type TEXT)")
        db.execute("CREATE TABLE sys_views (view TEXT, description TEXT)")
        for concept in doc.get("concepts", []):
            db.execute("INSERT INTO sys_concepts VALUES (?, ?)", (concept["name"], concept.get("description")))
            db.executemany("INSERT INTO sys_properties VALUES (?, ?, ?)",
                           [(concept["name"], p["name"], p["type"]) for p in concept["properties"]])
        db.executemany("INSERT INTO sys_views VALUES (?, ?)",
                       [(v["name"], v.get("description")) for v in doc.get("views", [])])
        db.commit()

    def _columns(self, relation: str) -> list[str]:
        cursor = self.conn.execute(f"SELECT * FROM {quote(relation)} LIMIT 0")
        return [d[0] for d in cursor.description]

    # -- queries ----------------------------------------------------------------------------
    def run(self, sql: str, params: tuple = (), user: str = "") -> Result:
        """Rows of one SELECT, run as `user` (what timbr_username() answers). The database does
        not change once built (a change to the state builds another), so the rows of a query
        that reads nothing but the tables (no clock, no randomness) are kept: the same query
        again is answered from RESULTS_KEPT recent ones."""
        key = (sql, params, user)
        found = self.results.get(key)
        if found is not None:
            return found
        result = self._run(sql, params, user)
        if repeatable(sql):
            with self.kept_lock:
                if len(self.results) >= RESULTS_KEPT:
                    self.results.pop(next(iter(self.results)))
                self.results[key] = result
        return result

    def _run(self, sql: str, params: tuple, user: str) -> Result:
        statement, referenced = self.rewritten(sql)
        budget = BUDGET.get()
        if not self.lock.acquire(blocking=budget is None):
            raise Overtime()  # another query holds this database: wait for it on a thread, not here
        try:
            deadline = time.monotonic() + (budget or TIME_LIMIT_SECONDS)
            self.conn.set_progress_handler(lambda: time.monotonic() > deadline, 10_000)
            as_user = USERNAME.set(user)
            try:
                cursor = self.conn.execute(statement, params)
                if cursor.description is None:
                    raise query_error("Only SELECT statements can be run through the Timbr API")
                columns = [d[0] for d in cursor.description]
                rows = bounded_rows(cursor)
            except sqlite3.Error as error:
                if budget is not None and "interrupted" in str(error):
                    raise Overtime() from None
                raise query_error("Error running query", _explain(error))
            finally:
                USERNAME.reset(as_user)
                self.conn.set_progress_handler(None, 0)
        finally:
            self.lock.release()
        if user:
            columns = [user if "".join(c.split()).lower() == "timbr_username()" else c for c in columns]
        if len(rows) > MAX_ROWS:
            raise query_error("Query returns too many rows", f"more than {MAX_ROWS} rows; add a LIMIT")
        return Result(columns, rows, self.column_meta(columns, referenced))

    def select(self, relation: str, filters: dict[str, list[str]]) -> Result:
        """Rows of one concept or view whose columns equal the filters (several values: any).
        A value is compared as text and, when it reads as one, as a number: view columns computed
        by an expression have no type to convert it."""
        where, params = [], []
        for column, texts in filters.items():
            meta = self.model.property(relation, column) or {}
            if meta.get("type") == "boolean":
                texts = [{"true": "1", "false": "0"}.get(v.lower(), v) for v in texts]
            values = [*texts, *filter(lambda n: n is not None, map(_number, texts))]
            where.append(f"{quote(column)} IN ({', '.join('?' * len(values))})")
            params += values
        sql = f"SELECT * FROM {quote(relation)}" + (f" WHERE {' AND '.join(where)}" if where else "")
        return self.run(sql, tuple(params))

    def columns_of(self, relation: str) -> list[str] | None:
        if relation.lower() in self.model.concepts:
            return self.model.concept_columns(relation)
        return self.view_columns.get(relation.lower())

    def column_meta(self, columns: list[str], referenced: list[str]) -> dict[str, dict]:
        """The property behind each column: a relationship column's target property, or the
        first referenced concept (then any concept) with a property of that name."""
        meta = {}
        order = referenced + [c for c in self.model.concepts if c not in referenced]
        for column in columns:
            match = REL_COLUMN.match(column)
            if match:
                found = self.model.property(match["target"], match["prop"])
            else:
                found = next((p for c in order if (p := self.model.property(c, column))), None)
            if found:
                meta[column] = found
        return meta

    def rewritten(self, sql: str) -> tuple[str, list[str]]:
        """`rewrite(sql)`, kept for the query texts last seen (a refused query is not kept)."""
        found = self.statements.get(sql)
        if found is None:
            found = self.rewrite(sql)
            with self.kept_lock:
                if len(self.statements) >= RESULTS_KEPT:
                    self.statements.pop(next(iter(self.statements)))
                self.statements[sql] = found
        return found[0], list(found[1])

    def rewrite(self, sql: str) -> tuple[str, list[str]]:
        """(SQLite statement, concepts referenced) for a Timbr query, or a 400 listing every
        problem. The statement is the query with schemas dropped and, when it uses relationship
        columns, CTEs in front that give their concepts those columns."""
        tokens, significant = statement_tokens(sql)
        problems: list[str] = []
        referenced = self._drop_schemas(tokens, significant, problems)
        referenced += [t.name.lower() for t in tokens if t.name and t.name.lower() in self.model.concepts]
        referenced = list(dict.fromkeys(referenced))
        used = list(dict.fromkeys(
            t.name for t in tokens if t.kind == "quoted" and t.name and REL_COLUMN.match(t.name)))
        ctes = self._relationship_ctes(referenced, used, problems)
        if problems:
            raise query_error("Error running query", *problems)
        if not ctes:
            return "".join(t.text for t in tokens), referenced
        # after WITH [RECURSIVE] when the query has CTEs of its own, else a WITH in front
        at = -1
        if tokens[significant[0]].text.upper() == "WITH":
            at = significant[1] if tokens[significant[1]].text.upper() == "RECURSIVE" else significant[0]
        head = ", ".join(ctes) + ("," if at >= 0 else "")
        before = "".join(t.text for t in tokens[:at + 1]) if at >= 0 else "WITH"
        return f"{before} {head} " + "".join(t.text for t in tokens[at + 1:]), referenced

    def _drop_schemas(self, tokens: list[Token], significant: list[int], problems: list[str]) -> list[str]:
        """`dtimbr.x`, `timbr.x`, `vtimbr.x` (quoted or not) -> `"x"`, in place; the concepts so
        named. An unknown concept or view is a problem."""
        referenced = []
        for pos, i in enumerate(significant):
            schema = (tokens[i].name or "").lower()
            if schema not in SCHEMAS or pos + 2 >= len(significant):
                continue
            dot, target = tokens[significant[pos + 1]], tokens[significant[pos + 2]]
            if dot.text != "." or target.name is None:
                continue
            name, kind = target.name, SCHEMAS[schema]
            if kind == "view":
                known = name.lower() in self.model.views
            else:
                known = name.lower() in self.model.concepts or name.lower().startswith("sys_")
            if not known:
                problems.append(f"{kind} {schema}.{name} not found in ontology {self.model.name}")
            elif kind == "concept":
                referenced.append(name.lower())
            for j in range(i, significant[pos + 2]):
                tokens[j] = Token("space", "")
            tokens[significant[pos + 2]] = Token("quoted", quote(name))
        return referenced

    def _relationship_ctes(self, referenced: list[str], used: list[str], problems: list[str]) -> list[str]:
        """A CTE per referenced concept that has any of the relationship columns used."""
        wanted: dict[str, list[tuple[str, Relationship, str]]] = {}
        for column in used:
            match = REL_COLUMN.match(column)
            owners = [c for c in referenced
                      if (rel := self.model.relationships.get(c, {}).get(match["rel"].lower()))
                      and rel.target.lower() == match["target"].lower()]
            if not owners:
                problems.append(f"relationship column `{column}`: no concept in the query has a "
                                f"relationship {match['rel']} to {match['target']}")
                continue
            if self.model.property(match["target"], match["prop"]) is None and \
                    match["prop"].lower() not in ("entity_id", "entity_type"):
                problems.append(f"relationship column `{column}`: concept {match['target']} "
                                f"has no property {match['prop']}")
                continue
            for owner in owners:
                rel = self.model.relationships[owner][match["rel"].lower()]
                wanted.setdefault(owner, []).append((column, rel, match["prop"]))
        ctes = []
        for concept, columns in wanted.items():
            aliases: dict[str, str] = {}
            joins, selected = [], []
            for column, rel, prop in columns:
                if rel.name.lower() not in aliases:
                    alias = aliases[rel.name.lower()] = f"r{len(aliases)}"
                    joins.append(f"LEFT JOIN main.{quote(rel.target)} AS {alias} "
                                 f"ON {alias}.{quote(rel.target_property)} = b.{quote(rel.property)}")
                selected.append(f"{aliases[rel.name.lower()]}.{quote(prop)} AS {quote(column)}")
            name = self.model.concepts[concept]["name"]
            ctes.append(f"{quote(name)} AS (SELECT b.*, {', '.join(selected)} "
                        f"FROM main.{quote(name)} AS b {' '.join(joins)})")
        return ctes


def statement_tokens(sql: str) -> tuple[list[Token], list[int]]:
    """The tokens of one SELECT statement and the indexes of those that are not space or
    comments; anything else is refused before it reaches SQLite."""
    tokens = [Token(m.lastgroup, m.group()) for m in TOKEN.finditer(sql)]
    significant = [i for i, t in enumerate(tokens) if t.significant]
    while significant and tokens[significant[-1]].text == ";":
        tokens[significant.pop()] = Token("space", "")
    if not significant:
        raise query_error("The query is empty", "expected a SELECT statement")
    if any(tokens[i].text == ";" for i in significant):
        raise query_error("Only one statement can be run at a time", "the query holds more than one statement")
    first = tokens[significant[0]]
    if first.kind != "word" or first.text.upper() not in ("SELECT", "WITH"):
        raise query_error("Only SELECT statements can be run through the Timbr API",
                          f"the statement starts with {first.text!r}")
    return tokens, significant


def split_statements(sql: str) -> list[str]:
    """The statements of `sql`, split at the semicolons outside strings, quotes and comments,
    without their comments; empty ones left out."""
    statements, parts = [], []
    for match in TOKEN.finditer(sql):
        kind, text = match.lastgroup, match.group()
        if kind == "other" and text == ";":
            statements.append("".join(parts).strip())
            parts = []
        elif kind != "comment":
            parts.append(text)
    statements.append("".join(parts).strip())
    return [s for s in statements if s]


def bounded_rows(cursor: sqlite3.Cursor) -> list[tuple]:
    """Up to MAX_ROWS + 1 rows (one more tells there are too many), refused once their text and
    blobs add up to more than RESULT_BYTES."""
    rows, size = [], 0
    for row in cursor:
        rows.append(row)
        size += sum(len(v) for v in row if isinstance(v, (str, bytes)))
        if size > RESULT_BYTES:
            raise query_error("Query result is too large", f"more than {RESULT_BYTES} bytes of text; add a LIMIT")
        if len(rows) > MAX_ROWS:
            break
    return rows


def long_steps(sql: str) -> bool:
    """Whether a query names a function one step of which can take long (LONG_STEPS)."""
    return LONG_STEPS.search(sql) is not None


def _number(text: str) -> int | float | None:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return None


def _read_only(action: int, *_: Any) -> int:
    return sqlite3.SQLITE_OK if action in READ_ACTIONS else sqlite3.SQLITE_DENY


def _explain(error: sqlite3.Error) -> str:
    text = str(error)
    if text == "not authorized":
        return "only reading is allowed: the statement tries to change data, the schema or a setting"
    if text == "interrupted":
        return f"the query ran longer than {TIME_LIMIT_SECONDS:g} seconds"
    if text == "string or blob too big":
        return f"a value would be larger than {LIMITS[sqlite3.SQLITE_LIMIT_LENGTH]} bytes"
    if text in ("statement too long", "query string is too large"):
        return f"the query is longer than {LIMITS[sqlite3.SQLITE_LIMIT_SQL_LENGTH]} bytes"
    return text


# Databases keyed by (state version, ontology): a state version names one session's state between
# two writes, so a database never outlives a change or a reset and never serves another session.
# The few most recently used are kept.
CACHED_DATABASES = 16
_cache: OrderedDict[tuple, Database] = OrderedDict()


_cache_lock = threading.Lock()


def database(doc: dict, version: tuple) -> Database:
    key = (version, doc["id"])
    with _cache_lock:
        found = _cache.get(key)
        if found is None:
            found = _cache[key] = Database(doc)
            while len(_cache) > CACHED_DATABASES:
                _cache.popitem(last=False)
        else:
            _cache.move_to_end(key)
        return found


def built(version: tuple, ontology: str) -> Database | None:
    """The database already built for the ontology in this state of the store, if any."""
    with _cache_lock:
        return _cache.get((version, ontology))


def forget(ontology: str) -> bool:
    """Drop one ontology's databases (the `clear_cache` call); True when one was cached."""
    with _cache_lock:
        keys = [key for key in _cache if key[1] == ontology]
        for key in keys:
            del _cache[key]
        return bool(keys)
