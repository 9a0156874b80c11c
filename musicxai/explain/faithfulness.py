"""Deletion and insertion curves: does removing the top-ranked segments really lower the score?

Deletion starts from the clip and switches segments off in ranked order (a faithful ranking makes
the explained genre's probability fall fast: low AUC). Insertion starts from the baseline and
switches them on (a fast rise: high AUC). Random orders give the reference to beat. They come in
antithetic pairs, an order and its reverse: inserting the first s segments of an order keeps the
very masks that deleting the last k - s of its reverse keeps, so the engine's memory answers half
of a pair's curves for nothing. The random insertion curve is then the random deletion curve read
backwards (equal AUCs), as it is in expectation for any random orders.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel

from musicxai.errors import ParameterError
from musicxai.explain.engine import PerturbationEngine, Progress

N_RANDOM_ORDERS = 4  # random rankings averaged into the reference a real ranking must beat: two pairs
MAX_POINTS = 40  # steps per curve: enough to draw it, few enough to cost little


class FaithfulnessCurves(BaseModel):
    """Probability of the explained genre as segments are removed (deletion) or added (insertion) in
    ranked order, and the same averaged over random orders; AUCs over the fraction of segments."""

    fraction_removed: list[float]
    deletion: list[float]
    insertion: list[float]
    random_deletion: list[float]
    random_insertion: list[float]
    deletion_auc: float
    insertion_auc: float
    random_deletion_auc: float
    random_insertion_auc: float
    n_random: int


def curve_steps(k: int, max_points: int) -> np.ndarray:
    """Segments switched at each point, symmetric (s and k - s both or neither), so an order's
    insertion masks are its reverse's deletion masks."""
    steps = np.linspace(0, k, min(k, max_points) + 1).round().astype(int)
    return np.unique(np.concatenate([steps, k - steps]))


def _curve_masks(order: np.ndarray, steps: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    rank = np.empty(k, dtype=int)
    rank[order] = np.arange(k)
    top = rank[None, :] < steps[:, None]  # (n_steps, k): the first `step` segments of the order
    return ~top, top  # deletion keeps everything but the top; insertion keeps only the top


def _auc(curve: np.ndarray, steps: np.ndarray, k: int) -> float:
    x = steps / k
    return float(np.sum((curve[1:] + curve[:-1]) * np.diff(x)) / 2)


def deletion_insertion(
    engine: PerturbationEngine,
    weights: np.ndarray,
    target: int,
    *,
    n_random: int = N_RANDOM_ORDERS,
    seed: int = 0,
    max_points: int = MAX_POINTS,
    progress: Progress | None = None,
) -> FaithfulnessCurves:
    """Curves and AUCs for the ranking by ``weights`` and for ``n_random`` random orders (averaged)."""
    if n_random < 2 or n_random % 2:
        raise ParameterError(f"n_random={n_random} must be an even number of random orders (pairs), at least 2")
    k = len(weights)
    steps = curve_steps(k, max_points)
    orders = [np.argsort(-np.asarray(weights), kind="stable")]
    rng = np.random.default_rng(seed)
    for _ in range(n_random // 2):
        order = rng.permutation(k)
        orders += [order, order[::-1]]
    masks = [m for order in orders for m in _curve_masks(order, steps, k)]
    probs = engine(np.concatenate(masks), progress=progress)[:, target].reshape(len(orders), 2, len(steps))
    deletion, insertion = probs[:, 0], probs[:, 1]
    random_deletion, random_insertion = deletion[1:].mean(axis=0), insertion[1:].mean(axis=0)
    return FaithfulnessCurves(
        fraction_removed=(steps / k).round(4).tolist(),
        deletion=deletion[0].round(5).tolist(),
        insertion=insertion[0].round(5).tolist(),
        random_deletion=random_deletion.round(5).tolist(),
        random_insertion=random_insertion.round(5).tolist(),
        deletion_auc=_auc(deletion[0], steps, k),
        insertion_auc=_auc(insertion[0], steps, k),
        random_deletion_auc=_auc(random_deletion, steps, k),
        random_insertion_auc=_auc(random_insertion, steps, k),
        n_random=n_random,
    )
