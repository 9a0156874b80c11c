"""Model bundles: ``models/<name>/`` with the model file, ``bundle.json``, evaluation and ALE artifacts.

A model is an input (:mod:`~musicxai.model.inputs`), an output (:mod:`~musicxai.model.outputs`) and
a runtime (Keras, ONNX Runtime, or a Python callable), all declared in ``bundle.json``. Bundles of
format 1 (our own log-mel Keras models, softmax over genres) read as format 2 with those defaults.
``bundle.json`` and ``ale/index.json`` are the contract between training and serving. Its schema is strict (unknown keys
are errors) and its feature settings are re-validated against what this code computes, so a
bundle made with other settings is refused loudly instead of being mis-served.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from musicxai.errors import BundleError, NotFoundError, describe_validation_error
from musicxai.model.features import FeatureSettings, Normalisation
from musicxai.model.inputs import LogMelWindows, ModelInput
from musicxai.model.outputs import Output

FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
BUNDLE_FILE = "bundle.json"
MODEL_FILE = "model.keras"
ONNX_FILE = "model.onnx"
ALE_DIR = "ale"
ALE_INDEX = "index.json"
ALE_FILE = re.compile(r"^(?P<name>[a-z0-9_]+)\.(?P<kind>png|json)$")  # what an ALE artifact may be called


class SplitInfo(BaseModel):
    """How tracks were divided; ``unit`` is always ``track`` so no test window leaks into training."""

    model_config = ConfigDict(extra="forbid")

    unit: Literal["track"] = "track"
    seed: int | None = None
    source: str = Field(description="'stratified' (seeded) or the split-list folder used")
    tracks: dict[str, int] = Field(description="number of tracks in train/valid/test")
    test_tracks: list[str] = Field(default_factory=list, description="relative paths of held-out tracks")


class TrainingData(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str
    dataset: str
    root: str | None = None
    tracks: int
    windows: dict[str, int]
    clip_seconds: float | None = None


class TestMetrics(BaseModel):
    model_config = ConfigDict(extra="allow")

    clip_accuracy: float
    window_accuracy: float
    tracks: int


class Metrics(BaseModel):
    model_config = ConfigDict(extra="allow")

    test: TestMetrics


class RuntimeSpec(BaseModel):
    """What runs the model: ``keras`` / ``onnx`` name a file in the bundle, ``callable`` a
    ``package.module:function`` the operator installed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["keras", "onnx", "callable"] = "keras"
    target: str = MODEL_FILE

    @model_validator(mode="after")
    def _check(self) -> RuntimeSpec:
        if self.kind != "callable" and (Path(self.target).name != self.target or self.target.startswith(".")):
            raise ValueError(f"runtime target {self.target!r} must be a file name inside the bundle")
        return self


class BundleMeta(BaseModel):
    """The parsed ``bundle.json``; ``genres`` are the model's labels (genres, or tags for a tag model)."""

    model_config = ConfigDict(extra="forbid")

    format_version: int
    name: str
    architecture: str
    genres: list[str]
    features: FeatureSettings = Field(description="log-mel windows (our input), or the grid explanations draw on")
    normalisation: Normalisation | None = None
    input: ModelInput = Field(default_factory=LogMelWindows)
    output: Output = Field(default_factory=Output)
    runtime: RuntimeSpec = Field(default_factory=RuntimeSpec)
    provenance: dict[str, Any] = Field(default_factory=dict, description="where the model comes from: source, licence")
    explanation_defaults: dict[str, Any] = Field(
        default_factory=dict, description="explanation parameters this model takes unless a request sets them"
    )
    split: SplitInfo | None = None
    training_data: TrainingData | None = None
    training: dict[str, Any] = Field(default_factory=dict)
    metrics: Metrics | None = Field(None, description="held-out test metrics; null until evaluated")
    versions: dict[str, str] = Field(default_factory=dict)
    reports: dict[str, Any] = Field(default_factory=dict, description="checks run after training, e.g. real audio")
    sanity_checks: dict[str, Any] | None = Field(
        None, description="its explanation methods under weight randomisation and input noise (musicxai bundle check)"
    )
    git_commit: str | None = None
    created: str | None = None

    @model_validator(mode="after")
    def _check(self) -> BundleMeta:
        if self.format_version not in READABLE_VERSIONS:
            raise ValueError(f"format_version={self.format_version}; this code reads {READABLE_VERSIONS}")
        if len(set(self.genres)) != len(self.genres) or not self.genres:
            raise ValueError("genres must be a non-empty list of distinct names")
        if self.input.kind == "logmel_windows" and self.normalisation is None:
            raise ValueError("log-mel window input needs the normalisation its model was trained with")
        if self.runtime.kind == "callable" and self.input.kind != "waveform":
            raise ValueError("a callable takes (waveform, sample_rate): declare a waveform input")
        if self.input.kind != "logmel_windows" and self.features.sample_rate != self.input.sample_rate:
            raise ValueError("the explanation grid's sample rate must be the input's")
        if self.normalisation is not None and len(self.normalisation.mean) != self.features.n_mels:
            raise ValueError(
                f"normalisation has {len(self.normalisation.mean)} bands, features.n_mels={self.features.n_mels}"
            )
        return self

    @property
    def takes_audio(self) -> bool:
        """Explained in the audio domain (waveform or filterbank input) rather than on log-mel windows."""
        return self.input.kind != "logmel_windows"

    @property
    def has_gradients(self) -> bool:
        """Input gradients exist: a Keras model on our own windows."""
        return self.runtime.kind == "keras" and not self.takes_audio


