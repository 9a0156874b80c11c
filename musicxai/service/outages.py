"""One translation of a store that fails: the clip and artifact store, the job ledger or the queue
stops answering (a dropped connection, a timeout), and the request gets one 503 naming which,
while the service's own errors (a full store: 507, an unknown id: 404) pass through unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from musicxai.errors import MusicXAIError, ServiceUnavailableError

NOT_QUEUED = "now: explanations cannot be queued"  # what a client is told when a job could not be stored


@contextmanager
def reaching(store: str, *, meanwhile: str = "right now") -> Iterator[None]:
    """Run a store call; any failure of the store itself is a :class:`ServiceUnavailableError`
    ("The {store} is unreachable {meanwhile}.")."""
    try:
        yield
    except MusicXAIError:
        raise
    except Exception as exc:  # redis, sqlite and the file system raise many types
        raise ServiceUnavailableError(f"The {store} is unreachable {meanwhile}.") from exc
