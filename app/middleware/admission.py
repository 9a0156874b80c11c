"""A bound on the predictions one API process works on at once.

A prediction holds a decoder process, a model call and an upload spooled to disk; without a bound,
200 concurrent uploads all wait ~1 minute. Past ``limit`` requests in flight this middleware answers
at once, before the body is read, with 503 problem JSON and ``Retry-After``, so a client knows to
come back instead of waiting in a queue it cannot see.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.problems import error_problem
from app.metrics import ApiMetrics
from musicxai.errors import BusyError


class AdmissionMiddleware:
    """Admit at most ``limit`` concurrent ``method path`` requests; refuse the rest with 503."""

    def __init__(
        self, app: ASGIApp, *, method: str, path: str, limit: int, retry_after_s: int, metrics: ApiMetrics
    ) -> None:
        self.app, self.method, self.path = app, method, path
        self.limit, self.retry_after_s, self.metrics = limit, retry_after_s, metrics
        self.in_flight = 0  # the event loop is one thread: no lock needed between check and increment

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != self.method or scope["path"].rstrip("/") != self.path:
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            self.metrics.rejected.labels(self.path, "predictions_busy").inc()
            busy = BusyError(
                f"{self.in_flight} predictions are in progress, this process's limit; retry in {self.retry_after_s} s.",
                code="predictions_busy",
                retry_after_s=self.retry_after_s,
            )
            await error_problem(busy, instance=scope["path"])(scope, receive, send)
            return
        self.in_flight += 1
        self.metrics.predictions_in_flight.inc()
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                self.in_flight -= 1
                self.metrics.predictions_in_flight.dec()

        async def send_releasing(message) -> None:
            # the answer's last bytes free the slot before they leave: a client that asks again the
            # moment it has them (keep-alive, back to back) must find its own slot free
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                release()
            await send(message)

        try:
            await self.app(scope, receive, send_releasing)
        finally:
            release()
