import pytest

from musicxai.errors import NotFoundError
from musicxai.service.ledger import JobRecord, JobStatus, SqliteJobLedger


@pytest.fixture
def ledger(tmp_path):
    return SqliteJobLedger(tmp_path / "jobs.sqlite")


def record(job_id: str, method: str = "lime") -> JobRecord:
    return JobRecord(id=job_id, clip="c" * 64, model="demo", method=method, params={"method": method})


def test_create_is_idempotent_and_updates_move_jobs_out_of_unfinished(ledger):
    first, created = ledger.create(record("a"))
    again, created_again = ledger.create(record("a", method="shap"))
    assert created and not created_again and again.method == "lime"
    ledger.create(record("b"))
    assert {r.id for r in ledger.unfinished()} == {"a", "b"}
    done = ledger.update("a", status=JobStatus.succeeded, progress=1.0)
    assert done.status == JobStatus.succeeded and done.updated >= first.updated
    assert [r.id for r in ledger.unfinished()] == ["b"]
    with pytest.raises(NotFoundError):
        ledger.update("nope", progress=0.5)


def test_finished_job_figures_are_handed_out_once_in_order(ledger):
    for i in range(5):
        ledger.record_finished({"status": "succeeded", "n": i})
    assert [f["n"] for f in ledger.drain_finished(limit=3)] == [0, 1, 2]
    assert [f["n"] for f in ledger.drain_finished()] == [3, 4]
    assert ledger.drain_finished() == []
