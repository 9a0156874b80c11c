"""Model bundles: ``models/<name>/`` with ``model.keras``, ``bundle.json`` and evaluation artifacts.

``bundle.json`` is the contract between training and serving. Its schema is strict (unknown keys
are errors) and its feature settings are re-validated against what this code computes, so a
bundle made with other settings is refused loudly instead of being mis-served.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from musicxai.errors import BundleError
from musicxai.features import FeatureSettings, Normalisation

FORMAT_VERSION = 1
BUNDLE_FILE = "bundle.json"
MODEL_FILE = "model.keras"


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


class BundleMeta(BaseModel):
    """The parsed ``bundle.json``."""

    model_config = ConfigDict(extra="forbid")

    format_version: int
    name: str
    architecture: str
    genres: list[str]
    features: FeatureSettings
    normalisation: Normalisation
    split: SplitInfo
    training_data: TrainingData
    training: dict[str, Any] = Field(default_factory=dict)
    metrics: Metrics | None = Field(None, description="held-out test metrics; null until evaluated")
    versions: dict[str, str] = Field(default_factory=dict)
    reports: dict[str, Any] = Field(default_factory=dict, description="checks run after training, e.g. real audio")
    git_commit: str | None = None
    created: str | None = None

    @model_validator(mode="after")
    def _check(self) -> BundleMeta:
        if self.format_version != FORMAT_VERSION:
            raise ValueError(f"format_version={self.format_version}; this code reads {FORMAT_VERSION}")
        if len(set(self.genres)) != len(self.genres) or not self.genres:
            raise ValueError("genres must be a non-empty list of distinct names")
        if len(self.normalisation.mean) != self.features.n_mels:
            raise ValueError(
                f"normalisation has {len(self.normalisation.mean)} bands, features.n_mels={self.features.n_mels}"
            )
        return self


def read_bundle_meta(path: Path) -> BundleMeta:
    """Parse and validate ``path/bundle.json``; every problem becomes one :class:`BundleError`."""
    path = Path(path)
    meta_file = path / BUNDLE_FILE
    if not meta_file.is_file():
        raise BundleError(f"No {BUNDLE_FILE} in {path}: not a model bundle.")
    if not (path / MODEL_FILE).is_file():
        raise BundleError(f"No {MODEL_FILE} in {path}: the bundle is incomplete.")
    try:
        return BundleMeta.model_validate(json.loads(meta_file.read_text()))
    except json.JSONDecodeError as exc:
        raise BundleError(f"{meta_file} is not valid JSON: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'bundle'}: {err['msg']}" for err in exc.errors()
        )
        raise BundleError(f"{meta_file} cannot be served by this code: {problems}") from exc


def write_bundle_meta(path: Path, meta: BundleMeta) -> Path:
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    target = path / BUNDLE_FILE
    target.write_text(json.dumps(meta.model_dump(mode="json"), indent=2) + "\n")
    return target


def list_bundles(models_dir: Path) -> list[Path]:
    """Bundle folders directly under ``models_dir`` (those holding a ``bundle.json``)."""
    return sorted(p.parent for p in Path(models_dir).glob(f"*/{BUNDLE_FILE}"))
