"""``run_job``, the body of the Celery task, in this process with the embedded stores: what it does
with a job in each state the ledger can hold."""

import hashlib
import time

import pytest

from musicxai.config import Settings
from musicxai.explain.params import ExplanationParams
from musicxai.service.ledger import JobRecord, JobStatus
from musicxai.service.storage import artifact_key, clip_key
from tests.support.audio import wav_bytes
from worker.jobs import run_job
from worker.state import WorkerState


@pytest.fixture(scope="module")
def state(tiny_bundle, tmp_path_factory) -> WorkerState:
    settings = Settings(
        _env_file=None,
        models_dir=tiny_bundle.parent,
        default_model=tiny_bundle.name,
        data_dir=tmp_path_factory.mktemp("worker"),
        redis_url=None,
        job_max_attempts=2,
    )
    return WorkerState(settings)


def _job(state: WorkerState, job_id: str, *, store_clip: bool = True, **fields) -> JobRecord:
    data = wav_bytes(4.0, seed=len(job_id))
    sha = hashlib.sha256(data).hexdigest()
    if store_clip:
        state.blobs.put(clip_key(sha), data)
    params = ExplanationParams(method="lime", segmentation="temporal", num_samples=40)
    record = JobRecord(id=job_id, clip=sha, model="tiny", method=params.method, params=params, **fields)
    state.ledger.create(record)
    return record


@pytest.mark.slow
def test_a_queued_job_runs_stores_its_artifacts_and_succeeds(state):
    _job(state, "job-ok")
    assert run_job(state, "job-ok", "task-1") == {"job_id": "job-ok", "status": "succeeded"}
    record = state.ledger.require("job-ok")
    assert record.status == JobStatus.succeeded and record.progress == 1.0 and record.attempts == 1
    assert {"decode", "store"} <= set(record.result.timings_s)
    assert state.blobs.exists(artifact_key("job-ok", "heatmap.png"))
    assert state.ledger.drain_finished()[-1]["status"] == "succeeded"
    assert run_job(state, "job-ok", "task-2")["status"] == JobStatus.succeeded  # not recomputed
    assert state.ledger.require("job-ok").attempts == 1


def test_an_expired_clip_fails_the_job_with_a_reason(state):
    _job(state, "job-no-clip", store_clip=False)
    assert run_job(state, "job-no-clip", "task-1")["status"] == "failed"
    assert "upload it again" in state.ledger.require("job-no-clip").error


def test_a_message_for_a_job_running_elsewhere_is_dropped(state):
    _job(state, "job-busy", status=JobStatus.running, heartbeat=time.time(), task_id="other", attempts=1)
    assert run_job(state, "job-busy", "task-2")["status"] == JobStatus.running
    assert state.ledger.require("job-busy").attempts == 1


def test_a_job_that_used_its_attempts_is_failed_not_run_again(state):
    _job(state, "job-tired", status=JobStatus.running, heartbeat=time.time() - 3600, attempts=2)
    assert run_job(state, "job-tired", "task-3")["status"] == "failed"
    assert "Gave up after 2 attempts" in state.ledger.require("job-tired").error


def test_an_unknown_job_is_dropped(state):
    assert run_job(state, "job-unknown", "task-1") == {"job_id": "job-unknown", "status": "unknown"}
