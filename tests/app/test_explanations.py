"""``/v1/explanations``: idempotent jobs by prediction id or upload, parameter errors, status
documents and the artifacts of a job the worker's own code finished in this process."""

import io

import numpy as np
import pytest
import soundfile as sf

from musicxai.explain.result import ARTIFACT_FILES
from tests.support.audio import wav_bytes
from tests.support.http import assert_problem

pytestmark = pytest.mark.anyio
FAST = {"method": "shap", "num_samples": 60, "segmentation": "temporal"}


async def _prediction_id(api, seconds: float = 6.0, clip: int = 4) -> str:
    return (await api.predict(seconds, clip=clip)).json()["id"]


async def test_repeated_request_returns_the_same_job(api):
    clip = wav_bytes(6.0, seed=4)
    prediction_id = await _prediction_id(api)
    body = {"prediction_id": prediction_id, **FAST}
    first = await api.client.post("/v1/explanations", json=body)
    second = await api.client.post("/v1/explanations", json=body)
    by_upload = await api.client.post(
        "/v1/explanations",
        files={"file": ("again.wav", clip, "audio/wav")},
        data={k: str(v) for k, v in FAST.items()},
    )
    other = await api.client.post("/v1/explanations", json={**body, "seed": 1})
    clip_game = await api.client.post("/v1/explanations", json={**body, "games": "clip"})
    assert clip_game.status_code == 202 and clip_game.json()["id"] not in {first.json()["id"], other.json()["id"]}
    assert first.status_code == second.status_code == by_upload.status_code == 202
    assert first.json()["id"] == second.json()["id"] == by_upload.json()["id"]
    assert first.headers["location"] == f"/v1/explanations/{first.json()['id']}"
    assert other.json()["id"] != first.json()["id"]
    assert first.json()["status"] == "queued" and first.json()["links"] == {"self": first.headers["location"]}


@pytest.mark.parametrize(
    "change",
    [
        {"num_samples": 5},
        {"num_samples": 100000},
        {"method": "anchors"},
        {"games": "tiles"},
        {"genres": ["polka"]},
        {"colour": "red"},
    ],
)
async def test_bad_explanation_parameters_are_422(api, change):
    prediction_id = await _prediction_id(api, 4.0, clip=0)
    assert_problem(await api.client.post("/v1/explanations", json={"prediction_id": prediction_id, **change}), 422)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"content": b"not json", "headers": {"content-type": "application/json"}}, "JSON"),
        ({"json": ["a", "list"]}, "object"),
        ({"json": {"method": "lime"}}, "prediction_id"),
        ({"data": {"method": "lime"}, "files": {"other": ("x.txt", b"x")}}, "file"),
    ],
)
async def test_malformed_bodies_are_422_naming_what_is_missing(api, kwargs, fragment):
    assert fragment in assert_problem(await api.client.post("/v1/explanations", **kwargs), 422)["detail"]


async def test_multipart_genres_may_be_comma_separated(api):
    response = await api.client.post(
        "/v1/explanations",
        files={"file": ("c.wav", wav_bytes(4.0, seed=6), "audio/wav")},
        data={"method": "lime", "genres": "jazz, rock", "num_samples": "40", "segmentation": "temporal"},
    )
    assert response.status_code == 202 and response.json()["params"]["genres"] == ["jazz", "rock"]


async def test_unknown_ids_are_404(api):
    assert_problem(await api.client.get("/v1/explanations/0123456789abcdef0123456789abcdef"), 404)
    assert_problem(await api.client.post("/v1/explanations", json={"prediction_id": "f" * 64}), 404)
    assert_problem(await api.client.get("/v1/explanations/0123456789abcdef0123456789abcdef/heatmap.png"), 404)


async def test_a_queued_job_has_no_artifacts_yet(api):
    job = (await api.client.post("/v1/explanations", json={"prediction_id": await _prediction_id(api), **FAST})).json()
    assert (
        "no artifacts yet" in assert_problem(await api.client.get(f"{job['links']['self']}/heatmap.png"), 404)["detail"]
    )
    assert job["preview"] is None and "preview_heatmap" not in job["links"]
    assert (
        "no preview yet" in assert_problem(await api.client.get(f"{job['links']['self']}/preview.png"), 404)["detail"]
    )


