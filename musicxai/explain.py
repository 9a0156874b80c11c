"""One explanation job, transport-free: clip + parameters in, artifacts and a result record out.

The API, the Celery task and ``musicxai explain FILE`` all call :func:`run_explanation`; the task
only fetches the clip, stores what this returns and reports progress.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from musicxai.audio import DecodedAudio
from musicxai.classifier import GenreClassifier
from musicxai.engine import EngineCache, PerturbationEngine
from musicxai.errors import ParameterError
from musicxai.explainers import explain
from musicxai.faithfulness import deletion_insertion
from musicxai.features import clip_log_mel
from musicxai.render import faithfulness_png, heatmap_png, wav_bytes
from musicxai.segmentation import SegmentationParams, baseline_fill, segment_clip
from musicxai.sonify import evidence_segments, sonify

ARTIFACTS = ("heatmap.png", "faithfulness.png", "audio.wav", "complement.wav", "attributions.json")


class ExplanationParams(BaseModel):
    """What a user may choose about an explanation; every field has a sensible default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Literal["lime", "shap"] = "lime"
    segmentation: Literal["temporal", "spectral", "time_frequency", "superpixel", "sources"] = "time_frequency"
    num_samples: int = Field(1000, ge=10, le=20000, description="perturbed clips the explainer may evaluate")
    genres: list[str] | None = Field(None, description="genres to explain; default: the predicted one")
    baseline: Literal["min", "mean", "noise"] = "min"
    seed: int = Field(0, ge=0, le=2**31 - 1)
    segment_seconds: float = Field(1.5, gt=0.1, le=30.0, description="time-segment length")
    n_bands: int = Field(8, ge=1, le=64, description="mel bands for spectral / time_frequency")
    top_k: int | None = Field(None, ge=1, description="sonify at most this many positive segments")

    def fingerprint(self) -> str:
        return json.dumps(self.model_dump(mode="json"), sort_keys=True)


def job_key(clip_sha256: str, bundle_id: str, params: ExplanationParams) -> str:
    """Deterministic job id: the same clip, model and parameters always give the same job."""
    digest = hashlib.sha256(f"{clip_sha256}|{bundle_id}|{params.fingerprint()}".encode()).hexdigest()
    return digest[:32]


@dataclass
class ExplanationOutput:
    result: dict
    artifacts: dict[str, bytes]


Progress = Callable[[float, str], None]


def run_explanation(
    classifier: GenreClassifier,
    audio: DecodedAudio,
    params: ExplanationParams,
    *,
    progress: Progress | None = None,
    engines: EngineCache | None = None,
    clip_id: str | None = None,
) -> ExplanationOutput:
    """Explain one clip. With ``engines`` and the clip's ``clip_id`` (its sha256), model calls made
    by earlier jobs on the same clip, model, segmentation and baseline are reused."""
    report = progress or (lambda fraction, stage: None)
    genres = classifier.genres
    unknown = [g for g in params.genres or [] if g not in genres]
    if unknown:
        raise ParameterError(f"genres {unknown} are not among the model's genres {list(genres)}")
    settings = classifier.features
    timings: dict[str, float] = {}
    t0 = time.perf_counter()

    def build() -> PerturbationEngine:
        S = clip_log_mel(audio.samples, settings)
        baseline = baseline_fill(S, params.baseline, rng=np.random.default_rng(params.seed))
        segmentation = segment_clip(
            audio.samples,
            S,
            baseline,
            settings,
            SegmentationParams(params.segmentation, params.segment_seconds, params.n_bands),
        )
        return PerturbationEngine(classifier, segmentation)

    if engines is not None and clip_id is not None:
        noise_seed = params.seed if params.baseline == "noise" else None
        key = (
            clip_id,
            classifier.name,
            params.segmentation,
            params.segment_seconds,
            params.n_bands,
            params.baseline,
            noise_seed,
        )
        engine = engines.get(key, build)
    else:
        engine = build()
    segmentation, S = engine.segmentation, engine.segmentation.S
    stats_before = replace(engine.stats)
    timings["segmentation"] = time.perf_counter() - t0
    report(0.05, "segmented")

    engine.progress = lambda f: report(0.05 + 0.7 * f, "explaining")
    probabilities = engine(np.ones((1, segmentation.k), dtype=bool))[0]
    targets = [genres.index(g) for g in params.genres] if params.genres else [int(np.argmax(probabilities))]
    t0 = time.perf_counter()
    attribution = explain(params.method, engine, targets, num_samples=params.num_samples, seed=params.seed)
    timings["explain"] = time.perf_counter() - t0
    timings["explainer_fit"] = attribution.seconds_fit
    report(0.75, "faithfulness")

    t0 = time.perf_counter()
    engine.progress = lambda f: report(0.75 + 0.15 * f, "faithfulness")
    faithfulness = {genres[t]: deletion_insertion(engine, attribution.weights[t], t, seed=params.seed) for t in targets}
    timings["faithfulness"] = time.perf_counter() - t0
    report(0.9, "rendering")

    t0 = time.perf_counter()
    primary = targets[0]
    weights = attribution.weights[primary]
    title = (
        f"{genres[primary]} (p = {probabilities[primary]:.2f}) · {params.method.upper()} on "
        f"{segmentation.k} {params.segmentation} segments"
    )
    evidence_on = evidence_segments(weights, top_k=params.top_k)
    evidence, complement = sonify(audio.samples, segmentation.on_mask(evidence_on), settings)
    artifacts = {
        "heatmap.png": heatmap_png(S, segmentation.weight_map(weights), settings, title=title),
        "faithfulness.png": faithfulness_png(faithfulness[genres[primary]], title=f"Faithfulness · {genres[primary]}"),
        "audio.wav": wav_bytes(evidence, audio.sample_rate),
        "complement.wav": wav_bytes(complement, audio.sample_rate),
    }
    timings["render"] = time.perf_counter() - t0
    stats = engine.stats.since(stats_before)
    engine.progress = None
    timings.update(perturbation=stats.seconds_perturb, model=stats.seconds_model)
    result = {
        "model": classifier.name,
        "method": params.method,
        "params": params.model_dump(mode="json"),
        "duration_s": round(audio.duration_s, 3),
        "sample_rate": audio.sample_rate,
        "probabilities": {g: float(p) for g, p in zip(genres, probabilities, strict=True)},
        "explained_genres": [genres[t] for t in targets],
        "segments": [s.as_dict() for s in segmentation.segments],
        "weights": {genres[t]: attribution.weights[t].round(6).tolist() for t in targets},
        "base_value": {genres[t]: attribution.base_value[t] for t in targets},
        "quality": {genres[t]: attribution.quality[t] for t in targets},
        "evidence_segments": np.flatnonzero(evidence_on).tolist(),
        "faithfulness": faithfulness,
        "model_calls": stats.model_calls,
        "engine": stats.as_dict(),
        "backend": classifier.runner.backend,
        "device": classifier.runner.device,
        "timings_s": {k: round(v, 4) for k, v in timings.items()},
    }
    artifacts["attributions.json"] = json.dumps(result, indent=1).encode()
    report(1.0, "done")
    return ExplanationOutput(result, artifacts)
