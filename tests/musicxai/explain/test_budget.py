"""A per-job budget of model seconds: the plan bounds what a job can evaluate, and a tight budget cuts
samples and curve points in proportion, never below their floors."""

import numpy as np
import pytest

from musicxai.audio.decode import DecodedAudio
from musicxai.explain.budget import MIN_POINTS, MIN_SAMPLES, fit_budget, planned_pieces
from musicxai.explain.params import ExplanationParams
from musicxai.explain.pipeline import build_engine, explain_clip


@pytest.fixture(scope="module")
def engine(classifier):
    samples = np.random.default_rng(0).standard_normal(6 * classifier.features.sample_rate).astype(np.float32) * 0.1
    audio = DecodedAudio(samples, classifier.features.sample_rate, 6.0)
    return build_engine(classifier, audio, ExplanationParams().engine_spec()), audio


def test_a_job_evaluates_no_more_pieces_than_its_plan(classifier, engine):
    engine, audio = engine
    params = ExplanationParams(faithfulness_points=10, random_orders=2)
    before = engine.stats.windows_evaluated
    explain_clip(classifier, engine, audio, params, progress=lambda f, s: None)
    assert engine.stats.windows_evaluated - before <= planned_pieces(engine, params, 1) + engine.n_windows


def test_a_tight_budget_cuts_samples_and_points_in_proportion_to_their_floors(engine):
    engine, _ = engine
    params = ExplanationParams(max_model_seconds=1.0)
    cost = planned_pieces(engine, params, 1) * 1e-3  # 1 ms a piece
    roomy, plan = fit_budget(engine, params, 1, 1e-3 * 0.5 / cost)  # the plan takes half the budget
    assert roomy == params and not plan.cut
    half, plan = fit_budget(engine, params, 1, 2e-3 / cost)  # twice the budget
    assert plan.cut and half.num_samples == params.samples // 2
    assert half.faithfulness_points == params.faithfulness_points // 2
    starved, plan = fit_budget(engine, params, 1, 1.0)
    assert (starved.num_samples, starved.faithfulness_points) == (MIN_SAMPLES, MIN_POINTS)
