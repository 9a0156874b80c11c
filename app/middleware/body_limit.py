"""A hard cap on request bodies, in size and in time, checked while the bytes arrive.

Starlette spools multipart files to disk without any bound; this middleware answers 413 as soon as a
declared ``Content-Length`` or the streamed byte count passes the limit, whatever the inner app
was doing with the body at that moment. A body still incomplete ``timeout_s`` after the request
began is answered 408: a client that trickles bytes (slowloris) cannot hold a prediction slot.
"""

from __future__ import annotations

import time

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.problems import error_problem
from musicxai.errors import MusicXAIError, PayloadTooLargeError, RequestTimeoutError


class _Refused(Exception):
    def __init__(self, error: MusicXAIError) -> None:
        self.error = error


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_bytes: int, timeout_s: float) -> None:
        self.app, self.max_bytes, self.timeout_s = app, max_bytes, timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(self._too_large(), scope, receive, send)
            return
        deadline = time.monotonic() + self.timeout_s
        received = 0
        body_done = False
        refused: MusicXAIError | None = None
        started = False

        async def counting_receive() -> Message:
            nonlocal received, body_done, refused
            if body_done:  # only a disconnect can follow: no deadline on waiting for it
                return await receive()
            try:
                with anyio.fail_after(max(deadline - time.monotonic(), 0.0)):
                    message = await receive()
            except TimeoutError:
                refused = RequestTimeoutError(f"The request body did not arrive within {self.timeout_s:.0f} s.")
                raise _Refused(refused) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                body_done = not message.get("more_body", False)
                if received > self.max_bytes:
                    refused = self._too_large()
                    raise _Refused(refused)
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused is not None:  # the inner app turned our signal into its own error: replace it
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except _Refused:
            pass
        except Exception:
            if refused is None:
                raise
        if refused is not None and not started:
            await self._reject(refused, scope, receive, send)

    def _too_large(self) -> PayloadTooLargeError:
        return PayloadTooLargeError(f"The request body exceeds the limit of {self.max_bytes // (1024 * 1024)} MiB.")

    async def _reject(self, error: MusicXAIError, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_problem(error, instance=scope.get("path", ""), headers={"connection": "close"})
        await response(scope, receive, send)
