"""A first picture at once: which time slices the predicted genre needs, by leaving each out once.

A LIME or SHAP job evaluates thousands of perturbed windows; before it starts, the worker removes each
time segment of the clip in turn (replaced by the job's baseline) and records how much the genre's
probability drops. That is k + 1 perturbed clips, and each removal only touches the windows that
overlap the segment (the engine evaluates just those), so it costs a few dozen window evaluations.
It is an occlusion map, not the job's method: the page labels it a preview and replaces it.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from musicxai.audio.decode import DecodedAudio
from musicxai.config import ENGINE_MAX_BATCH_WINDOWS
from musicxai.explain.params import ExplanationParams
from musicxai.explain.pipeline import build_engine
from musicxai.explain.render import heatmap_png
from musicxai.explain.result import OcclusionPreview
from musicxai.explain.segmentation import SegmentationKind
from musicxai.explain.segmenters import SegmentationParams
from musicxai.model.classifier import GenreClassifier


def occlusion_preview(
    classifier: GenreClassifier,
    audio: DecodedAudio,
    params: ExplanationParams,
    *,
    max_batch_windows: int = ENGINE_MAX_BATCH_WINDOWS,
) -> tuple[OcclusionPreview, bytes]:
    """The preview record and its heatmap PNG, for the genre the job explains first."""
    t0 = time.perf_counter()
    temporal = SegmentationParams(SegmentationKind.temporal, params.segment_seconds, params.n_bands)
    spec = replace(params.engine_spec(), segmentation=temporal)  # the job's baseline, time slices only
    engine = build_engine(classifier, audio, spec, max_batch_windows=max_batch_windows)
    segmentation = engine.segmentation
    k = segmentation.k
    masks = np.ones((k + 1, k), dtype=bool)
    masks[np.arange(1, k + 1), np.arange(k)] = False  # row 0 is the whole clip, row i + 1 lacks segment i
    probabilities = engine(masks)
    genres = classifier.genres
    target = genres.index(params.genres[0]) if params.genres else int(np.argmax(probabilities[0]))
    drops = probabilities[0, target] - probabilities[1:, target]
    title = (
        f"{genres[target]} (p = {probabilities[0, target]:.2f}) · preview: each {params.segment_seconds:g} s left out"
    )
    png = heatmap_png(segmentation.S, segmentation.weight_map(drops), classifier.features, title=title)
    preview = OcclusionPreview(
        genre=genres[target],
        probability=round(float(probabilities[0, target]), 6),
        drops=drops.round(6).tolist(),
        segment_seconds=params.segment_seconds,
        windows_evaluated=engine.stats.windows_evaluated,
        seconds=round(time.perf_counter() - t0, 4),
    )
    return preview, png
