"""LIME and SHAP on the same binary segment masks, fitted by their own libraries.

The two methods differ only in how masks are sampled and weighted: LIME draws uniform random masks
and fits lime's ``LimeBase`` (a kernel-weighted ridge surrogate); SHAP lets shap's
``KernelExplainer`` choose coalitions and solve for Shapley values. Both get their model outputs
from the one :class:`~musicxai.explain.engine.PerturbationEngine`, so segment *i* means the same thing in both.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from musicxai.errors import ParameterError, choice
from musicxai.explain.engine import PerturbationEngine, Progress
from musicxai.explain.stability import REFITS, bootstrap_rng, bootstrap_rows

LIME_KERNEL_WIDTH = 0.25  # on cosine distance to the all-on mask, as lime_image uses it
NUM_SAMPLES = 1000  # perturbed clips per explanation, the original notebooks' choice


class Method(StrEnum):
    """The explanation methods; the page's menu reads these labels."""

    lime = "lime"
    shap = "shap"
    gradient = "gradient"

    @property
    def label(self) -> str:
        return _METHOD_LABELS[self]


class Games(StrEnum):
    """Which game the explainer samples: one per model window, combined by linearity (few samples
    each), or the whole clip's over all segments at once (the original notebooks' way)."""

    windows = "windows"
    clip = "clip"

    @property
    def label(self) -> str:
        return _GAMES_LABELS[self]


_GAMES_LABELS = {Games.windows: "one small game per model window", Games.clip: "one game over the whole clip"}
_METHOD_LABELS = {
    Method.lime: "LIME (local linear surrogate)",
    Method.shap: "SHAP (Kernel SHAP values)",
    Method.gradient: "Integrated gradients (a few backward passes, no sampling)",
}
_GLOBAL_RNG = threading.Lock()


@dataclass
class Attribution:
    """Per-segment weights for each explained genre, with the method's own quality checks."""

    method: Method
    weights: dict[int, np.ndarray]  # genre index -> [shape=(k,)]
    base_value: dict[int, float]  # LIME intercept / SHAP expected value
    quality: dict[int, dict[str, float]] = field(default_factory=dict)  # R², additivity error…
    seconds_fit: float = 0.0
    replicates: dict[int, np.ndarray] | None = None  # genre index -> bootstrap re-fits [shape=(refits, k)]; None: exact


def sample_lime_masks(k: int, num_samples: int, rng: np.random.Generator) -> np.ndarray:
    """Uniform random masks with the unperturbed clip as row 0 (lime_image's sampling)."""
    Z = rng.integers(0, 2, size=(num_samples, k)).astype(bool)
    Z[0] = True
    return Z


def explain_lime(
    engine: PerturbationEngine,
    targets: list[int],
    *,
    num_samples: int = NUM_SAMPLES,
    kernel_width: float = LIME_KERNEL_WIDTH,
    seed: int = 0,
    progress: Progress | None = None,
) -> Attribution:
    if num_samples < 2:
        raise ParameterError(f"num_samples={num_samples} must be at least 2 for LIME")
    if kernel_width <= 0:
        raise ParameterError(f"kernel_width={kernel_width} must be positive")
    Z = sample_lime_masks(engine.segmentation.k, num_samples, np.random.default_rng(seed))
    probs = engine(Z, progress=progress)
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


@dataclass
class LimeFit:
    """lime's surrogate for one genre: a coefficient per player, the intercept and the fit's checks."""

    coefficients: np.ndarray
    intercept: float
    r2: float
    local_prediction: float


def fit_lime(
    Z: np.ndarray, probs: np.ndarray, targets: list[int], *, kernel_width: float, seed: int
) -> dict[int, LimeFit]:
    """lime's ``LimeBase`` on masks ``Z`` [shape=(n, p)] (row 0 unperturbed) and their outputs, with
    lime_image's exponential kernel on cosine distance to the all-on mask."""
    from lime.lime_base import LimeBase
    from sklearn.metrics import pairwise_distances

    X = Z.astype(float)
    distances = pairwise_distances(X, np.ones((1, X.shape[1])), metric="cosine").ravel()
    base = LimeBase(lambda d: np.sqrt(np.exp(-(d**2) / kernel_width**2)), random_state=seed)
    fits = {}
    for target in targets:
        intercept, pairs, score, local_pred = base.explain_instance_with_data(
            X, probs, distances, target, num_features=X.shape[1], feature_selection="none"
        )
        coefficients = np.zeros(X.shape[1])
        for index, weight in pairs:
            coefficients[index] = weight
        fits[target] = LimeFit(coefficients, float(intercept), float(score), float(np.ravel(local_pred)[0]))
    return fits


