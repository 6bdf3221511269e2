"""One operation's request path in one coroutine: auth -> controls -> validation -> Connexion's
request context -> the handler. Each step's class keeps its work (`AuthOperation.authenticate`,
`ControlsOperation.preference` / `apply`, `ValidationOperation.check`); the pipeline only runs
them in order, instead of each step awaiting the next as a separate ASGI layer. Built once per
operation by `ApiApp.chain_for`."""

from __future__ import annotations

from typing import Any

from connexion.context import _context, _operation, _receive, _scope
from starlette.types import Receive, Scope, Send

from .auth import AuthOperation
from .context import current
from .controls import ControlsOperation
from .invoke import FastOperation
from .validation import ValidationOperation


class Pipeline:
    def __init__(self, operation: Any, auth: AuthOperation, controls: ControlsOperation,
                 validation: ValidationOperation, handler: FastOperation):
        self.operation = operation
        self.auth = auth
        self.controls = controls
        self.validation = validation
        self.handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        ctx = current()
        if self.auth.requirements:
            ctx.principal = self.auth.authenticate(scope, ctx.headers)
        pref = self.controls.preference(ctx)
        if pref is not None:  # a Prefer header or a session rule: the controls answer or go on
            await self.controls.apply(pref, scope, receive, send, self.checked)
            return
        await self.checked(scope, receive, send)

    async def checked(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Validation, then the handler in Connexion's request context (as its ContextMiddleware
        sets it: `connexion.request` and friends)."""
        receive = await self.validation.check(scope, receive)
        _context.set(scope.get("extensions", {}).get("connexion_context", {}))
        _operation.set(self.operation)
        _receive.set(receive)
        _scope.set(scope)
        await self.handler(scope, receive, send)
