"""``/v1/global/attributions``: a bundle's per-genre maps, and batches over a user's own clips made
of ordinary explanation jobs, each finished here as a worker would."""

import pytest

from musicxai.service.ledger import JobStatus
from tests.support.http import assert_problem

pytestmark = pytest.mark.anyio


async def test_bundle_maps_and_pictures(api):
    maps = (await api.client.get("/v1/global/attributions")).json()
    assert maps["model"] == "tiny" and maps["clips"] == 10 and maps["time_bins"] == 10
    assert set(maps["rows"]) == {"time_band", "time_source"} and maps["rows"]["time_source"] == [
        "harmonic",
        "percussive",
    ]
    entry = next(iter(maps["genres"].values()))
    band = entry["views"]["time_band"]
    assert len(band["mean"]) == len(maps["rows"]["time_band"]) and len(band["mean"][0]) == 10
    assert sum(g["clips"] for g in maps["genres"].values()) == 10
    png = await api.client.get(maps["links"]["time_band"])
    assert png.headers["content-type"] == "image/png" and png.content[:4] == b"\x89PNG"
    cached = await api.client.get(maps["links"]["time_band"], headers={"If-None-Match": png.headers["etag"]})
    assert cached.status_code == 304


@pytest.mark.parametrize(
    "path", ["/v1/global/attributions/genre_maps.json", "/v1/global/attributions/..%2Fmodel.keras"]
)
async def test_unknown_pictures_are_404(api, path):
    assert_problem(await api.client.get(path), 404)


async def test_unknown_model_is_404(api):
    assert_problem(await api.client.get("/v1/global/attributions", params={"model": "nope"}), 404)


@pytest.mark.slow
async def test_a_batch_queues_two_jobs_per_clip_and_aggregates_them_when_they_finish(api):
    ids = [(await api.predict(4.0, clip=c)).json()["id"] for c in (41, 42)]
    created = await api.client.post("/v1/global/attributions/batches", json={"prediction_ids": [*ids, ids[0]]})
    assert created.status_code == 202, created.text
    batch = created.json()
    assert created.headers["location"] == batch["links"]["self"]
    assert batch["status"] == "queued" and batch["clips"] == 2 and len(batch["members"]) == 4
    assert {m["view"] for m in batch["members"]} == {"time_band", "time_source"}
    assert batch["result"] is None and "time_band" not in batch["links"]
    assert_problem(await api.client.get(f"{batch['links']['self']}/time_band.png"), 404)

    again = await api.client.post("/v1/global/attributions/batches", json={"prediction_ids": ids[::-1]})
    assert again.json()["id"] == batch["id"]  # idempotent, whatever the order

    for member in batch["members"]:
        job = await api.finish(member["job_id"])
        assert job["status"] == "succeeded"
    done = (await api.client.get(batch["links"]["self"])).json()
    assert done["status"] == "succeeded" and done["progress"] == 1.0 and done["clips_explained"] == 2
    maps = done["result"]
    assert maps["clips"] == 2 and sum(g["clips"] for g in maps["genres"].values()) == 2
    png = await api.client.get(done["links"]["time_source"])
    assert png.status_code == 200 and png.content[:4] == b"\x89PNG"


async def fail(api, job_ids) -> None:
    for job_id in job_ids:
        api.app.state.dataplane.ledger.update(job_id, status=JobStatus.failed, stage="failed", error="decoder crashed")


@pytest.mark.slow
async def test_a_failed_member_leaves_its_clip_out_and_a_batch_fails_only_when_every_clip_did(api):
    ids = [(await api.predict(4.0, clip=c)).json()["id"] for c in (43, 44)]
    batch = (await api.client.post("/v1/global/attributions/batches", json={"prediction_ids": ids, "seed": 3})).json()
    failed = {m["job_id"] for m in batch["members"] if m["prediction_id"] == ids[0]}
    await fail(api, failed)
    running = (await api.client.get(batch["links"]["self"])).json()
    assert running["status"] == "running" and running["progress"] == 0.5  # half the members have ended
    for member in batch["members"]:
        if member["job_id"] not in failed:
            await api.finish(member["job_id"])
    done = (await api.client.get(batch["links"]["self"])).json()
    assert done["status"] == "succeeded" and done["clips_explained"] == 1 and done["result"]["clips"] == 1
    assert {m["error"] for m in done["members"] if m["job_id"] in failed} == {"decoder crashed"}

    batch = (await api.client.post("/v1/global/attributions/batches", json={"prediction_ids": ids, "seed": 4})).json()
    await fail(api, [m["job_id"] for m in batch["members"]])
    done = (await api.client.get(batch["links"]["self"])).json()
    assert done["status"] == "failed" and done["result"] is None and "No clip" in done["error"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"prediction_ids": ["a" * 64]}, 422),  # one clip is no batch
        ({"prediction_ids": ["a" * 64, "a" * 64]}, 422),  # duplicates count once
        ({"prediction_ids": [f"{i:064x}" for i in range(25)]}, 422),  # past MUSICXAI_MAX_BATCH_CLIPS
        ({"prediction_ids": ["a" * 64, "b" * 64]}, 404),  # never uploaded
        ({"prediction_ids": ["a" * 64, "b" * 64], "method": "occlusion"}, 422),
        ({"prediction_ids": ["a" * 64, "b" * 64], "surprise": 1}, 422),
    ],
)
async def test_bad_batches_are_problems(api, body, status):
    assert_problem(await api.client.post("/v1/global/attributions/batches", json=body), status)


async def test_unknown_batch_is_404(api):
    assert_problem(await api.client.get("/v1/global/attributions/batches/b" + "0" * 31), 404)
    assert_problem(await api.client.get("/v1/global/attributions/batches/../../clips"), 404)
