"""What a model answers: mutually exclusive labels or independent tags, and how raw outputs become probabilities.

Exported classifiers often answer logits (a Hugging Face export's ``logits``); the bundle names the
activation the service applies, so every model's answer reaches the explainers as probabilities:
rows summing to one for ``exclusive`` labels, each in [0, 1] for ``tags``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, model_validator

SUM_TOLERANCE = 1e-3  # how far from one exclusive probabilities may sum (float32 softmax)


class Output(BaseModel):
    """``exclusive``: one label is right (softmax); ``tags``: each label holds or not (sigmoid)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["exclusive", "tags"] = "exclusive"
    activation: Literal["none", "softmax", "sigmoid"] = "none"

    @model_validator(mode="after")
    def _check(self) -> Output:
        wrong = {"exclusive": "sigmoid", "tags": "softmax"}[self.kind]
        if self.activation == wrong:
            raise ValueError(
                f"{self.kind} outputs do not take a {wrong}: independent tags are sigmoids, exclusive labels a softmax"
            )
        return self

    def activate(self, raw: np.ndarray) -> np.ndarray:
        """The model's raw outputs [shape=(n, labels)] -> probabilities, float32."""
        raw = np.asarray(raw, dtype=np.float64)
        if self.activation == "softmax":
            e = np.exp(raw - raw.max(axis=1, keepdims=True))
            raw = e / e.sum(axis=1, keepdims=True)
        elif self.activation == "sigmoid":
            raw = 0.5 * (1.0 + np.tanh(0.5 * raw))  # overflow-free logistic
        return raw.astype(np.float32)

    def problem(self, probs: np.ndarray) -> str | None:
        """Why ``probs`` (after :meth:`activate`) are not probabilities of this kind, with the fix; None if they are."""
        if not np.isfinite(probs).all():
            return "the model answered NaN or infinite values"
        if probs.min() < -1e-6 or probs.max() > 1 + 1e-6:
            return (
                f"outputs range over [{probs.min():.3g}, {probs.max():.3g}], not [0, 1]: these look like "
                "logits; name the activation (--activation softmax for exclusive labels, sigmoid for tags)"
            )
        if self.kind == "exclusive" and np.abs(probs.sum(axis=1) - 1).max() > SUM_TOLERANCE:
            return (
                "rows do not sum to one, so the labels are not mutually exclusive probabilities: declare "
                "--output tags for independent (multi-label) outputs, or --activation softmax for logits"
            )
        return None
