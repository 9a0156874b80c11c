"""Which explainer answers a request: LIME or SHAP on the window games or the clip game, or
integrated gradients, all returning the same :class:`~musicxai.explain.attribution.Attribution`."""

from __future__ import annotations

from musicxai.errors import choice
from musicxai.explain.attribution import Attribution, Games, Method
from musicxai.explain.clip_games import explain_lime, explain_shap
from musicxai.explain.engine import PerturbationEngine, Progress
from musicxai.explain.integrated_gradients import explain_gradient
from musicxai.explain.params import ExplanationParams
from musicxai.explain.sampling import FIXED, SamplingPlan
from musicxai.explain.surrogates import LIME_KERNEL_WIDTH
from musicxai.explain.window_games import explain_lime_windows, explain_shap_windows

EXPLAINERS = {
    Games.windows: {Method.lime: explain_lime_windows, Method.shap: explain_shap_windows},
    Games.clip: {Method.lime: explain_lime, Method.shap: explain_shap},
}


def attribute(
    method: Method,
    engine: PerturbationEngine,
    targets: list[int],
    *,
    num_samples: int,
    seed: int,
    games: Games = Games.windows,
    sampling: SamplingPlan = FIXED,
    kernel_width: float = LIME_KERNEL_WIDTH,
    progress: Progress | None = None,
) -> Attribution:
    """Per-segment attributions by ``method`` for the ``targets`` genre indices: LIME or SHAP from one
    game per window (``num_samples`` each) or the one clip game (``num_samples`` in all); the
    gradient method plays no game (a few backward passes) and ignores both. ``sampling`` is how LIME
    draws (paired masks, rounds until stable) and ``kernel_width`` how it weighs its samples; SHAP's
    KernelExplainer chooses and weighs its own coalitions."""
    method = choice(Method, method, name="method")
    if method is Method.gradient:
        return explain_gradient(engine, targets, progress=progress)
    explainer = EXPLAINERS[choice(Games, games, name="games")][method]
    if method is Method.lime:
        return explainer(
            engine, targets, num_samples=num_samples, seed=seed, sampling=sampling, kernel_width=kernel_width,
            progress=progress,
        )  # fmt: skip
    return explainer(engine, targets, num_samples=num_samples, seed=seed, progress=progress)


def attribute_as(
    params: ExplanationParams, engine: PerturbationEngine, targets: list[int], *, progress: Progress | None = None
) -> Attribution:
    """:func:`attribute` with every choice ``params`` makes: method, games, samples, seed and LIME's own."""
    return attribute(
        params.method, engine, targets, num_samples=params.samples, seed=params.seed, games=params.games,
        sampling=params.sampling, kernel_width=params.kernel_width, progress=progress,
    )  # fmt: skip
