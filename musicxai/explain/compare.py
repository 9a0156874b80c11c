"""Two explanations of one clip, side by side in numbers: do they tell the same story?

LIME and SHAP on the same segmentation, or two models' explanations where the segments match, are
compared on one genre both explained: rank correlation over all segments, how many of each one's
top segments the other shares, and, among the segments either ranks high, those whose ranks differ
most (what a person should listen to before trusting either).
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, Field
from scipy.stats import rankdata

from musicxai.errors import ParameterError
from musicxai.explain.result import ExplanationResult
from musicxai.explain.segmentation import Segment
from musicxai.explain.stability import TOP_K, rank_correlation, top_segments

DISAGREEMENTS = 5  # segments listed where the two rankings differ most, among those either ranks high


class Disagreement(BaseModel):
    segment: Segment
    rank_a: int = Field(description="1 = the segment that spoke most for the genre in explanation a")
    rank_b: int
    weight_a: float
    weight_b: float


class Comparison(BaseModel):
    genre: str = Field(description="the genre both explained (a's first that b also explained)")
    methods: tuple[str, str]
    models: tuple[str, str]
    segments: int
    kendall_tau: float = Field(description="rank correlation of the two weightings over all segments")
    top_k: int
    top_k_overlap: float = Field(description="share of a's top-k segments among b's top k")
    top_a: list[int] = Field(description="a's top-k segment indices, highest first")
    top_b: list[int]
    disagreements: list[Disagreement] = Field(
        description="among the segments either ranks in its top 2k, those whose ranks differ most, largest first"
    )


def _ranks(weights: np.ndarray) -> np.ndarray:
    return rankdata(-weights, method="min").astype(int)


def compare(a: ExplanationResult, b: ExplanationResult, *, top_k: int = TOP_K) -> Comparison:
    """Compare ``a`` and ``b``; they must cut the clip into the same segments and share a genre."""
    if a.segments != b.segments:
        raise ParameterError(
            f"the two explanations use different segments ({a.params.segmentation}, {len(a.segments)} segments; "
            f"{b.params.segmentation}, {len(b.segments)} segments): explain both with the same segmentation"
        )
    shared = [g for g in a.explained_genres if g in b.explained_genres]
    if not shared:
        raise ParameterError(
            f"the explanations share no explained genre ({a.explained_genres} and {b.explained_genres}); "
            "ask for the same one with genres=…"
        )
    genre = shared[0]
    wa, wb = np.asarray(a.weights[genre]), np.asarray(b.weights[genre])
    k = min(top_k, len(wa))
    top_a, top_b = (sorted(top_segments(w, k), key=lambda i, w=w: -w[i]) for w in (wa, wb))
    ra, rb = _ranks(wa), _ranks(wb)
    candidates = sorted(top_segments(wa, 2 * k) | top_segments(wb, 2 * k))  # what a person would listen to
    order = sorted(candidates, key=lambda i: -abs(ra[i] - rb[i]))[:DISAGREEMENTS]
    return Comparison(
        genre=genre,
        methods=(a.method.value, b.method.value),
        models=(a.model, b.model),
        segments=len(wa),
        kendall_tau=round(rank_correlation(wa, wb), 4),
        top_k=k,
        top_k_overlap=round(len(set(top_a) & set(top_b)) / max(k, 1), 4),
        top_a=top_a,
        top_b=top_b,
        disagreements=[
            Disagreement(
                segment=a.segments[i], rank_a=ra[i], rank_b=rb[i], weight_a=float(wa[i]), weight_b=float(wb[i])
            )
            for i in order
            if ra[i] != rb[i]
        ],
    )
