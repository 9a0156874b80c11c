"""LIME's draws: complementary pairs, the rounds schedule, and stopping once the ranking holds."""

import itertools
from types import SimpleNamespace

import numpy as np
import pytest
from pydantic import ValidationError

from musicxai.explain.clip_games import explain_lime
from musicxai.explain.params import ExplanationParams
from musicxai.explain.sampling import FIRST_ROUND, SamplingPlan, lime_masks, schedule

pytestmark = pytest.mark.unit


class LinearGame:
    """A clip game whose output is a known linear function of the kept segments, plus noise of a
    given size that depends only on the mask (the same mask always answers the same)."""

    def __init__(self, effects: np.ndarray, noise: float = 0.0) -> None:
        self.effects, self.noise = effects, noise
        self.segmentation = SimpleNamespace(k=len(effects))
        self.asked = 0

    def __call__(self, Z: np.ndarray, *, progress=None) -> np.ndarray:
        self.asked += len(Z)
        seeds = np.packbits(Z, axis=1).sum(axis=1) * 7919 + Z.sum(axis=1)
        jitter = np.array([np.random.default_rng(int(s)).normal() for s in seeds]) * self.noise
        p = 0.1 + Z.astype(float) @ self.effects + jitter
        return np.stack([p, 1 - p], axis=1)


def test_paired_masks_follow_each_mask_with_its_complement():
    Z = lime_masks(12, 41, np.random.default_rng(0), paired=True)
    assert Z[0].all() and not Z[1].any()
    np.testing.assert_array_equal(Z[3:40:2], ~Z[2:40:2])
    # a foldover is balanced: every segment is kept in exactly half of the paired rows
    np.testing.assert_array_equal(Z[:40].sum(axis=0), 20)


def test_unpaired_masks_are_lime_images_uniform_draw():
    Z = lime_masks(7, 30, np.random.default_rng(5))
    expected = np.random.default_rng(5).integers(0, 2, size=(30, 7)).astype(bool)
    expected[0] = True
    np.testing.assert_array_equal(Z, expected)


def test_schedule_grows_by_even_prefixes_to_the_cap():
    assert schedule(500, SamplingPlan()) == [500]
    sizes = schedule(500, SamplingPlan(stop_when_stable=0.9))
    assert sizes[0] == FIRST_ROUND and sizes[-1] == 500
    assert all(b > a for a, b in itertools.pairwise(sizes))
    assert all(n % 2 == 0 for n in sizes[:-1])
    assert schedule(FIRST_ROUND, SamplingPlan(stop_when_stable=0.9)) == [FIRST_ROUND]


def test_a_clear_ranking_stops_early_and_finds_the_evidence():
    effects = np.zeros(30)
    effects[[3, 11, 17, 22, 28]] = [0.12, 0.1, 0.08, 0.06, 0.05]
    game = LinearGame(effects, noise=0.002)
    plan = SamplingPlan(paired=True, stop_when_stable=0.9)
    attribution = explain_lime(game, [0], num_samples=600, seed=1, sampling=plan)
    report = attribution.sampling
    assert report.converged and report.top_k_overlap >= 0.9
    assert report.samples_per_game < 600 and game.asked < 600  # the engine was asked only the rounds' masks
    assert set(np.argsort(-attribution.weights[0])[:5]) == {3, 11, 17, 22, 28}


def test_noise_without_a_ranking_runs_to_the_cap_and_says_so():
    game = LinearGame(np.zeros(30), noise=0.05)
    attribution = explain_lime(game, [0], num_samples=120, sampling=SamplingPlan(stop_when_stable=0.99))
    report = attribution.sampling
    assert (
        not report.converged
        and report.samples_per_game == 120
        and report.rounds == len(schedule(120, SamplingPlan(stop_when_stable=0.99)))
    )


def test_fixed_sampling_reports_one_round():
    attribution = explain_lime(LinearGame(np.linspace(0, 0.1, 20)), [0], num_samples=80)
    assert attribution.sampling.rounds == 1 and attribution.sampling.converged and not attribution.sampling.paired


def test_lime_sampling_is_refused_for_other_methods_and_bundle_defaults_skip_them():
    with pytest.raises(ValidationError, match="KernelExplainer weighs and pairs its coalitions itself"):
        ExplanationParams(method="shap", paired=True)
    with pytest.raises(ValidationError, match="kernel_width choose how LIME weighs"):
        ExplanationParams(method="gradient", kernel_width=0.5)
    defaults = {"paired": True, "stop_when_stable": 0.9, "kernel_width": 0.5, "num_samples": 48}
    shap = ExplanationParams(method="shap").with_defaults(defaults)
    assert not shap.paired and shap.stop_when_stable is None and shap.num_samples == 48
    assert shap.kernel_width == ExplanationParams().kernel_width
    lime = ExplanationParams().with_defaults(defaults)
    assert lime.sampling == SamplingPlan(paired=True, stop_when_stable=0.9)


def test_a_stored_record_of_another_method_reads_back():
    # a job record stores every field; LIME's defaults in it are not asked for
    for method in ("shap", "gradient"):
        stored = ExplanationParams(method=method).model_dump_json()
        assert ExplanationParams.model_validate_json(stored).method.value == method
