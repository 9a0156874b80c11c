"""One explanation job end to end in the core: the typed result, its artifacts, the engine cache."""

import json

import numpy as np
import pytest

from musicxai.audio.decode import DecodedAudio
from musicxai.errors import ParameterError
from musicxai.explain.engine_cache import EngineCache
from musicxai.explain.params import ExplanationParams, job_key
from musicxai.explain.pipeline import run_explanation
from musicxai.explain.result import ARTIFACT_FILES, ExplanationResult
from tests.support.audio import tone_clip


@pytest.fixture(scope="module")
def audio():
    y = np.concatenate([tone_clip(g, 0, 2.0) for g in range(5)])  # 10 s, 6 windows
    return DecodedAudio(y, 22050, len(y) / 22050)


@pytest.mark.slow
def test_engine_cache_lets_a_second_job_on_the_same_clip_reuse_model_calls(audio, classifier):
    lime = ExplanationParams(method="lime", segmentation="temporal", num_samples=150)
    shap = ExplanationParams(method="shap", segmentation="temporal", num_samples=150)
    cache = EngineCache()
    run_explanation(classifier, audio, lime, engines=cache, clip_id="clip-a")
    reused = run_explanation(classifier, audio, shap, engines=cache, clip_id="clip-a").result
    alone = run_explanation(classifier, audio, shap).result
    assert reused.weights == alone.weights
    assert reused.engine.windows_evaluated < alone.engine.windows_evaluated
    other_clip = run_explanation(classifier, audio, shap, engines=cache, clip_id="clip-b").result
    assert other_clip.engine.windows_evaluated == alone.engine.windows_evaluated


def test_engine_spec_tells_jobs_apart_only_where_their_windows_differ():
    lime, shap = ExplanationParams(method="lime"), ExplanationParams(method="shap", num_samples=400, seed=3)
    assert lime.engine_spec() == shap.engine_spec()  # same windows: the second job reuses the first
    assert lime.engine_spec() != ExplanationParams(n_bands=3).engine_spec()
    noise = ExplanationParams(baseline="noise")
    assert noise.engine_spec() != noise.model_copy(update={"seed": 1}).engine_spec()
    assert job_key("c" * 64, "m@1", lime) != job_key("c" * 64, "m@1", shap)
    assert job_key("c" * 64, "m@1", lime) == job_key("c" * 64, "m@1", ExplanationParams())


@pytest.mark.slow
def test_result_is_typed_and_its_json_artifact_is_the_same_record(audio, classifier):
    seen = []
    params = ExplanationParams(method="lime", segmentation="time_frequency", n_bands=2, num_samples=60, top_k=2)
    out = run_explanation(classifier, audio, params, progress=lambda f, stage: seen.append((f, stage)))
    assert set(out.artifacts) == set(ARTIFACT_FILES.values())
    stored = ExplanationResult.model_validate_json(out.artifacts["attributions.json"])
    assert stored.model_dump(mode="json") == out.result.model_dump(mode="json")
    assert json.loads(out.artifacts["attributions.json"])["params"]["method"] == "lime"
    assert len(out.result.evidence_segments) <= 2 and out.result.explained_genres[0] in classifier.genres
    assert {"segmentation", "explain", "faithfulness", "render", "model"} <= set(out.result.timings_s)
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and seen[-1] == (1.0, "done")


def test_genres_outside_the_model_are_refused(audio, classifier):
    with pytest.raises(ParameterError, match="polka"):
        run_explanation(classifier, audio, ExplanationParams(genres=["polka"], segmentation="temporal"))
