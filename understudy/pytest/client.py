"""What tests hold: a running understudy (`UnderstudyServer`: URLs, credentials, reset) and one
isolated session of it (`UnderstudySession`: its header, journal, controls, a one-line journal
assertion). Both speak to the server over HTTP through its index (`/`) and admin API
(`/__understudy/*`), so they work the same on a server the plugin started and on one already
running elsewhere."""

from __future__ import annotations

import json
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlencode, urlparse
from urllib.request import ProxyHandler, Request, build_opener

import pytest

SESSION_HEADER = "X-Understudy-Session"
INDEX = "/__understudy/"  # the index `/` serves, wherever an API is mounted
TIMEOUT_SECONDS = 30
_OPENER = build_opener(ProxyHandler({}))  # the server is local: never through an HTTP proxy


class UnderstudyError(pytest.fail.Exception):
    """A failure of the server or of its use, reported as one line (no traceback from the plugin)."""

    def __init__(self, message: str):
        super().__init__("understudy: " + message, pytrace=False)


class UnderstudyServer:
    """A running understudy. `url(api)` is an API's base URL (`http://127.0.0.1:PORT/timekit/v2`),
    `credentials(api)` its demo credentials, `reset(api)` restores the shared state."""

    def __init__(self, base: str, admin_token: str | None = None):
        self.base = base.rstrip("/")
        self.admin_token = admin_token
        self._listing: dict[str, dict] | None = None
        self._operations: dict[str, set[str]] = {}

    def __repr__(self) -> str:
        return f"<UnderstudyServer {self.base}>"

    # -- what it serves -------------------------------------------------------------------------
    @property
    def listing(self) -> dict[str, dict]:
        """The index, by API name: base URL, credentials. (`/__understudy/` rather than `/`,
        which a user's spec served at the root may have as a path of its own.)"""
        if self._listing is None:
            index = self.call("GET", INDEX)
            if not isinstance(index, dict) or not isinstance(index.get("apis"), list):
                raise UnderstudyError(f"GET {self.base}{INDEX} did not answer understudy's index: "
                                      "is it an understudy server?")
            self._listing = {item["name"]: item for item in index["apis"]}
        return self._listing

    @property
    def apis(self) -> list[str]:
        return list(self.listing)

    def api(self, name: str | None) -> dict:
        """One API of the index; with no name, the only one served."""
        if name is None:
            if len(self.listing) == 1:
                return next(iter(self.listing.values()))
            raise UnderstudyError(f"{self.base} serves {len(self.listing)} APIs; name one of: {', '.join(self.listing)}")
        if name not in self.listing:
            raise UnderstudyError(f"{self.base} does not serve {name!r} (it serves: {', '.join(self.listing) or 'none'})")
        return self.listing[name]

    def url(self, api: str | None = None) -> str:
        """The API's base URL. Its path comes from the index, so the API may be mounted anywhere
        (under `/<api>`, or at the root when the server serves one API or the user's own spec)."""
        return self.base + urlparse(self.api(api)["base_url"]).path

    def credentials(self, api: str | None = None) -> list[dict]:
        """The API's demo credentials, as `understudy credentials --json` lists them."""
        return self.api(api)["credentials"]

    def operations(self, api: str) -> set[str]:
        """Every operationId the API's spec declares (read once)."""
        if api not in self._operations:
            self.api(api)
            spec = self.call("GET", f"{INDEX}apis/{quote(api, safe='')}/openapi.json")
            self._operations[api] = {op["operationId"] for item in spec.get("paths", {}).values()
                                     for op in item.values() if isinstance(op, dict) and "operationId" in op}
        return self._operations[api]

    def api_of(self, operation: str) -> str:
        """The API whose spec declares this operationId."""
        owners = [name for name in self.listing if operation in self.operations(name)]
        if len(owners) == 1:
            return owners[0]
        if not owners:
            raise UnderstudyError(f"no API served at {self.base} has the operation {operation!r}")
        raise UnderstudyError(f"the operation {operation!r} exists in {', '.join(owners)}: pass api=")

    # -- the state ------------------------------------------------------------------------------
    def reset(self, api: str | None = None) -> None:
        """Restore the shared state (every API, or one) to the fixtures. Sessions keep theirs."""
        if api is not None:
            self.api(api)
        self.call("POST", "/__understudy/reset", {"api": api})

    def session(self, name: str) -> "UnderstudySession":
        return UnderstudySession(self, name)

    # -- HTTP -------------------------------------------------------------------------------------
    def call(self, method: str, path: str, query: dict | None = None, body: Any = None,
             missing_ok: bool = False) -> Any:
        """One JSON request to the server (admin token as a bearer); a refusal is one line."""
        wanted = {k: v for k, v in (query or {}).items() if v is not None}
        url = self.base + path + ("?" + urlencode(wanted) if wanted else "")
        headers = {"Accept": "application/json"}
        if self.admin_token:
            headers["Authorization"] = f"Bearer {self.admin_token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            with _OPENER.open(Request(url, data=data, method=method, headers=headers), timeout=TIMEOUT_SECONDS) as answer:
                return json.loads(answer.read() or b"null")
        except HTTPError as refused:
            if missing_ok and refused.code == 404:
                return None
            raise UnderstudyError(f"{method} {url} answered {refused.code}: {reason_of(refused)}") from None
        except (URLError, OSError) as error:
            cause = getattr(error, "reason", error)
            raise UnderstudyError(f"{self.base} does not answer ({cause})") from None
        except ValueError:
            raise UnderstudyError(f"{method} {url} did not answer JSON: is {self.base} an understudy server?") from None


