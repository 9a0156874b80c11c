"""Nothing accepted is lost: killed pool process, killed worker, restarted Redis (the queue-down
contract is an in-process app test, ``tests/app/test_health.py``)."""

import os
import signal
import subprocess

import httpx
import pytest

from tests.support.audio import wav_bytes
from tests.support.processes import wait_until
from tests.support.services import RedisServer, Service, service_env, wait_for_job

SLOW = {"method": "lime", "num_samples": 1500, "segmentation": "time_frequency"}


@pytest.fixture
def fault_service(tiny_bundle, tmp_path):
    """API on a private, persistent (AOF) Redis with a fast sweeper; tests start the workers."""
    redis = RedisServer(tmp_path / "redis", appendonly=True).start()
    env = service_env(
        tiny_bundle,
        tmp_path / "data",
        REDIS_URL=redis.url,
        job_stale_after_s="6",
        sweep_interval_s="1",
        job_max_attempts="4",
    )
    service = Service(env, tmp_path)
    service.redis = redis
    try:
        service.start_api()
        yield service
    finally:
        service.stop()
        redis.stop()


def _queue_slow_job(client: httpx.Client, seed: int) -> str:
    prediction = client.post("/v1/predictions", files={"file": ("c.wav", wav_bytes(10.0, seed=seed), "audio/wav")})
    response = client.post("/v1/explanations", json={"prediction_id": prediction.json()["id"], **SLOW})
    assert response.status_code == 202
    return response.json()["id"]


def _running(client: httpx.Client, job_id: str) -> bool:
    body = client.get(f"/v1/explanations/{job_id}").json()
    return body["status"] == "running" and body["progress"] > 0.1


def _pool_children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def test_killed_pool_process_job_is_redelivered_and_succeeds(fault_service):
    worker = fault_service.start_worker()
    with fault_service.client() as client:
        job_id = _queue_slow_job(client, seed=11)
        wait_until(lambda: _running(client, job_id), timeout=120, what="the job to run")
        children = _pool_children(worker.pid)
        assert children, "the prefork worker should have a pool process"
        for child in children:
            os.kill(child, signal.SIGKILL)
        job = wait_for_job(client, job_id, timeout=300)
    assert job["status"] == "succeeded", job["error"]
    assert job["attempts"] >= 2


def test_killed_worker_job_is_requeued_and_finished_by_another(fault_service):
    first = fault_service.start_worker("first")
    with fault_service.client() as client:
        job_id = _queue_slow_job(client, seed=12)
        wait_until(lambda: _running(client, job_id), timeout=120, what="the job to run")
        os.killpg(first.pid, signal.SIGKILL)  # the whole worker, pool included, dies at once
        first.wait()
        fault_service.start_worker("second")
        job = wait_for_job(client, job_id, timeout=300)
    assert job["status"] == "succeeded", job["error"]
    assert job["attempts"] >= 2


def test_job_queued_before_a_redis_restart_still_runs(fault_service):
    with fault_service.client() as client:
        prediction = client.post("/v1/predictions", files={"file": ("c.wav", wav_bytes(6.0, seed=13), "audio/wav")})
        body = {
            "prediction_id": prediction.json()["id"],
            "method": "shap",
            "num_samples": 80,
            "segmentation": "temporal",
        }
        job_id = client.post("/v1/explanations", json=body).json()["id"]
        redis = fault_service.redis
        redis.stop()  # no worker has taken the job yet
        redis.start()
        fault_service.start_worker()
        job = wait_for_job(client, job_id, timeout=240)
    assert job["status"] == "succeeded", job["error"]
