"""A per-job budget of model seconds: the sampling is planned to fit it before any sample is drawn.

A costly model (a whole-clip transformer, a VGG per chunk) pays a forward pass per piece a mask
changes, so the page default can take minutes. With ``max_model_seconds`` the job measures what one
piece costs on the clip's own first call and cuts, where the plan would pass the budget, the samples
per game and the faithfulness curve points in proportion (never below a floor that still gives a
ranking and a curve). The plan is an upper bound (the engine's memory answers repeated masks for
nothing), so a job finishes within its budget or under it; the result keeps the parameters it ran
with and says what was cut.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, Field

from musicxai.explain.attribution import Games
from musicxai.explain.engine import PerturbationEngine
from musicxai.explain.faithfulness import curve_steps
from musicxai.explain.params import ExplanationParams

MIN_SAMPLES = 16  # below this a surrogate of a dozen players is guesswork
MIN_POINTS = 6  # a curve of fewer points has no shape


class BudgetPlan(BaseModel):
    """What a budget did to one job's sampling."""

    max_model_seconds: float
    seconds_per_piece: float = Field(description="measured on the clip's first model call")
    planned_pieces: int = Field(description="pieces the asked parameters could evaluate at most")
    cut: bool = Field(description="whether samples or curve points were cut to fit")
    num_samples: int
    faithfulness_points: int


def planned_pieces(engine: PerturbationEngine, params: ExplanationParams, targets: int) -> int:
    """At most how many pieces the explainer and the faithfulness curves of ``params`` evaluate."""
    players = [len(engine.players(w)) for w in range(engine.n_windows)]
    if params.games is Games.windows:
        explainer = sum(min(params.samples, 2**p) for p in players)
    else:
        explainer = params.samples * engine.n_windows
    curves = (1 + params.random_orders) * 2 * len(curve_steps(engine.segmentation.k, params.faithfulness_points))
    return explainer + targets * curves * engine.n_windows


def fit_budget(
    engine: PerturbationEngine, params: ExplanationParams, targets: int, seconds_per_piece: float
) -> tuple[ExplanationParams, BudgetPlan]:
    """``params`` with samples and curve points cut in proportion where the plan passes the budget."""
    budget = params.max_model_seconds
    assert budget is not None
    planned = planned_pieces(engine, params, targets)
    scale = budget / max(planned * seconds_per_piece, 1e-9)
    fitted = params
    if scale < 1:
        fitted = params.model_copy(update={
            "num_samples": max(MIN_SAMPLES, math.floor(params.samples * scale)),
            "faithfulness_points": max(MIN_POINTS, math.floor(params.faithfulness_points * scale)),
        })  # fmt: skip
    plan = BudgetPlan(
        max_model_seconds=budget,
        seconds_per_piece=round(seconds_per_piece, 6),
        planned_pieces=planned,
        cut=scale < 1,
        num_samples=fitted.samples,
        faithfulness_points=fitted.faithfulness_points,
    )
    return fitted, plan
