"""Operations: liveness, readiness, metrics, the docs, the page; and an app whose queue is down."""

import pytest

from tests.support.app import app_settings, serving
from tests.support.audio import wav_bytes
from tests.support.http import assert_problem
from tests.support.processes import free_port

pytestmark = pytest.mark.anyio


async def test_health_readiness_metrics_docs_and_page(api):
    assert (await api.client.get("/healthz")).json() == {"status": "ok"}
    assert (await api.client.get("/readyz")).json() == {"status": "ready", "checks": {"model": True, "queue": True}}
    await api.predict(3.0, clip=7)
    metrics = (await api.client.get("/metrics")).text
    assert "musicxai_http_request_seconds_bucket" in metrics and 'musicxai_predictions_total{model="tiny"}' in metrics
    assert 'musicxai_jobs_unfinished{status="queued"}' in metrics
    assert (await api.client.get("/docs")).status_code == 200
    spec = (await api.client.get("/openapi.json")).json()
    assert "/v1/explanations/{job_id}" in spec["paths"] and str(spec).count("example") > 0
    page = await api.client.get("/")
    assert page.status_code == 200 and "<form" in page.text


async def test_unknown_path_is_a_404_problem_and_a_wrong_method_a_405(api):
    assert_problem(await api.client.get("/v2/nothing"), 404)
    assert_problem(await api.client.delete("/v1/models"), 405)


async def test_the_page_and_its_assets_are_served(api):
    for asset, kind in (("/static/main.js", "javascript"), ("/static/style.css", "css")):
        response = await api.client.get(asset)
        assert response.status_code == 200 and kind in response.headers["content-type"]


async def test_an_unexpected_error_is_a_500_problem_that_says_nothing_internal(api, monkeypatch):
    def broken():
        raise RuntimeError("secret internal state")

    monkeypatch.setattr(api.app.state.dataplane.catalog, "models", broken)
    body = assert_problem(await api.client.get("/v1/models"), 500)
    assert "secret" not in body["detail"] and "logged" in body["detail"]


@pytest.mark.slow
async def test_queue_down_gives_503_for_jobs_while_predictions_still_work(tiny_bundle, tmp_path):
    settings = app_settings(tiny_bundle, tmp_path, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    async with serving(settings) as api:
        clip = {"file": ("c.wav", wav_bytes(4.0), "audio/wav")}
        assert (await api.client.post("/v1/predictions", files=clip)).status_code == 200
        assert_problem(await api.client.post("/v1/predictions", params={"explain": "lime"}, files=clip), 503)
        assert_problem(await api.client.post("/v1/explanations", files=clip, data={"method": "lime"}), 503)
        assert_problem(await api.client.get("/readyz"), 503)
        assert (await api.client.get("/healthz")).status_code == 200
