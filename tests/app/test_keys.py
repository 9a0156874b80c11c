"""Optional API keys: with ``MUSICXAI_API_KEYS`` every /v1 call needs a bearer key (401 problem JSON
otherwise), each key has its own rate limits and queue share (429 + Retry-After), and what a key
creates no other key can find or read. Health, metrics, the page and the OpenAPI document stay open."""

from __future__ import annotations

import anyio
import pytest

from musicxai.service.access import hash_key
from tests.support.app import app_settings, serving
from tests.support.audio import wav_bytes
from tests.support.http import assert_problem
from worker.jobs import run_job
from worker.state import WorkerState

pytestmark = pytest.mark.anyio

KEYS = {"alice": "mxk_alice-test-key-0123456789abcdef", "bob": "mxk_bob-test-key-0123456789abcdef"}
AUTH = {name: {"authorization": f"Bearer {key}"} for name, key in KEYS.items()}


def key_settings(tiny_bundle, tmp_path, **overrides):
    entries = ",".join(f"{name}:{hash_key(key)}" for name, key in KEYS.items())
    return app_settings(tiny_bundle, tmp_path, api_keys=entries, **overrides)


def upload(clip: int = 0, seconds: float = 4.0) -> dict:
    return {"file": ("clip.wav", wav_bytes(seconds, seed=clip), "audio/wav")}


def metric(text: str, name: str, label: str) -> float:
    lines = [line for line in text.splitlines() if line.startswith(name + "{") and label in line]
    return sum(float(line.rsplit(" ", 1)[1]) for line in lines)


@pytest.mark.slow
async def test_every_v1_call_needs_a_known_bearer_key_and_the_rest_stays_open(tiny_bundle, tmp_path):
    async with serving(key_settings(tiny_bundle, tmp_path)) as api:
        calls = [
            ("GET", "/v1/models"),
            ("GET", "/v1/options"),
            ("GET", "/v1/global/ale"),
            ("GET", "/v1/explanations/0123456789abcdef0123456789abcdef"),
            ("POST", "/v1/predictions"),
            ("POST", "/v1/explanations"),
        ]
        for method, path in calls:
            missing = assert_problem(await api.client.request(method, path), 401)
            assert missing["code"] == "missing_key"
            wrong = await api.client.request(method, path, headers={"authorization": "Bearer mxk_not-a-key"})
            assert assert_problem(wrong, 401)["code"] == "invalid_key"
            assert wrong.headers["www-authenticate"] == 'Bearer realm="musicxai", error="invalid_token"'
        basic = await api.client.get("/v1/models", headers={"authorization": f"Basic {KEYS['alice']}"})
        assert assert_problem(basic, 401)["code"] == "missing_key"
        assert basic.headers["www-authenticate"] == 'Bearer realm="musicxai"'
        assert (await api.client.get("/v1/models", headers=AUTH["alice"])).status_code == 200
        for path in ("/healthz", "/readyz", "/metrics", "/", "/openapi.json"):
            assert (await api.client.get(path)).status_code == 200, path
        metrics = (await api.client.get("/metrics")).text
        assert metric(metrics, "musicxai_rejected_total", 'reason="missing_key"') == len(calls) + 1
        assert metric(metrics, "musicxai_rejected_total", 'reason="invalid_key"') == len(calls)
        assert metric(metrics, "musicxai_key_requests_total", 'key="alice"') == 1


async def test_without_keys_in_the_settings_no_key_is_needed(api):
    assert (await api.client.get("/v1/models")).status_code == 200
    spec = (await api.client.get("/openapi.json")).json()
    assert "securitySchemes" not in spec["components"]
    assert all("401" not in op["responses"] for ops in spec["paths"].values() for op in ops.values())


@pytest.mark.slow
async def test_what_one_key_creates_another_cannot_find_read_or_reuse(tiny_bundle, tmp_path):
    async with serving(key_settings(tiny_bundle, tmp_path)) as api:
        alice = await api.client.post(
            "/v1/predictions", files=upload(), params={"explain": "lime", "num_samples": 20}, headers=AUTH["alice"]
        )
        assert alice.status_code == 200
        clip, job_id = alice.json()["id"], alice.json()["explanations"][0]["job_id"]
        await anyio.to_thread.run_sync(run_job, WorkerState(api.settings), job_id, "in-process")
        own = await api.client.get(f"/v1/explanations/{job_id}", headers=AUTH["alice"])
        assert own.json()["status"] == "succeeded"
        assert (
            await api.client.get(f"/v1/explanations/{job_id}/heatmap.png", headers=AUTH["alice"])
        ).status_code == 200

        for path in (f"/v1/explanations/{job_id}", f"/v1/explanations/{job_id}/heatmap.png"):
            assert_problem(await api.client.get(path, headers=AUTH["bob"]), 404)
        reuse = await api.client.post(
            "/v1/explanations", json={"prediction_id": clip, "num_samples": 20}, headers=AUTH["bob"]
        )
        assert "No stored clip" in assert_problem(reuse, 404)["detail"]

        # the same clip and parameters from bob: his own upload, his own job, not alice's
        bob = await api.client.post(
            "/v1/predictions", files=upload(), params={"explain": "lime", "num_samples": 20}, headers=AUTH["bob"]
        )
        assert bob.json()["id"] == clip
        assert bob.json()["explanations"][0]["job_id"] != job_id
        again = await api.client.post(
            "/v1/predictions", files=upload(), params={"explain": "lime", "num_samples": 20}, headers=AUTH["alice"]
        )
        assert again.json()["explanations"][0]["job_id"] == job_id  # still idempotent for one key


