"""LIME and SHAP by one small game per model window, combined by linearity.

The clip's probability is the mean of its windows' probabilities, and a window depends only on the
segments that overlap it (16 on the default grid: two 1.5 s slices × 8 bands), while the clip game
has all 160. Shapley values are linear in the game, so a segment's Shapley value for the clip is
exactly the mean of its values in each window's game (zero where it is not a player); a
least-squares surrogate of a mean is the mean of the windows' surrogates. A 16-player game needs
far fewer samples than the 160-player one, and a game whose coalitions all fit the budget is played
exactly. Both methods still fit with their own libraries (lime's ``LimeBase``, shap's
``KernelExplainer``) on the same engine, so the segments mean the same as in the clip game. Their
bootstrap re-fits (:mod:`musicxai.explain.stability`) combine the same way: re-fit ``b`` of the clip
is the mean of re-fit ``b`` of each sampled window game and the exact games' own values.
"""

from __future__ import annotations

import time

import numpy as np

from musicxai.errors import ParameterError
from musicxai.explain.attribution import WINDOW_SAMPLES, Attribution, Method
from musicxai.explain.engine import PerturbationEngine, Progress
from musicxai.explain.sampling import FIXED, SamplingPlan, lime_masks, sample_until_stable
from musicxai.explain.stability import REFITS, bootstrap_rng
from musicxai.explain.surrogates import LIME_KERNEL_WIDTH, fit_lime, kernel_shap, refit_lime


def _window_masks(p: int, num_samples: int, rng: np.random.Generator, *, paired: bool) -> np.ndarray:
    """Every coalition of ``p`` players when they fit ``num_samples``, else random ones
    (:func:`~musicxai.explain.sampling.lime_masks`); row 0 is always the unperturbed window."""
    if 2**p <= num_samples:
        every = (np.arange(2**p)[:, None] >> np.arange(p)[None, :]) & 1
        return np.ascontiguousarray(every[::-1].astype(bool))  # row 0 = all players on
    return lime_masks(p, num_samples, rng, paired=paired)


def _check(num_samples: int, name: str) -> None:
    if num_samples < 2:
        raise ParameterError(f"num_samples={num_samples} must be at least 2 per window game for {name}")


def explain_lime_windows(
    engine: PerturbationEngine,
    targets: list[int],
    *,
    num_samples: int = WINDOW_SAMPLES,
    kernel_width: float = LIME_KERNEL_WIDTH,
    seed: int = 0,
    sampling: SamplingPlan = FIXED,
    progress: Progress | None = None,
) -> Attribution:
    """LIME's kernel-weighted ridge surrogate fitted in each window's game, averaged over windows;
    the sampled games grow by rounds of :mod:`musicxai.explain.sampling` when ``sampling`` asks."""
    _check(num_samples, "LIME")
    if kernel_width <= 0:
        raise ParameterError(f"kernel_width={kernel_width} must be positive")
    rng = np.random.default_rng(seed)
    drawn = {
        w: _window_masks(len(engine.players(w)), num_samples, rng, paired=sampling.paired)
        for w in range(engine.n_windows)
    }

    def fit(n: int) -> Attribution:
        masks = {w: Z if 2 ** len(engine.players(w)) <= num_samples else Z[:n] for w, Z in drawn.items()}
        outputs = engine.windows(masks, progress=None if progress is None else lambda f: progress(f * n / num_samples))
        return _fit_windows(engine, targets, masks, outputs, kernel_width=kernel_width, seed=seed, cap=num_samples)

    return sample_until_stable(num_samples, sampling, targets, fit)


