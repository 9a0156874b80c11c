"""Per-genre attribution maps over clips a user uploaded: one batch, made of ordinary explanation jobs.

A batch names prediction ids; for each clip it queues (or finds) the two explanation jobs the maps
read, one per segmentation (time × frequency, harmonic/percussive), through the ordinary job
admission (:meth:`musicxai.service.jobs.Jobs.create`): every member is an ordinary, idempotent job
with its own id, queue bound, retries and artifacts, taken by whichever worker is free, so workers
share a batch without a batch ever holding one of them. The batch itself stores only which jobs it
is made of, in the job ledger (a record, not a blob: a flood of uploads never evicts it); its status
is read from theirs, and once every member has finished, the maps are aggregated from the members'
results (a few hundred numbers per clip, no model call) and their pictures rendered once and kept.
A member that failed (a silent clip, say) leaves its clip out and is listed; a batch fails only when
no clip could be explained.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import time

from pydantic import BaseModel, Field

from musicxai.config import Settings
from musicxai.errors import MusicXAIError, NotFoundError, ParameterError
from musicxai.explain.attribution import Method
from musicxai.explain.genre_maps import GenreMaps, MapView, aggregate, project, row_labels
from musicxai.explain.params import ExplanationParams
from musicxai.explain.render import genre_maps_png
from musicxai.explain.result import ExplanationResult
from musicxai.model.registry import ModelRegistry
from musicxai.service.clips import Clips
from musicxai.service.jobs import Jobs
from musicxai.service.ledger import JobLedger, JobRecord, JobStatus
from musicxai.service.outages import reaching
from musicxai.service.storage import BlobStore

BATCH_ID = re.compile(r"b[0-9a-f]{31}")


class BatchMember(BaseModel):
    prediction_id: str
    view: MapView = Field(description="the map this job's segmentation feeds")
    job_id: str


class BatchRecord(BaseModel):
    """What is stored of a batch: its members; everything else is read from them."""

    id: str
    owner: str | None
    model: str
    method: Method
    seed: int
    members: list[BatchMember]
    created: float = Field(default_factory=time.time)


class MemberStatus(BatchMember):
    status: JobStatus | None = Field(description="the member job's status; null: the job has expired")
    error: str | None = None


class BatchStatus(BaseModel):
    id: str
    status: JobStatus
    progress: float = Field(ge=0, le=1, description="mean progress of the member jobs")
    model: str
    method: Method
    clips: int = Field(description="clips the batch names")
    clips_explained: int = Field(description="clips whose two member jobs succeeded")
    members: list[MemberStatus]
    created: float
    error: str | None = None
    result: GenreMaps | None = None


def batch_key(batch_id: str, owner: str | None, name: str = "batch.json") -> str:
    return f"batches/{batch_id}/{name}" if owner is None else f"keys/{owner}/batches/{batch_id}/{name}"


class GenreMapBatches:
    """Create and read batches of explanation jobs (through :class:`~musicxai.service.jobs.Jobs`) over
    stored clips; a batch's own record and pictures live in the blob store."""

    def __init__(
        self,
        settings: Settings,
        registry: ModelRegistry,
        ledger: JobLedger,
        blobs: BlobStore,
        clips: Clips,
        jobs: Jobs,
    ) -> None:
        self.settings, self.registry, self.ledger, self.blobs = settings, registry, ledger, blobs
        self.clips, self.jobs = clips, jobs

    def create(
        self, prediction_ids: list[str], *, model: str | None, method: Method, seed: int, owner: str | None = None
    ) -> BatchStatus:
        """Queue (or find) every member job; the same request returns the same batch."""
        ids = list(dict.fromkeys(prediction_ids))
        limit = self.settings.max_batch_clips
        if len(ids) < 2:
            raise ParameterError("a batch needs at least 2 different prediction ids")
        if len(ids) > limit:
            raise ParameterError(f"a batch may name at most {limit} clips (it named {len(ids)})")
        name = self.registry.resolve(model)
        clips = [self.clips.get(pid, owner=owner) for pid in ids]  # every 404 before anything is queued
        scope = f"{self.registry.bundle_id(name)}|{method}|{seed}|{owner}|{'|'.join(sorted(ids))}"
        batch_id = "b" + hashlib.sha256(scope.encode()).hexdigest()[:31]  # never a job id (hex only)
        members, jobs = [], []
        for clip in clips:
            for view in MapView:
                params = ExplanationParams(method=method, segmentation=view.segmentation, seed=seed)
                jobs.append(self.jobs.create(clip, params, model=name, owner=owner))
                members.append(BatchMember(prediction_id=clip.sha256, view=view, job_id=jobs[-1].id))
        with reaching("job store"):
            stored = self.ledger.get_batch(batch_key(batch_id, owner))
        if stored is not None:  # asked again, maybe in another order: the same jobs, the first record
            record = BatchRecord.model_validate_json(stored)
            by_id = {job.id: job for job in jobs}
            return _describe(record, [by_id[m.job_id] for m in record.members])
        record = BatchRecord(id=batch_id, owner=owner, model=name, method=method, seed=seed, members=members)
        with reaching("job store"):
            self.ledger.put_batch(batch_key(batch_id, owner), record.model_dump_json())
        return _describe(record, jobs)

    def status(self, batch_id: str, *, owner: str | None = None) -> BatchStatus:
        record = self._record(batch_id, owner)
        return _describe(record, [self._member_job(m.job_id, owner) for m in record.members])

    def picture(self, batch_id: str, filename: str, *, owner: str | None = None) -> bytes:
        """A finished batch's map picture (``time_band.png``, ``time_source.png``), rendered once and kept
        in the blob store as a cache (evicted, it is rendered again)."""
        views = {view.png: view for view in MapView}
        if filename not in views:
            raise NotFoundError(f"No picture {filename!r}; a batch has {', '.join(views)}.")
        key = batch_key(batch_id, owner, filename)
        with reaching("clip and artifact store"):
            cached = self.blobs.get(key)
        if cached is not None:
            return cached
        status = self.status(batch_id, owner=owner)
        if status.result is None:
            raise NotFoundError(f"Batch {batch_id} has no maps yet (status: {status.status}).")
        png = genre_maps_png(status.result, views[filename])
        with contextlib.suppress(MusicXAIError), reaching("clip and artifact store"):  # a full store still answers
            self.blobs.put(key, png)
        return png

    def _record(self, batch_id: str, owner: str | None) -> BatchRecord:
        data = None
        if BATCH_ID.fullmatch(batch_id):
            with reaching("job store"):
                data = self.ledger.get_batch(batch_key(batch_id, owner))
        if data is None:
            raise NotFoundError(f"No batch {batch_id!r} (unknown or expired).")
        return BatchRecord.model_validate_json(data)

    def _member_job(self, job_id: str, owner: str | None) -> JobRecord | None:
        try:
            return self.jobs.get(job_id, owner=owner)
        except NotFoundError:
            return None


