"""The first-run mode: ``musicxai serve`` with no REDIS_URL runs the API and a real worker itself."""

import os
import signal
from pathlib import Path

from tests.support.audio import wav_bytes
from tests.support.processes import wait_until_ended
from tests.support.services import running_api, service_env, wait_for_job


def _children(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def test_embedded_service_predicts_finishes_a_lime_job_and_stops_its_worker_with_it(tiny_bundle, tmp_path):
    """The first run's whole life: serve, predict, explain; then SIGTERM to ``musicxai serve`` alone
    (not its process group) must not leave the worker behind."""
    with running_api(service_env(tiny_bundle, tmp_path), tmp_path) as embedded:
        with embedded.client() as client:
            prediction = client.post(
                "/v1/predictions",
                params={"explain": "lime", "num_samples": "100", "segmentation": "temporal"},
                files={"file": ("clip.wav", wav_bytes(8.0, seed=21), "audio/wav")},
            ).json()
            assert len(prediction["probabilities"]) == 10
            job = wait_for_job(client, prediction["explanations"][0]["job_id"])
            assert job["status"] == "succeeded", job["error"]
            assert client.get(job["links"]["heatmap"]).content[:4] == b"\x89PNG"
            assert client.get("/readyz").json()["checks"] == {"model": True, "queue": True}
        assert (embedded.logdir / "jobs.sqlite").exists() and (embedded.logdir / "blobs" / "clips").is_dir()

        api = embedded.processes["api"]
        workers = _children(api.pid)
        assert workers, "the embedded server started no worker process"
        os.kill(api.pid, signal.SIGTERM)
        api.wait(60)
        assert wait_until_ended(workers, timeout=30)
