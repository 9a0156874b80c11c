"""A full clip and artifact store: uploads for explanations get 507 problem JSON, predictions still
answer, and a job whose artifacts no longer fit fails with that reason instead of hanging."""

import pytest

from tests.support.app import app_settings, serving
from tests.support.audio import wav_bytes
from tests.support.http import assert_problem

pytestmark = pytest.mark.anyio
CLIP = wav_bytes(4.0, seed=3)


@pytest.mark.slow
async def test_an_upload_that_does_not_fit_is_507_and_predictions_still_answer(tiny_bundle, tmp_path):
    async with serving(app_settings(tiny_bundle, tmp_path, max_store_bytes=len(CLIP) // 2)) as api:
        refused = await api.client.post("/v1/explanations", files={"file": ("clip.wav", CLIP)})
        assert assert_problem(refused, 507)["code"] == "storage_full"
        predicted = await api.client.post("/v1/predictions", files={"file": ("clip.wav", CLIP)})
        assert predicted.status_code == 200 and len(predicted.json()["probabilities"]) == 10
        with_jobs = await api.client.post(
            "/v1/predictions", params={"explain": "lime"}, files={"file": ("c.wav", CLIP)}
        )
        assert_problem(with_jobs, 507)
        assert api.app.state.dataplane.ledger.unfinished() == []


@pytest.mark.slow
async def test_a_job_whose_artifacts_do_not_fit_fails_with_the_reason(tiny_bundle, tmp_path):
    async with serving(app_settings(tiny_bundle, tmp_path, max_store_bytes=len(CLIP) + 2048)) as api:
        accepted = await api.client.post(
            "/v1/explanations", files={"file": ("clip.wav", CLIP)}, data={"num_samples": "20"}
        )
        assert accepted.status_code == 202
        job = await api.finish(accepted.json()["id"])
        assert job["status"] == "failed" and "store is full" in job["error"]
