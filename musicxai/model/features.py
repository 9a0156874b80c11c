"""Log-mel windows: the one feature function that training, serving and explaining all call.

The whole clip is turned into one log-mel spectrogram, then cut into fixed windows (3 s, hop 1.5 s
by default). Explanations perturb that whole-clip spectrogram and reuse the same framing, so the
model sees exactly what it was trained on.
"""

from __future__ import annotations

import math
from typing import Literal

import librosa
import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from musicxai.errors import ParameterError

EXTRACTOR = "logmel-db"
EXTRACTOR_VERSION = 1
LOG10_SCALE = 10000.0  # musicnn's compression: log10(10000·power + 1)


class FeatureSettings(BaseModel):
    """Everything that decides the model's input; stored in every bundle and checked on load."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    extractor: Literal["logmel-db", "logmel-log10"] = Field(
        EXTRACTOR, description="logmel-db: 10·log10(power) in dB; logmel-log10: log10(10000·power + 1)"
    )
    extractor_version: int = EXTRACTOR_VERSION
    sample_rate: int = Field(22050, gt=0)
    window_seconds: float = Field(3.0, gt=0)
    hop_seconds: float = Field(1.5, gt=0)
    n_fft: int = Field(2048, gt=0)
    hop_length: int = Field(512, gt=0)
    n_mels: int = Field(128, gt=0)
    fmin: float = Field(0.0, ge=0)
    fmax: float | None = None
    amin: float = Field(1e-10, gt=0)
    window_frames: int | None = Field(None, gt=0, description="frames per window when not derived from seconds")

    @model_validator(mode="after")
    def _check_consistent(self) -> FeatureSettings:
        if self.extractor_version != EXTRACTOR_VERSION:
            raise ValueError(
                f"extractor_version={self.extractor_version} is not supported "
                f"(this code computes version {EXTRACTOR_VERSION})"
            )
        nyquist = self.sample_rate / 2
        if self.fmax is not None and not self.fmin < self.fmax <= nyquist:
            raise ValueError(f"fmax={self.fmax} must lie in (fmin, {nyquist}]")
        if self.hop_length > self.n_fft:
            raise ValueError(f"hop_length={self.hop_length} must not exceed n_fft={self.n_fft}")
        return self

    @property
    def frames_per_window(self) -> int:
        """Frames of a centred STFT over exactly one window of audio (130 for the defaults)."""
        if self.window_frames is not None:
            return self.window_frames
        return self.frames_for(self.window_seconds)

    def frames_for(self, seconds: float) -> int:
        """Frames of a centred STFT over ``seconds`` of audio."""
        return 1 + round(seconds * self.sample_rate) // self.hop_length

    @property
    def hop_frames(self) -> int:
        return max(1, round(self.hop_seconds * self.sample_rate / self.hop_length))

    @property
    def floor_db(self) -> float:
        """The feature value of digital silence, used to pad short clips (dB, or 0 for log10)."""
        if self.extractor == "logmel-log10":
            return 0.0
        return float(10.0 * np.log10(self.amin))

    @property
    def is_db(self) -> bool:
        return self.extractor == "logmel-db"

    def to_power(self, S: np.ndarray) -> np.ndarray:
        """Invert the log compression: feature values -> mel power."""
        if self.is_db:
            return 10.0 ** (S / 10.0)
        return (10.0**S - 1.0) / LOG10_SCALE

    def from_power(self, power: np.ndarray) -> np.ndarray:
        if self.is_db:
            return 10.0 * np.log10(np.maximum(power, self.amin))
        return np.log10(LOG10_SCALE * np.maximum(power, 0.0) + 1.0)

    @property
    def frame_seconds(self) -> float:
        return self.hop_length / self.sample_rate

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return (self.n_mels, self.frames_per_window, 1)

    def mel_frequencies(self) -> np.ndarray:
        """Centre frequency (Hz) of each mel band, low to high [shape=(n_mels,)]."""
        return librosa.mel_frequencies(self.n_mels + 2, fmin=self.fmin, fmax=self._fmax)[1:-1]

    def mel_band_edges(self) -> np.ndarray:
        """Lower/upper edge (Hz) of each band's triangle [shape=(n_mels + 2,)]."""
        return librosa.mel_frequencies(self.n_mels + 2, fmin=self.fmin, fmax=self._fmax)

    def mel_filterbank(self) -> np.ndarray:
        """[shape=(n_mels, 1 + n_fft // 2)]"""
        return librosa.filters.mel(
            sr=self.sample_rate, n_fft=self.n_fft, n_mels=self.n_mels, fmin=self.fmin, fmax=self._fmax
        )

    @property
    def _fmax(self) -> float:
        return self.fmax if self.fmax is not None else self.sample_rate / 2


