"""The real stack: uvicorn, a Celery worker process and Redis (ledger, blobs, broker); the rest of
the HTTP contract is tested in-process in ``tests/app/``."""

import io
import json
import os
import signal

import numpy as np
import pytest
import soundfile as sf

from tests.support.audio import wav_bytes
from tests.support.http import assert_problem
from tests.support.processes import wait_until
from tests.support.services import running_api, wait_for_job

FAST = {"num_samples": "120", "segmentation": "temporal"}


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
            assert attributions["params"]["method"] == ref["method"]
            played = (attributions["samples_per_game"], attributions["games_played"])
            assert played == (int(FAST["num_samples"]), prediction["windows"])  # one game per window
            model_calls.append(attributions["model_calls"])
            quality = attributions["quality"][genre]
            stability = attributions["stability"][genre]  # temporal, 120 samples: 2-3 players per window
            assert stability["exact"] and stability["refits"] == 0
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


def test_upload_over_the_size_limit_is_413(distributed):
    with distributed.client() as client:
        big = wav_bytes(60.0)  # 2.6 MB > 2 MiB limit
        body = assert_problem(client.post("/v1/predictions", files={"file": ("big.wav", big, "audio/wav")}), 413)
        head = b'--abc\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\n'
        chunked = client.post(  # no Content-Length: the limit must hold while the bytes stream in
            "/v1/predictions",
            content=iter([head, *[big[i : i + 65536] for i in range(0, len(big), 65536)]]),
            headers={"content-type": "multipart/form-data; boundary=abc"},
        )
    assert "MiB" in body["detail"]
    assert_problem(chunked, 413)


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


def test_with_keys_two_api_processes_share_each_keys_budget_and_keep_keys_apart(distributed, tmp_path):
    from musicxai.service.access import hash_key

    names = ("alice", "bob", "carol")
    keys = {name: f"mxk_{name}-e2e-0123456789abcdef" for name in names}
    auth = {name: {"authorization": f"Bearer {key}"} for name, key in keys.items()}
    entries = ",".join(f"{name}:{hash_key(key)}" for name, key in keys.items())
    env = distributed.env | {"MUSICXAI_API_KEYS": entries, "MUSICXAI_RATE_LIMIT": "100/minute"}
    for logs in ("one", "two"):
        (tmp_path / logs).mkdir()
    with (
        running_api(env, tmp_path / "one") as first,
        running_api(env, tmp_path / "two") as second,
        first.client() as a,
        second.client() as b,
    ):
        assert_problem(a.get("/v1/models"), 401)
        prediction = a.post(
            "/v1/predictions",
            params={"explain": "lime", **FAST},
            files={"file": ("clip.wav", wav_bytes(6.0, seed=9), "audio/wav")},
            headers=auth["alice"],
        ).json()
        job_id = prediction["explanations"][0]["job_id"]

        def finished() -> dict | None:  # asked of the other API process
            job = b.get(f"/v1/explanations/{job_id}", headers=auth["alice"]).json()
            return job if job["status"] in ("succeeded", "failed") else None

        job = wait_until(finished, timeout=240, interval=1.0, what=f"job {job_id}")
        assert job["status"] == "succeeded", job["error"]  # the worker found the clip in alice's folder
        assert_problem(b.get(f"/v1/explanations/{job_id}", headers=auth["bob"]), 404)
        assert_problem(a.get(job["links"]["heatmap"], headers=auth["bob"]), 404)
        assert a.get(job["links"]["heatmap"], headers=auth["alice"]).status_code == 200

        # one budget per key, counted in Redis across both processes
        codes = [(a if i % 2 else b).get("/v1/models", headers=auth["carol"]).status_code for i in range(101)]
        assert codes[:100] == [200] * 100 and codes[100] == 429
        assert b.get("/v1/models", headers=auth["bob"]).status_code == 200


def test_a_batch_over_two_uploaded_clips_runs_as_ordinary_jobs_and_gives_per_genre_maps(distributed):
    second = distributed.start_worker("second")  # the members are separate messages: any free worker takes one
    try:
        with distributed.client() as client:
            ids = [
                client.post("/v1/predictions", files={"file": ("c.wav", wav_bytes(6.0, seed=s), "audio/wav")}).json()[
                    "id"
                ]
                for s in (21, 22)
            ]
            created = client.post("/v1/global/attributions/batches", json={"prediction_ids": ids, "num_samples": 1})
            assert_problem(created, 422)  # a batch takes no sampling options: the maps' own defaults
            created = client.post("/v1/global/attributions/batches", json={"prediction_ids": ids, "method": "shap"})
            assert created.status_code == 202, created.text
            batch = created.json()

            def finished() -> dict | None:
                doc = client.get(created.headers["location"]).json()
                return doc if doc["status"] in ("succeeded", "failed") else None

            done = wait_until(finished, timeout=240, what="the batch's four jobs")
            assert done["status"] == "succeeded" and done["clips_explained"] == 2, done
            assert {m["status"] for m in done["members"]} == {"succeeded"}
            for member in batch["members"]:  # each member is an ordinary job, with its own artifacts
                job = client.get(f"/v1/explanations/{member['job_id']}").json()
                assert job["params"]["segmentation"] in ("time_frequency", "sources") and job["method"] == "shap"
            assert done["result"]["method"] == "shap" and done["result"]["clips"] == 2
            png = client.get(done["links"]["time_band"])
            assert png.headers["content-type"] == "image/png"
        logs = distributed.log("worker") + distributed.log("second")
        assert all(f"job {m['job_id']}: succeeded" in logs for m in batch["members"])
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(timeout=30)