@pytest.mark.slow
async def test_a_key_past_its_request_budget_gets_429_with_retry_after_and_others_do_not(tiny_bundle, tmp_path):
    async with serving(key_settings(tiny_bundle, tmp_path, rate_limit="3/minute")) as api:
        answers = [await api.client.get("/v1/models", headers=AUTH["alice"]) for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        problem = assert_problem(answers[-1], 429)
        assert problem["code"] == "rate_limited" and "3 per 1 minute requests" in problem["detail"]
        assert 1 <= int(answers[-1].headers["retry-after"]) <= 60
        assert (await api.client.get("/v1/models", headers=AUTH["bob"])).status_code == 200
        metrics = (await api.client.get("/metrics")).text
        assert metric(metrics, "musicxai_rejected_total", 'reason="rate_limited"') == 1


@pytest.mark.slow
async def test_uploads_have_their_own_smaller_budget(tiny_bundle, tmp_path):
    async with serving(key_settings(tiny_bundle, tmp_path, upload_rate_limit="1/minute")) as api:
        first = await api.client.post("/v1/predictions", files=upload(), headers=AUTH["alice"])
        second = await api.client.post("/v1/predictions", files=upload(1), headers=AUTH["alice"])
        assert first.status_code == 200
        assert "1 per 1 minute uploads" in assert_problem(second, 429)["detail"]
        assert (await api.client.get("/v1/models", headers=AUTH["alice"])).status_code == 200  # reads still pass


@pytest.mark.slow
async def test_a_key_past_its_share_of_the_queue_gets_429_while_another_key_is_accepted(tiny_bundle, tmp_path):
    settings = key_settings(tiny_bundle, tmp_path, max_queued_jobs_per_key=1, queue_retry_after_s=9)
    async with serving(settings) as api:
        clip = (await api.client.post("/v1/predictions", files=upload(), headers=AUTH["alice"])).json()["id"]
        jobs = [
            await api.client.post(
                "/v1/explanations", json={"prediction_id": clip, "num_samples": 20, "seed": seed}, headers=AUTH["alice"]
            )
            for seed in (1, 2)
        ]
        assert jobs[0].status_code == 202
        problem = assert_problem(jobs[1], 429)
        assert problem["code"] == "key_queue_full" and jobs[1].headers["retry-after"] == "9"
        bob = await api.client.post(
            "/v1/explanations",
            files={"file": ("clip.wav", wav_bytes(4.0), "audio/wav")},
            data={"num_samples": "20"},
            headers=AUTH["bob"],
        )
        assert bob.status_code == 202


@pytest.mark.slow
async def test_the_openapi_document_declares_the_bearer_scheme_and_its_answers(tiny_bundle, tmp_path):
    async with serving(key_settings(tiny_bundle, tmp_path)) as api:
        spec = (await api.client.get("/openapi.json")).json()
        assert spec["components"]["securitySchemes"]["apiKey"] == {
            "type": "http",
            "scheme": "bearer",
            "description": spec["components"]["securitySchemes"]["apiKey"]["description"],
        }
        for path, operations in spec["paths"].items():
            for operation in operations.values():
                keyed = path.startswith("/v1/")
                assert ("security" in operation) == keyed, path
                if keyed:
                    assert {"401", "429"} <= set(operation["responses"]), path
                    assert "Retry-After" in operation["responses"]["429"]["headers"]
                    assert "WWW-Authenticate" in operation["responses"]["401"]["headers"]


def test_a_malformed_key_entry_stops_the_service_at_start(tiny_bundle, tmp_path):
    with pytest.raises(ValueError, match="NAME:SHA256"):
        app_settings(tiny_bundle, tmp_path, api_keys=f"alice:{KEYS['alice']}")  # the key itself, not its hash
    with pytest.raises(ValueError, match="appears twice"):
        app_settings(tiny_bundle, tmp_path, api_keys=f"a:{'0' * 64},a:{'1' * 64}")
