"""``/v1/models`` and ``/v1/options``: what the service can use, and each choice from its one definition."""

import pytest

from musicxai.explain.attribution import Games, Method
from musicxai.explain.baseline import Baseline
from musicxai.explain.params import ExplanationParams
from musicxai.explain.segmentation import SegmentationKind

pytestmark = pytest.mark.anyio


async def test_models_lists_the_bundle_with_split_metrics_and_limits(api):
    models = (await api.client.get("/v1/models")).json()
    assert models["default"] == models["models"][0]["name"]
    entry = models["models"][0]
    assert entry["split"]["unit"] == "track" and "test_tracks" not in entry["split"]
    assert len(entry["genres"]) == 10 and entry["backend"] == "tensorflow" and entry["id"].startswith("tiny@")
    assert entry["metrics"]["tracks"] == 10 and entry["features"]["n_mels"] == 128
    assert models["limits"] == {
        "max_upload_bytes": 2 * 1024 * 1024,
        "max_duration_s": 12.0,
        "min_duration_s": 1.0,
        "max_num_samples": 2000,
        "accepted_formats": models["limits"]["accepted_formats"],
    }
    assert "WAV" in models["limits"]["accepted_formats"]


async def test_options_offer_every_choice_the_core_defines_with_its_defaults(api):
    options = (await api.client.get("/v1/options")).json()
    assert [m["value"] for m in options["methods"]] == [m.value for m in Method]
    assert [s["value"] for s in options["segmentations"]] == [s.value for s in SegmentationKind]
    assert [b["value"] for b in options["baselines"]] == [b.value for b in Baseline]
    assert [g["value"] for g in options["games"]] == [g.value for g in Games]
    keys = ("methods", "games", "segmentations", "baselines")
    assert all(choice["label"] for key in keys for choice in options[key])
    assert options["defaults"] == ExplanationParams().model_dump(mode="json")
    assert options["max_num_samples"] == 2000
