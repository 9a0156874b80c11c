"""The HTTP contract against a real uvicorn, a real Celery worker and a real Redis."""

import io
import json

import numpy as np
import pytest
import soundfile as sf

from musicxai.genres import GTZAN_GENRES
from tests.integration.conftest import wait_for_job, wait_until, wav_bytes

FAST = {"num_samples": "120", "segmentation": "temporal"}


def test_prediction_returns_probabilities_for_ten_genres(distributed):
    with distributed.client() as client:
        response = client.post("/v1/predictions", files={"file": ("clip.wav", wav_bytes(10.0), "audio/wav")})
    assert response.status_code == 200
    body = response.json()
    assert set(body["probabilities"]) == set(GTZAN_GENRES)
    assert abs(sum(body["probabilities"].values()) - 1.0) < 1e-4
    assert body["top"][0] == max(body["probabilities"], key=body["probabilities"].get)
    assert body["duration_s"] == pytest.approx(10.0, abs=0.01) and not body["truncated"]
    assert body["windows"] == 6 and len(body["id"]) == 64 and body["explanations"] == []


def test_long_clip_is_analysed_up_to_the_limit_and_says_so(distributed):
    with distributed.client() as client:
        body = client.post("/v1/predictions", files={"file": ("long.wav", wav_bytes(16.0), "audio/wav")}).json()
    assert body["truncated"] is True
    assert body["duration_s"] == pytest.approx(12.0, abs=0.01)
    assert body["source_duration_s"] == pytest.approx(16.0, abs=0.01)


def test_lime_and_shap_jobs_succeed_with_heatmap_audio_and_attributions(distributed):
    with distributed.client() as client:
        prediction = client.post(
            "/v1/predictions",
            params={"explain": "lime,shap", **FAST},
            files={"file": ("clip.wav", wav_bytes(10.0, seed=3), "audio/wav")},
        ).json()
        assert [e["method"] for e in prediction["explanations"]] == ["lime", "shap"]
        model_calls = []
        for ref in prediction["explanations"]:
            job = wait_for_job(client, ref["job_id"])
            assert job["status"] == "succeeded", job["error"]
            assert job["progress"] == 1.0
            heatmap = client.get(job["links"]["heatmap"])
            assert heatmap.headers["content-type"] == "image/png" and heatmap.content[:8] == b"\x89PNG\r\n\x1a\n"
            for link in ("audio", "complement_audio"):
                wav = client.get(job["links"][link])
                assert wav.headers["content-type"] == "audio/wav"
                samples, sr = sf.read(io.BytesIO(wav.content))
                assert sr == 22050 and len(samples) / sr == pytest.approx(prediction["duration_s"], abs=1e-3)
                assert np.max(np.abs(samples)) <= 1.0
            attributions = client.get(job["links"]["attributions"]).json()
            genre = prediction["top"][0]
            assert attributions["explained_genres"] == [genre]
            assert len(attributions["weights"][genre]) == len(attributions["segments"]) == 7  # 10 s / 1.5 s
            faith = attributions["faithfulness"][genre]
            for key in ("deletion_auc", "insertion_auc", "random_deletion_auc", "random_insertion_auc"):
                assert 0.0 <= faith[key] <= 1.0
            assert attributions["engine"]["masks"] >= 120 and attributions["params"]["method"] == ref["method"]
            model_calls.append(attributions["model_calls"])
            quality = attributions["quality"][genre]
            assert ("r2" in quality) if ref["method"] == "lime" else quality["additivity_error"] < 1e-6
    # the job that ran first called the model; the other may reuse its windows (same clip and segmentation)
    assert max(model_calls) > 0


def test_repeated_request_returns_the_same_job(distributed):
    clip = wav_bytes(6.0, seed=4)
    with distributed.client() as client:
        prediction = client.post("/v1/predictions", files={"file": ("c.wav", clip, "audio/wav")}).json()
        body = {"prediction_id": prediction["id"], "method": "shap", "num_samples": 60, "segmentation": "temporal"}
        first = client.post("/v1/explanations", json=body)
        second = client.post("/v1/explanations", json=body)
        by_upload = client.post(
            "/v1/explanations",
            files={"file": ("again.wav", clip, "audio/wav")},
            data={"method": "shap", "num_samples": "60", "segmentation": "temporal"},
        )
        other = client.post("/v1/explanations", json={**body, "seed": 1})
    assert first.status_code == second.status_code == by_upload.status_code == 202
    assert first.json()["id"] == second.json()["id"] == by_upload.json()["id"]
    assert first.headers["location"] == f"/v1/explanations/{first.json()['id']}"
    assert other.json()["id"] != first.json()["id"]