def reason_of(refused: HTTPError) -> str:
    """The server's own error message, or the HTTP reason."""
    try:
        body = json.loads(refused.read() or b"null")
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("error"):
        details = "; ".join(f"{e.get('name')}: {e.get('message')}" for e in body.get("errors") or [])
        return str(body["error"]) + (f" ({details})" if details else "")
    return str(refused.reason)


class UnderstudySession:
    """One isolated session: its state starts from the fixtures, nothing done in it is seen
    elsewhere, and `close()` forgets it. Send `headers` with every API request of the test."""

    def __init__(self, server: UnderstudyServer, name: str):
        self.server = server
        self.name = name
        self.headers = {SESSION_HEADER: name}
        self._controls: list[str] = []

    def __repr__(self) -> str:
        return f"<UnderstudySession {self.name} on {self.server.base}>"

    def url(self, api: str | None = None) -> str:
        return self.server.url(api)

    def requests(self, *, api: str | None = None, operation: str | None = None, method: str | None = None,
                 path: str | None = None, status: int | None = None) -> list[dict]:
        """This session's journal entries, oldest first, filtered as `GET /__understudy/requests`
        filters (operation as the spec writes it, e.g. `bookings.create`; path in full)."""
        query = {"session": self.name, "api": api, "operation": operation,
                 "method": method.upper() if method else None, "path": path, "status": status}
        return self.server.call("GET", "/__understudy/requests", query)["requests"]

    def assert_called(self, operation: str | None = None, times: int | None = None, **filters: Any) -> list[dict]:
        """Assert that this session called the operation `times` times (None: at least once),
        among calls matching `filters` (api, method, path, status); returns those calls."""
        __tracebackhide__ = True
        calls = self.requests(operation=operation, **filters)
        if len(calls) == times or (times is None and calls):
            return calls
        what = " ".join([operation or "any operation"] + [f"{k}={v}" for k, v in filters.items()])
        made = self.requests()
        if not made:
            listed = [f"No API call was made in session {self.name}: does the client send "
                      f"understudy_session.headers ({SESSION_HEADER}: {self.name})?"]
        else:
            listed = [f"Calls in session {self.name} ({len(made)}):"] + [f"  {describe(entry)}" for entry in made]
        raise AssertionError(f"expected {what} to be called {count(times)}, "
                             f"but it was called {count(len(calls))}.\n" + "\n".join(listed))

    def control(self, operation: str | None, prefer: str, times: int | None = 1, *, api: str | None = None,
                method: str | None = None, path: str | None = None) -> dict:
        """Make this session's next `times` calls of the operation (None: until the test ends)
        answer as `prefer` says (`code=503`, `delay=2000`, `fault=reset`, ...)."""
        if api is None:
            api = self.server.api(None)["name"] if operation is None else self.server.api_of(operation)
        rule = self.server.call("POST", "/__understudy/controls", body={
            "api": api, "operation": operation, "method": method, "path": path,
            "session": self.name, "prefer": prefer, "times": times})
        self._controls.append(rule["id"])
        return rule

    def reset(self, api: str | None = None) -> None:
        """Restore this session's state (every API, or one) to the fixtures."""
        self.server.call("POST", "/__understudy/reset", {"api": api, "session": self.name}, missing_ok=True)

    def close(self) -> None:
        """Forget the session's state and its controls."""
        for ident in self._controls:
            self.server.call("DELETE", f"/__understudy/controls/{quote(ident, safe='')}", missing_ok=True)
        self._controls.clear()
        self.server.call("DELETE", f"/__understudy/sessions/{quote(self.name, safe='')}", missing_ok=True)


def describe(entry: dict) -> str:
    """One journal entry as a line: `POST /timekit/v2/bookings -> 201 (bookings.create)`."""
    query = f"?{entry['query']}" if entry.get("query") else ""
    status = entry.get("status") if entry.get("status") is not None else f"no answer ({entry.get('fault')})"
    return f"{entry['method']} {entry['path']}{query} -> {status} ({entry.get('operationId') or 'no operation'})"


def count(times: int | None) -> str:
    if times is None:
        return "at least once"
    return {0: "0 times", 1: "once", 2: "twice"}.get(times, f"{times} times")
