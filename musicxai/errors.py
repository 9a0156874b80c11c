"""One error family for the whole core; each error knows the HTTP status it maps to.

The API renders these as RFC 9457 problem documents, the CLI prints their message, so the
same bad input reads the same everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)
E = TypeVar("E", bound=StrEnum)


class MusicXAIError(Exception):
    """Base class: a human-readable message plus the HTTP status and problem title."""

    status: int = 500
    title: str = "Internal error"
    code: str | None = None  # a machine-readable reason, where a client may act on it (problem member "code")

    def __init__(self, detail: str, *, code: str | None = None, retry_after_s: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code or self.code
        self.retry_after_s = retry_after_s

    @property
    def headers(self) -> dict[str, str]:
        """HTTP headers the problem response carries (``Retry-After`` where waiting helps)."""
        return {} if self.retry_after_s is None else {"Retry-After": str(self.retry_after_s)}


class AudioError(MusicXAIError):
    """The upload is audio we cannot decode, or too short/empty to classify."""

    status = 422
    title = "Audio could not be used"


class UnsupportedMediaError(MusicXAIError):
    """The upload is not an audio container we accept."""

    status = 415
    title = "Unsupported media type"


class PayloadTooLargeError(MusicXAIError):
    """The request body passed the upload limit while it streamed in."""

    status = 413
    title = "Upload too large"


class RequestTimeoutError(MusicXAIError):
    """The request body arrived too slowly (a stalled or slowloris client)."""

    status = 408
    title = "Request timeout"


class ParameterError(MusicXAIError):
    """A request or function parameter is out of range; the message names the value."""

    status = 422
    title = "Invalid parameter"


class StorageFullError(MusicXAIError):
    """The clip and artifact store has no room (its size cap, a full disk, Redis out of memory)."""

    status = 507
    title = "Insufficient storage"
    code = "storage_full"


class NotFoundError(MusicXAIError):
    status = 404
    title = "Not found"


class GoneError(MusicXAIError):
    """What was asked for was stored once and is not any more (evicted to make room, or expired)."""

    status = 410
    title = "Gone"


class BundleError(MusicXAIError):
    """A model bundle is missing, malformed, or was made with settings this code cannot honour."""

    status = 500
    title = "Model bundle unusable"


class ServiceUnavailableError(MusicXAIError):
    status = 503
    title = "Service unavailable"


class BusyError(ServiceUnavailableError):
    """A bound on the work in progress is reached: the same request can succeed after ``retry_after_s``."""

    title = "Busy"


class UnauthorizedError(MusicXAIError):
    """No bearer key, or one this service does not know, where keys are required."""

    status = 401
    title = "Unauthorized"

    @property
    def headers(self) -> dict[str, str]:
        invalid = ', error="invalid_token"' if self.code == "invalid_key" else ""
        return {"WWW-Authenticate": f'Bearer realm="musicxai"{invalid}'}


class RateLimitedError(MusicXAIError):
    """One key's share is used up (requests per period, or jobs in the queue) for ``retry_after_s``."""

    status = 429
    title = "Too many requests"


def describe_validation_error(errors: Iterable[Mapping[str, Any]], *, whole: str = "parameters") -> str:
    """pydantic's errors (``exc.errors()``) as one line a person can act on: ``field: message; …``."""
    return "; ".join(f"{'.'.join(str(p) for p in err.get('loc', ())) or whole}: {err.get('msg', '')}" for err in errors)


def validated(model: type[M], values: Mapping[str, Any]) -> M:
    """Validate ``values`` as ``model``; any problem is one :class:`ParameterError` naming the fields."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise ParameterError(describe_validation_error(exc.errors())) from exc


def choice(kind: type[E], value: str, *, name: str) -> E:
    """``value`` as a member of the choice ``kind``, or a :class:`ParameterError` listing the members."""
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(repr(member.value) for member in kind)
        raise ParameterError(f"{name}={value!r} must be one of {allowed}") from None
