"""Uploaded clips, stored once by content (sha256): a repeated upload, its prediction and every
explanation job on it share one copy. With API keys a clip lives in its key's own folder, so to
another key it does not exist."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from musicxai.audio.sniff import sniff_audio
from musicxai.errors import NotFoundError, ParameterError
from musicxai.service.outages import NOT_QUEUED, reaching
from musicxai.service.storage import BlobStore, clip_key


@dataclass
class StoredClip:
    sha256: str
    data: bytes


class Clips:
    """The clip half of the blob store."""

    def __init__(self, blobs: BlobStore) -> None:
        self.blobs = blobs

    def store(self, data: bytes, *, owner: str | None = None) -> StoredClip:
        """Keep an upload (an audio container, by its magic bytes) and name it by its sha256."""
        if not data:
            raise ParameterError("The upload is empty.")
        sniff_audio(data[:64])
        sha = hashlib.sha256(data).hexdigest()
        key = clip_key(sha, owner)
        with reaching("clip store", meanwhile=NOT_QUEUED):
            if not self.blobs.exists(key):
                self.blobs.put(key, data)
        return StoredClip(sha, data)

    def get(self, prediction_id: str, *, owner: str | None = None) -> StoredClip:
        """The clip a prediction returned this id for; unknown or expired ids are a 404."""
        data = None
        if len(prediction_id) == 64:
            with reaching("clip and artifact store"):
                data = self.blobs.get(clip_key(prediction_id, owner))
        if data is None:
            raise NotFoundError(f"No stored clip for prediction {prediction_id!r} (unknown or expired).")
        return StoredClip(prediction_id, data)
