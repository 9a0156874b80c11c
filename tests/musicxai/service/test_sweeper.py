"""``sweep``: what the sweeper does with each unfinished job, at a chosen time, with a stand-in queue."""

import pytest

from musicxai.config import Settings
from musicxai.explain.params import ExplanationParams
from musicxai.service import sweeper
from musicxai.service.ledger import JobRecord, JobStatus
from musicxai.service.sqlite_ledger import SqliteJobLedger

NOW = 1_000_000.0


@pytest.fixture
def settings(tmp_path):
    return Settings(
        _env_file=None, data_dir=tmp_path, job_stale_after_s=90, job_requeue_after_s=900, job_max_attempts=3
    )


@pytest.fixture
def sent(monkeypatch):
    """Job ids the sweeper sends to the queue (no broker needed)."""
    messages = []
    monkeypatch.setattr(
        sweeper, "enqueue_explanation", lambda _app, _settings, job_id, attempt: messages.append(job_id)
    )
    return messages


def _ledger(settings, **jobs) -> SqliteJobLedger:
    ledger = SqliteJobLedger(settings.data_dir / "jobs.sqlite", retention_s=settings.record_ttl_s)
    for job_id, fields in jobs.items():
        record = JobRecord(id=job_id, clip="c" * 64, model="demo", method="lime", params=ExplanationParams(), **fields)
        ledger.create(record)
    return ledger


def test_running_job_with_a_fresh_heartbeat_is_left_alone(settings, sent):
    ledger = _ledger(settings, a={"status": JobStatus.running, "heartbeat": NOW - 10, "attempts": 1})
    assert sweeper.sweep(ledger, None, settings, now=NOW) == [] and sent == []


def test_running_job_whose_worker_went_quiet_is_requeued(settings, sent):
    ledger = _ledger(settings, a={"status": JobStatus.running, "heartbeat": NOW - 100, "attempts": 1})
    assert sweeper.sweep(ledger, None, settings, now=NOW) == ["a"] and sent == ["a"]
    record = ledger.require("a")
    assert record.status == JobStatus.queued and record.heartbeat is None and "stopped answering" in record.stage


def test_running_job_out_of_attempts_is_failed_with_a_reason(settings, sent):
    ledger = _ledger(settings, a={"status": JobStatus.running, "heartbeat": NOW - 100, "attempts": 3})
    assert sweeper.sweep(ledger, None, settings, now=NOW) == [] and sent == []
    record = ledger.require("a")
    assert record.status == JobStatus.failed and "Gave up after 3 attempts" in record.error


def test_queued_job_no_worker_started_is_sent_again_only_after_the_requeue_delay(settings, sent):
    ledger = _ledger(settings, a={"updated": NOW - 1000}, b={"updated": NOW - 10})
    assert sweeper.sweep(ledger, None, settings, now=NOW) == ["a"] and sent == ["a"]
    assert ledger.require("b").stage == "queued"


def test_a_queue_that_is_down_leaves_the_job_queued_for_the_next_sweep(settings, monkeypatch):
    from musicxai.errors import ServiceUnavailableError

    def down(*_args, **_kwargs):
        raise ServiceUnavailableError("queue down")

    monkeypatch.setattr(sweeper, "enqueue_explanation", down)
    ledger = _ledger(settings, a={"updated": NOW - 1000})
    assert sweeper.sweep(ledger, None, settings, now=NOW) == []
    assert ledger.require("a").status == JobStatus.queued


def test_a_tidy_round_pins_what_unfinished_jobs_need_and_frees_the_rest(settings, sent):
    from musicxai.service.local_store import LocalBlobStore
    from musicxai.service.storage import clip_key

    ledger = _ledger(settings, waiting={"status": JobStatus.queued, "updated": 9e18}, done={})
    ledger.update("done", status=JobStatus.succeeded)
    ledger.update("waiting", clip="w" * 64)
    blobs = LocalBlobStore(settings.data_dir / "blobs", ttl_s=3600, max_bytes=10**6)
    for sha in ("w" * 64, "c" * 64):
        blobs.put(clip_key(sha), b"clip")
    blobs.pin([clip_key("c" * 64)])  # pinned when "done" was admitted
    sweeper.Sweeper(ledger, celery=None, settings=settings, blobs=blobs).tidy()
    assert blobs._pinned() == {clip_key("w" * 64)}