@pytest.mark.slow
async def test_finished_job_serves_every_artifact_with_an_etag(api):
    prediction = (await api.predict(8.0, clip=3, explain="lime", num_samples="80", segmentation="temporal")).json()
    job = await api.finish(prediction["explanations"][0]["job_id"])
    assert job["status"] == "succeeded", job["error"]
    assert set(job["links"]) == {"self", "preview_heatmap", *ARTIFACT_FILES}
    preview = job["preview"]
    assert preview["genre"] == job["result"]["explained_genres"][0] and len(preview["drops"]) == 5
    assert (await api.client.get(job["links"]["preview_heatmap"])).content[:4] == b"\x89PNG"
    heatmap = await api.client.get(job["links"]["heatmap"])
    assert heatmap.headers["content-type"] == "image/png" and heatmap.content[:8] == b"\x89PNG\r\n\x1a\n"
    cached = await api.client.get(job["links"]["heatmap"], headers={"If-None-Match": heatmap.headers["etag"]})
    assert cached.status_code == 304
    for link in ("audio", "complement_audio"):
        samples, sr = sf.read(io.BytesIO((await api.client.get(job["links"][link])).content))
        assert sr == 22050 and len(samples) / sr == pytest.approx(prediction["duration_s"], abs=1e-3)
        assert np.max(np.abs(samples)) <= 1.0
    attributions = (await api.client.get(job["links"]["attributions"])).json()
    assert (attributions["samples_per_game"], attributions["games_played"]) == (80, prediction["windows"])
    assert attributions == {**job["result"], "timings_s": attributions["timings_s"]}
    assert len(attributions["weights"][prediction["top"][0]]) == len(attributions["segments"]) == 5  # 8 s / 1.5 s
    assert (await api.client.get(job["links"]["faithfulness"])).content[:4] == b"\x89PNG"
    assert_problem(await api.client.get(f"{job['links']['self']}/bundle.json"), 404)


@pytest.mark.slow
async def test_a_sampled_explanation_says_how_stable_its_ranking_is(api):
    prediction = (await api.predict(6.0, clip=4, explain="shap", num_samples="20")).json()  # 16 players per window
    job = await api.finish(prediction["explanations"][0]["job_id"])
    stability = job["result"]["stability"][job["result"]["explained_genres"][0]]
    assert not stability["exact"] and stability["refits"] == 10 and stability["top_k"] == 5
    assert 0 <= stability["top_k_same"] <= 10 and 0 <= stability["top_k_overlap"] <= 1
    assert -1 <= stability["kendall_tau_min"] <= stability["kendall_tau"] <= 1


async def test_openapi_declares_both_request_bodies_and_every_reference_resolves(api):
    spec = (await api.client.get("/openapi.json")).json()
    content = spec["paths"]["/v1/explanations"]["post"]["requestBody"]["content"]
    assert set(content) == {"application/json", "multipart/form-data"}
    schemas = spec["components"]["schemas"]
    request = schemas[content["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]]
    assert "prediction_id" in request["required"] and "num_samples" in request["properties"]
    upload = schemas[content["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[1]]
    assert upload["properties"]["file"]["format"] == "binary"
    text = str(spec)
    refs = {part.split("'")[0] for part in text.split("'$ref': '#/components/schemas/")[1:]}
    assert refs <= set(schemas)


@pytest.mark.slow
async def test_two_finished_explanations_of_one_clip_are_compared(api):
    prediction_id = await _prediction_id(api, 6.0, clip=7)
    jobs = {}
    for method, segmentation in (("lime", "temporal"), ("shap", "temporal"), ("shap", "spectral")):
        body = {"prediction_id": prediction_id, "method": method, "segmentation": segmentation, "num_samples": 40}
        jobs[method, segmentation] = (await api.client.post("/v1/explanations", json=body)).json()["id"]
    lime, shap, spectral = jobs.values()
    assert (
        "no result to compare yet"
        in assert_problem(await api.client.get(f"/v1/explanations/{lime}/compare/{shap}"), 404)["detail"]
    )
    for job_id in jobs.values():
        assert (await api.finish(job_id))["status"] == "succeeded"

    report = (await api.client.get(f"/v1/explanations/{lime}/compare/{shap}")).json()
    assert report["methods"] == ["lime", "shap"] and report["segments"] == 4  # 6 s / 1.5 s
    assert -1 <= report["kendall_tau"] <= 1 and 0 <= report["top_k_overlap"] <= 1
    assert report["top_k"] == 4 and sorted(report["top_a"]) == sorted(report["top_b"]) == [0, 1, 2, 3]
    for entry in report["disagreements"]:
        assert entry["rank_a"] != entry["rank_b"] and {"start_s", "low_hz"} <= set(entry["segment"])

    mismatch = assert_problem(await api.client.get(f"/v1/explanations/{lime}/compare/{spectral}"), 422)
    assert "different segments" in mismatch["detail"]
    other_clip = (await api.predict(6.0, clip=8, explain="lime", num_samples="40", segmentation="temporal")).json()
    other = other_clip["explanations"][0]["job_id"]
    await api.finish(other)
    assert (
        "different clips"
        in assert_problem(await api.client.get(f"/v1/explanations/{lime}/compare/{other}"), 422)["detail"]
    )
    assert_problem(await api.client.get(f"/v1/explanations/{lime}/compare/{'0' * 32}"), 404)
