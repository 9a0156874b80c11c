"""A gradient explanation: a few backward passes instead of sampled games.

Integrated gradients on each window: the gradient of the genre's probability is averaged at
``GRADIENT_STEPS`` points on the straight line from the window with every segment at the baseline
to the window as it is, and multiplied by what leaving each segment out changes in that window
(the window minus the same window with that one segment at the baseline, built by the segmentation
itself, so a segment means the same as in LIME and SHAP). The clip's weight is the mean over
windows, because the clip's probability is the mean of its windows'. A single gradient at the clip
itself (one step) is the first-order Taylor estimate; on the demo model it ranked segments barely
better than chance on deletion, while four midpoint steps come close to LIME (README). Nothing is
drawn, so it is deterministic; ``completeness_gap`` says how far the weights' sum is from what
switching every segment off really does (the path integral's error and the model's curvature).
"""

from __future__ import annotations

import time

import numpy as np

from musicxai.explain.attribution import Attribution, Method
from musicxai.explain.engine import PerturbationEngine, Progress

GRADIENT_STEPS = 4  # midpoint steps of the path integral: 1 -> 4 took deletion AUC from chance to LIME's on the demo


def _windows(engine: PerturbationEngine, on: bool) -> np.ndarray:
    """Every window with all its segments kept (``on``) or all at the baseline [shape=(n, n_mels, frames)]."""
    masks = (np.full((1, len(engine.players(w))), on) for w in range(engine.n_windows))
    return np.stack([engine.window_inputs(w, mask)[0] for w, mask in enumerate(masks)])


def explain_gradient(
    engine: PerturbationEngine, targets: list[int], *, steps: int = GRADIENT_STEPS, progress: Progress | None = None
) -> Attribution:
    """Integrated gradients × (window − window without the segment), per segment, averaged over windows."""
    started = time.perf_counter()
    classifier, k, n_windows = engine.classifier, engine.segmentation.k, engine.n_windows
    full, off = _windows(engine, True), _windows(engine, False)
    removed = {}
    for w in range(n_windows):
        p = len(engine.players(w))
        removed[w] = full[w] - engine.window_inputs(w, ~np.eye(p, dtype=bool)) if p else None  # row i: all but i
    weights = {}
    for t in targets:
        gradients = np.mean(
            [classifier.window_gradients(off + (i + 0.5) / steps * (full - off), t) for i in range(steps)], axis=0
        )
        weights[t] = np.zeros(k)
        for w, delta in removed.items():
            if delta is not None:
                weights[t][engine.players(w)] += np.einsum("pmf,mf->p", delta, gradients[w]) / n_windows
    seconds = time.perf_counter() - started
    outputs = engine(np.stack([np.ones(k, dtype=bool), np.zeros(k, dtype=bool)]), progress=progress)
    bases, quality = {}, {}
    for t in targets:
        on, all_off, total = float(outputs[0, t]), float(outputs[1, t]), float(weights[t].sum())
        bases[t] = on - total
        quality[t] = {
            "model_prediction": on,
            "all_off_prediction": all_off,
            "completeness_gap": abs(on - all_off - total),
        }
    return Attribution(Method.gradient, weights, bases, quality, seconds, None)
