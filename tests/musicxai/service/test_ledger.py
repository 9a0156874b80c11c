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
        return SqliteJobLedger(tmp_path / "jobs.sqlite")
    import redis

    client = redis.Redis.from_url(request.getfixturevalue("redis_url"))
    client.flushdb()
    return RedisJobLedger(client)


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
