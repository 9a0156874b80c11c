"""``/v1/global/ale``: the bundle's ALE index, plots and curves, cached by version, nothing else."""

import pytest

from tests.support.http import assert_problem

pytestmark = pytest.mark.anyio


async def test_global_ale_index_plot_and_curves(api):
    index = (await api.client.get("/v1/global/ale")).json()
    names = [d["name"] for d in index["descriptors"]]
    assert index["model"] == "tiny" and index["bins"] == 4
    assert "centroid" in names and all(d["unit"] for d in index["descriptors"])
    png = await api.client.get(index["descriptors"][0]["links"]["png"])
    assert png.headers["content-type"] == "image/png" and png.content[:4] == b"\x89PNG"
    curves = await api.client.get("/v1/global/ale/centroid.json")
    assert len(curves.json()["effects"]) == 10
    cached = await api.client.get("/v1/global/ale/centroid.json", headers={"If-None-Match": curves.headers["etag"]})
    assert cached.status_code == 304


async def test_links_keep_the_model_that_was_asked_for(api):
    index = (await api.client.get("/v1/global/ale", params={"model": "tiny"})).json()
    assert index["descriptors"][0]["links"]["json"].endswith(".json?model=tiny")


@pytest.mark.parametrize(
    "path", ["/v1/global/ale/danceability.png", "/v1/global/ale/../bundle.json", "/v1/global/ale/index.json.bak"]
)
async def test_unknown_or_traversing_names_are_404(api, path):
    assert_problem(await api.client.get(path), 404)


async def test_unknown_model_is_404(api):
    assert_problem(await api.client.get("/v1/global/ale", params={"model": "nope"}), 404)
