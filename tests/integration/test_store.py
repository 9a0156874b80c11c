"""A clip store far smaller than the uploads, end to end, in both setups: after several times the cap
the newest clip is explained, an older one is explained or said to be evicted, and no job fails for
want of room. Embedded: the local folder's cap. Distributed: a blob Redis of its own with a small
``maxmemory`` and volatile-lru beside the queue's Redis, as docker-compose.yml runs them."""

from collections.abc import Iterator

import pytest

from tests.support.audio import wav_bytes
from tests.support.services import RedisServer, Service, running_api, service_env, wait_for_job

CLIPS = [wav_bytes(4.0, seed=100 + i) for i in range(24)]  # 176 kB each: ~4 MB in all
EMBEDDED_CAP = 1_000_000
FAST = {"method": "shap", "num_samples": 60, "segmentation": "temporal"}


@pytest.fixture(params=["embedded", "distributed"])
def small_store(request, tiny_bundle, tmp_path) -> Iterator[Service]:
    if request.param == "embedded":
        env = service_env(tiny_bundle, tmp_path, max_store_bytes=str(EMBEDDED_CAP))
        with running_api(env, tmp_path) as service:
            yield service
        return
    queue = RedisServer(tmp_path / "queue").start()
    blobs = RedisServer(tmp_path / "blobs", maxmemory="3mb").start()  # ~2 MB past Redis's own needs
    env = service_env(tiny_bundle, tmp_path / "data", REDIS_URL=queue.url, blob_redis_url=blobs.url)
    service = Service(env, tmp_path)
    try:
        service.start_worker()
        service.start_api()
        yield service
    finally:
        service.stop()
        blobs.stop()
        queue.stop()


@pytest.mark.slow
def test_past_several_times_the_cap_the_newest_is_explained_and_an_older_one_explained_or_evicted(small_store):
    with small_store.client() as client:
        ids = []
        for clip in CLIPS:
            predicted = client.post("/v1/predictions", files={"file": ("clip.wav", clip, "audio/wav")})
            assert predicted.status_code == 200 and predicted.json()["explainable"], predicted.text
            ids.append(predicted.json()["id"])
        newest = client.post("/v1/explanations", json={"prediction_id": ids[-1], **FAST})
        assert newest.status_code == 202, newest.text
        older = client.post("/v1/explanations", json={"prediction_id": ids[2], **FAST})
        if older.status_code == 410:
            assert older.json()["code"] == "clip_evicted" and "evicted to make room" in older.json()["detail"]
        else:
            assert older.status_code == 202, older.text
            assert wait_for_job(client, older.json()["id"])["status"] == "succeeded"
        job = wait_for_job(client, newest.json()["id"])
        assert job["status"] == "succeeded", job["error"]
        assert client.get(job["links"]["heatmap"]).status_code == 200
        metrics = client.get("/metrics").text
        evicted = next(line for line in metrics.splitlines() if line.startswith("musicxai_store_evicted_keys_total"))
        assert float(evicted.rsplit(" ", 1)[1]) > 0
