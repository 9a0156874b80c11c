"""API keys are known by their hash only; rate limits count per key, shared through Redis between
API processes, and per process while Redis does not answer."""

import pytest

from musicxai.service.access import KEY_PREFIX, ApiKeys, RateLimits, hash_key, new_key
from tests.support.services import RedisServer


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server.url
    server.stop()


def test_a_key_is_identified_by_its_hash_and_nothing_else():
    key = new_key()
    assert key.startswith(KEY_PREFIX) and len(key) > 40 and new_key() != key
    keys = ApiKeys.parse(f" alice:{hash_key(key).upper()} , bob:{'0' * 64}")
    assert keys.identify(key) == "alice"
    assert keys.identify(key[:-1]) is None and keys.identify(hash_key(key)) is None
    assert not ApiKeys.parse("") and keys


@pytest.mark.parametrize(
    "entries",
    ["alice", "alice:abc", f"al ice:{'0' * 64}", f":{'0' * 64}", f"alice:{'g' * 64}", "x" * 65 + ":" + "0" * 64],
)
def test_entries_that_are_not_name_and_sha256_are_refused(entries):
    with pytest.raises(ValueError, match="NAME:SHA256"):
        ApiKeys.parse(entries)


def test_each_key_has_its_own_budget_and_uploads_cost_on_top():
    limits = RateLimits(requests="3/minute", uploads="1/minute")
    assert [limits.hit("alice", upload=False) for _ in range(3)] == [None] * 3
    exceeded = limits.hit("alice", upload=False)
    assert str(exceeded.limit) == "3 per 1 minute" and 1 <= exceeded.retry_after_s <= 60
    assert exceeded.kind == "requests"
    assert limits.hit("bob", upload=True) is None
    uploads = limits.hit("bob", upload=True)
    assert str(uploads.limit) == "1 per 1 minute" and uploads.kind == "uploads"


def test_processes_sharing_redis_share_one_count_per_key(redis_url):
    first, second = (RateLimits(requests="4/minute", uploads="4/minute", storage_uri=redis_url) for _ in range(2))
    answers = [limits.hit("carol", upload=False) for limits in (first, second) * 3]
    assert answers[:4] == [None] * 4 and all(a is not None for a in answers[4:])


def test_without_redis_each_process_still_counts_on_its_own(caplog):
    limits = RateLimits(requests="2/minute", uploads="2/minute", storage_uri="redis://127.0.0.1:1/0")
    answers = [limits.hit("dave", upload=False) for _ in range(3)]
    assert answers[:2] == [None, None] and answers[2] is not None
    assert "counting per process" in caplog.text
