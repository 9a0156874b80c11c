"""One explanation job, transport-free: clip + parameters in, a typed result and artifacts out.

The Celery task and ``musicxai explain FILE`` both call :func:`run_explanation`; the task only
fetches the clip, stores what this returns and reports progress. The work is two steps:
:func:`explain_clip` computes (segments, attributions, faithfulness), :func:`render_artifacts` draws
and sonifies what it computed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from musicxai.audio.decode import DecodedAudio
from musicxai.config import DEFAULT_QUALITY, ENGINE_MAX_BATCH_WINDOWS, QualityLimits
from musicxai.errors import ParameterError
from musicxai.explain.attribution import Games, Method
from musicxai.explain.baseline import baseline_fill
from musicxai.explain.budget import fit_budget
from musicxai.explain.engine import PerturbationEngine
from musicxai.explain.engine_cache import EngineCache
from musicxai.explain.faithfulness import deletion_insertion
from musicxai.explain.listening import ListeningMetrics, listening_metrics
from musicxai.explain.methods import attribute_as
from musicxai.explain.params import EngineSpec, ExplanationParams
from musicxai.explain.render import faithfulness_png, heatmap_png, wav_bytes
from musicxai.explain.result import ARTIFACT_FILES, ExplanationResult
from musicxai.explain.segmentation import Segmentation
from musicxai.explain.segmenters import SegmentationParams, segment_clip
from musicxai.explain.sonify import evidence_segments, sonify
from musicxai.explain.stability import TOP_K, summarize
from musicxai.model.classifier import GenreClassifier
from musicxai.model.detector import MusicDetector
from musicxai.model.features import FeatureSettings, clip_log_mel
from musicxai.model.quality import assess

StageProgress = Callable[[float, str], None]  # (fraction of the whole job, stage name)


@dataclass
class ExplanationOutput:
    result: ExplanationResult
    artifacts: dict[str, bytes]  # stored file name -> bytes


def build_engine(
    classifier: GenreClassifier,
    audio: DecodedAudio,
    spec: EngineSpec,
    *,
    max_batch_windows: int = ENGINE_MAX_BATCH_WINDOWS,
) -> PerturbationEngine:
    """Log-mel, baseline and segmentation of ``audio`` as ``spec`` asks, behind a fresh engine."""
    S = clip_log_mel(audio.samples, classifier.features)
    baseline = baseline_fill(S, spec.baseline, rng=np.random.default_rng(spec.noise_seed or 0))
    segmentation = segment_clip(audio.samples, S, baseline, classifier.features, spec.segmentation)
    samples = audio.samples if classifier.takes_audio else None  # perturbed as audio, not as log-mel
    return PerturbationEngine(classifier, segmentation, max_batch_windows=max_batch_windows, samples=samples)


def default_segment_count(classifier: GenreClassifier, seconds: float) -> int:
    """Segments of the default segmentation on a clip of ``seconds``: what a worker compiles for."""
    blank = np.zeros((classifier.features.n_mels, classifier.features.frames_for(seconds)))
    return segment_clip(np.zeros(0), blank, blank, classifier.features, SegmentationParams()).k


def explain_clip(
    classifier: GenreClassifier,
    engine: PerturbationEngine,
    audio: DecodedAudio,
    params: ExplanationParams,
    *,
    progress: StageProgress,
) -> ExplanationResult:
    """Attributions and faithfulness of one clip on ``engine`` (which may already remember windows)."""
    genres = classifier.genres
    unknown = [g for g in params.genres or [] if g not in genres]
    if unknown:
        raise ParameterError(f"genres {unknown} are not among the model's genres {list(genres)}")
    segmentation = engine.segmentation
    stats_before = replace(engine.stats)
    timings: dict[str, float] = {}

    probabilities = engine(np.ones((1, segmentation.k), dtype=bool))[0]
    targets = [genres.index(g) for g in params.genres] if params.genres else [int(np.argmax(probabilities))]
    budget = None
    if params.max_model_seconds is not None:  # a piece's cost, as this engine has measured it so far
        per_piece = engine.stats.seconds_model / max(1, engine.stats.windows_evaluated)
        params, budget = fit_budget(engine, params, len(targets), per_piece)
    t0 = time.perf_counter()
    attribution = attribute_as(params, engine, targets, progress=lambda f: progress(0.05 + 0.7 * f, "explaining"))
    timings["explain"] = time.perf_counter() - t0
    timings["explainer_fit"] = attribution.seconds_fit
    progress(0.75, "faithfulness")

    t0 = time.perf_counter()
    faithfulness = {
        genres[t]: deletion_insertion(
            engine,
            attribution.weights[t],
            t,
            seed=params.seed,
            n_random=params.random_orders,
            max_points=params.faithfulness_points,
            progress=lambda f: progress(0.75 + 0.15 * f, "faithfulness"),
        )
        for t in targets
    }
    timings["faithfulness"] = time.perf_counter() - t0
    stats = engine.stats.since(stats_before)
    timings.update(perturbation=stats.seconds_perturb, model=stats.seconds_model)
    evidence_on = evidence_segments(attribution.weights[targets[0]], top_k=params.top_k)
    sampled = params.method is not Method.gradient  # a gradient plays no game
    replicates = attribution.replicates or {}
    stability = {
        genres[t]: summarize(attribution.weights[t], replicates.get(t), top_k=params.top_k or TOP_K) for t in targets
    }
    return ExplanationResult(
        model=classifier.name,
        method=params.method,
        params=params,
        samples_per_game=params.samples_per_game,
        games_played=(engine.n_windows if params.games is Games.windows else 1) if sampled else 0,
        duration_s=round(audio.duration_s, 3),
        sample_rate=audio.sample_rate,
        probabilities={g: float(p) for g, p in zip(genres, probabilities, strict=True)},
        explained_genres=[genres[t] for t in targets],
        segments=segmentation.segments,
        weights={genres[t]: attribution.weights[t].round(6).tolist() for t in targets},
        base_value={genres[t]: attribution.base_value[t] for t in targets},
        quality={genres[t]: attribution.quality[t] for t in targets},
        stability=stability,
        evidence_segments=np.flatnonzero(evidence_on).tolist(),
        faithfulness=faithfulness,
        model_calls=stats.model_calls,
        engine=stats.rounded(),
        backend=classifier.runner.backend,
        runtime=classifier.runner.runtime,
        device=classifier.runner.device,
        timings_s={k: round(v, 4) for k, v in timings.items()},
        budget=budget,
        sampling=attribution.sampling,
    )


@dataclass
class Evidence:
    """The first explained genre's evidence segments and the two WAVs a listener gets: the evidence and
    its complement, sonified once for the listening metrics and the artifacts alike."""

    on: np.ndarray  # [shape=(k,)] bool
    audio: np.ndarray
    complement: np.ndarray

    @classmethod
    def of(
        cls, result: ExplanationResult, segmentation: Segmentation, audio: DecodedAudio, settings: FeatureSettings
    ) -> Evidence:
        on = np.zeros(segmentation.k, dtype=bool)
        on[result.evidence_segments] = True
        return cls(on, *sonify(audio.samples, segmentation.on_mask(on), settings))


def render_artifacts(
    result: ExplanationResult, segmentation: Segmentation, evidence: Evidence, classifier: GenreClassifier
) -> dict[str, bytes]:
    """Heatmap, faithfulness plot, evidence and complement audio of the first explained genre."""
    genre = result.explained_genres[0]
    settings = classifier.features
    weights = np.asarray(result.weights[genre])
    title = (
        f"{genre} (p = {result.probabilities[genre]:.2f}) · {result.method.upper()} on "
        f"{segmentation.k} {result.params.segmentation} segments"
    )
    return {
        ARTIFACT_FILES["heatmap"]: heatmap_png(segmentation.S, segmentation.weight_map(weights), settings, title=title),
        ARTIFACT_FILES["faithfulness"]: faithfulness_png(result.faithfulness[genre], title=f"Faithfulness · {genre}"),
        ARTIFACT_FILES["audio"]: wav_bytes(evidence.audio, result.sample_rate),
        ARTIFACT_FILES["complement_audio"]: wav_bytes(evidence.complement, result.sample_rate),
    }


def listen(
    classifier: GenreClassifier,
    audio: DecodedAudio,
    segmentation: Segmentation,
    result: ExplanationResult,
    evidence: Evidence,
) -> ListeningMetrics:
    """The evidence audio of the first explained genre, and its complement, through the model."""
    probabilities = np.array([result.probabilities[g] for g in classifier.genres])
    target = classifier.genres.index(result.explained_genres[0])
    return listening_metrics(
        classifier, audio.samples, segmentation, evidence.on, (evidence.audio, evidence.complement), target,
        probabilities, seed=result.params.seed,
    )  # fmt: skip


def run_explanation(
    classifier: GenreClassifier,
    audio: DecodedAudio,
    params: ExplanationParams,
    *,
    progress: StageProgress | None = None,
    engines: EngineCache | None = None,
    clip_id: str | None = None,
    max_batch_windows: int = ENGINE_MAX_BATCH_WINDOWS,
    quality: QualityLimits = DEFAULT_QUALITY,
    detector: MusicDetector | None = None,
) -> ExplanationOutput:
    """Explain one clip. With ``engines`` and the clip's ``clip_id`` (its sha256), model calls made
    by earlier jobs on the same clip, model and engine spec are reused. A silent clip is refused
    (:class:`~musicxai.model.quality.SilentAudioError`) before anything is explained."""
    report = progress or (lambda fraction, stage: None)
    spec = params.engine_spec()
    t0 = time.perf_counter()

    def build() -> PerturbationEngine:
        return build_engine(classifier, audio, spec, max_batch_windows=max_batch_windows)

    engine = engines.get((clip_id, classifier.name, spec), build) if engines is not None and clip_id else build()
    segmentation_s = time.perf_counter() - t0
    warnings = assess(audio, engine.segmentation.S, classifier.features, quality, detector)
    report(0.05, "segmented")
    result = explain_clip(classifier, engine, audio, params, progress=report)
    result.warnings = warnings
    report(0.88, "listening")
    t0 = time.perf_counter()
    evidence = Evidence.of(result, engine.segmentation, audio, classifier.features)
    result.listening = listen(classifier, audio, engine.segmentation, result, evidence)
    result.timings_s["listening"] = round(time.perf_counter() - t0, 4)
    report(0.9, "rendering")
    t0 = time.perf_counter()
    artifacts = render_artifacts(result, engine.segmentation, evidence, classifier)
    result.timings_s = {"segmentation": round(segmentation_s, 4), **result.timings_s}
    result.timings_s["render"] = round(time.perf_counter() - t0, 4)
    artifacts[ARTIFACT_FILES["attributions"]] = result.model_dump_json(indent=1).encode()
    report(1.0, "done")
    return ExplanationOutput(result, artifacts)
