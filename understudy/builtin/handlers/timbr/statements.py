"""Timbr's SQL statements that read or administer users and grants, as the connector's route runs
them: `SHOW VERSION`, `SHOW TOKEN [FOR u]`, `CREATE USER`, `GRANT`, `REVOKE`, `DROP USER`,
`REFRESH PERMISSIONS`. A batch (statements separated by `;`) is parsed whole, then run on working
copies of the users, which are written only when every statement succeeded: all or nothing.

Grants live on the grantee's user document: `ACCESS` on ontologies in `ontologies` (what the
permission checks read; `*` for ALL ONTOLOGY), every other privilege in `grants` as
{"privilege", "on"}: AUTH on user.<x> lets the grantee impersonate x, the rest are recorded only.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Callable

from understudy.context import principal, settings, store
from understudy.errors import conflict, forbidden, not_found

from .common import is_admin, require_admin
from .sqlengine import query_error, split_statements

NAME = r"(?:`(?:[^`]|``)+`|\"(?:[^\"]|\"\")+\"|[A-Za-z_][\w$]*)"
STRING = r"'(?:[^']|'')*'"
PRIVILEGES = r"(?P<privileges>[A-Za-z_]+(?:\s*,\s*[A-Za-z_]+)*)"
OBJECT = rf"(?:ALL\s+(?P<all>[A-Za-z_]+)|(?P<kind>[A-Za-z_]+)\s*(?:\.\s*|\s+)(?P<object>{NAME}))"
OPTION = re.compile(rf"(\w+)\s*=\s*({STRING})")
# What starts a statement of this module; any other batch is a query (a SELECT, or refused).
LEADS = re.compile(r"\s*(?:SHOW|CREATE\s+USER|GRANT|REVOKE|DROP\s+USER|REFRESH)\b", re.I)


def unquote(name: str) -> str:
    if name[:1] in "`\"" and len(name) >= 2:
        return name[1:-1].replace(name[0] * 2, name[0])
    return name


def text(literal: str) -> str:
    return literal[1:-1].replace("''", "'")


@dataclass
class Batch:
    """The users as the batch leaves them, and what it changed."""

    caller: dict
    users: dict[str, dict]  # username -> working copy
    changed: set[str] = field(default_factory=set)
    dropped: list[dict] = field(default_factory=list)

    def user(self, name: str) -> dict:
        found = self.users.get(name)
        if found is None:
            raise not_found("User", name)
        return found

    def save(self) -> None:
        for doc in self.dropped:
            store().delete("users", doc["id"])
        for name in self.changed & self.users.keys():
            doc = self.users[name]
            if store().update("users", doc["id"], doc) is None:
                store().insert("users", doc)


# -- the statements: each takes the batch and its match, and answers rows --------------------------
def show_version(batch: Batch, match: re.Match) -> list[dict]:
    return [{"version": settings()["TIMBR_VERSION"]}]


def show_token(batch: Batch, match: re.Match) -> list[dict]:
    name = unquote(match["user"]) if match["user"] else batch.caller["username"]
    if name != batch.caller["username"] and not is_admin(batch.caller):
        raise forbidden(f"User {batch.caller['username']} may not see the token of {name}: it needs the admin role")
    return [{"token": batch.user(name)["token"]}]


def create_user(batch: Batch, match: re.Match) -> list[dict]:
    name = unquote(match["user"])
    if name in batch.users:
        raise conflict(f"User {name} already exists")
    options = {key.lower(): text(value) for key, value in OPTION.findall(match["options"] or "")}
    password = text(match["password"]) if match["password"] else options.get("password")
    if not password:
        raise query_error(f"CREATE USER {name} needs a password",
                          "give PASSWORD '<password>' or OPTIONS(password='<password>')", where="")
    batch.users[name] = {
        "id": store().next_id("users"), "username": name, "password": password,
        "email": options.get("email", ""), "token": "tk_" + secrets.token_hex(16), "role": "user",
        "ontologies": [], "grants": [],
        **{key: options[key] for key in ("first_name", "last_name") if key in options},
    }
    batch.changed.add(name)
    return []


def grant(batch: Batch, match: re.Match) -> list[dict]:
    grantee = batch.user(unquote(match["user"]))
    on = target(batch, match)
    giving = match["verb"].upper() == "GRANT"
    for privilege in (p.strip().upper() for p in match["privileges"].split(",")):
        if privilege == "ACCESS" and (on == "ALL ONTOLOGY" or on.startswith("ontology.")):
            held, item = grantee["ontologies"], "*" if on == "ALL ONTOLOGY" else on.partition(".")[2]
        else:
            held, item = grantee.setdefault("grants", []), {"privilege": privilege, "on": on}
        if giving and item not in held:
            held.append(item)
        elif not giving and item in held:
            held.remove(item)
    batch.changed.add(grantee["username"])
    return []


def target(batch: Batch, match: re.Match) -> str:
    """The object of a GRANT or REVOKE: `ALL <KIND>` or `<kind>.<name>`, which must exist when
    it is a user or an ontology."""
    if match["all"]:
        return f"ALL {match['all'].upper()}"
    kind, name = match["kind"].lower(), unquote(match["object"])
    if kind == "user":
        batch.user(name)
    elif kind == "ontology" and store().get("ontologies", name) is None:
        raise not_found("Ontology", name)
    return f"{kind}.{name}"


def drop_user(batch: Batch, match: re.Match) -> list[dict]:
    name = unquote(match["user"])
    if name == batch.caller["username"]:
        raise forbidden(f"User {name} may not drop itself")
    batch.dropped.append(batch.users.pop(batch.user(name)["username"]))
    for other in batch.users.values():
        kept = [g for g in other.get("grants", []) if g["on"] != f"user.{name}"]
        if kept != other.get("grants", []):
            other["grants"] = kept
            batch.changed.add(other["username"])
    return []


def refresh_permissions(batch: Batch, match: re.Match) -> list[dict]:
    return []  # permissions apply at once here: nothing to refresh


Statement = Callable[[Batch, re.Match], list[dict]]
# (grammar, what runs it, whether it changes users or grants: admins only)
STATEMENTS: list[tuple[re.Pattern, Statement, bool]] = [(re.compile(grammar, re.I | re.S), run_it, changes) for
                                                        grammar, run_it, changes in [
    (r"SHOW\s+VERSION", show_version, False),
    (rf"SHOW\s+TOKEN(?:\s+FOR\s+(?P<user>{NAME}))?", show_token, False),
    (rf"CREATE\s+USER\s+(?P<user>{NAME})(?:\s+PASSWORD\s+(?P<password>{STRING}))?"
     rf"(?:\s+OPTIONS\s*\((?P<options>.*)\))?", create_user, True),
    (rf"(?P<verb>GRANT)\s+{PRIVILEGES}\s+ON\s+{OBJECT}\s+TO\s+USER\s+(?P<user>{NAME})", grant, True),
    (rf"(?P<verb>REVOKE)\s+{PRIVILEGES}\s+ON\s+{OBJECT}\s+FROM\s+USER\s+(?P<user>{NAME})", grant, True),
    (rf"DROP\s+USER\s+(?P<user>{NAME})", drop_user, True),
    (r"REFRESH\s+PERMISSIONS", refresh_permissions, True),
]]


def recognised(sql: str) -> bool:
    """Whether `sql` is a batch of these statements rather than a query."""
    return bool(LEADS.match(next(iter(split_statements(sql)), "")))


def parse(sql: str) -> list[tuple[Statement, re.Match, bool]]:
    parsed, problems = [], []
    for number, statement in enumerate(split_statements(sql), 1):
        found = next(((run_it, m, changes) for grammar, run_it, changes in STATEMENTS
                      if (m := grammar.fullmatch(statement))), None)
        if found is None:
            problems.append(f"statement {number} is not one understudy runs: {statement[:80]}")
        else:
            parsed.append(found)
    if problems:
        raise query_error("Error running query", *problems, where="")
    return parsed


def run(sql: str) -> list[dict]:
    """The rows of the batch's last statement; nothing is written unless every statement ran."""
    parsed = parse(sql)
    if any(changes for _, _, changes in parsed):
        require_admin("change users or grants")
    with store().atomic():
        batch = Batch(principal(), {u["username"]: u for u in store().all("users")})
        rows: list[dict] = []
        for run_it, match, _ in parsed:
            rows = run_it(batch, match)
        batch.save()
    return rows
