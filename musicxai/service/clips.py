"""Uploaded clips, stored once by content (sha256): a repeated upload, its prediction and every
explanation job on it share one copy. With API keys a clip lives in its key's own folder, so to
another key it does not exist. The ledger remembers whether each clip was kept, so a request for one
that is no longer stored says whether it was evicted or never kept."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from musicxai.audio.sniff import sniff_audio
from musicxai.errors import GoneError, NotFoundError, ParameterError
from musicxai.service.ledger import JobLedger
from musicxai.service.outages import NOT_QUEUED, reaching
from musicxai.service.storage import BlobStore, clip_key

log = logging.getLogger(__name__)
UPLOAD_AGAIN = "upload the clip again (with the explanation request itself, as multipart, it is kept for its job)"


@dataclass
class StoredClip:
    sha256: str
    data: bytes


class Clips:
    """The clip half of the blob store."""

    def __init__(self, blobs: BlobStore, ledger: JobLedger) -> None:
        self.blobs, self.ledger = blobs, ledger

    def store(self, data: bytes, *, owner: str | None = None) -> StoredClip:
        """Keep an upload (an audio container, by its magic bytes) and name it by its sha256."""
        if not data:
            raise ParameterError("The upload is empty.")
        sniff_audio(data[:64])
        sha = hashlib.sha256(data).hexdigest()
        key = clip_key(sha, owner)
        with reaching("clip store", meanwhile=NOT_QUEUED):
            if not self.blobs.touch(key):  # a repeated upload is a use of the stored copy
                self.blobs.put(key, data)
        self._note(key, kept=True)
        return StoredClip(sha, data)

    def refused(self, sha256: str, *, owner: str | None = None) -> None:
        """Remember that this clip could not be kept, for the request that asks for it later."""
        self._note(clip_key(sha256, owner), kept=False)

    def _note(self, key: str, *, kept: bool) -> None:
        """What the ledger remembers only sharpens a later error message: its outage fails nothing."""
        try:
            self.ledger.note_clip(key, kept=kept)
        except Exception as exc:  # the ledger's store is down
            log.warning("could not note clip %s as %s: %s", key, "kept" if kept else "refused", exc)

    def get(self, prediction_id: str, *, owner: str | None = None) -> StoredClip:
        """The clip a prediction returned this id for; one no longer stored is a 410 (evicted), one
        never kept or never seen a 404, each saying so."""
        key = clip_key(prediction_id, owner) if len(prediction_id) == 64 else None
        data = kept = None
        if key is not None:
            with reaching("clip and artifact store"):
                data = self.blobs.get(key)
                kept = self.ledger.clip_kept(key) if data is None else True
        if data is not None:
            return StoredClip(prediction_id, data)
        if kept:
            raise GoneError(
                f"The clip of prediction {prediction_id!r} was stored, and has since been evicted to make room "
                f"for newer uploads (the store keeps the most recently used clips within its size) or has "
                f"expired; {UPLOAD_AGAIN}.",
                code="clip_evicted",
            )
        if kept is not None:
            raise NotFoundError(
                f"The clip of prediction {prediction_id!r} was never kept: the store had no room (or could not "
                f"be reached) when it was uploaded, so it cannot be explained by its id; {UPLOAD_AGAIN}.",
                code="clip_not_kept",
            )
        raise NotFoundError(f"No stored clip for prediction {prediction_id!r} (unknown, or uploaded long ago).")
