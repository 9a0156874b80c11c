"""Two bundles with different front ends served side by side: every stage reads its bundle's settings."""

import io
import os

import pytest
import soundfile as sf

from tests.support.app import app_settings, serving

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
async def two_models(tiny_bundle, tiny_transfer_bundle, tmp_path_factory):
    models = tmp_path_factory.mktemp("two-models")
    for bundle in (tiny_bundle, tiny_transfer_bundle):
        os.symlink(bundle, models / bundle.name)
    async with serving(app_settings(models / tiny_bundle.name, tmp_path_factory.mktemp("two-data"))) as api:
        yield api


@pytest.mark.slow
async def test_models_lists_both_bundles_with_their_own_features(two_models):
    models = {m["name"]: m for m in (await two_models.client.get("/v1/models")).json()["models"]}
    assert models["tiny"]["features"]["sample_rate"] == 22050 and models["tiny"]["features"]["n_mels"] == 128
    transfer = models["tiny-transfer"]["features"]
    assert (transfer["sample_rate"], transfer["n_mels"], transfer["extractor"]) == (16000, 96, "logmel-log10")
    assert transfer["window_frames"] == 187 and models["tiny-transfer"]["architecture"] == "music-vgg"


@pytest.mark.slow
async def test_each_bundle_predicts_and_explains_with_its_own_settings(two_models):
    client = two_models.client
    for model, rate, top_hz in (("tiny", 22050, 11025), ("tiny-transfer", 16000, 8000)):
        prediction = (await two_models.predict(8.0, clip=8, model=model)).json()
        assert prediction["model"] == model and len(prediction["probabilities"]) == 10
        # 2 bands: a window sees 4 segments, so even the slow transfer model evaluates few windows
        asked = {"prediction_id": prediction["id"], "model": model, "num_samples": 60, "n_bands": 2}
        queued = (await client.post("/v1/explanations", json={**asked, "segmentation": "time_frequency"})).json()
        job = await two_models.finish(queued["id"])
        assert job["status"] == "succeeded", job["error"]
        samples, sr = sf.read(io.BytesIO((await client.get(job["links"]["audio"])).content))
        assert sr == rate and len(samples) / sr == pytest.approx(8.0, abs=1e-3)
        segments = (await client.get(job["links"]["attributions"])).json()["segments"]
        assert max(s["high_hz"] for s in segments) == pytest.approx(top_hz, rel=1e-3)
        assert (await client.get(job["links"]["heatmap"])).content[:4] == b"\x89PNG"
