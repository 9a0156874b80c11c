"""Models made elsewhere, end to end over HTTP: a Hugging Face-layout waveform ONNX folder, an AST-style
filterbank ONNX export, a multi-label ONNX model fed in chunks, and a scikit-learn pipeline named as
a Python callable. Each is wrapped with ``bundle create``, served beside the others, predicted,
explained (preview, LIME, SHAP, evidence audio, faithfulness, stability, compare) and batched. The
two musicnn taggers shipped in ``models/`` tag a real recording and explain a tag one asks about."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from musicxai.model.inputs import Waveform
from musicxai.model.outputs import Output
from tests.support.app import app_settings, serving
from tests.support.http import assert_problem
from tests.support.models import LABELS, RATE, band_clip, optimum_folder, waveform_model
from training.hf_export import read_export
from training.own_bundle import create_bundle
from training.sanity import record_sanity_checks

pytestmark = [pytest.mark.anyio, pytest.mark.slow]
KINDS = ("hf-wave", "hf-ast", "tags", "sklearn")
HIGH_BAND_HZ = 3000.0  # the loud band is at 4 kHz: its segments start above this
REPO_MODELS = Path(__file__).parents[2] / "models"
MUSIC = Path(__file__).parents[1] / "fixtures" / "music-tuxi.flac"  # a real recording (its README says whence)


@pytest.fixture(scope="module")
async def own_models(tmp_path_factory):
    root = tmp_path_factory.mktemp("own")
    models = root / "models"
    for name, kind in (("hf-wave", "waveform"), ("hf-ast", "fbank")):
        export = read_export(optimum_folder(root / f"export-{name}", kind=kind))
        create_bundle(export.model, models / name, genres=export.labels, model_input=export.model_input,
                      output=export.output, provenance=export.provenance)  # fmt: skip
    create_bundle(waveform_model(root / "tags.onnx", logits=False), models / "tags", genres=LABELS,
                  model_input=Waveform(chunk_seconds=2.0), output=Output(kind="tags"))  # fmt: skip
    create_bundle("tests.support.sklearn_bands:predict", models / "sklearn", genres=LABELS, model_input=Waveform())
    clip = root / "loud-high.wav"
    sf.write(clip, band_clip(4.0, loud=2), RATE)
    record_sanity_checks(models / "tags", [clip], steps=2)
    async with serving(app_settings(models / "hf-wave", root / "data")) as api:
        yield api


def _upload(seconds: float = 6.0, loud: int = 2, seed: int = 0) -> dict:
    buffer = io.BytesIO()
    sf.write(buffer, band_clip(seconds, loud=loud, seed=seed), RATE, format="WAV", subtype="FLOAT")
    return {"file": ("bands.wav", buffer.getvalue(), "audio/wav")}


async def test_models_say_what_each_takes_answers_and_comes_from(own_models):
    models = {m["name"]: m for m in (await own_models.client.get("/v1/models")).json()["models"]}
    assert set(KINDS) <= set(models)
    assert models["hf-wave"]["input"]["kind"] == "waveform" and models["hf-wave"]["input"]["normalize"] is True
    assert models["hf-wave"]["provenance"]["architectures"] == ["HubertForSequenceClassification"]
    assert models["hf-ast"]["input"]["extractor"] == "kaldi" and models["hf-ast"]["input"]["scale"] == 2.0
    assert models["tags"]["output"] == {"kind": "tags", "activation": "none"}
    assert models["sklearn"]["model_format"] == "callable" and not models["sklearn"]["gradients"]
    assert models["hf-wave"]["output"] == {"kind": "exclusive", "activation": "softmax"}
    checks = models["tags"]["sanity_checks"]  # what `musicxai bundle check` stored
    assert set(checks["methods"]) == {"lime", "shap"} and checks["clips"] == ["loud-high.wav"]
    assert [s["layers"] for s in checks["methods"]["lime"]["randomisation"]] == [1, 2]
    assert isinstance(checks["methods"]["shap"]["survives_randomisation"], bool)
    assert models["hf-wave"]["sanity_checks"] is None


@pytest.mark.parametrize("model", KINDS)
async def test_each_kind_is_predicted_and_explained_where_its_evidence_is(own_models, model):
    client = own_models.client
    prediction = (await client.post("/v1/predictions", params={"model": model}, files=_upload())).json()
    probs = prediction["probabilities"]
    assert max(probs, key=probs.get) == "high", probs
    if model == "tags":
        assert prediction["kind"] == "tags" and prediction["windows"] == 3 and sum(probs.values()) > 1.5
    else:
        assert prediction["kind"] == "exclusive" and sum(probs.values()) == pytest.approx(1, abs=1e-3)
    ids = {}
    for method in ("lime", "shap"):
        asked = {"prediction_id": prediction["id"], "model": model, "method": method, "segmentation": "time_frequency",
                 "faithfulness_points": 10, "random_orders": 2}  # fmt: skip
        job = await own_models.finish((await client.post("/v1/explanations", json=asked)).json()["id"])
        assert job["status"] == "succeeded", job["error"]
        ids[method] = job["id"]
        result = job["result"]
        weights = np.asarray(result["weights"]["high"])
        top = result["segments"][int(np.argmax(weights))]
        assert top["low_hz"] >= HIGH_BAND_HZ and top["start_s"] >= 2.9, top  # the loud band, second half
        assert job["preview"]["genre"] == "high" and result["faithfulness"]["high"]["deletion"]
        assert result["stability"]["high"] is not None
        listening = result["listening"]
        assert listening["label"] == "high" and 0 < listening["area"] < 1
        assert listening["evidence"]["faithfulness"] > listening["control"]["faithfulness"]  # beats random area
        evidence, rate = sf.read(io.BytesIO((await client.get(job["links"]["audio"])).content))
        assert rate == RATE and len(evidence) == 6 * RATE
    report = (await client.get(f"/v1/explanations/{ids['lime']}/compare/{ids['shap']}")).json()
    assert report["genre"] == "high" and report["top_a"][0] in report["top_b"]  # both find the loud band first


async def test_a_per_label_batch_of_own_clips_runs_on_an_onnx_model(own_models):
    client = own_models.client
    ids = []
    for seed, loud in enumerate((0, 2)):
        ids.append(
            (await client.post("/v1/predictions", params={"model": "hf-wave"}, files=_upload(4.0, loud, seed))).json()[
                "id"
            ]
        )
    batch = (
        await client.post("/v1/global/attributions/batches", json={"prediction_ids": ids, "model": "hf-wave"})
    ).json()
    for member in batch["members"]:
        await own_models.finish(member["job_id"])
    done = (await client.get(batch["links"]["self"])).json()
    assert done["status"] == "succeeded", done
    assert done["clips_explained"] == 2 and set(done["result"]["genres"]) <= set(LABELS)


async def test_gradients_and_log_mel_baselines_are_refused_for_audio_models(own_models):
    client = own_models.client
    prediction = (await client.post("/v1/predictions", params={"model": "hf-ast"}, files=_upload(4.0))).json()
    asked = {"prediction_id": prediction["id"], "model": "hf-ast"}
    gradient = assert_problem(await client.post("/v1/explanations", json={**asked, "method": "gradient"}), 422)
    assert "no input gradients" in gradient["detail"] and "lime or shap" in gradient["detail"]
    baseline = assert_problem(await client.post("/v1/explanations", json={**asked, "baseline": "mean"}), 422)
    assert "silent" in baseline["detail"]


@pytest.fixture(scope="module")
async def taggers(tmp_path_factory):
    root = tmp_path_factory.mktemp("taggers")
    (root / "models").mkdir()
    for name in ("musicnn-msd", "musicnn-mtt"):
        (root / "models" / name).symlink_to(REPO_MODELS / name)
    async with serving(app_settings(root / "models" / "musicnn-mtt", root / "data")) as api:
        yield api


@pytest.mark.parametrize(("model", "methods"), [("musicnn-msd", ["lime"]), ("musicnn-mtt", ["lime", "shap"])])
async def test_the_taggers_tag_real_music_and_explain_a_chosen_tag_with_their_own_defaults(taggers, model, methods):
    client = taggers.client
    samples, rate = sf.read(MUSIC)
    buffer = io.BytesIO()
    sf.write(buffer, samples[: 6 * rate], rate, format="FLAC")
    files = {"file": ("music.flac", buffer.getvalue(), "audio/flac")}
    prediction = (await client.post("/v1/predictions", params={"model": model}, files=files)).json()
    assert prediction["kind"] == "tags" and len(prediction["probabilities"]) == 50 and prediction["windows"] == 2
    tag = prediction["top"][1]  # the second strongest: any tag can be asked about
    ids = []
    for method in methods:
        asked = {"prediction_id": prediction["id"], "model": model, "method": method, "genres": [tag], "n_bands": 2}
        job = await taggers.finish((await client.post("/v1/explanations", json=asked)).json()["id"])
        assert job["status"] == "succeeded", job["error"]
        result = job["result"]
        assert result["explained_genres"] == [tag] and result["params"]["n_bands"] == 2  # asked beats the bundle's
        assert result["params"]["faithfulness_points"] == 16  # not asked: the bundle's cheaper default
        assert len(result["faithfulness"][tag]["deletion"]) <= 17 and result["faithfulness"][tag]["n_random"] == 2
        evidence, evidence_rate = sf.read(io.BytesIO((await client.get(job["links"]["audio"])).content))
        assert evidence_rate == 16000 and len(evidence) == 6 * 16000
        ids.append(job["id"])
    if len(ids) == 2:
        report = (await client.get(f"/v1/explanations/{ids[0]}/compare/{ids[1]}")).json()
        assert report["genre"] == tag and report["segments"] == len(result["segments"])


async def test_a_budget_of_model_seconds_cuts_the_sampling_and_says_so(own_models):
    client = own_models.client
    prediction = (await client.post("/v1/predictions", params={"model": "hf-ast"}, files=_upload(4.0))).json()
    asked = {"prediction_id": prediction["id"], "model": "hf-ast", "max_model_seconds": 0.05}
    job = await own_models.finish((await client.post("/v1/explanations", json=asked)).json()["id"])
    assert job["status"] == "succeeded", job["error"]
    budget, params = job["result"]["budget"], job["result"]["params"]
    assert budget["cut"] and budget["max_model_seconds"] == 0.05
    assert params["num_samples"] == budget["num_samples"] < 64 and params["faithfulness_points"] < 40
