"""Building responses: JSON bodies and each API's errors."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from .api import ApiDefinition
from .errors import ApiError

JSON = "application/json"


def dumps(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None, media_type: str = JSON
) -> Response:
    """What every handler returns: the body already serialised, the media type explicit."""
    return Response(dumps(data), status_code=status, headers=headers, media_type=media_type)


def empty_response(status: int = 204, headers: dict[str, str] | None = None) -> Response:
    return Response(b"", status_code=status, headers=headers)


def render_error(api: ApiDefinition, error: ApiError) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of an error in the API's own wire format."""
    status = api.status_for(error)
    headers = dict(error.headers)
    if status == 401 and api.www_authenticate and "WWW-Authenticate" not in headers:
        headers["WWW-Authenticate"] = api.www_authenticate
    body = api.render_error(error, status)
    return status, headers, dumps(body)


def error_response(api: ApiDefinition, error: ApiError) -> Response:
    status, headers, body = render_error(api, error)
    return Response(body, status_code=status, headers=headers, media_type=JSON)
