"""Is this clip music? A small model beside the genre bundles that says how likely a clip is music.

A genre classifier gives every sound a genre: speech, a door slam, rain. The detector describes a clip
by the mean and the spread over time of a window embedding (up to ``max_windows`` evenly spaced
windows), and a logistic regression, fitted on the real-audio set's train part where recorded
speech, effects, ambience, noise and tones stand against music, turns that into a music probability.
The embedding is a music tagger's (MagnaTagATune's, cut at its 256-d layer) or that of a small CNN
distilled from it (``training/detector_distil.py``), whichever ``model.keras`` holds. It lives in
``models/detector/``: ``model.keras`` (normalised window -> embedding) and ``detector.json`` (the
input normalisation, the regression with its standardisation folded in, the threshold, how all were
chosen), and it serves every bundle, whatever the bundle's own features.

A folder may hold a cheaper detector of its own in ``screen/`` (the distilled one) with the band of
its probabilities where it answers alone: a clip it is sure of never reaches the main model, the rest
do. The band is chosen on out-of-fold answers of the train part (``training/detector.py``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import librosa
import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from musicxai.config import DEFAULT_RUNNER, RunnerOptions
from musicxai.errors import BundleError, describe_validation_error
from musicxai.model.bundle import MODEL_FILE
from musicxai.model.features import FeatureSettings, Normalisation, clip_windows, frame_windows, normalise
from musicxai.model.runner import ModelRunner

DETECTOR_FILE = "detector.json"
SCREEN_DIR = "screen"


class ScreenBand(BaseModel):
    """Where the screen's probability decides alone: below ``not_music_below`` not music, at or above
    ``music_above`` music; in between the main model answers."""

    model_config = ConfigDict(extra="forbid")

    not_music_below: float = Field(ge=0, le=1)
    music_above: float = Field(ge=0, le=1)
    chosen: dict[str, Any] = Field(default_factory=dict, description="how, on the train part")

    @model_validator(mode="after")
    def _ordered(self) -> ScreenBand:
        if self.not_music_below > self.music_above:
            raise ValueError(f"not_music_below={self.not_music_below} lies above music_above={self.music_above}")
        return self


class DetectorMeta(BaseModel):
    """The parsed ``detector.json``."""

    model_config = ConfigDict(extra="forbid")

    features: FeatureSettings
    normalisation: Normalisation
    max_windows: int = Field(gt=0, description="windows, evenly spaced over the clip, that describe it")
    weights: list[float] = Field(description="on [mean, std] of the window embeddings, standardisation folded in")
    bias: float
    threshold: float = Field(gt=0, lt=1, description="music probability below which a clip is called not music")
    training: dict[str, Any] = Field(default_factory=dict)
    screen: ScreenBand | None = Field(None, description=f"with a cheaper detector in {SCREEN_DIR}/ that answers first")


def spread_windows(windows: np.ndarray, max_windows: int) -> np.ndarray:
    """At most ``max_windows`` of ``windows``, evenly spaced from the first to the last."""
    if len(windows) <= max_windows:
        return windows
    return windows[np.unique(np.linspace(0, len(windows) - 1, max_windows).round().astype(int))]


def pooled(embeddings: np.ndarray) -> np.ndarray:
    """[shape=(n_windows, dim)] -> [shape=(2 * dim,)]: what the clip sounds like, and how much that moves."""
    return np.concatenate([embeddings.mean(axis=0), embeddings.std(axis=0)])


def clip_music_probability(embeddings: np.ndarray, weights: list[float] | np.ndarray, bias: float) -> float:
    z = float(pooled(np.asarray(embeddings, dtype=np.float64)) @ np.asarray(weights, dtype=np.float64) + bias)
    return float(1.0 / (1.0 + np.exp(-np.clip(z, -50, 50))))


@dataclass(frozen=True)
class MusicVerdict:
    """One clip's answer: the music probability of the model that gave it, and which one did."""

    probability: float
    is_music: bool
    by: str  # "screen" or "model"


