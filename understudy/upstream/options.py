"""`serve --upstream [API=]URL` (repeatable), checked at start against the APIs served: each
mistake is one line (UpstreamError), never a traceback. (The settings table checks the kinds of
`--upstream-timeout`, `--record` and `--replay`; `upstream/__init__` what they name.)"""

from __future__ import annotations

from typing import Iterable
from urllib.parse import urlsplit

from ..errors import StartupError


class UpstreamError(StartupError):
    """A bad --upstream, --record or --replay (one line, exit code 2)."""

    exit_code = 2


def upstream_urls(values: Iterable[str], served: list[str]) -> dict[str, str]:
    """API name -> the real API's base URL. `API=` may be left out when one API is served."""
    found: dict[str, str] = {}
    for value in values:
        name, sep, url = str(value).partition("=")
        if not sep or "/" in name or ":" in name:  # no API= in front: `=` belongs to the URL
            name, url = "", str(value)
        check_url(value, url)
        if not name:
            if len(served) != 1:
                raise UpstreamError(f"--upstream {value}: several APIs are served ({', '.join(served)}); "
                                    f"say which one: --upstream API={url}")
            name = served[0]
        elif name not in served:
            raise UpstreamError(f"--upstream {value}: no API named {name!r} is served (served: {', '.join(served)})")
        if name in found:
            raise UpstreamError(f"--upstream {value}: {name} already has an upstream ({found[name]})")
        found[name] = url.rstrip("/")
    return found


def check_url(value: str, url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        local = url.startswith(("localhost", "127.", "[::1]"))
        hint = f"{'http' if local else 'https'}://{url}" if "://" not in url else "http(s)://HOST[:PORT]/PATH"
        raise UpstreamError(f"--upstream {value}: {url!r} is not an http(s) URL with a host; write it as {hint}")
    if parts.username is not None or parts.password is not None:
        raise UpstreamError(f"--upstream {value}: the URL holds credentials; leave them out: each request's own "
                            f"credentials are forwarded")
    if parts.query or parts.fragment:
        raise UpstreamError(f"--upstream {value}: the base URL has a query or fragment; give the base URL only")
    try:
        parts.port
    except ValueError:
        raise UpstreamError(f"--upstream {value}: the port of {url!r} is not a number from 0 to 65535")
