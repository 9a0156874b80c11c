"""What one explanation job produces: the preview it publishes first, its typed result record, and the
names of its artifact files. Data records only, so the ledger and the API read them without the
machinery that makes them."""

from __future__ import annotations

from pydantic import BaseModel, Field

from musicxai.explain.attribution import Method, SamplingReport
from musicxai.explain.budget import BudgetPlan
from musicxai.explain.engine import EngineStats
from musicxai.explain.faithfulness import FaithfulnessCurves
from musicxai.explain.listening import ListeningMetrics
from musicxai.explain.params import ExplanationParams
from musicxai.explain.segmentation import Segment, SegmentationKind
from musicxai.explain.stability import Stability
from musicxai.model.quality import QualityWarning

PREVIEW_FILE = "preview.png"  # published while the job runs, before the artifacts below
# link name -> stored file name of every artifact a succeeded job has
ARTIFACT_FILES: dict[str, str] = {
    "heatmap": "heatmap.png",
    "audio": "audio.wav",
    "complement_audio": "complement.wav",
    "attributions": "attributions.json",
    "faithfulness": "faithfulness.png",
}


class OcclusionPreview(BaseModel):
    """The occlusion preview a job publishes in its status document before its result."""

    method: str = "occlusion"
    segmentation: SegmentationKind = SegmentationKind.temporal
    genre: str
    probability: float
    drops: list[float] = Field(description="per time segment: the genre's probability minus that without it")
    segment_seconds: float
    windows_evaluated: int
    seconds: float


class ExplanationResult(BaseModel):
    """The record of one explanation: per-segment weights for each explained genre, the methods' own
    quality checks, faithfulness curves, and what it cost. Also stored as ``attributions.json``."""

    model: str
    method: Method
    params: ExplanationParams
    samples_per_game: int = Field(
        description="samples each game may draw; a game with fewer coalitions is played exactly; 0: no game"
    )
    games_played: int = Field(description="games solved: one per model window, the one clip game, or 0 (gradient)")
    duration_s: float
    sample_rate: int
    probabilities: dict[str, float] = Field(description="clip probabilities of the unperturbed clip")
    explained_genres: list[str]
    segments: list[Segment]
    weights: dict[str, list[float]] = Field(description="genre -> one weight per segment")
    base_value: dict[str, float] = Field(description="LIME intercept / SHAP expected value per genre")
    quality: dict[str, dict[str, float]] = Field(description="LIME's R², SHAP's additivity error, per genre")
    stability: dict[str, Stability] = Field(
        default_factory=dict, description="per genre: how the ranking holds over bootstrap re-fits of its samples"
    )
    evidence_segments: list[int] = Field(description="segments in the evidence audio")
    faithfulness: dict[str, FaithfulnessCurves]
    model_calls: int
    engine: EngineStats
    backend: str
    runtime: str = Field(description="what ran the model: onnxruntime, or the Keras backend itself")
    device: str
    timings_s: dict[str, float] = Field(description="seconds per stage")
    warnings: list[QualityWarning] = Field(default_factory=list, description="the clip's quality warnings")
    budget: BudgetPlan | None = Field(None, description="with max_model_seconds: the plan and what it cut")
    sampling: SamplingReport | None = Field(None, description="LIME: how its masks were drawn and when it stopped")
    listening: ListeningMetrics | None = Field(
        None, description="the evidence audio and its complement through the model (AI, AD, AG, FF, Fid-In), "
        "beside random segments of the same area"
    )  # fmt: skip