def _fit_windows(
    engine: PerturbationEngine,
    targets: list[int],
    masks: dict[int, np.ndarray],
    outputs: dict[int, np.ndarray],
    *,
    kernel_width: float,
    seed: int,
    cap: int,
) -> Attribution:
    """lime's surrogate in each window's game on its masks and outputs, with bootstrap re-fits of
    the sampled games, combined by linearity."""
    started = time.perf_counter()
    k, n_windows = engine.segmentation.k, engine.n_windows
    weights = {t: np.zeros(k) for t in targets}
    intercepts = {t: 0.0 for t in targets}
    r2 = {t: 0.0 for t in targets}
    local_prediction = {t: 0.0 for t in targets}
    replicates = {t: np.zeros((REFITS, k)) for t in targets}
    refit_rng, sampled = bootstrap_rng(seed), False
    for w, Z in masks.items():
        players = engine.players(w)
        if not len(players):  # a window no segment reaches adds only its constant output
            for t in targets:
                intercepts[t] += outputs[w][0, t] / n_windows
                local_prediction[t] += outputs[w][0, t] / n_windows
                r2[t] += 1.0 / n_windows
            continue
        fits = fit_lime(Z, outputs[w], targets, kernel_width=kernel_width, seed=seed)
        for t, fit in fits.items():
            weights[t][players] += fit.coefficients / n_windows
            intercepts[t] += fit.intercept / n_windows
            r2[t] += fit.r2 / n_windows
            local_prediction[t] += fit.local_prediction / n_windows
        exact = 2 ** len(players) <= cap
        sampled |= not exact
        refits = (
            {t: np.tile(fit.coefficients, (REFITS, 1)) for t, fit in fits.items()}
            if exact
            else refit_lime(Z, outputs[w], targets, kernel_width=kernel_width, seed=seed, rng=refit_rng)
        )
        for t in targets:
            replicates[t][:, players] += refits[t] / n_windows
    clip = np.mean([outputs[w][0] for w in masks], axis=0)
    quality = {
        t: {"r2": r2[t], "local_prediction": local_prediction[t], "model_prediction": float(clip[t])} for t in targets
    }
    seconds = time.perf_counter() - started
    return Attribution(Method.lime, weights, intercepts, quality, seconds, replicates if sampled else None)


def explain_shap_windows(
    engine: PerturbationEngine,
    targets: list[int],
    *,
    num_samples: int = WINDOW_SAMPLES,
    seed: int = 0,
    progress: Progress | None = None,
) -> Attribution:
    """Kernel SHAP in each window's game (exact when its coalitions fit ``num_samples``), averaged."""
    _check(num_samples, "SHAP")
    k, n_windows = engine.segmentation.k, engine.n_windows
    values = np.zeros((k, len(targets)))
    replicates = np.zeros((REFITS, k, len(targets)))
    sampled = False
    expected = np.zeros(len(targets))
    full = np.zeros(len(targets))
    started = time.perf_counter()
    engine_before = engine.stats.seconds_model + engine.stats.seconds_perturb
    for w in range(n_windows):
        players = engine.players(w)

        def game(Z: np.ndarray, w: int = w) -> np.ndarray:
            return engine.windows({w: Z > 0.5})[w][:, targets]

        full += game(np.ones((1, len(players))))[0] / n_windows
        if not len(players):
            expected += game(np.ones((1, 0)))[0] / n_windows
            continue
        phi, base, refits = kernel_shap(
            game, len(players), len(targets), num_samples=num_samples, seed=seed + w, refits=REFITS
        )
        values[players] += phi / n_windows
        replicates[:, players] += (phi if refits is None else refits) / n_windows
        sampled |= refits is not None
        expected += base / n_windows
        if progress is not None:
            progress((w + 1) / n_windows)
    engine_time = engine.stats.seconds_model + engine.stats.seconds_perturb - engine_before
    weights, bases, quality = {}, {}, {}
    for j, t in enumerate(targets):
        weights[t] = values[:, j]
        bases[t] = float(expected[j])
        quality[t] = {
            "additivity_error": float(abs(full[j] - (expected[j] + values[:, j].sum()))),
            "model_prediction": float(full[j]),
        }
    seconds = max(0.0, time.perf_counter() - started - engine_time)
    refitted = {t: replicates[:, :, j] for j, t in enumerate(targets)} if sampled else None
    return Attribution(Method.shap, weights, bases, quality, seconds, refitted)