def _describe(record: BatchRecord, jobs: list[JobRecord | None]) -> BatchStatus:
    """A batch's status from its members' jobs (``None``: expired), with the maps once all have finished."""
    members = [
        MemberStatus(**m.model_dump(), status=j.status if j else None, error=j.error if j else "expired")
        for m, j in zip(record.members, jobs, strict=True)
    ]
    finished = {JobStatus.succeeded, JobStatus.failed}
    progress = sum(1.0 if j is None or j.status in finished else j.progress for j in jobs) / len(jobs)
    results = _complete_clips(record, jobs)
    status = BatchStatus(
        id=record.id,
        status=JobStatus.succeeded,
        progress=round(progress, 3),
        model=record.model,
        method=record.method,
        clips=len({m.prediction_id for m in record.members}),
        clips_explained=len(results),
        members=members,
        created=record.created,
    )
    if any(j is not None and j.status not in finished for j in jobs):
        started = any(j is not None and j.status is not JobStatus.queued for j in jobs)
        status.status = JobStatus.running if started else JobStatus.queued
    elif not results:
        status.status = JobStatus.failed
        status.error = "No clip of the batch could be explained; see the members' errors."
    else:
        status.result = _maps(record, results)
    return status


def _complete_clips(record: BatchRecord, jobs: list[JobRecord | None]) -> list[dict[MapView, ExplanationResult]]:
    """Per clip whose every member succeeded: its results by view, in the batch's order."""
    by_clip: dict[str, dict[MapView, ExplanationResult]] = {}
    for member, job in zip(record.members, jobs, strict=True):
        if job is not None and job.status is JobStatus.succeeded and job.result is not None:
            by_clip.setdefault(member.prediction_id, {})[member.view] = job.result
    return [results for results in by_clip.values() if len(results) == len(MapView)]


def _maps(record: BatchRecord, clips: list[dict[MapView, ExplanationResult]]) -> GenreMaps:
    clip_maps = []
    for results in clips:
        genre = results[MapView.time_band].explained_genres[0]
        grids = {}
        for view, result in results.items():
            weights = result.weights.get(genre) or result.weights[result.explained_genres[0]]
            grids[view] = project(result.segments, weights, view)
        clip_maps.append((genre, grids))
    first = clips[0]
    rows = {view: row_labels(first[view].segments, view) for view in MapView}
    genres = list(first[MapView.time_band].probabilities)
    return aggregate(
        clip_maps,
        rows,
        genres,
        model=record.model,
        method=record.method,
        num_samples=first[MapView.time_band].samples_per_game,
        data=f"{len(clips)} clips of batch {record.id}, uploaded by its user",
    )
