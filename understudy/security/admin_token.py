"""The admin token: with `admin_token` set (`--admin-token`, UNDERSTUDY_ADMIN_TOKEN), every admin
API request must carry `Authorization: Bearer <token>` (compared in constant time), else 401 in
the admin API's error format. Without one, the admin API is open to whoever reaches the server:
fine on loopback, a warning at start when the server binds another address."""

from __future__ import annotations

import hmac
from typing import Callable

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from ..errors import ApiError, Violation
from .hosts import WILDCARD_BINDS, host_name, is_loopback
from .limits import Refuse

ENV = "UNDERSTUDY_ADMIN_TOKEN"


def presented(headers: Headers) -> str | None:
    scheme, _, token = (headers.get("authorization") or "").strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def refused(token: str | None) -> ApiError:
    message = ("The admin API needs Authorization: Bearer <admin token> (the server's --admin-token)"
               if token is None else "The admin token is not the server's --admin-token")
    return ApiError("unauthorized", message, [Violation("header", "Authorization", "Bearer <admin token>")],
                    headers={"WWW-Authenticate": 'Bearer realm="understudy admin"'})


class AdminTokenGuard:
    def __init__(self, app: ASGIApp, token: str | None, is_admin: Callable[[str], bool], refuse: Refuse):
        self.app = app
        self.token = token or None
        self.is_admin = is_admin
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.token and scope["type"] == "http" and self.is_admin(scope["path"]):
            token = presented(Headers(scope=scope))
            if token is None or not hmac.compare_digest(token.encode(), self.token.encode()):
                return await self.refuse(scope, receive, send, refused(token))
        await self.app(scope, receive, send)


def exposed(bind: str | None) -> bool:
    """Whether binding this address lets other machines reach the server."""
    bind = (bind or "").strip()
    return bind in WILDCARD_BINDS or not is_loopback(host_name(bind))


def auth_headers(token: str | None) -> dict[str, str]:
    """What a client of the admin API (a CLI command) sends: the token, when there is one."""
    return {"Authorization": f"Bearer {token}"} if token else {}
