"""Two bundles with different front ends served side by side: every stage reads its bundle's settings."""

import io
import os

import pytest
import soundfile as sf

from tests.conftest import wav_bytes
from tests.integration.conftest import running_api, service_env, wait_for_job


@pytest.fixture(scope="module")
def two_models(tiny_bundle, tiny_transfer_bundle, tmp_path_factory):
    models = tmp_path_factory.mktemp("two-models")
    for bundle in (tiny_bundle, tiny_transfer_bundle):
        os.symlink(bundle, models / bundle.name)
    data_dir = tmp_path_factory.mktemp("two-data")
    with running_api(service_env(models / tiny_bundle.name, data_dir), data_dir) as service:
        yield service


def test_models_lists_both_bundles_with_their_own_features(two_models):
    with two_models.client() as client:
        models = {m["name"]: m for m in client.get("/v1/models").json()["models"]}
    assert models["tiny"]["features"]["sample_rate"] == 22050 and models["tiny"]["features"]["n_mels"] == 128
    transfer = models["tiny-transfer"]["features"]
    assert (transfer["sample_rate"], transfer["n_mels"], transfer["extractor"]) == (16000, 96, "logmel-log10")
    assert transfer["window_frames"] == 187 and models["tiny-transfer"]["architecture"] == "music-vgg"


def test_each_bundle_predicts_and_explains_with_its_own_settings(two_models):
    clip = wav_bytes(8.0, seed=8)
    with two_models.client() as client:
        for model, rate, top_hz in (("tiny", 22050, 11025), ("tiny-transfer", 16000, 8000)):
            prediction = client.post(
                "/v1/predictions",
                params={"model": model, "explain": "lime", "num_samples": "60", "segmentation": "time_frequency"},
                files={"file": ("clip.wav", clip, "audio/wav")},
            ).json()
            assert prediction["model"] == model and len(prediction["probabilities"]) == 10
            job = wait_for_job(client, prediction["explanations"][0]["job_id"])
            assert job["status"] == "succeeded", job["error"]
            samples, sr = sf.read(io.BytesIO(client.get(job["links"]["audio"]).content))
            assert sr == rate and len(samples) / sr == pytest.approx(8.0, abs=1e-3)
            segments = client.get(job["links"]["attributions"]).json()["segments"]
            assert max(s["high_hz"] for s in segments) == pytest.approx(top_hz, rel=1e-3)
            assert client.get(job["links"]["heatmap"]).content[:4] == b"\x89PNG"
