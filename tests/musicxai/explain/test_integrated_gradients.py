"""Integrated gradients on segments: exact occlusion effects for a model linear in its input, a
deterministic ranking, and the gap to completeness reported for a real one."""

import numpy as np
import pytest

from musicxai.explain.attribution import Method
from musicxai.explain.engine import PerturbationEngine
from musicxai.explain.integrated_gradients import explain_gradient
from musicxai.explain.methods import attribute
from musicxai.model.classifier import GenreClassifier
from musicxai.model.runner import ModelRunner
from tests.support.explain import seg_for


@pytest.fixture(scope="module")
def linear(classifier):
    """The tiny bundle's settings around a model that is linear in its input (no activation)."""
    import keras

    keras.utils.set_random_seed(0)
    inputs = keras.Input(classifier.features.input_shape)
    outputs = keras.layers.Dense(len(classifier.genres))(keras.layers.Flatten()(inputs))
    return GenreClassifier(classifier.meta, ModelRunner(keras.Model(inputs, outputs)))


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["temporal", "time_frequency", "sources"])
def test_for_a_linear_model_the_weights_are_the_occlusion_effects(clip, linear, kind):
    seg = seg_for(clip, linear, kind, segment_seconds=1.5, n_bands=3)
    engine = PerturbationEngine(linear, seg)
    attribution = explain_gradient(engine, [1], steps=2)
    everything = np.ones(seg.k, dtype=bool)
    without = ~np.eye(seg.k, dtype=bool)
    effects = engine(everything[None])[0, 1] - engine(without)[:, 1]
    np.testing.assert_allclose(attribution.weights[1], effects, rtol=1e-3, atol=1e-5)
    if kind != "sources":  # label segments add up to the whole change: completeness holds
        assert attribution.quality[1]["completeness_gap"] < 1e-3


@pytest.mark.slow
def test_a_real_model_gets_a_deterministic_ranking_and_its_completeness_gap(clip, classifier):
    seg = seg_for(clip, classifier, "time_frequency", segment_seconds=1.5, n_bands=4)
    first = attribute(Method.gradient, PerturbationEngine(classifier, seg), [0], num_samples=10, seed=0)
    again = attribute(Method.gradient, PerturbationEngine(classifier, seg), [0], num_samples=999, seed=7)
    np.testing.assert_array_equal(first.weights[0], again.weights[0])  # samples and seed play no part
    assert first.replicates is None and first.method is Method.gradient
    quality = first.quality[0]
    assert quality["completeness_gap"] >= 0 and 0 <= quality["all_off_prediction"] <= 1
    assert first.base_value[0] == pytest.approx(quality["model_prediction"] - first.weights[0].sum())
