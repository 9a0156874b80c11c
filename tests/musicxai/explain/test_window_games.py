import itertools
import math

import numpy as np
import pytest
from scipy.stats import spearmanr

from musicxai.errors import ParameterError
from musicxai.explain.attribution import Games
from musicxai.explain.clip_games import explain_lime
from musicxai.explain.engine import PerturbationEngine
from musicxai.explain.methods import attribute
from musicxai.explain.window_games import _window_masks, explain_lime_windows, explain_shap_windows
from tests.support.explain import NaiveEngine, seg_for


def exact_shapley(engine, k: int, target: int) -> np.ndarray:
    """Shapley values of the clip game by the definition, over all 2^k coalitions."""
    coalitions = np.array(list(itertools.product([False, True], repeat=k)))
    value = dict(zip(map(tuple, coalitions), engine(coalitions)[:, target], strict=True))
    phi = np.zeros(k)
    for c in coalitions:
        size = int(c.sum())
        for i in np.flatnonzero(~c):
            with_i = c.copy()
            with_i[i] = True
            share = math.factorial(size) * math.factorial(k - size - 1) / math.factorial(k)
            phi[i] += share * (value[tuple(with_i)] - value[tuple(c)])
    return phi


@pytest.mark.slow
def test_window_games_give_the_clip_games_exact_shapley_values(clip, classifier):
    seg = seg_for(clip, classifier, "temporal", segment_seconds=1.7)  # 6 segments, 2-3 per window
    engine = PerturbationEngine(classifier, seg)
    assert max(len(engine.players(w)) for w in range(engine.n_windows)) >= 3
    attribution = explain_shap_windows(engine, [0, 2], num_samples=64)  # every coalition of each window
    for target in (0, 2):
        np.testing.assert_allclose(
            attribution.weights[target], exact_shapley(NaiveEngine(classifier, seg), seg.k, target), atol=1e-5
        )
        assert attribution.quality[target]["additivity_error"] < 1e-6
    assert engine.stats.windows_evaluated <= sum(2 ** len(engine.players(w)) for w in range(engine.n_windows))


@pytest.mark.slow
def test_windowed_lime_ranks_like_the_exact_values_with_far_fewer_windows(clip, classifier):
    seg = seg_for(clip, classifier, "time_frequency", segment_seconds=1.5, n_bands=4)
    windowed, whole = PerturbationEngine(classifier, seg), PerturbationEngine(classifier, seg)
    target = int(np.argmax(windowed(np.ones((1, seg.k), dtype=bool))[0]))
    ours = explain_lime_windows(windowed, [target], num_samples=64, seed=1).weights[target]
    shapley = explain_shap_windows(PerturbationEngine(classifier, seg), [target], num_samples=256).weights[target]
    classic = explain_lime(whole, [target], num_samples=1000, seed=1).weights[target]
    assert spearmanr(ours, shapley).statistic > 0.8
    assert windowed.stats.windows_evaluated <= 64 * windowed.n_windows < whole.stats.windows_evaluated
    assert spearmanr(ours, shapley).statistic >= spearmanr(classic, shapley).statistic - 0.1


def test_small_window_games_are_enumerated_with_the_unperturbed_window_first():
    every = _window_masks(3, 8, np.random.default_rng(0), paired=False)
    assert every[0].all() and len({tuple(row) for row in every}) == 8
    sampled = _window_masks(16, 64, np.random.default_rng(0), paired=False)
    assert sampled.shape == (64, 16) and sampled[0].all()


def test_attribute_dispatches_on_games_and_refuses_bad_choices(clip, classifier):
    seg = seg_for(clip, classifier, "temporal", segment_seconds=2.0)
    engine = PerturbationEngine(classifier, seg)
    for games in Games:
        assert attribute("lime", engine, [1], num_samples=20, seed=0, games=games).weights[1].shape == (seg.k,)
    with pytest.raises(ParameterError, match="games"):
        attribute("lime", engine, [1], num_samples=20, seed=0, games="tiles")
    with pytest.raises(ParameterError, match="num_samples"):
        explain_shap_windows(engine, [1], num_samples=1)
    with pytest.raises(ParameterError, match="window 0"):
        engine.windows({0: np.ones((2, len(engine.players(0)) + 1), dtype=bool)})
