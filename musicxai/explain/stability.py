"""How much an explanation's segment ranking depends on its random draw.

Drawing again would cost a second explanation's model calls. Instead each explainer re-fits its own
surrogate (lime's ridge, shap's constrained least squares) on bootstrap resamples of the samples it
already evaluated, which costs fits only, and this module compares each re-fit's ranking with the
explanation's: how often the top k segments are the same, their mean overlap, and Kendall's τ over
all segments. A game played on all its coalitions has no draw to depend on: it is ``exact``.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, Field
from scipy.stats import kendalltau

REFITS = 10  # bootstrap re-fits per explanation: enough to say "9 of 10", a fraction of a second of fits
TOP_K = 5  # the segments a person looks at first


class Stability(BaseModel):
    """One genre's ranking against its bootstrap re-fits."""

    exact: bool = Field(
        description="nothing random to re-fit: every game was played on all its coalitions, or no game (a gradient)"
    )
    refits: int = Field(description="bootstrap re-fits of the explanation's own samples (0 when exact)")
    top_k: int
    top_k_same: int = Field(description="re-fits whose top-k segments (as a set) are the explanation's")
    top_k_overlap: float = Field(description="mean share of the explanation's top-k segments in a re-fit's top k")
    kendall_tau: float = Field(description="mean Kendall τ between the explanation's weights and a re-fit's")
    kendall_tau_min: float


def bootstrap_rows(n: int, rng: np.random.Generator, *, keep_first: bool = False) -> np.ndarray:
    """Row indices of one bootstrap resample of ``n`` samples; with ``keep_first`` row 0 (LIME's
    unperturbed clip, the point its surrogate is local to) stays first."""
    if keep_first:
        return np.concatenate([[0], rng.integers(1, n, size=n - 1)]) if n > 1 else np.zeros(1, int)
    return rng.integers(0, n, size=n)


def bootstrap_rng(seed: int) -> np.random.Generator:
    """The re-fits' own stream, apart from the explanation's draw: same seed, same stability."""
    return np.random.default_rng([seed, 0x5AB])


def top_segments(weights: np.ndarray, k: int) -> set[int]:
    """The ``k`` segments of highest weight (the evidence a person looks at first)."""
    return set(np.argsort(-weights, kind="stable")[:k].tolist())


def rank_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Kendall's τ between two weightings of the same segments."""
    tau = kendalltau(a, b).statistic
    if np.isnan(tau):  # a constant ranking: the same one, or none to compare
        return 1.0 if np.allclose(a, b) else 0.0
    return float(tau)


def summarize(weights: np.ndarray, replicates: np.ndarray | None, *, top_k: int = TOP_K) -> Stability:
    """``weights`` [shape=(k,)] against ``replicates`` [shape=(refits, k)]; ``None``: exact."""
    k = min(top_k, len(weights))
    if replicates is None or len(replicates) == 0:
        return Stability(
            exact=True, refits=0, top_k=k, top_k_same=0, top_k_overlap=1.0, kendall_tau=1.0, kendall_tau_min=1.0
        )
    top = top_segments(weights, k)
    overlaps = [len(top & top_segments(r, k)) / max(k, 1) for r in replicates]
    taus = [rank_correlation(weights, r) for r in replicates]
    return Stability(
        exact=False,
        refits=len(replicates),
        top_k=k,
        top_k_same=sum(o == 1.0 for o in overlaps),
        top_k_overlap=round(float(np.mean(overlaps)), 4),
        kendall_tau=round(float(np.mean(taus)), 4),
        kendall_tau_min=round(float(np.min(taus)), 4),
    )
