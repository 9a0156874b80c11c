import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from musicxai.errors import NotFoundError
from musicxai.service.ledger import JobRecord, JobStatus, Refusal
from musicxai.service.redis_ledger import RedisJobLedger
from musicxai.service.sqlite_ledger import SqliteJobLedger
from tests.support.services import RedisServer


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server.url
    server.stop()


@pytest.fixture(params=["sqlite", "redis"])
def ledger(request, tmp_path):
    if request.param == "sqlite":
        return SqliteJobLedger(tmp_path / "jobs.sqlite", retention_s=3600)
    import redis

    client = redis.Redis.from_url(request.getfixturevalue("redis_url"))
    client.flushdb()
    return RedisJobLedger(client, retention_s=3600)


def record(job_id: str, method: str = "lime", owner: str | None = None) -> JobRecord:
    return JobRecord(id=job_id, clip="c" * 64, model="demo", owner=owner, method=method, params={"method": method})


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


def test_a_limit_refuses_new_jobs_while_that_many_are_unfinished_but_finds_known_ones(ledger):
    assert ledger.create(record("a"), limit=2)[1]
    assert ledger.create(record("b"), limit=2)[1]
    assert ledger.create(record("c"), limit=2) == (Refusal.queue_full, False)
    known, created = ledger.create(record("a"), limit=2)
    assert known.id == "a" and not created
    ledger.update("a", status=JobStatus.succeeded)
    assert ledger.create(record("c"), limit=2)[1]


def test_concurrent_creates_never_pass_the_limit(ledger):
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda i: ledger.create(record(f"job{i}"), limit=5), range(40)))
    assert sum(created for _, created in results) == 5
    assert len(ledger.unfinished()) == 5


def test_a_key_limit_counts_only_that_owners_unfinished_jobs(ledger):
    for i in range(2):
        assert ledger.create(record(f"alice{i}", owner="alice"), limit=10, key_limit=2)[1]
    assert ledger.create(record("alice2", owner="alice"), limit=10, key_limit=2) == (Refusal.key_queue_full, False)
    assert ledger.create(record("bob0", owner="bob"), limit=10, key_limit=2)[1]
    assert ledger.create(record("anyone", owner=None), limit=10, key_limit=2)[1]  # keys off: no owner to count
    ledger.update("alice0", status=JobStatus.failed)
    assert ledger.create(record("alice2", owner="alice"), limit=10, key_limit=2)[1]
    ledger.delete("alice1")
    assert ledger.create(record("alice3", owner="alice"), limit=10, key_limit=2)[1]
    assert ledger.create(record("alice4", owner="alice"), limit=10, key_limit=2)[0] is Refusal.key_queue_full


def test_the_global_limit_is_reported_before_a_keys_own(ledger):
    assert ledger.create(record("a", owner="alice"), limit=1, key_limit=1)[1]
    assert ledger.create(record("b", owner="alice"), limit=1, key_limit=1)[0] is Refusal.queue_full


def test_clips_are_remembered_as_kept_or_refused_and_the_latest_word_wins(ledger):
    assert ledger.clip_kept("clips/" + "a" * 64) is None
    ledger.note_clip("clips/" + "a" * 64, kept=False)
    assert ledger.clip_kept("clips/" + "a" * 64) is False
    ledger.note_clip("clips/" + "a" * 64, kept=True)  # uploaded again, and kept this time
    assert ledger.clip_kept("clips/" + "a" * 64) is True


def test_a_batch_record_is_kept_and_read_back(ledger):
    assert ledger.get_batch("batches/b1/batch.json") is None
    ledger.put_batch("batches/b1/batch.json", '{"id": "b1"}')
    assert ledger.get_batch("batches/b1/batch.json") == '{"id": "b1"}'


def test_finished_jobs_outlive_their_retention_only_where_unfinished(tmp_path):
    """SQLite forgets finished jobs and batches on expire(); unfinished ones stay whatever their age."""
    ledger = SqliteJobLedger(tmp_path / "jobs.sqlite", retention_s=100)
    ledger.create(record("done"))
    ledger.create(record("waiting"))
    ledger.update("done", status=JobStatus.succeeded)
    ledger.put_batch("batches/b1/batch.json", "{}")
    assert ledger.expire(now=time.time() + 50) == 0
    assert ledger.expire(now=time.time() + 500) == 2
    assert ledger.get("done") is None and ledger.get_batch("batches/b1/batch.json") is None
    assert ledger.get("waiting") is not None


def test_redis_gives_finished_jobs_a_lifetime_and_unfinished_ones_none(redis_url):
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    ledger = RedisJobLedger(client, retention_s=100)
    ledger.create(record("a"))
    assert client.ttl("musicxai:job:a") == -1
    ledger.update("a", status=JobStatus.failed)
    assert 0 < client.ttl("musicxai:job:a") <= 100
    ledger.update("a", status=JobStatus.queued)  # asked for again: unfinished, kept until it finishes
    assert client.ttl("musicxai:job:a") == -1
