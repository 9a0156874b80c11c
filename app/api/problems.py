"""RFC 9457 problem documents for every error the service returns."""

from __future__ import annotations

import logging
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from app.api.openapi import PROBLEM_JSON
from musicxai.errors import BusyError, MusicXAIError, RateLimitedError, describe_validation_error

log = logging.getLogger(__name__)


def problem(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extra,
) -> JSONResponse:
    body = {
        "type": "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        **({"instance": instance} if instance else {}),
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def error_problem(exc: MusicXAIError, *, instance: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """The problem document of one of the core's errors: its status, title, message and code."""
    extra = {"code": exc.code} if exc.code else {}
    headers = exc.headers | (headers or {})
    return problem(exc.status, exc.detail, title=exc.title, instance=instance, headers=headers or None, **extra)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(MusicXAIError)
    async def _domain(request: Request, exc: MusicXAIError) -> JSONResponse:
        if isinstance(exc, BusyError | RateLimitedError):
            route = getattr(request.scope.get("route"), "path", request.url.path)
            request.app.state.metrics.rejected.labels(route, exc.code).inc()
        elif exc.status >= 500:
            log.error("%s %s: %s", request.method, request.url.path, exc.detail)
        return error_problem(exc, instance=request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        detail = describe_validation_error(errors)
        return problem(422, detail, title="Invalid request", instance=request.url.path, errors=errors)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        # keeps Starlette's headers, e.g. Allow on a 405
        return problem(exc.status_code, str(exc.detail), instance=request.url.path, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("%s %s failed", request.method, request.url.path)
        return problem(500, "An unexpected error occurred; it has been logged.", instance=request.url.path)