class Normalisation(BaseModel):
    """Per-mel-band mean and standard deviation of log-mel dB, from the training split only."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    mean: list[float]
    std: list[float]

    @model_validator(mode="after")
    def _check(self) -> Normalisation:
        if len(self.mean) != len(self.std) or not self.mean:
            raise ValueError("normalisation mean and std must be non-empty and of equal length")
        if min(self.std) <= 0:
            raise ValueError("normalisation std must be positive")
        return self


def mel_power(
    y: np.ndarray,
    *,
    sr: int = 22050,
    n_fft: int = 2048,
    hop_length: int = 512,
    n_mels: int = 128,
    fmin: float = 0.0,
    fmax: float | None = None,
) -> np.ndarray:
    """Mel power spectrogram of a centred STFT [shape=(n_mels, t)]."""
    return librosa.feature.melspectrogram(
        y=y, sr=sr, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels, fmin=fmin, fmax=fmax, power=2.0
    )


def clip_log_mel(y: np.ndarray, settings: FeatureSettings) -> np.ndarray:
    """The bundle's features of a whole clip [shape=(n_mels, t)], float32, finite."""
    power = mel_power(
        y,
        sr=settings.sample_rate,
        n_fft=settings.n_fft,
        hop_length=settings.hop_length,
        n_mels=settings.n_mels,
        fmin=settings.fmin,
        fmax=settings.fmax,
    )
    if not np.isfinite(power).all():  # float32 power overflows past ~1e17 × full scale: redo it in float64
        return clip_log_mel(np.asarray(y, dtype=np.float64), settings)
    return settings.from_power(power).astype(np.float32)


def window_starts(n_frames: int, settings: FeatureSettings) -> np.ndarray:
    """First frame of each window; the last window may run past the end and is padded.

    A clip shorter than one window still gives one (padded) window.
    """
    if n_frames <= 0:
        raise ParameterError(f"n_frames={n_frames} must be positive")
    width, hop = settings.frames_per_window, settings.hop_frames
    count = 1 + max(0, math.ceil((n_frames - width) / hop))
    return np.arange(count) * hop


def padded_length(n_frames: int, settings: FeatureSettings) -> int:
    """Frames needed so that every window of :func:`window_starts` lies inside the array."""
    return int(window_starts(n_frames, settings)[-1]) + settings.frames_per_window


def frame_windows(S: np.ndarray, settings: FeatureSettings) -> np.ndarray:
    """Cut a clip's log-mel into model windows.

    Parameters
    ----------
    S : np.ndarray [shape=(..., n_mels, t)]

    Returns
    -------
    windows : np.ndarray [shape=(..., n_windows, n_mels, frames_per_window)], a new array;
        frames past the clip's end hold ``settings.floor_db`` (silence).
    """
    n_frames = S.shape[-1]
    starts = window_starts(n_frames, settings)
    pad = padded_length(n_frames, settings) - n_frames
    if pad:
        widths = [(0, 0)] * (S.ndim - 1) + [(0, pad)]
        S = np.pad(S, widths, constant_values=settings.floor_db)
    view = np.lib.stride_tricks.sliding_window_view(S, settings.frames_per_window, axis=-1)
    # view: (..., n_mels, n_positions, width) -> windows first
    picked = view[..., starts, :]
    return np.ascontiguousarray(np.moveaxis(picked, -2, -3))


def normalise(windows: np.ndarray, norm: Normalisation) -> np.ndarray:
    """Standardise per mel band and add the channel axis the CNN expects.

    windows [shape=(n, n_mels, w)] -> [shape=(n, n_mels, w, 1)], float32
    """
    mean = np.asarray(norm.mean, dtype=np.float32)[:, None]
    std = np.asarray(norm.std, dtype=np.float32)[:, None]
    if mean.shape[0] != windows.shape[-2]:
        raise ParameterError(f"normalisation has {mean.shape[0]} bands but the windows have {windows.shape[-2]}")
    return ((windows - mean) / std).astype(np.float32)[..., None]


def clip_windows(y: np.ndarray, settings: FeatureSettings) -> np.ndarray:
    """Audio -> un-normalised log-mel windows [shape=(n_windows, n_mels, frames_per_window)]."""
    return frame_windows(clip_log_mel(y, settings), settings)
