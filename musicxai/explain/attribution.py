"""What an explanation method is and what it returns: the method and game choices, and the
per-segment :class:`Attribution` every explainer produces."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
from pydantic import BaseModel, Field

NUM_SAMPLES = 1000  # perturbed clips per explanation of the whole-clip game, the original notebooks' choice
WINDOW_SAMPLES = 64  # samples per window game by default: 4 per player of the default grid's 16


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


class SamplingReport(BaseModel):
    """What the sampling of one explanation did."""

    paired: bool = Field(description="masks drawn in complementary pairs")
    stop_when_stable: float | None = Field(description="the top-k overlap asked before the cap; null: no early stop")
    rounds: int = Field(description="fits made on growing prefixes of the draw")
    samples_per_game: int = Field(description="samples each sampled game used when it stopped")
    cap: int = Field(description="samples each game could have drawn (num_samples)")
    converged: bool = Field(description="the asked stability was reached (always true without an early stop)")
    top_k_overlap: float = Field(description="the lowest mean top-k overlap over the explained genres at the end")


@dataclass
class Attribution:
    """Per-segment weights for each explained genre, with the method's own quality checks."""

    method: Method
    weights: dict[int, np.ndarray]  # genre index -> [shape=(k,)]
    base_value: dict[int, float]  # LIME intercept / SHAP expected value
    quality: dict[int, dict[str, float]] = field(default_factory=dict)  # R², additivity error…
    seconds_fit: float = 0.0
    replicates: dict[int, np.ndarray] | None = None  # genre index -> bootstrap re-fits [shape=(refits, k)]; None: exact
    sampling: SamplingReport | None = None  # LIME's: how its masks were drawn and when it stopped