def read_bundle_meta(path: Path) -> BundleMeta:
    """Parse and validate ``path/bundle.json``; every problem becomes one :class:`BundleError`."""
    path = Path(path)
    meta_file = path / BUNDLE_FILE
    if not meta_file.is_file():
        raise BundleError(f"No {BUNDLE_FILE} in {path}: not a model bundle.")
    try:
        meta = BundleMeta.model_validate(json.loads(meta_file.read_text()))
    except json.JSONDecodeError as exc:
        raise BundleError(f"{meta_file} is not valid JSON: {exc}") from exc
    except ValidationError as exc:
        problems = describe_validation_error(exc.errors(), whole="bundle")
        raise BundleError(f"{meta_file} cannot be served by this code: {problems}") from exc
    if meta.runtime.kind != "callable" and not (path / meta.runtime.target).is_file():
        raise BundleError(f"No {meta.runtime.target} in {path}: the bundle is incomplete.")
    return meta


def write_bundle_meta(path: Path, meta: BundleMeta) -> Path:
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    target = path / BUNDLE_FILE
    target.write_text(json.dumps(meta.model_dump(mode="json"), indent=2) + "\n")
    return target


def list_bundles(models_dir: Path) -> list[Path]:
    """Bundle folders directly under ``models_dir`` (those holding a ``bundle.json``)."""
    return sorted(p.parent for p in Path(models_dir).glob(f"*/{BUNDLE_FILE}"))


class AleDescriptor(BaseModel):
    """One descriptor's entry in ``ale/index.json``: what it measures and its two files."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str
    label: str
    unit: str
    png: str
    json_file: str = Field(alias="json", description="the curves: bin edges, values per genre, points per bin")


class AleIndex(BaseModel):
    """``ale/index.json``: how the curves were computed and which descriptors have them."""

    model_config = ConfigDict(extra="forbid")

    bundle: str
    engine: str
    bins: int
    clips: int | None = None
    data: str | None = None
    clip_evaluations: int | None = None
    seconds: float | None = None
    descriptors: list[AleDescriptor]


def write_ale_index(path: Path, index: AleIndex) -> Path:
    """Write ``path/ale/index.json``."""
    target = Path(path) / ALE_DIR / ALE_INDEX
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(index.model_dump(mode="json", by_alias=True, exclude_none=True), indent=2) + "\n")
    return target


def read_ale_index(path: Path) -> AleIndex:
    """The bundle's ALE index; a bundle without one is a 404, a broken one a :class:`BundleError`."""
    target = Path(path) / ALE_DIR / ALE_INDEX
    if not target.is_file():
        raise NotFoundError(f"Model {Path(path).name!r} has no ALE artifacts.")
    try:
        return AleIndex.model_validate_json(target.read_text())
    except ValidationError as exc:
        raise BundleError(
            f"{target} is not an ALE index: {describe_validation_error(exc.errors(), whole='index')}"
        ) from exc


def read_ale_file(path: Path, filename: str) -> bytes:
    """One ALE artifact by its file name (``centroid.png``); anything else, traversal included, is a 404."""
    target = Path(path) / ALE_DIR / filename
    if ALE_FILE.match(filename) is None or not target.is_file():
        raise NotFoundError(f"No ALE artifact {filename!r}; see /v1/global/ale for the descriptors.")
    return target.read_bytes()
