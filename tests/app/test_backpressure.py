"""Bounded work: predictions past the per-process limit and jobs past the queue limit get an
immediate 503 problem with ``Retry-After``, counted in /metrics; a job asked for again is still
answered, and once the work drains the same request succeeds."""

import threading

import anyio
import pytest

from app.metrics import ApiMetrics
from app.middleware.admission import AdmissionMiddleware
from tests.support.app import app_settings, serving
from tests.support.audio import wav_bytes
from tests.support.http import assert_problem

pytestmark = pytest.mark.anyio


def rejected(metrics: str, reason: str) -> float:
    lines = [line for line in metrics.splitlines() if line.startswith("musicxai_rejected_total{") and reason in line]
    return sum(float(line.rsplit(" ", 1)[1]) for line in lines)


@pytest.mark.slow
async def test_predictions_past_the_in_flight_limit_are_503_with_retry_after(tiny_bundle, tmp_path, monkeypatch):
    settings = app_settings(tiny_bundle, tmp_path, max_inflight_predictions=1, prediction_retry_after_s=3)
    async with serving(settings) as api:
        predictions = api.app.state.dataplane.predictions
        inside, release = threading.Event(), threading.Event()
        predict = predictions.predict

        def held_predict(*args, **kwargs):
            inside.set()
            release.wait(30)
            return predict(*args, **kwargs)

        monkeypatch.setattr(predictions, "predict", held_predict)
        results = {}

        async def first() -> None:
            results["first"] = await api.predict(4.0)

        async with anyio.create_task_group() as group:
            group.start_soon(first)
            await anyio.to_thread.run_sync(inside.wait, 30)
            busy = await api.predict(4.0, clip=1)
            release.set()
        problem = assert_problem(busy, 503)
        assert problem["code"] == "predictions_busy" and busy.headers["retry-after"] == "3"
        assert results["first"].status_code == 200
        assert (await api.predict(4.0, clip=1)).status_code == 200  # the work drained: admitted again
        metrics = (await api.client.get("/metrics")).text
        assert rejected(metrics, "predictions_busy") == 1
        assert "musicxai_predictions_in_flight 0.0" in metrics


@pytest.mark.slow
async def test_jobs_past_the_queue_limit_are_503_but_a_known_job_is_still_answered(tiny_bundle, tmp_path):
    settings = app_settings(tiny_bundle, tmp_path, max_queued_jobs=2, queue_retry_after_s=7)
    async with serving(settings) as api:
        clip_ids = [(await api.predict(4.0, clip=i)).json()["id"] for i in range(3)]
        accepted = []
        for clip_id in clip_ids[:2]:
            response = await api.client.post("/v1/explanations", json={"prediction_id": clip_id, "num_samples": 20})
            assert response.status_code == 202
            accepted.append(response.json()["id"])
        full = await api.client.post("/v1/explanations", json={"prediction_id": clip_ids[2], "num_samples": 20})
        problem = assert_problem(full, 503)
        assert problem["code"] == "queue_full" and full.headers["retry-after"] == "7"
        again = await api.client.post("/v1/explanations", json={"prediction_id": clip_ids[0], "num_samples": 20})
        assert again.status_code == 202 and again.json()["id"] == accepted[0]  # idempotent, not new work
        assert (await api.finish(accepted[0]))["status"] == "succeeded"
        admitted = await api.client.post("/v1/explanations", json={"prediction_id": clip_ids[2], "num_samples": 20})
        assert admitted.status_code == 202
        assert rejected((await api.client.get("/metrics")).text, "queue_full") == 1


@pytest.mark.slow
async def test_a_refused_upload_job_stores_no_job(tiny_bundle, tmp_path):
    settings = app_settings(tiny_bundle, tmp_path, max_queued_jobs=1)
    async with serving(settings) as api:
        first = await api.client.post("/v1/explanations", files={"file": ("a.wav", wav_bytes(4.0, seed=0))})
        assert first.status_code == 202
        refused = await api.client.post("/v1/explanations", files={"file": ("b.wav", wav_bytes(4.0, seed=1))})
        assert_problem(refused, 503)
        assert [r.id for r in api.app.state.dataplane.ledger.unfinished()] == [first.json()["id"]]


async def test_a_prediction_frees_its_slot_before_its_last_bytes_leave():
    """A keep-alive client that asks again the moment it has its answer must find its slot free."""
    seen: list[int] = []

    async def answer(scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{", "more_body": True})
        await send({"type": "http.response.body", "body": b"}"})

    admission = AdmissionMiddleware(
        answer, method="POST", path="/v1/predictions", limit=1, retry_after_s=2, metrics=ApiMetrics()
    )

    async def send(message) -> None:
        seen.append(admission.in_flight)

    scope = {"type": "http", "method": "POST", "path": "/v1/predictions"}
    await admission(scope, None, send)
    assert seen == [1, 1, 0]  # held while answering, free as the last bytes go
    assert admission.in_flight == 0
