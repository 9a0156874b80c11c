"""How LIME draws its masks: plain uniform draws, complementary pairs, and rounds that stop once the
ranking holds.

A costly model pays a forward pass for every mask, so two choices matter more than for our own:

- **paired (antithetic) masks**: every random mask is followed by its complement. Such a foldover
  design keeps each segment's estimated effect apart from the pairwise interactions of segments, which
  an unpaired design of the same size confounds with it, and it spends half its draws on mostly-silent
  clips that tell which segments the model cannot do without.
- **stopping when stable**: masks are drawn once, up to ``num_samples`` (the cap), and the surrogate is
  fitted on growing prefixes; after each round the bootstrap re-fits of :mod:`musicxai.explain.stability`
  say how well its top segments hold, and sampling stops when their mean overlap reaches the asked
  level. Each round's masks are a prefix of the one draw, so a round adds samples (the engine remembers
  what it evaluated) instead of drawing afresh, and the result is reproducible from its seed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from musicxai.explain.attribution import Attribution, SamplingReport
from musicxai.explain.stability import TOP_K, summarize

FIRST_ROUND = 16  # samples per game before the first check: fewer give a bootstrap of noise
ROUND_GROWTH = 1.5  # each round draws half as many again as it has: a handful of checks up to the cap


@dataclass(frozen=True)
class SamplingPlan:
    """How one LIME explanation draws: ``paired`` masks, and ``stop_when_stable`` (a mean top-k overlap of
    the bootstrap re-fits) to stop before the cap; ``None`` draws the whole cap in one round."""

    paired: bool = False
    stop_when_stable: float | None = None
    top_k: int = TOP_K


FIXED = SamplingPlan()  # the whole cap in one draw of independent masks: lime_image's way


def lime_masks(p: int, n: int, rng: np.random.Generator, *, paired: bool = False) -> np.ndarray:
    """``n`` masks over ``p`` players, row 0 the unperturbed input (lime_image's sampling); with
    ``paired``, row 1 is its complement (all off) and every later even row is followed by its complement."""
    Z = rng.integers(0, 2, size=(n, p)).astype(bool)
    Z[0] = True
    if paired:
        Z[1::2] = ~Z[0 : n - n % 2 : 2]
    return Z


def schedule(cap: int, plan: SamplingPlan) -> list[int]:
    """Sample counts at which the surrogate is fitted: the cap alone, or even prefixes growing by
    ``ROUND_GROWTH`` from ``FIRST_ROUND`` up to the cap."""
    if plan.stop_when_stable is None or cap <= FIRST_ROUND:
        return [cap]
    sizes = [FIRST_ROUND]
    while sizes[-1] < cap:
        sizes.append(min(cap, 2 * math.ceil(sizes[-1] * ROUND_GROWTH / 2)))
    return sizes


def sample_until_stable(
    cap: int, plan: SamplingPlan, targets: list[int], fit: Callable[[int], Attribution]
) -> Attribution:
    """``fit(n)`` (evaluate and fit the first ``n`` masks) at each size of :func:`schedule` until the
    least stable explained genre reaches ``plan.stop_when_stable``; the last fit, with its report."""
    sizes = schedule(cap, plan)
    for rounds, n in enumerate(sizes, start=1):
        attribution = fit(n)
        overlap = min(
            summarize(attribution.weights[t], (attribution.replicates or {}).get(t), top_k=plan.top_k).top_k_overlap
            for t in targets
        )
        reached = plan.stop_when_stable is None or overlap >= plan.stop_when_stable
        if reached or n == sizes[-1]:
            attribution.sampling = SamplingReport(
                paired=plan.paired,
                stop_when_stable=plan.stop_when_stable,
                rounds=rounds,
                samples_per_game=n,
                cap=cap,
                converged=reached,
                top_k_overlap=overlap,
            )
            return attribution
    raise AssertionError("a schedule is never empty")
