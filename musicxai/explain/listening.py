"""What the evidence audio does to the model: the metrics audio-explanation papers report, and a control.

The evidence WAV (the kept segments) and its complement are classified again, exactly as a listener
would upload them, and scored as L-MAC (ICML 2024) and its successors score listenable explanations
(definitions as in speechbrain's ESC-50 interpretability recipe), for the explained label with
probability ``p`` on the whole clip, ``p_in`` on the evidence and ``p_out`` on the complement:

- AI (average increase): whether ``p_in > p`` (a share, over clips);
- AD (average drop): ``relu(p - p_in) / p × 100``;
- AG (average gain): ``relu(p_in - p) / (1 - p) × 100``;
- FF (faithfulness on the complement): ``p - p_out``;
- Fid-In: whether the evidence keeps the clip's top label.

A quiet, sparse clip can move a model by itself (ours hears it as classical), so each explanation
also scores a **control**: random sets of segments of the same area as the evidence, averaged over
a few draws. An explanation is informative where it beats its control, not where its numbers are high.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, Field

from musicxai.explain.segmentation import Segmentation
from musicxai.explain.sonify import sonify
from musicxai.model.classifier import GenreClassifier

CONTROL_DRAWS = 3  # random same-area segment sets the evidence is set against


class ListeningScores(BaseModel):
    """One kept part's scores (or their mean over the control's draws)."""

    p_evidence: float = Field(description="the label's probability on the kept audio alone")
    p_complement: float = Field(description="on the clip without it")
    average_increase: float = Field(description="AI: 1 when p_evidence > p (a mean over draws for the control)")
    average_drop: float = Field(description="AD: relu(p - p_evidence) / p × 100")
    average_gain: float = Field(description="AG: relu(p_evidence - p) / (1 - p) × 100")
    faithfulness: float = Field(description="FF: p - p_complement")
    fidelity_in: float = Field(description="Fid-In: 1 when the kept audio keeps the clip's top label")


class ListeningMetrics(BaseModel):
    """The evidence audio and its complement through the model, beside a same-area random control."""

    label: str
    p: float = Field(description="the label's probability on the whole clip")
    area: float = Field(description="share of the spectrogram the evidence keeps")
    evidence: ListeningScores
    control: ListeningScores = Field(description=f"random segments of the same area, mean of {CONTROL_DRAWS} draws")


def _scores(classifier: GenreClassifier, kept: np.ndarray, rest: np.ndarray, target: int, p: float, top: int):
    inside, outside = classifier.classify(kept).probabilities, classifier.classify(rest).probabilities
    p_in, p_out = float(inside[target]), float(outside[target])
    return np.array([
        p_in, p_out, float(p_in > p), max(0.0, p - p_in) / max(p, 1e-12) * 100,
        max(0.0, p_in - p) / max(1 - p, 1e-12) * 100, p - p_out, float(np.argmax(inside) == top),
    ])  # fmt: skip


def _same_area(segmentation: Segmentation, area: float, rng: np.random.Generator) -> np.ndarray:
    """Random segments, added in a random order until they cover at least ``area`` of the spectrogram."""
    on = np.zeros(segmentation.k, dtype=bool)
    for s in rng.permutation(segmentation.k):
        if segmentation.on_mask(on).mean() >= area:
            break
        on[s] = True
    return on


def listening_metrics(
    classifier: GenreClassifier,
    y: np.ndarray,
    segmentation: Segmentation,
    evidence_on: np.ndarray,
    heard: tuple[np.ndarray, np.ndarray],
    target: int,
    probabilities: np.ndarray,
    *,
    seed: int = 0,
) -> ListeningMetrics:
    """Scores of the evidence (segments ``evidence_on``) for label ``target`` of the clip ``y``; ``heard``
    is that evidence and its complement as sonified (the job's own WAVs, made once)."""
    p, top = float(probabilities[target]), int(np.argmax(probabilities))
    area = float(segmentation.on_mask(evidence_on).mean())
    evidence = _scores(classifier, *heard, target, p, top)
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(CONTROL_DRAWS):
        control = sonify(y, segmentation.on_mask(_same_area(segmentation, area, rng)), classifier.features)
        draws.append(_scores(classifier, *control, target, p, top))
    fields = list(ListeningScores.model_fields)
    return ListeningMetrics(
        label=classifier.genres[target],
        p=round(p, 6),
        area=round(area, 4),
        evidence=ListeningScores(**dict(zip(fields, np.round(evidence, 6).tolist(), strict=True))),
        control=ListeningScores(**dict(zip(fields, np.round(np.mean(draws, axis=0), 6).tolist(), strict=True))),
    )
