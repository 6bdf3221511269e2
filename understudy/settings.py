"""Typed settings. Every engine setting (`config.ENGINE`) and every API setting (an
`ApiDefinition`'s `settings`) is one row: its name, its kind, its default, what it does, and where
else it may come from (an environment variable, a `serve` option). `read` checks every value it
takes (override, environment, option) against the row's kind before anything starts; a bad one
stops start-up with one line naming the setting, the value and what is expected (exit code 2).

Adding a setting is adding a row:

    Setting("allowed_hosts", text(), "127.0.0.1,localhost", "Host names the server answers",
            env="UNDERSTUDY_ALLOWED_HOSTS", option="--allowed-host")

A kind is what a value must be (`expected`, for the error line) and how text becomes that value
(`convert`, which raises ValueError for a value it refuses)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from .errors import StartupError


class SettingError(StartupError):
    """A setting whose value is not of its kind (exit code 2, as argparse's usage errors)."""

    exit_code = 2


@dataclass(frozen=True)
class Kind:
    expected: str  # what a value must be, as the error line says it: "an integer from 0 to 65535"
    convert: Callable[[Any], Any]  # text (or an already typed value) -> the value; ValueError if refused


@dataclass(frozen=True)
class Setting:
    name: str  # the key in the config: "max_body_bytes" (engine), "PLATFORM_RATE_LIMIT" (API)
    kind: Kind
    default: Any
    help: str
    env: str | None = None  # the environment variable that sets it, if any
    option: str | None = None  # the `understudy serve` option that sets it, if any

    def check(self, value: Any, source: str) -> Any:
        """The value converted to the setting's kind, or SettingError naming `source`."""
        try:
            return self.kind.convert(value)
        except (ValueError, TypeError):
            raise SettingError(f"{source}={value!r} is not valid: expected {self.kind.expected} ({self.help})")


def read(table: Iterable[Setting], overrides: Mapping[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    """Each setting's value: an override (option or code) over its environment variable over its
    default, checked against its kind. Overrides the table does not name pass through as given."""
    values = dict(overrides)
    for setting in table:
        if overrides.get(setting.name) is not None:
            values[setting.name] = setting.check(overrides[setting.name], setting.name)
        elif setting.env and setting.env in environ:
            values[setting.name] = setting.check(environ[setting.env], setting.env)
        else:
            values[setting.name] = setting.default
    return values


# -- kinds ----------------------------------------------------------------------------------------
def _bounds(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f" from {low:g} to {high:g}"
    if low is not None:
        return f" of at least {low:g}"
    return f" of at most {high:g}" if high is not None else ""


def integer(low: int | None = None, high: int | None = None) -> Kind:
    def convert(value: Any) -> int:
        if isinstance(value, bool) or isinstance(value, float):
            raise ValueError(value)
        number = value if isinstance(value, int) else int(str(value).strip(), 10)
        if (low is not None and number < low) or (high is not None and number > high):
            raise ValueError(value)
        return number

    return Kind(f"an integer{_bounds(low, high)}", convert)


def number(low: float | None = None, positive: bool = False) -> Kind:
    def convert(value: Any) -> float:
        if isinstance(value, bool):
            raise ValueError(value)
        found = float(value if isinstance(value, (int, float)) else str(value).strip())
        if found != found or found in (float("inf"), float("-inf")) or (positive and found <= 0) \
                or (low is not None and found < low):
            raise ValueError(value)
        return found

    return Kind("a number above 0" if positive else f"a number{_bounds(low, None)}", convert)


FLAG_WORDS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word not in FLAG_WORDS:
        raise ValueError(value)
    return FLAG_WORDS[word]


def _refuse(value: Any) -> Any:
    raise ValueError(value)


FLAG = Kind("true or false (1/0, yes/no, on/off)", _flag)


def text(nonempty: bool = False) -> Kind:
    def convert(value: Any) -> str:
        if not isinstance(value, str) or (nonempty and not value.strip()):
            raise ValueError(value)
        return value

    return Kind("a non-empty text" if nonempty else "a text", convert)


def choice(*values: str) -> Kind:
    def convert(value: Any) -> str:
        found = str(value).strip().lower()
        return found if found in values else _refuse(value)

    return Kind("one of " + ", ".join(values), convert)


def _pattern(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(value)
    try:
        re.compile(value)
    except re.error:
        raise ValueError(value)
    return value


PATTERN = Kind("a regular expression", _pattern)
PATH = Kind("a file or folder path", lambda value: Path(value) if str(value).strip() else _refuse(value))


def optional(kind: Kind) -> Kind:
    """The kind, or nothing (None; an empty text from the environment means nothing too)."""
    return Kind(kind.expected, lambda value: None if value in (None, "") else kind.convert(value))



def setting(name: str, kind: Kind, default: Any, help: str) -> Setting:
    """An API setting: read from the environment variable of its own name (the vendor's own
    variable, where the vendor has one: API_AUTH_SALT, ADMIN_CLIENT_SECRET)."""
    return Setting(name, kind, default, help, env=name)
