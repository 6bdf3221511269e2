"""A browser answers a 401 carrying `WWW-Authenticate: Basic` with its own login dialog, and the
page that asked never sees the answer (Swagger UI's "Execute" shows nothing). A request that says
it comes from a page's script (`X-Requested-With`, which the docs pages send, as jQuery and many
browser clients do) gets its 401 without the challenge; curl and SDKs, which do not send it,
still get it. A plain ASGI callable around the dispatcher."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MARKER = b"x-requested-with"
CHALLENGE = b"www-authenticate"


class NoChallengeForScripts:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not any(name == MARKER for name, _ in scope["headers"]):
            await self.app(scope, receive, send)
            return

        async def without_challenge(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 401:
                message = {**message, "headers": [
                    (name, value) for name, value in message.get("headers", []) if name.lower() != CHALLENGE]}
            await send(message)

        await self.app(scope, receive, without_challenge)