def refit_lime(
    Z: np.ndarray,
    probs: np.ndarray,
    targets: list[int],
    *,
    kernel_width: float,
    seed: int,
    rng: np.random.Generator,
    refits: int = REFITS,
) -> dict[int, np.ndarray]:
    """:func:`fit_lime` on ``refits`` bootstrap resamples of the same samples (row 0 kept):
    coefficients per genre [shape=(refits, p)]."""
    out = {t: np.zeros((refits, Z.shape[1])) for t in targets}
    for b in range(refits):
        rows = bootstrap_rows(len(Z), rng, keep_first=True)
        for t, fit in fit_lime(Z[rows], probs[rows], targets, kernel_width=kernel_width, seed=seed).items():
            out[t][b] = fit.coefficients
    return out


@contextlib.contextmanager
def _seeded_global_rng(seed: int) -> Iterator[None]:
    """shap's KernelExplainer draws from numpy's global generator and takes no seed: seed it for one
    call and give the caller's state back after, so a job is reproducible and no other random
    stream of the process changes."""
    with _GLOBAL_RNG:
        saved = np.random.get_state()
        np.random.seed(seed)
        try:
            yield
        finally:
            np.random.set_state(saved)


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


def kernel_shap(
    game: Callable[[np.ndarray], np.ndarray],
    p: int,
    n_outputs: int,
    *,
    num_samples: int,
    seed: int,
    refits: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """shap's ``KernelExplainer`` on a ``p``-player mask game (background: all off, point: all on),
    seeded: Shapley values [shape=(p, n_outputs)], the expected value [shape=(n_outputs,)] and, with
    ``refits``, shap's own solver re-run on bootstrap resamples of its weighted coalitions
    [shape=(refits, p, n_outputs)]; ``None`` when every coalition was played (exact)."""
    import shap

    with _seeded_global_rng(seed):
        explainer = shap.KernelExplainer(game, np.zeros((1, p)), link="identity")
        values = explainer.shap_values(np.ones((1, p)), nsamples=num_samples, l1_reg=False, silent=True)
    values = np.asarray(values)
    values = values.reshape(p, n_outputs) if values.ndim == 3 else np.atleast_2d(values).T
    expected = np.atleast_1d(np.asarray(explainer.expected_value, dtype=float))
    exact = 2**p - 2 <= num_samples
    replicates = None if exact or not refits else _refit_kernel_shap(explainer, n_outputs, refits, bootstrap_rng(seed))
    return values.astype(float), expected, replicates


def _refit_kernel_shap(explainer, n_outputs: int, refits: int, rng: np.random.Generator) -> np.ndarray:
    """``KernelExplainer.solve`` (the efficiency-constrained weighted least squares it just solved) on
    bootstrap resamples of its coalitions, their kernel weights and outputs; its state is restored."""
    saved = explainer.maskMatrix, explainer.kernelWeights, explainer.ey
    arrays = [np.asarray(a) for a in saved]  # ey is a Cython memoryview
    out = np.zeros((refits, explainer.M, n_outputs))
    try:
        for b in range(refits):
            rows = bootstrap_rows(len(arrays[0]), rng)
            explainer.maskMatrix, explainer.kernelWeights, explainer.ey = (a[rows] for a in arrays)
            for d in range(n_outputs):
                out[b, :, d] = explainer.solve(1.0, d)[0]
    finally:
        explainer.maskMatrix, explainer.kernelWeights, explainer.ey = saved
    return out


def attribute(
    method: Method,
    engine: PerturbationEngine,
    targets: list[int],
    *,
    num_samples: int,
    seed: int,
    games: Games = Games.windows,
    progress: Progress | None = None,
) -> Attribution:
    """Per-segment attributions by ``method`` for the ``targets`` genre indices: LIME or SHAP from one
    game per window (``num_samples`` each) or the one clip game (``num_samples`` in all); the
    gradient method plays no game (a few backward passes) and ignores both."""
    from musicxai.explain import window_games  # they build on this module's helpers
    from musicxai.explain.gradient import explain_gradient

    method = choice(Method, method, name="method")
    if method is Method.gradient:
        return explain_gradient(engine, targets, progress=progress)
    explainers = {
        Games.windows: {Method.lime: window_games.explain_lime_windows, Method.shap: window_games.explain_shap_windows},
        Games.clip: {Method.lime: explain_lime, Method.shap: explain_shap},
    }[choice(Games, games, name="games")]
    return explainers[method](engine, targets, num_samples=num_samples, seed=seed, progress=progress)
