"""What a user may choose about an explanation, and the job id those choices give.

Job ids are derived from the clip, the bundle and the parameters, so the same request for the same
clip always names the same job.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, model_validator

from musicxai.explain.attribution import NUM_SAMPLES, WINDOW_SAMPLES, Games, Method
from musicxai.explain.baseline import Baseline
from musicxai.explain.faithfulness import MAX_POINTS, N_RANDOM_ORDERS
from musicxai.explain.sampling import SamplingPlan
from musicxai.explain.segmentation import SegmentationKind
from musicxai.explain.segmenters import N_BANDS, SEGMENT_SECONDS, SegmentationParams
from musicxai.explain.stability import TOP_K
from musicxai.explain.surrogates import LIME_KERNEL_WIDTH

MAX_NUM_SAMPLES = 20_000  # what any explanation may ask; services lower it with MUSICXAI_MAX_NUM_SAMPLES
LIME_ONLY = ("kernel_width", "paired", "stop_when_stable")  # how LIME weighs and draws: no other method reads them


@dataclass(frozen=True)
class EngineSpec:
    """What decides an explanation engine's windows: two jobs with equal specs on one clip and
    model can share every model call (hashable: the engine-cache key)."""

    segmentation: SegmentationParams
    baseline: Baseline
    noise_seed: int | None  # only a noise baseline depends on the seed


class ExplanationParams(BaseModel):
    """What a user may choose about an explanation; every field has a sensible default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Method = Method.lime
    segmentation: SegmentationKind = SegmentationKind.time_frequency
    games: Games = Field(Games.windows, description="one small game per model window, or one over the whole clip")
    num_samples: int | None = Field(
        None,
        ge=10,
        le=MAX_NUM_SAMPLES,
        description=f"samples per game; default {WINDOW_SAMPLES} per window game, {NUM_SAMPLES} for the clip game",
    )
    genres: list[str] | None = Field(None, description="genres to explain; default: the predicted one")
    baseline: Baseline = Baseline.min
    seed: int = Field(0, ge=0, le=2**31 - 1)
    segment_seconds: float = Field(SEGMENT_SECONDS, gt=0.1, le=30.0, description="time-segment length")
    n_bands: int = Field(N_BANDS, ge=1, le=64, description="mel bands for spectral / time_frequency")
    top_k: int | None = Field(None, ge=1, description="sonify at most this many positive segments")
    faithfulness_points: int = Field(MAX_POINTS, ge=4, le=200, description="steps of each faithfulness curve")
    random_orders: int = Field(
        N_RANDOM_ORDERS, ge=2, le=16, multiple_of=2, description="random orders (in pairs) the curves are set against"
    )
    kernel_width: float = Field(
        LIME_KERNEL_WIDTH, gt=0, le=10, description="LIME: width of its kernel on the cosine distance to the clip"
    )
    paired: bool = Field(
        False, description="LIME: draw masks in complementary pairs (each random mask, then its opposite)"
    )
    stop_when_stable: float | None = Field(
        None,
        gt=0,
        le=1,
        description="LIME: draw in rounds and stop once the bootstrap re-fits keep this share of the top segments "
        "(num_samples is then the cap)",
    )
    max_model_seconds: float | None = Field(
        None, gt=0, le=3600, description="fit the sampling to this many seconds of model calls (a costly model's bound)"
    )

    @model_validator(mode="after")
    def _lime_sampling(self) -> ExplanationParams:
        fields = type(self).model_fields
        asked = [name for name in LIME_ONLY if getattr(self, name) != fields[name].default]  # stored records too
        if asked and self.method is not Method.lime:
            raise ValueError(
                f"{' and '.join(asked)} choose how LIME weighs and draws its masks; method {self.method.value!r} "
                "draws none of its own (SHAP's KernelExplainer weighs and pairs its coalitions itself)"
            )
        return self

    def with_defaults(self, defaults: dict) -> ExplanationParams:
        """These parameters with ``defaults`` (a bundle's) for the fields the caller did not set; a
        default of LIME's own applies only where the method is LIME."""
        chosen = self.model_dump(include=self.model_fields_set)
        merged = {**defaults, **chosen}
        if Method(merged.get("method", Method.lime)) is not Method.lime:
            merged = {k: v for k, v in merged.items() if k not in LIME_ONLY or k in chosen}
        return ExplanationParams(**merged)

    @property
    def sampling(self) -> SamplingPlan:
        """How LIME draws its masks for these parameters."""
        return SamplingPlan(self.paired, self.stop_when_stable, self.top_k or TOP_K)

    @property
    def samples(self) -> int:
        """Samples per game: the asked number, else the default of the chosen games."""
        if self.num_samples is not None:
            return self.num_samples
        return WINDOW_SAMPLES if self.games is Games.windows else NUM_SAMPLES

    @property
    def samples_per_game(self) -> int:
        """What a result reports: :attr:`samples`, or 0 for the gradient method, which plays no game."""
        return 0 if self.method is Method.gradient else self.samples

    def fingerprint(self) -> str:
        return json.dumps(self.model_dump(mode="json"), sort_keys=True)

    def engine_spec(self) -> EngineSpec:
        return EngineSpec(
            segmentation=SegmentationParams(self.segmentation, self.segment_seconds, self.n_bands),
            baseline=self.baseline,
            noise_seed=self.seed if self.baseline is Baseline.noise else None,
        )


def job_key(clip_sha256: str, bundle_id: str, params: ExplanationParams, *, owner: str | None = None) -> str:
    """Deterministic job id: the same clip, model and parameters always give the same job, for one
    ``owner`` (API key): two keys asking for the same explanation get two jobs."""
    scope = "" if owner is None else f"|key:{owner}"
    digest = hashlib.sha256(f"{clip_sha256}|{bundle_id}|{params.fingerprint()}{scope}".encode()).hexdigest()
    return digest[:32]
