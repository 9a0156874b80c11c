"""The two libraries that turn played masks into segment weights: lime's ``LimeBase`` and shap's
``KernelExplainer``, each fitted on a mask matrix and its model outputs, and each re-fitted on
bootstrap resamples of the same samples (:mod:`musicxai.explain.stability` reads the re-fits).

Nothing here calls a model: the fit never perturbs. shap's game function is the one exception by
design of that library (it asks for the coalitions it chose), and is handed in by the caller.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from musicxai.explain.stability import REFITS, bootstrap_rng, bootstrap_rows

LIME_KERNEL_WIDTH = 0.25  # on cosine distance to the all-on mask, as lime_image uses it
_GLOBAL_RNG = threading.Lock()


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
    """Fenced use of numpy's global generator, because shap's ``KernelExplainer`` (0.51) draws its
    coalitions from it (``np.random.choice``, ``np.random.permutation``) and takes no seed or
    generator: seed it for one call, under a lock, and give the previous state back after, so a job
    is reproducible and no other random stream of the process changes."""
    with _GLOBAL_RNG:
        saved = np.random.get_state()
        np.random.seed(seed)
        try:
            yield
        finally:
            np.random.set_state(saved)


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


def _identifying_rows(masks: np.ndarray, rng: np.random.Generator, tries: int = 20) -> np.ndarray:
    """A bootstrap resample of coalitions in which every player is both on and off somewhere: a player
    that never varies leaves the constrained least squares singular, and its solution says nothing
    about stability. After ``tries`` draws the last one is taken."""
    for _ in range(tries):
        rows = bootstrap_rows(len(masks), rng)
        chosen = masks[rows]
        if np.all(chosen.max(axis=0) > chosen.min(axis=0)):
            break
    return rows


def _refit_kernel_shap(explainer, n_outputs: int, refits: int, rng: np.random.Generator) -> np.ndarray:
    """``KernelExplainer.solve`` (the efficiency-constrained weighted least squares it just solved) on
    bootstrap resamples of its coalitions, their kernel weights and outputs; its state is restored."""
    saved = explainer.maskMatrix, explainer.kernelWeights, explainer.ey
    arrays = [np.asarray(a) for a in saved]  # ey is a Cython memoryview
    out = np.zeros((refits, explainer.M, n_outputs))
    try:
        for b in range(refits):
            rows = _identifying_rows(arrays[0], rng)
            explainer.maskMatrix, explainer.kernelWeights, explainer.ey = (a[rows] for a in arrays)
            for d in range(n_outputs):
                out[b, :, d] = explainer.solve(1.0, d)[0]
    finally:
        explainer.maskMatrix, explainer.kernelWeights, explainer.ey = saved
    return out
