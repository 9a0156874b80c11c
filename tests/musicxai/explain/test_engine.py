import dataclasses

import numpy as np
import pytest

from musicxai.errors import ParameterError
from musicxai.explain.clip_games import explain_lime, explain_shap
from musicxai.explain.engine import PerturbationEngine, _distinct_rows
from musicxai.explain.sampling import lime_masks
from tests.support.explain import NaiveEngine, seg_for


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["temporal", "time_frequency", "sources", "superpixel"])
def test_memoised_engine_matches_naive_engine_with_fewer_windows(clip, classifier, kind):
    seg = seg_for(clip, classifier, kind)
    Z = lime_masks(seg.k, 120, np.random.default_rng(0))
    fast, naive = PerturbationEngine(classifier, seg, max_batch_windows=64), NaiveEngine(classifier, seg)
    np.testing.assert_allclose(fast(Z), naive(Z), atol=1e-6)
    assert fast.stats.windows_evaluated <= naive.stats.windows_evaluated
    if kind in ("temporal", "sources"):
        assert fast.stats.windows_evaluated < naive.stats.windows_evaluated / 4


@pytest.mark.slow
def test_locality_gives_identical_lime_and_shap_attributions_and_fewer_model_calls(clip, classifier):
    seg = seg_for(clip, classifier, "temporal", segment_seconds=1.0)
    fast, naive = PerturbationEngine(classifier, seg), NaiveEngine(classifier, seg)
    lime_fast = explain_lime(fast, [0, 3], num_samples=200, seed=5)
    lime_naive = explain_lime(naive, [0, 3], num_samples=200, seed=5)
    for t in (0, 3):
        np.testing.assert_allclose(lime_fast.weights[t], lime_naive.weights[t], atol=1e-6)
    shap_fast = explain_shap(fast, [0], num_samples=200, seed=5)
    shap_naive = explain_shap(naive, [0], num_samples=200, seed=5)
    np.testing.assert_allclose(shap_fast.weights[0], shap_naive.weights[0], atol=1e-6)
    assert fast.stats.windows_evaluated * 10 < naive.stats.windows_evaluated
    assert fast.stats.model_calls < naive.stats.model_calls


def test_memory_is_reused_across_calls(clip, classifier):
    seg = seg_for(clip, classifier, "temporal")
    engine = PerturbationEngine(classifier, seg)
    Z = lime_masks(seg.k, 50, np.random.default_rng(1))
    first = engine(Z)
    evaluated = engine.stats.windows_evaluated
    np.testing.assert_array_equal(engine(Z), first)
    assert engine.stats.windows_evaluated == evaluated


@pytest.mark.slow
def test_progress_is_reported_up_to_one(clip, classifier):
    seen = []
    seg = seg_for(clip, classifier, "time_frequency")
    engine = PerturbationEngine(classifier, seg, max_batch_windows=32)
    engine(lime_masks(seg.k, 40, np.random.default_rng(2)), progress=seen.append)
    assert len(seen) > 1 and seen == sorted(seen) and seen[-1] == 1.0
    later = []
    engine(lime_masks(seg.k, 40, np.random.default_rng(3)), progress=later.append)
    assert later and later[-1] == 1.0 and len(seen) > 1  # each call reports to its own listener


@pytest.mark.slow
def test_shap_values_add_up_and_lime_reports_its_fit(clip, classifier):
    seg = seg_for(clip, classifier, "time_frequency", n_bands=4)
    engine = PerturbationEngine(classifier, seg)
    shap_result = explain_shap(engine, [2], num_samples=300, seed=0)
    assert shap_result.quality[2]["additivity_error"] < 1e-6
    lime_result = explain_lime(engine, [2], num_samples=300, seed=0)
    assert lime_result.weights[2].shape == (seg.k,)
    assert -1.0 <= lime_result.quality[2]["r2"] <= 1.0


def test_bad_engine_input_is_refused(clip, classifier):
    seg = seg_for(clip, classifier, "temporal")
    engine = PerturbationEngine(classifier, seg)
    with pytest.raises(ParameterError, match="empty"):
        engine(np.zeros((0, seg.k), dtype=bool))
    with pytest.raises(ParameterError, match="shape"):
        engine(np.ones((3, seg.k + 1), dtype=bool))
    with pytest.raises(ParameterError, match="at least one window"):
        PerturbationEngine(classifier, seg, max_batch_windows=0)
    broken = dataclasses.replace(seg, S=seg.S.copy())  # never the module's clip
    broken.S[0, 0] = np.nan
    with pytest.raises(ParameterError, match="NaN"):
        PerturbationEngine(classifier, broken)


@pytest.mark.parametrize("width", [1, 16, 64, 65, 130])
def test_distinct_rows_round_trip_with_one_key_per_distinct_local_mask(width):
    """Integer keys up to 64 segments per window, packed bytes beyond: both must be exact."""
    rng = np.random.default_rng(width)
    local = rng.integers(0, 2, size=(300, width)).astype(bool)
    local[150:] = local[:150]  # every row at least twice
    distinct, inverse, keys = _distinct_rows(local)
    np.testing.assert_array_equal(distinct[inverse], local)
    assert len(keys) == len(set(keys)) == len(distinct) == len(np.unique(local, axis=0))
