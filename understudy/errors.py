"""The neutral error model. Helpers and handlers raise ApiError; each API's renderer turns it
into that API's wire format. Kinds map to statuses through the API's own status table."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# kind -> default HTTP status; an API overrides entries in its own table.
DEFAULT_STATUS = {
    "validation": 400,  # a parameter or body that breaks the schema
    "malformed": 400,  # a body that is not JSON or not UTF-8
    "media_type": 415,  # a Content-Type the operation does not accept
    "not_acceptable": 406,  # an Accept the operation cannot answer
    "unauthorized": 401,  # missing or wrong credentials
    "forbidden": 403,  # valid credentials without the right role or permission
    "not_found": 404,  # an unknown id
    "route_not_found": 404,  # an unknown path
    "method_not_allowed": 405,
    "conflict": 409,
    "gone": 410,
    "too_large": 413,
    "unprocessable": 422,  # well-formed but refused by the API's rules
    "rate_limited": 429,
    "internal": 500,
    "unavailable": 503,
}


class StartupError(Exception):
    """What stops the server, or a command, before it starts: one line for the user (the setting,
    file or option, and why), never a traceback; `exit_code` for the shell."""

    exit_code = 1


@dataclass
class Violation:
    """One broken rule and where it is: `location` is body, query, path, header or cookie;
    `where` is a JSON pointer for the body, the parameter name otherwise."""

    location: str
    where: str
    message: str
    rule: str = ""  # the schema keyword that failed (minLength, enum, required, ...), when known
    # What the schema validator saw, for APIs that echo it (Takaro's class-validator details):
    value: Any = field(default=None, compare=False, repr=False)  # the offending value
    schema: Any = field(default=None, compare=False, repr=False)  # the (sub)schema it broke
    document: Any = field(default=None, compare=False, repr=False)  # the whole body or parameter value

    @property
    def field(self) -> str:
        """A dotted name for APIs that key errors by field (`customer.email`)."""
        if self.location == "body":
            return ".".join(p for p in self.where.split("/") if p) or "body"
        return self.where

    def describe(self) -> str:
        place = self.where if self.location != "body" else (self.where or "/")
        return f"{self.location} {place}: {self.message}"


@dataclass
class ApiError(Exception):
    kind: str
    message: str
    violations: list[Violation] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    status: int | None = None  # overrides the API's status table
    code: str | None = None  # an API-specific error name (Takaro's error class)
    extra: dict[str, Any] = field(default_factory=dict)  # API-specific fields of the body

    def __post_init__(self) -> None:
        Exception.__init__(self, self.message)

    def detail(self) -> str:
        """The message followed by every violation, for APIs whose error body is one string."""
        if not self.violations:
            return self.message
        return self.message + ": " + "; ".join(v.describe() for v in self.violations)


def not_found(what: str, ident: Any = None, **extra: Any) -> ApiError:
    message = f"{what} not found" if ident is None else f"{what} {ident} not found"
    return ApiError("not_found", message, extra={"model": what, "id": ident, **extra})


def unauthorized(message: str = "Invalid or missing credentials") -> ApiError:
    return ApiError("unauthorized", message)


def forbidden(message: str = "Not allowed") -> ApiError:
    return ApiError("forbidden", message)


def conflict(message: str, **extra: Any) -> ApiError:
    return ApiError("conflict", message, extra=extra)


def invalid(location: str, where: str, message: str, kind: str = "validation") -> ApiError:
    return ApiError(kind, message, [Violation(location, where, message)])


def unprocessable(message: str, violations: list[Violation] | None = None, **extra: Any) -> ApiError:
    return ApiError("unprocessable", message, violations or [], extra=extra)
