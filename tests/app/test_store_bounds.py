"""The clip and artifact store past its cap: old, finished work is evicted so new uploads and new
explanations always fit; what is gone is said to be gone (410) in words, a clip that could not be kept
is said to be unexplainable when it is predicted, and 507 comes only when unfinished jobs fill it."""

import pytest

from tests.support.app import app_settings, serving
from tests.support.audio import wav_bytes
from tests.support.http import assert_problem

pytestmark = pytest.mark.anyio
FAST = {"method": "shap", "num_samples": "30", "segmentation": "temporal"}
CLIPS = [wav_bytes(4.0, seed=s) for s in range(12)]
CLIP = len(CLIPS[0])


async def explain_upload(api, clip: bytes):
    return await api.client.post("/v1/explanations", files={"file": ("clip.wav", clip)}, data=FAST)


def evicted_keys(metrics: str) -> float:
    line = next(line for line in metrics.splitlines() if line.startswith("musicxai_store_evicted_keys_total"))
    return float(line.rsplit(" ", 1)[1])


@pytest.mark.slow
async def test_uploads_past_the_cap_evict_the_oldest_and_the_newest_is_explained(tiny_bundle, tmp_path):
    async with serving(app_settings(tiny_bundle, tmp_path, max_store_bytes=8 * CLIP)) as api:
        ids = []
        for clip in CLIPS:  # three times the cap, no job among them
            predicted = await api.client.post("/v1/predictions", files={"file": ("clip.wav", clip)})
            assert predicted.status_code == 200 and predicted.json()["explainable"] is True
            ids.append(predicted.json()["id"])
        newest = await api.client.post("/v1/explanations", json={"prediction_id": ids[-1], **FAST})
        assert newest.status_code == 202
        assert (await api.finish(newest.json()["id"]))["status"] == "succeeded"
        oldest = await api.client.post("/v1/explanations", json={"prediction_id": ids[0], **FAST})
        problem = assert_problem(oldest, 410)
        assert problem["code"] == "clip_evicted" and "evicted to make room" in problem["detail"]
        assert evicted_keys((await api.client.get("/metrics")).text) >= len(CLIPS) - 8


@pytest.mark.slow
async def test_a_job_never_fails_for_room_held_by_finished_work_whose_artifacts_go_first(tiny_bundle, tmp_path):
    async with serving(app_settings(tiny_bundle, tmp_path, max_store_bytes=8 * CLIP)) as api:
        first = (await explain_upload(api, CLIPS[0])).json()["id"]
        assert (await api.finish(first))["status"] == "succeeded"
        for clip in CLIPS[1:5]:  # each job's clip and artifacts push the earlier ones out
            job = await explain_upload(api, clip)
            assert job.status_code == 202
            assert (await api.finish(job.json()["id"]))["status"] == "succeeded"
        status = (await api.client.get(f"/v1/explanations/{first}")).json()
        assert status["status"] == "succeeded" and status["artifacts_stored"] is False  # it still answers
        gone = assert_problem(await api.client.get(status["links"]["heatmap"]), 410)
        assert gone["code"] == "artifact_evicted" and "ask for the same explanation again" in gone["detail"]
        again = await explain_upload(api, CLIPS[0])  # the same request: computed anew, same job
        assert again.json()["id"] == first and again.json()["status"] == "queued"
        done = await api.finish(first)
        assert done["status"] == "succeeded" and done["artifacts_stored"] is True
        assert (await api.client.get(done["links"]["heatmap"])).status_code == 200


@pytest.mark.slow
async def test_507_only_once_unfinished_jobs_fill_the_store_and_then_a_prediction_says_why(tiny_bundle, tmp_path):
    async with serving(app_settings(tiny_bundle, tmp_path, max_store_bytes=2 * CLIP + CLIP // 2)) as api:
        for clip in CLIPS[:2]:  # queued, never run here: their clips are pinned
            assert (await explain_upload(api, clip)).status_code == 202
        refused = await explain_upload(api, CLIPS[2])
        assert "still queued or running" in assert_problem(refused, 507)["detail"]
        predicted = await api.client.post("/v1/predictions", files={"file": ("clip.wav", CLIPS[3])})
        assert predicted.status_code == 200 and predicted.json()["explainable"] is False
        assert "cannot be explained later" in predicted.json()["not_explainable"]
        asked = await api.client.post("/v1/explanations", json={"prediction_id": predicted.json()["id"], **FAST})
        problem = assert_problem(asked, 404)
        assert problem["code"] == "clip_not_kept" and "never kept" in problem["detail"]
        unknown = await api.client.post("/v1/explanations", json={"prediction_id": "f" * 64, **FAST})
        assert "code" not in assert_problem(unknown, 404)


@pytest.mark.slow
async def test_a_full_disk_is_507_for_explanations_and_predictions_still_answer(tiny_bundle, tmp_path, monkeypatch):
    import errno

    from musicxai.service import local_store

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    async with serving(app_settings(tiny_bundle, tmp_path)) as api:
        monkeypatch.setattr(local_store.os, "replace", no_space)
        assert assert_problem(await explain_upload(api, CLIPS[0]), 507)["code"] == "storage_full"
        predicted = await api.client.post("/v1/predictions", files={"file": ("clip.wav", CLIPS[0])})
        assert predicted.status_code == 200 and predicted.json()["explainable"] is False
        assert api.app.state.dataplane.ledger.unfinished() == []
