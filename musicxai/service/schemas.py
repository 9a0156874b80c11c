"""The data plane's typed answers; the API serialises them (adding links), the CLI prints them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from musicxai.explain.params import ExplanationParams
from musicxai.explain.sanity import SanityChecks
from musicxai.model.quality import QualityWarning


class Prediction(BaseModel):
    id: str = Field(description="sha256 of the clip; pass it as prediction_id to request explanations")
    model: str
    duration_s: float = Field(description="seconds analysed")
    source_duration_s: float = Field(description="length of the upload")
    truncated: bool = Field(description="true when the upload was longer than max_duration_s and was cut")
    max_duration_s: float
    windows: int = Field(description="pieces the model was fed: log-mel windows, or audio chunks (1: the whole clip)")
    kind: str = Field(
        "exclusive", description="exclusive: probabilities sum to one; tags: each label holds or not on its own"
    )
    probabilities: dict[str, float]
    top: list[str]
    warnings: list[QualityWarning] = Field(
        default_factory=list, description="what makes this answer mean less (clipping, a narrow band, a cut upload)"
    )
    explainable: bool = Field(True, description="whether the clip was kept, so that its id can be explained later")
    not_explainable: str | None = Field(None, description="why not, in words, when explainable is false")


class ModelInfo(BaseModel):
    name: str
    default: bool
    id: str = Field(description="name@<sha256 of the model file, 12 hex>: changes with the weights")
    architecture: str
    genres: list[str] = Field(description="the model's labels: genres, or tags for a tag model")
    input: dict[str, Any] = Field(
        description="what the model takes: logmel_windows, waveform or filterbank, with its settings"
    )
    output: dict[str, Any] = Field(description="exclusive labels or independent tags, and the activation applied")
    model_format: str = Field(description="keras, onnx or callable")
    gradients: bool = Field(description="whether the gradient method can explain it")
    provenance: dict[str, Any] = Field(description="where the model comes from")
    explanation_defaults: dict[str, Any] = Field(description="explanation parameters this model takes unless asked")
    sanity_checks: SanityChecks | None = Field(
        None, description="its methods under weight randomisation and input noise; null until `musicxai bundle check`"
    )
    features: dict[str, Any] = Field(description="log-mel window settings, or the grid explanations draw on")
    training_data: dict[str, Any] | None
    split: dict[str, Any] | None
    metrics: dict[str, Any] | None = Field(description="held-out test metrics")
    backend: str | None = Field(description="Keras backend, once this process has loaded the model")
    runtime: str | None = Field(description="what runs the model: onnxruntime, or the Keras backend itself")
    device: str | None
    created: str | None


class Limits(BaseModel):
    max_upload_bytes: int
    max_duration_s: float
    min_duration_s: float
    max_num_samples: int
    accepted_formats: str


class Models(BaseModel):
    default: str
    models: list[ModelInfo]
    limits: Limits


class Choice(BaseModel):
    value: str
    label: str


class ExplanationOptions(BaseModel):
    """What the page's menus offer: each choice once, from the core's own definitions."""

    methods: list[Choice]
    games: list[Choice]
    segmentations: list[Choice]
    baselines: list[Choice]
    defaults: ExplanationParams
    max_num_samples: int
