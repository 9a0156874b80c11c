"""Stability: bootstrap re-fits of an explanation's own samples, summarised against its ranking."""

import numpy as np
import pytest

from musicxai.explain.clip_games import explain_lime, explain_shap
from musicxai.explain.engine import PerturbationEngine
from musicxai.explain.stability import REFITS, bootstrap_rows, summarize
from musicxai.explain.surrogates import _identifying_rows, kernel_shap, refit_lime
from musicxai.explain.window_games import explain_lime_windows, explain_shap_windows
from tests.support.explain import seg_for


def test_summary_counts_identical_reversed_and_exact_rankings():
    weights = np.arange(10.0)
    same = summarize(weights, np.tile(weights, (4, 1)), top_k=3)
    assert (same.exact, same.refits, same.top_k_same, same.top_k_overlap, same.kendall_tau) == (False, 4, 4, 1.0, 1.0)
    reversed_ = summarize(weights, np.tile(weights[::-1], (4, 1)), top_k=3)
    assert reversed_.top_k_same == 0 and reversed_.top_k_overlap == 0.0 and reversed_.kendall_tau == -1.0
    one_swap = summarize(weights, np.stack([weights, np.r_[weights[1], weights[0], weights[2:]]]), top_k=3)
    assert one_swap.top_k_same == 2 and one_swap.kendall_tau_min < 1.0  # a swap outside the top 3 keeps it
    assert summarize(weights, None).exact and summarize(weights, None).top_k == 5


def test_lime_refits_of_a_noiseless_linear_game_keep_its_ranking_and_noise_moves_it():
    rng = np.random.default_rng(0)
    Z = rng.integers(0, 2, size=(200, 12)).astype(bool)
    Z[0] = True
    w = np.linspace(-0.5, 0.6, 12)
    clean = np.stack([Z @ w, 1 - Z @ w], axis=1)
    refits = refit_lime(Z, clean, [0], kernel_width=0.25, seed=0, rng=np.random.default_rng(1))[0]
    assert refits.shape == (REFITS, 12)
    exact_fit = summarize(w, refits)
    assert exact_fit.top_k_same == REFITS and exact_fit.kendall_tau == 1.0
    noisy = clean + rng.normal(0, 2.0, size=clean.shape)
    shaken = summarize(w, refit_lime(Z, noisy, [0], kernel_width=0.25, seed=0, rng=np.random.default_rng(1))[0])
    assert shaken.kendall_tau < exact_fit.kendall_tau and shaken.top_k_same < REFITS


def test_kernel_shap_refits_use_shaps_solver_and_leave_the_explainer_as_it_was():
    w = np.linspace(0.1, 1.0, 12)

    def game(Z):
        return (Z @ w + 0.3 * Z[:, 0] * Z[:, 1])[:, None]

    values, _, refits = kernel_shap(game, 12, 1, num_samples=300, seed=3, refits=REFITS)
    again, _, _ = kernel_shap(game, 12, 1, num_samples=300, seed=3)
    np.testing.assert_allclose(values, again)  # the re-fits changed nothing of the explanation
    assert refits.shape == (REFITS, 12, 1)
    np.testing.assert_allclose(refits.sum(axis=1)[:, 0], values.sum(), atol=1e-6)  # efficiency holds in each
    assert summarize(values[:, 0], refits[:, :, 0]).kendall_tau > 0.8
    assert (
        kernel_shap(lambda Z: Z.sum(axis=1, keepdims=True), 3, 1, num_samples=300, seed=3, refits=REFITS)[2] is None
    )  # 2^3 coalitions: exact


def test_window_games_played_on_every_coalition_are_exact(clip, classifier):
    seg = seg_for(clip, classifier, "temporal", segment_seconds=1.7)  # 2-3 players per window
    for explain in (explain_shap_windows, explain_lime_windows):
        attribution = explain(PerturbationEngine(classifier, seg), [0], num_samples=64)
        assert attribution.replicates is None


@pytest.mark.slow
@pytest.mark.parametrize("explain", [explain_lime_windows, explain_shap_windows])
def test_more_samples_per_game_give_a_steadier_ranking(clip, classifier, explain):
    seg = seg_for(clip, classifier, "time_frequency", segment_seconds=1.5, n_bands=4)  # 8 players per window
    target = 0
    few, many = (explain(PerturbationEngine(classifier, seg), [target], num_samples=n, seed=2) for n in (12, 200))
    assert few.replicates[target].shape == (REFITS, seg.k)
    steady, shaky = (
        summarize(many.weights[target], many.replicates[target]),
        summarize(few.weights[target], few.replicates[target]),
    )
    assert steady.kendall_tau > shaky.kendall_tau


@pytest.mark.parametrize("explain", [explain_lime, explain_shap])
def test_the_clip_game_has_refits_too(clip, classifier, explain):
    seg = seg_for(clip, classifier, "temporal", segment_seconds=1.0)  # 10 players
    attribution = explain(PerturbationEngine(classifier, seg), [1], num_samples=200, seed=0)
    assert attribution.replicates[1].shape == (REFITS, seg.k)
    assert summarize(attribution.weights[1], attribution.replicates[1]).kendall_tau > 0


def test_shap_refits_resample_coalitions_in_which_every_player_varies():
    masks = np.zeros((12, 3))
    masks[0] = 1  # player 2 is on in this coalition only: a third of plain resamples never switch it
    masks[1, 0] = masks[2, 1] = 1

    def varies(rows):
        return bool(np.all(masks[rows].max(axis=0) > masks[rows].min(axis=0)))

    assert not all(varies(bootstrap_rows(12, np.random.default_rng(seed))) for seed in range(20))
    assert all(varies(_identifying_rows(masks, np.random.default_rng(seed))) for seed in range(20))
