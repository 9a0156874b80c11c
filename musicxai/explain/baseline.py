"""What a switched-off segment becomes: the clip's quietest level, each band's mean, or noise."""

from __future__ import annotations

from enum import StrEnum

import numpy as np

from musicxai.errors import ParameterError, choice


class Baseline(StrEnum):
    """What a switched-off segment becomes."""

    min = "min"
    mean = "mean"
    noise = "noise"

    @property
    def label(self) -> str:
        return _BASELINE_LABELS[self]


_BASELINE_LABELS = {
    Baseline.min: "the clip's quietest level (silence)",
    Baseline.mean: "each band's mean level",
    Baseline.noise: "noise with each band's mean and spread",
}


def baseline_fill(
    S: np.ndarray, kind: Baseline = Baseline.min, *, rng: np.random.Generator | None = None
) -> np.ndarray:
    """What a switched-off segment becomes [shape=S.shape].

    ``min``: the clip's own quietest level everywhere (silence relative to the clip); ``mean``: each
    band's mean level over the clip; ``noise``: Gaussian noise with each band's mean and spread,
    drawn from ``rng`` (required for it).
    """
    kind = choice(Baseline, kind, name="baseline")
    if kind is Baseline.min:
        return np.full_like(S, S.min())
    band_mean = S.mean(axis=1, keepdims=True)
    if kind is Baseline.mean:
        return np.broadcast_to(band_mean, S.shape).astype(S.dtype).copy()
    if rng is None:
        raise ParameterError("baseline='noise' needs a random generator (rng=np.random.default_rng(seed))")
    band_std = S.std(axis=1, keepdims=True)
    return (band_mean + band_std * rng.standard_normal(S.shape)).astype(S.dtype)
