"""Bearer keys and per-key rate limits on every ``/v1`` call, when the settings name keys.

Checked before anything else is read, so a client without a key or past its budget costs the
service one header lookup: no body is read, no prediction slot is taken. The key's name goes into
the request's state, where the routes read it as the owner of what they create and may read.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.problems import error_problem
from app.metrics import ApiMetrics
from musicxai.errors import MusicXAIError, RateLimitedError, UnauthorizedError
from musicxai.service.access import ApiKeys, RateLimits

PREFIX = "/v1"
UPLOADS = {"/v1/predictions", "/v1/explanations"}  # POSTs here send a clip or queue a job


def bearer_token(scope: Scope) -> str | None:
    scheme, _, token = Headers(scope=scope).get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


class ApiKeyMiddleware:
    def __init__(self, app: ASGIApp, *, keys: ApiKeys, limits: RateLimits, metrics: ApiMetrics) -> None:
        self.app, self.keys, self.limits, self.metrics = app, keys, limits, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path == PREFIX or path.startswith(PREFIX + "/")):
            await self.app(scope, receive, send)
            return
        try:
            name = await self._admit(scope, path.rstrip("/"))
        except MusicXAIError as exc:
            self.metrics.rejected.labels(PREFIX, exc.code).inc()  # not the path: unknown clients choose it
            await error_problem(exc, instance=path)(scope, receive, send)
            return
        self.metrics.key_requests.labels(name).inc()
        scope.setdefault("state", {})["api_key"] = name
        await self.app(scope, receive, send)

    async def _admit(self, scope: Scope, path: str) -> str:
        token = bearer_token(scope)
        if token is None:
            raise UnauthorizedError(
                "This service needs an API key: send it as 'Authorization: Bearer <key>'.", code="missing_key"
            )
        name = self.keys.identify(token)
        if name is None:
            raise UnauthorizedError("This API key is not valid here (unknown or revoked).", code="invalid_key")
        upload = scope["method"] == "POST" and path in UPLOADS
        exceeded = await run_in_threadpool(self.limits.hit, name, upload=upload)
        if exceeded is not None:
            raise RateLimitedError(
                f"Key {name!r} has used its budget of {exceeded.limit} {exceeded.kind}; "
                f"retry in {exceeded.retry_after_s} s.",
                code="rate_limited",
                retry_after_s=exceeded.retry_after_s,
            )
        return name
