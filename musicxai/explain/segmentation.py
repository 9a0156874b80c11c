"""What a segmentation is: k interpretable components of a clip's whole log-mel spectrogram.

Switching a component off replaces its share of every cell's power by the baseline's; with hard
segments (a label map: temporal, spectral, grid, superpixel) that is ``np.where(on[labels], S,
baseline)``, with the soft harmonic/percussive ``sources`` segments each cell is a mix. All
segmentations answer the same questions: ``compose`` (masks -> perturbed log-mels), ``components_in``
(which components can change a frame range: the locality the engine exploits), ``weight_map``
(segment weights -> a heatmap) and ``on_mask`` (kept segments -> the mask sonification applies).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, field_serializer

from musicxai.errors import ParameterError
from musicxai.model.features import FeatureSettings


class SegmentationKind(StrEnum):
    """The ways a clip can be cut into interpretable segments (the page's menu reads these labels)."""

    temporal = "temporal"
    spectral = "spectral"
    time_frequency = "time_frequency"
    superpixel = "superpixel"
    sources = "sources"

    @property
    def label(self) -> str:
        return _SEGMENTATION_LABELS[self]


_SEGMENTATION_LABELS = {
    SegmentationKind.time_frequency: "time × frequency grid",
    SegmentationKind.temporal: "time slices",
    SegmentationKind.spectral: "frequency bands",
    SegmentationKind.superpixel: "superpixels (SLIC)",
    SegmentationKind.sources: "harmonic / percussive × time",
}


class Segment(BaseModel):
    """What a person needs to read a segment: where it lies in time and frequency, and its name."""

    model_config = ConfigDict(frozen=True)

    index: int
    name: str
    start_s: float
    end_s: float
    low_hz: float
    high_hz: float
    component: str = "all"

    @field_serializer("start_s", "end_s")
    def _ms(self, seconds: float) -> float:
        return round(seconds, 3)

    @field_serializer("low_hz", "high_hz")
    def _decihertz(self, hz: float) -> float:
        return round(hz, 1)


class Segmentation(Protocol):
    kind: SegmentationKind
    segments: list[Segment]
    n_frames: int

    @property
    def k(self) -> int: ...

    def compose(self, Z: np.ndarray, start: int, stop: int) -> np.ndarray:
        """Z [shape=(n, k)] bool -> perturbed log-mel dB of frames [start, stop) [shape=(n, n_mels, stop-start)]."""
        ...

    def components_in(self, start: int, stop: int) -> np.ndarray:
        """Sorted indices of the components that can change frames [start, stop)."""
        ...

    def weight_map(self, weights: np.ndarray) -> np.ndarray:
        """[shape=(k,)] -> [shape=(n_mels, t)]: each cell gets the weights of the components it holds."""
        ...

    def on_mask(self, on: np.ndarray) -> np.ndarray:
        """[shape=(k,)] bool -> [shape=(n_mels, t)] in [0, 1]: how much of each cell is switched on."""
        ...


class _Counts:
    """What every segmentation derives from its segment list and spectrogram."""

    segments: list[Segment]
    S: np.ndarray

    @property
    def k(self) -> int:
        return len(self.segments)

    @property
    def n_frames(self) -> int:
        return self.S.shape[1]


@dataclass
class LabelSegmentation(_Counts):
    """Hard segments: every cell belongs to exactly one segment (a 0-based label map)."""

    kind: SegmentationKind
    S: np.ndarray  # [shape=(n_mels, t)] dB
    baseline: np.ndarray  # [shape=(n_mels, t)] dB
    labels: np.ndarray  # [shape=(n_mels, t)] int
    segments: list[Segment]

    def __post_init__(self) -> None:
        if self.labels.shape != self.S.shape or self.baseline.shape != self.S.shape:
            raise ParameterError(f"labels {self.labels.shape} and baseline must match the spectrogram {self.S.shape}")
        k = len(self.segments)
        if self.labels.min() < 0 or self.labels.max() != k - 1:
            raise ParameterError(f"labels must cover 0..{k - 1}")
        # per-frame presence table, so components_in is a fast OR over frames
        present = np.zeros((self.S.shape[1], k), dtype=bool)
        present[np.arange(self.S.shape[1])[None, :].repeat(self.S.shape[0], 0), self.labels] = True
        self._present = present

    def compose(self, Z: np.ndarray, start: int, stop: int) -> np.ndarray:
        on = Z[:, self.labels[:, start:stop]]  # (n, n_mels, len) gather
        return np.where(on, self.S[None, :, start:stop], self.baseline[None, :, start:stop])

    def components_in(self, start: int, stop: int) -> np.ndarray:
        return np.flatnonzero(self._present[start:stop].any(axis=0))

    def weight_map(self, weights: np.ndarray) -> np.ndarray:
        return np.asarray(weights, dtype=np.float64)[self.labels]

    def on_mask(self, on: np.ndarray) -> np.ndarray:
        return np.asarray(on, dtype=np.float64)[self.labels]


@dataclass
class SourceSegmentation(_Counts):
    """Soft segments: harmonic / percussive parts (librosa HPSS) × time segments, as in audioLIME.

    ``shares[c]`` is the fraction of each cell's mel power that component ``c`` holds; a switched-off
    (component, time segment) gives its share of the cell to the baseline instead.
    """

    kind: SegmentationKind
    S: np.ndarray  # [shape=(n_mels, t)] the bundle's log-mel features
    baseline: np.ndarray  # [shape=(n_mels, t)]
    shares: np.ndarray  # [shape=(n_components, n_mels, t)], sums to 1 over components
    time_labels: np.ndarray  # [shape=(t,)] time-segment index of each frame
    segments: list[Segment]
    settings: FeatureSettings

    def __post_init__(self) -> None:
        self._power = self.settings.to_power(self.S.astype(np.float64))
        self._base_power = self.settings.to_power(self.baseline.astype(np.float64))
        self.n_time = int(self.time_labels.max()) + 1
        if len(self.segments) != self.shares.shape[0] * self.n_time:
            raise ParameterError("sources: one segment per (component, time segment) is expected")

    def _columns(self, start: int, stop: int) -> np.ndarray:
        """[shape=(n_components, stop-start)] segment index of each component at each frame."""
        comps = np.arange(self.shares.shape[0])[:, None]
        return comps * self.n_time + self.time_labels[None, start:stop]

    def compose(self, Z: np.ndarray, start: int, stop: int) -> np.ndarray:
        on = Z[:, self._columns(start, stop)].astype(np.float64)  # (n, C, len)
        power = self._power[:, start:stop]
        base = self._base_power[:, start:stop]
        shares = self.shares[:, :, start:stop]  # (C, n_mels, len)
        mixed = np.einsum("ncl,cml->nml", on, shares) * power + np.einsum("ncl,cml->nml", 1.0 - on, shares) * base
        return self.settings.from_power(mixed).astype(np.float32)

    def components_in(self, start: int, stop: int) -> np.ndarray:
        return np.unique(self._columns(start, stop))

    def weight_map(self, weights: np.ndarray) -> np.ndarray:
        w = np.asarray(weights, dtype=np.float64)[self._columns(0, self.n_frames)]  # (C, t)
        return np.einsum("cmt,ct->mt", self.shares, w)

    def on_mask(self, on: np.ndarray) -> np.ndarray:
        return self.weight_map(np.asarray(on, dtype=np.float64))
