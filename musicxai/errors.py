"""One error family for the whole core; each error knows the HTTP status it maps to.

The API renders these as RFC 9457 problem documents, the CLI prints their message, so the
same bad input reads the same everywhere.
"""


class MusicXAIError(Exception):
    """Base class: a human-readable message plus the HTTP status and problem title."""

    status: int = 500
    title: str = "Internal error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class AudioError(MusicXAIError):
    """The upload is audio we cannot decode, or too short/empty to classify."""

    status = 422
    title = "Audio could not be used"


class UnsupportedMediaError(MusicXAIError):
    """The upload is not an audio container we accept."""

    status = 415
    title = "Unsupported media type"


class PayloadTooLargeError(MusicXAIError):
    status = 413
    title = "Upload too large"


class ParameterError(MusicXAIError):
    """A request or function parameter is out of range; the message names the value."""

    status = 422
    title = "Invalid parameter"


class NotFoundError(MusicXAIError):
    status = 404
    title = "Not found"


class BundleError(MusicXAIError):
    """A model bundle is missing, malformed, or was made with settings this code cannot honour."""

    status = 500
    title = "Model bundle unusable"


class ServiceUnavailableError(MusicXAIError):
    status = 503
    title = "Service unavailable"
