"""LIME and SHAP over the whole clip's game: every segment a player at once (the original notebooks'
way; :mod:`musicxai.explain.window_games` plays one small game per window instead).

The two differ only in how masks are sampled and weighted: LIME draws random masks and fits
lime's ``LimeBase`` (a kernel-weighted ridge surrogate); SHAP lets shap's ``KernelExplainer`` choose
coalitions and solve for Shapley values. Both get their model outputs from the one
:class:`~musicxai.explain.engine.PerturbationEngine`, so segment *i* means the same thing in both.
"""

from __future__ import annotations

import time

import numpy as np

from musicxai.errors import ParameterError
from musicxai.explain.attribution import NUM_SAMPLES, Attribution, Method
from musicxai.explain.engine import PerturbationEngine, Progress
from musicxai.explain.sampling import FIXED, SamplingPlan, lime_masks, sample_until_stable
from musicxai.explain.stability import REFITS, bootstrap_rng
from musicxai.explain.surrogates import LIME_KERNEL_WIDTH, fit_lime, kernel_shap, refit_lime


def explain_lime(
    engine: PerturbationEngine,
    targets: list[int],
    *,
    num_samples: int = NUM_SAMPLES,
    kernel_width: float = LIME_KERNEL_WIDTH,
    seed: int = 0,
    sampling: SamplingPlan = FIXED,
    progress: Progress | None = None,
) -> Attribution:
    if num_samples < 2:
        raise ParameterError(f"num_samples={num_samples} must be at least 2 for LIME")
    if kernel_width <= 0:
        raise ParameterError(f"kernel_width={kernel_width} must be positive")
    drawn = lime_masks(engine.segmentation.k, num_samples, np.random.default_rng(seed), paired=sampling.paired)

    def fit(n: int) -> Attribution:
        Z = drawn[:n]
        probs = engine(Z, progress=None if progress is None else lambda f: progress(f * n / num_samples))
        started = time.perf_counter()
        fits = fit_lime(Z, probs, targets, kernel_width=kernel_width, seed=seed)
        quality = {
            t: {"r2": fit.r2, "local_prediction": fit.local_prediction, "model_prediction": float(probs[0, t])}
            for t, fit in fits.items()
        }
        weights = {t: fit.coefficients for t, fit in fits.items()}
        intercepts = {t: fit.intercept for t, fit in fits.items()}
        replicates = refit_lime(Z, probs, targets, kernel_width=kernel_width, seed=seed, rng=bootstrap_rng(seed))
        return Attribution(Method.lime, weights, intercepts, quality, time.perf_counter() - started, replicates)

    return sample_until_stable(num_samples, sampling, targets, fit)


def explain_shap(
    engine: PerturbationEngine,
    targets: list[int],
    *,
    num_samples: int = NUM_SAMPLES,
    seed: int = 0,
    progress: Progress | None = None,
) -> Attribution:
    """Kernel SHAP on the mask game: background = all segments off, explained point = all on."""
    if num_samples < 2:
        raise ParameterError(f"num_samples={num_samples} must be at least 2 for SHAP")
    k = engine.segmentation.k

    def game(Z: np.ndarray) -> np.ndarray:
        return engine(Z > 0.5, progress=progress)[:, targets]

    started_model = engine.stats.seconds_model + engine.stats.seconds_perturb
    started = time.perf_counter()
    values, expected, refits = kernel_shap(game, k, len(targets), num_samples=num_samples, seed=seed, refits=REFITS)
    elapsed = time.perf_counter() - started
    engine_time = engine.stats.seconds_model + engine.stats.seconds_perturb - started_model
    full = game(np.ones((1, k)))[0]
    weights, bases, quality = {}, {}, {}
    for j, target in enumerate(targets):
        weights[target] = values[:, j]
        bases[target] = float(expected[j])
        quality[target] = {
            "additivity_error": float(abs(full[j] - (expected[j] + values[:, j].sum()))),
            "model_prediction": float(full[j]),
        }
    replicates = None if refits is None else {t: refits[:, :, j] for j, t in enumerate(targets)}
    return Attribution(Method.shap, weights, bases, quality, max(0.0, elapsed - engine_time), replicates)