def _problem(response, status):
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def test_upload_over_the_size_limit_is_413(distributed):
    with distributed.client() as client:
        big = wav_bytes(60.0)  # 2.6 MB > 2 MiB limit
        body = _problem(client.post("/v1/predictions", files={"file": ("big.wav", big, "audio/wav")}), 413)
        head = b'--abc\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\n'
        chunked = client.post(  # no Content-Length: the limit must hold while the bytes stream in
            "/v1/predictions",
            content=iter([head, *[big[i : i + 65536] for i in range(0, len(big), 65536)]]),
            headers={"content-type": "multipart/form-data; boundary=abc"},
        )
    assert "MiB" in body["detail"]
    _problem(chunked, 413)


def test_text_file_is_415(distributed):
    with distributed.client() as client:
        response = client.post(
            "/v1/predictions", files={"file": ("notes.txt", b"just some words\n" * 100, "text/plain")}
        )
    assert "Accepted formats" in _problem(response, 415)["detail"]


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [(b"RIFF\x10\x00\x00\x00WAVEfmt garbage" * 20, "not decodable"), (wav_bytes(0.4), "at least")],
)
def test_undecodable_or_too_short_audio_is_422(distributed, payload, fragment):
    with distributed.client() as client:
        response = client.post("/v1/predictions", files={"file": ("bad.wav", payload, "audio/wav")})
    assert fragment in _problem(response, 422)["detail"]


@pytest.mark.parametrize(
    "change",
    [{"num_samples": 5}, {"num_samples": 100000}, {"method": "anchors"}, {"genres": ["polka"]}, {"colour": "red"}],
)
def test_bad_explanation_parameters_are_422(distributed, change):
    with distributed.client() as client:
        prediction = client.post("/v1/predictions", files={"file": ("c.wav", wav_bytes(4.0), "audio/wav")}).json()
        response = client.post("/v1/explanations", json={"prediction_id": prediction["id"], **change})
    _problem(response, 422)


def test_unknown_ids_are_404(distributed):
    with distributed.client() as client:
        _problem(client.get("/v1/explanations/0123456789abcdef0123456789abcdef"), 404)
        _problem(client.post("/v1/explanations", json={"prediction_id": "f" * 64}), 404)
        _problem(
            client.post("/v1/predictions", params={"model": "nope"}, files={"file": ("c.wav", wav_bytes(3.0))}), 404
        )


def test_models_metrics_docs_and_readiness(distributed):
    with distributed.client() as client:
        models = client.get("/v1/models").json()
        assert models["default"] == models["models"][0]["name"]
        entry = models["models"][0]
        assert entry["split"]["unit"] == "track" and len(entry["genres"]) == 10 and entry["backend"] == "tensorflow"
        assert client.get("/readyz").json()["status"] == "ready"
        prediction = client.post(
            "/v1/predictions",
            params={"explain": "shap", "num_samples": "30", "segmentation": "temporal"},
            files={"file": ("m.wav", wav_bytes(4.0, seed=9), "audio/wav")},
        ).json()
        assert wait_for_job(client, prediction["explanations"][0]["job_id"])["status"] == "succeeded"
        metrics = wait_until(
            lambda: (
                (text := client.get("/metrics").text) and "musicxai_explanation_stage_seconds_count" in text and text
            ),
            timeout=10,
            what="the worker's job figures in /metrics",
        )
        assert "musicxai_http_request_seconds_bucket" in metrics and "musicxai_jobs_unfinished" in metrics
        assert 'musicxai_explanation_jobs_finished_total{method="shap",status="succeeded"}' in metrics
        assert 'musicxai_explanation_stage_seconds_count{backend="tensorflow",method="shap",stage="model"}' in metrics
        assert client.get("/docs").status_code == 200
        spec = client.get("/openapi.json").json()
        assert "/v1/explanations/{job_id}" in spec["paths"]
        assert json.dumps(spec).count("example") > 0


def test_global_ale_index_plot_and_curves(distributed):
    with distributed.client() as client:
        index = client.get("/v1/global/ale").json()
        names = [d["name"] for d in index["descriptors"]]
        assert "centroid" in names and all(d["unit"] for d in index["descriptors"])
        png = client.get(index["descriptors"][0]["links"]["png"])
        assert png.headers["content-type"] == "image/png" and png.content[:4] == b"\x89PNG"
        curves = client.get("/v1/global/ale/centroid.json")
        assert len(curves.json()["effects"]) == 10
        cached = client.get("/v1/global/ale/centroid.json", headers={"If-None-Match": curves.headers["etag"]})
        assert cached.status_code == 304
        _problem(client.get("/v1/global/ale/danceability.png"), 404)
        _problem(client.get("/v1/global/ale/../bundle.json"), 404)
