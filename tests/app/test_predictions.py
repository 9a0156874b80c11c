"""``POST /v1/predictions``: probabilities now, jobs queued, and every way an upload can be refused."""

import pytest

from tests.support.audio import wav_bytes
from tests.support.http import assert_problem
from training.genres import GTZAN_GENRES

pytestmark = pytest.mark.anyio


async def test_prediction_returns_probabilities_for_ten_genres(api):
    response = await api.predict(10.0)
    assert response.status_code == 200
    body = response.json()
    assert set(body["probabilities"]) == set(GTZAN_GENRES)
    assert abs(sum(body["probabilities"].values()) - 1.0) < 1e-4
    assert body["top"][0] == max(body["probabilities"], key=body["probabilities"].get)
    assert body["duration_s"] == pytest.approx(10.0, abs=0.01) and not body["truncated"]
    assert body["windows"] == 6 and len(body["id"]) == 64 and body["explanations"] == []


async def test_long_clip_is_analysed_up_to_the_limit_and_says_so(api):
    body = (await api.predict(16.0)).json()
    assert body["truncated"] is True
    assert body["duration_s"] == pytest.approx(12.0, abs=0.01)
    assert body["source_duration_s"] == pytest.approx(16.0, abs=0.01)


async def test_prediction_queues_one_job_per_method_with_links(api):
    body = (await api.predict(4.0, clip=2, explain="lime,shap,lime", segmentation="temporal")).json()
    refs = body["explanations"]
    assert [r["method"] for r in refs] == ["lime", "shap"]
    assert all(r["status"] == "queued" and r["status_url"] == f"/v1/explanations/{r['job_id']}" for r in refs)
    job = (await api.client.get(refs[0]["status_url"])).json()
    assert job["params"]["segmentation"] == "temporal" and job["links"] == {"self": refs[0]["status_url"]}


async def test_upload_over_the_size_limit_is_413_declared_or_streamed(api):
    big = wav_bytes(60.0)  # 2.6 MB > 2 MiB limit
    body = assert_problem(await api.client.post("/v1/predictions", files={"file": ("big.wav", big)}), 413)
    head = b'--abc\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\n'

    async def chunks():
        yield head
        for i in range(0, len(big), 65536):
            yield big[i : i + 65536]

    chunked = await api.client.post(  # no Content-Length: the limit must hold while the bytes stream in
        "/v1/predictions", content=chunks(), headers={"content-type": "multipart/form-data; boundary=abc"}
    )
    assert "MiB" in body["detail"]
    assert_problem(chunked, 413)


async def test_text_file_is_415(api):
    response = await api.client.post(
        "/v1/predictions", files={"file": ("notes.txt", b"just some words\n" * 100, "text/plain")}
    )
    assert "Accepted formats" in assert_problem(response, 415)["detail"]


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [(b"RIFF\x10\x00\x00\x00WAVEfmt garbage" * 20, "not decodable"), (wav_bytes(0.4), "at least"), (b"", "empty")],
)
async def test_undecodable_too_short_or_empty_audio_is_422(api, payload, fragment):
    response = await api.client.post("/v1/predictions", files={"file": ("bad.wav", payload, "audio/wav")})
    assert fragment in assert_problem(response, 422)["detail"]


@pytest.mark.parametrize(
    "params",
    [{"explain": "anchors"}, {"num_samples": "5"}, {"segmentation": "voronoi"}, {"seed": "-1"}, {"explain": "lime",
     "num_samples": "3000"}],
)  # fmt: skip
async def test_bad_query_parameters_are_422(api, params):
    assert_problem(await api.predict(3.0, **params), 422)


async def test_unknown_model_is_404(api):
    assert "available" in assert_problem(await api.predict(3.0, model="nope"), 404)["detail"]


async def test_missing_file_field_is_422(api):
    assert_problem(await api.client.post("/v1/predictions", data={"note": "no file"}), 422)