class MusicDetector:
    """``verdict(y, sr)``: the detector's answer for one clip; :meth:`load` reads its folder."""

    def __init__(self, meta: DetectorMeta, runner: ModelRunner, screen: MusicDetector | None = None) -> None:
        self.meta = meta
        self.runner = runner
        self.screen = screen

    @classmethod
    def load(cls, path: Path, *, options: RunnerOptions = DEFAULT_RUNNER) -> MusicDetector:
        path = Path(path)
        meta_file = path / DETECTOR_FILE
        if not meta_file.is_file() or not (path / MODEL_FILE).is_file():
            raise BundleError(f"{path} is not a music detector (needs {DETECTOR_FILE} and {MODEL_FILE}).")
        try:
            meta = DetectorMeta.model_validate(json.loads(meta_file.read_text()))
        except (json.JSONDecodeError, ValidationError) as exc:
            detail = (
                describe_validation_error(exc.errors(), whole="detector") if isinstance(exc, ValidationError) else exc
            )
            raise BundleError(f"{meta_file} cannot be read: {detail}") from exc
        runner = ModelRunner.load(
            path / MODEL_FILE,
            input_shape=meta.features.input_shape,
            num_classes=len(meta.weights) // 2,  # the embedding's width
            options=options,
        )
        return cls(meta, runner, cls._load_screen(path, meta, options) if meta.screen is not None else None)

    @classmethod
    def _load_screen(cls, path: Path, meta: DetectorMeta, options: RunnerOptions) -> MusicDetector:
        screen = cls.load(path / SCREEN_DIR, options=options)
        if screen.screen is not None or (screen.meta.features, screen.meta.max_windows) != (
            meta.features,
            meta.max_windows,
        ):
            raise BundleError(
                f"{path / SCREEN_DIR} cannot screen for {path}: a screen reads the same windows as the "
                "main detector (features and max_windows) and has no screen of its own."
            )
        return screen

    def windows(self, y: np.ndarray, sr: int, log_mel: tuple[np.ndarray, FeatureSettings] | None = None) -> np.ndarray:
        """The log-mel windows a clip at ``sr`` Hz is judged by, before normalisation: resampled to the
        detector's rate, framed, spread out. ``log_mel`` is the clip's log-mel as the caller computed
        it, with its settings: where those are the detector's own (the musicnn bundles), it is framed
        as it is instead of being computed again."""
        features = self.meta.features
        if log_mel is not None and log_mel[1] == features:
            framed = frame_windows(log_mel[0], features)
        else:
            if sr != features.sample_rate:
                y = librosa.resample(np.asarray(y, dtype=np.float32), orig_sr=sr, target_sr=features.sample_rate)
            framed = clip_windows(y, features)
        return spread_windows(framed, self.meta.max_windows)

    def probability_of(self, windows: np.ndarray) -> float:
        """This detector's own music probability (never its screen's) from :meth:`windows`."""
        embeddings = self.runner.predict(normalise(windows, self.meta.normalisation))
        return clip_music_probability(embeddings, self.meta.weights, self.meta.bias)

    def music_probability(
        self, y: np.ndarray, sr: int, log_mel: tuple[np.ndarray, FeatureSettings] | None = None
    ) -> float:
        return self.probability_of(self.windows(y, sr, log_mel))

    def verdict(
        self,
        y: np.ndarray,
        sr: int,
        log_mel: tuple[np.ndarray, FeatureSettings] | None = None,
        *,
        threshold: float | None = None,
    ) -> MusicVerdict:
        """Music or not. The screen answers where it is sure; a ``threshold`` of the caller's own is
        one for the main model's probability, so it always asks the main model."""
        windows = self.windows(y, sr, log_mel)
        band = self.meta.screen
        if self.screen is not None and band is not None and threshold is None:
            screened = self.screen.probability_of(windows)
            if screened >= band.music_above or screened < band.not_music_below:
                return MusicVerdict(screened, screened >= band.music_above, "screen")
        probability = self.probability_of(windows)
        threshold = self.meta.threshold if threshold is None else threshold
        return MusicVerdict(probability, probability >= threshold, "model")
